'use strict';
// Child process: measure the budget, then dlopen an initial-exec fixture of
// (remaining rounded down to its alignment) + extra bytes.  Prints JSON.
const ti = require('../..');
const fixtures = require('../../lib/reproduce');

const extra = Number(process.argv[2] || 0);
const align = fixtures.templateAlign('initial-exec');
const before = ti.staticTls();
const bytes = Math.floor(before.remaining / align) * align + extra;
const file = fixtures.fixturePath('initial-exec', bytes);
const result = { before, bytes, loaded: false, error: null, after: null };
try {
  process.dlopen({ exports: {} }, file);
  result.loaded = true;
  result.after = ti.staticTls();
  result.module = ti.modules().find((m) => m.path === file) || null;
} catch (e) {
  result.error = e.message;
}
process.stdout.write(JSON.stringify(result));
