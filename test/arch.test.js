'use strict';
// Other architectures, with Debian's cross compilers and their glibc: the
// analyzer against readelf on ELF32/ELF64 in both byte orders, and the C core's
// live view (link map, placements, static TLS budget) under the real loader of
// aarch64, armhf, s390x, ppc64le, mips and riscv64 (qemu-user) and i386 (the
// 32-bit loader, run natively).
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const { resizeTls, tlsAlign } = require('../lib/elf-patch');
const { predictLoad, staticRoom } = require('../lib/predict');
const h = require('./helpers');

const SRC = path.join(h.ROOT, 'fixtures', 'src');
const CORE = require('../scripts/core-sources').coreSources();

// machine: analyze()'s name; readelf: readelf -h's; run: how to start a program under the real loader.
const CROSS = [
  { triple: 'aarch64-linux-gnu', machine: 'aarch64', readelf: 'AArch64', desc: '-mtls-dialect=desc', qemu: 'qemu-aarch64', variant: 1 },
  { triple: 'arm-linux-gnueabihf', machine: 'arm', readelf: 'ARM', desc: '-mtls-dialect=gnu2', qemu: 'qemu-arm', variant: 1 },
  { triple: 'i686-linux-gnu', machine: 'i386', readelf: 'Intel 80386', desc: '-mtls-dialect=gnu2', loader: 'ld-linux.so.2', variant: 2 },
  { triple: 's390x-linux-gnu', machine: 's390', readelf: 'IBM S/390', qemu: 'qemu-s390x', variant: 2 },
  { triple: 'powerpc64le-linux-gnu', machine: 'ppc64', readelf: 'PowerPC64', qemu: 'qemu-ppc64le', variant: 1 },
  { triple: 'mips-linux-gnu', machine: 'mips', readelf: 'MIPS R3000', qemu: 'qemu-mips', variant: 1 },
  { triple: 'riscv64-linux-gnu', machine: 'riscv', readelf: 'RISC-V', qemu: 'qemu-riscv64', variant: 1 },
];

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000, maxBuffer: 64 << 20 });
  return { ok: !r.error && r.status === 0, out: r.stdout || '', err: r.error ? r.error.message : r.stderr };
}

// Builds the fixtures for one target; returns { dir, files: { name: path } } or { missing: reason }.
function buildCross(c, root) {
  const cc = `${c.triple}-gcc`;
  if (!run(cc, ['--version']).ok) return { missing: `${cc} is not installed (Debian: gcc-${c.triple})` };
  const dir = path.join(root, c.triple);
  fs.mkdirSync(dir, { recursive: true });
  const files = {};
  const lib = (name, flags, src = 'tls_fixture.c') => {
    const out = path.join(dir, `libti-${name}.so`);
    const r = run(cc, ['-O2', '-fPIC', '-shared', ...flags, '-o', out, path.join(SRC, src)]);
    if (!r.ok) throw new Error(`${cc} ${name}: ${r.err}`);
    files[name] = out;
  };
  lib('global-dynamic', ['-ftls-model=global-dynamic']);
  lib('local-dynamic', ['-ftls-model=local-dynamic', '-DTI_FIXTURE_LOCAL']);
  lib('initial-exec', ['-ftls-model=initial-exec']);
  lib('initial-exec-align64', ['-ftls-model=initial-exec', '-DTI_FIXTURE_ALIGN=64']);
  if (c.desc) lib('tlsdesc', [c.desc]);
  lib('culprit', [], 'culprit.c');
  lib('threads', ['-pthread'], 'threads.c');
  files['culprit-stripped'] = path.join(dir, 'libti-culprit-stripped.so');
  fs.copyFileSync(files.culprit, files['culprit-stripped']);
  if (!run(`${c.triple}-strip`, ['--strip-all', files['culprit-stripped']]).ok) delete files['culprit-stripped'];
  if (c.qemu || c.loader) {
    const probe = path.join(dir, 'ti-probe');
    const r = run(cc, ['-O2', '-std=c11', '-pthread', '-rdynamic', '-o', probe, path.join(h.ROOT, 'src', 'probe', 'ti_probe.c'),
      ...CORE, '-ldl']);
    if (!r.ok) throw new Error(`${cc} ti-probe: ${r.err}`);
    files.probe = probe;
  }
  return { dir, files };
}

// The cross glibc's own shared objects: real libraries with TLS, version sections and relocations.
function crossLibraries(c) {
  const dir = `/usr/${c.triple}/lib`;
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /\.so(\.|$)/.test(f)).sort().map((f) => path.join(dir, f))
    .filter((f) => fs.lstatSync(f).isFile() && fs.readFileSync(f).subarray(0, 4).toString('latin1') === '\x7fELF');
}

// Starts a program of this target under its real glibc loader, or says why it cannot.
function launcher(c) {
  const prefix = `/usr/${c.triple}`;
  if (c.qemu) {
    if (!h.haveCommand(c.qemu, ['--version'])) return { missing: `${c.qemu} is not installed (Debian: qemu-user)` };
    return { start: (args) => run(c.qemu, args, { QEMU_LD_PREFIX: prefix }) };
  }
  const loader = path.join(prefix, 'lib', c.loader);
  const start = (args) => run(loader, ['--library-path', path.join(prefix, 'lib'), ...args]);
  const probe = start(['--version']);
  if (!probe.ok && /ENOEXEC|Exec format/i.test(probe.err)) return { missing: `this kernel cannot run ${c.machine} programs` };
  return { start };
}

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
      const banner = l.start([`/usr/${c.triple}/lib/libc.so.6`]).out.match(/release version (\d+\.\d+)/);
      assert.deepStrictEqual([first.libc.family, first.libc.version], ['glibc', banner && banner[1]]);
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
      process.stdout.write(`      (variant ${st.variant}: size ${st.size}, used ${st.used}, room ${room}; ` +
        `8 bytes aligned to 64 ${aligned.loaded ? 'load' : 'refused'} with a static alignment of ${st.align})\n`);
    });
  }
});
