'use strict';
// This process, as its own loader sees it: the libc, every loaded module with
// its TLS block, and the static TLS budget.  Read from the link map and mapped
// memory through the addon; nothing here guesses from files on disk.
const binding = require('./binding');
const { isPreloaded, preloadEntries } = require('./preload');

// The libc cannot change while the process runs: ask the addon once, hand out copies.
let libcCache = null;
function libc() {
  if (!libcCache) libcCache = binding.libc();
  return { ...libcCache };
}

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
  }
  return out;
}

// The static TLS area and what an initial-exec module loaded now could still get.
function staticTls() {
  return binding.staticTls();
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

module.exports = { libc, modules, staticTls, report };
