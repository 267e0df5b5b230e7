'use strict';
// --sysroot: a target's root file system judged as the host is, against the
// real loader inside that root (chroot, the official Node); paths in a
// hostile tree never lead outside it; ld.so.cache in both formats.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { check, checkSync } = require('../lib');
const { resolveSync } = require('../lib/loader/sysroot');
const { parseLdCache } = require('../lib/loader/resolve');
const { resolveTarget } = require('../lib/loader/targets');
const h = require('./support/helpers');
const T = require('./support/sysroot-truth');

const HOST_LIBS = ['libc.so.6', 'ld-linux-x86-64.so.2', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'libgcc_s.so.1', 'libstdc++.so.6'];
const MULTIARCH = '/lib/x86_64-linux-gnu';

// A small root made from this machine's own libraries (x86_64 Debian-like),
// with its cache written by ldconfig -r in the given format.
function smallRoot(format = 'new') {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-smallroot-'));
  const lib = path.join(root, 'usr', MULTIARCH);
  fs.mkdirSync(lib, { recursive: true });
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  fs.mkdirSync(path.join(root, 'usr', 'lib64'), { recursive: true });
  fs.symlinkSync('usr/lib64', path.join(root, 'lib64'));
  // an absolute link, as Debian ships it: it must resolve inside the root
  fs.symlinkSync(`${MULTIARCH}/ld-linux-x86-64.so.2`, path.join(root, 'usr', 'lib64', 'ld-linux-x86-64.so.2'));
  for (const n of HOST_LIBS) fs.copyFileSync(fs.realpathSync(path.join(MULTIARCH, n)), path.join(lib, n));
  fs.mkdirSync(path.join(root, 'etc', 'ld.so.conf.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  fs.writeFileSync(path.join(root, 'etc', 'ld.so.conf.d', 'x.conf'), `${MULTIARCH}\n/usr${MULTIARCH}\n/opt/extra\n`);
  fs.mkdirSync(path.join(root, 'opt', 'extra'), { recursive: true });
  execFileSync('ldconfig', ['-r', root, '-c', format]);
  return root;
}

const hostReady = () => process.arch === 'x64' && HOST_LIBS.every((n) => fs.existsSync(path.join(MULTIARCH, n)));

describe('sysroot: paths resolve inside the root, whatever its links say', function () {
  let root, outside;
  before(function () {
    if (!hostReady() || !h.haveCommand('gcc')) return h.skip(this, 'needs an x86_64 Debian-like host with gcc');
    root = smallRoot();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-outside-'));
    // a real, loadable library outside the root that hostile links point at
    const src = path.join(outside, 's.c');
    fs.writeFileSync(src, 'int secret(void) { return 1; }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libsecret.so.1', '-o', path.join(outside, 'libsecret.so.1'), src]);
    const lib = path.join(root, 'usr', MULTIARCH);
    fs.symlinkSync(path.join(outside, 'libsecret.so.1'), path.join(lib, 'libsecret.so.1')); // absolute, to the host
    fs.symlinkSync(`${'../'.repeat(12)}${outside.slice(1)}/libsecret.so.1`, path.join(lib, 'libupward.so.1')); // .. past the root
    fs.symlinkSync(outside, path.join(root, 'opt', 'extra', 'dir')); // a directory link out
    fs.symlinkSync('loop2', path.join(lib, 'loop1'));
    fs.symlinkSync('loop1', path.join(lib, 'loop2'));
  });
  after(() => T.cleanup(root, outside));

  it('an absolute link starts again at the root; .. stops there; a loop ends with ELOOP', function () {
    const real = fs.realpathSync(root);
    assert.strictEqual(resolveSync(real, '/usr/lib64/ld-linux-x86-64.so.2').path, `${real}/usr${MULTIARCH}/ld-linux-x86-64.so.2`);
    assert.strictEqual(resolveSync(real, '/lib64/../../../lib/x86_64-linux-gnu/libc.so.6').path, `${real}/usr${MULTIARCH}/libc.so.6`);
    for (const p of [`${MULTIARCH}/libsecret.so.1`, `${MULTIARCH}/libupward.so.1`, '/opt/extra/dir/libsecret.so.1']) {
      const r = resolveSync(real, p);
      assert.ok(!r.path || r.path.startsWith(`${real}/`), `${p} -> ${r.path}`);
      assert.strictEqual(r.code, 'ENOENT', `${p}: ${JSON.stringify(r)}`);
    }
    assert.strictEqual(resolveSync(real, `${MULTIARCH}/loop1`).code, 'ELOOP');
  });

  it('check() never takes the library outside: MISSING_LIBRARY, as the loader chrooted there says', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-hostile-'));
    try {
      for (const needed of ['libsecret.so.1', 'libupward.so.1']) {
        const src = path.join(dir, 'a.c');
        fs.writeFileSync(src, `extern int secret(void);\nint a(void) { return secret(); }\n${'void *napi_register_module_v1(void *e, void *x) { (void)e; return x; }'}\n`);
        const stub = path.join(dir, needed);
        execFileSync('gcc', ['-shared', '-fPIC', `-Wl,-soname,${needed}`, '-o', stub, path.join(outside, 's.c')]);
        const addon = path.join(dir, `${needed}.node`);
        execFileSync('gcc', ['-shared', '-fPIC', '-o', addon, src, `-L${dir}`, `-l:${needed}`]);
        fs.unlinkSync(stub);
        assert.strictEqual(checkSync(addon).verdict !== undefined, true);
        const r = checkSync(addon, { sysroot: root });
        const p = r.problems.find((x) => x.code === 'MISSING_LIBRARY');
        assert.ok(p && p.severity === 'error' && p.library === needed, JSON.stringify(r.problems));
        assert.ok(!r.closure.some((c) => c.path && c.path.startsWith(outside)), JSON.stringify(r.closure));
        // the loader of the root, chrooted there, does not find it either
        if (!T.canChroot()) {
          fs.copyFileSync(addon, path.join(root, 'a.node'));
          const list = spawnSync('chroot', [root, '/lib64/ld-linux-x86-64.so.2', '--list', '/a.node'], { encoding: 'utf8' });
          assert.notStrictEqual(list.status, 0);
          assert.match(list.stdout + list.stderr, new RegExp(`${needed.replace(/\./g, '\\.')}(: cannot open shared object file| => not found)`));
          fs.unlinkSync(path.join(root, 'a.node'));
        }
      }
      // the /opt/extra/dir link out of the root: the cache's directory, read inside only
      const r = checkSync(path.join(dir, 'libsecret.so.1.node'), { sysroot: root });
      assert.ok(r.problems.some((x) => x.code === 'MISSING_LIBRARY'));
    } finally {
      T.cleanup(dir);
    }
  });
});

