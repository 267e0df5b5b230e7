'use strict';
// The addon's walker (src/ti_walk.c), its light analysis and its small reads
// (src/ti_fs.c), against independent truths: `find -L` and the ELF magic for
// the files a scan must see, readelf-checked full analyses for the light
// one, fs.statSync for identities.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/reproduce');
const { walk, readSmall, listDir, probe } = require('../lib/file/walk');
const { analyze, analyzeSync, analyzeMany } = require('../lib/file/analyze');
const h = require('./support/helpers');

const ELF_MAGIC = Buffer.from('\x7fELF', 'latin1');
const NAME = /\.node$|\.so(\.\d+)*$/;

async function walked(root, opts) {
  const out = [];
  for await (const batch of walk(root, opts)) out.push(...batch);
  return out;
}

function hasElfMagic(file) {
  const b = Buffer.alloc(4);
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try { return fs.readSync(fd, b, 0, 4, 0) === 4 && b.equals(ELF_MAGIC); } finally { fs.closeSync(fd); }
}

// A file by its real path (realpath cannot go beyond PATH_MAX: such a path is kept as it is).
const real = (f) => (f.length >= 4096 ? f : fs.realpathSync(f));

// What a scan must see, by `find -L` (which follows links and skips loops):
// regular *.node files, and *.so* files with ELF magic, as real paths.
function findTruth(root) {
  const r = spawnSync('find', ['-L', root, '-type', 'f'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const files = r.stdout.split('\n').filter((f) => f && NAME.test(path.basename(f)));
  return new Set(files.filter((f) => f.endsWith('.node') || hasElfMagic(f)).map(real));
}

describe('walk(): the addon walker finds what find -L finds, once each, without blocking', function () {
  this.timeout(120000);
  let root;
  let deep;
  const put = (rel, from) => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (Buffer.isBuffer(from) || typeof from === 'string' && !from.startsWith('/')) fs.writeFileSync(file, from);
    else fs.copyFileSync(from, file);
  };

  before(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-walk-'));
    const so = fixtures.template('global-dynamic');
    put('pkg/build/Release/addon.node', so);
    put('pkg/prebuilds/darwin-x64/addon.node', Buffer.from([0xcf, 0xfa, 0xed, 0xfe, ...Array(28).fill(0)]));
    put('pkg/lib/libdep.so.1.2', so);
    put('pkg/lib/libdep.so', 'INPUT(libdep.so.1.2)\n'); // a linker script: not a library
    put('pkg/lib/libtiny.so', Buffer.from('\x7fEL', 'latin1')); // shorter than the magic
    put('pkg/lib/libx.so.1a', so); // not a name the loader takes
    put('pkg/lib/notes.txt', 'x');
    put('other/deep/er/plugin.node', so);
    fs.symlinkSync(root, path.join(root, 'pkg', 'loop'));                       // a loop to the top
    fs.symlinkSync(path.join(root, 'other'), path.join(root, 'pkg', 'again'));  // a second way into other/
    fs.symlinkSync(path.join(root, 'nowhere.node'), path.join(root, 'pkg', 'dangling.node'));
    fs.symlinkSync(path.join(root, 'pkg', 'build', 'Release', 'addon.node'), path.join(root, 'link.node'));
    assert.strictEqual(spawnSync('mkfifo', [path.join(root, 'pkg', 'fifo.node'), path.join(root, 'pkg', 'lib', 'libfifo.so')]).status, 0);
    // about 4.8 KB of directories, beyond PATH_MAX, made one relative step at a time
    deep = Array(24).fill('d'.repeat(200)).join('/');
    const mk = spawnSync('bash', ['-c', `cd "$1" && for i in $(seq 24); do mkdir ${'d'.repeat(200)} && cd ${'d'.repeat(200)}; done && ` +
      'cp "$2" deep.node', '-', root, so]);
    assert.strictEqual(mk.status, 0, String(mk.stderr));
  });
  after(() => spawnSync('rm', ['-rf', root])); // rm walks relative to each directory: deeper than PATH_MAX is fine

  it('every regular *.node and ELF *.so*, each directory once, through loops, links, a FIFO and beyond PATH_MAX', async function () {
    const started = Date.now();
    const entries = await walked(root, { light: true });
    assert.ok(Date.now() - started < 30000, 'nothing blocked');
    // the one thing not readable: an addon link that leads nowhere, named in its directory's error entry
    assert.deepStrictEqual(entries.filter((e) => e.error).map((e) => [e.path, e.error.code, /dangling\.node/.test(e.error.message)]),
      [[path.join(root, 'pkg'), 'TI_ENOENT', true]]);
    const paths = entries.filter((e) => !e.error).map((e) => e.path);
    assert.strictEqual(new Set(paths).size, paths.length, 'no path twice');
    // other/ is reached once, by whichever way comes first
    assert.strictEqual(paths.filter((p) => p.endsWith('plugin.node')).length, 1);
    // find -L names files by whole paths, so it stops at PATH_MAX: the deep file is added by hand
    const truth = findTruth(root);
    assert.ok(![...truth].some((f) => f.length > 4096), 'find -L stops at PATH_MAX');
    truth.add(path.join(root, deep, 'deep.node'));
    assert.deepStrictEqual(new Set(paths.map(real)), truth);
    assert.ok(paths.includes(path.join(root, 'link.node')), 'a symlink to an addon is one');
    // linked: false promises that the real path is the root's real path joined with the names
    const realRoot = fs.realpathSync(root);
    for (const e of entries.filter((x) => x.path.length < 4096)) {
      const joined = path.join(realRoot, path.relative(root, e.path));
      if (!e.linked) assert.strictEqual(fs.realpathSync(e.path), joined, e.path);
      else assert.notStrictEqual(fs.realpathSync(e.path), joined, e.path);
    }
    assert.ok(entries.find((e) => e.path === path.join(root, 'link.node')).linked);
    assert.ok(paths.some((f) => f.endsWith('libdep.so.1.2')) && !paths.some((f) => /libdep\.so$|libtiny|libx\.so\.1a|fifo|dangling/.test(f)));
  });

  it('each file comes with what its header and light analysis say', async function () {
    const byRel = Object.fromEntries((await walked(root, { light: true })).map((e) => [path.relative(root, e.path), e]));
    const full = analyzeSync(fixtures.template('global-dynamic'));
    assert.strictEqual(full.libc, 'glibc');
    const want = { elf: true, format: 'ELF', machine: full.machine, class: full.class, libc: full.libc };
    assert.deepStrictEqual(byRel['pkg/build/Release/addon.node'].facts, want);
    const headerOnly = await walked(path.join(root, 'pkg', 'build'));
    assert.deepStrictEqual(headerOnly[0].facts, { ...want, libc: 'unknown' }, 'without light: the header only');
    assert.deepStrictEqual(byRel['pkg/prebuilds/darwin-x64/addon.node'].facts, { elf: false, format: 'Mach-O' });
  });

  it('batches of a bounded size; stopping early closes the walk', async function () {
    const many = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-walk-many-'));
    try {
      for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(many, `f${i}.node`), 'not elf');
      const sizes = [];
      for await (const batch of walk(many, { batch: 64 })) sizes.push(batch.length);
      assert.strictEqual(sizes.reduce((a, b) => a + b, 0), 300);
      assert.ok(sizes.length >= 5 && sizes.every((n) => n <= 64), sizes.join(','));
      for (let round = 0; round < 20; round++) {
        for await (const batch of walk(many, { batch: 8 })) { assert.ok(batch.length); break; } // closed while the next batch is in flight
      }
    } finally {
      fs.rmSync(many, { recursive: true, force: true });
    }
  });

  it('skip and maxVisits: a directory name never entered, and a bound on what is looked at', async function () {
    const names = (await walked(root, { skip: 'lib' })).map((e) => path.basename(e.path));
    assert.ok(!names.includes('libdep.so.1.2') && names.includes('addon.node'));
    assert.ok((await walked(root, { maxVisits: 3 })).length < (await walked(root)).length);
  });

  it('an unreadable directory is an error entry with its path (as nobody), and the walk goes on', function () {
    const who = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
    if (process.getuid() !== 0 || who.status !== 0) h.skip(this, 'needs root to walk as nobody');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-walk-closed-'));
    try {
      fs.chmodSync(dir, 0o755);
      fs.mkdirSync(path.join(dir, 'closed'));
      fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, 'closed', 'a.node'));
      fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, 'open.node'));
      fs.chmodSync(path.join(dir, 'closed'), 0o000);
      const code = `(async () => { const out = []; for await (const b of require(${JSON.stringify(path.join(h.ROOT, 'lib', 'file', 'walk'))}).walk(process.argv[1]))
        for (const e of b) out.push({ path: e.path, code: e.error ? e.error.code : null }); console.log(JSON.stringify(out)); })()`;
      const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', code, dir], { encoding: 'utf8' });
      if (r.error || /setpriv: /.test(r.stderr)) h.skip(this, `setpriv cannot drop privileges here: ${r.stderr || r.error}`);
      assert.strictEqual(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout).sort((a, b) => a.path.localeCompare(b.path));
      assert.deepStrictEqual(got, [{ path: path.join(dir, 'closed'), code: 'TI_EACCES' }, { path: path.join(dir, 'open.node'), code: null }]);
    } finally {
      spawnSync('chmod', ['-R', 'u+rwx', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs two descriptors: walks under `ulimit -n` with all but two taken', async function () {
    const walker = JSON.stringify(path.join(h.ROOT, 'lib', 'file', 'walk'));
    // the addon is loaded (and the thread pool started) before the descriptors are taken
    const code = `const w = require(${walker}); const fs = require('fs'); const held = [];
      try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (_) {}
      fs.closeSync(held.pop()); fs.closeSync(held.pop());
      (async () => { const out = []; for await (const b of w.walk(process.argv[1], { light: true })) for (const e of b) out.push(e.error ? e.error.code : e.facts.libc || null);
        console.log(JSON.stringify(out.sort())); })()`;
    const r = spawnSync('bash', ['-c', 'ulimit -n 64 && exec "$0" -e "$1" "$2"', process.execPath, code, path.join(root, 'pkg')],
      { encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(r.status, 0, r.stderr);
    const unlimited = (await walked(path.join(root, 'pkg'), { light: true })).map((e) => (e.error ? e.error.code : e.facts.libc || null)).sort();
    assert.deepStrictEqual(JSON.parse(r.stdout), unlimited);
  });
});

describe('the light analysis: the full one, less symbols, relocations and section headers', function () {
  this.timeout(120000);
  const SAME = ['class', 'endian', 'machine', 'machineNumber', 'type', 'interpreter', 'soname', 'needed', 'rpath', 'runpath',
    'flags', 'tls', 'versionNeeds', 'versionDefs', 'minGlibc', 'minGlibcxx', 'libc', 'fileId'];
  const UNREAD = ['tlsRelocations', 'tlsModels', 'tlsSymbols', 'symbolVersions', 'napi', 'sectionHeaders', 'symtab', 'imports', 'exports'];

  it('equal on every field it has, across the fixtures and system libraries', async function () {
    const files = [...Object.values(fixtures.list()).flatMap((m) => Object.values(m)), ...h.systemLibraries(40), process.execPath];
    assert.ok(files.length > 40);
    for (const f of files) {
      let full;
      try { full = analyzeSync(f); } catch (e) { continue; } // what the full one refuses is checked below
      const light = await analyze(f, { light: true });
      for (const k of SAME) assert.deepStrictEqual(light[k], full[k], `${path.basename(f)}: ${k}`);
      for (const k of UNREAD) assert.strictEqual(light[k], null, `${path.basename(f)}: ${k} is not read`);
      assert.strictEqual(light.light, true);
      assert.strictEqual(full.light, undefined);
    }
  });

  it('reads a fraction of a large library (its symbols and relocations are never looked at)', function () {
    if (!h.haveCommand('strace', ['-V'])) h.skip(this, 'strace is not installed');
    const big = h.systemLibraries(400).map((f) => [f, fs.statSync(f).size]).sort((a, b) => b[1] - a[1])[0][0];
    const analyzer = JSON.stringify(path.join(h.ROOT, 'lib', 'file', 'analyze'));
    // bytes read from the library's descriptor, by strace
    const bytesRead = (light) => {
      const r = spawnSync('strace', ['-f', '-e', 'trace=openat,pread64,read', process.execPath, '-e',
        `require(${analyzer}).analyzeSync(process.argv[1], { light: ${light} })`, big], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const open = new RegExp(`openat\\(AT_FDCWD, "${big.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}".*\\) = (\\d+)`).exec(r.stderr);
      assert.ok(open, r.stderr.slice(-2000));
      return [...r.stderr.matchAll(new RegExp(`(?:pread64|read)\\(${open[1]}, .*\\) = (\\d+)`, 'g'))].reduce((n, m) => n + Number(m[1]), 0);
    };
    const light = bytesRead(true);
    const full = bytesRead(false);
    assert.ok(light > 0 && light * 4 < full, `${path.basename(big)}: light read ${light} bytes, full ${full}`);
  });

  it('analyzeMany: one trip, each file its analysis or its error, in order', async function () {
    const files = [fixtures.template('global-dynamic'), '/nonexistent/x.node', fixtures.template('initial-exec'), __filename];
    const got = await Promise.allSettled(analyzeMany(files).map((p) => p.then((take) => take())));
    assert.deepStrictEqual(got.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    assert.deepStrictEqual(got[0].value, analyzeSync(files[0]));
    assert.deepStrictEqual(got[2].value, analyzeSync(files[2]));
    assert.deepStrictEqual([got[1].reason.code, got[3].reason.code], ['TI_ENOENT', 'TI_ENOTELF']);
  });
});

describe('small reads in one trip: readSmall, listDir, probe', function () {
  this.timeout(60000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-small-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a file up to the limit, TI_ERANGE past it; a FIFO or a directory is refused without blocking', async function () {
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"é"}');
    assert.strictEqual(await readSmall(path.join(dir, 'package.json'), 100), '{"name":"é"}');
    await assert.rejects(readSmall(path.join(dir, 'package.json'), 5), { code: 'TI_ERANGE' });
    assert.strictEqual(spawnSync('mkfifo', [path.join(dir, 'fifo.json')]).status, 0);
    await assert.rejects(readSmall(path.join(dir, 'fifo.json'), 100), { code: 'TI_ENOTREG' });
    await assert.rejects(probe(path.join(dir, 'fifo.json')), { code: 'TI_ENOTREG' });
    await assert.rejects(readSmall(dir, 100), { code: 'TI_EISDIR' });
    await assert.rejects(readSmall(path.join(dir, 'missing'), 100), { code: 'TI_ENOENT' });
  });

  it('listDir: the names readdir gives, at most the limit', async function () {
    const sub = path.join(dir, 'many');
    fs.mkdirSync(sub);
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(sub, `n${i}`), '');
    assert.deepStrictEqual((await listDir(sub, 1000)).sort(), fs.readdirSync(sub).sort());
    assert.strictEqual((await listDir(sub, 7)).length, 7);
    assert.deepStrictEqual(await listDir(fs.mkdtempSync(path.join(dir, 'empty-')), 10), []);
    await assert.rejects(listDir(path.join(dir, 'nope'), 10), { code: 'TI_ENOENT' });
  });

  it('probe: the identity fs.statSync gives and the first bytes', async function () {
    const f = fixtures.template('global-dynamic');
    const st = fs.statSync(f);
    const p = await probe(f);
    assert.deepStrictEqual([p.id, p.size], [`${st.dev}:${st.ino}`, st.size]);
    assert.deepStrictEqual(p.head, fs.readFileSync(f).subarray(0, 64));
  });
});

