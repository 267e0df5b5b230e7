'use strict';
// tree(): one file's load closure as a tree, as lddtree and libtree show it:
// each library under the object whose DT_NEEDED made the loader search for it
// (breadth-first, the loader's order: the first needer searches, later ones
// find it loaded), where it was found and by which rule (the needer's RPATH or
// RUNPATH and the entry as written, $ORIGIN expanded; LD_LIBRARY_PATH;
// /etc/ld.so.cache; the default directories; musl's path file; already loaded
// in this process; the target's system), its TLS block (size, models, static
// or dynamic placement), and the problems that name it (not found, refused,
// version missing, ...).  A library needed again elsewhere appears there as a
// reference (`seen`), not expanded twice, so the tree's size is the closure's
// edges (bounded by the model's closure limit).
const { tiError } = require('../errors');
const { createState, result } = require('./check');
const { loadFile } = require('./model');
const io = require('./io');

// The rule a `via` and entry name, in short: RPATH, RUNPATH (with $ORIGIN
// when the entry used it), LD_LIBRARY_PATH, ld.so.cache, default, path,
// musl-path, loaded, system, or null when it was not found.
function ruleOf(o) {
  const via = o.via || '';
  const origin = o.entry && /\$(\{ORIGIN\}|ORIGIN)/.test(o.entry) ? ' $ORIGIN' : '';
  if (via.startsWith('RPATH')) return `RPATH${origin}`;
  if (via.startsWith('RUNPATH')) return `RUNPATH${origin}`;
  if (via === 'LD_LIBRARY_PATH' || via === 'ld.so.cache' || via === 'path') return via;
  if (via === 'default directories') return 'default';
  if (via.startsWith('/etc/ld-musl-')) return 'musl-path';
  if (o.status === 'loaded') return 'loaded';
  if (o.status === 'system') return 'system';
  return null;
}

function tlsOf(t) {
  if (!t) return null;
  return { size: t.size, align: t.align, models: t.models || [], placement: t.static ? 'static' : 'dynamic' };
}

// A problem belongs to the library it names (by path, else by name and
// needer); the others (the file's own: libc, Node-API, TLS budget) to the file.
function matches(p, o) {
  if (p.path && o.path) return p.path === o.path;
  return Boolean(p.library) && p.library === o.name && (!p.neededBy || !o.neededBy || p.neededBy === o.neededBy);
}

function node(o, isRoot) {
  return { name: o.name, path: o.path, status: isRoot ? 'file' : o.status, rule: isRoot ? null : ruleOf(o),
    via: o.via || null, entry: o.entry || null, neededBy: o.neededBy || null, tls: tlsOf(o.tls),
    problems: [], children: [] };
}

function attach(nodes, problems) {
  for (const p of problems) {
    const at = nodes.slice(1).find((n) => matches(p, n)) || nodes[0];
    at.problems.push({ code: p.code, severity: p.severity, message: p.message, fix: p.fix });
  }
}

function treeOf(step, problems) {
  const all = [step.self, ...(step.closure || [])]; // closure[i] is all[i + 1]; need -1 is the file
  const nodes = all.map((o, i) => node(o, i === 0));
  attach(nodes, problems);
  const placed = new Set([0]);
  // breadth-first over the objects in the loader's order: the first needer expands a library
  for (let i = 0; i < all.length; i++) {
    for (const j of all[i].needs || []) {
      if (j === null) continue;
      const k = j + 1;
      if (placed.has(k)) nodes[i].children.push({ name: all[k].name, path: all[k].path, seen: true });
      else {
        placed.add(k);
        nodes[i].children.push(nodes[k]);
      }
    }
  }
  return nodes[0];
}

async function tree(file, opts = {}) {
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', 'tree(path): path must be a non-empty string');
  const state = createState(opts.target, opts);
  const session = new io.Session({ remember: file });
  const step = await io.runAsync(loadFile(state, file, { final: true }), session);
  const r = result(step, opts.ignore);
  if (!step.self) {
    // nothing was mapped (not ELF, another machine or libc): the file alone, with its problems
    const a = step.analysis;
    const self = { name: file.slice(file.lastIndexOf('/') + 1), path: file, needs: [],
      tls: a && a.tls ? { size: a.tls.size, align: a.tls.align, static: false, models: a.tlsModels } : null };
    const root = node(self, true);
    attach([root], r.problems);
    return { ...r, tree: root };
  }
  const root = treeOf(step, r.problems);
  if (r.target === 'host') liveTls(root);
  return { ...r, tree: root };
}

// A library already in this process was not read from disk for this load:
// its TLS block is the one the live process reports (size, models, and where
// the loader placed it).
function liveTls(root) {
  const loaded = [];
  const visit = (n) => {
    if (n.status === 'loaded' && !n.tls) loaded.push(n);
    for (const k of n.children || []) visit(k);
  };
  visit(root);
  if (!loaded.length) return;
  const byPath = new Map(require('../process/host').modules().map((m) => [m.path, m]));
  for (const n of loaded) {
    const m = byPath.get(n.path);
    if (m && m.tls) n.tls = { size: m.tls.size, align: m.tls.align, models: m.tlsModels, placement: m.tls.placement };
  }
}

module.exports = { tree, treeOf, ruleOf };
