'use strict';
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const real = (p) => fs.realpathSync(p);

describe('modules(): the live link map', function () {
  const mods = ti.modules();
  const files = mods.filter((m) => !m.vdso);

  it('lists exactly the files that have an executable mapping in /proc/self/maps', function () {
    const fromMaps = new Set([...h.executableMappings()].map(real));
    const fromApi = new Set(files.map((m) => real(m.path)));
    assert.deepStrictEqual([...fromApi].sort(), [...fromMaps].sort());
  });

  it('marks the main program with its real path and the vDSO as such', function () {
    assert.strictEqual(mods[0].main, true);
    assert.strictEqual(mods[0].path, real(process.execPath));
    assert.strictEqual(mods.filter((m) => m.main).length, 1);
    const vdso = mods.filter((m) => m.vdso);
    assert.strictEqual(vdso.length, 1, 'one vDSO');
    assert.ok(/vdso/.test(vdso[0].name));
    const loader = mods.find((m) => m.loader);
    assert.strictEqual(real(loader.path), real(ti.libc().loader));
  });

  it('gives each module\'s load bias: base + first PT_LOAD address = its lowest mapping in /proc/self/maps', function () {
    const lowest = new Map();
    for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6 || !f[5].startsWith('/')) continue;
      const start = BigInt(`0x${f[0].split('-')[0]}`);
      const key = real(f.slice(5).join(' '));
      if (!lowest.has(key) || start < lowest.get(key)) lowest.set(key, start);
    }
    let checked = 0;
    for (const m of files) {
      const load = h.readelf(['-lW'], m.path).match(/^\s*LOAD\s+\S+\s+(0x[0-9a-f]+)/m);
      const want = lowest.get(real(m.path));
      if (!load || want === undefined) continue;
      assert.strictEqual(BigInt(m.base) + (BigInt(load[1]) & ~0xfffn), want, m.path);
      checked++;
    }
    assert.ok(checked >= 5, `${checked} modules checked`);
  });

  it('reports every module\'s TLS size, init size and alignment as readelf -lW does', function () {
    let withTls = 0;
    for (const m of files) {
      const t = h.readelfTls(m.path);
      if (!t) { assert.strictEqual(m.tls, null, m.path); continue; }
      const want = { size: t.size, initSize: t.initSize, align: t.align }; // the link map has no p_vaddr
      withTls++;
      assert.ok(m.tls, `${m.path} has TLS`);
      assert.deepStrictEqual({ size: m.tls.size, initSize: m.tls.initSize, align: m.tls.align }, want, m.path);
      assert.ok(m.tls.modid >= 1, `${m.path} modid`);
    }
    assert.ok(withTls >= 2, 'at least the executable and libc have TLS');
  });

  it('counts TLS relocations and DF_STATIC_TLS as readelf -rW / -dW do', function () {
    for (const m of files) {
      assert.deepStrictEqual(m.tlsRelocations, h.readelfTlsRelocs(m.path), m.path);
      assert.strictEqual(m.staticTlsFlag, h.readelfStaticTlsFlag(m.path), m.path);
    }
  });

  it('derives tlsModels from the relocations', function () {
    const libc = files.find((m) => m.name === 'libc.so.6');
    assert.ok(libc.tlsModels.includes('initial-exec'));
    for (const m of mods) {
      assert.strictEqual(m.tlsModels.includes('initial-exec'), m.tlsRelocations.tpoff > 0, m.path);
      assert.strictEqual(m.tlsModels.includes('tlsdesc'), m.tlsRelocations.tlsdesc > 0, m.path);
    }
  });

  it('places start-up modules in the static block at distinct offsets below the thread pointer', function () {
    const st = ti.staticTls();
    const placed = mods.filter((m) => m.tls && m.tls.placement === 'static');
    assert.ok(placed.length >= 2);
    const offsets = placed.map((m) => m.tls.offset);
    assert.strictEqual(new Set(offsets).size, offsets.length, 'no two blocks share an offset');
    for (const m of placed) {
      assert.ok(m.tls.offset >= m.tls.size, `${m.name} block ends at or below the thread pointer`);
      assert.ok(m.tls.offset <= st.used, `${m.name} offset within the used static area`);
    }
    assert.strictEqual(Math.max(...offsets), st.used);
  });

  it('places a dlopen\'ed initial-exec block where the loader\'s own dlsym finds it (the C core in a plain process)', function () {
    const file = fixtures.fixturePath('initial-exec', 256);
    const r = JSON.parse(execFileSync(fixtures.template('probe', 'glibc'),
      ['--tls-symbol', 'ti_fixture_block', '--dlopen', file], { encoding: 'utf8' }));
    assert.strictEqual(r.loads[0].loaded, true, r.loads[0].error);
    const m = r.modules.find((x) => x.path === file);
    assert.deepStrictEqual([m.tls.placement, -m.tls.offset], ['static', r.loads[0].tlsSymbolFromTp]);
    assert.strictEqual(r.staticTlsAfter.used, m.tls.offset, 'the newest static block ends the used area');
  });

  it('names the real main program when it is started through the loader (ld.so PROGRAM)', function () {
    const probe = fixtures.template('probe', 'glibc');
    const interp = h.readelf(['-lW'], probe).match(/Requesting program interpreter: ([^\]]+)\]/)[1];
    const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' })).modules.filter((m) => m.main);
    assert.deepStrictEqual(run(probe, []).map((m) => m.path), [real(probe)]);
    assert.deepStrictEqual(run(interp, [probe]).map((m) => m.path), [real(probe)]);
  });

  it('reports the same static placements from a worker_thread', function () {
    const { main, worker } = h.nodeJson(path.join(__dirname, 'child', 'worker-modules.js'));
    const statics = (list) => list.filter((m) => m.tls && m.tls.placement === 'static')
      .map((m) => [m.path, m.tls.modid, m.tls.offset]);
    assert.ok(statics(main).length >= 2);
    assert.deepStrictEqual(statics(worker), statics(main));
  });
});

describe('libc()', function () {
  it('is glibc with the version ldd --version prints (on this glibc machine)', function () {
    const ldd = execFileSync('ldd', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    if (!/GLIBC|GNU libc/i.test(ldd)) h.skip(this, `ldd is not glibc's: ${ldd}`);
    const want = ldd.match(/(\d+\.\d+)\s*$/)[1];
    const got = ti.libc();
    assert.strictEqual(got.family, 'glibc');
    assert.strictEqual(got.version, want);
    assert.ok(fs.existsSync(got.loader), got.loader);
  });
});

describe('the addon itself', function () {
  it('has no TLS of its own: it takes nothing from the budgets it measures (readelf -lW of the loaded file)', function () {
    const file = require('../lib/process/binding').loadedFrom;
    assert.strictEqual(h.readelfTls(file), null, file);
    const me = ti.modules().find((m) => m.path === file);
    assert.ok(me, 'the addon is in the link map');
    assert.strictEqual(me.tls, null);
  });
});
