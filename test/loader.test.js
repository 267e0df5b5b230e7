'use strict';
// The loader model against the real loaders: every case is built here, loaded
// by glibc (a child Node, process.dlopen, addons kept loaded) or by musl (the
// ti-probe), and check()/checkTogether() must say what the loader did.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');
const { Builder, nodeLoadSequence, muslLoadSequence } = require('./support/loader-fixtures');

const codes = (r) => r.problems.map((p) => p.code);
const errors = (r) => r.problems.filter((p) => p.severity === 'error');
const haveMusl = () => Boolean(fixtures.list().musl);
const base = (p) => path.basename(p);

describe('loader model: the closure (glibc, this process)', function () {
  this.timeout(120000);
  let b;
  before(() => { b = new Builder(); });
  after(() => b.remove());

  it('an addon without TLS whose $ORIGIN dependency has 4096 bytes of initial-exec TLS', function () {
    const deep = b.lib('libdeep.so', { tls: 4096, model: 'initial-exec', dir: 'a' });
    b.lib('libmid.so', { needs: ['libdeep.so'], dir: 'a' });
    const top = b.lib('top.node', { needs: ['libmid.so'], addon: true, dir: 'a' });
    const { predicted, loads } = nodeLoadSequence([top]);
    assert.strictEqual(loads[0].loaded, false);
    assert.match(loads[0].error, /libdeep\.so: cannot allocate memory in static TLS block/);
    const r = predicted.files[0];
    assert.strictEqual(r.verdict, 'incompatible');
    assert.deepStrictEqual(codes(r), ['STATIC_TLS_EXHAUSTED']);
    const p = r.problems[0];
    assert.strictEqual(p.library, base(loads[0].error.split(':')[0]));
    assert.strictEqual(p.path, deep);
    assert.deepStrictEqual(p.chain, ['top.node', 'libmid.so', 'libdeep.so']);
    assert.strictEqual(p.tlsSymbols[0].name, 'libdeep_tls');
    assert.ok(p.needed >= 4096 && p.needed < 4096 + 16, `needed ${p.needed}`);
    assert.strictEqual(predicted.failsAt, top);
    // The tunable it names makes the real loader take the whole closure.
    const tunable = p.tunable.replace('GLIBC_TUNABLES=', '');
    assert.strictEqual(nodeLoadSequence([top], { GLIBC_TUNABLES: tunable }).loads[0].loaded, true, tunable);
  });

  it('a missing library 20 levels deep is MISSING_LIBRARY, named as the loader names it', function () {
    for (let i = 20; i >= 1; i--) b.lib(`libl${i}.so`, { needs: i === 20 ? [] : [`libl${i + 1}.so`], dir: 'deep' });
    fs.unlinkSync(path.join(b.dir, 'deep', 'libl20.so'));
    const top = b.lib('deeptop.node', { needs: ['libl1.so'], addon: true, dir: 'deep' });
    const { predicted, loads } = nodeLoadSequence([top]);
    assert.match(loads[0].error, /libl20\.so: cannot open shared object file/);
    const r = predicted.files[0];
    assert.deepStrictEqual(codes(r), ['MISSING_LIBRARY']);
    assert.strictEqual(r.problems[0].library, 'libl20.so');
    assert.strictEqual(r.problems[0].chain.length, 21);
    assert.ok(r.closure.every((c) => !('chain' in c)), 'closure entries name their neededBy, not a chain each');
  });

  it('a chain deeper than 64 keeps its ends: the memory of a deep closure stays linear', function () {
    for (let i = 70; i >= 1; i--) b.lib(`libd${i}.so`, { needs: i === 70 ? [] : [`libd${i + 1}.so`], dir: 'deeper' });
    fs.unlinkSync(path.join(b.dir, 'deeper', 'libd70.so'));
    const top = b.lib('deepest.node', { needs: ['libd1.so'], addon: true, dir: 'deeper' });
    const { predicted, loads } = nodeLoadSequence([top]);
    assert.match(loads[0].error, /libd70\.so: cannot open shared object file/);
    const chain = predicted.files[0].problems[0].chain;
    assert.strictEqual(chain.length, 64);
    assert.deepStrictEqual(chain.slice(0, 8), ['deepest.node', ...Array.from({ length: 7 }, (_, i) => `libd${i + 1}.so`)]);
    assert.strictEqual(chain[8], '... 8 more ...'); // 71 names: 8, the marker, the last 55
    assert.deepStrictEqual(chain.slice(-2), ['libd69.so', 'libd70.so']);
  });

  it('RUNPATH "$ORIGIN:" has an empty entry, the current directory, as glibc reads it', function () {
    const lib = b.lib('libcwd.so', { dir: 'cwd' });
    const top = b.lib('cwdtop.node', { needs: ['libcwd.so'], addon: true, dir: 'other', runpath: '$ORIGIN:',
      linkDirs: [path.dirname(lib)] });
    assert.deepStrictEqual(ti.analyzeSync(top).runpath, ['$ORIGIN', '']);
    const run = (cwd) => JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'child', 'load-sequence.js'), top],
      { cwd, encoding: 'utf8' }));
    const inside = run(path.dirname(lib));
    assert.strictEqual(inside.loads[0].loaded, true, inside.loads[0].error);
    assert.strictEqual(inside.predicted.files[0].verdict, 'compatible', JSON.stringify(inside.predicted.files[0].problems));
    const outside = run(h.ROOT);
    assert.strictEqual(outside.loads[0].loaded, false);
    assert.deepStrictEqual(codes(outside.predicted.files[0]), ['MISSING_LIBRARY']);
  });

  it('three addons of 700 bytes initial-exec TLS: the third is refused, as checkTogether says', function () {
    const files = [1, 2, 3].map((i) => b.lib(`ie${i}.node`, { tls: 700, model: 'initial-exec', addon: true, dir: 'three' }));
    const { predicted, loads } = nodeLoadSequence(files);
    assert.deepStrictEqual(loads.map((l) => l.loaded), [true, true, false]);
    assert.strictEqual(predicted.failsAt, files[2]);
    assert.deepStrictEqual(predicted.files.map((f) => f.ok), [true, true, false]);
    assert.deepStrictEqual(predicted.files.map((f) => f.staticTls.after), loads.map((l) => l.after));
    // Each alone is fine.
    for (const f of files) assert.notStrictEqual(nodeLoadSequence([f]).predicted.files[0].verdict, 'incompatible');
  });

  it('an addon built with -fsanitize=leak pulls in liblsan.so.0 and its 55 KB of static TLS', function () {
    let top;
    try {
      top = b.lib('lsan.node', { addon: true, dir: 'lsan', flags: ['-fsanitize=leak'] });
    } catch (e) {
      h.skip(this, `cannot build with -fsanitize=leak here: ${e.message.split('\n')[0]}`);
    }
    const { predicted, loads } = nodeLoadSequence([top]);
    assert.match(loads[0].error, /liblsan\.so\.0: cannot allocate memory in static TLS block/);
    const p = predicted.files[0].problems.find((x) => x.code === 'STATIC_TLS_EXHAUSTED');
    assert.ok(p, JSON.stringify(predicted.files[0].problems));
    assert.strictEqual(p.library, 'liblsan.so.0');
    assert.deepStrictEqual(p.chain, ['lsan.node', 'liblsan.so.0']);
  });
});

