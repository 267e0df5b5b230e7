'use strict';
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const MIB = 1 << 20;
const haveMusl = () => Boolean(fixtures.list().musl && fs.existsSync('/lib/ld-musl-x86_64.so.1'));

describe('reproduce(): glibc, in a child Node process', function () {
  this.timeout(120000);
  let remaining;
  before(async function () {
    if (ti.libc().family !== 'glibc') h.skip(this, 'host is not glibc');
    remaining = (await ti.reproduce({ model: 'global-dynamic', bytes: 8 })).staticTlsBefore.remaining;
  });

  it('initial-exec larger than the budget fails with the static TLS error', async function () {
    const r = await ti.reproduce({ model: 'initial-exec', bytes: remaining + 64 });
    assert.strictEqual(r.loaded, false);
    assert.match(r.error, /cannot allocate memory in static TLS block/);
    assert.deepStrictEqual(r.predicted.loaded, false);
    assert.match(r.fixes[0], /^GLIBC_TUNABLES=glibc\.rtld\.optional_static_tls=\d+$/);
  });

  it('the suggested tunable makes the same library load', async function () {
    const failed = await ti.reproduce({ model: 'initial-exec', bytes: 64 * 1024 });
    assert.strictEqual(failed.loaded, false);
    const tunables = failed.fixes[0].replace('GLIBC_TUNABLES=', '');
    const r = await ti.reproduce({ model: 'initial-exec', bytes: 64 * 1024, tunables });
    assert.strictEqual(r.error, null);
    assert.strictEqual(r.loaded, true);
  });

  it('LD_PRELOAD makes it load (a start-up slot)', async function () {
    const r = await ti.reproduce({ model: 'initial-exec', bytes: 64 * 1024, preload: true });
    assert.strictEqual(r.loaded, true, r.error);
  });

  it('global-dynamic, local-dynamic and TLS-descriptor fixtures of 1 MiB load', async function () {
    for (const model of ['global-dynamic', 'local-dynamic', 'tlsdesc']) {
      const r = await ti.reproduce({ model, bytes: MIB });
      assert.strictEqual(r.loaded, true, `${model}: ${r.error}`);
      assert.strictEqual(r.predicted.loaded, true);
    }
  });

  it('never spends the caller\'s static TLS', async function () {
    const before = ti.staticTls().remaining;
    await ti.reproduce({ model: 'initial-exec', bytes: 64 });
    assert.strictEqual(ti.staticTls().remaining, before);
  });
});

describe('reproduce(): musl, through the ti-probe under the real musl loader', function () {
  this.timeout(120000);
  before(function () {
    if (!haveMusl()) h.skip(this, 'musl is not installed (apt-get install musl musl-tools)');
  });

  it('initial-exec of any size fails, even 8 bytes', async function () {
    for (const bytes of [8, 4096]) {
      const r = await ti.reproduce({ model: 'initial-exec', bytes, libc: 'musl' });
      assert.strictEqual(r.loaded, false);
      assert.match(r.error, /Error relocating .*: ti_fixture_block: initial-exec TLS resolves to dynamic definition in /);
      assert.strictEqual(r.staticTlsBefore.libc, 'musl');
    }
  });

  it('global-dynamic and local-dynamic load; LD_PRELOAD fixes initial-exec', async function () {
    for (const model of ['global-dynamic', 'local-dynamic', 'tlsdesc']) {
      const r = await ti.reproduce({ model, bytes: MIB, libc: 'musl' });
      assert.strictEqual(r.loaded, true, `${model}: ${r.error}`);
    }
    const pre = await ti.reproduce({ model: 'initial-exec', bytes: 4096, libc: 'musl', preload: true });
    assert.strictEqual(pre.loaded, true, pre.error);
  });

  it('the probe runs under musl, walks its own link map and loads a .node built for musl', function () {
    const probe = fixtures.template('probe', 'musl');
    const addon = fixtures.template('addon', 'musl');
    assert.strictEqual(ti.analyzeSync(addon).libc, 'musl');
    const r = JSON.parse(execFileSync(probe, ['--dlopen', addon], { encoding: 'utf8' }));
    assert.strictEqual(r.libc.family, 'musl');
    const version = spawnSync('/lib/ld-musl-x86_64.so.1', [], { encoding: 'utf8' }).stderr.match(/Version (\S+)/)[1];
    assert.strictEqual(r.libc.version, version);
    assert.deepStrictEqual(r.loads, [{ path: addon, loaded: true, error: null }]);
    const paths = r.modules.filter((m) => m.path.startsWith('/')).map((m) => fs.realpathSync(m.path));
    assert.ok(paths.includes(fs.realpathSync(addon)));
    assert.ok(paths.includes(fs.realpathSync('/lib/ld-musl-x86_64.so.1')));
  });
});

