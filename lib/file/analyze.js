'use strict';
// analyze(): shapes the C analyzer's raw result into the public form.
const path = require('path');
const binding = require('../process/binding');
const { tiError, fromNative } = require('../errors');
const NAPI = require('./napi-versions.json').functions;

const TYPES = { 0: 'NONE', 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };
const BINDS = ['local', 'global', 'weak'];
const PACK_FORMAT = 10; // src/ti_elf_pack.c
const IMPORT_NUMS = 9; // numbers per import
const HEADER = 31; // numbers before the first list

const NAPI_VERSIONS = new Map(Object.entries(NAPI));
const PACKED_EXPORTS = Symbol('exports as packed');
const OWN_DEFINITIONS = Symbol('imports the file itself defines');

// Node-API version needs of a sorted list of imported names, each once.
function napiVersions(names) {
  if (!names.length) return null;
  let minVersion = 1;
  const experimental = [];
  const unknown = [];
  for (const n of names) {
    const v = NAPI_VERSIONS.get(n);
    if (v === 'experimental') experimental.push(n);
    else if (typeof v === 'number') minVersion = Math.max(minVersion, v);
    else unknown.push(n);
  }
  return { imports: names, minVersion, experimental, unknown };
}

const napiInfo = (imports) => napiVersions([...new Set(imports)].sort());

// The addon's packed analysis, [strings, nums] as laid out in src/ti_elf_pack.c,
// read front to back.  Flat loops: these objects are made by the thousand.
class Packed {
  constructor([strings, nums], at = HEADER) {
    this.s = strings.split('\0');
    this.n = nums;
    this.at = at; // after the fixed header
    if (nums[0] !== PACK_FORMAT) throw tiError('TI_EINVAL', 'the addon and lib/file/analyze.js disagree on the analysis layout');
  }

  str(i) { const k = this.n[i]; return k < 0 ? null : this.s[k]; }

  list() {
    const { s, n } = this;
    const out = new Array(n[this.at++]);
    for (let i = 0; i < out.length; i++) out[i] = s[n[this.at++]];
    return out;
  }

  // a group list: { key: [values] }, groups and values in order, each once
  groups() {
    const { s, n } = this;
    const entries = new Array(n[this.at++]);
    let at = this.at;
    for (let i = 0; i < entries.length; i++) {
      const values = new Array(n[at + 1]);
      const key = s[n[at]];
      at += 2;
      for (let k = 0; k < values.length; k++) values[k] = s[n[at++]];
      entries[i] = [key, values];
    }
    this.at = at;
    return Object.fromEntries(entries);
  }

  tlsSymbols() {
    const { s, n } = this;
    const out = new Array(n[this.at++]);
    for (let i = 0, at = this.at; i < out.length; i++, at += 5) {
      out[i] = { name: s[n[at]], demangled: this.str(at + 1), size: n[at + 2], bind: BINDS[n[at + 3]] || 'other',
        defined: n[at + 4] === 1 };
    }
    this.at += 5 * out.length;
    return out;
  }

  imports() {
    const { s, n } = this;
    const out = new Array(n[this.at++]);
    const own = new Uint8Array(out.length); // src/ti_elf_pack.c: looked up in the file's own exports (1), and found (2)
    const hash = new Int32Array(out.length); // of each name, with the process's seed
    let at = this.at;
    for (let i = 0; i < out.length; i++, at += IMPORT_NUMS) {
      const v = n[at + 1], f = n[at + 2], bits = n[at + 4];
      own[i] = bits & 16 ? 1 + ((bits >> 3) & 1) : 0;
      hash[i] = n[at + 8];
      out[i] = { name: s[n[at]], version: v < 0 ? null : s[v], from: f < 0 ? null : s[f], type: s[n[at + 3]],
        weak: (bits & 1) !== 0, plt: n[at + 5], got: n[at + 6], other: n[at + 7],
        initialExec: (bits & 2) !== 0, tlsdesc: (bits & 4) !== 0 };
    }
    this.at = at;
    this.own = own;
    this.hash = hash;
    return out;
  }

