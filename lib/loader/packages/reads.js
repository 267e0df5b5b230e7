'use strict';
// Bounded reads of a package's files: package.json (at most JSON_LIMIT bytes),
// directory listings (LIST_LIMIT names), the *.node files under a package
// (WALK_LIMIT entries), and where Node would resolve a dependency from.
const fs = require('fs');
const path = require('path');
const { walk: walkFiles, readSmall, listDir } = require('../../file/walk');

const WALK_LIMIT = 100000; // directory entries visited under one package

const LIST_LIMIT = 10000; // names read from one directory

const JSON_LIMIT = 1 << 20; // bytes of one package.json

const byName = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

// One promise per file-system call through the callback API: a scan makes
// these calls for every package, and fs.promises costs several times more
// per call (a FileHandle, a promise per step).
const call = (fn, ...args) => new Promise((resolve, reject) => {
  fn(...args, (e, v) => (e ? reject(e) : resolve(v)));
});

// Sorted, at most LIST_LIMIT (the first the file system gives).
async function listNames(dir) {
  let names = [];
  try {
    names = await listDir(dir, LIST_LIMIT);
  } catch (_) { /* missing or unreadable: nothing there */ }
  return names.sort(byName);
}

async function isFile(file) {
  try {
    return (await call(fs.stat, file)).isFile();
  } catch (_) {
    return false;
  }
}

async function readJson(file) {
  try {
    const value = JSON.parse(await readSmall(file, JSON_LIMIT));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch (_) {
    return null;
  }
}

// *.node files under dir, not inside nested node_modules, in path order, as
// walk entries { path, facts } (facts from the header, or with `light` from
// the light analysis); symlinked directories are followed once each (by
// device and inode), and directories that cannot be read are passed over.
async function nodeFiles(dir, light = false) {
  const out = [];
  for await (const batch of walkFiles(dir, { light, skip: 'node_modules', maxVisits: WALK_LIMIT })) {
    for (const e of batch) if (!e.error && e.name.endsWith('.node')) out.push(e);
  }
  return out.sort((a, b) => byName(a.path, b.path));
}

const VALID_NAME = /^(@[^/@.][^/]*\/)?[^/@.][^/]*$/;

// Node's lookup of a package directory from dir (after its symlinks, as
// require() does, which matters in pnpm's layout): ./node_modules/<name>,
// then each ancestor's.
async function resolvePackage(fromDir, name) {
  if (typeof name !== 'string' || !VALID_NAME.test(name) || name.split('/').some((p) => p === '..')) return null;
  const real = await call(fs.realpath.native, fromDir).catch(() => fromDir);
  for (let dir = real; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (await isFile(path.join(candidate, 'package.json'))) return candidate;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

// The sorted names of <package>/rel; when the package's own listing lacks
// rel's first part, nothing is asked of the file system (most packages have
// no build/, bindings tries a dozen places).
function listIn(pkg, rel) {
  const top = rel.split('/', 1)[0];
  return pkg.names && !pkg.names.has(top) ? Promise.resolve([]) : listNames(path.join(pkg.dir, rel));
}

module.exports = { LIST_LIMIT, isFile, listIn, listNames, nodeFiles, readJson, resolvePackage };
