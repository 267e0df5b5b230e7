'use strict';
// Where a file is meant to load: this process (host), or a system described
// in npm's vocabulary (os, cpu, libc) plus what the loader there is known to
// be (glibc or musl release, libstdc++'s GLIBCXX, the Node or Electron ABI
// and Node-API level, the static TLS rules of the architecture).
//
// Sources of the numbers:
// - glibc, GLIBCXX: each distribution's own packages (libc6, libstdc++6;
//   Alpine: musl, libstdc++), e.g. Debian 12 bookworm glibc 2.36 / GCC 12.
// - musl per Alpine release: Alpine's musl package (3.18, 3.19: 1.2.4;
//   3.20-3.22: 1.2.5).
// - NODE_MODULE_VERSION: node-abi's abi_registry.json (4.40.0); Node-API
//   level: Node's NAPI_VERSION per release (src/node_version.h): 8 in 16.x,
//   9 in 18.17+ and 20.x, 10 in 22.14+ and 24.x.
// - Electron: node-abi's registry for NODE_MODULE_VERSION, the Node version
//   each Electron major bundles (Electron's release notes) for Node-API.
// - Static TLS per architecture (glibc): the TLS variant and the static
//   area's alignment measured under each architecture's real loader
//   (test/slow/arch.test.js); the surplus is glibc's default 288 * 4 + 512.
const { tiError } = require('../errors');
const { CPUS } = require('../platform');

const NODE = {
  16: { abi: 93, napi: 8 }, 18: { abi: 108, napi: 9 }, 20: { abi: 115, napi: 9 },
  22: { abi: 127, napi: 10 }, 24: { abi: 137, napi: 10 },
};

// Electron major -> [NODE_MODULE_VERSION, Node-API of the Node it bundles].
const ELECTRON = {
  28: [119, 9], 29: [121, 9], 30: [123, 9], 31: [125, 9], 32: [128, 9], 33: [130, 9],
  34: [132, 9], 35: [133, 10], 36: [135, 10], 37: [136, 10], 38: [139, 10],
};

const DEBIAN = { 10: ['2.28', '3.4.25'], 11: ['2.31', '3.4.28'], 12: ['2.36', '3.4.30'], 13: ['2.41', '3.4.33'] };
const ALPINE = { '3.18': ['1.2.4', '3.4.31'], '3.19': ['1.2.4', '3.4.32'], '3.20': ['1.2.5', '3.4.32'],
  '3.21': ['1.2.5', '3.4.33'], '3.22': ['1.2.5', '3.4.33'] };
const DEBIAN_NAMES = { bullseye: 11, bookworm: 12, trixie: 13 };

const glibcOs = (glibc, glibcxx, family = 'debian') => ({ libc: 'glibc', glibc, glibcxx, family });
const muslOs = (musl, glibcxx) => ({ libc: 'musl', musl, glibcxx, family: 'alpine' });

function buildPresets() {
  const p = {};
  for (const [v, [glibc, cxx]] of Object.entries(DEBIAN)) p[`debian-${v}`] = glibcOs(glibc, cxx);
  Object.assign(p, {
    'ubuntu-18.04': glibcOs('2.27', '3.4.25'), 'ubuntu-20.04': glibcOs('2.31', '3.4.28'),
    'ubuntu-22.04': glibcOs('2.35', '3.4.30'), 'ubuntu-24.04': glibcOs('2.39', '3.4.33'),
    'rhel-7': glibcOs('2.17', '3.4.19', 'rhel'), 'rhel-8': glibcOs('2.28', '3.4.25', 'rhel'),
    'rhel-9': glibcOs('2.34', '3.4.29', 'rhel'), 'amazonlinux-2': glibcOs('2.26', '3.4.19', 'rhel'),
    'amazonlinux-2023': glibcOs('2.34', '3.4.29', 'rhel'),
  });
  for (const [v, [musl, cxx]] of Object.entries(ALPINE)) p[`alpine-${v}`] = muslOs(musl, cxx);
  const image = (node, os) => ({ ...os, runtime: 'node', ...NODE[node] });
  const images = {
    16: ['bullseye'], 18: ['bookworm', 'alpine'], 20: ['bookworm', 'bookworm-slim', 'bullseye', 'alpine'],
    22: ['bookworm', 'bookworm-slim', 'trixie', 'alpine'], 24: ['bookworm', 'bookworm-slim', 'trixie', 'alpine'],
  };
  const alpineOf = { 18: '3.20', 20: '3.21', 22: '3.22', 24: '3.22' };
  for (const [node, tags] of Object.entries(images)) {
    for (const tag of tags) {
      const os = tag === 'alpine' ? p[`alpine-${alpineOf[node]}`] : p[`debian-${DEBIAN_NAMES[tag.replace('-slim', '')]}`];
      p[`node:${node}-${tag}`] = image(node, os);
    }
  }
  for (const [major, [abi, napi]] of Object.entries(ELECTRON)) {
    p[`electron-${major}`] = { libc: 'glibc', family: 'debian', runtime: 'electron', abi, napi };
  }
  return p;
}

