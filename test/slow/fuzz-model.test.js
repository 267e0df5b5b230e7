'use strict';
// The loader model against the real loaders on random closures
// (scripts/fuzz-model.js, `npm run fuzz:model`): a fixed seed, glibc (a child
// Node loading the addons with process.dlopen) and musl (musl's own loader, the
// musl ti-probe).  Every disagreement must be one the fuzzer explains (what the
// model cannot see by design, docs/development.md "Model fuzzer").  Part of the
// slow suite (npm run test:all).
const assert = require('assert');
const h = require('../support/helpers');
const fz = require('../../scripts/fuzz-model');

const SEED = 2026;
const lines = (res) => {
  const out = [];
  fz.report(res, (s) => out.push(s));
  return out.join('\n');
};

describe('loader model: differential fuzzing against the real loaders', function () {
  this.timeout(180000);

  it('the comparison itself finds a disagreement (a verdict the loader contradicts) and names its class', function () {
    const desc = { libc: 'glibc', objects: [], load: ['a.node', 'b.node'] };
    const file = (ok, codes) => ({ ok, verdict: ok ? 'compatible' : 'incompatible', problems: codes.map((code) => ({ code, severity: 'error', message: code })),
      staticTls: { after: 1000 }, closure: [] });
    const predicted = { files: [file(true, []), file(false, ['MISSING_LIBRARY'])] };
    const loads = [{ loaded: false, error: 'a.node: cannot allocate memory in static TLS block', after: 1680, exact: true },
      { loaded: false, error: 'libx.so: undefined symbol: y', after: 1680, exact: true }];
    const found = fz.compare(desc, { predicted, loads });
    assert.deepStrictEqual(found.map((f) => f.kind), ['model loads, real refuses (STATIC_TLS_EXHAUSTED)',
      'both refuse, real UNDEFINED_SYMBOL, model MISSING_LIBRARY']);
    assert.deepStrictEqual(fz.compare(desc, { fault: 'hang', detail: 'x' }).map((f) => f.kind), ['hang']);
  });

  for (const [libc, runs] of [['glibc', 30], ['musl', 170]]) {
    it(`${runs} random closures on ${libc} (seed ${SEED}): no unexplained disagreement, loads and refusals of several kinds`, async function () {
      const res = await fz.fuzz({ libc, runs, seed: SEED, minBudget: 15, log: () => {} });
      if (res.skipped) h.skip(this, res.skipped);
      const text = lines(res);
      assert.strictEqual(res.stats.runs, runs, text);
      assert.strictEqual(res.unexplained, 0, text);
      // the closures are not all alike: some load, and the loader refuses them for several reasons
      const outcomes = Object.keys(res.stats.outcomes).filter((k) => k.startsWith(`${libc} `)).map((k) => k.slice(libc.length + 1));
      assert.ok(outcomes.includes('loaded'), text);
      assert.ok(outcomes.filter((o) => o !== 'loaded').length >= 3, text);
      assert.ok(res.stats.loadsAgreed[libc] > 0, text);
    });
  }
});