  // (after exports) whether any has a version, and where the table by name hash is
  exportTable() {
    const versioned = this.n[this.at++] === 1;
    const cap = this.n[this.at++];
    const seed = this.n[this.at++];
    const longest = this.n[this.at++];
    const table = { versioned, n: this.n, at: this.at, cap, seed, longest };
    this.at += 2 * cap;
    return table;
  }

  // (name, version, hidden) triples as 'name', 'name@@VER' or 'name@VER'
  exportNames() {
    const out = exportList(this.s, this.n, this.at + 1, this.n[this.at]);
    this.at += 1 + 3 * out.length;
    return out;
  }

  // The packed exports, { s, n, at, count, table } (their strings made on first
  // use); count -1 when the addon deferred them (see deferExports), maybe
  // with their table packed all the same (TI_PACK_TABLE_ONLY).
  exports() {
    const count = this.n[this.at++];
    const at = this.at;
    if (count > 0) this.at += 3 * count;
    return { s: this.s, n: this.n, at, count, table: this.exportTable(), list: null };
  }
}

function exportList(s, n, at, count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++, at += 3) {
    const v = n[at + 1];
    out[i] = v < 0 ? s[n[at]] : `${s[n[at]]}${n[at + 2] === 1 ? '@' : '@@'}${s[v]}`;
  }
  return out;
}

// The Node ABI an addon registers with, and whether Node can run it in more
// than one context (worker_threads, vm contexts, Electron renderers):
// - an export node_register_module_v<N> (NODE_MODULE_INIT): ABI N, context-aware;
// - a legacy NODE_MODULE addon (imports node_module_register): the nm_version of
//   its struct node_module read from the file (nodeAbi: -2 when not found) and
//   whether it set nm_context_register_func (NODE_MODULE_CONTEXT_AWARE,
//   NAN_MODULE_WORKER_ENABLED; contextAware -1: unknown);
// - Node-API (napi_register_module_v1, napi_module_register, napi_* imports):
//   no ABI, always context-aware.  null for a file that is no Node addon.
function abiOf(nodeAbi, contextAware, entries, imports, napi) {
  for (const e of entries) {
    const m = e.startsWith('node_register_module_v') && /^node_register_module_v(\d+)(@|$)/.exec(e);
    if (m) return { version: Number(m[1]), source: 'node_register_module_v', contextAware: true };
  }
  if (nodeAbi !== -1) {
    return { version: nodeAbi >= 0 ? nodeAbi : 'unknown', source: 'node_module_register',
      contextAware: contextAware === -1 ? 'unknown' : contextAware === 1 };
  }
  const napiEntry = entries.some((e) => /^napi_register_module_v\d+(@|$)/.test(e)) ||
    imports.some((i) => i.name === 'napi_module_register');
  return napiEntry || napi ? { version: null, source: 'napi', contextAware: true } : null;
}

