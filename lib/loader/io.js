'use strict';
// The loader model reads files only by yielding requests; a driver answers
// them.  runAsync answers on the thread pool (fs.promises, the addon's async
// analyze), so check() and scan() do no file I/O on the main thread; runSync
// answers with blocking calls, for the callers that cannot wait (explain(),
// the register hook).  Either way nothing that is not a regular file is read:
// every open is O_NONBLOCK and checked with fstat first, so a FIFO never blocks.
const fs = require('fs');
const { analyze, analyzeSync } = require('../file/analyze');

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (fs.constants.O_CLOEXEC || 0);
const HEAD = 64;

// ELF identification and header fields the loaders compare before they map a candidate.
function elfHead(buf) {
  if (buf.length < 20 || buf.readUInt32BE(0) !== 0x7f454c46) return null;
  const le = buf[5] !== 2;
  return { class: buf[4] === 2 ? 64 : 32, endian: le ? 'le' : 'be', osabi: buf[7],
    type: le ? buf.readUInt16LE(16) : buf.readUInt16BE(16), machineNumber: le ? buf.readUInt16LE(18) : buf.readUInt16BE(18) };
}

const kindOf = (st) => (st.isDirectory() ? 'directory' : st.isFIFO() ? 'fifo' : 'other');

function probeResult(st, buf) {
  if (!st.isFile()) return { ok: false, code: 'ENOTREG', kind: kindOf(st) };
  return { ok: true, id: `${st.dev}:${st.ino}`, size: st.size, elf: elfHead(buf), short: buf.length < 52 };
}

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
  analyze: (path) => analyzeSync(path),
  isDir(path) {
    try {
      return fs.statSync(path).isDirectory();
    } catch (_) {
      return false;
    }
  },
};

const ASYNC = {
  async probe(path) {
    let fh;
    try {
      fh = await fs.promises.open(path, OPEN_FLAGS);
      const st = await fh.stat();
      if (!st.isFile()) return { ok: false, code: 'ENOTREG', kind: kindOf(st) };
      const buf = Buffer.alloc(HEAD);
      const { bytesRead } = await fh.read(buf, 0, HEAD, 0);
      return probeResult(st, buf.subarray(0, bytesRead));
    } catch (e) {
      return { ok: false, code: e.code || 'EIO' };
    } finally {
      if (fh) await fh.close();
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
  analyze: (path) => analyze(path),
  isDir: (path) => fs.promises.stat(path).then((st) => st.isDirectory(), () => false),
};

// A request the model yields: { op: 'probe' | 'read' | 'analyze' | 'isDir', path, limit, once }.
// Answers are memoised per session (one check, one checkTogether, one scan), so
// a library named by many files is read once.
class Session {
  constructor() {
    this.memo = new Map();
  }

  key(req) {
    return `${req.op}\0${req.path}`;
  }
}

function answerSync(session, req) {
  if (req.once) return tryCall(() => SYNC[req.op](req.path, req.limit));
  const k = session.key(req);
  if (!session.memo.has(k)) {
    session.memo.set(k, tryCall(() => SYNC[req.op](req.path, req.limit)));
  }
  return session.memo.get(k);
}

async function answerAsync(session, req) {
  if (req.once) return ASYNC[req.op](req.path, req.limit).then((value) => ({ value }), (error) => ({ error }));
  const k = session.key(req);
  if (!session.memo.has(k)) {
    const p = ASYNC[req.op](req.path, req.limit).then((value) => ({ value }), (error) => ({ error }));
    session.memo.set(k, p);
  }
  return session.memo.get(k);
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

async function runAsync(gen, session = new Session()) {
  let r = gen.next();
  while (!r.done) r = step(gen, await answerAsync(session, r.value));
  return r.value;
}

// Request helpers for the model's generators: `const a = yield* io.analyze(p)`.
// `once`: not remembered (the files a scan judges, so its memory stays flat).
function* probe(path) { return yield { op: 'probe', path }; }
function* read(path, limit) { return yield { op: 'read', path, limit }; }
function* analyzeFile(path, once = false) { return yield { op: 'analyze', path, once }; }
function* isDir(path) { return yield { op: 'isDir', path }; }

module.exports = { Session, runSync, runAsync, probe, read, analyze: analyzeFile, isDir, elfHead, SYNC, ASYNC };
