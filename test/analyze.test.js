'use strict';
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

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
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-err-')); });
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

// Small builds made here, for facts no fixture has.
function compile(dir, out, args, compiler = 'gcc') {
  const r = spawnSync(compiler, ['-o', path.join(dir, out), ...args], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? path.join(dir, out) : null;
}

describe('analyze(): imports, exports and whose TLS a relocation targets', function () {
  this.timeout(120000);
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-imports-'));
    fs.writeFileSync(path.join(dir, 'def.c'), '__thread int shared_tls = 1; int shared_obj = 2;\n' +
      'int shared_fn(void) { return 3; }\n');
    fs.writeFileSync(path.join(dir, 'use.c'), 'extern __thread int shared_tls; extern int shared_obj;\n' +
      'int shared_fn(void); static __thread int own_tls; __thread int own_global;\n' +
      'int use(void) { return shared_tls + shared_obj + shared_fn() + own_tls + own_global; }\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [dialect, flags] of [['initial-exec', ['-ftls-model=initial-exec']], ['TLS descriptors', ['-mtls-dialect=gnu2']]]) {
    it(`${dialect}: an import through TPOFF/TLSDESC, the file's own block apart, as readelf -rW shows them`, function () {
      const def = compile(dir, 'libdef.so', ['-shared', '-fPIC', '-Wl,-soname,libdef.so', 'def.c']);
      const use = compile(dir, `libuse-${flags[0].slice(1)}.so`, ['-shared', '-fPIC', '-O1', ...flags, 'use.c', def]);
      if (!use) h.skip(this, `gcc cannot build ${dialect} TLS here`);
      const a = h.compareAnalyzeWithReadelf(ti, use);
      const imp = Object.fromEntries(a.imports.map((m) => [m.name, m]));
      const ie = dialect === 'initial-exec';
      assert.deepStrictEqual([imp.shared_tls.type, imp.shared_tls.initialExec, imp.shared_tls.tlsdesc], ['tls', ie, !ie]);
      assert.ok(imp.shared_tls.other > 0 && imp.shared_tls.plt === 0 && imp.shared_tls.got === 0);
      assert.deepStrictEqual([imp.shared_obj.type, imp.shared_obj.got > 0, imp.shared_obj.plt], ['object', true, 0]);
      assert.deepStrictEqual([imp.shared_fn.type, imp.shared_fn.plt > 0], ['func', true]);
      assert.ok(ie ? a.tlsRelocations.tpoffOwn >= 1 : a.tlsRelocations.tlsdescOwn >= 1, JSON.stringify(a.tlsRelocations));
      assert.strictEqual(ie ? a.tlsRelocations.tpoff - a.tlsRelocations.tpoffOwn : a.tlsRelocations.tlsdesc - a.tlsRelocations.tlsdescOwn, 1);
      assert.ok(a.exports.includes('use') && a.exports.includes('own_global') && !a.exports.includes('own_tls'));
    });
  }

  it('thousands of exports, packed on first use: what readelf lists; a file changed since is refused (TI_EIO)', function () {
    const n = 3000; // more than the addon packs at once (TI_PACK_EAGER_EXPORTS)
    fs.writeFileSync(path.join(dir, 'many.c'), Array.from({ length: n }, (_, i) => `int exported_${i}(void) { return ${i}; }\n`).join(''));
    const lib = compile(dir, 'libmany.so', ['-shared', '-fPIC', 'many.c']);
    const a = ti.analyzeSync(lib);
    assert.strictEqual(typeof Object.getOwnPropertyDescriptor(a, 'exports').get, 'function', 'left for first use');
    h.compareAnalyzeWithReadelf(ti, lib); // every fact, exports too
    assert.deepStrictEqual(a.exports, h.readelfSymbols(lib).exports);
    assert.deepStrictEqual(Object.keys(a), Object.keys(ti.analyzeSync(path.join(dir, 'libdef.so'))), 'the same keys, in order');
    const b = ti.analyzeSync(lib);
    const bytes = fs.readFileSync(lib);
    fs.writeFileSync(lib, Buffer.concat([bytes, Buffer.from([0])])); // the same exports, another version of the file
    assert.throws(() => b.exports, (e) => e.code === 'TI_EIO' && /changed/.test(e.message));
    assert.strictEqual(ti.analyzeSync(lib).exports.length, a.exports.length);
  });

  it('versioned exports: name@@VERSION for the default, name@VERSION for a hidden one', function () {
    fs.writeFileSync(path.join(dir, 'ver.c'), 'int f_old(void) { return 1; } int f_new(void) { return 2; }\n' +
      '__asm__(".symver f_old,f@V1"); __asm__(".symver f_new,f@@V2");\nint plain(void) { return 3; }\n');
    fs.writeFileSync(path.join(dir, 'ver.map'), 'V1 { global: plain; f; local: *; }; V2 { global: f; } V1;\n');
    const lib = compile(dir, 'libver.so', ['-shared', '-fPIC', '-Wl,--version-script,ver.map', 'ver.c']);
    const a = h.compareAnalyzeWithReadelf(ti, lib);
    assert.ok(a.exports.includes('f@V1') && a.exports.includes('f@@V2') && a.exports.includes('plain@@V1'), a.exports.join());
  });
});

describe('analyze(): which libc a file was built for', function () {
  this.timeout(120000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-libc-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name, text) => fs.writeFileSync(path.join(dir, name), text);

  it('minGlibc counts glibc\'s own libraries only: a musl build needing libgcc_s\'s GLIBC_2.0 has none', function () {
    if (!h.haveCommand('musl-gcc')) h.skip(this, 'musl-gcc is not installed');
    // libgcc_s defines a GLIBC_2.0 node of its own (for __register_frame_info); GLIBC_2.99
    // stands for any such node above what the file needs from glibc itself
    write('gcc_s.c', 'void __register_frame_info(void) {} void _Unwind_Resume(void) {} void ti_future(void) {}\n');
    write('gcc_s.map', 'GLIBC_2.0 { global: __register_frame_info; }; GCC_3.0 { global: _Unwind_Resume; local: *; };\n' +
      'GLIBC_2.99 { global: ti_future; };\n');
    fs.mkdirSync(path.join(dir, 'stub'), { recursive: true });
    const stub = compile(dir, 'stub/libgcc_s.so.1', ['-shared', '-fPIC', '-nostdlib', '-Wl,-soname,libgcc_s.so.1',
      '-Wl,--version-script,gcc_s.map', 'gcc_s.c']);
    fs.symlinkSync('libgcc_s.so.1', path.join(dir, 'stub', 'libgcc_s.so'));
    write('addon.c', '#include <stdio.h>\nvoid __register_frame_info(void); void _Unwind_Resume(void); void ti_future(void);\n' +
      'void ti_addon(void) { __register_frame_info(); _Unwind_Resume(); ti_future(); puts("x"); }\n');
    const musl = compile(dir, 'addon-musl.so', ['-shared', '-fPIC', 'addon.c', '-Lstub', '-lgcc_s'], 'musl-gcc');
    const glibc = compile(dir, 'addon-glibc.so', ['-shared', '-fPIC', 'addon.c', '-Lstub', '-lgcc_s']);
    assert.ok(stub && musl && glibc);
    assert.match(h.readelf(['-V'], musl), /File: libgcc_s\.so\.1[\s\S]*Name: GLIBC_2\.0/);
    const m = h.compareAnalyzeWithReadelf(ti, musl);
    assert.deepStrictEqual([m.libc, m.minGlibc], ['musl', null]);
    assert.deepStrictEqual(m.versionNeeds['libgcc_s.so.1'].sort(), ['GCC_3.0', 'GLIBC_2.0', 'GLIBC_2.99']);
    const g = h.compareAnalyzeWithReadelf(ti, glibc);
    assert.strictEqual(g.libc, 'glibc');
    const fromLibc = g.versionNeeds['libc.so.6'].filter((v) => /^GLIBC_2/.test(v)).map((v) => v.slice(6));
    assert.ok(fromLibc.length > 0);
    assert.strictEqual(g.minGlibc, fromLibc.sort(h.cmpVersion).pop());
  });

  it('a static-pie executable is static', function () {
    write('main.c', 'int main(void) { return 0; }\n');
    const exe = compile(dir, 'static-pie', ['-static-pie', 'main.c']);
    if (!exe) h.skip(this, 'gcc cannot link -static-pie here (no static libc)');
    const a = ti.analyzeSync(exe);
    assert.deepStrictEqual([a.type, a.interpreter, a.needed, a.flags.pie], ['DYN', null, [], true]);
    assert.doesNotMatch(h.readelf(['-lW'], exe), /INTERP/);
    assert.strictEqual(a.libc, 'static');
  });

  describe('Android (bionic) binaries are android, never musl', function () {
    // No NDK here: bionic's marks made with gcc, against stub libraries named like bionic's.
    before(() => {
      write('bionic.c', 'int android_fn(void) { return 1; }\n');
      write('libc.map', 'LIBC { global: android_fn; local: *; };\n');
      write('user.c', 'int android_fn(void);\nint ti_user(void) { return android_fn(); }\nint main(void) { return 0; }\n');
      write('note.s', '.section .note.android.ident,"a",%note\n.balign 4\n.long 2f-1f\n.long 4f-3f\n.long 1\n' +
        '1: .asciz "Android"\n2: .balign 4\n3: .long 30\n4:\n.section .note.GNU-stack,"",%progbits\n');
      for (const d of ['versioned', 'plain']) fs.mkdirSync(path.join(dir, d), { recursive: true });
      const lib = ['-shared', '-fPIC', '-nostdlib'];
      compile(dir, 'versioned/libc.so', [...lib, '-Wl,-soname,libc.so', '-Wl,--version-script,libc.map', 'bionic.c']);
      compile(dir, 'plain/libc.so', [...lib, '-Wl,-soname,libc.so', 'bionic.c']);
      compile(dir, 'plain/liblog.so', [...lib, '-Wl,-soname,liblog.so', 'bionic.c']);
    });

    const builds = {
      'a LIBC version need on libc.so': ['lib-versioned.so', ['-shared', '-fPIC', '-nostdlib', 'user.c', 'versioned/libc.so']],
      'the /system/bin/linker64 interpreter': ['exe-linker64', ['-fPIE', '-pie', '-nostdlib', '-Wl,-e,main',
        '-Wl,--dynamic-linker=/system/bin/linker64', 'user.c', 'plain/libc.so']],
      'liblog.so among the needed libraries': ['lib-liblog.so', ['-shared', '-fPIC', '-nostdlib', '-Wl,--no-as-needed',
        'user.c', 'plain/libc.so', 'plain/liblog.so']],
      'the Android ident note': ['lib-note.so', ['-shared', '-fPIC', '-nostdlib', 'user.c', 'note.s', 'plain/libc.so']],
    };
    for (const [what, [out, args]] of Object.entries(builds)) {
      it(what, async function () {
        const file = compile(dir, out, args);
        if (!file) h.skip(this, `gcc cannot build ${out} here`);
        const a = h.compareAnalyzeWithReadelf(ti, file);
        assert.ok(a.needed.includes('libc.so'), a.needed.join());
        assert.strictEqual(a.libc, 'android');
        // never called compatible on Alpine (its libc.so is musl's name too)
        const r = await ti.check(file, { target: 'alpine' });
        assert.ok(r.problems.some((p) => p.code === 'LIBC_MISMATCH' && /Android/.test(p.message)), JSON.stringify(r.problems));
      });
    }

    it('the same library without any of those marks stays musl', function () {
      const file = compile(dir, 'lib-plain.so', ['-shared', '-fPIC', '-nostdlib', 'user.c', 'plain/libc.so']);
      assert.strictEqual(ti.analyzeSync(file).libc, 'musl');
    });
  });
});

describe('analyze(): time grows linearly with the file', function () {
  this.timeout(300000);
  const { sharedObject, STT } = require('./support/elf-build');
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-linear-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const timed = (file) => {
    const t0 = process.hrtime.bigint();
    const a = ti.analyzeSync(file);
    return { a, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };

  it('200,000 TLS symbols (and 1,000 repeated) in seconds, each once', function () {
    const n = 200000;
    // names alike in length, head and tail: only a hash of the whole name tells them apart
    const syms = Array.from({ length: n }, (_, i) => ({ name: `tls_aaaaaaaa${String(i).padStart(6, '0')}zzzzzzzz`,
      type: STT.TLS, shndx: 5, size: 8 + (i % 7) }));
    for (let i = 0; i < 1000; i++) syms.push({ ...syms[i * 7] });
    const file = path.join(dir, 'tls.so');
    fs.writeFileSync(file, sharedObject({ syms, tls: { size: 16 * n } }).bytes);
    const { a, ms } = timed(file);
    assert.strictEqual(a.tlsSymbols.length, n);
    assert.strictEqual(new Set(a.tlsSymbols.map((s) => s.name)).size, n);
    assert.deepStrictEqual(a.tlsSymbols[0], { name: 'tls_aaaaaaaa000006zzzzzzzz', demangled: null, size: 14, bind: 'global',
      defined: true });
    assert.ok(ms < 10000, `${ms.toFixed(0)} ms`);
  });

  it('300,000 imports over 32,000 versions in seconds', function () {
    const n = 300000, versions = 32000;
    const needs = [{ file: 'libv.so.1', versions: Array.from({ length: versions }, (_, i) => `V_${i}`) }];
    const name = (i) => `imp_aaaaaaaa${String(i).padStart(6, '0')}zzzzzzzz`;
    const syms = Array.from({ length: n }, (_, i) => ({ name: name(i), need: ['libv.so.1', `V_${(i * 7) % versions}`] }));
    const file = path.join(dir, 'versions.so');
    fs.writeFileSync(file, sharedObject({ syms, needs, needed: ['libv.so.1'] }).bytes);
    const { a, ms } = timed(file);
    assert.strictEqual(a.imports.length, n);
    assert.deepStrictEqual(a.imports[1], { name: name(1), version: 'V_7', from: 'libv.so.1', type: 'func', weak: false,
      plt: 0, got: 0, other: 0, initialExec: false, tlsdesc: false });
    assert.strictEqual(Object.keys(a.symbolVersions).length, versions);
    assert.deepStrictEqual(a.symbolVersions.V_7, [name(1), name(32001), name(64001), name(96001), name(128001),
      name(160001), name(192001), name(224001), name(256001), name(288001)]);
    assert.strictEqual(a.versionNeeds['libv.so.1'].length, versions);
    assert.ok(ms < 6000, `${ms.toFixed(0)} ms`);
  });
});