function shape(packed, file) {
  const p = new Packed(packed);
  const n = p.n;
  // every entry, empty ones too: glibc reads an empty entry as the current directory.
  // Of several DT_RPATH (DT_RUNPATH) tags, both loaders use the last one
  // (glibc's elf_get_dynamic_info, musl's decode_vec): the others are left out.
  const split = (list) => (list.length ? list[list.length - 1].split(':') : []);
  const bit = (i) => (n[8] & (1 << i)) !== 0; // TI_ELF_* in src/ti_core.h
  const flags = { staticTls: bit(0), bindNow: bit(1), nodelete: bit(2), symbolic: bit(3), textrel: bit(4), origin: bit(5),
    pie: bit(6), execStack: bit(7), noopen: bit(8), nodeflib: bit(9) };
  const needed = p.list(), rpath = p.list(), runpath = p.list(), versionDefs = p.list(), tlsModels = p.list();
  const versionNeeds = p.groups();
  const tlsSymbols = p.tlsSymbols();
  const imports = p.imports();
  // which imported symbols need which version ("GLIBC_2.34": ["pthread_create"])
  const symbolVersions = p.groups();
  let napi = napiVersions(p.list());
  // n[27]: what node_api_module_get_api_version_v1 returns (-1: no such export, -2: code in no known form)
  const declared = n[27] === -1 ? null : n[27] === -2 ? 'unknown' : n[27];
  if (declared !== null && !napi) napi = { imports: [], minVersion: 1, experimental: [], unknown: [] };
  if (napi) napi.declared = declared;
  const entries = p.exportNames();
  const packedExports = p.exports();
  const raw = packedExports.count >= 0 ? packedExports : null;
  // a light analysis (n[25]) did not read symbols, relocations or section headers: unknown, not empty
  const light = n[25] === 1;
  const known = (v) => (light ? null : v);
  const held = light ? null : { entries, packed: raw ? () => raw : deferred(path.isAbsolute(file) ? file : path.resolve(file),
    p.str(30)), raw: null,
    replaced: false, table: packedExports.table.cap ? packedExports.table : null };
  const out = {
    path: file,
    class: n[1],
    endian: n[2] ? 'be' : 'le',
    machine: p.str(5) || `em-${n[3]}`,
    machineNumber: n[3],
    type: TYPES[n[4]] || `type-${n[4]}`,
    interpreter: p.str(6),
    soname: p.str(7),
    needed,
    rpath: split(rpath),
    runpath: split(runpath),
    flags,
    tls: n[9] ? { size: n[10], initSize: n[11], align: n[12], vaddr: n[26] } : null,
    tlsRelocations: known({ tpoff: n[13], dtpmod: n[14], dtpoff: n[15], tlsdesc: n[16], tpoffOwn: n[17], tlsdescOwn: n[18] }),
    tlsModels: known(tlsModels),
    tlsSymbols: known(tlsSymbols),
    versionNeeds,
    versionDefs,
    symbolVersions: known(symbolVersions),
    minGlibc: p.str(19),
    minGlibcxx: p.str(20),
    libc: p.str(21),
    napi: known(napi),
    sectionHeaders: known(n[22] === 1),
    symtab: known(n[23] === 1),
    fileId: p.str(24), // st_dev:st_ino: the identity the loader compares
    imports: known(imports),
  };
  // exports, deferred or not, then the rest: added in this order (a deferred one as
  // an accessor all analyses share), each analysis keeps a fast, shared hidden class
  if (held && !raw) Object.defineProperty(out, 'exports', DEFERRED_EXPORTS);
  else out.exports = held ? exportNamesOf(held) : null;
  // n[28], n[29]: a legacy addon's nm_version and context-awareness (src/ti_elf_node.c)
  out.abi = light ? null : abiOf(n[28], n[29], entries, imports, napi);
  if (light) out.light = true;
  if (held) Object.defineProperty(out, PACKED_EXPORTS, { value: held });
  if (!light) Object.defineProperty(out, OWN_DEFINITIONS, { value: { imports, own: p.own, hash: p.hash } });
  return out;
}

// The packed exports behind an analysis: { entries, packed(), raw, replaced,
// table }: table, by name hash, even while the names are deferred.
const takeRaw = (held) => held.raw || (held.raw = held.packed());
function exportNamesOf(held) {
  const r = takeRaw(held);
  return r.list || (r.list = exportList(r.s, r.n, r.at, r.count));
}

// Deferred exports: `exports` reads the same, enumerable, in the same place,
// packed on first read; once assigned, the packed table no longer answers.
// One getter and setter for all analyses (functions made per analysis would
// give each its own hidden class, kept with the analysis by the long-lived
// transition tree until a full collection).
const DEFERRED_EXPORTS = {
  get() { return exportNamesOf(this[PACKED_EXPORTS]); },
  set(v) {
    this[PACKED_EXPORTS].replaced = true;
    Object.defineProperty(this, 'exports', { value: v, writable: true, enumerable: true, configurable: true });
  },
  enumerable: true,
  configurable: true,
};

// Exports the addon left out (a file with thousands of them: packing them is
// most of its analysis; or a file for another machine than the one judged
// for) are packed on first use, from the same file while it is the version
// analyzed (device, inode, size, times: else TI_EIO).
function deferred(file, version) {
  return () => new Packed(binding.analyzeExports(file, version), 1).exports();
}

// Whether an analysis's exports are still the ones packed: not assigned (a
// deferred accessor notes it), and the names made of them, if any, neither
// replaced nor changed in length (eager exports are a plain property).
function exportsIntact(a, held) {
  if (!held || held.replaced) return false;
  const raw = held.raw;
  return !raw || !raw.list || (a.exports === raw.list && raw.list.length === raw.count);
}

