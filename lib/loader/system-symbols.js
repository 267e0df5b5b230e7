'use strict';
// What a target's system libraries and its Node export, from the tables that
// scripts/gen-system-symbols.js made from the real binaries (Debian's libc6,
// libstdc++6 and libgcc-s1 packages; the official Node builds): "does target
// T export symbol S (with version V)".  A set is decoded once, on first use.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { cmpVersion } = require('../version');

const FILE = path.join(__dirname, 'data', 'system-symbols.json.br');
let table;
const decoded = new Map();

function raw() {
  if (table !== undefined) return table;
  table = null;
  try { table = JSON.parse(zlib.brotliDecompressSync(fs.readFileSync(FILE))); } catch (_) { /* no table: nothing judged */ }
  return table;
}

// '<kind>/<cpu>' -> { releases, exact: Map entry -> mask, plain: Map name -> mask
// (what an unversioned reference binds to: default-version and unversioned entries) }
function set(kind, cpu) {
  const key = `${kind}/${cpu}`;
  if (decoded.has(key)) return decoded.get(key);
  const t = raw();
  const s = t && t.sets[key];
  let out = null;
  if (s) {
    const exact = new Map(), plain = new Map();
    let prev = '';
    for (const line of s.symbols.split('\n')) {
      const tab = line.lastIndexOf('\t');
      const entry = prev.slice(0, line.charCodeAt(0) - 48) + line.slice(1, tab);
      const mask = parseInt(line.slice(tab + 1), 36);
      prev = entry;
      exact.set(entry, mask);
      const at = entry.indexOf('@');
      if (at < 0 || entry[at + 1] === '@') {
        const name = at < 0 ? entry : entry.slice(0, at);
        plain.set(name, (plain.get(name) || 0) | mask);
      }
    }
    out = { releases: s.releases, meta: s.meta, exact, plain };
  }
  decoded.set(key, out);
  return out;
}

// The mask of releases in which the set exports imp ({ name, version }).
function maskOf(s, imp) {
  if (!imp.version) return s.plain.get(imp.name) || 0;
  return (s.exact.get(`${imp.name}@@${imp.version}`) || 0) | (s.exact.get(`${imp.name}@${imp.version}`) || 0) |
    // a versioned reference also binds to an unversioned definition
    (s.exact.get(imp.name) || 0);
}

// The release of a set the target names, or null (not in the table: then
// any release counts, so only a symbol no release exports is "not exported").
function releaseOf(kind, t, s) {
  if (kind === 'glibc') return t.glibc && s.releases.includes(t.glibc) ? t.glibc : null;
  if (kind === 'libstdcxx' || kind === 'libgcc') {
    // the GCC whose newest GLIBCXX_ version is the target's
    if (!t.glibcxx || t.libc !== 'glibc') return null;
    const libstd = set('libstdcxx', t.cpu);
    if (!libstd) return null;
    return libstd.releases.find((r, i) => newestGlibcxx(libstd, i) === t.glibcxx) || null;
  }
  if (kind === 'node') {
    if (t.runtime !== 'node' || !t.abi) return null;
    // the Node major of the target's NODE_MODULE_VERSION (targets.js keeps the registry)
    const { NODE } = require('./targets');
    const major = Object.keys(NODE).find((m) => NODE[m].abi === t.abi);
    return major && s.releases.includes(major) ? major : null;
  }
  return null;
}

const newest = new Map();
function newestGlibcxx(s, i) {
  const key = `${s.releases[i]}:${i}:${s.exact.size}`;
  if (newest.has(key)) return newest.get(key);
  let best = null;
  for (const [e, mask] of s.exact) {
    const m = /@@?GLIBCXX_(\d[\d.]*)$/.exec(e);
    if (m && (mask & (1 << i)) && (!best || cmpVersion(m[1], best) > 0)) best = m[1];
  }
  newest.set(key, best);
  return best;
}

// Whether target t's `kind` (glibc, libstdcxx, libgcc, node) exports imp:
// { known, exported, release, elsewhere } or null when there is no table for
// that kind on t's cpu.  `elsewhere`: releases of the table that export it
// when the target's does not.
function exports(kind, t, imp) {
  const s = set(kind, t.cpu);
  if (!s) return null;
  const mask = maskOf(s, imp);
  const release = releaseOf(kind, t, s);
  if (release === null) return { known: false, exported: mask !== 0, release: null, elsewhere: [] };
  const bit = 1 << s.releases.indexOf(release);
  const elsewhere = s.releases.filter((_, i) => mask & (1 << i));
  return { known: true, exported: (mask & bit) !== 0, release, elsewhere: (mask & bit) ? [] : elsewhere };
}

// What the table was read from, per release, for a kind and cpu (for messages and tests).
function sourceOf(kind, cpu) {
  const s = set(kind, cpu);
  return s ? s.meta : null;
}

module.exports = { exports, sourceOf, set };
