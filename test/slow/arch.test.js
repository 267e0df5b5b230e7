'use strict';
// Other architectures, with Debian's cross compilers and their glibc: the
// analyzer against readelf on ELF32/ELF64 in both byte orders, and the C core's
// live view (link map, placements, static TLS budget) under the real loader of
// aarch64, armhf, s390x, ppc64le, mips and riscv64 (qemu-user) and i386 (the
// 32-bit loader, run natively where the kernel runs 32-bit programs, else
// under qemu-user too).
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('../..');
const { resizeTls, tlsAlign } = require('../../lib/reproduce/elf-patch');
const { predictLoad, staticRoom } = require('../../lib/loader/static-tls');
const h = require('../support/helpers');
const { CROSS, buildCross, crossLibraries, launcher, glibcVersion } = require('../support/cross');

// analyze()'s machine name -> npm's cpu (mips has no npm cpu: not judged as a target).
const CPU_OF = { aarch64: 'arm64', arm: 'arm', i386: 'ia32', s390: 's390x', ppc64: 'ppc64', riscv: 'riscv64' };

describe('other architectures: analyze() against readelf', function () {
  this.timeout(300000);
  let root;
  const built = {};
  before(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-cross-'));
    for (const c of CROSS) built[c.triple] = buildCross(c, root);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const c of CROSS) {
    it(`${c.triple}: fixtures and the target glibc's libraries agree with readelf`, function () {
      const b = built[c.triple];
      if (b.missing) h.skip(this, b.missing);
      const files = [...Object.entries(b.files).filter(([k]) => k !== 'probe').map(([, f]) => f), ...crossLibraries(c)];
      let tls = 0, ie = 0, dynamic = 0;
      for (const file of files) {
        const a = h.compareAnalyzeWithReadelf(ti, file);
        const hdr = h.readelfHeader(file);
        assert.deepStrictEqual([a.class, a.endian, hdr.machine], [hdr.class, hdr.endian, c.readelf], file);
        assert.strictEqual(a.machine, c.machine, file);
        if (a.tls) tls++;
        if (a.tlsRelocations.tpoff) ie++;
        if (a.tlsRelocations.dtpmod || a.tlsRelocations.tlsdesc) dynamic++;
      }
      assert.ok(ie > 0 && dynamic > 0, `${ie} files with initial-exec and ${dynamic} with dynamic TLS relocations`);
      assert.ok(ti.analyzeSync(b.files['initial-exec']).tlsModels.includes('initial-exec'));
      process.stdout.write(`      (${files.length} files, ELF${ti.analyzeSync(files[0]).class} ` +
        `${ti.analyzeSync(files[0]).endian}, ${tls} with TLS, ${ie} initial-exec, ${dynamic} dynamic)\n`);
    });

    it(`${c.triple}: the 4248-byte culprit comes first, also when stripped`, function () {
      const b = built[c.triple];
      if (b.missing) h.skip(this, b.missing);
      for (const k of ['culprit', 'culprit-stripped']) {
        if (!b.files[k]) continue;
        const top = ti.analyzeSync(b.files[k]).tlsSymbols[0];
        assert.deepStrictEqual([top.name, top.size], ['THREAD_RNG_KEY', 4248], k);
      }
      // a problem names variables only: not ARM's mapping symbols ($d), _TLS_MODULE_BASE_ or size-0 names
      const cpu = CPU_OF[c.machine];
      if (!cpu) return;
      const src = path.join(root, `${c.triple}-names.c`), lib = path.join(root, `${c.triple}-names.so`);
      fs.writeFileSync(src, '__thread char big[4096] __attribute__((tls_model("initial-exec")));\n__thread int small = 3;\n' +
        'char *ti_f(void) { return big + small; }\n');
      execFileSync(`${c.triple}-gcc`, ['-O2', '-fPIC', '-shared', '-o', lib, src]);
      const p = ti.checkSync(lib, { target: 'glibc', cpu }).problems.find((x) => x.code === 'STATIC_TLS_EXHAUSTED');
      assert.deepStrictEqual(p.tlsSymbols.map((x) => x.name), ['big', 'small']);
    });
  }
});