// The packed exports of an analysis made here, while they are intact.
function rawExports(a) {
  const held = a[PACKED_EXPORTS];
  if (!exportsIntact(a, held)) return null;
  takeRaw(held);
  return exportsIntact(a, held) ? held.raw : null;
}

// Whether the file's own exports define each import (as a lookup in that file
// alone binds it), answered by the addon with the hashes of its export table:
// per import 2 (defined), 1 (not), 0 (not known here: the caller looks it up);
// null when the analysis has no such answers, or its imports or exports changed since.
function ownDefinitions(a) {
  const o = a[OWN_DEFINITIONS];
  return o && o.imports === a.imports && exportTable(a) ? o.own : null;
}

// The 32-bit hashes of the imports' names (the addon's, with this process's
// seed), or null when the analysis has none or its imports changed since.
function importHashes(a) {
  const o = a[OWN_DEFINITIONS];
  return o && o.imports === a.imports ? o.hash : null;
}

// Whether Node finds what registers the addon in the file itself: an export
// napi_register_module_v1 or node_register_module_v<N>, or an import of
// napi_module_register or node_module_register (registered from a
// constructor).  An analysis made here says the imports without testing each:
// its Node-API imports, and its legacy ABI (read because it imports node_module_register).
const ENTRY = /^(napi_register_module_v1|node_register_module_v\d+)(@|$)/;
const SELF_REGISTER = /^(napi_module_register|node_module_register)$/;
function registersItself(a) {
  if (entryPoints(a).some((e) => ENTRY.test(e))) return true;
  const o = a[OWN_DEFINITIONS];
  if (o && o.imports === a.imports) {
    return Boolean((a.napi && a.napi.imports.includes('napi_module_register')) || (a.abi && a.abi.source === 'node_module_register'));
  }
  return (a.imports || []).some((i) => SELF_REGISTER.test(i.name));
}

// The exports Node looks up in an addon (napi_register_module_v*,
// node_register_module_v*), as `exports` names them: packed apart, so that
// reading them never makes (or, deferred, reads) the others.
function entryPoints(a) {
  const held = a[PACKED_EXPORTS];
  return exportsIntact(a, held) ? held.entries : (a.exports || []).filter((e) => /^n(api|ode)_register_module_v/.test(e));
}

// Calls fn(name, version, hidden) for each export of an analysis, from the
// packed form when it has one (no string is split or joined), else from
// its 'name', 'name@@VER', 'name@VER' strings.
function forEachExport(a, fn) {
  const raw = rawExports(a);
  if (raw) {
    const { s, n } = raw;
    for (let i = 0, at = raw.at; i < raw.count; i++, at += 3) fn(s[n[at]], n[at + 1] < 0 ? null : s[n[at + 1]], n[at + 2] === 1);
    return;
  }
  for (const e of a.exports || []) {
    const cut = e.indexOf('@');
    if (cut < 0) fn(e, null, false);
    else if (e[cut + 1] === '@') fn(e.slice(0, cut), e.slice(cut + 2), false);
    else fn(e.slice(0, cut), e.slice(cut + 1), true);
  }
}

// The addon's 32-bit hash of a name with its per-process seed (ti_name_hash32
// in src/ti_elf_pack.c), over the same bytes for an ASCII name.  The last one
// is kept: a loader model asks for one name in several objects.
let lastName = null;
let lastSeed = 0;
let lastHash = 0;
function nameHash(name, seed) {
  if (name === lastName && seed === lastSeed) return lastHash;
  const n = name.length;
  let h = (0x811c9dc5 ^ seed) | 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w = name.charCodeAt(i) | (name.charCodeAt(i + 1) << 8) | (name.charCodeAt(i + 2) << 16) | (name.charCodeAt(i + 3) << 24);
    h = Math.imul(h ^ w, 0x01000193);
  }
  if (i < n) {
    let w = 0;
    for (let k = 0; i + k < n; k++) w |= name.charCodeAt(i + k) << (8 * k);
    h = Math.imul(h ^ w, 0x01000193);
  }
  h ^= n ^ (seed >>> 7);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  lastName = name;
  lastSeed = seed;
  lastHash = (h ^ (h >>> 16)) >>> 0;
  return lastHash;
}

