'use strict';
// scan(): the native files under a tree (*.node, and *.so* with ELF magic).
// Each package's loader convention (packages/) decides which of them would
// load on the target; those are judged by the loader model with everything
// they pull in, every other one is reported as skipped with the reason and
// costs nothing more than the walk's look at it.
// The walk (lib/file/walk.js) runs in the addon on the thread pool, a batch
// ahead of the judging, reading each file's header (its light analysis only
// where the package's convention does not decide); results come as they finish.  Memory stays flat:
// files are judged `concurrency` at a time and nothing is kept per file but
// the real path of each judged one (to skip other links to it), and one
// selection per package.  What cannot be read is an error result.
const fs = require('fs');
const path = require('path');
const { tiError, fromSystemError } = require('../errors');
const { createState, result, errorResult, settleFallbacks, fallenBack } = require('./check');
const { npmTarget } = require('./packages/npm-target');
const needs = require('./packages/needs');
const P = require('./problems');
const { loadFile, LoaderState } = require('./model');
const packages = require('./packages');
const io = require('./io');
const files = require('../file/walk');
const { analyze, analyzeMany } = require('../file/analyze');

// Directories and packages remembered, the ones seen last: the walk is
// depth-first, so only a chain of nested packages is open at a time.  Larger
// bounds only kept more alive (1,024 and 256, with the session's larger
// bounds in io.js: 1.9 MB more live heap at 20,000 files, 1.7 MB more peak RSS).
const RECENT_DIRS = 128;
const RECENT_PACKAGES = 32;
const NATIVE_PACKAGES = 100000; // packages remembered as holding *.node files
const CHUNK = 8; // files analyzed per trip to the thread pool
// Native files per batch of the walk: a batch lives until its last file is
// classified (its names are slices of one string), so large batches outlive
// the young generation and fill the old one (1,024: 40 MB promoted in a
// 20,000-file scan; 128: 22 MB, peak RSS 25 MB lower, the same time).  With
// AHEAD 8 (was 16), in the CLI's bounded worker: peak RSS growth from 1,000 to
// 20,000 files 13.0 MB against 16.4 at 128 and 16 (medians of 9), 4% more time.
const WALK_BATCH = 64;
const AHEAD = 8; // files whose analyses may wait for their judging

// Every native file under root as { path, facts }, and every directory that
// cannot be read as { path, error }; symlinked directories are followed once
// each (by device and inode).
async function* walk(root, opts) {
  for await (const batch of files.walk(root, opts)) yield* batch;
}

// An entry the walk could not read, as check() reports a file it could not judge.
const unreadable = (entry, target) => errorResult(entry.shown || entry.path, target, entry.error);

// Which package a file belongs to and what that package would load: one
// selection per package (its *.node files judged by their light analysis
// when it has no convention), and no waiting once both are known.  The walk
// is depth-first, so a package's files come together: only the packages and
// directories seen last are remembered (one seen again is looked up again).
// The walk reads each file's header only; a file's libc (its light analysis)
// is read when nothing else decides: a package without a loader convention.
const needsLight = (sel, entry) => sel.convention === 'none' && entry.facts.elf && !entry.light;

class Selector {
  constructor(root, target, judge) {
    this.root = root;
    this.target = target;
    this.judge = judge; // a file alone in a fresh process: settles loaders that try candidates in order
    this.nativePackages = new Set(); // the packages *.node files were found in (for NO_BINARY)
    this.packageOf = new io.RecentMap(RECENT_DIRS); // absolute directory -> package directory, or a promise of it
    this.selections = new io.RecentMap(RECENT_PACKAGES); // package directory -> selection, or a promise of it
  }

  // { sel, verdict } for a walked file, or null while its package, or the
  // file's libc where the package's convention leaves it to the file, is not known yet.
  known(entry) {
    const { dir } = entry; // absolute: the walk starts from an absolute directory
    const pkg = this.packageOf.get(dir);
    const sel = typeof pkg === 'string' ? this.selections.get(pkg) : undefined;
    if (!sel || typeof sel.then === 'function' || needsLight(sel, entry)) return null;
    return { sel, verdict: packages.classify(sel, `${dir}/${entry.name}`, entry.facts) };
  }

