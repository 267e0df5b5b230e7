'use strict';
// staticTls().tunables: the values glibc uses, read back from the process that
// started under GLIBC_TUNABLES (glibc cuts the string it parsed), held to the
// real boundary: an initial-exec library of exactly the remaining bytes loads
// under those tunables, one byte more does not.
const assert = require('assert');
const { spawnSync } = require('child_process');
const ti = require('..');
const h = require('./support/helpers');
const { Builder } = require('./support/loader-fixtures');

const TUNABLES = 'glibc.rtld.nns=2:glibc.rtld.optional_static_tls=1024';

// A child under the tunables: staticTls(), then process.dlopen(file) if given.
function child(file) {
  const script = `const ti = require(${JSON.stringify(h.ROOT)});
    const st = ti.staticTls();
    let loaded = null, error = null;
    if (process.argv[1]) {
      try { process.dlopen({ exports: {} }, process.argv[1]); loaded = true; }
      catch (e) { error = e.message; loaded = /did not self-register/.test(e.message); }
    }
    console.log(JSON.stringify({ st, loaded, error }));`;
  const r = spawnSync(process.execPath, ['-e', script, ...(file ? [file] : [])], { encoding: 'utf8', timeout: 60000,
    env: { ...process.env, GLIBC_TUNABLES: TUNABLES } });
  if (r.status !== 0) throw new Error(`child exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('staticTls().tunables under GLIBC_TUNABLES=nns=2:optional_static_tls=1024', function () {
  let b;
  before(function () {
    if (ti.libc().family !== 'glibc') h.skip(this, 'GLIBC_TUNABLES is glibc\'s');
    if (!h.haveCommand('cc')) h.skip(this, 'no C compiler for the initial-exec fixtures');
    b = new Builder('ti-tunables-');
  });
  after(() => b && b.remove());

  it('reports both values glibc uses, and a surplus made of them (nns * 288 + optional)', function () {
    const { st } = child();
    assert.deepStrictEqual(st.tunables, { nns: 2, optionalStaticTls: 1024 });
    assert.strictEqual(st.exact, true);
    assert.strictEqual(st.surplus, 2 * 288 + 1024);
    // the default process differs, so the child's numbers are the tunables' doing
    assert.notStrictEqual(ti.staticTls().surplus, st.surplus);
  });

  it('its remaining bytes are the real boundary: that many load, one more does not', function () {
    const { st } = child();
    const fits = b.lib('libfits.so', { tls: st.remaining, align: 1, model: 'initial-exec' });
    const over = b.lib('libover.so', { tls: st.remaining + 1, align: 1, model: 'initial-exec' });
    assert.deepStrictEqual(h.readelfTls(fits).size, st.remaining);
    const a = child(fits), c = child(over);
    assert.strictEqual(a.st.remaining, st.remaining);
    assert.strictEqual(a.loaded, true, a.error);
    assert.strictEqual(c.loaded, false);
    assert.match(c.error, /cannot allocate memory in static TLS block/);
  });
});