describe('loader model: a grid of closures against the real glibc loader', function () {
  this.timeout(300000);
  let b;
  before(() => { b = new Builder('ti-grid-'); });
  after(() => b.remove());

  // Addons with closures of depth 1-3 whose libraries carry initial-exec (or
  // descriptor, or dynamic) blocks of several sizes and alignments; g7's two
  // dependencies are siblings (glibc relocates the later one first).
  const SPECS = {
    'g1.node': { tls: 256, align: 16 },
    'g2.node': { needs: ['libg2a.so'] }, 'libg2a.so': { tls: 600, align: 64 },
    'g3.node': { needs: ['libg3a.so'] }, 'libg3a.so': { tls: 96, align: 32, needs: ['libg3b.so'] },
    'libg3b.so': { tls: 500, align: 8 },
    'g4.node': { tls: 1000, align: 16 },
    'g5.node': { needs: ['libg5a.so'] }, 'libg5a.so': { tls: 300, align: 16, model: 'tlsdesc' },
    'g6.node': { tls: 2048, align: 16, model: 'global-dynamic', needs: ['libg6a.so'] }, 'libg6a.so': { tls: 200, align: 128 },
    'g7.node': { needs: ['libg7a.so', 'libg7b.so'] }, 'libg7a.so': { tls: 900, align: 16 }, 'libg7b.so': { tls: 900, align: 16 },
  };

  function build() {
    const made = new Map();
    const make = (name) => {
      if (!made.has(name)) {
        const o = SPECS[name];
        (o.needs || []).forEach(make);
        made.set(name, b.lib(name, { model: 'initial-exec', ...o, addon: name.endsWith('.node') }));
      }
      return made.get(name);
    };
    return Object.keys(SPECS).filter((n) => n.endsWith('.node')).map(make);
  }

  it('failsAt and the budget after each load equal what the loader did, in several orders', function () {
    const files = build();
    const orders = [[0, 1, 2, 3, 4, 5, 6], [3, 2, 1, 0, 5, 4], [5, 4, 3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1, 4], [6, 0], [4, 6]];
    for (const order of orders) {
      const seq = order.map((i) => files[i]);
      const { predicted, loads } = nodeLoadSequence(seq);
      const label = order.join(',');
      assert.deepStrictEqual(predicted.files.map((f) => f.ok), loads.map((l) => l.loaded), `${label}: ${JSON.stringify(loads)}`);
      const first = loads.find((l) => !l.loaded);
      assert.strictEqual(predicted.failsAt, first ? first.path : null, label);
      // After a successful load the measured budget is exact; after a failed one
      // glibc keeps the first block's padding used, which no block shows (the
      // next successful load reveals it, and the model has it).
      const ok = (list) => list.filter((_, k) => loads[k].loaded);
      assert.deepStrictEqual(ok(predicted.files.map((f) => (f.staticTls ? f.staticTls.after : null))), ok(loads.map((l) => l.after)), label);
      // what a load that fits needs is what it took, padding where it landed included
      for (const [k, l] of loads.entries()) {
        const st = predicted.files[k].staticTls;
        if (l.loaded && st) assert.ok(st.needed <= l.before - l.after, `${label}: needed ${st.needed} of ${l.before} -> ${l.after}`);
      }
      for (const [k, l] of loads.entries()) {
        if (l.loaded) continue;
        const p = errors(predicted.files[k])[0];
        const culprit = base(l.error.split(': ')[0]);
        assert.strictEqual(p.library === culprit || (p.chain.length === 1 && culprit === base(l.path)), true,
          `${label}: ${p.library} vs ${l.error}`);
      }
    }
  });
});

