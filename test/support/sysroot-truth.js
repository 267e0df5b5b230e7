'use strict';
// Truth for --sysroot: addons built here (each needing something a root
// file system may or may not have: a GLIBC_/GLIBCXX_ version, a library by
// soname, a symbol of it, static TLS), loaded by the official Node inside a
// copy of the root (chroot: the root's own loader, its ld.so.cache), and
// the official Node binaries started there.  The roots are copied, never
// changed; nothing is mounted.
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, maxBuffer: 64 << 20, ...opts });

const ADDON = 'void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }\n';

// name -> { src, cc?, flags?, needs?: [soname via a stub], stub?: C source of the stubs }
const CORPUS = {
  'plain.node': { src: '#include <string.h>\nint plain(const char *s) { return (int)strlen(s); }\n' },
  'stat.node': { src: '#include <sys/stat.h>\nint st(const char *p) { struct stat s; return stat(p, &s); }\n' },
  'thread.node': { src: '#include <pthread.h>\nstatic void *f(void *a) { return a; }\n' +
    'int th(void) { pthread_t t; return pthread_create(&t, 0, f, 0); }\n' },
  'ffi7.node': { src: 'extern void ffi_call(void);\nvoid c(void) { ffi_call(); }\n', needs: ['libffi.so.7'] },
  'ffi8.node': { src: 'extern void ffi_call(void);\nvoid c(void) { ffi_call(); }\n', needs: ['libffi.so.8'] },
  'crypto11.node': { src: 'extern void OPENSSL_init(void);\nvoid c(void) { OPENSSL_init(); }\n', needs: ['libcrypto.so.1.1'] },
  'crypto3.node': { src: 'extern void OPENSSL_init(void);\nvoid c(void) { OPENSSL_init(); }\n', needs: ['libcrypto.so.3'] },
  'zptr.node': { src: 'extern const char *zlibVersion(void);\nconst char *(*keep)(void) = zlibVersion;\n', needs: ['libz.so.1'] },
  'zbadptr.node': { src: 'extern int zlib_no_such(void);\nint (*keep)(void) = zlib_no_such;\n', needs: ['libz.so.1'] },
  'zbadcall.node': { src: 'extern int zlib_no_such(void);\nint c(void) { return zlib_no_such(); }\n', needs: ['libz.so.1'] },
  // condition_variable::wait's default version is GLIBCXX_3.4.30 from GCC 12 on
  'cxx.node': { cc: 'g++', src: '#include <mutex>\n#include <condition_variable>\nstd::condition_variable cv;\nstd::mutex m;\n' +
    'extern "C" void w() { std::unique_lock<std::mutex> l(m); cv.wait(l); }\n' },
  'ie1000.node': { src: '__thread char big[1000] __attribute__((tls_model("initial-exec")));\nchar *g(int i) { return &big[i]; }\n' },
  'ie2500.node': { src: '__thread char big[2500] __attribute__((tls_model("initial-exec")));\nchar *g(int i) { return &big[i]; }\n' },
  'origin.node': { src: 'extern char *beside(int);\nchar *o(int i) { return beside(i); }\n', beside: true },
};
const STUBS = 'void ffi_call(void) {}\nvoid OPENSSL_init(void) {}\nconst char *zlibVersion(void) { return 0; }\n' +
  'int zlib_no_such(void) { return 0; }\n';
const BESIDE = '__thread char near[400] __attribute__((tls_model("initial-exec")));\nchar *beside(int i) { return &near[i]; }\n';

// Builds the corpus in a new directory: { dir, files: [paths] }.
function buildCorpus() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-sysroot-corpus-'));
  const stubs = path.join(dir, 'stubs');
  fs.mkdirSync(stubs);
  fs.writeFileSync(path.join(stubs, 'stubs.c'), STUBS);
  for (const so of ['libffi.so.7', 'libffi.so.8', 'libcrypto.so.1.1', 'libcrypto.so.3', 'libz.so.1']) {
    execFileSync('gcc', ['-shared', '-fPIC', `-Wl,-soname,${so}`, '-o', path.join(stubs, so), path.join(stubs, 'stubs.c')]);
  }
  const pkg = path.join(dir, 'pkg');
  fs.mkdirSync(pkg);
  fs.writeFileSync(path.join(dir, 'beside.c'), BESIDE);
  execFileSync('gcc', ['-O2', '-shared', '-fPIC', '-Wl,-soname,libbeside.so', '-o', path.join(pkg, 'libbeside.so'), path.join(dir, 'beside.c')]);
  const files = [];
  for (const [name, c] of Object.entries(CORPUS)) {
    const src = path.join(dir, `${name}.${c.cc === 'g++' ? 'cc' : 'c'}`);
    fs.writeFileSync(src, c.src + (c.cc === 'g++' ? `extern "C" ${ADDON}` : ADDON));
    const out = path.join(pkg, name);
    const args = ['-O2', '-shared', '-fPIC', '-o', out, src, `-L${stubs}`, ...(c.needs || []).map((n) => `-l:${n}`)];
    if (c.beside) args.push(`-L${pkg}`, '-lbeside', '-Wl,-rpath,$ORIGIN', '-Wl,--enable-new-dtags');
    execFileSync(c.cc || 'gcc', args);
    files.push(out);
  }
  return { dir, pkg, files };
}

// A root the test may use: root user, chroot, and a copy of the tree.
function canChroot() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root: chroot needs it';
  if (run('chroot', ['--version']).status !== 0) return 'no chroot command';
  return null;
}

