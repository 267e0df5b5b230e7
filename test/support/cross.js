'use strict';
// Cross compilers, their glibc and qemu-user, shared by the tests of other
// architectures: building the fixtures and the ti-probe for a target, and
// starting its programs under the target's real glibc loader.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const h = require('./helpers');

const SRC = path.join(h.ROOT, 'fixtures', 'src');
const CORE = require('../../scripts/core-sources').coreSources();

// machine: analyze()'s name; readelf: readelf -h's; run: how to start a program under the real loader.
const CROSS = [
  { triple: 'aarch64-linux-gnu', machine: 'aarch64', readelf: 'AArch64', desc: '-mtls-dialect=desc', qemu: 'qemu-aarch64', variant: 1 },
  { triple: 'arm-linux-gnueabihf', machine: 'arm', readelf: 'ARM', desc: '-mtls-dialect=gnu2', qemu: 'qemu-arm', variant: 1 },
  { triple: 'i686-linux-gnu', machine: 'i386', readelf: 'Intel 80386', desc: '-mtls-dialect=gnu2', loader: 'ld-linux.so.2', qemu: 'qemu-i386', variant: 2 },
  { triple: 's390x-linux-gnu', machine: 's390', readelf: 'IBM S/390', qemu: 'qemu-s390x', variant: 2 },
  { triple: 'powerpc64le-linux-gnu', machine: 'ppc64', readelf: 'PowerPC64', qemu: 'qemu-ppc64le', variant: 1 },
  { triple: 'mips-linux-gnu', machine: 'mips', readelf: 'MIPS R3000', qemu: 'qemu-mips', variant: 1 },
  { triple: 'riscv64-linux-gnu', machine: 'riscv', readelf: 'RISC-V', qemu: 'qemu-riscv64', variant: 1 },
];

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000, maxBuffer: 64 << 20 });
  return { ok: !r.error && r.status === 0, out: r.stdout || '', err: r.error ? r.error.message : r.stderr };
}

// Builds the fixtures for one target; returns { dir, files: { name: path } } or { missing: reason }.
function buildCross(c, root) {
  const cc = `${c.triple}-gcc`;
  if (!run(cc, ['--version']).ok) return { missing: `${cc} is not installed (Debian: gcc-${c.triple})` };
  const dir = path.join(root, c.triple);
  fs.mkdirSync(dir, { recursive: true });
  const files = {};
  const lib = (name, flags, src = 'tls_fixture.c') => {
    const out = path.join(dir, `libti-${name}.so`);
    const r = run(cc, ['-O2', '-fPIC', '-shared', ...flags, '-o', out, path.join(SRC, src)]);
    if (!r.ok) throw new Error(`${cc} ${name}: ${r.err}`);
    files[name] = out;
  };
  lib('global-dynamic', ['-ftls-model=global-dynamic']);
  lib('local-dynamic', ['-ftls-model=local-dynamic', '-DTI_FIXTURE_LOCAL']);
  lib('initial-exec', ['-ftls-model=initial-exec']);
  lib('initial-exec-align64', ['-ftls-model=initial-exec', '-DTI_FIXTURE_ALIGN=64']);
  if (c.desc) lib('tlsdesc', [c.desc]);
  lib('culprit', [], 'culprit.c');
  lib('threads', ['-pthread'], 'threads.c');
  files['culprit-stripped'] = path.join(dir, 'libti-culprit-stripped.so');
  fs.copyFileSync(files.culprit, files['culprit-stripped']);
  if (!run(`${c.triple}-strip`, ['--strip-all', files['culprit-stripped']]).ok) delete files['culprit-stripped'];
  if (c.qemu || c.loader) {
    const probe = path.join(dir, 'ti-probe');
    const r = run(cc, ['-O2', '-std=c11', '-pthread', '-rdynamic', '-o', probe, path.join(h.ROOT, 'src', 'probe', 'ti_probe.c'),
      ...CORE, '-ldl']);
    if (!r.ok) throw new Error(`${cc} ti-probe: ${r.err}`);
    files.probe = probe;
  }
  return { dir, files };
}

// The cross glibc's own shared objects: real libraries with TLS, version sections and relocations.
function crossLibraries(c) {
  const dir = `/usr/${c.triple}/lib`;
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /\.so(\.|$)/.test(f)).sort().map((f) => path.join(dir, f))
    .filter((f) => fs.lstatSync(f).isFile() && fs.readFileSync(f).subarray(0, 4).toString('latin1') === '\x7fELF');
}

// The glibc version a libc.so.6 prints when it is run itself (through start).
function glibcVersion(start, libc) {
  const m = start([libc]).out.match(/release version (\d+\.\d+)/);
  return m && m[1];
}

// Starts a program of this target under its real glibc loader, or says why it
// cannot.  A target the kernel may run itself (i386 on x86_64) is started
// natively when the kernel does run it, else under its qemu-user like the
// others: kernels built without 32-bit support refuse it (ENOEXEC, after which
// execvp hands the file to /bin/sh, so the only sure sign is the loader's own
// answer).  TI_TEST_FORCE_QEMU=1 takes the qemu path everywhere.
function launcher(c) {
  const prefix = `/usr/${c.triple}`;
  const reasons = [];
  // With a loader named, programs start through it with the target's library
  // directory first: the host's ld.so.cache may list a 32-bit libc of another
  // build (Debian's libc6-i386 in /lib32), and a loader of one build with a
  // libc of another hangs in pthread_create.
  const viaLoader = c.loader ? [path.join(prefix, 'lib', c.loader), '--library-path', path.join(prefix, 'lib')] : [];
  if (c.loader) {
    const start = (args) => run(viaLoader[0], [...viaLoader.slice(1), ...args]);
    const answer = process.env.TI_TEST_FORCE_QEMU === '1' ? null : start(['--version']);
    if (answer && answer.ok && /version \d+\.\d+/.test(answer.out)) return { start, how: 'native' };
    reasons.push(answer ? `this kernel cannot run ${c.machine} programs (${c.loader} --version: ` +
      `${(answer.err || answer.out).trim().split('\n')[0] || 'no answer'})` : 'TI_TEST_FORCE_QEMU=1');
  }
  if (c.qemu) {
    if (h.haveCommand(c.qemu, ['--version'])) {
      return { start: (args) => run(c.qemu, [...viaLoader, ...args], { QEMU_LD_PREFIX: prefix }), how: c.qemu };
    }
    reasons.push(`${c.qemu} is not installed (Debian: qemu-user)`);
  }
  return { missing: reasons.join('; ') };
}

module.exports = { CROSS, run, buildCross, crossLibraries, launcher, glibcVersion };