  // The same, once known (asked once per entry: the batch asks ahead, the judging waits).
  find(entry) {
    if (!entry.finding) entry.finding = this.findOnce(entry);
    return entry.finding;
  }

  async findOnce(entry) {
    const { dir } = entry; // absolute: the walk starts from an absolute directory
    const file = `${dir}/${entry.name}`;
    const pkg = await this.memo(this.packageOf, dir, () => packages.findPackageRoot(file, this.root).then((r) => r || this.root));
    const sel = await this.memo(this.selections, pkg, () => packages.selectBinaries(pkg, this.target, { facts: 'light' })
      .then((s) => settleFallbacks(s, this.judge)));
    if (needsLight(sel, entry)) {
      // unreadable here: the header's facts, and the judging says what is wrong
      entry.facts = await analyze(entry.path, { light: true }).then(packages.factsFromAnalysis, () => entry.facts);
      entry.light = true;
    }
    return { sel, verdict: packages.classify(sel, file, entry.facts) };
  }

  // A promise kept until it settles, then its value.
  memo(map, key, make) {
    let v = map.get(key);
    if (v === undefined) map.set(key, (v = make().then((value) => { map.set(key, value); return value; })));
    return v;
  }
}

function tally(summary, r) {
  // a package without a binary is not a file: counted apart, by verdict
  if (r.verdict !== 'skipped' && r.problems && r.problems.some((p) => p.code === 'NO_BINARY')) {
    summary.noBinary[r.verdict] = (summary.noBinary[r.verdict] || 0) + 1;
    return;
  }
  summary.total++;
  summary[r.verdict]++;
  if (r.verdict === 'skipped') summary.skippedBy[r.reason] = (summary.skippedBy[r.reason] || 0) + 1;
  if (r.staticTls && r.staticTls.needed) summary.staticTls.needed += r.staticTls.needed;
}

function skipped(entry, target, c) {
  return { path: entry.shown, target, ok: true, verdict: 'skipped', reason: c.verdict.reason, problems: [],
    package: c.sel.name, convention: c.sel.convention };
}

// The files to judge, in the order they come: their analyses are fetched
// CHUNK files to a trip to the thread pool, ahead of the judging (at most
// AHEAD waiting), and `concurrency` files are judged at a time; results are
// taken as they finish.
class Judging {
  constructor(session, concurrency, judge, machine) {
    Object.assign(this, { session, concurrency, judge, machine, queue: [], unfetched: [], running: 0, finished: [], wake: null });
  }

  add(entry, pkg) {
    const job = { entry, pkg, fetched: false };
    this.queue.push(job);
    this.unfetched.push(job);
    if (this.unfetched.length >= CHUNK) this.fetch();
    this.start();
  }

  fetch() {
    if (!this.unfetched.length) return;
    const analyses = analyzeMany(this.unfetched.map((job) => job.entry.path), { machine: this.machine, exports: 'table' });
    this.unfetched.forEach((job, i) => {
      this.session.prefetch(job.entry.path, analyses[i]);
      job.fetched = true;
    });
    this.unfetched = [];
  }

  start() {
    while (this.queue.length && this.queue[0].fetched && this.running < this.concurrency) {
      const job = this.queue.shift();
      this.running++;
      this.judge(job.entry, job.pkg).then((r) => {
        this.running--;
        this.finished.push(r);
        this.start();
        if (this.wake) this.wake();
      });
    }
  }

  get backlog() { return this.queue.length >= AHEAD; }

  get busy() { return this.running > 0 || this.queue.length > 0; }

  // The results finished so far (waiting for one when `wait` and none has).
  async take(wait) {
    if (wait && !this.finished.length && this.busy) {
      // a partial chunk goes to the thread pool only when a judge would otherwise idle:
      // not on every wait (each would send one file alone: a trip, a wake-up of a thread)
      if (this.running < this.concurrency && !(this.queue.length && this.queue[0].fetched)) this.fetch();
      this.start();
      await new Promise((resolve) => { this.wake = resolve; });
      this.wake = null;
    }
    const out = this.finished;
    this.finished = [];
    return out;
  }
}

