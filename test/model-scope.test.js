'use strict';
// Findings of the model fuzzer (scripts/fuzz-model.js), each against the real
// loader: glibc in a child Node (process.dlopen, addons kept loaded).
const assert = require('assert');
const { Builder, nodeLoadSequence, muslLoadSequence } = require('./support/loader-fixtures');
const h = require('./support/helpers');

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

  // An addon that needs a library an earlier addon loaded gets that library's
  // dependencies in its scope too: glibc walks the DT_NEEDED of loaded objects
  // (fuzzer, seed 303, closure 146).
  it('the dependencies of a library loaded earlier are in the scope of an addon that needs it (-z now)', function () {
    b.lib('libdeep.so', {});
    b.lib('libmid.so', { needs: ['libdeep.so'] });
    const first = b.lib('first2.node', { addon: true, needs: ['libmid.so'] });
    const second = b.lib('second2.node', { addon: true, needs: ['libmid.so'], runpath: null, flags: ['-Wl,-z,now'],
      extra: 'int libdeep_touch(int);\nint second_use(int i) { return libdeep_touch(i); }' });
    const lonely = b.lib('lonely.node', { addon: true, runpath: null, flags: ['-Wl,-z,now'],
      extra: 'int libdeep_touch(int);\nint lonely_use(int i) { return libdeep_touch(i); }' });
    const { predicted, loads } = nodeLoadSequence([first, second, lonely]);
    assert.deepStrictEqual(loads.map((l) => l.loaded), [true, true, false], JSON.stringify(loads));
    assert.match(loads[2].error, /undefined symbol: libdeep_touch/);
    assert.deepStrictEqual(predicted.files.map((f) => f.ok), [true, true, false]);
    assert.deepStrictEqual(codes(predicted.files[2]), ['UNDEFINED_SYMBOL']);
  });
});

describe('loader model: an addon that does not register itself', function () {
  this.timeout(60000);
  // Node dlcloses it, and glibc takes back the static TLS its load placed (as
  // after a failed load: all but the first block's padding), so the next addon
  // needing the same library maps and places it again (fuzzer, seed 306, closure 106).
  it('gives back the static TLS of its closure for the next addon', function () {
    if (require('..').libc().family !== 'glibc') h.skip(this, 'needs glibc, whose loader the child Node uses');
    const b = new Builder('ti-unregistered-');
    try {
      b.lib('libblock.so', { tls: 1000, align: 16, model: 'initial-exec' });
      const plain = b.lib('plain.node', { needs: ['libblock.so'] }); // no Node-API entry
      const good = b.lib('good.node', { addon: true, needs: ['libblock.so'] });
      const { predicted, loads } = nodeLoadSequence([plain, good]);
      assert.deepStrictEqual(loads.map((l) => l.loaded), [false, true], JSON.stringify(loads));
      assert.match(loads[0].error, /did not self-register/);
      assert.deepStrictEqual(codes(predicted.files[0]), ['MODULE_NOT_REGISTERED']);
      assert.strictEqual(predicted.files[1].ok, true);
      // the room left after the addon that stays is what glibc left (measured exactly after a load that fits)
      assert.strictEqual(predicted.files[1].staticTls.after, loads[1].after);
    } finally {
      b.remove();
    }
  });
});

describe('loader model: musl, the dependencies of a library loaded earlier', function () {
  this.timeout(60000);
  // musl's dlopen extends the new object's dependency list with the deps of
  // libraries already loaded (fuzzer, seed 304, closure 759)
  it('an initial-exec reference to a block of such a dependency is MUSL_INITIAL_EXEC, as musl says', async function () {
    if (!require('../lib/reproduce').list().musl) h.skip(this, 'musl-gcc not installed: no musl loader to compare with');
    const m = new Builder('ti-scope-musl-', 'musl-gcc');
    try {
      m.lib('libdeep.so', { tls: 64, model: 'global-dynamic' });
      m.lib('libmid.so', { needs: ['libdeep.so'] });
      const first = m.lib('first.node', { addon: true, needs: ['libmid.so'] });
      const second = m.lib('second.node', { addon: true, needs: ['libmid.so'], runpath: null,
        extra: 'extern __thread unsigned char libdeep_tls[] __attribute__((tls_model("initial-exec")));\n' +
          'int second_use(int i) { return libdeep_tls[i]; }' });
      const real = muslLoadSequence([first, second]).loads;
      assert.deepStrictEqual(real.map((l) => l.loaded), [true, false], JSON.stringify(real));
      assert.match(real[1].error, /libdeep_tls: initial-exec TLS resolves to dynamic definition in .*libdeep\.so/);
      const r = await require('..').checkTogether([first, second], { target: 'musl' });
      assert.deepStrictEqual(r.files.map((f) => f.ok), [true, false]);
      assert.deepStrictEqual(codes(r.files[1]), ['MUSL_INITIAL_EXEC']);
      assert.strictEqual(r.files[1].problems[0].library, 'libdeep.so');
    } finally {
      m.remove();
    }
  });
});
