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

function fromSystemError(e, where) {
  if (e instanceof TlsInspectError) return e;
  const code = SYSTEM_CODES[e && e.code] || (e && /^TI_/.test(e.code) ? e.code : 'TI_EIO');
  return new TlsInspectError(code, `${where}: ${e && e.message}`, { path: where, syscall: e && e.syscall });
}

module.exports = { TlsInspectError, tiError, fromSystemError };
