'use strict';
// check(), checkSync() and checkTogether(): the loader model (model.js) run
// over one file, or over several loaded one after another into one process.
const fs = require('fs');
const { tiError, fromSystemError, codeOf } = require('../errors');
const host = require('../process/host');
const { resolveTarget } = require('./targets');
const { LoaderState, loadFile, verdictOf } = require('./model');
const io = require('./io');
const { npmTarget } = require('./packages/npm-target');

function checkPath(file, what = 'check(path)') {
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', `${what}: path must be a non-empty string`);
  return file;
}

// The host target with this process's libc filled in: made once per
// link-map generation (the facts), not once per check() (every host target
// resolves alike: the overrides that would differ are refused or make another kind).
let hostMade = null;
function hostTargetOf(facts, t) {
  if (hostMade && hostMade.facts === facts) return hostMade.t;
  t.libc = facts.libc.family === 'musl' ? 'musl' : facts.libc.family === 'glibc' ? 'glibc' : 'unknown';
  if (t.libc === 'glibc') t.glibc = facts.libc.version;
  if (t.libc === 'musl') t.musl = facts.libc.version;
  hostMade = { facts, t };
  return t;
}

// A fresh process of the target: on the host, this one as it is now.
function createState(targetName = 'host', { cpu, libc, os, lazy, sysroot } = {}) {
  let t = resolveTarget(targetName, { cpu, libc, os, sysroot });
  let facts = null;
  if (t.kind === 'host') {
    facts = host.facts();
    t = hostTargetOf(facts, t);
  }
  // glibc binds everything at load when LD_BIND_NOW was set at start-up
  const bindNow = facts && facts.bindNow && t.libc === 'glibc';
  return new LoaderState(t, facts, { lazy: lazy !== false && !bindNow });
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
  const session = new io.Session({ remember: checkPath(file) });
  return result(await io.runAsync(loadFile(state, file, { final: true }), session), opts.ignore);
}

// The same verdict without the thread pool, for callers that cannot wait
// (explain(), the register hook): blocking reads of regular files only.
function checkSync(file, opts = {}) {
  const state = createState(opts.target, opts);
  return result(io.runSync(loadFile(state, checkPath(file), { final: true })), opts.ignore);
}

// A file that could not be read, in the place of its verdict (the CLI's
// entries and checkTogether()'s): the process goes on without it.
function errorResult(file, target, e) {
  return { path: file, target, ok: false, verdict: 'error', problems: [], analysis: null, closure: [], staticTls: null,
    runsOn: null, error: { code: codeOf(e), message: String(e && e.message) } };
}

// Several files loaded in order into one process: what the second sees is
// what the first left (a file that cannot be read is an error entry; the
// next ones load as require() would go on).  failsAt: the first file that
// does not load.
async function checkTogether(paths, opts = {}) {
  if (!Array.isArray(paths) || !paths.length) throw tiError('TI_EINVAL', 'checkTogether(paths): paths must be a non-empty array');
  paths.forEach((p) => checkPath(p, 'checkTogether(paths)'));
  const state = createState(opts.target, opts);
  const session = new io.Session();
  const before = state.budget ? state.budget.free : null;
  const files = [];
  for (const p of paths) {
    try {
      files.push(result(await io.runAsync(loadFile(state, p), session), opts.ignore));
    } catch (e) {
      if (!(typeof e.code === 'string' && e.code.startsWith('TI_'))) throw e;
      files.push(errorResult(p, state.target.name, e));
    }
  }
  const failed = files.find((f) => !f.ok);
  const needed = files.reduce((n, f) => n + (f.staticTls ? f.staticTls.needed : 0), 0);
  const verdict = files.some((f) => f.error) ? 'error' : verdictOf(files.flatMap((f) => f.problems));
  return { target: state.target.name, ok: !failed, verdict, failsAt: failed ? failed.path : null, files,
    staticTls: { before, after: state.budget ? state.budget.free : null, needed } };
}

// What a package's binary needs to be classified: its header, or its analysis
// (which also tells the libc) for packages without a convention.
async function fileFacts(file) {
  const packages = require('./packages');
  try {
    return packages.factsFromAnalysis(await require('../file/analyze').analyze(file));
  } catch (_) {
    return packages.headerFacts(file);
  }
}

// A judge of one file alone in a fresh process of the target (what a loader
// that tries candidates one after another sees for each of them).
function judgeAlone(targetName, opts, session = new io.Session()) {
  return async (file) => {
    const real = await fs.promises.realpath(file).catch(() => file);
    return result(await io.runAsync(loadFile(createState(targetName, opts), real), session), opts.ignore);
  };
}

