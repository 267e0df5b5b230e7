'use strict';
// Which binary each package's loader convention picks, against the loaders'
// own code where it can run here: node-gyp-build's path() (in this process
// and in children that set LIBC, npm_config_arch, npm_config_platform,
// ARM_VERSION and ELECTRON_RUN_AS_NODE), npm's checkPlatform, and
// @mapbox/node-pre-gyp's find().  Conventions without a runnable truth
// (napi-rs, bindings, platform packages) are checked against expectations
// that follow from their documented rules.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./support/helpers');
const fixtures = require('../lib/reproduce');
const P = require('../lib/loader/packages');
const { analyze } = require('../lib/file/analyze');
const { walk } = require('../lib/loader/scan');

const ABI = Number(process.versions.modules);
const HOST = P.npmHostTarget();
const AARCH64 = '/usr/aarch64-linux-gnu/lib/libm.so.6';
const MACH_O = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01, ...Array(24).fill(0)]);
const PE = Buffer.from([0x4d, 0x5a, ...Array(62).fill(0)]);

// Targets named after the environment node-gyp-build reads for them.
const TARGETS = {
  host: { env: {}, target: {} },
  musl: { env: { LIBC: 'musl' }, target: { libc: 'musl' } },
  'arm64-glibc': { env: { npm_config_arch: 'arm64', LIBC: 'glibc' }, target: { cpu: 'arm64', libc: 'glibc', armv: '8' } },
  'arm64-musl': { env: { npm_config_arch: 'arm64', LIBC: 'musl' }, target: { cpu: 'arm64', libc: 'musl', armv: '8' } },
  'armv7-glibc': { env: { npm_config_arch: 'arm', ARM_VERSION: '7', LIBC: 'glibc' }, target: { cpu: 'arm', libc: 'glibc', armv: '7' } },
  'darwin-arm64': { env: { npm_config_platform: 'darwin', npm_config_arch: 'arm64' }, target: { os: 'darwin', cpu: 'arm64', libc: undefined, armv: '8' } },
  'win32-x64': { env: { npm_config_platform: 'win32', npm_config_arch: 'x64' }, target: { os: 'win32', cpu: 'x64', libc: undefined, armv: '' } },
  electron: { env: { ELECTRON_RUN_AS_NODE: '1' }, target: { runtime: 'electron' } },
};
const target = (name) => P.normalizeTarget({ ...HOST, electron: undefined, ...TARGETS[name].target });

let root;
let nm;
const put = (rel, content) => h.putFile(root, rel, content);
const pkg = (rel, json) => put(path.join(rel, 'package.json'), json);
const at = (rel) => path.join(root, rel);

// Facts as the lead's scan would pass them: analyze() for ELF, the header otherwise.
async function factsOf(file) {
  try {
    return P.factsFromAnalysis(await analyze(file));
  } catch (e) {
    if (e.code !== 'TI_ENOTELF') throw e;
    return P.headerFacts(file);
  }
}

function buildTree(elf) {
  pkg('.', { name: 'app', version: '1.0.0' });
  // prebuildify --tag-libc, as a real package ships it
  pkg('node_modules/prebuilt', { name: 'prebuilt', version: '2.0.0', dependencies: { 'node-gyp-build': '^4.8.0' } });
  put('node_modules/prebuilt/prebuilds/darwin-x64/prebuilt.node', MACH_O);
  put('node_modules/prebuilt/prebuilds/darwin-arm64/prebuilt.node', MACH_O);
  put('node_modules/prebuilt/prebuilds/win32-x64/prebuilt.node', PE);
  put('node_modules/prebuilt/prebuilds/linux-x64/prebuilt.glibc.node', elf.glibc);
  put('node_modules/prebuilt/prebuilds/linux-x64/prebuilt.musl.node', elf.musl);
  put('node_modules/prebuilt/prebuilds/linux-arm64/prebuilt.glibc.node', elf.aarch64);
  put('node_modules/prebuilt/test/fixtures/fixture.node', elf.glibc);
  // node-gyp-build's ordering: abi over napi, untagged libc fits both
  pkg('node_modules/tagged-a', { name: 'tagged-a', dependencies: { 'node-gyp-build': '4' } });
  for (const f of [`node.abi${ABI}.node`, 'node.napi.glibc.node', 'node.napi.musl.node', `electron.abi${ABI}.node`, 'node.abi1.node']) {
    put(`node_modules/tagged-a/prebuilds/linux-x64/${f}`, elf.glibc);
  }
  // more tags first, name order on ties, tag prefixes ('uvloop' is uv 'loop'), armv, runtimes
  pkg('node_modules/tagged-b', { name: 'tagged-b' }); // found by its prebuilds/ layout alone
  for (const f of ['b.napi.node', 'a.napi.node', 'node.napi.glibc.node', 'node.napi.musl.node', 'uvloop.node', 'electron.napi.node', 'node.uv1.napi.node']) {
    put(`node_modules/tagged-b/prebuilds/linux-x64/${f}`, elf.glibc);
  }
  for (const f of ['node.napi.armv6.node', 'node.napi.armv7.node', 'node.napi.armv8.node']) put(`node_modules/tagged-b/prebuilds/linux-arm/${f}`, elf.glibc);
  for (const f of ['node.napi.armv7.node', 'node.napi.armv8.node']) put(`node_modules/tagged-b/prebuilds/linux-arm64/${f}`, elf.aarch64);
  put('node_modules/tagged-b/prebuilds/darwin-x64+arm64/node.napi.node', MACH_O);
  for (const f of ['node.napi.node', 'node.napi.glibc.node']) put(`node_modules/tagged-b/prebuilds/win32-x64/${f}`, PE); // glibc is node-gyp-build's default libc off linux too
  // more tags win over name order
  pkg('node_modules/tagged-d', { name: 'tagged-d', dependencies: { 'node-gyp-build': '4' } });
  for (const f of ['addon.node', 'addon.uv1.node', 'addon.musl.node']) put(`node_modules/tagged-d/prebuilds/linux-x64/${f}`, elf.glibc);
  // the fewest-archs directory is the only one searched
  pkg('node_modules/tagged-c', { name: 'tagged-c', dependencies: { 'node-gyp-build': '4' } });
  put('node_modules/tagged-c/prebuilds/linux-x64+arm64/c.node', elf.glibc);
  put('node_modules/tagged-c/prebuilds/linux-x64/c.abi1.node', elf.glibc);
  put('node_modules/tagged-c/prebuilds/linux-arm64+x64/c.musl.node', elf.aarch64);
  // a local build comes first: the first *.node by name in build/Release
  pkg('node_modules/built', { name: 'built', dependencies: { 'node-gyp-build': '4' } });
  put('node_modules/built/build/Release/b.node', elf.glibc);
  put('node_modules/built/build/Release/a.node', elf.glibc);
  put('node_modules/built/build/Release/lib.target/libhelper.so', elf.glibcLib);
  put('node_modules/built/build/Debug/d.node', elf.glibc);
  put('node_modules/built/prebuilds/linux-x64/built.napi.node', elf.glibc);
  // node-gyp-build-optional-packages (lmdb, msgpackr-extract): own prebuilds, then @<name>/<name>-<platform>-<arch>
  pkg('node_modules/optpkg', { name: 'optpkg', dependencies: { 'node-gyp-build-optional-packages': '5' },
    optionalDependencies: { '@optpkg/optpkg-linux-x64': '1.0.0' } });
  put('node_modules/optpkg/prebuilds/darwin-arm64/node.napi.node', MACH_O);
  pkg('node_modules/@optpkg/optpkg-linux-x64', { name: '@optpkg/optpkg-linux-x64', os: ['linux'], cpu: ['x64'] });
  put('node_modules/@optpkg/optpkg-linux-x64/index.js', '');
  for (const f of [`node.abi${ABI}.glibc.node`, 'node.abi1.glibc.node', 'node.napi.glibc.node', 'node.napi.musl.node']) {
    put(`node_modules/@optpkg/optpkg-linux-x64/${f}`, f.includes('musl') ? elf.musl : elf.glibc);
  }
  // test and fixture files inside a package with a convention
  pkg('node_modules/withtests', { name: 'withtests', dependencies: { 'node-gyp-build': '4' } });
  put('node_modules/withtests/prebuilds/linux-x64/withtests.node', elf.glibc);
  put('node_modules/withtests/test/fixtures/addon.node', elf.glibc);
  put('node_modules/withtests/test/corpus/crafted.so', elf.glibcLib);
  put('node_modules/withtests/fixtures/build/musl/libti-initial-exec.so', elf.muslLib);
}