// Node loads an addon by its real path (require resolves symlinks, and
// $ORIGIN is then the real directory), and loads a file once however many
// links lead to it: each file is judged by its real path, once; another link
// to it is skipped.  Only the real paths judged are kept.
const ALIAS = 'a link to a file judged already';

function judgeWith(first, session, opts) {
  const target = first.target.name;
  const judged = new Set();
  return async (entry, pkg) => {
    try {
      // the walk starts from the real directory, so only a followed link makes a path unreal
      // (beyond PATH_MAX realpath fails: the path as walked)
      const real = entry.linked ? await fs.promises.realpath(entry.path).catch(() => entry.path) : entry.path;
      session.rename(entry.path, real);
      if (judged.has(real)) {
        session.discard(real);
        return { path: entry.shown, target, ok: true, verdict: 'skipped', reason: ALIAS, sameAs: real, problems: [], ...pkg };
      }
      judged.add(real);
      const fresh = new LoaderState(first.target, first.facts, { lazy: first.lazy });
      let r = result(await io.runAsync(loadFile(fresh, real, { once: true, final: true }), session), opts.ignore);
      if (!r.ok && pkg && pkg.dir && (await needs.hasJsFallback(pkg.dir))) r = fallenBack(r, pkg.package);
      return { ...r, path: entry.shown, ...(real !== entry.path ? { realPath: real } : {}), ...pkg };
    } catch (e) {
      return unreadable({ path: entry.shown, error: e }, target);
    }
  };
}

// What the walk found, skipped or errors at once, the rest to judging.
async function classified(entry, choose, target) {
  if (entry.error) return { result: unreadable(entry, target) };
  if (entry.code) { // a native file that could not be opened or read (the walk reads headers only)
    const error = { code: entry.code, message: `${entry.shown}: cannot be read (${entry.code})` };
    return { result: unreadable({ shown: entry.shown, error }, target) };
  }
  if (!choose) return { judge: null };
  let c;
  try {
    c = choose.known(entry) || (await choose.find(entry));
  } catch (e) {
    return { result: unreadable({ shown: entry.shown, error: e }, target) };
  }
  if (entry.name.endsWith('.node') && choose.nativePackages.size < NATIVE_PACKAGES) choose.nativePackages.add(c.sel.dir);
  if (!c.verdict.selected) return { result: skipped(entry, target, c) };
  // the package's directory travels unseen (not part of the result)
  return { judge: Object.defineProperty({ package: c.sel.name, convention: c.sel.convention }, 'dir', { value: c.sel.dir }) };
}

// Paths under root as they read under dir (the same directory, named as the caller named it).
function showAs(dir, root) {
  if (root === dir) return (p) => p;
  const base = dir === '.' || dir === './' ? '' : dir.replace(/\/+$/, '') || '/';
  const prefix = root === '/' ? '/' : `${root}/`;
  return (p) => {
    if (p === root) return dir;
    if (!p.startsWith(prefix)) return p;
    const rel = p.slice(prefix.length);
    return base === '' ? rel : base === '/' ? `/${rel}` : `${base}/${rel}`;
  };
}

// The node_modules a require() from `from` searches first, as Node's module
// resolution walks up (lib/internal/modules/cjs/loader.js, _nodeModulePaths):
// from/node_modules, then each parent's, never inside a node_modules itself.
// A package of a workspace has none of its own: the hoisted tree above is the
// one its require() uses.  Shown relative to `from` when below one of its
// ancestors; TI_ENOENT (with the directories searched) when there is none.
async function findModulesRoot(from = process.cwd()) {
  const start = path.resolve(from);
  const searched = [];
  for (let d = start; ; d = path.dirname(d)) {
    if (path.basename(d) !== 'node_modules') {
      const candidate = path.join(d, 'node_modules');
      searched.push(candidate);
      const st = await fs.promises.stat(candidate).catch(() => null);
      if (st && st.isDirectory()) return d === start ? 'node_modules' : path.relative(start, candidate);
    }
    if (path.dirname(d) === d || searched.length >= 4096) break;
  }
  throw tiError('TI_ENOENT', `no node_modules in ${start} or any directory above it (where require() would look)`,
    { path: start, searched: searched.length });
}