describe('loader model: musl', function () {
  this.timeout(120000);
  let b;
  before(function () {
    if (!haveMusl()) h.skip(this, 'musl-gcc not installed: no musl loader to compare with');
    b = new Builder('ti-musl-model-', 'musl-gcc');
  });
  after(() => b && b.remove());

  it('an $ORIGIN dependency with 8 bytes of initial-exec TLS is MUSL_INITIAL_EXEC, naming it', async function () {
    b.lib('libdeep.so', { tls: 8, model: 'initial-exec' });
    const top = b.lib('top.node', { needs: ['libdeep.so'], addon: true });
    const real = muslLoadSequence([top]).loads[0];
    assert.strictEqual(real.loaded, false);
    assert.match(real.error, /libdeep\.so: .*initial-exec TLS resolves to dynamic definition in .*libdeep\.so/);
    const r = await ti.check(top, { target: 'musl' });
    assert.deepStrictEqual(codes(r), ['MUSL_INITIAL_EXEC']);
    assert.strictEqual(r.problems[0].library, 'libdeep.so');
    assert.deepStrictEqual(r.problems[0].chain, ['top.node', 'libdeep.so']);
    // global-dynamic in the same place loads, and check() agrees.
    const gd = b.lib('libgd.so', { tls: 8, model: 'global-dynamic', dir: 'gd' });
    const ok = b.lib('gdtop.node', { needs: [base(gd)], addon: true, dir: 'gd' });
    assert.strictEqual(muslLoadSequence([ok]).loads[0].loaded, true);
    assert.strictEqual((await ti.check(ok, { target: 'musl' })).verdict, 'compatible');
  });

  it('an initial-exec reference to the TLS of a library an earlier addon loaded fails, as checkTogether says', async function () {
    b.lib('libt.so', { tls: 64, model: 'global-dynamic', dir: 'late' });
    const first = b.lib('first.node', { addon: true, needs: ['libt.so'], dir: 'late' });
    const second = b.lib('second.node', { addon: true, needs: ['libt.so'], dir: 'late',
      extra: 'extern __thread unsigned char libt_tls[64] __attribute__((tls_model("initial-exec")));\n' +
        'unsigned char *second_ref(void) { return libt_tls; }' });
    const real = muslLoadSequence([first, second]).loads;
    assert.deepStrictEqual(real.map((l) => l.loaded), [true, false]);
    assert.match(real[1].error, /libt_tls: initial-exec TLS resolves to dynamic definition in .*libt\.so/);
    const r = await ti.checkTogether([first, second], { target: 'musl' });
    assert.strictEqual(r.failsAt, second);
    assert.deepStrictEqual(r.files[1].problems.map((p) => [p.code, p.library, p.relocating]), [['MUSL_INITIAL_EXEC', 'libt.so', 'second.node']]);
  });

  // Each dependency below has initial-exec TLS: musl refuses it if it finds it,
  // so whether the loader found it shows in the error.
  it('RUNPATH as musl reads it: split on newlines too, dropped whole for a $ other than ORIGIN', async function () {
    b.lib('libdep.so', { tls: 8, model: 'initial-exec', dir: 'rp/sub' });
    const byNewline = b.lib('nl.node', { dir: 'rp', addon: true, needs: ['libdep.so'], linkDirs: [path.join(b.dir, 'rp/sub')],
      runpath: '$ORIGIN/none\n$ORIGIN/sub' });
    const byUnknown = b.lib('lib.node', { dir: 'rp', addon: true, needs: ['libdep.so'], linkDirs: [path.join(b.dir, 'rp/sub')],
      runpath: '$ORIGIN/sub:$LIB' });
    const [nl, unknown] = [byNewline, byUnknown].map((f) => muslLoadSequence([f]).loads[0]);
    assert.match(nl.error, /initial-exec TLS resolves to dynamic definition in .*rp\/sub\/libdep\.so/);
    assert.match(unknown.error, /libdep\.so: No such file/);
    assert.deepStrictEqual(codes(await ti.check(byNewline, { target: 'musl' })), ['MUSL_INITIAL_EXEC']);
    const r = await ti.check(byUnknown, { target: 'musl' });
    assert.ok(!codes(r).includes('MUSL_INITIAL_EXEC'), JSON.stringify(r.problems));
    assert.strictEqual(r.closure.find((c) => c.name === 'libdep.so').status, 'unresolved');
  });

  it('a glibc library in a musl build\'s closure: LIBC_MISMATCH, with what the musl loader does about it', async function () {
    const cc = process.env.CC || 'cc';
    // with thread-locals it needs glibc's loader (for __tls_get_addr), which musl never finds
    b.lib('libgt.so', { tls: 8, dir: 'mix', cc });
    // without, only its fortified calls (GLIBC_-versioned, unknown to musl) are left unbound
    b.lib('libgf.so', { dir: 'mix', cc, flags: ['-D_FORTIFY_SOURCE=2'],
      extra: '#include <stdio.h>\nint libgf_fmt(char *b, int n, int x) { return snprintf(b, n, "%d", x); }' });
    const withTls = b.lib('gt.node', { dir: 'mix', addon: true, needs: ['libgt.so'] });
    const withCalls = b.lib('gf.node', { dir: 'mix', addon: true, needs: ['libgf.so'] });
    assert.ok(ti.analyzeSync(path.join(b.dir, 'mix', 'libgt.so')).needed.some((n) => /^ld-linux/.test(n)));
    const gt = muslLoadSequence([withTls]).loads[0];
    assert.match(gt.error, /ld-linux-x86-64\.so\.2: No such file/);
    const r1 = await ti.check(withTls, { target: 'musl' });
    assert.deepStrictEqual(errors(r1).map((p) => [p.code, p.library]).sort(),
      [['LIBC_MISMATCH', 'libgt.so'], ['MISSING_LIBRARY', 'ld-linux-x86-64.so.2']]);
    // musl maps libgf.so and defers its calls under RTLD_LAZY; binding them now fails
    assert.strictEqual(muslLoadSequence([withCalls]).loads[0].loaded, true);
    assert.match(muslLoadSequence([withCalls], { lazy: false }).loads[0].error, /__snprintf_chk: symbol not found/);
    const lazy = await ti.check(withCalls, { target: 'musl' });
    const now = await ti.check(withCalls, { target: 'musl', lazy: false });
    // LIBC_MISMATCH follows what the musl loader does: a warning naming the call that crashes, an error when bound now
    for (const [r, severity, field] of [[lazy, 'warning', 'failWhenCalled'], [now, 'error', 'failAtLoad']]) {
      const u = r.problems.find((p) => p.code === 'LIBC_MISMATCH');
      assert.strictEqual(u && u.severity, severity, JSON.stringify(r.problems));
      assert.strictEqual(u.library, 'libgf.so');
      assert.deepStrictEqual(u[field], ['__snprintf_chk']);
      assert.ok(!r.problems.some((p) => p.code === 'UNDEFINED_SYMBOL'), JSON.stringify(r.problems));
    }
    assert.strictEqual(lazy.verdict, 'risky');
    assert.strictEqual(now.verdict, 'incompatible');
  });

  it('and a musl library in a glibc addon\'s closure on this host: LIBC_MISMATCH beside what glibc does with its "libc.so"', function () {
    b.lib('libmu.so', { dir: 'mix2', extra: '#include <stdio.h>\nint libmu_put(void) { return puts("x"); }' });
    const top = b.lib('mu.node', { dir: 'mix2', addon: true, needs: ['libmu.so'], cc: process.env.CC || 'cc' });
    const { predicted, loads } = nodeLoadSequence([top]);
    const refused = /^(\/\S+\/libc\.so): invalid ELF header/.exec(loads[0].error); // the linker script, where glibc looks
    assert.ok(refused, loads[0].error);
    const errs = errors(predicted.files[0]);
    assert.deepStrictEqual(errs.map((p) => [p.code, p.library]).sort(), [['LIBC_MISMATCH', 'libmu.so'], ['NOT_ELF', 'libc.so']]);
    assert.strictEqual(errs.find((p) => p.code === 'NOT_ELF').path, refused[1]);
  });

  it('a library opened by path does not answer to its soname on musl (glibc would take it)', async function () {
    b.lib('libA.so.1', { tls: 8, model: 'initial-exec', dir: 'sn' });
    const a = b.lib('liba.node', { dir: 'sn/x', addon: true, soname: 'libA.so.1' });
    const user = b.lib('user.node', { dir: 'sn', addon: true, needs: ['libA.so.1'] });
    const real = muslLoadSequence([a, user]).loads;
    assert.deepStrictEqual(real.map((l) => l.loaded), [true, false]);
    assert.match(real[1].error, /initial-exec TLS resolves to dynamic definition in .*sn\/libA\.so\.1/);
    const r = await ti.checkTogether([a, user], { target: 'musl' });
    assert.deepStrictEqual(r.files[1].problems.map((p) => [p.code, p.path]), [['MUSL_INITIAL_EXEC', path.join(b.dir, 'sn', 'libA.so.1')]]);
  });
});

