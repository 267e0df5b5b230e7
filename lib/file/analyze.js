'use strict';
// analyze(): shapes the C analyzer's raw result into the public form.
const binding = require('../process/binding');
const { tiError } = require('../errors');
const NAPI = require('./napi-versions.json').functions;

const TYPES = { 0: 'NONE', 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };

function groupPairs(pairs) {
  const out = {};
  for (const [key, value] of pairs) {
    if (!out[key]) out[key] = [];
    if (!out[key].includes(value)) out[key].push(value);
  }
  return out;
}

function napiInfo(imports) {
  if (!imports.length) return null;
  const names = [...new Set(imports)].sort();
  let minVersion = 1;
  const experimental = [];
  const unknown = [];
  for (const n of names) {
    const v = NAPI[n];
    if (v === 'experimental') experimental.push(n);
    else if (typeof v === 'number') minVersion = Math.max(minVersion, v);
    else unknown.push(n);
  }
  return { imports: names, minVersion, experimental, unknown };
}

function shape(raw) {
  // every entry, empty ones too: glibc reads an empty entry as the current directory
  const split = (list) => list.flatMap((s) => s.split(':'));
  // symbolVersions: which imported symbols need which version ("GLIBC_2.34": ["pthread_create"])
  const symbolVersions = groupPairs(raw.importPairs.map(([sym, ver]) => [ver, sym]));
  return {
    path: raw.path,
    class: raw.class,
    endian: raw.endian,
    machine: raw.machineName || `em-${raw.machineNumber}`,
    machineNumber: raw.machineNumber,
    type: TYPES[raw.typeNumber] || `type-${raw.typeNumber}`,
    interpreter: raw.interpreter,
    soname: raw.soname,
    needed: raw.needed,
    rpath: split(raw.rpath),
    runpath: split(raw.runpath),
    flags: raw.flags,
    tls: raw.tls,
    tlsRelocations: raw.tlsRelocations,
    tlsModels: raw.tlsModels,
    tlsSymbols: raw.tlsSymbols,
    versionNeeds: groupPairs(raw.versionNeedPairs),
    versionDefs: raw.versionDefs,
    symbolVersions,
    minGlibc: raw.minGlibc,
    minGlibcxx: raw.minGlibcxx,
    libc: raw.libc,
    napi: napiInfo(raw.napiImports),
    sectionHeaders: raw.sectionHeaders,
    symtab: raw.symtab,
  };
}

function checkPath(file) {
  if (typeof file !== 'string' || file.length === 0) {
    throw tiError('TI_EINVAL', 'analyze(path): path must be a non-empty string');
  }
  return file;
}

function analyzeSync(file) {
  return shape(binding.analyzeSync(checkPath(file)));
}

// Runs on the libuv thread pool: scanning many files does not block the event loop.
async function analyze(file) {
  return shape(await binding.analyze(checkPath(file)));
}

module.exports = { analyze, analyzeSync, napiInfo };