describe('sysroot: the target\'s facts and its ld.so.cache', function () {
  let roots = [];
  before(function () { if (!hostReady()) return h.skip(this, 'needs an x86_64 Debian-like host'); });
  after(() => T.cleanup(...roots));

  for (const format of ['new', 'compat']) {
    it(`reads a ${format}-format cache as ldconfig -p reads it`, function () {
      const root = smallRoot(format);
      roots.push(root);
      const buf = fs.readFileSync(path.join(root, 'etc', 'ld.so.cache'));
      const ours = parseLdCache(buf, 0x0303);
      const truth = new Map();
      for (const line of execFileSync('ldconfig', ['-p', '-C', path.join(root, 'etc', 'ld.so.cache')], { encoding: 'utf8' }).split('\n')) {
        const m = /^\s+(\S+) \(libc6,x86-64\) => (\S+)$/.exec(line);
        if (m && !truth.has(m[1])) truth.set(m[1], m[2]);
      }
      assert.ok(truth.size >= HOST_LIBS.length, `${truth.size} entries`);
      assert.deepStrictEqual([...ours].sort(), [...truth].sort());
    });
  }

  it('describes the root: libc family, release and libstdc++ from its files', function () {
    const root = smallRoot();
    roots.push(root);
    const t = resolveTarget('host', { sysroot: root });
    const release = /release version (\d+\.\d+)/.exec(spawnSync(path.join(MULTIARCH, 'libc.so.6'), { encoding: 'utf8' }).stdout)[1];
    assert.deepStrictEqual([t.kind, t.libc, t.glibc, t.cpu, t.lib], ['sysroot', 'glibc', release, 'x64', 'lib/x86_64-linux-gnu']);
    const cxx = h.readelfSymbols(path.join(MULTIARCH, 'libstdc++.so.6')).exports.map((e) => /GLIBCXX_(\d[\d.]*)$/.exec(e))
      .filter(Boolean).map((m) => m[1]).sort(h.cmpVersion).pop();
    assert.strictEqual(t.glibcxx, cxx);
    assert.throws(() => resolveTarget('alpine', { sysroot: root }), (e) => e.code === 'TI_EINVAL');
    assert.throws(() => resolveTarget('host', { sysroot: path.join(root, 'nope') }), (e) => e.code === 'TI_ENOENT');
  });
});

