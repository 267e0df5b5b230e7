'use strict';
const assert = require('assert');
const path = require('path');
const ti = require('..');
const h = require('./helpers');

const child = path.join(__dirname, 'child', 'budget-load.js');

describe('staticTls(): the static TLS budget', function () {
  before(function () {
    if (ti.libc().family !== 'glibc') h.skip(this, 'the budget arithmetic is glibc\'s');
  });

  it('is exact here and adds up: size = tcb + used + remaining', function () {
    const st = ti.staticTls();
    assert.strictEqual(st.exact, true);
    assert.strictEqual(st.size, st.tcbSize + st.used + st.remaining);
    assert.ok(st.remaining >= st.surplus - st.align && st.remaining < st.surplus + st.align,
      `remaining ${st.remaining} is the surplus ${st.surplus} up to alignment`);
  });

  it('is true: an initial-exec library of exactly the remaining bytes loads in a child', function () {
    const r = h.nodeJson(child, ['0']);
    assert.strictEqual(r.error, null);
    assert.strictEqual(r.loaded, true);
    assert.ok(r.bytes > 0 && r.bytes <= r.before.remaining && r.before.remaining - r.bytes < 64);
    // the loader placed it in the static block, where staticTls() said the room was
    assert.strictEqual(r.module.tls.placement, 'static');
    assert.strictEqual(r.module.tls.offset, r.after.used);
    assert.ok(r.after.remaining < 64, `after the load ${r.after.remaining} bytes are left`);
  });

  it('is true: 64 bytes more fails with the loader\'s static TLS error', function () {
    const r = h.nodeJson(child, ['64']);
    assert.strictEqual(r.loaded, false);
    assert.match(r.error, /cannot allocate memory in static TLS block/);
  });

  it('reflects GLIBC_TUNABLES=glibc.rtld.optional_static_tls=8192 in a child', function () {
    const base = h.nodeJson(child, ['0']).before;
    const tuned = h.nodeJson(child, ['0'], { GLIBC_TUNABLES: 'glibc.rtld.optional_static_tls=8192' });
    assert.strictEqual(tuned.before.tunables.optionalStaticTls, 8192);
    assert.strictEqual(tuned.before.surplus, 288 * 4 + 8192);
    assert.strictEqual(tuned.before.remaining - base.remaining, 8192 - 512, 'the extra room is real');
    assert.strictEqual(tuned.loaded, true, 'and an initial-exec block that large loads');
    assert.ok(tuned.bytes >= 8192);
  });

  it('reads glibc.rtld.nns too', function () {
    const r = h.nodeJson(child, ['0'], { GLIBC_TUNABLES: 'glibc.rtld.nns=8' });
    assert.strictEqual(r.before.tunables.nns, 8);
    assert.strictEqual(r.before.surplus, 288 * 8 + 512);
    assert.strictEqual(r.loaded, true);
  });
});

describe('report()', function () {
  it('is JSON-serialisable and carries every part', function () {
    const r = JSON.parse(JSON.stringify(ti.report()));
    assert.deepStrictEqual(Object.keys(r).sort(),
      ['addon', 'arch', 'libc', 'modules', 'napi', 'node', 'pid', 'staticTls'].sort());
    assert.strictEqual(r.pid, process.pid);
    assert.ok(r.modules.some((m) => m.path === r.addon.path), 'the addon binary named is one loaded here');
    assert.strictEqual(r.node, process.versions.node);
    assert.ok(r.modules.length > 3);
  });
});

describe('staticTls() in a plain C process (the glibc ti-probe, no Node)', function () {
  it('is true there too: remaining bytes of initial-exec TLS load, 64 more fail', function () {
    const fixtures = require('../lib/fixtures');
    const { execFileSync } = require('child_process');
    if (ti.libc().family !== 'glibc') h.skip(this, 'host is not glibc');
    const probe = fixtures.template('probe', 'glibc');
    const run = (args) => JSON.parse(execFileSync(probe, args, { encoding: 'utf8' }));
    const st = run([]).staticTlsBefore;
    assert.strictEqual(st.exact, true);
    assert.strictEqual(st.size, st.tcbSize + st.used + st.remaining);
    const fit = Math.floor(st.remaining / 64) * 64;
    const ok = run(['--dlopen', fixtures.fixturePath('initial-exec', fit)]);
    assert.strictEqual(ok.loads[0].loaded, true, ok.loads[0].error);
    const over = run(['--dlopen', fixtures.fixturePath('initial-exec', fit + 64)]);
    assert.match(over.loads[0].error, /cannot allocate memory in static TLS block/);
    process.stdout.write(`      (plain C process: size ${st.size}, TCB ${st.tcbSize}, used ${st.used}, remaining ${st.remaining})\n`);
  });
});
