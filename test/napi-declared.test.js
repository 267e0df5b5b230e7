'use strict';
// The Node-API version an addon declares (node_api_module_get_api_version_v1),
// read from its code: against objdump's disassembly of real prebuilds and of
// cross-compiled fixtures, and against official Node binaries loading them.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const ti = require('..');
const h = require('./support/helpers');
const { npmPackage, officialNode } = require('./support/npm-cache');

const FN = 'node_api_module_get_api_version_v1';

// objdump's listing of FN: its instruction lines ("mov $0xa,%eax", "ret").
function disassemble(objdump, file, extra = []) {
  const r = spawnSync(objdump, ['-d', '--no-show-raw-insn', ...extra, file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) return null;
  const at = r.stdout.search(new RegExp(`<${FN}(@@Base)?>:`));
  if (at < 0) return null;
  return r.stdout.slice(at).split('\n\n')[0].split('\n').slice(1).map((l) => l.split('\t').slice(1).join(' ').trim());
}

// The constant objdump shows loaded into the return register, or null.
function returnedConstant(lines) {
  const imm = (s) => Number(s.startsWith('0x') ? parseInt(s, 16) : s);
  for (const l of lines) {
    let m = /^mov\s+\$(0x[0-9a-f]+),%eax/.exec(l) || /^movs?\s+[wr]0, #(0x[0-9a-f]+|\d+)/.exec(l) ||
      /^movw\s+r0, #(\d+)/.exec(l) || /^(?:c\.)?li\s+a0,(-?\d+)/.exec(l) || /^push\s+\$(0x[0-9a-f]+)/.exec(l);
    if (m) return imm(m[1]);
    if (/^xor\s+%eax,%eax/.test(l)) return 0;
  }
  return null;
}

describe('napi.declared: real prebuilds (argon2@0.45.1)', function () {
  this.timeout(600000);
  let pkg;
  before(function () {
    const p = npmPackage('argon2@0.45.1');
    if (!p.dir) h.skip(this, p.why);
    pkg = path.join(p.dir, 'prebuilds');
  });

  const objdumps = { x86_64: 'objdump', aarch64: 'aarch64-linux-gnu-objdump', arm: 'arm-linux-gnueabihf-objdump' };
  it('every Linux prebuild: the version objdump shows the function returning', function () {
    let checked = 0;
    for (const dir of fs.readdirSync(pkg).filter((d) => d.startsWith('linux-'))) {
      for (const f of fs.readdirSync(path.join(pkg, dir))) {
        const file = path.join(pkg, dir, f);
        const a = ti.analyzeSync(file);
        const tool = objdumps[a.machine];
        if (!tool || !h.haveCommand(tool)) continue;
        const lines = disassemble(tool, file, a.machine === 'arm' ? ['-M', 'force-thumb'] : []);
        assert.ok(lines, `${FN} in ${dir}/${f}`);
        assert.strictEqual(a.napi.declared, returnedConstant(lines), `${dir}/${f}: ${lines.join('; ')}`);
        checked++;
      }
    }
    assert.ok(checked >= 3, `only ${checked} prebuilds checked`);
    assert.strictEqual(ti.analyzeSync(path.join(pkg, 'linux-x64', 'argon2.glibc.node')).napi.declared, 10);
  });

  // The real loaders: official Node 20 (Node-API 9) and 22 (Node-API 10) require() it.
  for (const major of [20, 22]) {
    it(`official Node ${major}: loads it exactly when check() on node:${major}-bookworm says compatible`, async function () {
      const node = officialNode(major);
      if (!node.bin) h.skip(this, node.why);
      const file = path.join(pkg, 'linux-x64', 'argon2.glibc.node');
      const level = spawnSync(node.bin, ['-p', 'process.versions.napi'], { encoding: 'utf8' });
      if (level.status !== 0) h.skip(this, `Node ${major} does not run here: ${level.stderr}`);
      const loads = spawnSync(node.bin, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8', timeout: 60000 });
      const r = await ti.check(file, { target: `node:${major}-bookworm` });
      assert.strictEqual(r.target, `node:${major}-bookworm`);
      // the preset's level is the binary's own
      assert.strictEqual(require('../lib/loader/targets').PRESETS[`node:${major}-bookworm`].napi, Number(level.stdout));
      assert.strictEqual(ti.analyzeSync(file).napi.declared > Number(level.stdout) ? 'NAPI_DECLARED' : null,
        r.problems.some((p) => p.code === 'NAPI_DECLARED') ? 'NAPI_DECLARED' : null);
      assert.strictEqual(r.ok, loads.status === 0,
        `Node ${major} (Node-API ${level.stdout.trim()}): status ${loads.status} signal ${loads.signal}; ` +
        `check: ${JSON.stringify(r.problems)}`);
    });
  }
});

describe('napi.declared: compiled fixtures, checked against objdump', function () {
  this.timeout(120000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-napi-decl-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const compilers = [
    ['aarch64', 'aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-objdump', []],
    ['x86_64', 'gcc', 'objdump', []],
    ['x86_64 (CET)', 'gcc', 'objdump', ['-fcf-protection=full']],
    ['i386', 'i686-linux-gnu-gcc', 'i686-linux-gnu-objdump', []],
    ['arm (Thumb)', 'arm-linux-gnueabihf-gcc', 'arm-linux-gnueabihf-objdump', ['-mthumb']],
    ['arm (A32)', 'arm-linux-gnueabihf-gcc', 'arm-linux-gnueabihf-objdump', ['-marm']],
    ['riscv64', 'riscv64-linux-gnu-gcc', 'riscv64-linux-gnu-objdump', []],
  ];
  for (const [name, cc, objdump, flags] of compilers) {
    // Optimised code (what is shipped) must be read exactly; -O0 code may move the
    // constant through another register: then 'unknown' is right, another number never.
    it(`${name}: declared versions at -O0, -O2 and -Os are what objdump shows returned`, function () {
      if (!h.haveCommand(cc)) h.skip(this, `${cc} not installed`);
      let n = 0;
      for (const value of [0, 8, 10, 200]) {
        for (const opt of ['-O0', '-O2', '-Os']) {
          const src = path.join(dir, `d${value}.c`);
          const so = path.join(dir, `${name.replace(/\W/g, '_')}-${value}${opt}.node`);
          fs.writeFileSync(src, `int ${FN}(void) { return ${value}; }\nint napi_register_module_v1(void) { return 0; }\n`);
          const r = spawnSync(cc, ['-shared', '-fPIC', opt, ...flags, '-o', so, src], { encoding: 'utf8' });
          assert.strictEqual(r.status, 0, r.stderr);
          const lines = disassemble(objdump, so, name === 'arm (Thumb)' ? ['-M', 'force-thumb'] : []);
          const shown = returnedConstant(lines);
          const declared = ti.analyzeSync(so).napi.declared;
          if (opt === '-O0' && !/^x86_64|aarch64/.test(name) && declared === 'unknown') { n++; continue; }
          assert.strictEqual(shown, value, `objdump: ${lines.join('; ')}`); // the truth says what was compiled
          assert.strictEqual(declared, shown, `${so}: ${lines.join('; ')}`);
          n++;
        }
      }
      assert.strictEqual(n, 12);
    });
  }

  it('code in no known form is "unknown"; no such export is null', function () {
    const src = path.join(dir, 'odd.c');
    fs.writeFileSync(src, `extern int level;\nint ${FN}(void) { return level; }\nint level = 9;\n`);
    const odd = path.join(dir, 'odd.node');
    assert.strictEqual(spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', odd, src]).status, 0);
    const lines = disassemble('objdump', odd);
    assert.strictEqual(returnedConstant(lines), null, lines.join('; ')); // a load from memory, not a constant
    assert.strictEqual(ti.analyzeSync(odd).napi.declared, 'unknown');
    const none = path.join(dir, 'none.node');
    fs.writeFileSync(src, 'int napi_register_module_v1(void) { return 0; }\n');
    assert.strictEqual(spawnSync('gcc', ['-shared', '-fPIC', '-o', none, src]).status, 0);
    const a = ti.analyzeSync(none);
    assert.ok(a.napi === null || a.napi.declared === null);
  });

  it('a return-a-constant whose return is not within the bytes read is unknown, not a guess', function () {
    const src = path.join(dir, 'end.c');
    fs.writeFileSync(src, `int ${FN}(void) { return 10; }\n`);
    const so = path.join(dir, 'end.node');
    assert.strictEqual(spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', so, src]).status, 0);
    const data = fs.readFileSync(so);
    // NOP out the return: b8 0a 00 00 00 c3 -> b8 0a 00 00 00 90 ... (no ret within the bytes read)
    const off = data.indexOf(Buffer.from([0xb8, 0x0a, 0x00, 0x00, 0x00, 0xc3]));
    assert.ok(off > 0);
    data.fill(0x90, off + 5, off + 5 + 24);
    fs.writeFileSync(so, data);
    assert.strictEqual(ti.analyzeSync(so).napi.declared, 'unknown');
  });
});