function buildPlatformPackages(elf) {
  // napi-rs: a main package and one package per platform; npm installed some
  pkg('node_modules/napi-pkg', { name: 'napi-pkg', version: '1.0.0', main: 'index.js', napi: { binaryName: 'napi-pkg' },
    optionalDependencies: { 'napi-pkg-linux-x64-gnu': '1.0.0', 'napi-pkg-linux-x64-musl': '1.0.0', 'napi-pkg-darwin-arm64': '1.0.0', 'napi-pkg-linux-arm64-gnu': '1.0.0' } });
  put('node_modules/napi-pkg/index.js', '');
  const platform = (suffix, fields, content) => {
    pkg(`node_modules/napi-pkg-${suffix}`, { name: `napi-pkg-${suffix}`, version: '1.0.0', main: `napi-pkg.${suffix}.node`, ...fields });
    put(`node_modules/napi-pkg-${suffix}/napi-pkg.${suffix}.node`, content);
  };
  platform('linux-x64-gnu', { os: ['linux'], cpu: ['x64'], libc: ['glibc'] }, elf.glibc);
  platform('linux-x64-musl', { os: ['linux'], cpu: ['x64'], libc: ['musl'] }, elf.musl);
  platform('darwin-arm64', { os: ['darwin'], cpu: ['arm64'] }, MACH_O);
  // napi-rs with builds beside the package (napi.name, a scope), and one platform package
  pkg('node_modules/@scoped/napi-local', { name: '@scoped/napi-local', napi: { name: 'local' } });
  put('node_modules/@scoped/napi-local/local.linux-x64-gnu.node', elf.glibc);
  put('node_modules/@scoped/napi-local/local.linux-x64-musl.node', elf.musl);
  put('node_modules/@scoped/napi-local/local.linux-arm64-gnu.node', elf.aarch64);
  put('node_modules/@scoped/napi-local/local.darwin-arm64.node', MACH_O);
  put('node_modules/@scoped/napi-local/local.win32-x64-msvc.node', PE);
  pkg('node_modules/@scoped/napi-local-linux-arm64-musl', { name: '@scoped/napi-local-linux-arm64-musl', os: ['linux'], cpu: ['arm64'], libc: ['musl'], main: 'local.linux-arm64-musl.node' });
  put('node_modules/@scoped/napi-local-linux-arm64-musl/local.linux-arm64-musl.node', elf.aarch64);
  // sharp >= 0.33: @img/sharp-<platform> (exports names the .node, or, as in 0.35, index.cjs) and libvips
  pkg('node_modules/sharp', { name: 'sharp', version: '0.34.0', main: 'lib/index.js', optionalDependencies: {
    '@img/sharp-linux-x64': '0.34.0', '@img/sharp-linuxmusl-x64': '0.34.0', '@img/sharp-darwin-arm64': '0.34.0',
    '@img/sharp-libvips-linux-x64': '1.0.0', '@img/sharp-linux-arm64': '0.34.0' } });
  put('node_modules/sharp/lib/index.js', '');
  pkg('node_modules/@img/sharp-linux-x64', { name: '@img/sharp-linux-x64', os: ['linux'], cpu: ['x64'], libc: ['glibc'],
    exports: { './sharp.node': './lib/sharp-linux-x64.node', './package': './package.json' },
    optionalDependencies: { '@img/sharp-libvips-linux-x64': '1.0.0' } });
  put('node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node', elf.glibc);
  pkg('node_modules/@img/sharp-libvips-linux-x64', { name: '@img/sharp-libvips-linux-x64', os: ['linux'], cpu: ['x64'], libc: ['glibc'],
    exports: { './lib': './lib/index.js', './binary': './lib/libvips-cpp.so.8.17.1' } });
  put('node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.17.1', elf.glibcLib);
  put('node_modules/@img/sharp-libvips-linux-x64/lib/index.js', '');
  pkg('node_modules/@img/sharp-linuxmusl-x64', { name: '@img/sharp-linuxmusl-x64', os: ['linux'], cpu: ['x64'], libc: ['musl'],
    exports: { './sharp.node': './index.cjs' } });
  put('node_modules/@img/sharp-linuxmusl-x64/index.cjs', '');
  put('node_modules/@img/sharp-linuxmusl-x64/lib/sharp-linuxmusl-x64-0.35.5.node', elf.musl);
  pkg('node_modules/@img/sharp-darwin-arm64', { name: '@img/sharp-darwin-arm64', os: ['darwin'], cpu: ['arm64'],
    exports: { './sharp.node': './lib/sharp-darwin-arm64.node' } });
  put('node_modules/@img/sharp-darwin-arm64/lib/sharp-darwin-arm64.node', MACH_O);
  // fsevents-like, and lists that name no single platform
  pkg('node_modules/darwin-only', { name: 'darwin-only', os: ['darwin'] });
  put('node_modules/darwin-only/fse.node', MACH_O);
  pkg('node_modules/not-linux', { name: 'not-linux', os: ['!linux'], cpu: ['x64', 'arm64'] });
  put('node_modules/not-linux/lib/n.node', elf.glibc);
}

