'use strict';
// The loader model reads files only by yielding requests; a driver answers
// them.  runAsync answers on the thread pool (the addon's probe and analyze,
// fs.promises for whole files), so check() and scan() read no file on the
// main thread, but for check()'s own file when it is a regular file of at most
// 512 KB (lib/file/analyze.js: the trip to the pool costs more than the read);
// runSync answers with blocking calls, for the callers that cannot wait
// (explain(), the register hook).  Either way nothing that is not a regular file is read:
// every open is O_NONBLOCK and checked with fstat first, so a FIFO never blocks.
const fs = require('fs');
const { analyze, analyzeSync, analyzeRemembered, rememberedNow } = require('../file/analyze');
const files = require('../file/walk');
const { elfHead } = require('../elf-head');
const sysroot = require('./sysroot');

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (fs.constants.O_CLOEXEC || 0);
const HEAD = 64;


const kindOf = (st) => (st.isDirectory() ? 'directory' : st.isFIFO() ? 'fifo' : 'other');

function probeResult(st, buf) {
  if (!st.isFile()) return { ok: false, code: 'ENOTREG', kind: kindOf(st) };
  return { ok: true, id: `${st.dev}:${st.ino}`, size: st.size, elf: elfHead(buf), short: buf.length < 52 };
}

// A directory's identity (dev:ino), null for anything else.
const dirIdentity = (st) => (st.isDirectory() ? `${st.dev}:${st.ino}` : null);

// The model binds symbols against what it analyzes: exports packed at once.
const MODEL = { exports: 'now' };
// The file a load starts from: whether it defines a name is asked of it, rarely which names.
const TOP = { exports: 'table' };

const SYNC = {
  probe(path) {
    let fd;
    try {
      fd = fs.openSync(path, OPEN_FLAGS);
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return { ok: false, code: 'ENOTREG', kind: kindOf(st) };
      const buf = Buffer.alloc(HEAD);
      const n = fs.readSync(fd, buf, 0, HEAD, 0);
      return probeResult(st, buf.subarray(0, n));
    } catch (e) {
      return { ok: false, code: e.code || 'EIO' };
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  },
  read(path, limit) {
    const r = SYNC.probe(path);
    if (!r.ok || r.size > limit) return null;
    try {
      return fs.readFileSync(path, { flag: OPEN_FLAGS });
    } catch (_) {
      return null;
    }
  },
  analyze: (path, _limit, top) => analyzeSync(path, top ? TOP : MODEL),
  isDir(path) {
    try {
      return fs.statSync(path).isDirectory();
    } catch (_) {
      return false;
    }
  },
  dirId(path) {
    try {
      return dirIdentity(fs.statSync(path));
    } catch (_) {
      return null;
    }
  },
  rooted: (key) => sysroot.resolveSync(key.slice(0, key.indexOf('\0')), key.slice(key.indexOf('\0') + 1)),
};

const ASYNC = {
  // one trip to the thread pool (the addon's open, fstat, read, close)
  async probe(path) {
    try {
      const p = await files.probe(path);
      return { ok: true, id: p.id, size: p.size, elf: elfHead(p.head), short: p.head.length < 52 };
    } catch (e) {
      // the addon's codes are TI_<errno name>; a directory or anything else that is not a file says which it is
      const code = String(e.code || 'TI_EIO').replace(/^TI_/, '');
      if (code === 'EISDIR') return { ok: false, code: 'ENOTREG', kind: 'directory' };
      if (code !== 'ENOTREG') return { ok: false, code };
      return fs.promises.stat(path).then((st) => ({ ok: false, code, kind: kindOf(st) }), () => ({ ok: false, code }));
    }
  },
  async read(path, limit) {
    const r = await ASYNC.probe(path);
    if (!r.ok || r.size > limit) return null;
    try {
      return await fs.promises.readFile(path, { flag: OPEN_FLAGS });
    } catch (_) {
      return null;
    }
  },
  analyze: (path, _limit, top) => analyze(path, top ? TOP : MODEL),
  isDir: (path) => fs.promises.stat(path).then((st) => st.isDirectory(), () => false),
  dirId: (path) => fs.promises.stat(path).then(dirIdentity, () => null),
  rooted: (key) => sysroot.resolveAsync(key.slice(0, key.indexOf('\0')), key.slice(key.indexOf('\0') + 1)),
};

// A request the model yields: { op: 'probe' | 'read' | 'analyze' | 'isDir' | 'dirId' | 'rooted', path, limit, once }.
// Answers are memoised per session (one check, one checkTogether, one scan), so
// a library named by many files is read once.  A bounded session (a scan's)
// keeps only the answers used last, per kind: memory stays flat however many
// libraries a tree holds, and a library is read again only after many others.
const BOUNDS = { analyze: 4, read: 8, probe: 512, isDir: 256, dirId: 256, rooted: 512 };

// A Map that keeps at most `limit` entries, dropping the least recently used.
class RecentMap {
  constructor(limit) {
    this.limit = limit;
    this.map = new Map();
    this.last = undefined;
  }

  get(k) {
    const v = this.map.get(k);
    if (v !== undefined && k !== this.last) this.set(k, v); // most recently used last
    return v;
  }

  set(k, v) {
    this.map.delete(k);
    this.map.set(k, v);
    this.last = k;
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value);
    return this;
  }
}

