'use strict';
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const codes = (r) => r.problems.map((p) => p.code);
const haveMusl = () => Boolean(fixtures.list().musl);
const BIN = path.join(h.ROOT, 'bin', 'tls-inspect.js');

// The glibc ti-probe loads files with the real loader, outside Node.
function probeLoad(file, env = {}) {
  const out = execFileSync(fixtures.template('probe', 'glibc'), ['--dlopen', file],
    { encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(out).loads[0];
}

describe('check(): libc', function () {
  before(function () { if (!haveMusl()) h.skip(this, 'musl-gcc not installed: no musl fixtures'); });

  it('a musl build is LIBC_MISMATCH on this glibc host and compatible on musl', async function () {
    const file = fixtures.template('global-dynamic', 'musl');
    const host = await ti.check(file);
    assert.deepStrictEqual(codes(host), ['LIBC_MISMATCH']);
    assert.strictEqual(host.verdict, 'incompatible');
    assert.strictEqual(host.ok, false);
    const musl = await ti.check(file, { target: 'musl' });
    assert.strictEqual(musl.verdict, 'compatible', JSON.stringify(musl.problems));
    assert.strictEqual((await ti.check(file, { target: 'alpine-3.20' })).verdict, 'compatible');
  });

  it('a glibc build is LIBC_MISMATCH on musl', async function () {
    const r = await ti.check(fixtures.template('threads', 'glibc'), { target: 'musl' });
    assert.deepStrictEqual(codes(r), ['LIBC_MISMATCH']);
    assert.match(r.problems[0].fix, /musl/);
  });
});

describe('check(): glibc versions', function () {
  it('a pthread_create user built here is GLIBC_TOO_OLD on glibc@2.28 and rhel-8, fine on debian-12', async function () {
    const file = fixtures.template('threads', 'glibc');
    const want = h.readelfFacts(file).minGlibc;
    assert.strictEqual(want, '2.34', 'readelf says the fixture needs GLIBC_2.34');
    for (const target of ['glibc@2.28', 'rhel-8']) {
      const r = await ti.check(file, { target });
      assert.deepStrictEqual(codes(r), ['GLIBC_TOO_OLD'], target);
      assert.ok(r.problems[0].symbols.includes('pthread_create@GLIBC_2.34'), r.problems[0].message);
    }
    assert.strictEqual((await ti.check(file, { target: 'debian-12' })).verdict, 'compatible');
    assert.strictEqual((await ti.check(file, { target: 'glibc@2.34' })).verdict, 'compatible');
  });
});

describe('check(): static TLS', function () {
  this.timeout(60000);
  it('an initial-exec library larger than the live budget is STATIC_TLS_EXHAUSTED, and its tunable works', async function () {
    const bytes = ti.staticTls().remaining + 4096;
    const file = fixtures.fixturePath('initial-exec', bytes);
    const r = await ti.check(file);
    assert.deepStrictEqual(codes(r), ['STATIC_TLS_EXHAUSTED']);
    assert.match(r.problems[0].message, /ti_fixture_block/);
    const tunables = r.problems[0].tunable.replace('GLIBC_TUNABLES=', '');
    const loaded = await ti.reproduce({ model: 'initial-exec', bytes, tunables });
    assert.strictEqual(loaded.loaded, true, `${tunables}: ${loaded.error}`);
    const without = await ti.reproduce({ model: 'initial-exec', bytes });
    assert.strictEqual(without.loaded, false, 'and without it the loader refuses');
  });

  it('8 bytes of initial-exec TLS aligned beyond the static block never fit: the loader agrees, no tunable is offered', async function () {
    const st = ti.staticTls();
    const file = fixtures.template('initial-exec-align128');
    const align = ti.analyzeSync(file).tls.align;
    if (!(align > st.align)) h.skip(this, `this process's static TLS block is aligned to ${st.align}, not below ${align}`);
    const r = await ti.check(file);
    assert.deepStrictEqual(codes(r), ['STATIC_TLS_EXHAUSTED']);
    assert.strictEqual(r.problems[0].tunable, undefined, 'a tunable cannot fix alignment');
    assert.strictEqual(r.problems[0].tlsAlign, align);
    // Any x86_64 glibc process has its static area aligned to struct pthread's 64.
    if (process.arch === 'x64') assert.deepStrictEqual(codes(await ti.check(file, { target: 'debian-12' })), ['STATIC_TLS_EXHAUSTED']);
    const load = (env) => h.nodeJson(path.join(h.ROOT, 'lib', 'reproduce', 'child', 'load.js'), [file], env);
    const plain = load({});
    assert.strictEqual(plain.loaded, false);
    assert.match(plain.error, /cannot allocate memory in static TLS block/);
    const tuned = load({ GLIBC_TUNABLES: 'glibc.rtld.optional_static_tls=65536' });
    assert.strictEqual(tuned.loaded, false, 'even with 64 KiB of surplus');
    assert.strictEqual(load({ LD_PRELOAD: file }).loaded, true, 'a start-up slot is laid out for any alignment');
  });

  it('one that fits but leaves little room is a STATIC_TLS_LOW warning (risky, still ok)', async function () {
    const r = await ti.check(fixtures.fixturePath('initial-exec', ti.staticTls().remaining - 64));
    assert.deepStrictEqual(codes(r), ['STATIC_TLS_LOW']);
    assert.strictEqual(r.verdict, 'risky');
    assert.strictEqual(r.ok, true);
  });

  it('initial-exec of 8 bytes is MUSL_INITIAL_EXEC on musl; global-dynamic is not', async function () {
    if (!haveMusl()) h.skip(this, 'musl-gcc not installed: no musl fixtures');
    assert.deepStrictEqual(codes(await ti.check(fixtures.fixturePath('initial-exec', 8, 'musl'), { target: 'musl' })),
      ['MUSL_INITIAL_EXEC']);
    assert.deepStrictEqual(codes(await ti.check(fixtures.fixturePath('global-dynamic', 8, 'musl'), { target: 'musl' })), []);
  });
});

describe('check(): libraries, interpreters, Node-API', function () {
  it('a missing DT_NEEDED is MISSING_LIBRARY; with RUNPATH $ORIGIN and the library beside it, compatible', async function () {
    const bad = await ti.check(fixtures.template('needs-dep'));
    assert.deepStrictEqual(codes(bad), ['MISSING_LIBRARY']);
    assert.strictEqual(bad.problems[0].library, 'libti-dep.so');
    const good = await ti.check(fixtures.template('needs-dep-origin'));
    assert.strictEqual(good.verdict, 'compatible', JSON.stringify(good.problems));
    // the real loader agrees on both
    assert.match(probeLoad(fixtures.template('needs-dep')).error, /libti-dep\.so: cannot open shared object file/);
    assert.strictEqual(probeLoad(fixtures.template('needs-dep-origin')).loaded, true);
  });

  it('LD_LIBRARY_PATH counts as the loader read it at start-up, not as process.env says later', function () {
    const deps = path.dirname(fixtures.template('dep'));
    const file = fixtures.template('needs-dep');
    // In a child: check() beside the real loader (process.dlopen), with the
    // variable set at start-up, and with it set only in process.env afterwards.
    const script = `const ti = require(${JSON.stringify(h.ROOT)});
      if (process.argv[2] === 'late') process.env.LD_LIBRARY_PATH = ${JSON.stringify(deps)};
      const r = ti.checkSync(${JSON.stringify(file)});
      // a plain library is not an addon: Node says so only after the loader has loaded it
      let loaded = true; try { process.dlopen({ exports: {} }, ${JSON.stringify(file)}); }
      catch (e) { loaded = /did not self-register/.test(e.message); }
      console.log(JSON.stringify({ verdict: r.verdict, loaded }));`;
    const run = (args, env) => JSON.parse(execFileSync(process.execPath, ['-e', script, ...args],
      { encoding: 'utf8', env: { ...process.env, ...env } }));
    const startup = run([], { LD_LIBRARY_PATH: deps });
    assert.deepStrictEqual(startup, { verdict: 'compatible', loaded: true });
    const env = { ...process.env };
    delete env.LD_LIBRARY_PATH;
    const late = JSON.parse(execFileSync(process.execPath, ['-e', script, 'late'], { encoding: 'utf8', env }));
    assert.deepStrictEqual(late, { verdict: 'incompatible', loaded: false });
  });

  it('an executable whose interpreter is absent is BAD_INTERPRETER (glibc binary on Alpine)', async function () {
    const r = await ti.check(process.execPath, { target: 'alpine' });
    assert.ok(codes(r).includes('BAD_INTERPRETER'));
    assert.ok(codes(r).includes('LIBC_MISMATCH'));
    if (haveMusl()) {
      const host = await ti.check(fixtures.template('local-exec', 'musl'));
      assert.strictEqual(codes(host).includes('BAD_INTERPRETER'), !fs.existsSync('/lib/ld-musl-x86_64.so.1'));
    }
  });

  it('NAPI_VERSION when an addon needs a newer Node-API than the target offers', async function () {
    const file = fixtures.template('napi9');
    const r = await ti.check(file, { target: 'node:16-bullseye' });
    assert.deepStrictEqual(codes(r), ['NAPI_VERSION']);
    assert.strictEqual(r.analysis.napi.minVersion, 9);
    assert.deepStrictEqual(r.analysis.napi.imports, ['node_api_symbol_for']);
    assert.deepStrictEqual(codes(await ti.check(file, { target: 'node:20-bookworm' })), []);
    const host = await ti.check(path.join(h.ROOT, 'build', 'Release', 'tls_inspect.node'));
    assert.strictEqual(host.verdict, 'compatible', JSON.stringify(host.problems));
  });

  it('NOT_ELF and ARCH_MISMATCH', async function () {
    assert.deepStrictEqual(codes(await ti.check(path.join(h.ROOT, 'README.md'))), ['NOT_ELF']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-arch-'));
    try {
      const f = path.join(dir, 'arm.so');
      const data = Buffer.from(fs.readFileSync(fixtures.template('global-dynamic')));
      data.writeUInt16LE(183, 18); // e_machine = EM_AARCH64
      fs.writeFileSync(f, data);
      assert.ok(codes(await ti.check(f)).includes('ARCH_MISMATCH'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(ti.check('/nonexistent.node'), { code: 'TI_ENOENT' });
    await assert.rejects(ti.check('x.node', { target: 'windows-95' }), { code: 'TI_EINVAL' });
  });
});

describe('scan()', function () {
  this.timeout(120000);
  let dir;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-scan-'));
    const sources = ['global-dynamic', 'initial-exec', 'threads', 'culprit'].map((m) => fixtures.template(m));
    for (let i = 0; i < 1000; i++) {
      const sub = path.join(dir, `pkg${i % 50}`, 'build', 'Release');
      fs.mkdirSync(sub, { recursive: true });
      fs.copyFileSync(sources[i % sources.length], path.join(sub, i % 2 ? `addon${i}.node` : `lib${i}.so.1`));
    }
    fs.writeFileSync(path.join(dir, 'pkg0', 'libfake.so'), 'INPUT(-lc)\n'); // a linker script, not ELF
    fs.symlinkSync(dir, path.join(dir, 'pkg1', 'loop'));                   // a symlink loop
    fs.symlinkSync(path.join(dir, 'pkg2'), path.join(dir, 'pkg3', 'again'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports each of 1000 native files exactly once, through symlink loops', async function () {
    const seen = new Map();
    for await (const r of ti.scan(dir, { concurrency: 8 })) {
      const real = fs.realpathSync(r.path);
      seen.set(real, (seen.get(real) || 0) + 1);
    }
    assert.strictEqual(seen.size, 1000);
    assert.ok([...seen.values()].every((n) => n === 1), 'no file twice');
  });

  it('the CLI scans with exit codes and streams --json', function () {
    const r = spawnSync(process.execPath, [BIN, 'scan', dir, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    assert.strictEqual(summary.total, 1000);
    assert.strictEqual(lines.length, 1000);
    assert.strictEqual(r.status, summary.incompatible ? 1 : 0);
    const clean = spawnSync(process.execPath, [BIN, 'scan', path.join(dir, 'pkg0'), '--target', 'debian-12'], { encoding: 'utf8' });
    assert.match(clean.stdout, /scanned 20 native files/);
    assert.strictEqual(spawnSync(process.execPath, [BIN, 'scan', path.join(dir, 'missing')]).status, 2);
  });
});

describe('the check CLI', function () {
  it('exit 0 compatible, 1 incompatible, 2 usage or I/O; --json is the check() object', function () {
    const run = (args) => spawnSync(process.execPath, [BIN, 'check', ...args], { encoding: 'utf8' });
    const ok = run([fixtures.template('global-dynamic')]);
    assert.strictEqual(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /compatible on host/);
    const bad = run([fixtures.template('threads'), '--target', 'rhel-8']);
    assert.strictEqual(bad.status, 1);
    assert.match(bad.stdout, /GLIBC_TOO_OLD: needs GLIBC_2\.34; the target has glibc 2\.28/);
    assert.match(bad.stdout, /fix: /);
    const json = JSON.parse(run([fixtures.template('threads'), '--target', 'rhel-8', '--json']).stdout);
    assert.strictEqual(json.verdict, 'incompatible');
    assert.strictEqual(json.problems[0].code, 'GLIBC_TOO_OLD');
    assert.strictEqual(run([]).status, 2);
    assert.strictEqual(run(['/nonexistent.node']).status, 2);
    assert.strictEqual(run(['x.node', '--target', 'bogus']).status, 2);
    assert.doesNotMatch(bad.stdout, /\x1b\[/, 'no colour when not a terminal');
  });
});

describe('check(): a warm check of an unchanged file', function () {
  let dir;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-check-warm-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const { REMEMBER } = require('../lib/file/analyze');
  const settle = REMEMBER.settleMs;
  afterEach(() => { REMEMBER.settleMs = settle; });

  it('sees every change to the file: same size and modification time, other bytes', async function () {
    REMEMBER.settleMs = 0; // the file was just made: remember it all the same, to see the identity at work
    const file = path.join(dir, 'addon.node');
    fs.copyFileSync(fixtures.template('initial-exec'), file);
    const first = await ti.check(file);
    assert.deepStrictEqual(first.analysis, ti.analyzeSync(file), 'the analysis of the file as it is');
    assert.deepStrictEqual((await ti.check(file)).analysis, first.analysis, 'warm: the same');
    // rewrite the same inode in place with other bytes of the same size, then put the modification time back
    const st = fs.statSync(file, { bigint: true });
    const ref = path.join(dir, 'times');
    fs.writeFileSync(ref, '');
    assert.strictEqual(spawnSync('touch', ['-r', file, ref]).status, 0);
    const bytes = fs.readFileSync(file);
    const other = fs.readFileSync(fixtures.template('global-dynamic'));
    const mixed = Buffer.alloc(bytes.length);
    other.copy(mixed, 0, 0, Math.min(other.length, bytes.length));
    fs.writeFileSync(file, mixed);
    assert.strictEqual(spawnSync('touch', ['-r', ref, file]).status, 0); // to the nanosecond
    const now = fs.statSync(file, { bigint: true });
    assert.deepStrictEqual([now.ino, now.size, now.mtimeNs], [st.ino, st.size, st.mtimeNs]);
    let truth;
    try {
      truth = { analysis: ti.analyzeSync(file) };
    } catch (e) {
      truth = { code: e.code };
    }
    let got;
    try {
      got = { analysis: (await ti.check(file)).analysis };
    } catch (e) {
      got = { code: e.code };
    }
    assert.deepStrictEqual(got, truth);
    assert.notDeepStrictEqual(got, { analysis: first.analysis });
  });

  it('hands each caller its own objects, down to the packed numbers', async function () {
    REMEMBER.settleMs = 0;
    const file = fixtures.template('cxx');
    await ti.check(file);
    const a = await ti.check(file);
    a.analysis.imports.length = 0;
    a.analysis.needed.push('changed');
    for (const sym of Object.getOwnPropertySymbols(a.analysis)) {
      const raw = a.analysis[sym];
      if (raw && raw.n) raw.n.fill(7);
    }
    const b = await ti.check(file);
    assert.deepStrictEqual(b.analysis, ti.analyzeSync(file));
    assert.strictEqual(b.verdict, (await ti.check(file)).verdict);
  });

  it('a file changed within the last minute is read again: a write through a shared mapping moves no time', async function () {
    if (spawnSync('python3', ['-c', '0']).status !== 0) h.skip(this, 'python3 not installed: no mapped writer');
    const file = path.join(dir, 'mapped.node');
    fs.copyFileSync(fixtures.template('initial-exec'), file);
    // a writer that keeps the file mapped: it dirties the page of PT_TLS, then changes p_memsz in it
    const py = `import mmap, os, struct, sys
f = open(sys.argv[1], 'r+b'); m = mmap.mmap(f.fileno(), 0)
phoff, = struct.unpack_from('<Q', m, 0x20); phent, phnum = struct.unpack_from('<HH', m, 0x36)
at = next(phoff + i * phent for i in range(phnum) if struct.unpack_from('<I', m, phoff + i * phent)[0] == 7) + 0x28
size, = struct.unpack_from('<Q', m, at)
struct.pack_into('<Q', m, at, size); print('dirty', flush=True); sys.stdin.readline()
struct.pack_into('<Q', m, at, size + 4096); print('changed', flush=True); sys.stdin.readline()
`;
    const { spawn } = require('child_process');
    const writer = spawn('python3', ['-c', py, file], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = require('readline').createInterface({ input: writer.stdout })[Symbol.asyncIterator]();
    const next = async () => (await lines.next()).value;
    try {
      if ((await next()) !== 'dirty') throw new Error('the writer did not start');
      const before = await ti.check(file);
      writer.stdin.write('\n');
      assert.strictEqual(await next(), 'changed');
      const after = await ti.check(file);
      assert.strictEqual(after.analysis.tls.size, ti.analyzeSync(file).tls.size);
      assert.strictEqual(after.analysis.tls.size, before.analysis.tls.size + 4096);
    } finally {
      writer.stdin.end('\n');
      writer.kill();
    }
  });
});