// The addon's table of an analysis's exports by name hash: { versioned }
// (whether any export has a version), or null when there is none (exports
// changed since, too many, or a name not ASCII: the caller indexes them).
// Reading it never packs deferred names.
function exportTable(a) {
  const held = a[PACKED_EXPORTS];
  if (!exportsIntact(a, held)) return null;
  if (!held.table) { // deferred without one: the exports packed now bring theirs
    const raw = rawExports(a);
    if (raw && raw.table.cap) held.table = raw.table;
  }
  return held.table;
}

// Whether an export named `name` has version `exact` (a string), or, with
// `exact` null, is unversioned or the default version: found through the
// table (exportTable(a) must not be null).  Only a name whose hash is in the
// table needs the names: deferred ones are packed then, not for every miss.
function findExport(a, name, exact) {
  const table = a[PACKED_EXPORTS].table;
  const tn = table.n;
  const h = nameHash(name, table.seed) | 0;
  const mask = table.cap - 1;
  let raw = null;
  // every entry sits within table.longest steps of its home slot
  for (let k = h & mask, steps = 0; steps <= table.longest; k = (k + 1) & mask, steps++) {
    const e = tn[table.at + 2 * k + 1];
    if (e === 0) return false;
    if (tn[table.at + 2 * k] !== h) continue;
    if (!raw && !(raw = rawExports(a))) return false;
    const { s, n } = raw;
    const x = raw.at + 3 * (e - 1);
    if (s[n[x]] !== name) continue;
    const version = n[x + 1] < 0 ? null : s[n[x + 1]];
    if (exact !== null ? version === exact : version === null || n[x + 2] !== 1) return true;
  }
  return false;
}

function checkPath(file) {
  if (typeof file !== 'string' || file.length === 0) {
    throw tiError('TI_EINVAL', 'analyze(path): path must be a non-empty string');
  }
  return file;
}

// opts.light: the light analysis (no symbols, relocations or section headers).
const depth = (opts) => (opts && opts.light ? 1 : 0);
const DEFER = 2; // exports of a file with thousands of them packed on first use (src/binding.c)
const DEFER_FOREIGN = 4; // exports of a file for another machine than the one named packed on first use
const TABLE_ONLY = 8; // export names packed on first use, their table by name hash at once
// opts.exports === 'now': packed with the rest (the loader model binds symbols against them);
// 'table': their names on first use, their table by name hash at once (a file judged
// itself: whether it defines a name is what its load asks)
const defer = (opts) => (opts && opts.exports === 'now' ? 0 : opts && opts.exports === 'table' ? TABLE_ONLY : DEFER);

function analyzeSync(file, opts) {
  return shape(binding.analyzeSync(checkPath(file), depth(opts) | defer(opts)), file);
}

// Runs on the libuv thread pool: scanning many files does not block the event loop.
async function analyze(file, opts) {
  return shape(await binding.analyze(checkPath(file), depth(opts) | defer(opts)), file);
}

// Several files in one trip to the thread pool (a scan judges thousands):
// for each, in order, a promise of a function that returns its analysis.
// Until taken an analysis stays packed (two values, not thousands of
// objects), so analyses fetched ahead cost the garbage collector nothing.
// opts.machine: the ELF machine number judged for; a file built for another
// has its exports packed on first use (its verdict reads its entry points only).
// opts.exports === 'table': export names packed on first use, their table at
// once (a judged file's verdict asks whether it defines a name, rarely which).
function analyzeMany(files, opts) {
  for (const f of files) if (checkPath(f).includes('\0')) throw tiError('TI_EINVAL', 'analyze(path): path contains a NUL byte');
  const machine = (opts && opts.machine) || 0;
  const how = depth(opts) | (machine ? DEFER_FOREIGN : 0) | (opts && opts.exports === 'table' ? TABLE_ONLY : 0);
  const all = binding.analyzeMany(files.map((f) => `${f}\0`).join(''), how, machine);
  return files.map((file, i) => all.then((r) => {
    const packed = r[i];
    if (packed instanceof Error) throw fromNative(packed);
    return () => shape(packed, file);
  }));
}

