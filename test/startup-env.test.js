'use strict';
// The environment the process started with, read from /proc/self/environ
// through a fixed buffer: what the loader saw, however long, whatever the
// program changed since.
const assert = require('assert');
const path = require('path');
const binding = require('../lib/process/binding');
const ti = require('..');
const h = require('./support/helpers');

const child = path.join(__dirname, 'child', 'startup-env.js');

describe('the start-up environment', function () {
  it('finds GLIBC_TUNABLES behind a 20 KB variable: staticTls() counts the tunable in force', function () {
    if (ti.libc().family !== 'glibc') h.skip(this, 'GLIBC_TUNABLES is glibc\'s');
    const r = h.nodeJson(child, ['GLIBC_TUNABLES'],
      { TI_BIG: 'x'.repeat(20000), GLIBC_TUNABLES: 'glibc.rtld.optional_static_tls=4096' });
    assert.strictEqual(r.read.GLIBC_TUNABLES, 'glibc.rtld.optional_static_tls=4096');
    assert.deepStrictEqual(r.tunables, { nns: 4, optionalStaticTls: 4096 });
    assert.strictEqual(r.surplus, 288 * 4 + 4096);
  });

  it('startupEnv() returns every value whole, wherever it falls across the read buffer, up to 100 KB', function () {
    // names and values of every length from 1 to 150 bytes put every entry
    // boundary at a different place within any buffer up to a few KiB
    const env = { TI_LONG: 'L'.repeat(100000) };
    for (let k = 0; k < 150; k++) env[`TI_SPAN_${'n'.repeat(k % 13)}${k}`] = String.fromCharCode(65 + (k % 26)).repeat(k + 1);
    const names = Object.keys(env);
    const r = h.nodeJson(child, names, env);
    assert.deepStrictEqual(r.read, r.started);
    assert.strictEqual(r.read.TI_LONG.length, 100000);
  });

  it('is the value at start-up: later edits of process.env do not show; unset names are null', function () {
    const env = { TI_EDITED: 'as started', TI_DELETED: 'was there', TI_EMPTY: '', TI_PREFIX_LONGER: 'longer', TI_PREFIX: 'short' };
    const names = ['TI_EDITED', 'TI_DELETED', 'TI_ADDED', 'TI_EMPTY', 'TI_PREFIX', 'TI_PREFIX_LONGER', 'TI_PREF', 'TI_NEVER_SET'];
    const r = h.nodeJson(child, names, env);
    assert.deepStrictEqual(r.read, { TI_EDITED: 'as started', TI_DELETED: 'was there', TI_ADDED: null, TI_EMPTY: '',
      TI_PREFIX: 'short', TI_PREFIX_LONGER: 'longer', TI_PREF: null, TI_NEVER_SET: null });
  });

  it('refuses names that are not one: TI_EINVAL', function () {
    for (const bad of [undefined, 42, '', 'A=B', 'a\u0000b', 'N'.repeat(300)]) {
      assert.throws(() => binding.startupEnv(bad), (e) => e.code === 'TI_EINVAL', String(bad));
    }
  });
});
