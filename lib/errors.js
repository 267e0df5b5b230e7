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

module.exports = { TlsInspectError, tiError };