describe('walk(): bounded by us, not by the tree', function () {
  this.timeout(180000);
  let dir;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-walk-shape-')); });
  afterEach(() => spawnSync('rm', ['-rf', dir]));
  const walker = JSON.stringify(path.join(h.ROOT, 'lib', 'file', 'walk'));

  it('a deep tree with siblings at every level: the paths waiting stay under 16 MiB, the rest are error entries', function () {
    // 500 levels of 200-byte names with four siblings each (made relative to each directory: beyond PATH_MAX)
    const py = `import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for i in range(500):
    for s in ('s1', 's2', 's3', 's4'):
        os.mkdir(s, dir_fd=fd)
    os.mkdir('d' * 200, dir_fd=fd)
    nfd = os.open('d' * 200, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
`;
    const mk = spawnSync('python3', ['-c', py, dir]);
    if (mk.error) h.skip(this, 'python3 not installed: cannot build the deep tree');
    assert.strictEqual(mk.status, 0, String(mk.stderr));
    const code = `const w = require(${walker}); (async () => { const codes = {}; let n = 0;
      for await (const b of w.walk(process.argv[1])) for (const e of b) { n++; if (e.error) codes[e.error.code] = (codes[e.error.code] || 0) + 1; }
      console.log(JSON.stringify({ n, codes, rss: process.resourceUsage().maxRSS })); })()`;
    const base = spawnSync(process.execPath, ['-e', `require(${walker}); console.log(process.resourceUsage().maxRSS)`], { encoding: 'utf8' });
    const r = spawnSync(process.execPath, ['-e', code, dir], { encoding: 'utf8', timeout: 120000 });
    assert.strictEqual(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.ok(got.codes.TI_ERANGE > 0, `directories refused, said: ${r.stdout}`);
    const growthMb = (got.rss - Number(base.stdout)) / 1024;
    assert.ok(growthMb < 48, `peak RSS grew ${growthMb.toFixed(0)} MB (16 MiB of paths, and batches)`);
  });

  it('names that are not UTF-8 are error entries, never two files under one name', async function () {
    const so = fixtures.template('global-dynamic');
    const d = Buffer.from(`${dir}/`);
    for (const tail of [[0xff], [0xfe], [0xef, 0xbf, 0xbd]]) {
      fs.copyFileSync(so, Buffer.concat([d, Buffer.from('x'), Buffer.from(tail), Buffer.from('.node')]));
    }
    const entries = [];
    for await (const b of walk(dir)) entries.push(...b);
    const files = entries.filter((e) => !e.error).map((e) => e.name);
    assert.deepStrictEqual(files, ['x\ufffd.node'], 'the one valid name (U+FFFD spelled out in UTF-8)');
    const errors = entries.filter((e) => e.error);
    assert.deepStrictEqual(errors.map((e) => e.error.code), ['TI_EINVAL', 'TI_EINVAL']);
    assert.deepStrictEqual(errors.map((e) => /x\\x(ff|fe)\.node/.test(e.error.message)), [true, true]);
  });

  it('out of descriptors: one wait per batch, then the rest of the batch fails at once with TI_EMFILE', function () {
    for (let i = 0; i < 12; i++) fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, `f${i}.node`));
    const code = `const w = require(${walker}); const fs = require('fs'); const held = [];
      (async () => { const it = w.walk(process.argv[1], { batch: 64 });
        try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (_) {}
        fs.closeSync(held.pop()); // the walk's directory; none left for files
        const started = Date.now(); const codes = [];
        for await (const b of it) for (const e of b) codes.push(e.code);
        console.log(JSON.stringify({ ms: Date.now() - started, codes })); })()`;
    const r = spawnSync('bash', ['-c', 'ulimit -n 64 && exec "$0" -e "$1" "$2"', process.execPath, code, dir], { encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.strictEqual(got.codes.length, 12);
    assert.ok(got.codes.every((c) => c === 'TI_EMFILE'), r.stdout);
    assert.ok(got.ms < 8000, `${got.ms} ms: one wait of about 2 s, not one per file (24 s)`);
  });

  it('a directory replaced by a link between batches is marked linked', async function () {
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(path.join(dir, 'root', 'a', 'sub'), { recursive: true });
    fs.mkdirSync(elsewhere);
    for (let i = 0; i < 5; i++) fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, 'root', 'a', `y${i}.node`));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(elsewhere, 'out.node'));
    const got = [];
    let swapped = false;
    for await (const b of walk(path.join(dir, 'root'), { batch: 1 })) {
      got.push(...b);
      if (!swapped && got.length >= 3) {
        fs.renameSync(path.join(dir, 'root', 'a', 'sub'), path.join(dir, 'gone'));
        fs.symlinkSync(elsewhere, path.join(dir, 'root', 'a', 'sub'));
        swapped = true;
      }
    }
    const out = got.find((e) => e.name === 'out.node');
    assert.ok(out, 'the file behind the new link is walked');
    assert.strictEqual(out.linked, true);
    assert.notStrictEqual(fs.realpathSync(out.path), out.path, 'its path is not its real path');
  });
});