async function* run(dir, opts, summary) {
  if (dir === undefined) summary.dir = dir = await findModulesRoot();
  if (typeof dir !== 'string' || !dir) throw tiError('TI_EINVAL', 'scan(dir): dir must be a non-empty string');
  const concurrency = opts.concurrency === undefined ? 8 : opts.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw tiError('TI_EINVAL', 'concurrency must be a positive integer');
  const st = await fs.promises.stat(dir).catch((e) => { throw fromSystemError(e, dir); });
  if (!st.isDirectory()) throw tiError('TI_ENOTDIR', `${dir} is not a directory`);
  const first = createState(opts.target, opts);
  const target = first.target.name;
  Object.assign(summary, { target, staticTls: { needed: 0, before: first.budget ? first.budget.free : null } });
  const session = new io.Session({ bounded: true });
  // The walk starts from the real directory: absolute (the host may change its working directory
  // meanwhile) and as the kernel resolves `link/..`; results name paths the way `dir` does.
  const real = await fs.promises.realpath(dir).catch(() => null); // beyond PATH_MAX: made absolute
  const walked = real || path.resolve(dir);
  const shown = showAs(dir, walked);
  const judgeOne = async (file) => {
    const fresh = new LoaderState(first.target, first.facts, { lazy: first.lazy });
    return result(await io.runAsync(loadFile(fresh, file, { once: true }), new io.Session({ bounded: true })), opts.ignore);
  };
  const choose = opts.all ? null : new Selector(walked, npmTarget(first.target), judgeOne);
  const judging = new Judging(session, concurrency, judgeWith(first, session, opts), first.target.machineNumber);
  const done = (r) => { tally(summary, r); return r; };
  for await (const batch of files.walk(walked, { batch: WALK_BATCH })) {
    for (const entry of batch) entry.shown = shown(entry.path);
    // the packages of the whole batch are looked up together, not one after another
    if (choose) for (const entry of batch) if (!entry.error && !choose.known(entry)) choose.find(entry).catch(() => {});
    for (const entry of batch) {
      const c = await classified(entry, choose, target);
      if (c.result) yield done(c.result);
      else judging.add(entry, c.judge);
      for (const r of await judging.take(judging.backlog)) yield done(r);
    }
    judging.fetch();
    judging.start();
  }
  while (judging.busy || judging.finished.length) for (const r of await judging.take(true)) yield done(r);
  if (choose) for await (const r of withoutBinaries(walked, first, shown, choose.nativePackages)) yield done(r);
}

// One NO_BINARY result per package that needs a native binary and has none
// for the target (its native files, if any, were listed above as skipped).
async function* withoutBinaries(root, first, shown, nativePackages) {
  const nt = npmTarget(first.target);
  const whole = nativePackages.size < NATIVE_PACKAGES;
  for await (const dir of needs.packageDirs(root)) {
    let info;
    try {
      info = await needs.missingBinary(dir, nt, whole ? { hasNodeFiles: nativePackages.has(dir) } : {});
    } catch (e) {
      yield unreadable({ shown: shown(dir), error: e }, first.target.name);
      continue;
    }
    if (!info) continue;
    const problem = P.noBinary(info, first.target.name, first.target.kind === 'host');
    const verdict = problem.severity === 'error' ? 'incompatible' : 'risky';
    yield { path: shown(dir), target: first.target.name, ok: verdict !== 'incompatible', verdict, problems: [problem],
      analysis: null, package: info.name, convention: info.convention, covers: info.covers, uncovered: needs.uncovered(info.covers) };
  }
}

// An async iterator of results; its `summary` is complete when it is done:
// dir: without one, the node_modules require() would use from the working
// directory, found by walking up (summary.dir names it).
// { dir, target, total, compatible, risky, incompatible, skipped, error,
//   skippedBy: { reason: count }, staticTls: { needed, before },
//   noBinary: { incompatible, risky } (packages, not files) }.
function scan(dir, opts = {}) {
  const summary = { dir, target: null, total: 0, compatible: 0, risky: 0, incompatible: 0, skipped: 0, error: 0,
    skippedBy: {}, staticTls: { needed: 0, before: null }, noBinary: { incompatible: 0, risky: 0 } };
  const it = run(dir, opts, summary);
  it.summary = summary;
  return it;
}

module.exports = { scan, walk, findModulesRoot };
