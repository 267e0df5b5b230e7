'use strict';
// Who defines a symbol, as the loader's lookup would find it: the objects of
// the load's own search list (from their .dynsym exports), then what the
// target is known to define (this process's global scope on the host; the
// Node-API table of the target's Node, and musl's own symbols per release).
const fs = require('fs');
const path = require('path');
const { cmpVersion } = require('../version');
const NAPI = require('../file/napi-versions.json').functions;
const { forEachExport, exportTable, findExport } = require('../file/analyze');

// What an analysis defines, for analyses without the addon's table by name
// (made by hand, or with exports changed): indexed once per analysis.
// `plain`, the names an unversioned reference binds to (unversioned and
// default-version definitions); `versioned`, 'name@VER' of every versioned
// definition (null when it has none).
const INDEX = new WeakMap();
function definitions(a) {
  let idx = INDEX.get(a);
  if (idx) return idx;
  const plain = new Set();
  let versioned = null;
  forEachExport(a, (name, version, hidden) => {
    if (version !== null) (versioned || (versioned = new Set())).add(`${name}@${version}`);
    if (version === null || !hidden) plain.add(name);
  });
  idx = { plain, versioned };
  INDEX.set(a, idx);
  return idx;
}

// Whether obj defines the import { name, version }.  A versioned reference
// also binds to an unversioned definition in an object without versions.
function defines(obj, imp) {
  const a = obj.analysis;
  if (!a) return false;
  const table = exportTable(a);
  if (table) {
    const exact = Boolean(imp.version) && table.versioned;
    return findExport(a, imp.name, exact ? imp.version : null);
  }
  const { plain, versioned } = definitions(a);
  if (!imp.version || !versioned) return plain.has(imp.name);
  return versioned.has(`${imp.name}@${imp.version}`);
}

let muslTable;
// { release -> Set } from lib/loader/musl-symbols.json, or null without it.
function muslSymbols() {
  if (muslTable !== undefined) return muslTable;
  muslTable = null;
  try {
    const t = JSON.parse(fs.readFileSync(path.join(__dirname, 'musl-symbols.json'), 'utf8'));
    const since = new Map();
    for (const [release, names] of Object.entries(t.since || {})) for (const n of names) since.set(n, release);
    const removed = new Map();
    for (const [release, names] of Object.entries(t.removed || {})) for (const n of names) removed.set(n, release);
    // LFS64 names the loader (1.2.4+) still resolves to the plain name when relocating
    const remapped = new Map();
    for (const [release, names] of Object.entries((t.lfs64 && t.lfs64.since) || {})) for (const n of names) remapped.set(n, release);
    muslTable = { since, removed, remapped, releases: t.releases || [] };
  } catch (_) { /* no table: musl symbols are not judged */ }
  return muslTable;
}

// What a target we cannot see defines: true, false (with `since` when a later
// musl adds it), or null when unknown.
function targetDefines(t, imp) {
  if (/^(napi|node_api)_/.test(imp.name)) return Object.prototype.hasOwnProperty.call(NAPI, imp.name) ? true : null;
  const table = t.libc === 'musl' && muslSymbols();
  if (table) {
    const since = table.since.get(imp.name);
    // a GLIBC_ version is only ever defined by glibc's own libraries
    if (!since) return imp.version && /^GLIBC_/.test(imp.version) ? { defined: false } : null;
    if (!t.musl) return true;
    const gone = table.removed.get(imp.name);
    const remapped = table.remapped.get(imp.name);
    if (cmpVersion(since, t.musl) > 0) return { defined: false, since };
    if (gone && cmpVersion(gone, t.musl) <= 0 && !(remapped && cmpVersion(remapped, t.musl) <= 0)) {
      return { defined: false, removed: gone };
    }
    return true;
  }
  if (t.libc === 'glibc' && imp.version && /^(GLIBC|GLIBCXX|CXXABI|GCC)_/.test(imp.version)) return true;
  return null;
}

module.exports = { defines, targetDefines, muslSymbols };