// A loader that requires candidates in order until one loads (cmake-ts): the
// first the model says would load becomes the selection; when none would,
// the first stays, judged as it fails.
async function settleFallbacks(sel, judge) {
  const packages = require('./packages');
  if (!sel.fallbacks || !sel.fallbacks.length || !sel.selected.length) return sel;
  const failed = new Map();
  for (const file of [...sel.selected, ...sel.fallbacks]) {
    let r;
    try { r = await judge(file); } catch (e) { r = errorResult(file, null, e); }
    if (r.verdict !== 'incompatible' && r.verdict !== 'error') return packages.settle(sel, file, failed);
    const codes = [...new Set(r.problems.filter((p) => p.severity === 'error').map((p) => p.code))];
    failed.set(file, codes.join(', ') || (r.error && r.error.code) || 'incompatible');
  }
  return sel;
}

// A file that would not load, in a package whose main file falls back to JavaScript.
function fallenBack(r, name) {
  const problems = require('./problems').withJsFallback(r.problems, name);
  return { ...r, problems, ok: true, verdict: problems.length ? 'risky' : 'compatible', fallback: true };
}

// The binaries a package (and the platform packages it hands over to) would load.
async function packageBinaries(dir, nt, judge) {
  const packages = require('./packages');
  const sel = await settleFallbacks(await packages.selectBinaries(dir, nt, { facts: fileFacts }), judge);
  const selected = [...sel.selected];
  for (const d of sel.delegates || []) {
    const more = await packages.selectBinaries(d, nt, { facts: fileFacts });
    if (more.installable === true) selected.push(...more.selected);
  }
  return { sel, selected: [...new Set(selected)] };
}

// The result of a package with nothing to load: JavaScript only (fine), not
// installed on the target, or NO_BINARY naming what the target needs.
async function withoutBinary(dir, sel, state, nt, base) {
  const P = require('./problems');
  const needs = require('./packages/needs');
  const empty = { path: dir, target: state.target.name, analysis: null, closure: [], staticTls: null, runsOn: null, selected: null };
  const info = sel.installable === true ? await needs.missingBinary(dir, nt, { facts: fileFacts, selection: sel }) : null;
  if (sel.installable === true && !info) {
    return { ...empty, ok: true, verdict: 'compatible', problems: [], native: false, ...base, covers: [],
      uncovered: [], why: `no native code: ${sel.name || dir} needs no native binary (no napi field, binding.gyp, native loader, ` +
        'install script that builds one, platform packages or *.node files)' };
  }
  const problems = info ? [P.noBinary(info, state.target.name, state.target.kind === 'host')]
    : [P.problem('NO_BINARY', 'error', `${sel.name || dir}: npm would not install it on ${state.target.name}: ` +
      `${sel.installable.reason}`, 'install the package of this platform instead (npm installs the one whose os, cpu ' +
      'and libc fit)', { convention: sel.convention })];
  const verdict = problems[0].severity === 'error' ? 'incompatible' : 'risky';
  const covers = info ? info.covers : [];
  return { ...empty, ok: verdict !== 'incompatible', verdict, problems, ...base, covers, uncovered: needs.uncovered(covers) };
}

// checkPackage(dir): the binary the package's loader convention picks on the
// target, judged with everything it loads.
async function checkPackage(dir = '.', opts = {}) {
  checkPath(dir, 'checkPackage(dir)');
  const state = createState(opts.target, opts);
  let st;
  try {
    st = await fs.promises.stat(dir);
  } catch (e) {
    throw fromSystemError(e, dir);
  }
  if (!st.isDirectory()) throw tiError('TI_ENOTDIR', `${dir}: checkPackage(dir) needs a package directory`, { path: dir });
  const nt = npmTarget(state.target);
  const { sel, selected } = await packageBinaries(dir, nt, judgeAlone(opts.target, opts));
  const base = { package: sel.name, version: sel.version, convention: sel.convention, why: sel.why };
  if (!selected.length) return withoutBinary(dir, sel, state, nt, base);
  const session = new io.Session();
  const files = [];
  for (const file of selected) {
    const real = await fs.promises.realpath(file).catch(() => file); // what require() would hand the loader
    const r = result(await io.runAsync(loadFile(state, real), session), opts.ignore);
    files.push(real !== file ? { ...r, path: file, realPath: real } : r);
  }
  let first = files.find((f) => !f.ok) || files[0];
  const needs = require('./packages/needs');
  if (!first.ok && (await needs.hasJsFallback(dir))) first = fallenBack(first, sel.name);
  const covers = await needs.coversOf(await require('./packages').describePackage(dir));
  return { ...first, selected: first.path, ...(files.length > 1 ? { files } : {}), ...base, covers, uncovered: needs.uncovered(covers) };
}

module.exports = { check, checkSync, checkTogether, checkPackage, createState, result, errorResult, fileFacts,
  settleFallbacks, fallenBack };
