'use strict';
// Which binary a real package loads, and NO_BINARY when it has none, against
// independent truths: cmake-ts's own loader code (zeromq 6), bindings' own
// lookup (better-sqlite3), require() of the real packages in children,
// npm-install-checks over the real platform packages' os/cpu/libc fields.
// Packages come from the npm registry (npm pack, cached); without it the
// tests skip saying so.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./support/helpers');
const fixtures = require('../lib/reproduce');
const P = require('../lib/loader/packages');
const { checkPackage } = require('../lib/loader/check');
const { scan } = require('../lib/loader/scan');
const { npmPackage } = require('./support/npm-cache');

const HOST = P.npmHostTarget();
const MACH_O = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01, ...Array(24).fill(0)]);
const PE = Buffer.from([0x4d, 0x5a, ...Array(62).fill(0)]);

function need(ctx, spec) {
  const p = npmPackage(spec);
  if (!p.dir) h.skip(ctx, p.why);
  return p.dir;
}

// A tree <root>/node_modules/<name> holding copies of real packages.
function tree(packages) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-select-'));
  h.putFile(root, 'package.json', { name: 'app', version: '1.0.0' });
  for (const [name, dir] of Object.entries(packages)) fs.cpSync(dir, path.join(root, 'node_modules', name), { recursive: true });
  return root;
}

async function scanAll(dir, opts) {
  const out = [];
  const it = scan(dir, opts);
  for await (const r of it) out.push(r);
  return { results: out, summary: it.summary };
}

const isHostX64Glibc = HOST.os === 'linux' && HOST.cpu === 'x64' && HOST.libc === 'glibc';

