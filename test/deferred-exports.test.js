'use strict';
// What the analyses of check() and scan() carry instead of every export name:
// the addon's marks of the imports a file defines itself, a table of export
// name hashes, the entry points, names packed on first read.  Each is held
// against the eager analysis of the same bytes, and the rule that analysis
// follows is held against readelf and the real loaders elsewhere.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const h = require('./support/helpers');
const { analyzeSync, analyzeMany, ownDefinitions } = require('../lib/file/analyze');
const { defines } = require('../lib/loader/symbols');
const binding = require('../lib/process/binding');

const loaded = (re) => (ti.modules().find((m) => re.test(m.path || '')) || {}).path || null;
// the libraries of this process that hold most of what addons import
const LIBS = [/\/libc\.so\.6$/, /\/libstdc\+\+\.so\.6$/, /\/libm\.so\.6$/, /\/libgcc_s\.so\.1$/].map(loaded).filter(Boolean);
const EM_AARCH64 = 183;

// The string rule (symbols.js over `exports` names, no table, no marks): an
// analysis copied without its packed parts.
const plain = (a) => ({ analysis: { ...a } });

describe('exports packed on first use', function () {
  let dir;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deferred-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the addon's marks of the imports a file defines itself agree with the rule on its export names", function () {
    if (!LIBS.length) h.skip(this, 'no glibc libraries loaded in this process');
    let marked = 0;
    for (const lib of [...LIBS, ...h.systemLibraries(30)]) {
      let a;
      try { a = analyzeSync(lib, { exports: 'now' }); } catch (_) { continue; }
      const own = ownDefinitions(a);
      a.imports.forEach((imp, i) => {
        if (!own || own[i] === 0) return;
        marked++;
        assert.strictEqual(own[i] === 2, defines(plain(a), imp), `${path.basename(lib)}: ${imp.name}@${imp.version}`);
      });
    }
    assert.ok(marked > 1000, `${marked} imports marked`);
  });

  it('a table without names answers every lookup as the names do, packing them only for a name it may hold', function () {
    if (LIBS.length < 2) h.skip(this, 'glibc libraries not loaded in this process');
    const [libc, other] = [LIBS[0], LIBS[1]];
    const eager = analyzeSync(libc, { exports: 'now' });
    const table = analyzeSync(libc, { exports: 'table' });
    const asked = analyzeSync(other, { exports: 'now' }).imports.flatMap((imp) => [imp, { ...imp, version: 'GLIBC_9.99' },
      { name: `${imp.name}_not_there`, version: null }]);
    const names = binding.analyzeExports;
    let packed = 0;
    binding.analyzeExports = function () { packed++; return names.apply(this, arguments); };
    try {
      for (const miss of asked.filter((i) => i.name.endsWith('_not_there'))) assert.strictEqual(defines({ analysis: table }, miss), false);
      assert.strictEqual(packed, 0, 'names absent from the table are answered without them');
      for (const imp of asked) assert.strictEqual(defines({ analysis: table }, imp), defines({ analysis: eager }, imp), imp.name);
      assert.strictEqual(packed, 1, 'the names are packed once, on the first name the table may hold');
    } finally {
      binding.analyzeExports = names;
    }
    assert.deepStrictEqual(table.exports, eager.exports);
    assert.deepStrictEqual(table.abi, eager.abi);
  });

  it("check()'s analysis reads the same exports, and says when its file changed or went away", async function () {
    const src = LIBS.find((f) => /libm\.so/.test(f)) || h.systemLibraries(1)[0];
    const file = path.join(dir, 'lib.so');
    fs.copyFileSync(src, file);
    const want = analyzeSync(src).exports;
    assert.deepStrictEqual((await ti.check(file)).analysis.exports, want);
    const changed = (await ti.check(file)).analysis;
    fs.appendFileSync(file, Buffer.alloc(8));
    assert.throws(() => changed.exports, (e) => e.code === 'TI_EIO');
    const gone = (await ti.check(file)).analysis;
    fs.unlinkSync(file);
    assert.throws(() => gone.exports, (e) => e.code === 'TI_ENOENT');
  });

  it('a file for another machine than the one judged for: its exports on first read, its entry points and ABI at once', async function () {
    const src = LIBS.find((f) => /libstdc\+\+/.test(f)) || h.systemLibraries(1)[0];
    const file = path.join(dir, 'foreign.so');
    const bytes = fs.readFileSync(src);
    bytes.writeUInt16LE(EM_AARCH64, 18); // e_machine: the same tables, read as another machine's
    fs.writeFileSync(file, bytes);
    const eager = analyzeSync(file, { exports: 'now' });
    const names = binding.analyzeExports;
    let packed = 0;
    binding.analyzeExports = function () { packed++; return names.apply(this, arguments); };
    try {
      const [take] = analyzeMany([file], { machine: 62 /* EM_X86_64 */, exports: 'table' });
      const a = (await take)();
      assert.strictEqual(a.machine, 'aarch64');
      assert.deepStrictEqual(a.abi, eager.abi);
      assert.strictEqual(packed, 0);
      assert.deepStrictEqual(a.exports, eager.exports);
      assert.strictEqual(packed, 1);
    } finally {
      binding.analyzeExports = names;
    }
  });

  it("fileVersion(): the identity and times stat gives, never opening the file", function () {
    const file = path.join(dir, 'f.node');
    fs.writeFileSync(file, 'x');
    const past = new Date(Date.now() - 3600e3);
    fs.utimesSync(file, past, past);
    const [version, size, age] = binding.fileVersion(file);
    const st = fs.statSync(file, { bigint: true });
    const ns = (t) => `${t / 1000000000n}.${String(t % 1000000000n).padStart(9, '0')}`;
    assert.strictEqual(version, `${st.dev}:${st.ino}:${st.size}:${ns(st.mtimeNs)}:${ns(st.ctimeNs)}`);
    assert.strictEqual(size, 1);
    assert.ok(age >= 0 && age < 60, `age ${age}: the change time (now) is the newer one`);
    assert.strictEqual(binding.fileVersion(dir), null);
    assert.strictEqual(binding.fileVersion(path.join(dir, 'none')), null);
    const fifo = path.join(dir, 'fifo');
    if (require('child_process').spawnSync('mkfifo', [fifo]).status === 0) assert.strictEqual(binding.fileVersion(fifo), null);
  });
});
