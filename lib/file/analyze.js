'use strict';
// analyze(): shapes the C analyzer's raw result into the public form.
const binding = require('../process/binding');
const { tiError, fromNative } = require('../errors');
const NAPI = require('./napi-versions.json').functions;

const TYPES = { 0: 'NONE', 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };
const BINDS = ['local', 'global', 'weak'];
const PACK_FORMAT = 2; // src/ti_elf_pack.c

const NAPI_VERSIONS = new Map(Object.entries(NAPI));

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
  constructor([strings, nums]) {
    this.s = strings.split('\0');
    this.n = nums;
    this.at = 25; // after the fixed header
    if (nums[0] !== PACK_FORMAT) throw tiError('TI_EINVAL', 'the addon and lib/analyze.js disagree on the analysis layout');
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
    let at = this.at;
    for (let i = 0; i < out.length; i++, at += 8) {
      const v = n[at + 1], f = n[at + 2], bits = n[at + 4];
      out[i] = { name: s[n[at]], version: v < 0 ? null : s[v], from: f < 0 ? null : s[f], type: s[n[at + 3]],
        weak: (bits & 1) !== 0, plt: n[at + 5], got: n[at + 6], other: n[at + 7],
        initialExec: (bits & 2) !== 0, tlsdesc: (bits & 4) !== 0 };
    }
    this.at = at;
    return out;
  }

  exports() {
    const { s, n } = this;
    const out = new Array(n[this.at++]);
    let at = this.at;
    for (let i = 0; i < out.length; i++, at += 3) {
      const v = n[at + 1];
      out[i] = v < 0 ? s[n[at]] : `${s[n[at]]}${n[at + 2] === 1 ? '@' : '@@'}${s[v]}`;
    }
    this.at = at;
    return out;
  }
}

function shape(packed, file) {
  const p = new Packed(packed);
  const n = p.n;
  // every entry, empty ones too: glibc reads an empty entry as the current directory
  const split = (list) => list.flatMap((s) => s.split(':'));
  const bit = (i) => (n[8] & (1 << i)) !== 0; // TI_ELF_* in src/ti_core.h
  const flags = { staticTls: bit(0), bindNow: bit(1), nodelete: bit(2), symbolic: bit(3), textrel: bit(4), origin: bit(5),
    pie: bit(6), execStack: bit(7), noopen: bit(8), nodeflib: bit(9) };
  const needed = p.list(), rpath = p.list(), runpath = p.list(), versionDefs = p.list(), tlsModels = p.list();
  const versionNeeds = p.groups();
  const tlsSymbols = p.tlsSymbols();
  const imports = p.imports();
  // which imported symbols need which version ("GLIBC_2.34": ["pthread_create"])
  const symbolVersions = p.groups();
  const napi = napiVersions(p.list());
  return {
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
    tls: n[9] ? { size: n[10], initSize: n[11], align: n[12] } : null,
    tlsRelocations: { tpoff: n[13], dtpmod: n[14], dtpoff: n[15], tlsdesc: n[16], tpoffOwn: n[17], tlsdescOwn: n[18] },
    tlsModels,
    tlsSymbols,
    versionNeeds,
    versionDefs,
    symbolVersions,
    minGlibc: p.str(19),
    minGlibcxx: p.str(20),
    libc: p.str(21),
    napi,
    sectionHeaders: n[22] === 1,
    symtab: n[23] === 1,
    fileId: p.str(24), // st_dev:st_ino: the identity the loader compares
    imports,
    exports: p.exports(),
  };
}

function checkPath(file) {
  if (typeof file !== 'string' || file.length === 0) {
    throw tiError('TI_EINVAL', 'analyze(path): path must be a non-empty string');
  }
  return file;
}

function analyzeSync(file) {
  let packed;
  try {
    packed = binding.analyzeSync(checkPath(file));
  } catch (e) {
    throw fromNative(e);
  }
  return shape(packed, file);
}

// Runs on the libuv thread pool: scanning many files does not block the event loop.
async function analyze(file) {
  let packed;
  try {
    packed = await binding.analyze(checkPath(file));
  } catch (e) {
    throw fromNative(e);
  }
  return shape(packed, file);
}

module.exports = { analyze, analyzeSync, napiInfo };
