'use strict';
// Wraps Node's loader for .node files: a failing require() of a native addon
// rethrows the very same error object (same class, same code, original message
// first) with tls-inspect's diagnosis appended and attached as err.tlsInspect.
// Success paths pay one try/catch; nothing is loaded until a load fails.
const Module = require('module');

const MARK = Symbol.for('tls-inspect.register');

function annotate(err, filename) {
  if (!err || typeof err !== 'object' || err.tlsInspect) return;
  let d;
  try {
    d = require('./explain').explain(err, { path: filename });
  } catch (_) {
    return; // a diagnosis must never replace the error it explains
  }
  try {
    err.tlsInspect = d;
    if (d.kind === 'unknown') return;
    const original = String(err.message);
    const stack = err.stack; // V8 formats the stack lazily: read it before the message changes
    const message = `${original}\n\n${require('./explain').formatDiagnosis(d)}`;
    err.message = message;
    if (typeof stack === 'string' && stack.includes(original)) err.stack = stack.replace(original, message);
  } catch (_) { /* frozen or exotic error objects are rethrown as they are */ }
}

function install() {
  const current = Module._extensions['.node'];
  if (current[MARK]) return false;
  const wrapped = function (module, filename) {
    try {
      return current.call(this, module, filename);
    } catch (err) {
      annotate(err, filename);
      throw err;
    }
  };
  wrapped[MARK] = true;
  Module._extensions['.node'] = wrapped;
  return true;
}

module.exports = { install, annotate };
