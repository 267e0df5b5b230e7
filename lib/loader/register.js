'use strict';
// Wraps Node's loader for .node files: a require() of a native addon that the
// loader refuses rethrows the very same error object (same class, same code,
// original message first) with tls-inspect's diagnosis appended and attached
// as err.tlsInspect; what the addon's own init code throws passes untouched.
// Packages' own JS loaders that wrap the real failure (napi-rs "Cannot find
// native binding", with the load errors as `cause`) are annotated the same
// way, from the cause.  Workers started afterwards load this hook too.
// Success paths pay one try/catch; nothing is loaded until a load fails.
const fs = require('fs');
const path = require('path');
const Module = require('module');

const MARK = Symbol.for('tls-inspect.register');
const REGISTER = path.join(__dirname, '..', '..', 'register.js');
// What packages' JS loaders throw when the binary they wanted did not load.
const WRAPPER_MARKERS = ['Cannot find native binding', 'Could not locate the bindings file',
  'Could not load the "sharp" module', 'You installed esbuild for another platform'];

// After a throw, `filename` still in this process's link map means dlopen
// succeeded and the addon's own init code threw: Node keeps such a library
// loaded, while a failed dlopen leaves nothing mapped and Node unloads a
// library that did not self-register.  Compared by device and inode.
function initCodeThrew(filename) {
  try {
    const id = fs.statSync(filename);
    return require('../process/host').modules().some((m) => {
      if (!m.path.startsWith('/')) return false;
      const st = fs.statSync(m.path, { throwIfNoEntry: false });
      return Boolean(st) && st.ino === id.ino && st.dev === id.dev;
    });
  } catch (_) {
    return false; // cannot tell: judged by the error alone
  }
}

// Only the loader's own errors are touched: not one the addon's init code
// threw, nor one that neither Node's dlopen code nor explain() recognises.
// Anything thrown may be hostile (a throwing getter, a Proxy whose traps throw,
// a revoked Proxy): every read of it is inside a try, and a diagnosis never
// replaces what it explains.
function annotate(err, filename) {
  try {
    if (!err || typeof err !== 'object' || err.tlsInspect || initCodeThrew(filename)) return;
  } catch (_) {
    return;
  }
  let d;
  try {
    d = require('./explain').explain(err, { path: filename });
    if (d.kind === 'unknown' && err.code !== 'ERR_DLOPEN_FAILED') return;
  } catch (_) {
    return;
  }
  attach(err, d);
}

// Appends the diagnosis to the message and the printed stack, and sets
// err.tlsInspect; a frozen or exotic error is left as it is.
function attach(err, d) {
  try {
    err.tlsInspect = d;
    if (d.kind === 'unknown') return;
    const original = String(err.message);
    const stack = err.stack; // V8 formats the stack lazily: read it before the message changes
    const message = `${original}\n\n${require('./explain').formatDiagnosis(d)}`;
    err.message = message;
    const at = typeof stack === 'string' ? stack.indexOf(original) : -1;
    // Spliced, not String.replace: a path may hold "$&" or "$'".
    if (at >= 0) err.stack = stack.slice(0, at) + message + stack.slice(at + original.length);
  } catch (_) { /* frozen or exotic error objects are rethrown as they are */ }
}

// A package loader's wrapper error (the napi-rs message, ...): diagnosed from
// its causes; any other error a JS module throws is not touched.
function annotateWrapper(err) {
  let d;
  try {
    if (!err || typeof err !== 'object' || err.tlsInspect) return;
    const message = err.message;
    if (typeof message !== 'string' || !WRAPPER_MARKERS.some((m) => message.includes(m))) return;
    d = require('./explain').explain(err);
    if (d.kind === 'unknown') return;
  } catch (_) {
    return;
  }
  attach(err, d);
}

function wrap(ext, onError) {
  const current = Module._extensions[ext];
  if (!current || current[MARK]) return false;
  const wrapped = function (module, filename) {
    try {
      return current.call(this, module, filename);
    } catch (err) {
      try {
        onError(err, filename);
      } catch (_) { /* what was thrown is what is rethrown, whatever happened here */ }
      throw err;
    }
  };
  wrapped[MARK] = true;
  Module._extensions[ext] = wrapped;
  return true;
}

// execArgv for a new Worker: the caller's (or, as Node does, this thread's)
// with --require of this hook added once; the caller's object is not changed.
function workerExecArgv(given) {
  const base = Array.isArray(given) ? given : process.execArgv;
  const has = base.some((a, i) => (a === REGISTER || /tls-inspect\/register(\.js)?$/.test(a)) &&
    (i > 0 && ['-r', '--require'].includes(base[i - 1])) || a === `--require=${REGISTER}`);
  return has ? base : [...base, '--require', REGISTER];
}

// worker_threads.Worker, replaced by a subclass that adds the hook to each new
// worker's execArgv (a worker does not inherit a require() made at run time).
function installWorkers() {
  let wt;
  try {
    wt = require('worker_threads');
  } catch (_) {
    return false;
  }
  const Original = wt.Worker;
  if (!Original || Original[MARK]) return false;
  class Worker extends Original {
    constructor(filename, options) {
      const o = options && typeof options === 'object' ? { ...options, execArgv: workerExecArgv(options.execArgv) } :
        options === undefined ? { execArgv: workerExecArgv(undefined) } : options;
      super(filename, o);
    }
  }
  Worker[MARK] = true;
  wt.Worker = Worker;
  return true;
}

function install() {
  const node = wrap('.node', annotate);
  wrap('.js', annotateWrapper);
  installWorkers();
  return node;
}

module.exports = { install, annotate, annotateWrapper, workerExecArgv, REGISTER };