function buildOtherConventions(elf) {
  // node-pre-gyp with Node-API builds (sqlite3, bcrypt style)
  pkg('node_modules/pregyp-napi', { name: 'pregyp-napi', version: '5.1.7', main: 'lib/index.js', binary: {
    module_name: 'node_pregyp', module_path: './lib/binding/napi-v{napi_build_version}-{platform}-{libc}-{arch}',
    host: 'https://example.invalid/', remote_path: 'v{version}', package_name: 'napi-v{napi_build_version}-{platform}-{libc}-{arch}.tar.gz',
    napi_versions: [3, 6] } });
  for (const [dir, content] of [['napi-v6-linux-glibc-x64', elf.glibc], ['napi-v6-linux-musl-x64', elf.musl],
    ['napi-v3-linux-glibc-x64', elf.glibc], ['napi-v6-linux-glibc-arm64', elf.aarch64], ['napi-v6-darwin-unknown-arm64', MACH_O]]) {
    put(`node_modules/pregyp-napi/lib/binding/${dir}/node_pregyp.node`, content);
  }
  // node-pre-gyp by Node ABI (older style)
  pkg('node_modules/pregyp-abi', { name: 'pregyp-abi', version: '1.2.3', main: 'index.js', binary: {
    module_name: 'abi_binding', module_path: './lib/binding/{node_abi}-{platform}-{arch}', host: 'https://example.invalid/' } });
  put(`node_modules/pregyp-abi/lib/binding/node-v${ABI}-linux-x64/abi_binding.node`, elf.glibc);
  put('node_modules/pregyp-abi/lib/binding/node-v108-linux-x64/abi_binding.node', elf.glibc);
  put(`node_modules/pregyp-abi/lib/binding/node-v${ABI}-linux-arm64/abi_binding.node`, elf.aarch64);
  // bindings: build/Debug is tried before build/Release
  pkg('node_modules/bnd', { name: 'bnd', dependencies: { bindings: '^1.5.0' } });
  put('node_modules/bnd/build/Release/bnd.node', elf.glibc);
  put('node_modules/bnd/build/Debug/bnd.node', elf.glibc);
  put('node_modules/bnd/build/Release/extra.node', elf.glibc);
  put('node_modules/bnd/build/Release/obj.target/bnd.node', elf.glibc);
  put('node_modules/bnd/lib/binding/node-v108-linux-x64/bnd.node', elf.glibc);
  put(`node_modules/bnd/lib/binding/node-v${ABI}-linux-arm64/bnd.node`, elf.aarch64);
  // no convention: every ELF *.node for the target
  pkg('node_modules/plain', { name: 'plain', version: '0.1.0' });
  put('node_modules/plain/lib/plain.node', elf.glibc);
  put('node_modules/plain/lib/plain-musl.node', elf.musl);
  put('node_modules/plain/lib/plain-arm64.node', elf.aarch64);
  put('node_modules/plain/lib/plain-darwin.node', MACH_O);
  put('node_modules/plain/lib/plain-win.node', PE);
  put('node_modules/plain/lib/libhelper.so.1', elf.glibcLib);
  put('node_modules/plain/node_modules/inner/inner.node', elf.glibc);
}

