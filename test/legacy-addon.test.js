'use strict';
// Legacy NODE_MODULE (NAN) addons: analysis.abi read from the struct
// node_module in the file, against what this Node really does with the file
// (its ABI refusal names the nm_version it read; a worker's second load fails
// exactly for an addon that is not context-aware), against the compiler flags
// of fixtures cross-compiled for other machines, and against the ABI that
// real npm prebuilds carry in their names (sodium-native 2, deasync 0.1).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const ti = require('..');
const h = require('./support/helpers');
const { npmPackage } = require('./support/npm-cache');
const { NODE } = require('../lib/loader/targets');

const SRC = path.join(h.ROOT, 'fixtures', 'src', 'legacy_addon.c');
const CHILD = path.join(__dirname, 'child', 'context-load.js');
const RUNNING = Number(process.versions.modules);

// Builds one variant; flags: { abi, ctx, exp, init, runtime }.
function build(cc, dir, v) {
  const name = `abi${v.abi}${v.ctx ? '-ctx' : ''}${v.exp ? '-exp' : ''}${v.init ? '-init' : ''}${v.runtime ? '-rt' : ''}.node`;
  const out = path.join(dir, name);
  const r = spawnSync(cc, ['-O2', '-fPIC', '-shared', `-DTI_ABI=${v.abi}`, `-DTI_CONTEXT_AWARE=${v.ctx ? 1 : 0}`,
    `-DTI_EXPORT_INIT=${v.exp ? 1 : 0}`, `-DTI_MODULE_INIT=${v.init ? 1 : 0}`, `-DTI_RUNTIME_STRUCT=${v.runtime ? 1 : 0}`,
    '-o', out, SRC], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cc} ${name}: ${r.stderr}`);
  return out;
}

const codes = (r) => r.problems.map((p) => p.code);

describe('legacy NODE_MODULE addons: fixtures built here, loaded by this Node', function () {
  this.timeout(120000);
  let dir;
  const files = {};
  const variants = [
    { abi: RUNNING }, { abi: RUNNING, ctx: 1 }, { abi: RUNNING, exp: 1 }, { abi: RUNNING, ctx: 1, exp: 1 },
    { abi: RUNNING, init: 1 }, { abi: 108 }, { abi: 79, exp: 1 }, { abi: 93, ctx: 1 }, { abi: 93, init: 1 },
    { abi: RUNNING, runtime: 1 },
  ];
  before(function () {
    if (!h.haveCommand('gcc')) h.skip(this, 'gcc is not installed');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-legacy-'));
    for (const v of variants) files[JSON.stringify(v)] = build('gcc', dir, v);
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  // Node's own refusal: "was compiled against a different Node.js version using NODE_MODULE_VERSION <nm_version>"
  it('abi.version is the NODE_MODULE_VERSION Node reads from the file; check() errs exactly when Node refuses it', function () {
    for (const v of variants) {
      const file = files[JSON.stringify(v)];
      const a = ti.analyzeSync(file);
      const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' });
      const refused = /NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(r.stderr);
      if (v.runtime) {
        assert.deepStrictEqual(a.abi, { version: 'unknown', source: 'node_module_register', contextAware: 'unknown' });
      } else if (refused) {
        assert.strictEqual(a.abi.version, Number(refused[1]), path.basename(file));
        assert.strictEqual(Number(refused[2]), RUNNING);
      } else {
        assert.strictEqual(r.status, 0, `${path.basename(file)}: ${r.stderr}`);
        assert.strictEqual(a.abi.version, RUNNING, path.basename(file));
      }
      assert.strictEqual(a.abi.source, v.init ? 'node_register_module_v' : 'node_module_register');
      const c = ti.checkSync(file);
      assert.strictEqual(codes(c).includes('NODE_ABI_MISMATCH'), Boolean(refused), `${path.basename(file)}: ${codes(c)}`);
      if (refused) {
        const p = c.problems.find((x) => x.code === 'NODE_ABI_MISMATCH');
        assert.strictEqual(p.abi, Number(refused[1]));
        assert.strictEqual(p.targetAbi, RUNNING);
      }
    }
  });

  it('on another Node release: the legacy nm_version is judged against that release\'s NODE_MODULE_VERSION', async function () {
    const file = files[JSON.stringify({ abi: 108 })];
    const on18 = await ti.check(file, { target: 'node:18-bookworm' });
    const on20 = await ti.check(file, { target: 'node:20-bookworm' });
    assert.strictEqual(NODE[18].abi, 108);
    assert.ok(!codes(on18).includes('NODE_ABI_MISMATCH'), codes(on18).join());
    assert.ok(codes(on20).includes('NODE_ABI_MISMATCH'), codes(on20).join());
    assert.strictEqual(on18.runsOn.abi, 108);
  });

  // node_binding.cc: a second load of a file runs only nm_context_register_func;
  // Node says "Module did not self-register: '<file>'." when there is none.
  for (const order of ['main-first', 'worker-first']) {
    it(`contextAware: false exactly when a second load (${order}) fails; NOT_CONTEXT_AWARE warns for those`, function () {
      for (const v of variants.filter((x) => x.abi === RUNNING && !x.runtime)) {
        const file = files[JSON.stringify(v)];
        const out = h.nodeJson(CHILD, [file, order]);
        assert.strictEqual(out.first, 'ok', `${path.basename(file)}: ${out.first}`);
        const fails = out.second !== 'ok';
        if (fails) assert.strictEqual(out.second, `Module did not self-register: '${file}'.`);
        const a = ti.analyzeSync(file);
        assert.strictEqual(a.abi.contextAware, !fails, path.basename(file));
        const c = ti.checkSync(file);
        assert.strictEqual(codes(c).includes('NOT_CONTEXT_AWARE'), fails, `${path.basename(file)}: ${codes(c)}`);
        assert.strictEqual(c.problems.find((p) => p.code === 'NOT_CONTEXT_AWARE')?.severity ?? 'warning', 'warning');
        if (!fails) continue;
        // explain(): Node's own message, with the file checked, names the cause
        const d = ti.explain(out.second);
        assert.strictEqual(d.code, 'NOT_CONTEXT_AWARE');
        assert.strictEqual(d.module, file);
      }
    });
  }

  it('--force-context-aware: Node refuses exactly the addons analyze() calls not context-aware; explain() names it', function () {
    for (const v of variants.filter((x) => x.abi === RUNNING && !x.runtime)) {
      const file = files[JSON.stringify(v)];
      const r = spawnSync(process.execPath, ['--force-context-aware', '-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' });
      assert.strictEqual(r.status !== 0, ti.analyzeSync(file).abi.contextAware === false, `${path.basename(file)}: ${r.stderr}`);
      if (r.status === 0) continue;
      const line = r.stderr.split('\n').find((l) => /^Error/.test(l));
      assert.strictEqual(ti.explain(line).code, 'NOT_CONTEXT_AWARE', line);
    }
  });

  it('a struct filled at run time: version unknown, never guessed, and no problem claimed from it', function () {
    const file = files[JSON.stringify({ abi: RUNNING, runtime: 1 })];
    const c = ti.checkSync(file);
    assert.ok(!codes(c).includes('NODE_ABI_MISMATCH') && !codes(c).includes('NOT_CONTEXT_AWARE'), codes(c).join());
    assert.strictEqual(spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`]).status, 0);
  });

  it('"Module did not self-register" from a file that registers nothing stays MODULE_NOT_REGISTERED', function () {
    const plain = path.join(dir, 'plain.node');
    const src = path.join(dir, 'plain.c');
    fs.writeFileSync(src, 'int ti_plain(void) { return 1; }\n');
    assert.strictEqual(spawnSync('gcc', ['-shared', '-fPIC', '-o', plain, src]).status, 0);
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(plain)})`], { encoding: 'utf8' });
    const line = r.stderr.split('\n').find((l) => l.includes('did not self-register'));
    assert.ok(line, r.stderr);
    assert.strictEqual(ti.analyzeSync(plain).abi, null);
    assert.strictEqual(ti.explain(line).code, 'MODULE_NOT_REGISTERED');
  });

  // Electron 9-13's refusal in a renderer, as users quote it
  // (https://github.com/electron/electron/issues/18397 is where the message points)
  it('Electron\'s renderer refusal is NOT_CONTEXT_AWARE, with the module named', function () {
    const msg = 'Uncaught Error: Loading non-context-aware native module in renderer: \'/app/node_modules/@serialport/' +
      'bindings/build/Release/bindings.node\', but app.allowRendererProcessReuse is true. See https://github.com/electron/electron/issues/18397.';
    const d = ti.explain(msg, { check: false });
    assert.strictEqual(d.code, 'NOT_CONTEXT_AWARE');
    assert.strictEqual(d.module, '/app/node_modules/@serialport/bindings/build/Release/bindings.node');
    assert.strictEqual(d.kind, 'not-context-aware');
  });
});

describe('legacy NODE_MODULE addons: cross-compiled for other machines', function () {
  this.timeout(120000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-legacy-x-')); });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));
  // RELA and REL (the word in place) files, 32 and 64 bit, both byte orders
  for (const [triple, machine] of [['i686-linux-gnu', 'i386'], ['arm-linux-gnueabihf', 'arm'], ['aarch64-linux-gnu', 'aarch64'],
    ['riscv64-linux-gnu', 'riscv'], ['powerpc64le-linux-gnu', 'ppc64'], ['s390x-linux-gnu', 's390']]) {
    it(`${triple}: abi.version and contextAware are what the fixture was compiled with`, function () {
      const cc = `${triple}-gcc`;
      if (!h.haveCommand(cc)) h.skip(this, `${cc} is not installed (Debian: gcc-${triple})`);
      const sub = path.join(dir, triple);
      fs.mkdirSync(sub);
      for (const v of [{ abi: 57 }, { abi: 83, ctx: 1 }, { abi: 108, exp: 1 }, { abi: 120, ctx: 1, exp: 1 }]) {
        const a = ti.analyzeSync(build(cc, sub, v));
        assert.strictEqual(a.machine, machine);
        assert.deepStrictEqual(a.abi, { version: v.abi, source: 'node_module_register', contextAware: Boolean(v.ctx) },
          `${triple} ${JSON.stringify(v)}`);
      }
    });
  }
});

describe('legacy NODE_MODULE addons: real npm prebuilds', function () {
  this.timeout(600000);

  // prebuildify names each file for the ABI it was built for: node.abi<N>.node, electron.abi<N>.node
  it('sodium-native@2.4.9 (NAN): every Linux prebuild\'s nm_version is the ABI in its name; not context-aware', function () {
    const p = npmPackage('sodium-native@2.4.9');
    if (!p.dir) h.skip(this, p.why);
    let checked = 0;
    for (const d of fs.readdirSync(path.join(p.dir, 'prebuilds')).filter((x) => x.startsWith('linux-'))) {
      for (const f of fs.readdirSync(path.join(p.dir, 'prebuilds', d))) {
        const m = /\.abi(\d+)\.node$/.exec(f);
        if (!m) continue;
        const a = ti.analyzeSync(path.join(p.dir, 'prebuilds', d, f));
        assert.deepStrictEqual(a.abi, { version: Number(m[1]), source: 'node_module_register', contextAware: false }, `${d}/${f}`);
        checked++;
      }
    }
    assert.ok(checked >= 20, `only ${checked} prebuilds checked`);
  });

  it('sodium-native@2.4.9 node.abi79 in this Node: Node\'s refusal names the ABI analyze() read; check() agrees', function () {
    const p = npmPackage('sodium-native@2.4.9');
    if (!p.dir) h.skip(this, p.why);
    const file = path.join(p.dir, 'prebuilds', 'linux-x64', 'node.abi79.node');
    if (process.arch !== 'x64') h.skip(this, 'an x86_64 prebuild: this Node cannot load it here');
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8' });
    const m = /NODE_MODULE_VERSION (\d+)\. This version/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.strictEqual(ti.analyzeSync(file).abi.version, Number(m[1]));
    const c = ti.checkSync(file);
    assert.deepStrictEqual(codes(c).filter((x) => x === 'NODE_ABI_MISMATCH' || x === 'NOT_CONTEXT_AWARE'),
      ['NODE_ABI_MISMATCH', 'NOT_CONTEXT_AWARE']);
    const d = ti.explain(r.stderr);
    assert.strictEqual(d.code, 'NODE_ABI_MISMATCH');
    assert.strictEqual(d.abi.built, 79);
  });

  // Node major -> NODE_MODULE_VERSION from node-abi's own tables (abi_registry.json, and the
  // releases before 11 written in its index.js): the first release of each major.
  function nodeAbis() {
    const p = npmPackage('node-abi@4.40.0');
    if (!p.dir) return p;
    const rows = require(path.join(p.dir, 'abi_registry.json')).filter((x) => x.runtime === 'node');
    const text = fs.readFileSync(path.join(p.dir, 'index.js'), 'utf8');
    for (const m of text.matchAll(/\{ runtime: 'node', target: '(\d+)\.(\d+)\.(\d+)', abi: '(\d+)'/g)) {
      rows.push({ target: `${m[1]}.${m[2]}.${m[3]}`, abi: m[4] });
    }
    const abis = {};
    for (const r of rows) {
      const [major, minor, patch] = r.target.split('.').map(Number);
      if (major === 0) continue;
      if (!abis[major] || minor + patch === 0) abis[major] = Number(r.abi);
    }
    return { abis };
  }

  // deasync ships bin/linux-<arch>-node-<major>/deasync.node: NAN builds up to Node 9 (ia32: 10), Node-API after
  it('deasync@0.1.20: each NAN build\'s nm_version is the ABI of the Node major in its directory name', function () {
    const p = npmPackage('deasync@0.1.20');
    if (!p.dir) h.skip(this, p.why);
    const table = nodeAbis();
    if (!table.abis) h.skip(this, table.why);
    let legacy = 0, napi = 0;
    for (const d of fs.readdirSync(path.join(p.dir, 'bin'))) {
      const m = /^linux-(?:x64|ia32)-node-(\d+)$/.exec(d);
      if (!m || !table.abis[m[1]]) continue;
      const file = path.join(p.dir, 'bin', d, 'deasync.node');
      const a = ti.analyzeSync(file);
      const dyn = spawnSync('readelf', ['-W', '--dyn-syms', file], { encoding: 'utf8' }).stdout;
      if (/ UND node_module_register\b/.test(dyn)) {
        assert.deepStrictEqual(a.abi, { version: table.abis[m[1]], source: 'node_module_register', contextAware: false }, d);
        legacy++;
      } else if (/ UND napi_module_register\b/.test(dyn)) {
        assert.deepStrictEqual(a.abi, { version: null, source: 'napi', contextAware: true }, d);
        napi++;
      }
    }
    assert.ok(legacy >= 8 && napi >= 3, `legacy ${legacy}, napi ${napi}`);
  });
});

describe('legacy NODE_MODULE addons: crafted files (elf-build)', function () {
  this.timeout(60000);
  const { sharedObject, STT } = require('./support/elf-build');
  const R_X86_64_64 = 1, R_X86_64_RELATIVE = 8;
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-legacy-c-')); });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  // structs: [{ version, flags, handle, ctx, modname }] laid out in node.h's order, each
  // followed by its strings; the entry point names the defined function "init"
  function craft(name, structs, extra = [], pad = 0) {
    const syms = [{ name: 'node_module_register' }, { name: 'init', type: STT.FUNC, shndx: 5 }];
    const layout = (base) => {
      const parts = [];
      const rela = [];
      let at = 0;
      for (const s of structs) {
        const st = Buffer.alloc(64);
        st.writeInt32LE(s.version, 0);
        st.writeUInt32LE(s.flags || 0, 4);
        st.writeBigUInt64LE(BigInt(s.handle || 0), 8);
        const file = Buffer.from('binding.cc\0'), mod = Buffer.from(`${s.modname || 'binding'}\0`);
        rela.push({ type: R_X86_64_RELATIVE, sym: 0, offset: base + at + 16, addend: base + at + 64 },
          { type: R_X86_64_64, sym: 2, offset: base + at + (s.ctx ? 32 : 24) },
          { type: R_X86_64_RELATIVE, sym: 0, offset: base + at + 40, addend: base + at + 64 + file.length });
        parts.push(st, file, mod, Buffer.alloc(8 - ((file.length + mod.length) % 8)));
        at += 64 + file.length + mod.length + 8 - ((file.length + mod.length) % 8);
      }
      return { syms, rela: [...rela, ...extra.map((x) => ({ ...x, offset: base + x.offset }))], data: Buffer.concat([...parts, Buffer.alloc(pad)]) };
    };
    const base = sharedObject(layout(0)).at.data;
    const out = sharedObject(layout(base));
    assert.strictEqual(out.at.data, base);
    const file = path.join(dir, name);
    fs.writeFileSync(file, out.bytes);
    return file;
  }
  const abiOf = (file) => ti.analyzeSync(file).abi;
  const UNKNOWN = { version: 'unknown', source: 'node_module_register', contextAware: 'unknown' };

  it('a struct whose every field fits is read; one field out of form leaves it unknown', function () {
    assert.deepStrictEqual(abiOf(craft('ok.node', [{ version: 83 }])), { version: 83, source: 'node_module_register', contextAware: false });
    assert.deepStrictEqual(abiOf(craft('ctx.node', [{ version: 83, ctx: 1 }])), { version: 83, source: 'node_module_register', contextAware: true });
    assert.deepStrictEqual(abiOf(craft('v0.node', [{ version: 0 }])), UNKNOWN);
    assert.deepStrictEqual(abiOf(craft('flags.node', [{ version: 83, flags: 0x100 }])), UNKNOWN);
    assert.deepStrictEqual(abiOf(craft('handle.node', [{ version: 83, handle: 1 }])), UNKNOWN);
    assert.deepStrictEqual(abiOf(craft('name.node', [{ version: 83, modname: 'no spaces' }])), UNKNOWN);
  });

  it('several structs: one answer when they agree, unknown when they disagree', function () {
    assert.strictEqual(abiOf(craft('two.node', [{ version: 93 }, { version: 93 }])).version, 93);
    assert.deepStrictEqual(abiOf(craft('differ.node', [{ version: 93 }, { version: 108 }])), UNKNOWN);
  });

  it('past 65536 candidate relocations the answer is unknown, promptly', function () {
    const extra = Array.from({ length: 70000 }, (_, i) => ({ type: R_X86_64_RELATIVE, sym: 0, offset: 4096 + 8 * i, addend: 0 }));
    const file = craft('flood.node', [{ version: 83 }], extra, 4096 + 8 * 70000);
    // the same struct without the flood is read
    assert.strictEqual(abiOf(craft('unflooded.node', [{ version: 83 }], extra.slice(0, 1000), 4096 + 8 * 70000)).version, 83);
    const t0 = Date.now();
    assert.deepStrictEqual(abiOf(file), UNKNOWN);
    assert.ok(Date.now() - t0 < 10000, `${Date.now() - t0} ms`);
  });
});
