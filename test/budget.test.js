'use strict';
const assert = require('assert');
const path = require('path');
const ti = require('..');
const h = require('./support/helpers');

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

  it('is an estimate once something was unloaded: glibc may keep the static TLS of what it unmapped', function () {
    const { execFileSync } = require('child_process');
    // a failed load unmaps what it mapped: an initial-exec block placed, then a symbol missing under RTLD_NOW
    const b = new (require('./support/loader-fixtures').Builder)('ti-unload-');
    try {
      const failing = b.lib('libfail.so', { tls: 8, align: 64, model: 'initial-exec', flags: ['-Wl,-z,now'],
        extra: 'int ti_nowhere(void);\nint ti_call(void) { return ti_nowhere(); }' });
      const script = `const ti = require(${JSON.stringify(h.ROOT)});
        const s0 = ti.staticTls();
        let error = null; try { process.dlopen({ exports: {} }, ${JSON.stringify(failing)}); } catch (e) { error = e.message; }
        const s1 = ti.staticTls();
        let loaded = true; try { process.dlopen({ exports: {} }, require(${JSON.stringify(path.join(h.ROOT, 'lib', 'reproduce'))}).fixturePath('initial-exec', s1.remaining)); } catch (e) { loaded = false; }
        console.log(JSON.stringify({ s0, s1, error, loaded }));`;
      const r = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
      assert.match(r.error, /undefined symbol: ti_nowhere/);
      assert.strictEqual(r.s0.exact, true);
      assert.strictEqual(r.s1.exact, false);
      assert.match(r.s1.note, /unloaded/);
      // and rightly so: the failed load kept its block's padding, so the measured room no longer all loads
      if ((r.s0.remaining - 8) % 64 !== 0) assert.strictEqual(r.loaded, false, JSON.stringify(r));
    } finally {
      b.remove();
    }
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

  it('is measured once per link-map generation: calls interleaved with loads follow every load to the byte', function () {
    const r = h.nodeJson(path.join(__dirname, 'child', 'budget-sequence.js'));
    assert.deepStrictEqual(r.s0again, r.s0);
    assert.deepStrictEqual(r.s1again, r.s1);
    assert.strictEqual(r.a.loaded, true, r.a.error);
    // the room shrinks by exactly what the loader placed: the block and its alignment padding
    assert.strictEqual(r.moduleA.tls.placement, 'static');
    assert.strictEqual(r.s1.used, r.moduleA.tls.offset);
    assert.strictEqual(r.s0.remaining - r.s1.remaining, r.moduleA.tls.offset - r.s0.used);
    assert.ok(r.s0.remaining - r.s1.remaining < 256 + r.align);
    // and the loader agrees with the new figure: all of it loads, nothing more does
    assert.strictEqual(r.b.loaded, true, r.b.error);
    assert.strictEqual(r.s2.used, r.moduleB.tls.offset);
    assert.ok(r.s2.remaining < r.align, `${r.s2.remaining} bytes left`);
    assert.match(r.c.error, /cannot allocate memory in static TLS block/);
    // the failed load took nothing (its block would not fit), but it unloaded what it mapped: an estimate now
    assert.deepStrictEqual({ ...r.s3, exact: true, note: null }, r.s2);
    assert.strictEqual(r.s3.exact, false);
  });

  // Static TLS is carved out of every thread's stack, the measuring thread's too.
  for (const optional of [260992, 1 << 20]) {
    it(`works with glibc.rtld.optional_static_tls=${optional}: the loader places exactly the remaining bytes, no more`, function () {
      const env = { GLIBC_TUNABLES: `glibc.rtld.optional_static_tls=${optional}` };
      const fit = h.nodeJson(child, ['0'], env);
      assert.strictEqual(fit.before.tunables.optionalStaticTls, optional);
      assert.strictEqual(fit.before.surplus, 288 * 4 + optional);
      assert.strictEqual(fit.loaded, true, fit.error);
      assert.ok(fit.before.remaining - fit.bytes < 64 && fit.bytes > optional);
      assert.strictEqual(fit.module.tls.offset, fit.after.used);
      assert.match(h.nodeJson(child, ['64'], env).error, /cannot allocate memory in static TLS block/);
    });
  }

  it('reads glibc.rtld.nns too', function () {
    const r = h.nodeJson(child, ['0'], { GLIBC_TUNABLES: 'glibc.rtld.nns=8' });
    assert.strictEqual(r.before.tunables.nns, 8);
    assert.strictEqual(r.before.surplus, 288 * 8 + 512);
    assert.strictEqual(r.loaded, true);
  });
});

describe('staticTls() in a plain C process: one measuring thread per link-map generation', function () {
  it('answers again with threads denied, and needs a new thread (TI_ETHREAD) once a module is loaded', function () {
    const fixtures = require('../lib/reproduce');
    const { execFileSync } = require('child_process');
    if (ti.libc().family !== 'glibc' || process.arch !== 'x64') h.skip(this, 'the probe\'s seccomp filter is for x86_64 glibc');
    const probe = fixtures.template('probe', 'glibc');
    const file = fixtures.fixturePath('initial-exec', 256);
    const r = JSON.parse(execFileSync(probe, ['--deny', 'threads', '--dlopen', file], { encoding: 'utf8' }));
    if (!r.denied) h.skip(this, 'seccomp filters cannot be installed here');
    assert.deepStrictEqual(r.staticTlsDenied, r.staticTlsBefore);
    assert.strictEqual(r.loads[0].loaded, true, r.loads[0].error);
    assert.deepStrictEqual(r.staticTlsAfter, { error: 'TI_ETHREAD' });
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
    const fixtures = require('../lib/reproduce');
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
