'use strict';
// Child process for reproduce(): measure the budget, dlopen one file the way
// require() would, print JSON.  The load happens here so the caller's static
// TLS is never spent on a demonstration.
const file = process.argv[2];
const binding = require('../binding');
const out = { staticTlsBefore: binding.staticTls(), loaded: false, error: null };
try {
  process.dlopen({ exports: {} }, file);
  out.loaded = true;
} catch (e) {
  out.error = e.message;
}
process.stdout.write(JSON.stringify(out));