// The agreement matrix on a small root built here; test/systems/sysroot.test.js
// runs it on the lab's Debian roots and on any named by TI_TEST_SYSROOTS.
describe('sysroot: verdicts equal the real loader inside the root', function () {
  this.timeout(1800000);
  let corpus, nodes, why;
  before(function () {
    why = T.canChroot() || (!hostReady() && 'needs an x86_64 Debian-like host') || (!h.haveCommand('g++') && 'no g++');
    if (why) return h.skip(this, why);
    nodes = T.officialNodes();
    if (!nodes) return h.skip(this, (why = 'the official Node 22 binary could not be fetched from npm'));
    corpus = T.buildCorpus();
  });
  after(() => corpus && T.cleanup(corpus.dir));

  const tally = T.newTally();
  after(() => T.printTally(tally));
  const compare = (root, staged) => T.compareRoot(root, staged, corpus, tally);

  it('a small root built from this machine\'s libraries', async function () {
    if (why) return this.skip();
    const root = smallRoot();
    const staged = T.stage(root, corpus, nodes);
    try {
      const before = tally.total - tally.agree;
      await compare(root, staged);
      assert.strictEqual(tally.total - tally.agree, before, tally.differ.join('\n'));
    } finally {
      T.cleanup(root, staged.copy);
    }
  });

});

