'use strict';
// scan() on a node_modules laid out with real conventions: only the binaries
// the packages would load on the target are judged, everything else is
// skipped with its reason; on arm64 the judged prebuild is the one the real
// aarch64 loader (qemu-user) loads.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');
const { CROSS, buildCross, launcher } = require('./support/cross');

const BIN = path.join(h.ROOT, 'bin', 'tls-inspect.js');
const ABI = process.versions.modules;
const MACH_O = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01, ...Array(24).fill(0)]);
const PE = Buffer.from([0x4d, 0x5a, ...Array(62).fill(0)]);

describe('scan(): what would load, judged; the rest skipped with a reason', function () {
  this.timeout(300000);
  let root;
  let arm;
  const put = (rel, content) => h.putFile(root, rel, content);

  before(function () {
    if (!fixtures.list().musl) h.skip(this, 'musl-gcc not installed: no musl builds for the tree');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-scan-conv-'));
    const aarch64 = CROSS.find((c) => c.machine === 'aarch64');
    const built = buildCross(aarch64, root);
    arm = built.missing ? null : { files: built.files, launcher: launcher(aarch64) };
    const glibc = fixtures.template('global-dynamic', 'glibc');
    const musl = fixtures.template('global-dynamic', 'musl');
    const big = fixtures.fixturePath('initial-exec', 65536, 'glibc');
    put('package.json', { name: 'app', version: '1.0.0' });
    // prebuildify with --tag-libc, and a test fixture that would not load
    put('node_modules/prebuilt/package.json', { name: 'prebuilt', version: '1.0.0', dependencies: { 'node-gyp-build': '^4' } });
    put('node_modules/prebuilt/prebuilds/linux-x64/prebuilt.glibc.node', glibc);
    put('node_modules/prebuilt/prebuilds/linux-x64/prebuilt.musl.node', musl);
    put('node_modules/prebuilt/prebuilds/darwin-x64/prebuilt.node', MACH_O);
    put('node_modules/prebuilt/prebuilds/win32-x64/prebuilt.node', PE);
    if (arm) put('node_modules/prebuilt/prebuilds/linux-arm64/prebuilt.glibc.node', arm.files['global-dynamic']);
    put('node_modules/prebuilt/test/fixtures/big.node', big);
    // napi-rs: one platform package per target, npm installs one (here: all of them)
    put('node_modules/napi/package.json', { name: 'napi', napi: { binaryName: 'napi' },
      optionalDependencies: { 'napi-linux-x64-gnu': '1', 'napi-linux-x64-musl': '1', 'napi-darwin-arm64': '1' } });
    const platform = (suffix, fields, content) => {
      put(`node_modules/napi-${suffix}/package.json`, { name: `napi-${suffix}`, main: `napi.${suffix}.node`, ...fields });
      put(`node_modules/napi-${suffix}/napi.${suffix}.node`, content);
    };
    platform('linux-x64-gnu', { os: ['linux'], cpu: ['x64'], libc: ['glibc'] }, glibc);
    platform('linux-x64-musl', { os: ['linux'], cpu: ['x64'], libc: ['musl'] }, musl);
    platform('darwin-arm64', { os: ['darwin'], cpu: ['arm64'] }, MACH_O);
    // node-pre-gyp
    put('node_modules/pregyp/package.json', { name: 'pregyp', version: '1.0.0',
      binary: { module_name: 'pregyp', module_path: './lib/binding/{node_abi}-{platform}-{libc}-{arch}' } });
    put(`node_modules/pregyp/lib/binding/node-v${ABI}-linux-glibc-x64/pregyp.node`, glibc);
    put('node_modules/pregyp/lib/binding/node-v1-linux-glibc-x64/pregyp.node', glibc);
  });
  after(() => root && fs.rmSync(root, { recursive: true, force: true }));

  async function scanAll(opts) {
    const out = {};
    const it = ti.scan(path.join(root, 'node_modules'), opts);
    for await (const r of it) out[path.relative(path.join(root, 'node_modules'), r.path)] = r.verdict === 'skipped' ? r.reason : r.verdict;
    return { out, summary: it.summary };
  }

  it('on the host: the glibc builds judged, every other file skipped for its platform or convention', async function () {
    const { out, summary } = await scanAll({});
    const want = {
      'prebuilt/prebuilds/linux-x64/prebuilt.glibc.node': 'compatible',
      'prebuilt/prebuilds/linux-x64/prebuilt.musl.node': 'for musl',
      'prebuilt/prebuilds/darwin-x64/prebuilt.node': 'for darwin-x64',
      'prebuilt/prebuilds/win32-x64/prebuilt.node': 'for win32-x64',
      'prebuilt/test/fixtures/big.node': 'not selected by node-gyp-build',
      'napi-linux-x64-gnu/napi.linux-x64-gnu.node': 'compatible',
      'napi-linux-x64-musl/napi.linux-x64-musl.node': 'for musl',
      'napi-darwin-arm64/napi.darwin-arm64.node': 'for darwin-arm64',
      [`pregyp/lib/binding/node-v${ABI}-linux-glibc-x64/pregyp.node`]: 'compatible',
      'pregyp/lib/binding/node-v1-linux-glibc-x64/pregyp.node': 'for node-v1',
      ...(arm ? { 'prebuilt/prebuilds/linux-arm64/prebuilt.glibc.node': 'for linux-arm64' } : {}),
    };
    assert.deepStrictEqual(out, want);
    assert.strictEqual(summary.compatible, 3);
    assert.strictEqual(summary.skipped, Object.keys(want).length - 3);
    assert.strictEqual(summary.skippedBy['for musl'], 2);
    // the CLI exits 0: everything that would load is fine; --all judges every file as before
    const cli = spawnSync(process.execPath, [BIN, 'scan', path.join(root, 'node_modules')], { encoding: 'utf8' });
    assert.strictEqual(cli.status, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /3 would load here and were judged: 3 compatible.*; \d+ skipped/);
    const all = spawnSync(process.execPath, [BIN, 'scan', path.join(root, 'node_modules'), '--all'], { encoding: 'utf8' });
    assert.strictEqual(all.status, 1, 'the test fixture and other platforms fail when judged anyway');
  });

  it('on Alpine: the musl builds are the ones judged', async function () {
    const { out, summary } = await scanAll({ target: 'alpine' });
    const judged = Object.entries(out).filter(([, v]) => !/^(for |not )/.test(v));
    // pregyp ships glibc builds only: the package itself is reported (NO_BINARY), not left as "skipped: for glibc"
    assert.deepStrictEqual(judged.sort(), [['napi-linux-x64-musl/napi.linux-x64-musl.node', 'compatible'],
      ['prebuilt/prebuilds/linux-x64/prebuilt.musl.node', 'compatible'], ['pregyp', 'incompatible']]);
    assert.strictEqual(out['prebuilt/prebuilds/linux-x64/prebuilt.glibc.node'], 'for glibc');
    assert.strictEqual(summary.incompatible, 0); // no file fails: the package without a binary is counted apart
    assert.strictEqual(summary.noBinary.incompatible, 1);
  });

  it('on arm64: the arm64 prebuild is judged, and the real aarch64 loader loads it', async function () {
    if (!arm) h.skip(this, 'no aarch64 cross compiler (Debian: gcc-aarch64-linux-gnu)');
    const { out } = await scanAll({ target: 'glibc', cpu: 'arm64' });
    const judged = Object.entries(out).filter(([, v]) => !/^(for |not )/.test(v));
    // napi (no arm64 platform package installed) and pregyp (no arm64 build) do not vanish: NO_BINARY each
    assert.deepStrictEqual(judged, [['prebuilt/prebuilds/linux-arm64/prebuilt.glibc.node', 'compatible'],
      ['napi', 'incompatible'], ['pregyp', 'incompatible']]);
    if (arm.launcher.missing) h.skip(this, arm.launcher.missing);
    const file = path.join(root, 'node_modules/prebuilt/prebuilds/linux-arm64/prebuilt.glibc.node');
    const r = arm.launcher.start([arm.files.probe, '--dlopen', file]);
    assert.ok(r.ok, r.err);
    assert.strictEqual(JSON.parse(r.out).loads[0].loaded, true);
  });

  it('checkPackage(): the binary the package loads, its convention, and NO_BINARY when there is none', async function () {
    const p = await ti.checkPackage(path.join(root, 'node_modules', 'prebuilt'));
    assert.strictEqual(p.verdict, 'compatible');
    assert.strictEqual(p.convention, 'node-gyp-build');
    assert.strictEqual(path.relative(root, p.selected), 'node_modules/prebuilt/prebuilds/linux-x64/prebuilt.glibc.node');
    const musl = await ti.checkPackage(path.join(root, 'node_modules', 'prebuilt'), { target: 'alpine' });
    assert.strictEqual(path.basename(musl.selected), 'prebuilt.musl.node');
    const none = await ti.checkPackage(path.join(root, 'node_modules', 'pregyp'), { target: 'alpine' });
    assert.deepStrictEqual(none.problems.map((x) => x.code), ['NO_BINARY']);
    const cli = spawnSync(process.execPath, [BIN, 'check', '--package', '--json'], { cwd: path.join(root, 'node_modules', 'prebuilt'), encoding: 'utf8' });
    assert.strictEqual(cli.status, 0, cli.stderr);
    assert.strictEqual(JSON.parse(cli.stdout).convention, 'node-gyp-build');
    await assert.rejects(ti.checkPackage(path.join(root, 'node_modules', 'no-such-package')), { code: 'TI_ENOENT' });
    await assert.rejects(ti.checkPackage(p.selected), { code: 'TI_ENOTDIR' });
    const gone = spawnSync(process.execPath, [BIN, 'check', '--package', path.join(root, 'nope')], { encoding: 'utf8' });
    assert.strictEqual(gone.status, 2);
    assert.match(gone.stdout, /error: TI_ENOENT/);
  });

  it('checkTogether(): a file that cannot be read is an error entry, and the next files still load after it', async function () {
    const good = path.join(root, 'node_modules', 'prebuilt', 'prebuilds', 'linux-x64', 'prebuilt.glibc.node');
    const r = await ti.checkTogether([path.join(root, 'gone.node'), good]);
    assert.deepStrictEqual(r.files.map((f) => f.verdict), ['error', 'compatible']);
    assert.strictEqual(r.files[0].error.code, 'TI_ENOENT');
    assert.deepStrictEqual([r.verdict, r.ok, r.failsAt], ['error', false, path.join(root, 'gone.node')]);
    const cli = spawnSync(process.execPath, [BIN, 'check', '--together', path.join(root, 'gone.node'), good], { encoding: 'utf8' });
    assert.strictEqual(cli.status, 2, cli.stdout + cli.stderr);
  });
});

