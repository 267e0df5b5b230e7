'use strict';
// scan(): the native files under a tree (*.node, and *.so* with ELF magic).
// Each package's loader convention (packages.js) decides which of them would
// load on the target; those are judged by the loader model with everything
// they pull in, every other one is reported as skipped with the reason.
// Results come as they finish; memory stays flat: directories are read one
// at a time, files judged `concurrency` at a time, nothing kept per file but
// one selection per package.  What cannot be read is an error result.
const fs = require('fs');
const path = require('path');
const { tiError, fromSystemError } = require('../errors');
const { createState, result, npmTarget, fileFacts } = require('./check');
const { loadFile, LoaderState } = require('./model');
const packages = require('./packages');
const io = require('./io');

const NATIVE = /\.node$|\.so(\.\d+)*$/;

async function hasElfMagic(file) {
  const p = await io.ASYNC.probe(file);
  return p.ok && Boolean(p.elf);
}

// Yields { path } for candidate files and { path, error } for what cannot be
// read; symlinked directories are followed once each (by device and inode).
async function* walk(root) {
  const seen = new Set();
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    let st;
    let handle;
    try {
      st = await fs.promises.stat(dir);
      if (seen.has(`${st.dev}:${st.ino}`)) continue;
      seen.add(`${st.dev}:${st.ino}`);
      handle = await fs.promises.opendir(dir);
    } catch (e) {
      yield { path: dir, error: fromSystemError(e, dir) };
      continue;
    }
    try {
      for await (const ent of handle) {
        const full = path.join(dir, ent.name);
        let kind = ent;
        if (ent.isSymbolicLink()) {
          try { kind = await fs.promises.stat(full); } catch (_) { continue; } // a dangling link is nothing to load
        }
        if (kind.isDirectory()) stack.push(full);
        else if (kind.isFile() && NATIVE.test(ent.name)) yield { path: full };
      }
    } catch (e) {
      yield { path: dir, error: fromSystemError(e, dir) };
    }
  }
}

function errorResult(entry, target) {
  return { path: entry.path, target, ok: false, verdict: 'error', problems: [], analysis: null,
    error: { code: entry.error.code || 'TI_EIO', message: entry.error.message } };
}

// Which package a file belongs to and what that package would load, one
// selection per package.
function selector(root, nt) {
  const roots = new Map();
  const selections = new Map();
  const rootOf = (file) => {
    const d = path.dirname(file);
    if (!roots.has(d)) roots.set(d, packages.findPackageRoot(file, root).then((r) => r || root));
    return roots.get(d);
  };
  const selectionOf = (pkg) => {
    if (!selections.has(pkg)) selections.set(pkg, packages.selectBinaries(pkg, nt, { facts: fileFacts }));
    return selections.get(pkg);
  };
  return async (file) => {
    const sel = await selectionOf(await rootOf(file));
    const facts = sel.convention === 'none' ? await fileFacts(file) : await packages.headerFacts(file);
    return { sel, verdict: packages.classify(sel, file, facts) };
  };
}

function tally(summary, r) {
  summary.total++;
  summary[r.verdict]++;
  if (r.verdict === 'skipped') summary.skippedBy[r.reason] = (summary.skippedBy[r.reason] || 0) + 1;
  if (r.staticTls && r.staticTls.needed) summary.staticTls.needed += r.staticTls.needed;
}

async function* run(dir, opts, summary) {
  if (typeof dir !== 'string' || !dir) throw tiError('TI_EINVAL', 'scan(dir): dir must be a non-empty string');
  const concurrency = opts.concurrency === undefined ? 8 : opts.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw tiError('TI_EINVAL', 'concurrency must be a positive integer');
  const st = await fs.promises.stat(dir).catch((e) => { throw fromSystemError(e, dir); });
  if (!st.isDirectory()) throw tiError('TI_ENOTDIR', `${dir} is not a directory`);
  const first = createState(opts.target, opts);
  Object.assign(summary, { target: first.target.name, staticTls: { needed: 0, before: first.budget ? first.budget.free : null } });
  const session = new io.Session();
  const choose = opts.all ? null : selector(path.resolve(dir), npmTarget(first.target));
  const judge = async (entry) => {
    if (entry.error) return errorResult(entry, first.target.name);
    const file = entry.path;
    if (!file.endsWith('.node') && !(await hasElfMagic(file))) return null; // linker scripts, text
    let pkg = null;
    if (choose) {
      const c = await choose(path.resolve(file));
      pkg = { package: c.sel.name, convention: c.sel.convention };
      if (!c.verdict.selected) {
        return { path: file, target: first.target.name, ok: true, verdict: 'skipped', reason: c.verdict.reason, problems: [], ...pkg };
      }
    }
    const fresh = new LoaderState(first.target, first.facts, { lazy: first.lazy });
    return { ...result(await io.runAsync(loadFile(fresh, file, { once: true, final: true }), session), opts.ignore), ...pkg };
  };
  const pending = new Map();
  let id = 0;
  const start = (entry) => {
    const key = id++;
    pending.set(key, judge(entry).catch((e) => errorResult({ path: entry.path, error: e }, first.target.name))
      .then((r) => ({ key, r })));
  };
  const settle = async () => {
    const { key, r } = await Promise.race(pending.values());
    pending.delete(key);
    if (r) tally(summary, r);
    return r;
  };
  for await (const entry of walk(dir)) {
    start(entry);
    if (pending.size >= concurrency) {
      const r = await settle();
      if (r) yield r;
    }
  }
  while (pending.size) {
    const r = await settle();
    if (r) yield r;
  }
}

// An async iterator of results; its `summary` is complete when it is done:
// { dir, target, total, compatible, risky, incompatible, skipped, error,
//   skippedBy: { reason: count }, staticTls: { needed, before } }.
function scan(dir = 'node_modules', opts = {}) {
  const summary = { dir, target: null, total: 0, compatible: 0, risky: 0, incompatible: 0, skipped: 0, error: 0,
    skippedBy: {}, staticTls: { needed: 0, before: null } };
  const it = run(dir, opts, summary);
  it.summary = summary;
  return it;
}

module.exports = { scan, walk };
