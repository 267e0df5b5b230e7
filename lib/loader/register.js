'use strict';
// Wraps Node's loader for .node files: a require() of a native addon that the
// loader refuses rethrows the very same error object (same class, same code,
// original message first) with tls-inspect's diagnosis appended and attached
// as err.tlsInspect; what the addon's own init code throws passes untouched.
// Success paths pay one try/catch; nothing is loaded until a load fails.
const fs = require('fs');
const Module = require('module');

const MARK = Symbol.for('tls-inspect.register');

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

function install() {
  const current = Module._extensions['.node'];
  if (current[MARK]) return false;
  const wrapped = function (module, filename) {
    try {
      return current.call(this, module, filename);
    } catch (err) {
      try {
        annotate(err, filename);
      } catch (_) { /* what was thrown is what is rethrown, whatever happened here */ }
      throw err;
    }
  };
  wrapped[MARK] = true;
  Module._extensions['.node'] = wrapped;
  return true;
}

module.exports = { install, annotate };