describe('sysroot: a musl root, judged as the musl loader chrooted there loads', function () {
  this.timeout(300000);
  let root;
  before(function () {
    const why = T.canChroot() || (process.arch !== 'x64' && 'x86_64 only') ||
      (!fs.existsSync('/lib/ld-musl-x86_64.so.1') && 'musl is not installed') ||
      (!require('../lib/reproduce').list().musl && 'no musl fixtures (node scripts/build-fixtures.js with musl-gcc)') ||
      (!h.haveCommand('gcc') && 'no gcc');
    if (why) return h.skip(this, why);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-muslroot-'));
    for (const d of ['lib', 'etc', 'usr/lib', 't']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(fs.realpathSync('/lib/ld-musl-x86_64.so.1'), path.join(root, 'lib', 'ld-musl-x86_64.so.1'));
    fs.writeFileSync(path.join(root, 'etc', 'ld-musl-x86_64.path'), '/lib\n/usr/lib\n');
    const probe = require('../lib/reproduce').template('probe', 'musl');
    fs.copyFileSync(probe, path.join(root, 't', 'ti-probe'));
    fs.chmodSync(path.join(root, 't', 'ti-probe'), 0o755);
    const musl = path.dirname(probe);
    for (const f of fs.readdirSync(musl).filter((x) => x.endsWith('.so'))) fs.copyFileSync(path.join(musl, f), path.join(root, 't', f));
    // glibc builds: what musl has, a fortified call, a pointer to a glibc-only function
    const srcs = { 'g-plain.so': '#include <string.h>\nint f(const char *s) { return (int)strlen(s); }\n',
      'g-chk.so': '#include <stdio.h>\nint f(char *b, int n, const char *s) { return snprintf(b, n, "%s", s); }\n',
      'g-ptr.so': '#include <gnu/libc-version.h>\nconst char *(*keep)(void) = gnu_get_libc_version;\n' };
    for (const [name, src] of Object.entries(srcs)) {
      fs.writeFileSync(path.join(root, `${name}.c`), src);
      execFileSync('gcc', ['-O2', '-D_FORTIFY_SOURCE=2', '-fPIC', '-shared', '-o', path.join(root, 't', name), path.join(root, `${name}.c`)]);
    }
  });
  after(() => root && T.cleanup(root));

  it('the root\'s facts: musl, its release from its exports', function () {
    const t = resolveTarget('host', { sysroot: root });
    const version = /Version (\S+)/.exec(spawnSync('/lib/ld-musl-x86_64.so.1', [], { encoding: 'utf8' }).stderr)[1];
    assert.deepStrictEqual([t.libc, t.musl, t.cpu], ['musl', version, 'x64']);
  });

  it('every library there: check() agrees with the chrooted musl loader (RTLD_LAZY)', async function () {
    const names = fs.readdirSync(path.join(root, 't')).filter((f) => f.endsWith('.so')).sort();
    const differ = [];
    for (const name of names) {
      const out = spawnSync('chroot', [root, '/t/ti-probe', '--lazy', '--dlopen', `/t/${name}`], { encoding: 'utf8' }).stdout;
      const real = JSON.parse(out).loads[0];
      const r = await check(path.join(root, 't', name), { sysroot: root });
      if (r.ok !== real.loaded) differ.push(`${name}: loader ${real.error || 'loads'}, check ${r.problems.map((p) => p.code)}`);
    }
    assert.ok(names.length >= 10, names.join());
    assert.deepStrictEqual(differ, []);
    // the tree has no libstdc++ or libgcc_s: Node itself would not start there, said once per file
    const r = await check(path.join(root, 't', names[0]), { sysroot: root });
    const missing = ['libstdc++.so.6', 'libgcc_s.so.1'].filter((n) => !fs.existsSync(path.join(root, 'lib', n)) && !fs.existsSync(path.join(root, 'usr', 'lib', n)));
    const w = r.problems.find((p) => p.code === 'MISSING_LIBRARY' && p.neededBy === 'node');
    assert.deepStrictEqual(w && [w.severity, w.libraries], ['warning', missing]);
  });
});

describe('sysroot: a Debian cross sysroot (/usr/aarch64-linux-gnu), against its loader under qemu', function () {
  this.timeout(120000);
  const root = '/usr/aarch64-linux-gnu';
  let dir;
  before(function () {
    if (!fs.existsSync(`${root}/lib/libc.so.6`)) return h.skip(this, `${root} is not installed (libc6-dev-arm64-cross)`);
    if (!h.haveCommand('aarch64-linux-gnu-gcc') || !h.haveCommand('qemu-aarch64', ['--version'])) return h.skip(this, 'no aarch64 gcc or qemu-aarch64');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-cross-'));
  });
  after(() => dir && T.cleanup(dir));

  it('the target is arm64 glibc; a library the sysroot has is found there, one it lacks is MISSING_LIBRARY', async function () {
    const cc = (out, src, args = []) => {
      fs.writeFileSync(`${out}.c`, src);
      execFileSync('aarch64-linux-gnu-gcc', ['-shared', '-fPIC', '-o', out, `${out}.c`, ...args]);
    };
    const addon = 'void *napi_register_module_v1(void *e, void *x) { (void)e; return x; }\n';
    cc(path.join(dir, 'libg.so.1'), 'int g(void) { return 0; }\n', ['-Wl,-soname,libg.so.1']);
    cc(path.join(dir, 'atomic.node'), `#include <stdatomic.h>\n_Atomic long double v;\nint f(void) { return atomic_is_lock_free(&v); }\n${addon}`, ['-latomic']);
    cc(path.join(dir, 'needs-g.node'), `int g(void);\nint f(void) { return g(); }\n${addon}`, [`-L${dir}`, '-l:libg.so.1']);
    fs.unlinkSync(path.join(dir, 'libg.so.1'));
    const t = resolveTarget('host', { sysroot: root });
    assert.deepStrictEqual([t.cpu, t.libc, t.lib], ['arm64', 'glibc', 'lib']);
    for (const name of ['atomic.node', 'needs-g.node']) {
      const file = path.join(dir, name);
      const real = spawnSync('qemu-aarch64', ['-L', root, `${root}/lib/ld-linux-aarch64.so.1`, '--list', file], { encoding: 'utf8' });
      const r = await check(file, { sysroot: root });
      assert.strictEqual(r.ok, real.status === 0, `${name}: ${real.stdout}${real.stderr} / ${JSON.stringify(r.problems)}`);
      if (real.status !== 0) assert.deepStrictEqual(r.problems.map((p) => [p.code, p.library]), [['MISSING_LIBRARY', 'libg.so.1']]);
      else assert.ok(r.closure.some((c) => c.name === 'libatomic.so.1' && c.path === fs.realpathSync(`${root}/lib/libatomic.so.1`)), JSON.stringify(r.closure));
    }
  });
});

describe('sysroot: this machine\'s own root judged from its files equals the live host', function () {
  this.timeout(300000);
  it('every glibc fixture: the same verdict and error codes with --sysroot / as on the host', async function () {
    const fixtures = require('../lib/reproduce');
    const dir = fixtures.list().glibc && path.dirname(fixtures.template('global-dynamic', 'glibc'));
    if (!dir || process.arch !== 'x64') return h.skip(this, 'no glibc fixtures (node scripts/build-fixtures.js)');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.so')).map((f) => path.join(dir, f));
    const codes = (r) => r.problems.filter((p) => p.severity === 'error').map((p) => p.code).sort().join();
    const differ = [];
    for (const f of files) {
      const host = await check(f);
      const root = await check(f, { sysroot: '/' });
      if (host.verdict !== root.verdict || codes(host) !== codes(root)) differ.push(`${f}: ${host.verdict} ${codes(host)} / ${root.verdict} ${codes(root)}`);
    }
    assert.ok(files.length >= 8);
    assert.deepStrictEqual(differ, []);
    // musl installed beside glibc (Debian's musl package) does not make this a musl system
    assert.strictEqual(resolveTarget('host', { sysroot: '/' }).libc, 'glibc');
  });
});
