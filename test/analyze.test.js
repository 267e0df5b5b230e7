'use strict';
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/fixtures');
const h = require('./helpers');

const compareWithReadelf = (file) => h.compareAnalyzeWithReadelf(ti, file);

describe('analyze(): ELF files on disk, compared with readelf', function () {
  const built = fixtures.list();

  it('agrees with readelf -lWdrsV on every fixture', function () {
    let n = 0;
    for (const libc of Object.keys(built)) {
      for (const file of Object.values(built[libc])) { compareWithReadelf(file); n++; }
    }
    assert.ok(n >= 7, `${n} fixtures compared`);
  });

  it('agrees with readelf -lWdrsV on at least 100 real shared objects', function () {
    this.timeout(300000);
    const libs = h.systemLibraries(120);
    if (libs.length < 100) h.skip(this, `only ${libs.length} system libraries found`);
    let tlsSeen = 0, ie = 0;
    for (const file of libs) {
      const r = compareWithReadelf(file);
      if (r.tls) tlsSeen++;
      if (r.tlsRelocations.tpoff) ie++;
    }
    assert.ok(libs.length >= 100);
    process.stdout.write(`      (${libs.length} libraries, ${tlsSeen} with TLS, ${ie} with initial-exec relocations)\n`);
  });

  it('names the 4248-byte TLS culprit first, with local symbols from .symtab', function () {
    const r = ti.analyzeSync(fixtures.template('culprit'));
    assert.deepStrictEqual(r.tlsSymbols[0], { name: 'THREAD_RNG_KEY', demangled: null, size: 4248, bind: 'global', defined: true });
    const names = r.tlsSymbols.map((s) => s.name);
    assert.ok(names.includes('ti_small_local'), 'static TLS variable from .symtab');
    assert.strictEqual(r.tlsSymbols.find((s) => s.name === 'ti_small_local').bind, 'local');
    const sizes = r.tlsSymbols.map((s) => s.size);
    assert.deepStrictEqual(sizes, [...sizes].sort((a, b) => b - a), 'largest first');
    // and readelf -sW agrees about the symbol
    const sym = h.readelf(['-sW'], fixtures.template('culprit')).match(/\s(\d+)\s+TLS\s+GLOBAL\s+\S+\s+\S+\s+THREAD_RNG_KEY/);
    assert.strictEqual(Number(sym[1]), 4248);
  });

  it('finds the same culprit in a stripped copy through the dynamic symbols', function () {
    const r = ti.analyzeSync(fixtures.template('culprit-stripped'));
    assert.strictEqual(r.symtab, false);
    assert.deepStrictEqual(r.tlsSymbols[0], { name: 'THREAD_RNG_KEY', demangled: null, size: 4248, bind: 'global', defined: true });
    assert.ok(!r.tlsSymbols.some((s) => s.name === 'ti_small_local'), 'locals are gone with .symtab');
  });

  it('works without section headers at all (dynamic segment only)', function () {
    const src = fixtures.template('initial-exec');
    const data = Buffer.from(fs.readFileSync(src));
    data.writeBigUInt64LE(0n, 0x28); // e_shoff
    data.writeUInt16LE(0, 0x3c);     // e_shnum
    data.writeUInt16LE(0, 0x3e);     // e_shstrndx
    const file = path.join(os.tmpdir(), `ti-noshdr-${process.pid}.so`);
    fs.writeFileSync(file, data);
    try {
      const r = ti.analyzeSync(file);
      const want = ti.analyzeSync(src);
      assert.strictEqual(r.sectionHeaders, false);
      assert.deepStrictEqual(r.tlsRelocations, want.tlsRelocations);
      assert.deepStrictEqual(r.tls, want.tls);
      assert.deepStrictEqual(r.tlsSymbols, want.tlsSymbols.filter((s) => s.bind !== 'local'));
      assert.deepStrictEqual(r.versionNeeds, want.versionNeeds);
    } finally {
      fs.unlinkSync(file);
    }
  });

  it('classifies the TLS model of each fixture from its relocations', function () {
    const expect = { 'global-dynamic': 'global-dynamic', 'local-dynamic': 'local-dynamic',
      'initial-exec': 'initial-exec', tlsdesc: 'tlsdesc' };
    for (const libc of Object.keys(built)) {
      for (const [model, want] of Object.entries(expect)) {
        const r = ti.analyzeSync(fixtures.template(model, libc));
        assert.deepStrictEqual(r.tlsModels, [want], `${libc} ${model}`);
        assert.strictEqual(r.flags.staticTls, model === 'initial-exec', `${libc} ${model} DF_STATIC_TLS`);
      }
    }
  });

  it('tells glibc, musl and static builds apart', function () {
    assert.strictEqual(ti.analyzeSync(fixtures.template('initial-exec', 'glibc')).libc, 'glibc');
    assert.strictEqual(ti.analyzeSync(process.execPath).libc, 'glibc');
    if (!built.musl) h.skip(this, 'musl-gcc not installed: no musl fixtures');
    const m = ti.analyzeSync(fixtures.template('initial-exec', 'musl'));
    assert.strictEqual(m.libc, 'musl');
    assert.strictEqual(m.minGlibc, null);
    const exe = ti.analyzeSync(fixtures.template('local-exec', 'musl'));
    assert.match(exe.interpreter, /ld-musl-/);
  });

  it('reports the Node-API functions an addon imports and the version they need', function () {
    const addon = require('../lib/process/binding').path || path.join(h.ROOT, 'build', 'Release', 'tls_inspect.node');
    const file = fs.existsSync(addon) ? addon : path.join(h.ROOT, 'build', 'Release', 'tls_inspect.node');
    const r = ti.analyzeSync(file);
    const undef = h.readelf(['--dyn-syms', '-W'], file).split('\n')
      .filter((l) => /\sUND\s+napi_\w+/.test(l)).map((l) => l.trim().split(/\s+/).pop().replace(/@.*/, ''));
    assert.deepStrictEqual(r.napi.imports, [...new Set(undef)].sort());
    assert.ok(r.napi.minVersion >= 1 && r.napi.minVersion <= Number(process.versions.napi));
  });

  it('is also async, on the thread pool, with the same result', async function () {
    const file = fixtures.template('culprit');
    assert.deepStrictEqual(await ti.analyze(file), ti.analyzeSync(file));
    const many = await Promise.all(Array.from({ length: 32 }, () => ti.analyze(process.execPath)));
    assert.ok(many.every((r) => r.needed.includes('libc.so.6')));
  });
});

