'use strict';
// Child process: the start-up environment as the addon reads it, after this
// script has edited process.env.  argv: names to look up.  Prints JSON.
const binding = require('../../lib/process/binding');
const ti = require('../..');

const names = process.argv.slice(2);
const started = Object.fromEntries(names.map((n) => [n, process.env[n] === undefined ? null : process.env[n]]));
process.env.TI_EDITED = 'changed after start-up';
delete process.env.TI_DELETED;
process.env.TI_ADDED = 'added after start-up';
const st = ti.staticTls();
process.stdout.write(JSON.stringify({
  started,
  read: Object.fromEntries(names.map((n) => [n, binding.startupEnv(n)])),
  tunables: st.tunables,
  surplus: st.surplus,
}));
