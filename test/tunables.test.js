'use strict';
// The side effects of the static TLS tunable, measured with this Node: where
// its own threads stop starting, and where it cannot start at all; check()
// calls a tunable risky, or refuses to offer it, at exactly those points.
const assert = require('assert');
const { spawnSync } = require('child_process');
const ti = require('..');
const { tunableRisk } = require('../lib/loader/tunables');
const { budgetFrom } = require('../lib/loader/static-tls');
const h = require('./support/helpers');

// The stack limit decides glibc's default thread stack, so every child runs
// under a limit set here rather than under whatever this machine's default is
// (8 MiB on most, unlimited or 16 MiB on some).
const DEFAULT_STACK_KIB = 8192;

// Whether this machine lets a child set its stack limit to `kib` (a hard limit
// below it forbids that); the reason when not.
function stackLimitRefused(kib) {
  const r = spawnSync('bash', ['-c', `ulimit -s ${kib}`], { encoding: 'utf8' });
  return r.status === 0 ? null : `ulimit -s ${kib} is refused here (${(r.stderr || '').trim() || `exit ${r.status}`})`;
}

function startNode(optional, stackKiB = DEFAULT_STACK_KIB) {
  const env = { ...process.env, GLIBC_TUNABLES: `glibc.rtld.optional_static_tls=${optional}` };
  const cmd = `ulimit -s ${stackKiB} && exec "${process.execPath}" -e "setTimeout(() => {}, 50)"`;
  const r = spawnSync('bash', ['-c', cmd], { env, encoding: 'utf8', timeout: 30000 });
  return { started: r.status === 0, threadFailed: /pthread_create: Invalid argument/.test(r.stderr), status: r.status, signal: r.signal };
}

// The smallest multiple of 64 in [lo, hi] where bad() holds (bad(lo) false, bad(hi) true).
function bisect(lo, hi, bad) {
  while (hi - lo > 64) {
    const mid = Math.round((lo + hi) / 2 / 64) * 64;
    if (bad(mid)) hi = mid; else lo = mid;
  }
  return hi;
}

describe('the static TLS tunable: side effects measured, advice bounded', function () {
  this.timeout(300000);
  before(function () {
    if (ti.libc().family !== 'glibc' || process.arch !== 'x64') h.skip(this, 'measured for Node on x86_64 glibc');
    const refused = stackLimitRefused(DEFAULT_STACK_KIB) || stackLimitRefused(4096);
    if (refused) h.skip(this, refused);
  });

  it('a tunable is risky from where this Node\'s own small-stack thread stops starting', function () {
    const st = budgetFrom(ti.staticTls());
    const t = { kind: 'host', runtime: 'node' };
    const measured = bisect(16384, 65536, (v) => startNode(v).threadFailed);
    const predicted = bisect(16384, 65536, (v) => tunableRisk(v, st, t, { limit: DEFAULT_STACK_KIB * 1024 }) !== null);
    process.stdout.write(`      (this Node's threads fail from optional_static_tls=${measured}; check() calls it risky from ${predicted})\n`);
    assert.ok(Math.abs(measured - predicted) <= 64, `${measured} vs ${predicted}`);
    assert.strictEqual(startNode(predicted - 128).threadFailed, false);
  });

  it('no tunable is offered from where Node cannot start under the stack limit', function () {
    const st = budgetFrom(ti.staticTls());
    const t = { kind: 'host', runtime: 'node' };
    const stack = 4096; // KiB: a 4 MiB stack limit keeps the search short
    const measured = bisect(3 << 20, 5 << 20, (v) => !startNode(v, stack).started);
    const predicted = bisect(3 << 20, 5 << 20, (v) => {
      const r = tunableRisk(v, st, t, { limit: stack * 1024 });
      return Boolean(r && r.refuse);
    });
    process.stdout.write(`      (with ulimit -s ${stack} Node stops starting from ${measured}; check() refuses from ${predicted})\n`);
    assert.ok(Math.abs(measured - predicted) <= 16384, `${measured} vs ${predicted}`);
  });

  it('check() leads with the safe fixes and says what a risky tunable costs', async function () {
    const file = require('../lib/reproduce').fixturePath('initial-exec', 64 * 1024);
    const r = await ti.check(file);
    const p = r.problems.find((x) => x.code === 'STATIC_TLS_EXHAUSTED');
    assert.match(p.fix, /^rebuild .*LD_PRELOAD=.*GLIBC_TUNABLES/);
    assert.match(p.tunableRisk, /pthread_create: Invalid argument/);
    const huge = require('../lib/reproduce').fixturePath('initial-exec', 64 << 20);
    const q = (await ti.check(huge)).problems.find((x) => x.code === 'STATIC_TLS_EXHAUSTED');
    assert.strictEqual(q.tunable, undefined, 'a tunable that stops Node from starting is not offered');
    assert.match(q.tunableRisk, /cannot start/);
  });
});