describe('analyze(): errors carry codes', function () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-err-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const code = (fn) => { try { fn(); } catch (e) { return e.code; } return 'no error'; };

  it('TI_ENOENT, TI_EISDIR, TI_ENOTREG, TI_ENOTELF, TI_EINVAL', async function () {
    assert.strictEqual(code(() => ti.analyzeSync(path.join(dir, 'missing'))), 'TI_ENOENT');
    assert.strictEqual(code(() => ti.analyzeSync(dir)), 'TI_EISDIR');
    assert.strictEqual(code(() => ti.analyzeSync('/dev/null')), 'TI_ENOTREG');
    fs.writeFileSync(path.join(dir, 'text'), 'hello');
    assert.strictEqual(code(() => ti.analyzeSync(path.join(dir, 'text'))), 'TI_ENOTELF');
    assert.strictEqual(code(() => ti.analyzeSync(42)), 'TI_EINVAL');
    await assert.rejects(ti.analyze(path.join(dir, 'missing')), { code: 'TI_ENOENT' });
  });

  it('returns promptly for a FIFO instead of blocking on it', function () {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    assert.strictEqual(code(() => ti.analyzeSync(fifo)), 'TI_ENOTREG');
    assert.ok(Date.now() - t0 < 1000);
  });

  it('TI_EACCES for an unreadable file (as an unprivileged user when run as root)', function () {
    const f = path.join(dir, 'secret.so');
    fs.copyFileSync(fixtures.template('initial-exec'), f);
    fs.chmodSync(f, 0);
    fs.chmodSync(dir, 0o755);
    const asRoot = process.getuid && process.getuid() === 0;
    const script = `try { require(${JSON.stringify(h.ROOT)}).analyzeSync(${JSON.stringify(f)}); console.log('read') }
      catch (e) { console.log(e.code) }`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8',
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    if (r.status !== 0 && asRoot) h.skip(this, `cannot run as uid 65534: ${r.stderr.split('\n')[0]}`);
    assert.strictEqual(r.stdout.trim(), 'TI_EACCES', r.stderr);
  });

  it('TI_ETRUNCATED with what was cut, for a file cut after its program headers', function () {
    const f = path.join(dir, 'cut.so');
    fs.writeFileSync(f, fs.readFileSync(fixtures.template('initial-exec')).subarray(0, 300));
    let err;
    try { ti.analyzeSync(f); } catch (e) { err = e; }
    assert.strictEqual(err.code, 'TI_ETRUNCATED');
    assert.strictEqual(err.path, f);
    assert.ok(err.detail.length > 0);
  });
});

describe('analyze(): malformed input never crashes the process', function () {
  this.timeout(300000);
  it('every prefix, bit flips and zeroed windows of a fixture give a result or a coded error', function () {
    const r = h.nodeJson(path.join(__dirname, 'child', 'malformed.js'), [fixtures.template('culprit'), '1500']);
    assert.deepStrictEqual(r.uncoded, []);
    assert.ok(r.runs > 15000, `${r.runs} runs`);
    assert.ok(r.codes.TI_ETRUNCATED > 0 && r.codes.ok > 0);
  });
});

describe('analyze(): demangled names', function () {
  it('C++ thread_local symbols carry the name c++filt gives', function () {
    if (!fixtures.list().glibc.cxx) h.skip(this, 'no C++ compiler: the C++ fixture was not built');
    const file = fixtures.template('cxx');
    const r = ti.analyzeSync(file);
    assert.ok(r.tlsSymbols.length >= 2);
    for (const s of r.tlsSymbols) {
      const want = execFileSync('c++filt', [s.name], { encoding: 'utf8' }).trim();
      assert.strictEqual(s.demangled, want, s.name);
    }
    assert.strictEqual(r.tlsSymbols[0].demangled, 'ti::state');
  });
});
