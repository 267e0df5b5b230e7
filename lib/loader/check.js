'use strict';
// check(), checkSync() and checkTogether(): the loader model (model.js) run
// over one file, or over several loaded one after another into one process.
const fs = require('fs');
const { tiError, fromSystemError, codeOf } = require('../errors');
const host = require('../process/host');
const { resolveTarget } = require('./targets');
const { LoaderState, loadFile, verdictOf } = require('./model');
const io = require('./io');

function checkPath(file, what = 'check(path)') {
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', `${what}: path must be a non-empty string`);
  return file;
}

// A fresh process of the target: on the host, this one as it is now.
function createState(targetName = 'host', { cpu, libc, os, lazy, sysroot } = {}) {
  const t = resolveTarget(targetName, { cpu, libc, os, sysroot });
  let facts = null;
  if (t.kind === 'host') {
    facts = host.facts();
    t.libc = facts.libc.family === 'musl' ? 'musl' : facts.libc.family === 'glibc' ? 'glibc' : 'unknown';
    if (t.libc === 'glibc') t.glibc = facts.libc.version;
    if (t.libc === 'musl') t.musl = facts.libc.version;
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

// A tls-inspect target in npm's words, for the package conventions.  On the
// host, LIBC picks the libc as it does for node-gyp-build.
function npmTarget(t, env = process.env) {
  const libc = t.kind === 'host' && (env.LIBC === 'glibc' || env.LIBC === 'musl') ? env.LIBC : t.libc;
  return { os: 'linux', cpu: t.cpu, libc: libc === 'musl' ? 'musl' : 'glibc', runtime: t.runtime || 'node',
    ...(t.abi ? { abi: t.abi } : {}), ...(t.napi ? { napi: t.napi } : {}) };
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

// The binaries a package (and the platform packages it hands over to) would load.
async function packageBinaries(dir, nt) {
  const packages = require('./packages');
  const sel = await packages.selectBinaries(dir, nt, { facts: fileFacts });
  const selected = [...sel.selected];
  for (const d of sel.delegates || []) {
    const more = await packages.selectBinaries(d, nt, { facts: fileFacts });
    if (more.installable === true) selected.push(...more.selected);
  }
  return { sel, selected: [...new Set(selected)] };
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
  const { sel, selected } = await packageBinaries(dir, npmTarget(state.target));
  const base = { package: sel.name, version: sel.version, convention: sel.convention, why: sel.why };
  if (!selected.length) {
    const reason = sel.installable !== true ? sel.installable.reason : sel.missing || 'no native binary for the target';
    const P = require('./problems');
    const problems = [P.problem('NO_BINARY', 'error', `${sel.name || dir}: ${sel.convention} finds no binary to load on ` +
      `${state.target.name}: ${reason}`, 'install or build the binary for this platform (a prebuild for it, or a build ' +
      'from source with a compiler)', { convention: sel.convention })];
    return { path: dir, target: state.target.name, ok: false, verdict: 'incompatible', problems, analysis: null,
      closure: [], staticTls: null, runsOn: null, selected: null, ...base };
  }
  const session = new io.Session();
  const files = [];
  for (const file of selected) {
    const real = await fs.promises.realpath(file).catch(() => file); // what require() would hand the loader
    const r = result(await io.runAsync(loadFile(state, real), session), opts.ignore);
    files.push(real !== file ? { ...r, path: file, realPath: real } : r);
  }
  const first = files.find((f) => !f.ok) || files[0];
  return { ...first, selected: first.path, ...(files.length > 1 ? { files } : {}), ...base };
}

module.exports = { check, checkSync, checkTogether, checkPackage, createState, result, errorResult, npmTarget, fileFacts };