describe('scan() and check(): nothing silently lost, nothing that blocks', function () {
  this.timeout(120000);
  let dir;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-scan-lost-')); });
  afterEach(() => {
    spawnSync('chmod', ['-R', 'u+rwx', dir]);
    spawnSync('rm', ['-rf', dir]); // rm walks relative to each directory: deeper than PATH_MAX is fine
  });

  it('a path longer than PATH_MAX is walked; an addon there is an error result (no loader opens it), counted, exit 2', async function () {
    // about 4.8 KB of path, beyond PATH_MAX: made one relative step at a time, an addon at the bottom
    const deep = Array(24).fill('d'.repeat(200)).join('/');
    const mk = spawnSync('bash', ['-c', `cd "$1" && for i in $(seq 24); do mkdir ${'d'.repeat(200)} && cd ${'d'.repeat(200)}; done && ` +
      'cp "$2" deep.node', '-', dir, fixtures.template('global-dynamic')]);
    assert.strictEqual(mk.status, 0, String(mk.stderr));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, 'ok.node'));
    const it = ti.scan(dir);
    const results = [];
    for await (const r of it) results.push(r);
    const byName = Object.fromEntries(results.map((r) => [path.relative(dir, r.path), r]));
    assert.deepStrictEqual(Object.keys(byName).sort(), [`${deep}/deep.node`, 'ok.node'], 'the walk reaches beyond PATH_MAX');
    assert.strictEqual(byName['ok.node'].verdict, 'compatible');
    const bottom = byName[`${deep}/deep.node`];
    assert.strictEqual(bottom.verdict, 'error');
    assert.strictEqual(bottom.error.code, 'TI_ENAMETOOLONG');
    assert.strictEqual(it.summary.error, 1);
    const cli = spawnSync(process.execPath, [BIN, 'scan', dir], { encoding: 'utf8' });
    assert.strictEqual(cli.status, 2);
    assert.match(cli.stdout, /1 unreadable/);
  });

  it('an unreadable directory is an error result (checked as an unprivileged user)', function () {
    const who = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
    if (process.getuid() !== 0 || who.status !== 0) h.skip(this, 'needs root to run the scan as nobody');
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'closed'));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, 'closed', 'a.node'));
    fs.chmodSync(path.join(dir, 'closed'), 0o000);
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, 'scan', dir, '--json'],
      { encoding: 'utf8' });
    if (r.error || /setpriv: /.test(r.stderr)) h.skip(this, `setpriv cannot drop privileges here: ${r.stderr || r.error}`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    assert.strictEqual(summary.error, 1);
    assert.strictEqual(lines[0].error.code, 'TI_EACCES');
    assert.strictEqual(r.status, 2);
  });

  it('a FIFO where a DT_NEEDED library would be found does not block check() or scan()', async function () {
    const pkgDir = path.join(dir, 'pkg');
    fs.mkdirSync(pkgDir);
    fs.copyFileSync(fixtures.template('needs-dep-origin'), path.join(pkgDir, 'addon.node'));
    fs.mkdirSync(path.join(pkgDir, 'deps'));
    const mk = spawnSync('mkfifo', [path.join(pkgDir, 'deps', 'libti-dep.so')]);
    assert.strictEqual(mk.status, 0);
    const started = Date.now();
    const r = await ti.check(path.join(pkgDir, 'addon.node'));
    // the real loader would wait on the FIFO for ever: check() says so, without waiting
    assert.deepStrictEqual(r.problems.map((p) => p.code), ['LOADER_BLOCKS']);
    const s = spawnSync(process.execPath, [BIN, 'scan', dir, '--json'], { encoding: 'utf8', timeout: 30000 });
    assert.strictEqual(s.error, undefined, 'scan finished');
    assert.ok(Date.now() - started < 30000);
  });
});