describe('package selection against the packages\' own loaders', function () {
  this.timeout(300000);
  const roots = [];
  after(function () { for (const r of roots) fs.rmSync(r, { recursive: true, force: true }); });

  it('cmake-ts (zeromq 6): the candidates and their order are what cmake-ts\'s own loader tries, on four targets', async function () {
    const zmq = need(this, 'zeromq@6.8.0');
    const cts = need(this, 'cmake-ts@1.0.2');
    // cmake-ts's loadAddon with the target's process.platform/arch and /etc/alpine-release, every require refused:
    // the paths it tries, in its order
    const script = `const Module = require('module'); const fs = require('fs'); const [os, arch, musl, build] = JSON.parse(process.argv[1]);
      Object.defineProperty(process, 'platform', { value: os }); Object.defineProperty(process, 'arch', { value: arch });
      const exists = fs.existsSync; fs.existsSync = (p) => (p === '/etc/alpine-release' ? musl : exists(p));
      const tried = []; const load = Module._load;
      Module._load = function (req, ...rest) { if (String(req).endsWith('.node')) { tried.push(req); throw new Error('refused'); } return load.call(this, req, ...rest); };
      const { loadAddon } = require(${JSON.stringify(path.join(cts, 'build', 'loader.js'))});
      try { loadAddon(build); } catch (_) {}
      process.stdout.write(JSON.stringify(tried));`;
    const targets = [['linux', 'x64', false, 'glibc'], ['linux', 'x64', true, 'musl'], ['linux', 'arm64', false, 'glibc'], ['darwin', 'arm64', false, undefined]];
    let fallbacks = 0;
    for (const [tos, cpu, musl, libc] of targets) {
      const r = spawnSync(process.execPath, ['-e', script, JSON.stringify([tos, cpu, musl, path.join(zmq, 'build')])], { encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const truth = JSON.parse(r.stdout).filter((f) => fs.existsSync(f));
      const s = await P.selectBinaries(zmq, { os: tos, cpu, libc });
      assert.strictEqual(s.convention, 'cmake-ts');
      assert.deepStrictEqual([...s.selected, ...(s.fallbacks || [])], truth, `${tos}-${cpu} ${libc}: ${s.why}`);
      assert.ok(truth.length >= 1, `zeromq 6.8.0 ships a build for ${tos}-${cpu} ${libc}`);
      fallbacks += (s.fallbacks || []).length;
      // every other file under build/ is skipped with a reason
      for (const f of walkNode(path.join(zmq, 'build'))) {
        if (truth.includes(f)) continue;
        const c = P.classify(s, f, await P.headerFacts(f));
        assert.ok(!c.selected && c.reason, `${f}: ${JSON.stringify(c)}`);
      }
    }
    assert.ok(fallbacks >= 2, 'linux-x64 glibc has fallbacks');
  });

  it('cmake-ts on the host: check --package judges the build cmake-ts really loads (require() in a child)', async function () {
    if (!isHostX64Glibc) h.skip(this, 'zeromq 6.8.0 ships linux-x64 builds only for this comparison');
    const zmq = need(this, 'zeromq@6.8.0');
    const cts = need(this, 'cmake-ts@1.0.2');
    const script = `const { loadAddon } = require(${JSON.stringify(path.join(cts, 'build', 'loader.js'))});
      loadAddon(process.argv[1]);
      const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('addon.node'));
      process.stdout.write(JSON.stringify([...new Set(maps)]));`;
    const r = spawnSync(process.execPath, ['-e', script, path.join(zmq, 'build')], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const loaded = JSON.parse(r.stdout);
    assert.strictEqual(loaded.length, 1, r.stdout);
    const c = await checkPackage(zmq);
    assert.strictEqual(c.convention, 'cmake-ts');
    assert.strictEqual(fs.realpathSync(c.selected), fs.realpathSync(loaded[0]), c.why);
    assert.strictEqual(c.ok, true, JSON.stringify(c.problems));
    assert.ok(c.covers.includes('linux-x64-glibc') && c.covers.includes('darwin-arm64'), c.covers.join(' '));
  });

  it('cmake-ts fallbacks: when the highest-abi build would not load, the one cmake-ts goes on to is judged (its own loader in a child)', async function () {
    if (!isHostX64Glibc) h.skip(this, 'the manifest is written for linux-x64 glibc');
    if (!fixtures.list().musl) h.skip(this, 'musl-gcc not installed: no musl build to fail on this host');
    const cts = need(this, 'cmake-ts@1.0.2');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-cmts-'));
    roots.push(root);
    const dir = path.join(root, 'node_modules', 'zq');
    const config = (abi) => JSON.stringify({ name: '', os: 'linux', arch: 'x64', runtime: 'node', buildType: 'Release', abi, libc: 'glibc' });
    h.putFile(dir, 'package.json', { name: 'zq', version: '1.0.0', dependencies: { 'cmake-ts': '1.0.2' } });
    h.putFile(dir, 'build/manifest.json', { [config(115)]: 'linux/x64/node/glibc-115-Release/addon.node', [config(127)]: 'linux/x64/node/glibc-127-Release/addon.node' });
    // the abi-127 build is a musl build: glibc's loader refuses it, so cmake-ts goes on to abi 115
    h.putFile(dir, 'build/linux/x64/node/glibc-127-Release/addon.node', fs.readFileSync(fixtures.template('addon', 'musl')));
    h.putFile(dir, 'build/linux/x64/node/glibc-115-Release/addon.node', fs.readFileSync(fixtures.template('addon', 'glibc')));
    const script = `const { loadAddon } = require(${JSON.stringify(path.join(cts, 'build', 'loader.js'))}); loadAddon(process.argv[1]);
      const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('addon.node'));
      process.stdout.write(JSON.stringify([...new Set(maps)]));`;
    const r = spawnSync(process.execPath, ['-e', script, path.join(dir, 'build')], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const loaded = JSON.parse(r.stdout);
    assert.deepStrictEqual(loaded.map((f) => path.relative(dir, f)), ['build/linux/x64/node/glibc-115-Release/addon.node']);
    const c = await checkPackage(dir);
    assert.strictEqual(c.ok, true, JSON.stringify(c.problems));
    assert.strictEqual(fs.realpathSync(c.selected), fs.realpathSync(loaded[0]), c.why);
    const { results, summary } = await scanAll(root);
    assert.strictEqual(summary.incompatible, 0);
    const first = results.find((x) => x.path.endsWith('glibc-127-Release/addon.node'));
    assert.strictEqual(first.verdict, 'skipped');
    assert.match(first.reason, /tries it first and goes on to build\/linux\/x64\/node\/glibc-115-Release\/addon\.node: it would not load here \(LIBC_MISMATCH/);
  });

  it('bindings by name (better-sqlite3): bindings() finds better_sqlite3.node, test_extension.node beside it is skipped', async function () {
    const bs = need(this, 'better-sqlite3@12.11.1');
    const root = tree({ 'better-sqlite3': bs, bindings: need(this, 'bindings@1.5.0'), 'file-uri-to-path': need(this, 'file-uri-to-path@1.0.0') });
    roots.push(root);
    const bindings = path.join(root, 'node_modules', 'bindings');
    const dir = path.join(root, 'node_modules', 'better-sqlite3');
    const addon = fixtures.template('addon', 'glibc');
    for (const f of ['better_sqlite3.node', 'test_extension.node']) h.putFile(dir, `build/Release/${f}`, fs.readFileSync(addon));
    // bindings' own lookup of the name the package's code gives it
    const src = fs.readFileSync(path.join(dir, 'lib', 'database.js'), 'utf8');
    const name = /require\('bindings'\)\('([^']+)'\)/.exec(src)[1];
    const r = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(bindings)})({ bindings: process.argv[1], module_root: process.argv[2], path: true }))`, name, dir], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const s = await P.selectBinaries(dir, HOST);
    assert.deepStrictEqual(s.selected, [r.stdout]);
    const c = P.classify(s, path.join(dir, 'build', 'Release', 'test_extension.node'), {});
    assert.strictEqual(c.selected, false);
    assert.match(c.reason, /better_sqlite3\.node/);
    const { results, summary } = await scanAll(root);
    assert.strictEqual(summary.incompatible, 0, JSON.stringify(results.filter((x) => x.verdict === 'incompatible').map((x) => x.path)));
  });

  it('an install script that never ran: NO_BINARY on the host, and require() of the real package fails too', async function () {
    const bs = need(this, 'better-sqlite3@12.11.1');
    const bindings = need(this, 'bindings@1.5.0');
    const furi = need(this, 'file-uri-to-path@1.0.0');
    const root = tree({ 'better-sqlite3': bs, bindings, 'file-uri-to-path': furi });
    roots.push(root);
    const dir = path.join(root, 'node_modules', 'better-sqlite3');
    const r = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:')"], { cwd: root, encoding: 'utf8' });
    assert.notStrictEqual(r.status, 0, 'without its build the real package does not load');
    const c = await checkPackage(dir);
    assert.strictEqual(c.ok, false);
    assert.deepStrictEqual(c.problems.map((p) => p.code), ['NO_BINARY']);
    assert.match(c.problems[0].fix, /npm rebuild better-sqlite3/);
    assert.match(c.problems[0].fix, /Side effects/);
    const { results } = await scanAll(root);
    const pkgResult = results.find((x) => x.package === 'better-sqlite3' && x.problems.some((p) => p.code === 'NO_BINARY'));
    assert.ok(pkgResult, 'scan reports the package');
  });

  it('platform packages (@parcel/watcher): the host loads (require() agrees); alpine and arm64 get NO_BINARY naming the package npm would install there', async function () {
    if (!isHostX64Glibc) h.skip(this, 'the tree installs the linux-x64-glibc package, as npm does on this kind of host');
    const version = '2.5.1';
    const main = need(this, `@parcel/watcher@${version}`);
    const host = need(this, `@parcel/watcher-linux-x64-glibc@${version}`);
    const root = tree({ '@parcel/watcher': main, '@parcel/watcher-linux-x64-glibc': host });
    roots.push(root);
    const dir = path.join(root, 'node_modules', '@parcel', 'watcher');
    // the binding its index.js requires on this system (its other dependencies are JavaScript)
    const src = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
    assert.match(src, /@parcel\/watcher-\$\{/, 'index.js names the platform package');
    const r = spawnSync(process.execPath, ['-e', "require('@parcel/watcher-linux-x64-glibc')"], { cwd: root, encoding: 'utf8' });
    const hostCheck = await checkPackage(dir);
    assert.strictEqual(hostCheck.ok, r.status === 0, `${r.stderr} / ${JSON.stringify(hostCheck.problems)}`);
    const { checkPlatform } = require('npm-install-checks');
    for (const [targetName, opts, t] of [['alpine', {}, { os: 'linux', cpu: 'x64', libc: 'musl' }], ['host', { cpu: 'arm64' }, { os: 'linux', cpu: 'arm64', libc: 'glibc' }]]) {
      const c = await checkPackage(dir, { target: targetName, ...opts });
      assert.deepStrictEqual(c.problems.map((p) => p.code), ['NO_BINARY'], `${targetName} ${JSON.stringify(opts)}`);
      const wants = c.problems[0].wants;
      assert.strictEqual(wants.length, 1, wants.join());
      // the package named is the real one npm would install on that target
      const wanted = need(this, `${wants[0]}@${version}`);
      const json = JSON.parse(fs.readFileSync(path.join(wanted, 'package.json'), 'utf8'));
      assert.doesNotThrow(() => checkPlatform(json, false, t), `${wants[0]} installs on ${JSON.stringify(t)}`);
      assert.match(c.problems[0].fix, new RegExp(`--os=linux --cpu=${t.cpu} --libc=${t.libc}`));
      assert.deepStrictEqual(c.covers, ['linux-x64-glibc']);
    }
    const { results, summary } = await scanAll(root, { target: 'alpine' });
    assert.ok(results.some((x) => x.package === '@parcel/watcher' && x.verdict === 'incompatible'), 'scan --target alpine lists it');
    assert.ok(summary.noBinary.incompatible >= 1);
  });

  it('no prebuild for the CPU, with a JavaScript fallback (bufferutil on arm64): NO_BINARY as a warning, and the real package falls back', async function () {
    const root = tree({ bufferutil: need(this, 'bufferutil@4.1.0'), 'node-gyp-build': need(this, 'node-gyp-build@4.8.4') });
    roots.push(root);
    const dir = path.join(root, 'node_modules', 'bufferutil');
    if (fs.existsSync(path.join(dir, 'prebuilds', 'linux-arm64'))) h.skip(this, 'this bufferutil ships a linux-arm64 prebuild now');
    // node-gyp-build reads npm_config_arch: the real package on "arm64" finds no build and loads its fallback
    const r = spawnSync(process.execPath, ['-e', "const b = require('bufferutil'); process.stdout.write(String(b === require('bufferutil/fallback')))"],
      { cwd: root, encoding: 'utf8', env: { ...process.env, npm_config_arch: 'arm64' } });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout, 'true', 'the fallback is what loads');
    const c = await checkPackage(dir, { target: 'host', cpu: 'arm64' });
    assert.deepStrictEqual(c.problems.map((p) => [p.code, p.severity, p.fallback]), [['NO_BINARY', 'warning', true]]);
    assert.strictEqual(c.verdict, 'risky');
    assert.ok(c.problems[0].wants[0].includes('prebuilds/linux-arm64/'), c.problems[0].wants.join());
    assert.match(c.problems[0].fix, /build it in the target image/);
    // covers: the prebuild directories it ships (read from the tarball here)
    const shipped = fs.readdirSync(path.join(dir, 'prebuilds')).sort();
    assert.deepStrictEqual(c.covers.map((p) => p.split('-').slice(0, 2).join('-')).filter((v, i, a) => a.indexOf(v) === i).sort(), shipped);
    // an untagged Linux prebuild covers the libc it links (readelf: its NEEDED libc.so.6 or musl's libc.so)
    const needed = h.readelf(['-d'], path.join(dir, 'prebuilds', 'linux-x64', 'bufferutil.node'));
    const libc = /libc\.so\.6/.test(needed) ? 'glibc' : /libc\.(musl-\w+\.)?so\b/.test(needed) ? 'musl' : null;
    if (libc) assert.ok(c.covers.includes(`linux-x64-${libc}`), c.covers.join(' '));
    assert.ok(c.uncovered.includes('linux-arm64-glibc') && c.uncovered.includes('linux-arm64-musl'), c.uncovered.join(' '));
    // on Alpine its linux-x64 prebuild would not load (a glibc build), and the package falls back as above: risky, not incompatible
    if (libc === 'glibc') {
      const alpine = await checkPackage(dir, { target: 'alpine' });
      // a warning either way: musl has what this glibc build imports (judged by its symbols), and the package falls back
      assert.deepStrictEqual(alpine.problems.map((p) => [p.code, p.severity]), [['LIBC_MISMATCH', 'warning']]);
      assert.strictEqual(alpine.verdict, 'risky');
      const { results } = await scanAll(root, { target: 'alpine' });
      const file = results.find((x) => x.path.endsWith('prebuilds/linux-x64/bufferutil.node'));
      assert.strictEqual(file.verdict, 'risky');
    }
  });

  it('a JavaScript-only package: check --package is fine, no NO_BINARY', async function () {
    const dir = need(this, 'is-glob@4.0.3');
    for (const target of ['host', 'alpine']) {
      const c = await checkPackage(dir, { target });
      assert.strictEqual(c.ok, true, JSON.stringify(c.problems));
      assert.strictEqual(c.native, false);
      assert.deepStrictEqual(c.problems, []);
    }
    // the CLI says it in words and exits 0 (the truth: require() of the package works)
    assert.strictEqual(spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dir)})`]).status, 0);
    const cli = spawnSync(process.execPath, [path.join(h.ROOT, 'bin', 'tls-inspect.js'), 'check', '--package', dir], { env: { ...process.env, NO_COLOR: '1' } });
    assert.strictEqual(cli.status, 0, cli.stderr.toString());
    assert.match(cli.stdout.toString(), /^is-glob@4\.0\.3 on host: ok, no native code/);
  });

  it('platform tags: an unmodelled layout (bin/napi-v6/<platform>/<arch>/) is judged only where it fits; tests are not judged', async function () {
    if (!isHostX64Glibc) h.skip(this, 'the tree is laid out for an x64 glibc host');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-tags-'));
    roots.push(root);
    const glibc = fs.readFileSync(fixtures.template('addon', 'glibc'));
    const p = (rel, content) => h.putFile(root, `node_modules/${rel}`, content);
    // onnxruntime-node's layout: require(`../bin/napi-v${6}/${process.platform}/${process.arch}/onnxruntime_binding.node`)
    p('ort/package.json', { name: 'ort', version: '1.0.0', os: ['win32', 'darwin', 'linux'] });
    p('ort/bin/napi-v6/linux/x64/onnxruntime_binding.node', glibc);
    p('ort/bin/napi-v6/linux/arm64/onnxruntime_binding.node', glibc); // wrong content on purpose: the path decides
    p('ort/bin/napi-v6/darwin/arm64/onnxruntime_binding.node', MACH_O);
    p('ort/bin/napi-v6/win32/x64/onnxruntime_binding.node', PE);
    p('plain/package.json', { name: 'plain', version: '1.0.0' });
    p('plain/lib/plain.node', glibc);
    p('plain/lib/plain-linux-musl.node', glibc);
    p('plain/test/fixtures/broken.node', MACH_O);
    p('plain/examples/demo.node', PE);
    const want = `ort/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`;
    const { results, summary } = await scanAll(path.join(root, 'node_modules'));
    const judged = results.filter((r) => r.verdict !== 'skipped').map((r) => path.relative(path.join(root, 'node_modules'), r.path)).sort();
    assert.deepStrictEqual(judged, [want, 'plain/lib/plain.node'].sort());
    assert.strictEqual(summary.incompatible, 0);
    const reason = (rel) => results.find((r) => r.path.endsWith(rel)).reason;
    assert.strictEqual(reason('linux/arm64/onnxruntime_binding.node'), 'for linux-arm64');
    assert.strictEqual(reason('darwin/arm64/onnxruntime_binding.node'), 'for darwin-arm64');
    assert.strictEqual(reason('plain-linux-musl.node'), 'for musl');
    assert.match(reason('broken.node'), /^in test\//);
    assert.match(reason('demo.node'), /^in examples\//);
    // a platform package holding only a library (sharp-libvips style) needs nothing of its own
    p('imgx/package.json', { name: 'imgx', version: '1.0.0', optionalDependencies: { '@imgx/libs-linux-x64': '1.0.0', '@imgx/libs-linuxmusl-x64': '1.0.0' } });
    p('@imgx/libs-linux-x64/package.json', { name: '@imgx/libs-linux-x64', version: '1.0.0', os: ['linux'], cpu: ['x64'], libc: ['glibc'] });
    p('@imgx/libs-linux-x64/lib/libimg.so.1', fs.readFileSync(fixtures.template('global-dynamic', 'glibc')));
    const again = await scanAll(path.join(root, 'node_modules'));
    assert.strictEqual(again.summary.incompatible, 0, JSON.stringify(again.results.filter((r) => r.verdict === 'incompatible').map((r) => r.path)));
    const alpine = await scanAll(path.join(root, 'node_modules'), { target: 'alpine' });
    const imgx = alpine.results.find((r) => r.package === 'imgx');
    assert.deepStrictEqual(imgx && imgx.problems[0].wants, ['@imgx/libs-linuxmusl-x64']);
    const arm = await scanAll(path.join(root, 'node_modules'), { target: 'host', cpu: 'arm64' });
    const armJudged = arm.results.filter((r) => r.verdict !== 'skipped' && !r.problems.some((x) => x.code === 'NO_BINARY'));
    assert.deepStrictEqual(armJudged.map((r) => path.relative(path.join(root, 'node_modules'), r.path)), ['ort/bin/napi-v6/linux/arm64/onnxruntime_binding.node']);
  });
});

function walkNode(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkNode(f));
    else if (e.name.endsWith('.node')) out.push(f);
  }
  return out;
}
