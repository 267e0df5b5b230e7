'use strict';
// cmake-ts (a dependency on it; zeromq 6): build/manifest.json maps each
// build's configuration (os, arch, libc: glibc or musl on Linux by
// /etc/alpine-release, libc on darwin, msvc on win32; abi) to its path; the
// loader takes the configurations of the target's os, arch and libc, highest
// abi first (the sort is stable: manifest order on ties), and requires each
// until one loads, whatever its abi.  The first is judged; when the model
// says it would fail, the next (`fallbacks`, settled by the caller through
// settle()).  Builds of other platforms are skipped for their platform, and
// files the manifest does not list are never loaded.
const path = require('path');
const { readSmall } = require('../../file/walk');
const { tagsReason } = require('./platform-tags');
const { isFile } = require('./reads');

const CMAKE_TS_LIBC = { darwin: 'libc', win32: 'msvc' };
const MANIFEST_LIMIT = 1000; // configurations read from one manifest
const MANIFEST_BYTES = 4 << 20;

// The manifest's configurations as { os, arch, libc, abi, rel } in its order
// (rel: the addon's path under the package, '/'-separated; entries leaving build/ dropped).
function cmakeTsConfigs(manifest) {
  const out = [];
  if (!manifest || typeof manifest !== 'object') return out;
  for (const [key, value] of Object.entries(manifest).slice(0, MANIFEST_LIMIT)) {
    let c;
    try { c = JSON.parse(key); } catch (_) { continue; }
    if (!c || typeof c !== 'object' || typeof value !== 'string') continue;
    const rel = path.posix.normalize(`build/${value.split('\\').join('/')}`);
    if (!rel.startsWith('build/') || rel.split('/').includes('..')) continue;
    out.push({ os: String(c.os), arch: String(c.arch), libc: String(c.libc), abi: Number(c.abi) || 0, rel });
  }
  return out;
}

async function readManifest(pkg) {
  try {
    return JSON.parse(await readSmall(path.join(pkg.dir, 'build', 'manifest.json'), MANIFEST_BYTES));
  } catch (_) {
    return null;
  }
}

// The manifest's builds that are there (for covers).
async function cmakeTsBuilds(pkg) {
  const out = [];
  for (const c of cmakeTsConfigs(await readManifest(pkg))) if (await isFile(path.join(pkg.dir, c.rel))) out.push(c);
  return out;
}

const cmakeTsLibc = (t) => (t.os === 'linux' ? t.libc || 'glibc' : CMAKE_TS_LIBC[t.os] || 'unknown');

async function selectCmakeTs(pkg, t) {
  const configs = cmakeTsConfigs(await readManifest(pkg));
  const libc = cmakeTsLibc(t);
  const fits = configs.filter((c) => c.os === t.os && c.arch === t.cpu && c.libc === libc).sort((a, b) => b.abi - a.abi);
  const byRel = new Map(configs.map((c) => [c.rel, c]));
  const present = [];
  for (const c of fits) if (await isFile(path.join(pkg.dir, c.rel))) present.push(c);
  const [first, ...rest] = present;
  const reasonFor = (rel) => {
    const c = byRel.get(rel);
    if (!c) return rel.startsWith('build/') ? (tagsReason(rel, t) || 'not in build/manifest.json: cmake-ts loads only the builds its manifest lists') : null;
    if (c.os !== t.os || c.arch !== t.cpu) return `for ${c.os}-${c.arch}`;
    if (c.libc !== libc) return `for ${c.libc}`;
    return `cmake-ts fallback: required only if ${first ? first.rel : 'a build of a higher abi'} fails to load`;
  };
  if (!configs.length) {
    return { selected: [], reasonFor, why: 'cmake-ts: no readable build/manifest.json',
      missing: 'cmake-ts finds no build/manifest.json (it would throw "Manifest file not found")' };
  }
  const order = present.map((c) => `${c.rel} (abi${c.abi})`).join(', ');
  return { selected: first ? [path.join(pkg.dir, first.rel)] : [], fallbacks: rest.map((c) => path.join(pkg.dir, c.rel)), reasonFor,
    why: first ? `cmake-ts: build/manifest.json for ${t.os} ${t.cpu} ${libc}, highest abi first: ${order}`
      : `cmake-ts: build/manifest.json has no build for ${t.os} ${t.cpu} ${libc}`,
    missing: first ? null : `cmake-ts finds no build for ${t.os} ${t.cpu} ${libc} in build/manifest.json (it would throw "No compatible zeromq.js addon found")`,
    wants: first ? null : `a build/manifest.json entry for ${t.os} ${t.cpu} ${libc}` };
}

module.exports = { cmakeTsBuilds, selectCmakeTs };