describe('packages: which binary each convention loads', function () {
  this.timeout(120000);
  const elf = () => ({
    glibc: fixtures.template('addon', 'glibc'), musl: fixtures.template('addon', 'musl'), aarch64: AARCH64,
    glibcLib: fixtures.template('global-dynamic', 'glibc'), muslLib: fixtures.template('initial-exec', 'musl'),
  });

  before(function () {
    if (!fixtures.list().musl) h.skip(this, 'musl-gcc not installed: no musl fixtures to copy');
    if (!fs.existsSync(AARCH64)) h.skip(this, `${AARCH64} missing (Debian: libc6-arm64-cross): no aarch64 ELF to copy`);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-packages-'));
    nm = path.join(root, 'node_modules');
    buildTree(elf());
    buildPlatformPackages(elf());
    buildOtherConventions(elf());
  });
  after(function () { if (root) fs.rmSync(root, { recursive: true, force: true }); });

  const NGB = ['prebuilt', 'tagged-a', 'tagged-b', 'tagged-c', 'tagged-d', 'built', 'withtests'];

  // node-gyp-build's own answer in a child whose environment names the target.
  function nodeGypBuildPaths(dirs, env, loader = 'node-gyp-build') {
    const clean = { ...process.env };
    for (const k of ['LIBC', 'npm_config_arch', 'npm_config_platform', 'ARM_VERSION', 'ELECTRON_RUN_AS_NODE', 'PREBUILDS_ONLY']) delete clean[k];
    const script = `const b = require(${JSON.stringify(require.resolve(loader))}); const out = {};
      for (const d of JSON.parse(process.argv[1])) { try { out[d] = b.path(d); } catch (_) { out[d] = null; } }
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(dirs)], { env: { ...clean, ...env }, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  it('node-gyp-build: the host choice equals node-gyp-build.path() in this process, tls-inspect itself included', async function () {
    const ngb = require('node-gyp-build');
    for (const dir of [...NGB.map((n) => path.join(nm, n)), h.ROOT]) {
      let truth = null;
      try { truth = ngb.path(dir); } catch (_) { /* no build: null */ }
      const s = await P.selectBinaries(dir, HOST);
      assert.deepStrictEqual(s.selected, truth ? [truth] : [], `${dir}: ${s.why}`);
      assert.strictEqual(s.missing === null, truth !== null, s.missing);
    }
    const own = await P.selectBinaries(h.ROOT, HOST);
    for (const rel of ['fixtures/build/glibc/libti-napi9.so', 'fixtures/build/musl/tls_inspect.node', 'test/corpus/seed-initial-exec.so',
      'test/corpus/seed-arm-linux-gnueabihf-culprit.so']) {
      const file = path.join(h.ROOT, rel);
      // a path naming a libc or CPU says so
      const reason = rel.includes('/musl/') ? 'for musl' : rel.includes('-arm-') ? 'for linux-arm' : 'not selected by node-gyp-build';
      assert.deepStrictEqual(P.classify(own, file, await factsOf(file)), { selected: false, reason }, rel);
    }
  });

  for (const name of Object.keys(TARGETS)) {
    it(`node-gyp-build: ${name} equals node-gyp-build.path() in a child (${Object.entries(TARGETS[name].env).map(([k, v]) => `${k}=${v}`).join(' ') || 'no overrides'})`, async function () {
      const dirs = NGB.map((n) => path.join(nm, n));
      const truth = nodeGypBuildPaths(dirs, TARGETS[name].env);
      let found = 0;
      for (const dir of dirs) {
        const s = await P.selectBinaries(dir, target(name));
        assert.deepStrictEqual(s.selected, truth[dir] ? [truth[dir]] : [], `${path.basename(dir)} on ${name}: ${s.why}`);
        if (truth[dir]) found++;
      }
      assert.ok(found >= 2, `the tree gives node-gyp-build something to find on ${name} (${found})`);
    });
  }

  it('node-gyp-build-optional-packages: equals its own path() on every target, through the platform package', async function () {
    const dir = path.join(nm, 'optpkg');
    let delegated = 0;
    for (const name of Object.keys(TARGETS)) {
      const truth = nodeGypBuildPaths([dir], TARGETS[name].env, 'node-gyp-build-optional-packages')[dir];
      const s = await P.selectBinaries(dir, target(name));
      assert.strictEqual(s.convention, 'node-gyp-build-optional-packages');
      let chosen = s.selected;
      if (s.delegates.length) {
        delegated++;
        assert.deepStrictEqual(s.delegates, [path.join(nm, '@optpkg', 'optpkg-linux-x64')], name);
        chosen = (await P.selectBinaries(s.delegates[0], target(name))).selected;
      }
      assert.deepStrictEqual(chosen, truth ? [truth] : [], `${name}: ${s.why}`);
    }
    assert.strictEqual(delegated, 3, 'host, musl and electron load from the platform package');
  });

  it('node-gyp-build: the choices the rules give by hand', async function () {
    const pick = async (n, t) => (await P.selectBinaries(path.join(nm, n), target(t))).selected.map((f) => path.relative(nm, f));
    assert.deepStrictEqual(await pick('tagged-a', 'host'), [`tagged-a/prebuilds/linux-x64/node.abi${ABI}.node`]);
    assert.deepStrictEqual(await pick('tagged-a', 'electron'), [`tagged-a/prebuilds/linux-x64/electron.abi${ABI}.node`]);
    assert.deepStrictEqual(await pick('tagged-b', 'host'), ['tagged-b/prebuilds/linux-x64/node.napi.glibc.node']);
    assert.deepStrictEqual(await pick('tagged-b', 'musl'), ['tagged-b/prebuilds/linux-x64/node.napi.musl.node']);
    assert.deepStrictEqual(await pick('tagged-b', 'armv7-glibc'), ['tagged-b/prebuilds/linux-arm/node.napi.armv7.node']);
    assert.deepStrictEqual(await pick('tagged-b', 'arm64-musl'), ['tagged-b/prebuilds/linux-arm64/node.napi.armv8.node']);
    assert.deepStrictEqual(await pick('tagged-b', 'darwin-arm64'), ['tagged-b/prebuilds/darwin-x64+arm64/node.napi.node']);
    assert.deepStrictEqual(await pick('tagged-b', 'win32-x64'), ['tagged-b/prebuilds/win32-x64/node.napi.glibc.node']);
    assert.deepStrictEqual(await pick('tagged-d', 'host'), ['tagged-d/prebuilds/linux-x64/addon.uv1.node']);
    assert.deepStrictEqual(await pick('tagged-d', 'musl'), ['tagged-d/prebuilds/linux-x64/addon.musl.node']);
    assert.deepStrictEqual(await pick('tagged-c', 'host'), [], 'linux-x64 has the fewest archs and nothing in it fits');
    assert.deepStrictEqual(await pick('tagged-c', 'arm64-glibc'), [], 'two-arch directories tie: linux-arm64+x64 comes first by name');
    assert.deepStrictEqual(await pick('tagged-c', 'arm64-musl'), ['tagged-c/prebuilds/linux-arm64+x64/c.musl.node']);
    assert.deepStrictEqual(await pick('built', 'arm64-musl'), ['built/build/Release/a.node'], 'a local build wins on any target');
  });

  it("platform checks equal npm-install-checks' checkPlatform over every package and many lists", async function () {
    const { checkPlatform } = require('npm-install-checks');
    const lists = [undefined, 'linux', ['linux'], ['darwin'], ['!linux'], ['!win32'], ['any'], ['x64'], ['arm64', 'x64'],
      ['!x64', 'arm64'], ['!arm64'], ['glibc'], ['musl'], ['!musl'], [], ['linux', '!linux']];
    const jsons = [];
    for (const l1 of lists) for (const l2 of lists) jsons.push({ os: l1, cpu: l2 }, { os: l1, libc: l2 }, { cpu: l1, libc: l2 });
    for (const dir of [...(await packageDirs(nm)), h.ROOT]) jsons.push(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')));
    let refused = 0;
    for (const name of Object.keys(TARGETS)) {
      const t = target(name);
      for (const json of jsons) {
        let npm = true;
        try { checkPlatform(json, false, { os: t.os, cpu: t.cpu, libc: t.libc }); } catch (e) { npm = e.code === 'EBADPLATFORM' ? false : e; }
        const mine = P.installable(json, t);
        assert.strictEqual(mine === true, npm, `${JSON.stringify(json).slice(0, 120)} on ${name}: ${JSON.stringify(mine)}`);
        if (!npm) refused++;
      }
    }
    assert.ok(refused > 100, `the lists refuse some targets (${refused})`);
  });

  it("node-pre-gyp: module_path equals @mapbox/node-pre-gyp's find() on each target", async function () {
    const cases = ['host', 'musl', 'arm64-glibc', 'arm64-musl', 'darwin-arm64'];
    const script = `const { find } = require(${JSON.stringify(require.resolve('@mapbox/node-pre-gyp'))}); const out = {};
      for (const [key, file, opts] of JSON.parse(process.argv[1])) out[key] = find(file, opts);
      process.stdout.write(JSON.stringify(out));`;
    const jobs = [];
    for (const n of ['pregyp-napi', 'pregyp-abi']) {
      for (const c of cases) {
        const t = target(c);
        jobs.push([`${n} ${c}`, path.join(nm, n, 'package.json'), { target_platform: t.os, target_arch: t.cpu, target_libc: t.libc || 'unknown' }]);
      }
    }
    const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(jobs)], { encoding: 'utf8', cwd: root });
    assert.strictEqual(r.status, 0, r.stderr);
    const truth = JSON.parse(r.stdout);
    let present = 0;
    for (const [key] of jobs) {
      const [n, c] = key.split(' ');
      const s = await P.selectBinaries(path.join(nm, n), target(c));
      const exists = fs.existsSync(truth[key]);
      assert.deepStrictEqual(s.selected, exists ? [truth[key]] : [], `${key}: ${s.why}`);
      if (!exists) assert.ok(s.missing && s.missing.includes(path.relative(path.join(nm, n), truth[key])), `${key}: ${s.missing}`);
      present += exists;
    }
    assert.ok(present >= 6, `most targets have their file (${present})`);
  });

  it('napi-rs, sharp and platform packages: what npm installed decides', async function () {
    const sel = async (n, t) => {
      const s = await P.selectBinaries(path.join(nm, n), target(t));
      return { selected: s.selected.map((f) => path.relative(nm, f)), delegates: s.delegates.map((d) => path.relative(nm, d)), installable: s.installable, missing: s.missing };
    };
    assert.deepStrictEqual(await sel('napi-pkg', 'host'), { selected: [], delegates: ['napi-pkg-linux-x64-gnu'], installable: true, missing: null });
    assert.deepStrictEqual((await sel('napi-pkg', 'musl')).delegates, ['napi-pkg-linux-x64-musl']);
    assert.deepStrictEqual((await sel('napi-pkg', 'darwin-arm64')).delegates, ['napi-pkg-darwin-arm64']);
    const arm = await sel('napi-pkg', 'arm64-glibc');
    assert.deepStrictEqual([arm.selected, arm.delegates], [[], []]);
    assert.match(arm.missing, /napi-pkg-<suffix> for linux-arm64-gnu/);
    assert.deepStrictEqual((await sel('napi-pkg-linux-x64-gnu', 'host')).selected, ['napi-pkg-linux-x64-gnu/napi-pkg.linux-x64-gnu.node']);
    assert.deepStrictEqual((await sel('napi-pkg-linux-x64-gnu', 'musl')).installable, { reason: 'for glibc' });
    assert.deepStrictEqual((await sel('napi-pkg-linux-x64-gnu', 'arm64-glibc')).installable, { reason: 'for linux-x64' });
    assert.deepStrictEqual((await sel('napi-pkg-darwin-arm64', 'host')).installable, { reason: 'for darwin-arm64' });
    assert.deepStrictEqual((await sel('@scoped/napi-local', 'host')).selected, ['@scoped/napi-local/local.linux-x64-gnu.node']);
    assert.deepStrictEqual((await sel('@scoped/napi-local', 'musl')).selected, ['@scoped/napi-local/local.linux-x64-musl.node']);
    assert.deepStrictEqual((await sel('@scoped/napi-local', 'arm64-glibc')).selected, ['@scoped/napi-local/local.linux-arm64-gnu.node']);
    assert.deepStrictEqual((await sel('@scoped/napi-local', 'arm64-musl')).delegates, ['@scoped/napi-local-linux-arm64-musl']);
    assert.deepStrictEqual((await sel('@scoped/napi-local', 'darwin-arm64')).selected, ['@scoped/napi-local/local.darwin-arm64.node']);
    assert.deepStrictEqual((await sel('@scoped/napi-local', 'win32-x64')).selected, ['@scoped/napi-local/local.win32-x64-msvc.node']);
    assert.deepStrictEqual((await sel('sharp', 'host')).delegates, ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']);
    assert.deepStrictEqual((await sel('sharp', 'musl')).delegates, ['@img/sharp-linuxmusl-x64']);
    assert.deepStrictEqual((await sel('sharp', 'darwin-arm64')).delegates, ['@img/sharp-darwin-arm64']);
    assert.deepStrictEqual((await sel('sharp', 'arm64-glibc')).delegates, []);
    assert.deepStrictEqual(await sel('@img/sharp-linux-x64', 'host'),
      { selected: ['@img/sharp-linux-x64/lib/sharp-linux-x64.node'], delegates: ['@img/sharp-libvips-linux-x64'], installable: true, missing: null });
    assert.deepStrictEqual((await sel('@img/sharp-linuxmusl-x64', 'musl')).selected, ['@img/sharp-linuxmusl-x64/lib/sharp-linuxmusl-x64-0.35.5.node']);
    assert.deepStrictEqual((await sel('@img/sharp-libvips-linux-x64', 'host')).selected, []);
    assert.deepStrictEqual((await sel('not-linux', 'host')).installable, { reason: P.NOT_INSTALLED });
    assert.deepStrictEqual((await sel('darwin-only', 'host')).installable, { reason: 'for darwin' });
  });

  it('bindings: each name from the first place bindings() tries', async function () {
    const s = await P.selectBinaries(path.join(nm, 'bnd'), HOST);
    assert.strictEqual(s.convention, 'bindings');
    assert.deepStrictEqual(s.selected.map((f) => path.relative(nm, f)), ['bnd/build/Debug/bnd.node', 'bnd/build/Release/extra.node']);
    const arm = await P.selectBinaries(path.join(nm, 'bnd'), target('arm64-glibc'));
    assert.ok(arm.selected.some((f) => f.endsWith('build/Debug/bnd.node')), 'build/Debug comes before lib/binding');
  });

  // Every native file a scan finds (*.node, ELF *.so*), classified as the lead's scan would.
  async function classifyTree(t) {
    const selections = new Map();
    const out = {};
    for await (const entry of walk(root)) {
      assert.ok(!entry.error, entry.error && entry.error.message);
      const file = entry.path;
      const facts = await factsOf(file);
      if (!file.endsWith('.node') && !facts.elf) continue;
      const dir = await P.findPackageRoot(file, root);
      if (!selections.has(dir)) selections.set(dir, await P.selectBinaries(dir, t, { facts: factsOf }));
      const c = P.classify(selections.get(dir), file, facts);
      out[path.relative(root, file)] = c.selected ? true : c.reason;
    }
    return { out, selections };
  }

  const NOT_NGB = 'not selected by node-gyp-build';
  const HOST_EXPECTED = {
    'node_modules/prebuilt/prebuilds/darwin-x64/prebuilt.node': 'for darwin-x64',
    'node_modules/prebuilt/prebuilds/darwin-arm64/prebuilt.node': 'for darwin-arm64',
    'node_modules/prebuilt/prebuilds/win32-x64/prebuilt.node': 'for win32-x64',
    'node_modules/prebuilt/prebuilds/linux-x64/prebuilt.glibc.node': true,
    'node_modules/prebuilt/prebuilds/linux-x64/prebuilt.musl.node': 'for musl',
    'node_modules/prebuilt/prebuilds/linux-arm64/prebuilt.glibc.node': 'for linux-arm64',
    'node_modules/prebuilt/test/fixtures/fixture.node': NOT_NGB,
    [`node_modules/tagged-a/prebuilds/linux-x64/node.abi${ABI}.node`]: true,
    'node_modules/tagged-a/prebuilds/linux-x64/node.napi.glibc.node': NOT_NGB,
    'node_modules/tagged-a/prebuilds/linux-x64/node.napi.musl.node': 'for musl',
    [`node_modules/tagged-a/prebuilds/linux-x64/electron.abi${ABI}.node`]: 'for electron',
    'node_modules/tagged-a/prebuilds/linux-x64/node.abi1.node': 'for abi1',
    'node_modules/tagged-b/prebuilds/linux-x64/a.napi.node': NOT_NGB,
    'node_modules/tagged-b/prebuilds/linux-x64/b.napi.node': NOT_NGB,
    'node_modules/tagged-b/prebuilds/linux-x64/node.napi.glibc.node': true,
    'node_modules/tagged-b/prebuilds/linux-x64/node.napi.musl.node': 'for musl',
    'node_modules/tagged-b/prebuilds/linux-x64/uvloop.node': 'for uvloop',
    'node_modules/tagged-b/prebuilds/linux-x64/electron.napi.node': 'for electron',
    'node_modules/tagged-b/prebuilds/linux-x64/node.uv1.napi.node': NOT_NGB,
    'node_modules/tagged-b/prebuilds/linux-arm/node.napi.armv6.node': 'for linux-arm',
    'node_modules/tagged-b/prebuilds/linux-arm/node.napi.armv7.node': 'for linux-arm',
    'node_modules/tagged-b/prebuilds/linux-arm/node.napi.armv8.node': 'for linux-arm',
    'node_modules/tagged-b/prebuilds/linux-arm64/node.napi.armv7.node': 'for linux-arm64',
    'node_modules/tagged-b/prebuilds/linux-arm64/node.napi.armv8.node': 'for linux-arm64',
    'node_modules/tagged-b/prebuilds/darwin-x64+arm64/node.napi.node': 'for darwin-x64+arm64',
    'node_modules/tagged-b/prebuilds/win32-x64/node.napi.node': 'for win32-x64',
    'node_modules/tagged-b/prebuilds/win32-x64/node.napi.glibc.node': 'for win32-x64',
    'node_modules/tagged-d/prebuilds/linux-x64/addon.node': NOT_NGB,
    'node_modules/tagged-d/prebuilds/linux-x64/addon.uv1.node': true,
    'node_modules/tagged-d/prebuilds/linux-x64/addon.musl.node': 'for musl',
    'node_modules/tagged-c/prebuilds/linux-x64+arm64/c.node': NOT_NGB,
    'node_modules/tagged-c/prebuilds/linux-x64/c.abi1.node': 'for abi1',
    'node_modules/tagged-c/prebuilds/linux-arm64+x64/c.musl.node': 'for musl',
    'node_modules/built/build/Release/a.node': true,
    'node_modules/built/build/Release/b.node': NOT_NGB,
    'node_modules/built/build/Release/lib.target/libhelper.so': P.LIBRARY,
    'node_modules/built/build/Debug/d.node': NOT_NGB,
    'node_modules/built/prebuilds/linux-x64/built.napi.node': NOT_NGB,
    'node_modules/optpkg/prebuilds/darwin-arm64/node.napi.node': 'for darwin-arm64',
    [`node_modules/@optpkg/optpkg-linux-x64/node.abi${ABI}.glibc.node`]: true,
    'node_modules/@optpkg/optpkg-linux-x64/node.abi1.glibc.node': 'for abi1',
    'node_modules/@optpkg/optpkg-linux-x64/node.napi.glibc.node': 'not selected by platform-package',
    'node_modules/@optpkg/optpkg-linux-x64/node.napi.musl.node': 'for musl',
    'node_modules/withtests/prebuilds/linux-x64/withtests.node': true,
    'node_modules/withtests/test/fixtures/addon.node': NOT_NGB,
    'node_modules/withtests/test/corpus/crafted.so': NOT_NGB,
    'node_modules/withtests/fixtures/build/musl/libti-initial-exec.so': 'for musl',
    'node_modules/napi-pkg-linux-x64-gnu/napi-pkg.linux-x64-gnu.node': true,
    'node_modules/napi-pkg-linux-x64-musl/napi-pkg.linux-x64-musl.node': 'for musl',
    'node_modules/napi-pkg-darwin-arm64/napi-pkg.darwin-arm64.node': 'for darwin-arm64',
    'node_modules/@scoped/napi-local/local.linux-x64-gnu.node': true,
    'node_modules/@scoped/napi-local/local.linux-x64-musl.node': 'for musl',
    'node_modules/@scoped/napi-local/local.linux-arm64-gnu.node': 'for linux-arm64',
    'node_modules/@scoped/napi-local/local.darwin-arm64.node': 'for darwin-arm64',
    'node_modules/@scoped/napi-local/local.win32-x64-msvc.node': 'for win32-x64',
    'node_modules/@scoped/napi-local-linux-arm64-musl/local.linux-arm64-musl.node': 'for linux-arm64',
    'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node': true,
    'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.17.1': P.LIBRARY,
    'node_modules/@img/sharp-linuxmusl-x64/lib/sharp-linuxmusl-x64-0.35.5.node': 'for musl',
    'node_modules/@img/sharp-darwin-arm64/lib/sharp-darwin-arm64.node': 'for darwin-arm64',
    'node_modules/darwin-only/fse.node': 'for darwin',
    'node_modules/not-linux/lib/n.node': P.NOT_INSTALLED,
    'node_modules/pregyp-napi/lib/binding/napi-v6-linux-glibc-x64/node_pregyp.node': true,
    'node_modules/pregyp-napi/lib/binding/napi-v6-linux-musl-x64/node_pregyp.node': 'for musl',
    'node_modules/pregyp-napi/lib/binding/napi-v3-linux-glibc-x64/node_pregyp.node': 'not selected by node-pre-gyp',
    'node_modules/pregyp-napi/lib/binding/napi-v6-linux-glibc-arm64/node_pregyp.node': 'for linux-arm64',
    'node_modules/pregyp-napi/lib/binding/napi-v6-darwin-unknown-arm64/node_pregyp.node': 'for darwin-arm64',
    [`node_modules/pregyp-abi/lib/binding/node-v${ABI}-linux-x64/abi_binding.node`]: true,
    'node_modules/pregyp-abi/lib/binding/node-v108-linux-x64/abi_binding.node': 'for node-v108',
    [`node_modules/pregyp-abi/lib/binding/node-v${ABI}-linux-arm64/abi_binding.node`]: 'for linux-arm64',
    'node_modules/bnd/build/Debug/bnd.node': true,
    'node_modules/bnd/build/Release/bnd.node': 'not selected by bindings',
    'node_modules/bnd/build/Release/extra.node': true,
    'node_modules/bnd/build/Release/obj.target/bnd.node': 'not selected by bindings',
    'node_modules/bnd/lib/binding/node-v108-linux-x64/bnd.node': 'for node-v108',
    [`node_modules/bnd/lib/binding/node-v${ABI}-linux-arm64/bnd.node`]: 'for linux-arm64',
    'node_modules/plain/lib/plain.node': true,
    'node_modules/plain/lib/plain-musl.node': 'for musl',
    'node_modules/plain/lib/plain-arm64.node': 'for linux-arm64',
    'node_modules/plain/lib/plain-darwin.node': 'for darwin',
    'node_modules/plain/lib/plain-win.node': 'not ELF (PE)',
    'node_modules/plain/lib/libhelper.so.1': P.LIBRARY,
    'node_modules/plain/node_modules/inner/inner.node': true,
  };

  it('scan of the whole tree on the host: every native file selected or skipped with its reason', async function () {
    if (HOST.os !== 'linux' || HOST.cpu !== 'x64' || HOST.libc !== 'glibc') h.skip(this, 'the table is written for an x64 glibc host');
    const { out, selections } = await classifyTree(HOST);
    assert.deepStrictEqual(out, HOST_EXPECTED);
    // classify() agrees with selectBinaries(): what it selects is exactly the selected lists
    const selected = [...selections.values()].flatMap((s) => s.selected.map((f) => path.relative(root, f))).sort();
    assert.deepStrictEqual(selected, Object.keys(out).filter((k) => out[k] === true).sort());
  });

  it('the same tree on arm64 musl and on darwin-arm64: one file per package where one exists', async function () {
    const arm = (await classifyTree(target('arm64-musl'))).out;
    const chosen = (out) => Object.keys(out).filter((k) => out[k] === true).sort();
    assert.deepStrictEqual(chosen(arm), [
      'node_modules/@scoped/napi-local-linux-arm64-musl/local.linux-arm64-musl.node',
      'node_modules/bnd/build/Debug/bnd.node',
      'node_modules/bnd/build/Release/extra.node',
      'node_modules/built/build/Release/a.node',
      `node_modules/pregyp-abi/lib/binding/node-v${ABI}-linux-arm64/abi_binding.node`,
      'node_modules/tagged-b/prebuilds/linux-arm64/node.napi.armv8.node',
      'node_modules/tagged-c/prebuilds/linux-arm64+x64/c.musl.node',
    ].sort());
    assert.strictEqual(arm['node_modules/prebuilt/prebuilds/linux-arm64/prebuilt.glibc.node'], 'for glibc');
    assert.strictEqual(arm['node_modules/prebuilt/prebuilds/linux-x64/prebuilt.musl.node'], 'for linux-x64');
    assert.strictEqual(arm['node_modules/plain/lib/plain-arm64.node'], 'for glibc', 'an aarch64 glibc build is skipped for its libc');
    assert.strictEqual(arm['node_modules/@scoped/napi-local/local.linux-arm64-gnu.node'], 'for glibc');
    assert.strictEqual(arm['node_modules/plain/lib/libhelper.so.1'], P.LIBRARY, 'a library in a package without a convention');
    const mac = (await classifyTree(target('darwin-arm64'))).out;
    assert.deepStrictEqual(chosen(mac), [
      'node_modules/@img/sharp-darwin-arm64/lib/sharp-darwin-arm64.node',
      'node_modules/@scoped/napi-local/local.darwin-arm64.node',
      'node_modules/bnd/build/Debug/bnd.node',
      'node_modules/bnd/build/Release/extra.node',
      'node_modules/built/build/Release/a.node',
      'node_modules/darwin-only/fse.node',
      'node_modules/napi-pkg-darwin-arm64/napi-pkg.darwin-arm64.node',
      'node_modules/not-linux/lib/n.node',
      'node_modules/optpkg/prebuilds/darwin-arm64/node.napi.node',
      'node_modules/plain/lib/plain-darwin.node',
      'node_modules/prebuilt/prebuilds/darwin-arm64/prebuilt.node',
      'node_modules/pregyp-napi/lib/binding/napi-v6-darwin-unknown-arm64/node_pregyp.node',
      'node_modules/tagged-b/prebuilds/darwin-x64+arm64/node.napi.node',
    ]);
    assert.strictEqual(mac['node_modules/plain/lib/plain.node'], 'for linux-x64');
    assert.strictEqual(mac['node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node'], 'for linux-x64');
  });

  it('findPackageRoot: node_modules/<name>, @scope/<name>, nested, pnpm, stopAt', async function () {
    const find = (rel, stop = root) => P.findPackageRoot(at(rel), stop);
    assert.strictEqual(await find('node_modules/prebuilt/prebuilds/linux-x64/prebuilt.glibc.node'), path.join(nm, 'prebuilt'));
    assert.strictEqual(await find('node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node'), path.join(nm, '@img', 'sharp-linux-x64'));
    assert.strictEqual(await find('node_modules/plain/node_modules/inner/inner.node'), path.join(nm, 'plain', 'node_modules', 'inner'));
    assert.strictEqual(await find('node_modules/.pnpm/x@1.0.0/node_modules/x/build/Release/x.node'), path.join(nm, '.pnpm', 'x@1.0.0', 'node_modules', 'x'));
    assert.strictEqual(await find('build/Release/app.node'), root, 'stopAt with a package.json');
    assert.strictEqual(await find('node_modules/loose.node', nm), null, 'stopAt without a package.json');
    assert.strictEqual(await find('node_modules/@scope/loose.node', nm), null, 'a scope directory is not a package');
    assert.strictEqual(await P.findPackageRoot(path.join(h.ROOT, 'test', 'corpus', 'seed-initial-exec.so'), h.ROOT), h.ROOT);
  });

  it('classify() refuses files outside the package and selections it did not make', async function () {
    const s = await P.selectBinaries(path.join(nm, 'prebuilt'), HOST);
    assert.throws(() => P.classify(s, path.join(nm, 'plain', 'lib', 'plain.node'), {}), { code: 'TI_EINVAL' });
    assert.throws(() => P.classify({ ...s }, path.join(nm, 'prebuilt', 'x.node'), {}), { code: 'TI_EINVAL' });
    await assert.rejects(P.selectBinaries(path.join(nm, 'prebuilt'), { os: 'linux', cpu: 'x64' }), { code: 'TI_EINVAL' });
    await assert.rejects(P.selectBinaries(path.join(nm, 'prebuilt'), { cpu: 'x64', libc: 'uclibc' }), { code: 'TI_EINVAL' });
  });

  it('describePackage: name, version and convention of each package', async function () {
    const conventions = {};
    for (const dir of await packageDirs(nm)) {
      const d = await P.describePackage(dir);
      conventions[d.name] = d.convention;
    }
    assert.deepStrictEqual(conventions, {
      prebuilt: 'node-gyp-build', 'tagged-a': 'node-gyp-build', 'tagged-b': 'node-gyp-build', 'tagged-c': 'node-gyp-build',
      'tagged-d': 'node-gyp-build', optpkg: 'node-gyp-build-optional-packages', '@optpkg/optpkg-linux-x64': 'platform-package', built: 'node-gyp-build', withtests: 'node-gyp-build', 'napi-pkg': 'napi-rs', 'napi-pkg-linux-x64-gnu': 'platform-package',
      'napi-pkg-linux-x64-musl': 'platform-package', 'napi-pkg-darwin-arm64': 'platform-package', '@scoped/napi-local': 'napi-rs',
      '@scoped/napi-local-linux-arm64-musl': 'platform-package', sharp: 'none', '@img/sharp-linux-x64': 'platform-package',
      '@img/sharp-libvips-linux-x64': 'platform-package', '@img/sharp-linuxmusl-x64': 'platform-package',
      '@img/sharp-darwin-arm64': 'platform-package', 'darwin-only': 'platform-package', 'not-linux': 'platform-package',
      'pregyp-napi': 'node-pre-gyp', 'pregyp-abi': 'node-pre-gyp', bnd: 'bindings', plain: 'none',
    });
    const inner = await P.describePackage(path.join(nm, 'plain', 'node_modules', 'inner'));
    assert.deepStrictEqual([inner.name, inner.version, inner.convention], ['inner', null, 'none'], 'no package.json: named by its place');
    const d = await P.describePackage(path.join(nm, 'sharp'));
    assert.strictEqual(d.version, '0.34.0');
    assert.strictEqual(d.installable({ os: 'linux', cpu: 'x64', libc: 'musl' }), true);
  });
});

async function packageDirs(nmDir) {
  const out = [];
  for await (const file of walkJson(nmDir)) out.push(path.dirname(file));
  return out.sort();
}

async function* walkJson(dir) {
  for (const ent of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) yield* walkJson(full);
    else if (ent.name === 'package.json' && (await P.findPackageRoot(full)) === dir) yield full;
  }
}
