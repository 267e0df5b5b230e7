'use strict';
// The addon must never crash or hang the process that loads it.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const child = (name) => path.join(__dirname, 'child', name);
const coded = (e) => typeof e.code === 'string' && e.code.startsWith('TI_');

function outcome(fn) {
  const t0 = Date.now();
  try {
    fn();
    return { code: 'ok', ms: Date.now() - t0 };
  } catch (e) {
    return { code: coded(e) ? e.code : `UNCODED ${e.message}`, ms: Date.now() - t0 };
  }
}

describe('robustness: malformed input (each batch in a child process)', function () {
  this.timeout(300000);

  it('every prefix truncation of a small real shared object', function () {
    const small = ['/usr/lib/x86_64-linux-gnu/libdl.so.2', fixtures.template('culprit')].find((f) => fs.existsSync(f));
    const r = h.nodeJson(child('malformed.js'), [fs.realpathSync(small), '0']);
    assert.deepStrictEqual(r.uncoded, []);
    assert.strictEqual(r.runs, fs.statSync(small).size + 1 + Math.ceil(fs.statSync(small).size / 128));
  });

  it('bit flips in the header, program headers, dynamic section, version sections and symbols of real libraries', function () {
    for (const lib of ['/usr/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6']) {
      if (!fs.existsSync(lib)) continue;
      const r = h.nodeJson(child('targeted-flips.js'), [fs.realpathSync(lib), '150']);
      assert.deepStrictEqual(r.uncoded, [], lib);
      for (const region of ['header', 'phdrs', 'dynamic', 'verneed', 'dynsym']) assert.ok(r[region], `${lib} ${region} flipped`);
    }
  });

  it('absurd sizes, offsets and counts, self-linked sections, runaway version chains', function () {
    const r = h.nodeJson(child('crafted.js'), [fixtures.template('culprit')]);
    for (const [name, { code, ms }] of Object.entries(r)) {
      assert.ok(code === 'ok' || code.startsWith('TI_'), `${name}: ${code}`);
      assert.ok(ms < 2000, `${name} took ${ms} ms`);
    }
    assert.strictEqual(r['phoff-huge'].code, 'TI_ETRUNCATED');
    assert.strictEqual(r['phentsize-small'].code, 'TI_EMALFORMED');
  });

  it('a 4 GiB sparse file with a real header answers promptly', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-sparse-'));
    const f = path.join(dir, 'big.so');
    const refused = h.holesRefused(dir, 4 * 1024 * 1024 * 1024);
    if (refused) { fs.rmSync(dir, { recursive: true, force: true }); h.skip(this, refused); }
    try {
      fs.copyFileSync(fixtures.template('culprit'), f);
      fs.truncateSync(f, 4 * 1024 * 1024 * 1024);
      const buf = Buffer.from(fs.readFileSync(fixtures.template('culprit')).subarray(0, 64));
      buf.writeBigUInt64LE(BigInt(4 * 1024 * 1024 * 1024 - 64 * 30), 0x28); // section headers near the end: zeros
      const fd = fs.openSync(f, 'r+');
      fs.writeSync(fd, buf, 0, 64, 0);
      fs.closeSync(fd);
      const r = outcome(() => ti.analyzeSync(f));
      assert.ok(r.code === 'ok' || r.code.startsWith('TI_'), r.code);
      assert.ok(r.ms < 3000, `${r.ms} ms`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('robustness: memory and time per analysis are bounded', function () {
  this.timeout(300000);
  // Each case in its own child, under an address-space limit so that a
  // regression fails there instead of taking the machine's memory.
  const LIMIT_KB = 3000000;
  let limited = true;
  before(function () {
    const probe = spawnSync('bash', ['-c', `ulimit -v ${LIMIT_KB} && exec "${process.execPath}" -e 0`]);
    limited = probe.status === 0;
    const refused = h.holesRefused(os.tmpdir(), 2 ** 40);
    if (refused) h.skip(this, refused);
  });

  const cases = {
    'interp-16x256M': { code: 'TI_EMALFORMED', detail: /PT_INTERP/ },
    'dynamic-500M': { code: 'ok' },
    // the tables lie in holes: read as zeros (R_*_NONE) they are skipped unread (SEEK_DATA); 1.9 s when read
    'relocs-3x500M': { code: 'ok', ms: 500 },
    'gnu-hash-1T': { code: 'TI_EMALFORMED', detail: /DT_GNU_HASH/ },
    'phdrs-1T': { code: 'TI_EMALFORMED', detail: /program header table/ },
    'shdrs-1T': { code: 'TI_EMALFORMED', detail: /section header table/ },
  };
  const about = {
    'interp-16x256M': '16 PT_INTERP headers over one 256 MiB hole',
    'dynamic-500M': 'a 500 MiB PT_DYNAMIC in a hole',
    'relocs-3x500M': 'DT_RELA, DT_REL and DT_JMPREL of 500 MiB each in a hole',
    'gnu-hash-1T': 'a GNU hash chain running into a 1 TiB hole, no section headers',
    'phdrs-1T': '2^24 program headers of 64 KiB (PN_XNUM) over a 1 TiB hole',
    'shdrs-1T': '2^24 section headers of 64 KiB (extended e_shnum) over a 1 TiB hole',
  };
  for (const [name, want] of Object.entries(cases)) {
    it(`${about[name]}: peak RSS under 200 MB, a coded answer within seconds`, function () {
      const cmd = `${limited ? `ulimit -v ${LIMIT_KB} && ` : ''}exec "${process.execPath}" "${child('memory.js')}" ${name}`;
      const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 120000 });
      assert.strictEqual(r.status, 0, `${name}: exit ${r.status} ${r.signal || ''} ${r.stderr.slice(-1000)}`);
      const got = JSON.parse(r.stdout);
      assert.strictEqual(got.code, want.code, `${name}: ${got.detail}`);
      if (want.detail) assert.match(got.detail, want.detail);
      assert.ok(got.peakMb < 200, `${name}: peak RSS ${got.peakMb.toFixed(0)} MB`);
      assert.ok(got.ms < (want.ms || 30000), `${name}: ${got.ms} ms`);
    });
  }
});

describe('robustness: file descriptors', function () {
  this.timeout(120000);
  const underLimit = (n, args) => spawnSync('bash', ['-c', `ulimit -n ${n} && exec "$0" "$@"`, process.execPath, ...args],
    { encoding: 'utf8', timeout: 100000 });

  it('200 concurrent analyze() under `ulimit -n 64` all succeed: each file is closed on the worker thread', function () {
    const files = [process.execPath, fixtures.template('culprit'), fixtures.template('initial-exec'),
      '/usr/lib/x86_64-linux-gnu/libc.so.6'].filter((f) => fs.existsSync(f));
    const r = underLimit(64, [child('fd-limit.js'), '200', ...files]);
    assert.strictEqual(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.deepStrictEqual(got.codes, { ok: 200 });
  });

  it('descriptors exhausted: analyze() waits for one, and reports TI_EMFILE (not TI_EIO) when none comes', function () {
    const r = underLimit(64, [child('emfile.js'), fixtures.template('culprit')]);
    assert.strictEqual(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.strictEqual(got.exhausted, 'TI_EMFILE');
    assert.ok(got.exhaustedMs >= 500 && got.exhaustedMs < 10000, `gave up after ${got.exhaustedMs} ms`);
    assert.strictEqual(got.freedLater, 'ok', 'a descriptor freed while analyze() waits is taken');
  });
});

describe('robustness: files that are not files', function () {
  this.timeout(60000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-special-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a name too long is TI_ENAMETOOLONG, not TI_ENOENT', async function () {
    const long = path.join(dir, 'x'.repeat(300));
    assert.strictEqual(outcome(() => ti.analyzeSync(long)).code, 'TI_ENAMETOOLONG');
    assert.strictEqual(outcome(() => ti.analyzeSync(`/${'d/'.repeat(3000)}f`)).code, 'TI_ENAMETOOLONG');
    await assert.rejects(ti.analyze(long), { code: 'TI_ENAMETOOLONG' });
  });

  it('FIFOs, sockets, directories, /dev/zero and /proc/self/mem give coded errors at once', async function () {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const sock = path.join(dir, 'sock');
    const server = net.createServer().listen(sock);
    await new Promise((resolve) => server.on('listening', resolve));
    try {
      const want = { [fifo]: 'TI_ENOTREG', [sock]: 'TI_ENOTREG', [dir]: 'TI_EISDIR', '/dev/zero': 'TI_ENOTREG',
        '/proc/self/mem': null };
      for (const [file, code] of Object.entries(want)) {
        const r = outcome(() => ti.analyzeSync(file));
        if (code) assert.strictEqual(r.code, code, file);
        else assert.ok(r.code.startsWith('TI_'), `${file}: ${r.code}`);
        assert.ok(r.ms < 500, `${file}: ${r.ms} ms`);
        await assert.rejects(ti.analyze(file), (e) => coded(e));
      }
    } finally {
      server.close();
    }
  });

  it('symlink loops are TI_ELOOP, dangling links TI_ENOENT; scan walks through loops once', async function () {
    fs.symlinkSync(path.join(dir, 'b'), path.join(dir, 'a'));
    fs.symlinkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling.so'));
    assert.strictEqual(outcome(() => ti.analyzeSync(path.join(dir, 'a'))).code, 'TI_ELOOP');
    assert.strictEqual(outcome(() => ti.analyzeSync(path.join(dir, 'dangling.so'))).code, 'TI_ENOENT');
    fs.mkdirSync(path.join(dir, 'tree'));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, 'tree', 'x.node'));
    fs.symlinkSync(path.join(dir, 'tree'), path.join(dir, 'tree', 'self'));
    const seen = [];
    for await (const r of ti.scan(path.join(dir, 'tree'))) seen.push(r.path);
    assert.strictEqual(seen.length, 1);
  });
});

describe('robustness: concurrency', function () {
  this.timeout(120000);
  it('8 worker_threads call modules(), staticTls() and analyze() while the main thread dlopens and dlcloses', function () {
    const r = h.nodeJson(child('concurrency.js'), ['3']);
    assert.strictEqual(r.results.length, 8);
    assert.ok(r.churned > 100, `${r.churned} dlopen/dlclose cycles`);
    for (const w of r.results) {
      assert.deepStrictEqual(w.bad, [], `${w.badCount} inconsistencies`);
      assert.ok(w.rounds > 10);
    }
  });
});

describe('robustness: leaks', function () {
  this.timeout(600000);
  it('100,000 calls of each API keep native memory and the live heap flat', function () {
    const r = spawnSync(process.execPath, ['--expose-gc', child('leaks.js'), '100000'], { encoding: 'utf8', timeout: 580000 });
    assert.strictEqual(r.status, 0, r.stderr);
    for (const m of JSON.parse(r.stdout)) {
      // 2 MiB over 50,000 calls is 42 bytes a call: any per-call leak of a
      // path, a struct or a Node-API handle is above it.
      assert.ok(m.nativeKb < 16 * 1024, `${m.name}: native memory grew ${m.nativeKb} KiB over ${m.calls} calls`);
      assert.ok(m.nativeSecondHalfKb < 2048, `${m.name}: native memory still growing, ${m.nativeSecondHalfKb} KiB in the second half`);
      assert.ok(m.liveSecondHalfKb < 1024, `${m.name}: live JS heap still growing, ${m.liveSecondHalfKb} KiB in the second half`);
    }
  });

  it('valgrind memcheck: the C analyzer over the fixtures and the link-map walk, zero errors', function () {
    if (!h.haveCommand('valgrind')) h.skip(this, 'valgrind is not installed');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-vg-'));
    try {
      const exe = path.join(dir, 'driver');
      const core = require('../scripts/core-sources').coreSources({ analyzerOnly: true });
      execFileSync(process.env.CC || 'cc', ['-g', '-O1', '-o', exe, ...core, path.join(h.ROOT, 'test', 'c', 'analyze_driver.c')]);
      const inputs = Object.values(fixtures.list().glibc).filter((f) => /\.so$/.test(f)).slice(0, 6);
      const vg = ['--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite,indirect', '-q'];
      const a = spawnSync('valgrind', [...vg, exe, '--flips', '20', ...inputs], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.strictEqual(a.status, 0, a.stderr.slice(-3000));
      const probe = spawnSync('valgrind', [...vg, fixtures.template('probe', 'glibc'), '--dlopen',
        fixtures.fixturePath('global-dynamic', 4096)], { encoding: 'utf8' });
      assert.strictEqual(probe.status, 0, probe.stderr.slice(-3000));
      assert.strictEqual(JSON.parse(probe.stdout).loads[0].loaded, true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