describe('loader model: symbols and the Node ABI, against the real loaders', function () {
  this.timeout(120000);
  let b;
  before(() => { b = new Builder('ti-symbols-'); });
  after(() => b.remove());

  const FUNC = 'int ti_missing_fn(void);\nint ti_calls_fn(void) { return ti_missing_fn(); }';
  const DATA = 'extern int ti_missing_obj;\nint ti_reads_obj(void) { return ti_missing_obj; }';

  it('glibc under Node\'s RTLD_LAZY: a missing function is a warning, a missing object or any -z now symbol an error', async function () {
    const fn = b.lib('fn.node', { addon: true, extra: FUNC });
    const data = b.lib('data.node', { addon: true, extra: DATA });
    const now = b.lib('now.node', { addon: true, extra: FUNC, flags: ['-Wl,-z,now'] });
    const real = (f) => nodeLoadSequence([f]).loads[0];
    assert.strictEqual(real(fn).loaded, true);
    assert.match(real(data).error, /undefined symbol: ti_missing_obj/);
    assert.match(real(now).error, /undefined symbol: ti_missing_fn/);
    const fnR = await ti.check(fn);
    assert.deepStrictEqual(fnR.problems.map((p) => [p.code, p.severity]), [['UNDEFINED_SYMBOL', 'warning']]);
    assert.deepStrictEqual(fnR.problems[0].symbols, ['ti_missing_fn']);
    assert.strictEqual(fnR.verdict, 'risky');
    for (const f of [data, now]) {
      const r = await ti.check(f);
      assert.deepStrictEqual(r.problems.map((p) => [p.code, p.severity]), [['UNDEFINED_SYMBOL', 'error']], f);
    }
    // RTLD_NOW (lazy: false): everything must resolve at load, as dlopen(RTLD_NOW) says
    assert.strictEqual((await ti.check(fn, { lazy: false })).verdict, 'incompatible');
  });

  it('musl under RTLD_LAZY defers PLT and GOT slots (loads, crashes when used); -z now and absolute references fail', async function () {
    if (!haveMusl()) h.skip(this, 'musl-gcc not installed: no musl loader to compare with');
    // statx is a symbol musl's own table can judge: 1.2.3 (the loader here) lacks it.
    const decl = 'int statx(int, const char *, int, unsigned, void *);\n';
    const m = new Builder('ti-symbols-musl-', 'musl-gcc');
    try {
      const files = {
        plt: m.lib('plt.node', { addon: true, extra: `${decl}int ti_s(void) { return statx(0, ".", 0, 0, 0); }` }),
        got: m.lib('got.node', { addon: true, extra: `${decl}long ti_a(void) { return (long)&statx; }` }),
        abs: m.lib('abs.node', { addon: true, extra: `${decl}void *ti_p = (void *)&statx;` }),
        now: m.lib('now.node', { addon: true, extra: `${decl}int ti_s(void) { return statx(0, ".", 0, 0, 0); }`, flags: ['-Wl,-z,now'] }),
      };
      const loads = { plt: true, got: true, abs: false, now: false };
      for (const [k, f] of Object.entries(files)) {
        const lazy = muslLoadSequence([f], { lazy: true }).loads[0];
        const strict = muslLoadSequence([f], { lazy: false }).loads[0];
        assert.strictEqual(lazy.loaded, loads[k], `${k}: ${lazy.error}`);
        assert.match(strict.error, /statx: symbol not found/, k);
        const r = await ti.check(f, { target: 'musl@1.2.3' });
        assert.deepStrictEqual(r.problems.map((p) => [p.code, p.severity]), [['UNDEFINED_SYMBOL', loads[k] ? 'warning' : 'error']], k);
        assert.strictEqual((await ti.check(f, { target: 'musl@1.2.3', lazy: false })).verdict, 'incompatible', k);
      }
    } finally {
      m.remove();
    }
  });

  it('statx: a musl build needing it is refused before musl 1.2.5, as the real 1.2.3 loader refuses it', async function () {
    if (!haveMusl()) h.skip(this, 'musl-gcc not installed: no musl loader to compare with');
    const m = new Builder('ti-statx-', 'musl-gcc');
    try {
      const src = 'int statx(int, const char *, int, unsigned, void *);\nint ti_stat(void) { return statx(0, ".", 0, 0, 0); }';
      const now = m.lib('statx.node', { addon: true, extra: src, flags: ['-Wl,-z,now'] });
      const real = muslLoadSequence([now]).loads[0];
      assert.match(real.error, /statx: symbol not found/);
      const old = await ti.check(now, { target: 'musl@1.2.3' });
      assert.deepStrictEqual(old.problems.map((p) => p.code), ['UNDEFINED_SYMBOL']);
      assert.match(old.problems[0].message, /statx \(musl 1\.2\.5\)/);
      assert.strictEqual((await ti.check(now, { target: 'alpine-3.19' })).verdict, 'incompatible');
      assert.strictEqual((await ti.check(now, { target: 'alpine-3.20' })).verdict, 'compatible');
      const r = await ti.check(now, { target: 'alpine-3.20' });
      assert.strictEqual(r.runsOn.musl, '1.2.5');
    } finally {
      m.remove();
    }
  });

  it('NODE_ABI_MISMATCH: an addon that is not Node-API, built for another NODE_MODULE_VERSION', async function () {
    const abi = Number(process.versions.modules);
    const addon = (v) => `struct node_module { int v; unsigned f; void *h; const char *file; void *reg; void *ctx;
      const char *name; void *priv; struct node_module *link; };
      void node_module_register(void *);
      static void init(void *e, void *m, void *c) { (void)e; (void)m; (void)c; }
      static struct node_module mod = { ${v}, 0, 0, "abi.c", 0, (void *)init, "abi${v}", 0, 0 };
      __attribute__((constructor)) static void reg(void) { node_module_register(&mod); }
      void node_register_module_v${v}(void *e, void *m, void *c) { init(e, m, c); }`;
    const other = b.lib('abi93.node', { extra: addon(93) });
    const mine = b.lib(`abi${abi}.node`, { extra: addon(abi) });
    assert.match(nodeLoadSequence([other]).loads[0].error, /NODE_MODULE_VERSION 93\. This version of Node\.js requires\s+NODE_MODULE_VERSION/);
    assert.strictEqual(nodeLoadSequence([mine]).loads[0].loaded, true);
    const r = await ti.check(other);
    assert.deepStrictEqual(r.problems.map((p) => p.code), ['NODE_ABI_MISMATCH']);
    assert.deepStrictEqual([r.problems[0].abi, r.problems[0].targetAbi], [93, abi]);
    assert.strictEqual((await ti.check(mine)).verdict, 'compatible');
    assert.deepStrictEqual((await ti.check(mine, { target: 'electron-33' })).problems.map((p) => p.code), ['NODE_ABI_MISMATCH']);
    assert.strictEqual((await ti.check(mine)).runsOn.abi, abi);
  });
});

