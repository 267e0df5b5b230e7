'use strict';
// The measured budgets table (lib/loader/data/budgets.json, written by
// `node scripts/lab.js --write`) and how presets take it.  Whether the numbers
// are true is test/systems/lab.test.js's job, inside the real systems; here:
// the table is the lab's, and each preset reads the right cell of it.
const assert = require('assert');
const lab = require('../scripts/lab');
const { measuredBudget, BUDGETS } = require('../lib/loader/budgets');
const { resolveTarget, PRESETS, GLIBC_SURPLUS } = require('../lib/loader/targets');
const h = require('./support/helpers');
const { Builder } = require('./support/loader-fixtures');

describe('measured static TLS budgets: the lab\'s table in the presets', function () {
  it('is the lab\'s current output: its generator and version', function () {
    assert.strictEqual(BUDGETS.generator, 'scripts/lab.js');
    assert.strictEqual(BUDGETS.version, lab.VERSION);
    for (const [arch, releases] of Object.entries(BUDGETS.systems)) {
      assert.ok(lab.ARCHES[arch], arch);
      for (const [release, r] of Object.entries(releases)) {
        assert.strictEqual(r.debian, lab.RELEASES[release]);
        assert.match(r.glibc, /^2\.\d+$/);
        // a measured cell names the Node build; one that could not be measured says why
        for (const n of Object.values(r.node)) assert.ok(Number.isInteger(n.remaining) ? /^\d+\.\d+\.\d+$/.test(n.version) : n.error);
      }
    }
  });

  it('node:<major>-<release> (and -slim) takes its own cell per architecture; others keep the default', function () {
    let seen = 0;
    for (const name of Object.keys(PRESETS)) {
      const m = /^node:(\d+)-(bullseye|bookworm|trixie)(-slim)?$/.exec(name);
      for (const cpu of ['x64', 'arm64', 'ppc64']) {
        const t = resolveTarget(name, { cpu });
        const rel = m && BUDGETS.systems[cpu] && BUDGETS.systems[cpu][m[2]];
        const cell = rel && rel.node[m[1]];
        if (cell && Number.isInteger(cell.remaining)) {
          seen++;
          assert.strictEqual(t.tls.remaining, cell.remaining, name);
          assert.strictEqual(t.tls.measured.node, cell.version);
          assert.strictEqual(t.tls.measured.arch, cpu);
        } else if (!/^debian-1[123]$/.test(name)) {
          assert.strictEqual(t.tls.measured, undefined, `${name} ${cpu}`);
          assert.strictEqual(t.tls.surplus, GLIBC_SURPLUS);
        }
      }
    }
    assert.ok(seen >= 10, `${seen} presets measured`);
  });

  it('debian-<n> takes the cell of the Node running the check, and check() judges by it, exactly', async function () {
    const major = process.versions.node.split('.')[0];
    const m = measuredBudget('debian-12', 'x64');
    const cell = BUDGETS.systems.x64.bookworm.node[major];
    if (!cell || !Number.isInteger(cell.remaining)) h.skip(this, `Node ${major} is not measured on bookworm`);
    assert.strictEqual(m.remaining, cell.remaining);
    assert.strictEqual(measuredBudget('debian-10', 'x64'), null);
    assert.strictEqual(measuredBudget('ubuntu-22.04', 'x64'), null);
    if (!h.haveCommand('cc')) h.skip(this, 'no C compiler for the fixture');
    const b = new Builder('ti-budget-table-');
    try {
      const fixture = b.lib('libie.so', { tls: 8, model: 'initial-exec' });
      const r = await require('..').check(fixture, { target: 'debian-12', cpu: 'x64' });
      assert.strictEqual(r.staticTls.before, cell.remaining);
    } finally {
      b.remove();
    }
  });
});
