'use strict';
// Where a file is meant to load: the running host, or a distribution described
// by its libc (and libstdc++) versions.  One table, documented in README.
const { tiError } = require('../errors');

// glibc and GLIBCXX from each release's own packages; musl from Alpine's.
const PRESETS = {
  'debian-10': { libc: 'glibc', glibc: '2.28', glibcxx: '3.4.25' },
  'debian-11': { libc: 'glibc', glibc: '2.31', glibcxx: '3.4.28' },
  'debian-12': { libc: 'glibc', glibc: '2.36', glibcxx: '3.4.30' },
  'debian-13': { libc: 'glibc', glibc: '2.41', glibcxx: '3.4.34' },
  'ubuntu-18.04': { libc: 'glibc', glibc: '2.27', glibcxx: '3.4.25' },
  'ubuntu-20.04': { libc: 'glibc', glibc: '2.31', glibcxx: '3.4.28' },
  'ubuntu-22.04': { libc: 'glibc', glibc: '2.35', glibcxx: '3.4.30' },
  'ubuntu-24.04': { libc: 'glibc', glibc: '2.39', glibcxx: '3.4.33' },
  'rhel-7': { libc: 'glibc', glibc: '2.17', glibcxx: '3.4.19' },
  'rhel-8': { libc: 'glibc', glibc: '2.28', glibcxx: '3.4.25' },
  'rhel-9': { libc: 'glibc', glibc: '2.34', glibcxx: '3.4.29' },
  'amazonlinux-2': { libc: 'glibc', glibc: '2.26', glibcxx: '3.4.19' },
  'amazonlinux-2023': { libc: 'glibc', glibc: '2.34', glibcxx: '3.4.29' },
  'alpine-3.18': { libc: 'musl', musl: '1.2.4', glibcxx: '3.4.31' },
  'alpine-3.19': { libc: 'musl', musl: '1.2.4', glibcxx: '3.4.32' },
  'alpine-3.20': { libc: 'musl', musl: '1.2.5', glibcxx: '3.4.32' },
  'alpine-3.21': { libc: 'musl', musl: '1.2.5', glibcxx: '3.4.33' },
  'node:16-bullseye': { libc: 'glibc', glibc: '2.31', glibcxx: '3.4.28', napi: 8 },
  'node:18-alpine': { libc: 'musl', musl: '1.2.5', glibcxx: '3.4.33', napi: 9 },
  'node:18-bookworm': { libc: 'glibc', glibc: '2.36', glibcxx: '3.4.30', napi: 9 },
  'node:20-alpine': { libc: 'musl', musl: '1.2.5', glibcxx: '3.4.33', napi: 9 },
  'node:20-bookworm': { libc: 'glibc', glibc: '2.36', glibcxx: '3.4.30', napi: 9 },
  'node:20-bookworm-slim': { libc: 'glibc', glibc: '2.36', glibcxx: '3.4.30', napi: 9 },
  'node:20-bullseye': { libc: 'glibc', glibc: '2.31', glibcxx: '3.4.28', napi: 9 },
  'node:22-alpine': { libc: 'musl', musl: '1.2.5', glibcxx: '3.4.33', napi: 10 },
  'node:22-bookworm': { libc: 'glibc', glibc: '2.36', glibcxx: '3.4.30', napi: 10 },
};

const { ARCH, BITS, MACHINE_NUMBER } = require('../platform');

// Parses a target name into { name, kind, libc, glibc?, musl?, glibcxx?, napi?, arch, class }.
function resolveTarget(name = 'host') {
  const base = { arch: ARCH[process.arch] || process.arch, class: BITS[process.arch] || 64 };
  if (name === 'host') return { ...base, name, kind: 'host' };
  if (name === 'musl' || name === 'alpine') return { ...base, name, kind: 'libc', libc: 'musl' };
  const m = /^glibc@(\d+\.\d+)$/.exec(name);
  if (m) return { ...base, name, kind: 'libc', libc: 'glibc', glibc: m[1] };
  if (Object.prototype.hasOwnProperty.call(PRESETS, name)) return { ...base, name, kind: 'preset', ...PRESETS[name] };
  throw tiError('TI_EINVAL', `unknown target "${name}": use host, musl, alpine, glibc@X.Y or one of ` +
    `${Object.keys(PRESETS).join(', ')}`);
}

module.exports = { PRESETS, resolveTarget, ARCH, MACHINE_NUMBER };
