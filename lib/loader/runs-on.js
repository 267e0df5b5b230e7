'use strict';
// "Runs on": the least a system must offer for a file and what it pulls in,
// in the spirit of auditwheel: its cpu, libc and the lowest release of it,
// the Node-API level or Node ABI, and the static TLS its initial-exec blocks need.
const { cmpVersion } = require('../version');
const { cpuOf } = require('../platform');
const { muslSymbols } = require('./symbols');
const { entryPoints } = require('../file/analyze');

const maxVersion = (list) => list.filter(Boolean).sort((x, y) => cmpVersion(y, x))[0] || null;

// The musl release that first has every libc symbol the objects import.
function lowestMusl(objects) {
  const table = muslSymbols();
  if (!table) return null;
  let best = null;
  let because = null;
  for (const o of objects) {
    for (const imp of o.analysis.imports || []) {
      const since = table.since.get(imp.name);
      if (since && (!best || cmpVersion(since, best) > 0)) { best = since; because = imp.name; }
    }
  }
  return best ? { release: best, symbol: because } : null;
}

// The NODE_MODULE_VERSION a non-Node-API addon registers for (its
// node_register_module_v<N> export, else a legacy addon's nm_version), or null.
function registeredAbi(a) {
  let abi = null;
  for (const e of entryPoints(a)) {
    const m = /^node_register_module_v(\d+)(@|$)/.exec(e);
    if (m) {
      abi = Number(m[1]);
      break;
    }
  }
  if (abi === null && a.abi && a.abi.source === 'node_module_register' && typeof a.abi.version === 'number') abi = a.abi.version;
  return abi;
}

function runsOn(top, objects, needed) {
  const a = top.analysis;
  const mine = objects.filter((o) => o.status === 'new' && o.analysis);
  const abi = registeredAbi(a);
  const musl = a.libc === 'musl' ? lowestMusl(mine) : null;
  return {
    os: 'linux', cpu: cpuOf(a.machine, a.class), libc: a.libc,
    glibc: a.libc === 'glibc' ? maxVersion(mine.map((o) => o.analysis.minGlibc)) : null,
    glibcxx: maxVersion(mine.map((o) => o.analysis.minGlibcxx)),
    musl: musl ? musl.release : null, muslBecause: musl ? musl.symbol : null,
    napi: a.napi ? a.napi.minVersion : null, abi,
    staticTls: needed || 0,
  };
}

function runsOnText(r) {
  const parts = [`linux-${r.cpu || 'unknown'}`];
  if (r.libc === 'glibc') parts.push(`glibc${r.glibc ? ` >= ${r.glibc}` : ''}`);
  else if (r.libc === 'musl') parts.push(`musl${r.musl ? ` >= ${r.musl} (${r.muslBecause})` : ''}`);
  else if (r.libc) parts.push(r.libc);
  if (r.glibcxx) parts.push(`libstdc++ GLIBCXX >= ${r.glibcxx}`);
  if (r.napi) parts.push(`Node-API >= ${r.napi}`);
  if (r.abi) parts.push(`NODE_MODULE_VERSION ${r.abi} only`);
  parts.push(r.staticTls ? `${r.staticTls} bytes of static TLS (initial-exec)` : 'no static TLS');
  return parts.join(', ');
}

module.exports = { runsOn, runsOnText };
