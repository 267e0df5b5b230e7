'use strict';
// Errors thrown from JS carry the same `code` strings as the C core's enum.
class TlsInspectError extends Error {
  constructor(code, message, extra) {
    super(message);
    this.name = 'TlsInspectError';
    this.code = code;
    if (extra) Object.assign(this, extra);
  }
}

function tiError(code, message, extra) {
  return new TlsInspectError(code, message, extra);
}

// Node's file-system errors in the project's codes.
const SYSTEM_CODES = { ENOENT: 'TI_ENOENT', ENOTDIR: 'TI_ENOTDIR', EACCES: 'TI_EACCES', EPERM: 'TI_EACCES',
  ENAMETOOLONG: 'TI_ENAMETOOLONG', ELOOP: 'TI_ELOOP', EMFILE: 'TI_EMFILE', ENFILE: 'TI_EMFILE', EISDIR: 'TI_EISDIR' };

// The code an entry reports for what was thrown while judging it: a TI_* code
// as it is, a system error in the project's codes (TI_EIO for the others), and
// anything else -- a RangeError, a TypeError: a fault of ours, not of the
// disk -- TI_EINTERNAL.
function codeOf(e) {
  if (e && typeof e.code === 'string' && /^TI_/.test(e.code)) return e.code;
  if (e && SYSTEM_CODES[e.code]) return SYSTEM_CODES[e.code];
  if (e && typeof e.code === 'string' && e.syscall) return 'TI_EIO';
  return 'TI_EINTERNAL';
}

function fromSystemError(e, where) {
  if (e instanceof TlsInspectError) return e;
  const code = SYSTEM_CODES[e && e.code] || (e && /^TI_/.test(e.code) ? e.code : 'TI_EIO');
  return new TlsInspectError(code, `${where}: ${e && e.message}`, { path: where, syscall: e && e.syscall });
}


const CORE_CODE = /^TI_[A-Z0-9_]+$/;

// The addon throws plain Errors carrying a TI_* code (and `path`, `detail` for
// a file).  Callers of the addon pass what they catch through here, so that
// every coded error is a TlsInspectError; anything else is returned as it is.
function fromNative(err) {
  if (err instanceof TlsInspectError || !err || typeof err !== 'object') return err;
  if (typeof err.code !== 'string' || !CORE_CODE.test(err.code)) return err;
  const out = new TlsInspectError(err.code, String(err.message === undefined ? '' : err.message));
  if (err.path !== undefined) out.path = err.path;
  if (err.detail !== undefined) out.detail = err.detail;
  // The frames are where the addon was called: keep them, under the new name.
  const stack = typeof err.stack === 'string' ? err.stack : null;
  const head = `${err.name || 'Error'}: `;
  if (stack) out.stack = stack.startsWith(head) ? `${out.name}: ${stack.slice(head.length)}` : stack;
  return out;
}

module.exports = { codeOf, TlsInspectError, tiError, fromSystemError, fromNative };
