'use strict';
// This process, as its own loader sees it: the libc, every loaded module with
// its TLS block, and the static TLS budget.  Read from the link map and mapped
// memory through the addon; nothing here guesses from files on disk.
const binding = require('./binding');
const { isPreloaded, preloadEntries } = require('./preload');

const libc = () => binding.hostLibc();

const PLACEMENT = ['none', 'static', 'dynamic', 'unallocated'];
const MODEL_BITS = [[1, 'initial-exec'], [2, 'global-dynamic'], [4, 'local-dynamic'], [8, 'tlsdesc']];

function modelNames(bits) {
  const out = [];
  for (const [bit, name] of MODEL_BITS) if (bits & bit) out.push(name);
  return out;
}

// Every loaded object in link-map order, with its TLS block as this thread sees it.
// The addon hands over packed numbers (see ti_pack_module in src/binding.c).
function modules() {
  const { paths, data, fields } = binding.modulesPacked();
  const strings = paths.split('\0'); // path, base (hex), path, base, ...
  const hasPreload = preloadEntries().length > 0;
  const n = strings.length >> 1;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const f = i * fields;
    const flags = data[f + 1];
    const p = strings[2 * i];
    out[i] = {
      path: p,
      name: p.slice(p.lastIndexOf('/') + 1),
      base: strings[2 * i + 1],
      main: (flags & 1) !== 0,
      vdso: (flags & 2) !== 0,
      loader: (flags & 4) !== 0,
      tls: (flags & 8) === 0 ? null : {
        modid: data[f + 2], size: data[f + 3], initSize: data[f + 4], align: data[f + 5],
        placement: PLACEMENT[data[f + 6]], offset: data[f + 7] < 0 ? null : data[f + 7],
      },
      staticTlsFlag: (flags & 16) !== 0,
      tlsRelocations: { tpoff: data[f + 8], dtpmod: data[f + 9], dtpoff: data[f + 10], tlsdesc: data[f + 11] },
      tlsModels: modelNames(data[f + 12]),
      preloaded: hasPreload ? isPreloaded(p) : false,
    };
    if (flags & 32) out[i].unreadable = true; // its memory could not be read: file truncated in place
  }
  return out;
}

// The static TLS area and what an initial-exec module loaded now could still get.
// After an unload (a dlclose, or a failed load, which unloads what it mapped)
// glibc takes back static TLS only at the end of the used area: a hole left by
// an object in the middle stays used, unseen by a thread's walk of the blocks.
function staticTls() {
  const st = binding.staticTls();
  if (st.libc === 'glibc' && st.exact && Number(binding.generation().split(':')[1]) > 0) {
    st.exact = false;
    st.note = 'estimate: an object was unloaded since start-up (dlclose, or a failed load); glibc takes back its ' +
      'static TLS only at the end of the used area, so what is left may be less than this';
  }
  return st;
}

function report() {
  return {
    libc: libc(),
    staticTls: staticTls(),
    modules: modules(),
    node: process.versions.node,
    napi: Number(process.versions.napi),
    arch: process.arch,
    pid: process.pid,
    addon: { path: binding.loadedFrom || null }, // the tls-inspect binary this process loaded
  };
}

// The start-up environment: what the loader read before main() (it keeps
// LD_LIBRARY_PATH from then on, whatever the program does to process.env).
function startupEnv(name) {
  return binding.startupEnv(name);
}

// Facts the loader model needs about this process, computed once per link-map
// generation (a load or unload starts a new one): the libc, the loaded
// objects, the static TLS budget, and a memo of global-scope symbol lookups.
let factsCache = null;
function facts() {
  const key = binding.generation();
  if (factsCache && factsCache.key === key) return factsCache;
  factsCache = { key, libc: libc(), modules: modules(), linkNames: binding.linkNames(), staticTls: staticTls(),
    symbols: new Map(), hashed: new Map(), analyses: new Map(), ldLibraryPath: startupEnv('LD_LIBRARY_PATH'),
    preload: (startupEnv('LD_PRELOAD') || '').split(/[:\s]+/).filter(Boolean), bindNow: Boolean(startupEnv('LD_BIND_NOW')),
    memo: new Map() };
  return factsCache;
}

// Which of [{ name, version }] the global scope defines: true, false, or
// null when the loader cannot be asked.  Answers are kept per generation.
// f.symbols: name -> Map of version ('' for none) -> answer, so that a
// lookup hashes the name once and joins no string; f.hashed: the same by the
// addon's hash of the name.
// hashes (optional): the names' 32-bit hashes, as the addon packed them with
// the analysis (lib/file/analyze.js importHashes): answers are then found by
// number, and a fresh name string is compared, never hashed again.
function scopeDefines(f, syms, hashes = null) {
  const out = new Array(syms.length);
  const pending = [];
  for (let i = 0; i < syms.length; i++) {
    const v = hashes ? byHash(f, hashes[i], syms[i]) : byName(f, syms[i]);
    if (v === undefined) pending.push(i);
    else out[i] = v;
  }
  if (pending.length) {
    const parts = [];
    for (const i of pending) parts.push(syms[i].name, syms[i].version || '');
    const r = binding.scopeDefines(`${parts.join('\0')}\0`);
    // kept by the key it was looked up with; a memo grown past MEMO_NAMES starts again
    // (the names a process meets decide its size, not a file's claims)
    if (f.symbols.size + f.hashed.size > MEMO_NAMES) {
      f.symbols.clear();
      f.hashed.clear();
    }
    pending.forEach((i, k) => {
      const s = syms[i];
      const answer = (out[i] = r[k] === 2 ? null : r[k] === 1);
      if (hashes) {
        let same = f.hashed.get(hashes[i]);
        if (!same) f.hashed.set(hashes[i], (same = []));
        same.push({ name: s.name, version: s.version || '', answer });
        return;
      }
      let versions = f.symbols.get(s.name);
      if (!versions) f.symbols.set(s.name, (versions = new Map()));
      versions.set(s.version || '', answer);
    });
  }
  return out;
}

const MEMO_NAMES = 1 << 18;

function byName(f, s) {
  const known = f.symbols.get(s.name);
  return known && known.get(s.version || '');
}

function byHash(f, h, s) {
  const same = f.hashed.get(h);
  if (!same) return undefined;
  const version = s.version || '';
  for (const e of same) if (e.version === version && e.name === s.name) return e.answer;
  return undefined;
}

module.exports = { libc, modules, staticTls, report, facts, scopeDefines, startupEnv };