describe('other architectures: the C core under the real loader', function () {
  this.timeout(300000);
  let root;
  before(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-cross-run-')); });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const c of CROSS.filter((x) => x.qemu || x.loader)) {
    it(`${c.triple}: libc, the budget to the byte and placements agree with the loader`, function () {
      const b = buildCross(c, root);
      if (b.missing) h.skip(this, b.missing);
      const l = launcher(c);
      if (l.missing) h.skip(this, l.missing);
      const probe = (args) => {
        const r = l.start([b.files.probe, '--tls-symbol', 'ti_fixture_block', ...args]);
        assert.ok(r.ok, r.err);
        return JSON.parse(r.out);
      };
      // libc: the version the target's libc.so.6 prints when run.
      const first = probe([]);
      assert.deepStrictEqual([first.libc.family, first.libc.version], ['glibc', glibcVersion(l.start, `/usr/${c.triple}/lib/libc.so.6`)]);
      assert.deepStrictEqual(first.modules.filter((m) => m.main).map((m) => m.path), [fs.realpathSync(b.files.probe)]);
      const st = first.staticTlsBefore;
      assert.strictEqual(st.exact, true);
      assert.strictEqual(st.variant, c.variant);
      // The budget: a block of exactly the room loads, one byte more is refused.
      const tpl = fs.readFileSync(b.files['initial-exec']);
      const align = tlsAlign(tpl);
      const room = staticRoom(st, align);
      for (const [bytes, loads] of [[room, true], [room + 1, false]]) {
        const file = path.join(b.dir, `ie-${bytes}.so`);
        fs.writeFileSync(file, resizeTls(tpl, bytes));
        const r = probe(['--dlopen', file]);
        const load = r.loads[0];
        assert.strictEqual(load.loaded, loads, `${bytes} bytes: ${load.error}`);
        assert.strictEqual(predictLoad({ libc: 'glibc', initialExec: true, size: bytes, align, staticTls: st }).loaded, loads);
        if (!loads) {
          assert.match(load.error, /cannot allocate memory in static TLS block/);
          continue;
        }
        // Placement: the walk's offset is where dlsym finds the block, on the side the variant says.
        const m = r.modules.find((x) => x.path.endsWith(path.basename(file)));
        assert.deepStrictEqual([m.tls.placement, m.tls.offset * (st.variant === 2 ? -1 : 1)], ['static', load.tlsSymbolFromTp]);
        assert.ok(r.staticTlsAfter.remaining < align, `${r.staticTlsAfter.remaining} left after filling it`);
      }
      // A 64-byte-aligned block: the prediction and the loader agree whichever way it goes.
      const aligned = probe(['--dlopen', b.files['initial-exec-align64']]).loads[0];
      const p = predictLoad({ libc: 'glibc', initialExec: true, size: 8, align: 64, staticTls: st });
      assert.strictEqual(p.loaded, aligned.loaded, `${p.reason} / ${aligned.error}`);
      // check() of this architecture's build on a glibc target of its cpu knows the same rule
      const cpu = CPU_OF[c.machine];
      if (cpu) {
        const verdict = ti.checkSync(b.files['initial-exec-align64'], { target: 'glibc', cpu });
        assert.strictEqual(verdict.problems.some((x) => x.code === 'STATIC_TLS_EXHAUSTED'), !aligned.loaded, JSON.stringify(verdict.problems));
        assert.ok(!verdict.problems.some((x) => x.code === 'ARCH_MISMATCH'), JSON.stringify(verdict.problems));
      }
      process.stdout.write(`      (${l.how}; variant ${st.variant}: size ${st.size}, used ${st.used}, room ${room}; ` +
        `8 bytes aligned to 64 ${aligned.loaded ? 'load' : 'refused'} with a static alignment of ${st.align})\n`);
    });
  }
});