describe('scan() and checkPackage(): a file is judged by its real path, once', function () {
  this.timeout(120000);
  let dir;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-scan-real-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // pkg/addon.node finds its library through $ORIGIN/deps; links/link.node is a symlink to it.
  function layout() {
    const pkg = path.join(dir, 'pkg');
    fs.mkdirSync(path.join(pkg, 'deps'), { recursive: true });
    fs.copyFileSync(fixtures.template('needs-dep-origin'), path.join(pkg, 'addon.node'));
    fs.copyFileSync(path.join(path.dirname(fixtures.template('needs-dep-origin')), 'deps', 'libti-dep.so'), path.join(pkg, 'deps', 'libti-dep.so'));
    fs.mkdirSync(path.join(dir, 'links'));
    fs.symlinkSync(path.join(pkg, 'addon.node'), path.join(dir, 'links', 'link.node'));
    return { real: path.join(pkg, 'addon.node'), link: path.join(dir, 'links', 'link.node') };
  }

  // What Node does with the link: require() resolves it, so the loader's $ORIGIN is the real directory.
  function nodeLoads(file) {
    const r = spawnSync(process.execPath, ['-e', 'try { require(process.argv[1]) } catch (e) { console.log(e.message) }', file], { encoding: 'utf8' });
    return r.stdout;
  }

  it('a symlink to an addon is judged where Node loads it from, and only once', async function () {
    const { real, link } = layout();
    const truth = nodeLoads(link);
    assert.match(truth, /did not self-register/, 'the library and its $ORIGIN dependency loaded');
    assert.ok(truth.includes(real), 'Node names the real path');
    const out = [];
    const it = ti.scan(dir, { all: true });
    for await (const r of it) out.push(r);
    const judged = out.filter((r) => r.verdict !== 'skipped' && r.path.endsWith('.node'));
    assert.strictEqual(judged.length, 1, JSON.stringify(out.map((r) => [r.path, r.verdict, r.reason])));
    // what Node says: it loads, then finds no module registered
    assert.deepStrictEqual(judged[0].problems.map((p) => p.code), ['MODULE_NOT_REGISTERED']);
    const alias = out.find((r) => r.verdict === 'skipped');
    assert.strictEqual(alias.sameAs, real);
    assert.strictEqual(it.summary.skippedBy['a link to a file judged already'], 1);
  });

  it("in a package without a loader convention, the file's libc decides: the musl build is skipped on glibc", async function () {
    const musl = fixtures.template('global-dynamic', 'musl');
    if (!fs.existsSync(musl)) h.skip(this, 'musl-gcc not installed: no musl fixtures');
    const pkg = path.join(dir, 'loose');
    fs.mkdirSync(pkg);
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'loose', version: '1.0.0' }));
    fs.copyFileSync(musl, path.join(pkg, 'a-musl.node'));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(pkg, 'a-glibc.node'));
    // the truth: what each needs, as readelf reads it
    const needs = (f) => h.readelf(['-dW'], path.join(pkg, f));
    assert.match(needs('a-musl.node'), /libc\.musl-x86_64\.so\.1|libc\.so\]/);
    assert.match(needs('a-glibc.node'), /libc\.so\.6/);
    const out = {};
    for await (const r of ti.scan(dir)) out[path.basename(r.path)] = r;
    assert.strictEqual(out['a-musl.node'].verdict, 'skipped');
    assert.strictEqual(out['a-musl.node'].reason, 'for musl');
    assert.notStrictEqual(out['a-glibc.node'].verdict, 'skipped');
  });

  it("scan('link/..') walks the directory the kernel gives, and names paths as the caller did", async function () {
    const other = path.join(dir, 'other');
    fs.mkdirSync(path.join(other, 'sub'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'here'));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(other, 'OTHER.node'));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(dir, 'here', 'HERE.node'));
    fs.symlinkSync(path.join(other, 'sub'), path.join(dir, 'here', 'link'));
    const r = spawnSync(process.execPath, [BIN, 'scan', 'link/..', '--all', '--json'], { cwd: path.join(dir, 'here'), encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    lines.pop();
    // the truth: what ls lists there, through the same kernel resolution
    const ls = spawnSync('ls', ['link/..'], { cwd: path.join(dir, 'here'), encoding: 'utf8' }).stdout.split('\n').filter((n) => n.endsWith('.node'));
    assert.deepStrictEqual(lines.map((l) => l.path), ls.map((n) => `link/../${n}`));
    assert.deepStrictEqual(ls, ['OTHER.node']);
  });

  it('a change of working directory during a scan changes nothing', async function () {
    const tree = path.join(dir, 'tree');
    const decoy = path.join(dir, 'decoy', 'tree');
    for (const [t, names] of [[tree, ['a', 'b', 'c']], [decoy, ['x', 'y', 'z']]]) {
      for (const n of names) {
        fs.mkdirSync(path.join(t, n, 'deeper'), { recursive: true });
        fs.copyFileSync(fixtures.template('global-dynamic'), path.join(t, n, 'deeper', `${n}.node`));
      }
    }
    const code = `const ti = require(${JSON.stringify(h.ROOT)}); process.chdir(process.argv[1]);
      (async () => { const out = []; for await (const r of ti.scan('tree', { all: true })) { out.push(r.path); process.chdir(process.argv[2]); }
        console.log(JSON.stringify(out.sort())); })()`;
    const r = spawnSync(process.execPath, ['-e', code, dir, path.join(dir, 'decoy')], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(r.stdout), ['a', 'b', 'c'].map((n) => `tree/${n}/deeper/${n}.node`));
  });

  it('an addon that cannot be read is an error result, not skipped (checked as an unprivileged user)', function () {
    const who = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
    if (process.getuid() !== 0 || who.status !== 0) h.skip(this, 'needs root to scan as nobody');
    fs.chmodSync(dir, 0o755);
    const pkg = path.join(dir, 'pkg');
    fs.mkdirSync(pkg, { mode: 0o755 });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'pkg', version: '1.0.0' }));
    fs.copyFileSync(fixtures.template('global-dynamic'), path.join(pkg, 'a.node'));
    fs.chmodSync(path.join(pkg, 'a.node'), 0o600);
    fs.chmodSync(path.join(pkg, 'package.json'), 0o644);
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, 'scan', dir, '--json'],
      { encoding: 'utf8' });
    if (r.error || /setpriv: /.test(r.stderr)) h.skip(this, `setpriv cannot drop privileges here: ${r.stderr || r.error}`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    assert.deepStrictEqual(lines.map((l) => [path.basename(l.path), l.verdict, l.error && l.error.code]), [['a.node', 'error', 'TI_EACCES']]);
    assert.strictEqual(summary.error, 1);
    assert.strictEqual(r.status, 2);
  });

  it('checkPackage() judges a selected binary that is a symlink by its real path', async function () {
    const { real } = layout();
    const pkg = path.join(dir, 'linked');
    fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'linked', version: '1.0.0', gypfile: true }));
    fs.symlinkSync(real, path.join(pkg, 'build', 'Release', 'linked.node'));
    assert.match(nodeLoads(path.join(pkg, 'build', 'Release', 'linked.node')), /did not self-register/);
    const r = await ti.checkPackage(pkg);
    assert.strictEqual(r.realPath, real);
    assert.deepStrictEqual(r.problems.map((p) => p.code), ['MODULE_NOT_REGISTERED']);
  });
});
