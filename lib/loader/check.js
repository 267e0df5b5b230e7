'use strict';
// check(), checkSync() and checkTogether(): the loader model (model.js) run
// over one file, or over several loaded one after another into one process.
const { tiError } = require('../errors');
const host = require('../process/host');
const { resolveTarget } = require('./targets');
const { LoaderState, loadFile, verdictOf } = require('./model');
const io = require('./io');

function checkPath(file, what = 'check(path)') {
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', `${what}: path must be a non-empty string`);
  return file;
}

// A fresh process of the target: on the host, this one as it is now.
function createState(targetName = 'host', { cpu, libc, os, lazy } = {}) {
  const t = resolveTarget(targetName, { cpu, libc, os });
  let facts = null;
  if (t.kind === 'host') {
    facts = host.facts();
    t.libc = facts.libc.family === 'musl' ? 'musl' : facts.libc.family === 'glibc' ? 'glibc' : 'unknown';
    if (t.libc === 'glibc') t.glibc = facts.libc.version;
    if (t.libc === 'musl') t.musl = facts.libc.version;
  }
  return new LoaderState(t, facts, { lazy: lazy !== false });
}

// The public shape of one file's verdict; `ignore`: codes left out of it.
function result(step, ignore) {
  const problems = ignore && ignore.length ? step.problems.filter((p) => !ignore.includes(p.code)) : step.problems;
  const verdict = problems === step.problems ? step.verdict : verdictOf(problems);
  const out = { path: step.path, target: step.target, ok: verdict !== 'incompatible', verdict, problems,
    analysis: step.analysis, closure: step.closure, staticTls: step.staticTls, runsOn: step.runsOn || null };
  if (step.alreadyLoaded) out.alreadyLoaded = true;
  return out;
}

async function check(file, opts = {}) {
  const state = createState(opts.target, opts);
  return result(await io.runAsync(loadFile(state, checkPath(file))), opts.ignore);
}

// The same verdict without the thread pool, for callers that cannot wait
// (explain(), the register hook): blocking reads of regular files only.
function checkSync(file, opts = {}) {
  const state = createState(opts.target, opts);
  return result(io.runSync(loadFile(state, checkPath(file))), opts.ignore);
}

// Several files loaded in order into one process: what the second sees is
// what the first left.  failsAt: the first file the loader refuses.
async function checkTogether(paths, opts = {}) {
  if (!Array.isArray(paths) || !paths.length) throw tiError('TI_EINVAL', 'checkTogether(paths): paths must be a non-empty array');
  paths.forEach((p) => checkPath(p, 'checkTogether(paths)'));
  const state = createState(opts.target, opts);
  const session = new io.Session();
  const before = state.budget ? state.budget.free : null;
  const files = [];
  for (const p of paths) files.push(result(await io.runAsync(loadFile(state, p), session), opts.ignore));
  const failed = files.find((f) => !f.ok);
  const needed = files.reduce((n, f) => n + (f.staticTls ? f.staticTls.needed : 0), 0);
  const verdict = verdictOf(files.flatMap((f) => f.problems));
  return { target: state.target.name, ok: !failed, verdict, failsAt: failed ? failed.path : null, files,
    staticTls: { before, after: state.budget ? state.budget.free : null, needed } };
}

module.exports = { check, checkSync, checkTogether, createState, result };
