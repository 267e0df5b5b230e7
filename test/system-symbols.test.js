'use strict';
// Symbol binding off the host: the generated tables against the real files
// they came from, and an addon whose $ORIGIN library lacks a symbol it holds
// a pointer to, judged on named targets and proven with the real loaders.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const SYS = require('../lib/loader/system-symbols');
const { check } = require('../lib');
const { readelfSymbols, haveCommand, skip } = require('./support/helpers');

describe('system symbol tables', () => {
  it('glibc 2.36 (x64) lists exactly what this machine\'s libc.so.6 exports, when it is bookworm\'s', function () {
    const libc = '/lib/x86_64-linux-gnu/libc.so.6';
    if (process.arch !== 'x64' || !fs.existsSync(libc)) return skip(this, 'no x86_64 glibc here');
    const ver = execFileSync('ldd', ['--version']).toString();
    if (!/2\.36/.test(ver)) return skip(this, 'the host glibc is not 2.36');
    const real = readelfSymbols(libc).exports.filter((e) => !/^GLIBC_[\d.]+$|^GLIBC_PRIVATE$/.test(e));
    const t = { cpu: 'x64', libc: 'glibc', glibc: '2.36' };
    const absent = real.filter((e) => {
      const m = /^(.*?)(@@?)(.*)$/.exec(e);
      return !SYS.exports('glibc', t, m ? { name: m[1], version: m[3] } : { name: e }).exported;
    });
    assert.deepStrictEqual(absent, []);
    // and what the table says 2.36 lacks, the real file lacks
    const names = new Set(real.map((e) => e.replace(/@.*/, '')));
    for (const probe of ['__libc_start_main', 'fcntl64', 'gnu_get_libc_version', 'strlcpy', 'pthread_create']) {
      assert.strictEqual(SYS.exports('glibc', t, { name: probe }).exported, names.has(probe), probe);
    }
  });

  it('the Node table of this Node\'s major has what this node binary exports', function () {
    const major = process.versions.node.split('.')[0];
    const { NODE } = require('../lib/loader/targets');
    if (process.arch !== 'x64' || !NODE[major]) return skip(this, 'no table for this Node');
    const real = readelfSymbols(process.execPath).exports.filter((e) => /^(napi_|uv_|_ZN2v8)/.test(e)).slice(0, 3000);
    const t = { cpu: 'x64', runtime: 'node', abi: NODE[major].abi };
    const absent = real.filter((e) => !SYS.exports('node', t, { name: e.replace(/@.*/, '') }).exported);
    // Debian's own node build may differ from the official one: allow a few
    assert.ok(absent.length <= real.length * 0.02, `${absent.length} of ${real.length} missing: ${absent.slice(0, 5)}`);
  });
});

describe('binding on named targets', function () {
  this.timeout(120000);
  let dir, addon;
  before(function () {
    if (!haveCommand('gcc')) return skip(this, 'no gcc');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'symtab-'));
    const c = (name, text) => { fs.writeFileSync(path.join(dir, name), text); return path.join(dir, name); };
    // libdep.so is linked with dep_missing, then replaced by a build without it
    execFileSync('gcc', ['-shared', '-fPIC', '-o', path.join(dir, 'libdep.so'),
      c('dep-full.c', 'int dep_ok(void){return 1;}\nint dep_missing(void){return 2;}\n')]);
    addon = path.join(dir, 'top.node');
    execFileSync('gcc', ['-shared', '-fPIC', '-o', addon, c('top.c',
      'extern int dep_ok(void); extern int dep_missing(void);\n' +
      'int (*keep)(void) = dep_missing;\n' +
      'void *napi_register_module_v1(void *env, void *exports) { (void)env; return dep_ok() ? exports : 0; }\n'),
    `-L${dir}`, '-ldep', '-Wl,-rpath,$ORIGIN', '-Wl,--enable-new-dtags']);
    execFileSync('gcc', ['-shared', '-fPIC', '-o', path.join(dir, 'libdep.so'), c('dep.c', 'int dep_ok(void){return 1;}\n')]);
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('the real glibc loader refuses it (child Node, process.dlopen)', () => {
    const r = spawnSync(process.execPath, ['-e', `try { process.dlopen({ exports: {} }, ${JSON.stringify(addon)}); console.log('loaded') } catch (e) { console.log(e.message) }`]);
    assert.match(r.stdout.toString(), /undefined symbol: dep_missing/);
  });

  it('the real musl loader refuses it too', function () {
    if (!haveCommand('musl-gcc') || !fs.existsSync('/lib/ld-musl-x86_64.so.1')) return skip(this, 'no musl-gcc');
    const src = path.join(dir, 'open.c');
    fs.writeFileSync(src, '#include <dlfcn.h>\n#include <stdio.h>\nint main(int c, char **v) { (void)c;\n' +
      '  void *h = dlopen(v[1], RTLD_LAZY); puts(h ? "loaded" : dlerror()); return 0; }\n');
    execFileSync('musl-gcc', ['-o', path.join(dir, 'open'), src]);
    const out = spawnSync(path.join(dir, 'open'), [addon]).stdout.toString();
    assert.match(out, /dep_missing: symbol not found/);
  });

  for (const target of ['host', 'debian-12', 'glibc@2.36', 'musl@1.2.3', 'alpine-3.19', 'node:20-bookworm']) {
    it(`check() says incompatible on ${target}, naming dep_missing`, async () => {
      const r = await check(addon, { target });
      assert.strictEqual(r.verdict, 'incompatible', JSON.stringify(r.problems));
      const p = r.problems.find((x) => x.code === 'UNDEFINED_SYMBOL');
      assert.ok(p && p.symbols.includes('dep_missing'), JSON.stringify(r.problems));
    });
  }
});

describe('glibc\'s own libraries on named targets', function () {
  this.timeout(120000);
  let dir, addon;
  before(function () {
    if (!haveCommand('gcc')) return skip(this, 'no gcc');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glibclibs-'));
    const src = path.join(dir, 'top.c');
    // sharp's libvips-cpp links libresolv.so.2 like this; libutil.so.1 comes with glibc too
    fs.writeFileSync(src, '#include <resolv.h>\n#include <pty.h>\nint (*use_res)(void) = res_init;\n' +
      'int (*use_pty)(int *, int *, char *, const struct termios *, const struct winsize *) = openpty;\n' +
      'void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }\n');
    addon = path.join(dir, 'top.node');
    execFileSync('gcc', ['-shared', '-fPIC', '-o', addon, src, '-Wl,--no-as-needed', '-lresolv', '-lutil']);
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('the real loader loads an addon needing libresolv.so.2 and libutil.so.1; every glibc target agrees, silently', async () => {
    const needed = execFileSync('readelf', ['-dW', addon]).toString();
    assert.match(needed, /libresolv\.so\.2/);
    const r = spawnSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(addon)}); console.log('loaded')`]);
    assert.strictEqual(r.stdout.toString().trim(), 'loaded', r.stderr.toString());
    // built here (glibc 2.36): res_init and openpty need GLIBC_2.34, so the targets are 2.36 and later
    for (const target of ['host', 'debian-12', 'glibc@2.36', 'node:20-bookworm', 'node:22-trixie']) {
      const c = await check(addon, { target });
      assert.deepStrictEqual(c.problems.map((p) => `${p.code}: ${p.message}`), [], target);
      assert.strictEqual(c.verdict, 'compatible', target);
    }
  });
});
