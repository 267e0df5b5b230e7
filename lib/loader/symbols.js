'use strict';
// Who defines a symbol, as the loader's lookup would find it: the objects of
// the load's own search list (from their .dynsym exports), then what the
// target is known to define (this process's global scope on the host; the
// Node-API table of the target's Node, and musl's own symbols per release).
const fs = require('fs');
const path = require('path');
const { cmpVersion } = require('../version');
const NAPI = require('../file/napi-versions.json').functions;

// exports: ['name', 'name@@VER', 'name@VER'] -> Set of what a reference can match.
function definitions(obj) {
  if (obj.defs) return obj.defs;
  const defs = new Set();
  let versioned = false;
  for (const e of (obj.analysis && obj.analysis.exports) || []) {
    const at = e.indexOf('@');
    if (at < 0) {
      defs.add(e);
      continue;
    }
    versioned = true;
    const name = e.slice(0, at);
    const def = e[at + 1] === '@';
    const version = e.slice(at + (def ? 2 : 1));
    defs.add(`${name}@${version}`);
    if (def) defs.add(name);
  }
  obj.defs = defs;
  obj.unversioned = !versioned;
  return defs;
}

// Whether obj defines the import { name, version }.  A versioned reference
// also binds to an unversioned definition in an object without versions.
function defines(obj, imp) {
  const defs = definitions(obj);
  if (!imp.version) return defs.has(imp.name);
  return defs.has(`${imp.name}@${imp.version}`) || (obj.unversioned && defs.has(imp.name));
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