const PRESETS = buildPresets();

// glibc's static TLS rules per architecture: TLS variant (2: blocks below the
// thread pointer, 1: above) and the static area's alignment (struct pthread's).
const ARCH_TLS = {
  x64: { variant: 2, align: 64 }, ia32: { variant: 2, align: 64 }, s390x: { variant: 2, align: 32 },
  arm64: { variant: 1, align: 32 }, arm: { variant: 1, align: 32 }, ppc64: { variant: 1, align: 32 },
  riscv64: { variant: 1, align: 32 },
};
const GLIBC_SURPLUS = 1664; // 288 * 4 + 512: glibc's default since 2.32 (a fixed 1664 before)
const BIG_ENDIAN = new Set(['s390x']);

function cpuFacts(cpu) {
  const c = CPUS[cpu];
  if (!c) throw tiError('TI_EINVAL', `unknown cpu "${cpu}": use one of ${Object.keys(CPUS).join(', ')}`);
  return { cpu, arch: c.machine, machine: c.machine, class: c.bits, machineNumber: c.number,
    endian: BIG_ENDIAN.has(cpu) ? 'be' : 'le', tls: { ...ARCH_TLS[cpu], surplus: GLIBC_SURPLUS } };
}

let hostCache = null;
function hostTarget() {
  if (!hostCache) {
    const electron = process.versions.electron;
    hostCache = { name: 'host', kind: 'host', os: process.platform, ...cpuFacts(process.arch),
      runtime: electron ? 'electron' : 'node', abi: Number(process.versions.modules), napi: Number(process.versions.napi) };
  }
  return { ...hostCache, tls: { ...hostCache.tls } };
}

function baseTarget(name) {
  if (name === 'host') return hostTarget();
  if (name === 'musl' || name === 'alpine') return { name, kind: 'libc', libc: 'musl', family: 'alpine' };
  if (name === 'glibc') return { name, kind: 'libc', libc: 'glibc', family: 'debian' };
  const g = /^glibc@(\d+\.\d+)$/.exec(name);
  if (g) return { name, kind: 'libc', libc: 'glibc', glibc: g[1], family: 'debian' };
  const m = /^musl@(\d+\.\d+\.\d+)$/.exec(name);
  if (m) return { name, kind: 'libc', libc: 'musl', musl: m[1], family: 'alpine' };
  if (Object.prototype.hasOwnProperty.call(PRESETS, name)) return { name, kind: 'preset', ...PRESETS[name] };
  throw tiError('TI_EINVAL', `unknown target "${name}": use host, musl, alpine, glibc, glibc@X.Y, musl@X.Y.Z, all, or ` +
    `one of ${Object.keys(PRESETS).join(', ')}`);
}

// A target from a name plus npm-style overrides: { cpu, libc, os }.
function resolveTarget(name = 'host', { cpu, libc, os } = {}) {
  if (typeof name !== 'string' || !name) throw tiError('TI_EINVAL', 'target must be a non-empty string');
  if (os !== undefined && os !== 'linux') {
    throw tiError('TI_ENOTSUP', `os "${os}": tls-inspect judges Linux ELF binaries only`);
  }
  const t = baseTarget(name);
  if (t.kind !== 'host') Object.assign(t, { os: 'linux', ...cpuFacts(cpu || process.arch) });
  else if (cpu && cpu !== process.arch) {
    throw tiError('TI_EINVAL', `--cpu ${cpu} with the host target: name a target (e.g. glibc, musl, node:20-alpine) for another cpu`);
  }
  if (libc !== undefined) {
    if (libc !== 'glibc' && libc !== 'musl') throw tiError('TI_EINVAL', `libc must be glibc or musl, not "${libc}"`);
    if (t.kind === 'host') throw tiError('TI_EINVAL', '--libc with the host target: the host\'s libc is what it is; name a target');
    if (t.libc && t.libc !== libc) throw tiError('TI_EINVAL', `${name} is a ${t.libc} target; --libc ${libc} contradicts it`);
    t.libc = libc;
  }
  if (cpu && t.kind !== 'host') t.name = `${name} (${cpu})`;
  return t;
}

// "host,alpine" or ['host', 'alpine'] or 'all' -> names.
function targetNames(spec) {
  if (spec === undefined || spec === null) return ['host'];
  const list = (Array.isArray(spec) ? spec : [spec]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
  if (!list.length) return ['host'];
  return [...new Set(list.flatMap((s) => (s === 'all' ? ['host', ...Object.keys(PRESETS)] : [s])))];
}

module.exports = { PRESETS, NODE, ELECTRON, ARCH_TLS, GLIBC_SURPLUS, resolveTarget, targetNames };