describe('loader model: the whole scope of a load', function () {
  this.timeout(120000);
  let b;
  before(() => { b = new Builder('ti-scope-'); });
  after(() => b.remove());

  // In one child: load `first` (RTLD_GLOBAL when asked), then ask check() about `second`,
  // then load `second` with the real loader: the check must not change what the loader does.
  function inChild(first, second, { global = false } = {}) {
    const script = `const ti = require(${JSON.stringify(h.ROOT)}); const os = require('os');
      const flags = ${global} ? os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL : os.constants.dlopen.RTLD_LAZY;
      process.dlopen({ exports: {} }, ${JSON.stringify(first)}, flags);
      const r = ti.checkSync(${JSON.stringify(second)});
      const before = ti.staticTls().remaining;
      let error = null; try { process.dlopen({ exports: {} }, ${JSON.stringify(second)}); } catch (e) { error = e.message; }
      console.log(JSON.stringify({ verdict: r.verdict, codes: r.problems.map((p) => p.code), library: (r.problems[0] || {}).library,
        predicted: r.staticTls && r.staticTls.after, before, after: ti.staticTls().remaining, error }));`;
    return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  }

  it('a dependency an earlier addon loaded (not global) defines symbols for the next one', async function () {
    b.lib('libshared.so', { dir: 's', extra: 'int shared_var = 42;' });
    const a = b.lib('a.node', { dir: 's', addon: true, needs: ['libshared.so'] });
    const second = b.lib('b.node', { dir: 's', addon: true, needs: ['libshared.so'],
      extra: 'extern int shared_var;\nint *keep_b = &shared_var;' });
    const { predicted, loads } = nodeLoadSequence([a, second]);
    assert.deepStrictEqual(loads.map((l) => l.loaded), [true, true]);
    assert.strictEqual(predicted.failsAt, null, JSON.stringify(predicted.files[1].problems));
    const r = inChild(a, second);
    assert.deepStrictEqual([r.verdict, r.error], ['compatible', null]);
  });

  it('initial-exec to a thread-local of a library already loaded: placed as glibc places it, and check() leaves it alone', function () {
    const lib = (n) => b.lib(`libt${n}.so`, { dir: `t${n}`, addon: true, tls: n, model: 'global-dynamic' });
    const user = (n) => b.lib(`user${n}.node`, { dir: `t${n}`, addon: true, needs: [`libt${n}.so`],
      extra: `extern __thread unsigned char libt${n}_tls[${n}] __attribute__((tls_model("initial-exec")));\n` +
        `unsigned char *user${n}_ref(void) { return libt${n}_tls; }` });
    const small = inChild(lib(64), user(64), { global: true });
    assert.strictEqual(small.error, null, 'the check did not make the real load fail');
    assert.strictEqual(small.verdict, 'compatible');
    assert.strictEqual(small.predicted, small.after, 'the block lands where glibc puts it');
    assert.ok(small.after < small.before);
    const big = inChild(lib(4096), user(4096), { global: true });
    assert.match(big.error, /libt4096\.so: cannot allocate memory in static TLS block/);
    assert.deepStrictEqual([big.codes, big.library], [['STATIC_TLS_EXHAUSTED'], 'libt4096.so']);
  });

  it('descriptors take static TLS only from the optional part: what earlier loads took of it is not offered again', function () {
    // 400 bytes through a descriptor take 400 of the 512 optional bytes; 300 more then stay dynamic
    const first = b.lib('libdesc400.so', { dir: 'desc', addon: true, tls: 400, model: 'tlsdesc' });
    const second = b.lib('libdesc300.so', { dir: 'desc', addon: true, tls: 300, model: 'tlsdesc' });
    const r = inChild(first, second);
    assert.strictEqual(r.error, null);
    assert.strictEqual(r.after, r.before, 'the real loader left the second block dynamic');
    assert.strictEqual(r.predicted, r.after);
  });

  it('an object loaded by path answers to that path and its soname, not to its file name', function () {
    // liba.node has the soname libA.so.1: a DT_NEEDED of it finds the loaded object
    const a = b.lib('liba.node', { dir: 'names/x', addon: true, soname: 'libA.so.1' });
    const bySoname = b.lib('bysoname.node', { dir: 'names', addon: true, runpath: null, linkDirs: [path.dirname(a)],
      flags: ['-Wl,--no-as-needed', '-l:liba.node'] });
    assert.ok(ti.analyzeSync(bySoname).needed.includes('libA.so.1'));
    const ok = inChild(a, bySoname);
    assert.deepStrictEqual([ok.verdict, ok.error], ['compatible', null]);
    // libplain.so has no soname: loaded by its path, a DT_NEEDED of its file name does not find it
    const plain = b.lib('libplain.so', { dir: 'names/y', addon: true, soname: null });
    const user = b.lib('user.node', { dir: 'names', addon: true, runpath: null, linkDirs: [path.dirname(plain)],
      flags: ['-Wl,--no-as-needed', '-l:libplain.so'] });
    assert.ok(ti.analyzeSync(user).needed.includes('libplain.so'));
    const no = inChild(plain, user);
    assert.match(no.error, /libplain\.so: cannot open shared object file/);
    assert.deepStrictEqual(no.codes, ['MISSING_LIBRARY']);
  });

  it('LD_BIND_NOW at start-up makes every symbol bind at load', function () {
    const fn = b.lib('lazyfn.node', { dir: 'bindnow', addon: true, extra: 'int ti_gone(void);\nint ti_call(void) { return ti_gone(); }' });
    const script = `const ti = require(${JSON.stringify(h.ROOT)}); const r = ti.checkSync(${JSON.stringify(fn)});
      let error = null; try { process.dlopen({ exports: {} }, ${JSON.stringify(fn)}); } catch (e) { error = e.message; }
      console.log(JSON.stringify({ verdict: r.verdict, error }));`;
    const run = (env) => JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env } }));
    assert.deepStrictEqual(run({}), { verdict: 'risky', error: null });
    const now = run({ LD_BIND_NOW: '1' });
    assert.strictEqual(now.verdict, 'incompatible');
    assert.match(now.error, /undefined symbol: ti_gone/);
  });

  it('-z nodefaultlib: neither the default directories nor a cache entry under them serve the object\'s needs', function () {
    const flags = ['-Wl,--no-as-needed', '-lz'];
    const plain = b.lib('zplain.node', { dir: 'nodeflib', addon: true, flags });
    const nodef = b.lib('znodef.node', { dir: 'nodeflib', addon: true, flags: [...flags, '-Wl,-z,nodefaultlib'] });
    assert.strictEqual(ti.analyzeSync(nodef).flags.nodeflib, true);
    assert.strictEqual(ti.analyzeSync(plain).flags.nodeflib, false);
    const [p, n] = [plain, nodef].map((f) => nodeLoadSequence([f]));
    assert.strictEqual(p.loads[0].loaded, true, p.loads[0].error);
    assert.strictEqual(p.predicted.files[0].verdict, 'compatible');
    assert.match(n.loads[0].error, /libz\.so\.1: cannot open shared object file/);
    assert.deepStrictEqual(n.predicted.files[0].problems.map((x) => [x.code, x.library]), [['MISSING_LIBRARY', 'libz.so.1']]);
  });

  it('the first candidate of the right name decides: glibc passes over another class, refuses what is not a library', function () {
    const good = b.lib('libdep.so', { dir: 'cand/b' });
    const top = b.lib('cand.node', { dir: 'cand', addon: true, needs: ['libdep.so'], linkDirs: [path.dirname(good)],
      runpath: '$ORIGIN/a:$ORIGIN/b' });
    const slot = path.join(b.dir, 'cand', 'a', 'libdep.so');
    fs.mkdirSync(path.dirname(slot), { recursive: true });
    const cases = [
      ['another class', () => fs.copyFileSync(require('../lib/reproduce').template('global-dynamic'), slot) ||
        require('child_process').execFileSync('python3', ['-c', `import sys; f=open(sys.argv[1],'r+b'); f.seek(18); f.write(bytes([3,0])); f.close()`, slot])],
      ['a text file', () => fs.writeFileSync(slot, 'INPUT(-lc)\n'.repeat(10))],
      ['a directory', () => fs.mkdirSync(slot)],
      ['an object file', () => fs.copyFileSync(path.join(h.ROOT, 'test', 'corpus', 'seed-initial-exec.so'), slot) ||
        require('child_process').execFileSync('python3', ['-c', `import sys; f=open(sys.argv[1],'r+b'); f.seek(16); f.write(bytes([1,0])); f.close()`, slot])],
    ];
    for (const [what, make] of cases) {
      fs.rmSync(slot, { recursive: true, force: true });
      make();
      const { predicted, loads } = nodeLoadSequence([top]);
      assert.strictEqual(predicted.files[0].ok, loads[0].loaded, `${what}: ${loads[0].error} / ${JSON.stringify(predicted.files[0].problems)}`);
      if (!loads[0].loaded) assert.strictEqual(predicted.files[0].problems[0].path, slot, what);
    }
  });
});

