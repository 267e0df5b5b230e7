'use strict';
// Findings of the model fuzzer (scripts/fuzz-model.js), each against the real
// loader: glibc in a child Node (process.dlopen, addons kept loaded).
const assert = require('assert');
const { Builder, nodeLoadSequence } = require('./loader-fixtures');
const h = require('./helpers');

const codes = (f) => f.problems.filter((p) => p.severity === 'error').map((p) => p.code);

describe('loader model: symbol scope across the addons of one process', function () {
  this.timeout(60000);
  let b;
  before(function () {
    if (require('..').libc().family !== 'glibc') h.skip(this, 'needs glibc, whose loader the child Node uses');
    b = new Builder('ti-scope-');
  });
  after(() => b && b.remove());

  // Node opens addons RTLD_LOCAL: a thread-local of an addon loaded before is not
  // in the next one's scope unless that one needs it (fuzzer, seed 2026, closure 9).
  it('a thread-local defined by an addon loaded earlier binds only for an addon that needs it', function () {
    const first = b.lib('first.node', { tls: 64, model: 'global-dynamic', addon: true });
    const use = (model) => `extern __thread unsigned char first_tls[] __attribute__((tls_model("${model}")));\n` +
      'int use_first(int i) { return first_tls[i]; }';
    const gd = b.lib('gd.node', { addon: true, runpath: null, extra: use('global-dynamic') });
    const ie = b.lib('ie.node', { addon: true, runpath: null, extra: use('initial-exec') });
    const needs = b.lib('needs.node', { addon: true, needs: ['first.node'], extra: use('global-dynamic') });
    const { predicted, loads } = nodeLoadSequence([first, gd, ie, needs]);
    assert.deepStrictEqual(loads.map((l) => l.loaded), [true, false, false, true], JSON.stringify(loads));
    assert.match(loads[1].error, /undefined symbol: first_tls/);
    assert.match(loads[2].error, /undefined symbol: first_tls/);
    assert.deepStrictEqual(predicted.files.map((f) => f.ok), [true, false, false, true]);
    assert.deepStrictEqual(codes(predicted.files[1]), ['UNDEFINED_SYMBOL']);
    assert.deepStrictEqual(codes(predicted.files[2]), ['UNDEFINED_SYMBOL']);
  });
});