class Session {
  // remember: the one file whose analysis may come from the last ones made (check()'s own file)
  constructor({ bounded = false, remember = null } = {}) {
    this.remember = remember;
    this.memo = bounded ? { analyze: new RecentMap(BOUNDS.analyze), read: new RecentMap(BOUNDS.read),
      probe: new RecentMap(BOUNDS.probe), isDir: new RecentMap(BOUNDS.isDir),
      dirId: new RecentMap(BOUNDS.dirId), rooted: new RecentMap(BOUNDS.rooted) } : null;
    this.all = new Map();
    this.ahead = new Map(); // path -> analysis promise, asked for before the model asks
  }

  // The analysis of path, fetched ahead (with others in one trip): a promise
  // of a function that returns it; the model's next request for it takes it, once.
  prefetch(path, promise) {
    promise.catch(() => {}); // taken later, or never if the scan stops
    this.ahead.set(path, promise);
  }

  // A prefetched analysis that will not be asked for.
  discard(path) {
    this.ahead.delete(path);
  }

  // A prefetched analysis asked for by another name of the same file.
  rename(from, to) {
    const promise = this.ahead.get(from);
    if (!promise || from === to) return;
    this.ahead.delete(from);
    this.ahead.set(to, promise);
  }

  // An analysis asked for with the file's identity (dev:ino:size, from the probe
  // that found it) is kept by identity: a library reached through many hard links
  // (pnpm's store, a tree of copies by link) is read and shaped once; its
  // `path` (and where deferred exports are read again) is the first link's.
  key(req) {
    return req.id ? `${req.op}\0@${req.id}` : `${req.op}\0${req.path}`;
  }

  // The memoised answer to req (undefined when there is none), and keeping one.
  known(req) {
    return (this.memo ? this.memo[req.op] : this.all).get(this.key(req));
  }

  keep(req, v) {
    (this.memo ? this.memo[req.op] : this.all).set(this.key(req), v);
    return v;
  }

  // The memoised answer to req, made by answer() when there is none.
  answer(req, answer) {
    const v = this.known(req);
    return v === undefined ? this.keep(req, answer()) : v;
  }
}

function answerSync(session, req) {
  const run = () => tryCall(() => SYNC[req.op](req.path, req.limit, req.top));
  return req.once ? run() : session.answer(req, run);
}

async function answerAsync(session, req) {
  const early = req.op === 'analyze' && session.ahead.get(req.path);
  if (early) session.ahead.delete(req.path);
  const remembered = req.op === 'analyze' && req.path === session.remember;
  const ask = () => (early ? early.then((take) => take())
    : remembered ? analyzeRemembered(req.path) : ASYNC[req.op](req.path, req.limit, req.top));
  const run = () => ask().then((value) => ({ value }), (error) => ({ error }));
  return req.once ? run() : session.answer(req, run);
}

function tryCall(fn) {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

function step(gen, answer) {
  return answer.error ? gen.throw(answer.error) : gen.next(answer.value);
}

function runSync(gen, session = new Session()) {
  let r = gen.next();
  while (!r.done) r = step(gen, answerSync(session, r.value));
  return r.value;
}

// check()'s own file answered at once when that needs no waiting (see
// rememberedNow), and kept as answerAsync keeps it; else null.
function answerNow(session, req) {
  if (req.op !== 'analyze' || req.path !== session.remember || session.ahead.size) return null;
  const known = session.known(req);
  if (known !== undefined) return typeof known.then === 'function' ? null : known;
  let answer;
  try {
    const value = rememberedNow(req.path);
    if (!value) return null;
    answer = { value };
  } catch (error) {
    answer = { error };
  }
  return req.once ? answer : session.keep(req, answer);
}

async function runAsync(gen, session = new Session()) {
  let r = gen.next();
  while (!r.done) r = step(gen, answerNow(session, r.value) || (await answerAsync(session, r.value)));
  return r.value;
}

// Request helpers for the model's generators: `const a = yield* io.analyze(p)`.
// `once`: not remembered (the files a scan judges, so its memory stays flat).
function* probe(path) { return yield { op: 'probe', path }; }
function* read(path, limit) { return yield { op: 'read', path, limit }; }
// id: the file's identity when known (see Session.key); top: the file the load starts from.
function* analyzeFile(path, once = false, id = null, top = false) { return yield { op: 'analyze', path, once, id, top }; }
function* isDir(path) { return yield { op: 'isDir', path }; }
function* dirId(path) { return yield { op: 'dirId', path }; }
// A path of a sysroot's tree resolved inside it: { path } (the host path) or { code }.
function* rooted(root, path) { return yield { op: 'rooted', path: `${root}\0${path}` }; }

module.exports = { Session, RecentMap, runSync, runAsync, probe, read, analyze: analyzeFile, isDir, dirId, rooted, SYNC, ASYNC };