describe('loader model: what the loaders refuse to map, and what Node refuses after', function () {
  this.timeout(120000);
  const { spawnSync } = require('child_process');
  // A dependency linked as a library, then replaced by a program of the same name.
  function program(b, cc, dir, name, flags) {
    const file = path.join(b.dir, dir, name);
    const src = `${file}.c`;
    fs.writeFileSync(src, `int ${name.replace(/\W/g, '_')}_touch(int i) { return i; }\nint main(void) { return 0; }\n` +
      'void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }\n');
    const r = spawnSync(cc, ['-o', file, src, '-Wl,-E', ...flags], { encoding: 'utf8' });
    fs.unlinkSync(src);
    if (r.status !== 0) throw new Error(r.stderr);
    return file;
  }
  // the cases, each as the top file to load
  function build(b, cc) {
    const lib = (name, o) => b.lib(name, { dir: 'refuse', ...o });
    lib('libpie.so', {});
    lib('libexe.so', {});
    lib('libnoopen.so', { flags: ['-Wl,-z,nodlopen'] });
    const files = {
      pieDep: lib('piedep.node', { addon: true, needs: ['libpie.so'] }),
      exeDep: lib('exedep.node', { addon: true, needs: ['libexe.so'] }),
      noopenDep: lib('noopendep.node', { addon: true, needs: ['libnoopen.so'] }),
      noopen: lib('noopen.node', { addon: true, flags: ['-Wl,-z,nodlopen'] }),
      unregistered: lib('plain.node', {}),
    };
    program(b, cc, 'refuse', 'libpie.so', ['-fPIE', '-pie']);
    program(b, cc, 'refuse', 'libexe.so', ['-fno-pie', '-no-pie']);
    files.pie = program(b, cc, 'refuse', 'pie.node', ['-fPIE', '-pie']);
    return files;
  }

  it('glibc refuses executables (PIE or not) and -z nodlopen objects anywhere in the load; Node refuses an addon without an entry point', function () {
    const b = new Builder('ti-refuse-');
    try {
      const files = build(b, process.env.CC || 'cc');
      const want = { pieDep: ['NOT_DLOPENABLE', /libpie\.so: cannot dynamically load position-independent executable/],
        exeDep: ['NOT_DLOPENABLE', /libexe\.so: cannot dynamically load executable/],
        noopenDep: ['NOT_DLOPENABLE', /libnoopen\.so: shared object cannot be dlopen\(\)ed/],
        noopen: ['NOT_DLOPENABLE', /noopen\.node: shared object cannot be dlopen\(\)ed/],
        pie: ['NOT_DLOPENABLE', /pie\.node: cannot dynamically load position-independent executable/],
        unregistered: ['MODULE_NOT_REGISTERED', /Module did not self-register: '.*plain\.node'/] };
      for (const [k, [code, message]] of Object.entries(want)) {
        const { predicted, loads } = nodeLoadSequence([files[k]]);
        assert.match(String(loads[0].error), message, k);
        assert.strictEqual(errors(predicted.files[0])[0].code, code, `${k}: ${JSON.stringify(predicted.files[0].problems)}`);
        assert.strictEqual(ti.explain(loads[0].error).code, code, `explain: ${loads[0].error}`);
      }
    } finally {
      b.remove();
    }
  });

  it('musl maps all of them', async function () {
    if (!haveMusl()) h.skip(this, 'musl-gcc not installed: no musl loader to compare with');
    const b = new Builder('ti-refuse-musl-', 'musl-gcc');
    try {
      const files = build(b, 'musl-gcc');
      delete files.unregistered; // Node's own check, not the loader's
      for (const [k, f] of Object.entries(files)) {
        assert.strictEqual(muslLoadSequence([f]).loads[0].loaded, true, k);
        const r = await ti.check(f, { target: 'musl' });
        assert.deepStrictEqual(errors(r), [], `${k}: ${JSON.stringify(r.problems)}`);
      }
    } finally {
      b.remove();
    }
  });
});