// The packed analyses of the files check() looked at last, by identity: a
// file whose device, inode, size and modification and change times (in ns)
// are unchanged has the same bytes (the kernel sets the change time on a
// write, and nobody can set it back), so a warm check() costs a stat of the
// file, not a trip to the thread pool.  The stat never opens the file (a FIFO
// cannot block it).  Two cases where bytes change and the times do not: writes
// within one clock tick of coarse timestamps, and writes through a shared
// mapping to a page already dirty (the times move when the page is first
// dirtied, and it is written back within about 30 s).  So, as git does with
// "racy" files, a file changed less than `settleMs` before it was read is
// never remembered.  Bounded in count and bytes; each caller gets its own copy.
const REMEMBERED = new Map();
const REMEMBER = { count: 8, bytes: 16 << 20, settleMs: 60000, inlineBytes: 512 << 10 };
let rememberedBytes = 0;

// { id, devIno, settled, small } of a regular file, or null; id: its version
// (dev:ino:size:mtime:ctime, as an analysis records what it read); settled:
// last changed long enough ago.  One stat in the addon: no Stats object made.
function identity(file) {
  const v = binding.fileVersion(file);
  if (!v) return null;
  const id = v[0];
  return { id, devIno: id.slice(0, id.indexOf(':', id.indexOf(':') + 1)), settled: v[2] * 1000 > REMEMBER.settleMs,
    small: v[1] <= REMEMBER.inlineBytes };
}

function forget(file) {
  const old = REMEMBERED.get(file);
  if (old) rememberedBytes -= old.bytes;
  REMEMBERED.delete(file);
}

function remember(file, id, packed) {
  const bytes = 2 * packed[0].length + 8 * packed[1].length;
  forget(file);
  if (bytes > REMEMBER.bytes / 4) return;
  REMEMBERED.set(file, { id, packed, bytes });
  rememberedBytes += bytes;
  for (const [k, v] of REMEMBERED) {
    if (REMEMBERED.size <= REMEMBER.count && rememberedBytes <= REMEMBER.bytes) break;
    REMEMBERED.delete(k);
    rememberedBytes -= v.bytes;
  }
}

// analyze(file), or the analysis remembered for the file as it still is.  A
// regular file of at most REMEMBER.inlineBytes is read here, on the main
// thread (the stat said it is no FIFO or device, and the addon checks again):
// a trip to the thread pool and back costs more than reading it (a 147 KB C++
// addon: about 90 µs to analyze, and the trip more than that on a busy
// machine); larger files still go to the thread pool.
// The model asks whether the file defines a name (the table of name hashes
// answers) and which entry points it has: its export names are packed on
// first read (TABLE_ONLY), as a scan's judged files' are.
async function analyzeRemembered(file) {
  const ident = identity(checkPath(file));
  return rememberedNow(file, ident) || kept(file, ident, await binding.analyze(file, TABLE_ONLY));
}

// The same when it needs no waiting (remembered, or a small regular file,
// read here), else null: check() then answers its own file without a trip
// through promises.
function rememberedNow(file, ident = identity(checkPath(file))) {
  const hit = ident && REMEMBERED.get(file);
  if (hit && hit.id === ident.id) return shape([hit.packed[0], hit.packed[1].slice()], file); // its numbers are the caller's
  return ident && ident.small ? kept(file, ident, binding.analyzeSync(file, TABLE_ONLY)) : null;
}

// The analysis shaped, and remembered when the file has settled.  The
// identity was taken from the path, the analysis from the descriptor the
// addon opened (its fileId: fstat of what was read).  A link swapped between
// the two would keep one file's analysis under the other's identity: unless
// both name one file, nothing is kept.
function kept(file, ident, packed) {
  const copy = ident && ident.settled ? [packed[0], packed[1].slice()] : null; // before shape() reads the numbers
  const read = shape(packed, file);
  if (copy && read.fileId === ident.devIno) remember(file, ident.id, copy);
  else forget(file);
  return read;
}

module.exports = { analyze, analyzeSync, analyzeMany, analyzeRemembered, rememberedNow, ownDefinitions, importHashes, registersItself, REMEMBER, napiInfo, forEachExport, exportTable, findExport,
  entryPoints };