// Copies root into a new directory, with the corpus under /pkg and the given
// official Node binaries under /opt/nodeNN: { copy, pkg (inside), nodes }.
function stage(root, corpus, nodes) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-sysroot-copy-'));
  const r = run('cp', ['-a', `${root}/.`, copy]);
  if (r.status !== 0) throw new Error(`cp ${root}: ${r.stderr}`);
  const pkg = path.join(copy, 'pkg');
  run('cp', ['-a', corpus.pkg, pkg]);
  const inNode = {};
  for (const [major, bin] of Object.entries(nodes)) {
    const dir = path.join(copy, 'opt', `node${major}`, 'bin');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(bin, path.join(dir, 'node'));
    fs.chmodSync(path.join(dir, 'node'), 0o755);
    inNode[major] = `/opt/node${major}/bin/node`;
  }
  fs.writeFileSync(path.join(copy, 'pkg', 'drive.js'), DRIVER);
  return { copy, pkg, nodes: inNode };
}

// Node's own dlopen (RTLD_LAZY) inside the root: one JSON line per file.
const DRIVER = `'use strict';
const out = [];
for (const f of process.argv.slice(2)) {
  try { process.dlopen({ exports: {} }, f); out.push({ path: f, loaded: true, error: null }); }
  catch (e) { const m = String(e.message); out.push({ path: f, loaded: /did not self-register/.test(m), error: m }); }
}
console.log(JSON.stringify(out));
`;

// Each addon loaded by its own child (a failed or loaded one does not change the next).
function loadInside(staged, major, names) {
  return names.map((n) => {
    const r = run('chroot', [staged.copy, staged.nodes[major], '/pkg/drive.js', `/pkg/${n}`]);
    if (r.status !== 0 || !r.stdout.trim()) return { path: `/pkg/${n}`, loaded: false, error: (r.stderr || '').trim().split('\n')[0] };
    return JSON.parse(r.stdout.trim().split('\n').pop())[0];
  });
}

// Starting a Node binary inside the root: { ok, error }.
function startInside(staged, major) {
  const r = run('chroot', [staged.copy, staged.nodes[major], '-e', '0']);
  return { ok: r.status === 0, error: r.status === 0 ? null : (r.stderr || '').trim().split('\n')[0] };
}

// The code check() should give for a real loader message (null: loads).
function expectedCode(result) {
  if (result.loaded || result.ok) return null;
  const m = result.error || '';
  if (/cannot open shared object file/.test(m)) return 'MISSING_LIBRARY';
  if (/version `GLIBC_/.test(m)) return 'GLIBC_TOO_OLD';
  if (/version `(GLIBCXX|CXXABI)_/.test(m)) return 'GLIBCXX_TOO_OLD';
  if (/undefined symbol/.test(m)) return 'UNDEFINED_SYMBOL';
  if (/static TLS/.test(m)) return 'STATIC_TLS_EXHAUSTED';
  return 'OTHER';
}

function cleanup(...dirs) {
  for (const d of dirs) if (d) fs.rmSync(d, { recursive: true, force: true });
}

// Agreement of check() with the real loader inside a root: every corpus addon
// judged both as a file of the root and as a package outside it (official Node
// 22's process.dlopen inside the root is the truth), and each official Node
// binary staged there judged as a program (started inside the root).
// The official Node 18, 22 and 26 binaries ({ major: path } of those npm gave),
// staged in each root; null when Node 22, the truth's loader, is missing.
function officialNodes() {
  const { officialNode } = require('./npm-cache');
  const nodes = {};
  for (const major of [18, 22, 26]) {
    const n = officialNode(major);
    if (n.bin) nodes[major] = n.bin;
  }
  return nodes[22] ? nodes : null;
}

const newTally = () => ({ agree: 0, total: 0, differ: [], truth: {} });

function printTally(tally) {
  if (!tally.total) return;
  console.log(`      sysroot agreement: ${tally.agree}/${tally.total} (real outcomes: ${JSON.stringify(tally.truth)})` +
    `${tally.differ.length ? `; differ: ${tally.differ.join('; ')}` : ''}`);
}

function record(tally, want, agrees, what) {
  tally.truth[want || 'loads'] = (tally.truth[want || 'loads'] || 0) + 1;
  tally.total++;
  if (agrees) tally.agree++;
  else tally.differ.push(what);
}

async function compareRoot(root, staged, corpus, tally) {
  const { check } = require('../../lib');
  const names = Object.keys(CORPUS);
  const real = loadInside(staged, 22, names);
  for (const [i, name] of names.entries()) {
    const want = expectedCode(real[i]);
    for (const [where, file] of [['inside', path.join(staged.copy, 'pkg', name)], ['outside', path.join(corpus.pkg, name)]]) {
      const r = await check(file, { sysroot: staged.copy, target: 'node:22-bookworm' });
      const errors = r.problems.filter((p) => p.severity === 'error').map((p) => p.code);
      record(tally, want, want === null ? r.ok : !r.ok && errors.includes(want),
        `${path.basename(root)} ${name} (${where}): loader ${real[i].error || 'loads'}, check ${errors.join(',') || r.verdict}`);
    }
  }
  for (const major of Object.keys(staged.nodes)) {
    const started = startInside(staged, major);
    const r = await check(path.join(staged.copy, staged.nodes[major].slice(1)), { sysroot: staged.copy });
    const want = expectedCode(started);
    const errors = r.problems.filter((p) => p.severity === 'error').map((p) => p.code);
    record(tally, want, want === null ? r.ok : errors.includes(want),
      `${path.basename(root)} node ${major}: loader ${started.error || 'starts'}, check ${errors.join(',') || r.verdict}`);
  }
}

module.exports = { CORPUS, buildCorpus, canChroot, stage, loadInside, startInside, expectedCode, cleanup, officialNodes, newTally, printTally,
  compareRoot };