describe('reproduce(): every prediction agrees with the real loader', function () {
  this.timeout(300000);
  it('models x sizes x libcs', async function () {
    const libcs = haveMusl() ? ['glibc', 'musl'] : ['glibc'];
    if (libcs.length === 1) process.stdout.write('      (musl not installed: glibc only)\n');
    let runs = 0;
    for (const libc of libcs) {
      const remaining = (await ti.reproduce({ model: 'global-dynamic', bytes: 8, libc })).staticTlsBefore.remaining;
      const sizes = [8, Math.max(8, remaining - 64), remaining + 64, 64 * 1024, MIB];
      for (const model of ['global-dynamic', 'local-dynamic', 'initial-exec', 'tlsdesc']) {
        for (const bytes of sizes) {
          const r = await ti.reproduce({ model, bytes, libc });
          assert.strictEqual(r.loaded, r.predicted.loaded,
            `${libc} ${model} ${bytes}: loader ${r.loaded ? 'loaded' : r.error}; predicted ${r.predicted.reason}`);
          runs++;
        }
      }
    }
    assert.ok(runs >= 20);
  });
});

describe('reproduce(): local-exec', function () {
  it('reports the linker\'s refusal to build a local-exec shared object as expected behaviour', async function () {
    const r = await ti.reproduce({ model: 'local-exec' });
    assert.strictEqual(r.stage, 'link');
    assert.strictEqual(r.loaded, false);
    assert.match(r.error, /R_X86_64_TPOFF32 against symbol `ti_fixture_block' can not be used when making a shared object/);
    assert.strictEqual(r.predicted.loaded, false);
  });

  it('while the local-exec executable itself runs', function () {
    const exe = fixtures.template('local-exec');
    assert.deepStrictEqual(JSON.parse(execFileSync(exe, { encoding: 'utf8' })), { touched: 1 });
    assert.deepStrictEqual(ti.analyzeSync(exe).tlsRelocations, { tpoff: 0, dtpmod: 0, dtpoff: 0, tlsdesc: 0,
      tpoffOwn: 0, tlsdescOwn: 0 });
  });
});

describe('reproduce(): arguments', function () {
  it('rejects bad models, sizes and libcs with TI_EINVAL', async function () {
    await assert.rejects(ti.reproduce({ model: 'bogus', bytes: 8 }), { code: 'TI_EINVAL' });
    await assert.rejects(ti.reproduce({ model: 'initial-exec', bytes: 3 }), { code: 'TI_EINVAL' });
    await assert.rejects(ti.reproduce({ model: 'initial-exec', bytes: 8, libc: 'bionic' }), { code: 'TI_EINVAL' });
  });

  it('bytes must be a size a real process can hold: 8 bytes to 1 GiB, and the refusal says so', async function () {
    this.timeout(60000);
    for (const bytes of [99999999999, 2 ** 30 + 1, 2 ** 53, 1.5, NaN, '64']) {
      await assert.rejects(ti.reproduce({ model: 'initial-exec', bytes }),
        (e) => e.code === 'TI_EINVAL' && /from 8 to 1073741824 \(1 GiB\)/.test(e.message) && e instanceof ti.TlsInspectError,
        String(bytes));
    }
    const r = await ti.reproduce({ model: 'global-dynamic', bytes: 2 ** 30 });
    assert.strictEqual(r.loaded, true, r.error);
    const cli = spawnSync(process.execPath, [path.join(h.ROOT, 'bin', 'tls-inspect.js'), 'reproduce', '--model',
      'initial-exec', '--bytes', '99999999999'], { encoding: 'utf8' });
    assert.strictEqual(cli.status, 2, cli.stdout);
    assert.match(cli.stderr, /TI_EINVAL: bytes must be an integer from 8 to 1073741824/);
  });

  it('tunables: at most 4096 characters of name=value pairs, checked before any child starts', async function () {
    const bad = ['x'.repeat(200000), `glibc.rtld.nns=1:${'glibc.rtld.nns=1:'.repeat(300)}glibc.rtld.nns=1`,
      'glibc.rtld.optional_static_tls', 'a=1::b=2', 'a=1 b=2', '=5', 'a=$(id)', 'a=1\0'];
    for (const tunables of [...bad, 42, null]) {
      await assert.rejects(ti.reproduce({ model: 'initial-exec', bytes: 64, tunables }),
        (e) => e.code === 'TI_EINVAL' && /at most 4096 characters/.test(e.message), String(tunables).slice(0, 40));
    }
    const ok = await ti.reproduce({ model: 'initial-exec', bytes: 64,
      tunables: 'glibc.rtld.nns=4:glibc.rtld.optional_static_tls=0x1000' });
    assert.strictEqual(ok.tunables, 'glibc.rtld.nns=4:glibc.rtld.optional_static_tls=0x1000');
  });

  it('the CLI prints the loader message, the prediction and the fixes', function () {
    const bin = path.join(h.ROOT, 'bin', 'tls-inspect.js');
    const r = spawnSync(process.execPath, [bin, 'reproduce', '--model', 'initial-exec', '--bytes', '64k'], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /cannot allocate memory in static TLS block/);
    assert.match(r.stdout, /prediction \(agrees\): fails/);
    assert.match(r.stdout, /GLIBC_TUNABLES=glibc\.rtld\.optional_static_tls=\d+/);
    const j = JSON.parse(spawnSync(process.execPath, [bin, 'reproduce', '--model', 'tlsdesc', '--bytes', '1M', '--json'],
      { encoding: 'utf8' }).stdout);
    assert.strictEqual(j.loaded, true);
    assert.strictEqual(j.bytes, MIB);
    assert.strictEqual(spawnSync(process.execPath, [bin, 'reproduce', '--model', 'x', '--bytes', '8']).status, 2);
  });
});
