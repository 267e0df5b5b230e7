'use strict';
// npm pack, then install the tarball into a fresh project with a PATH that has
// no C compiler and no make: the prebuild must be what loads.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./support/helpers');

function sh(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300000, ...opts });
  if (r.error) throw r.error;
  return r;
}

// A bin directory with node, npm, npx and a shell, and nothing that compiles.
function compilerFreePath(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const which = (c) => sh('sh', ['-c', `command -v ${c}`]).stdout.trim();
  for (const c of ['sh', 'env']) fs.symlinkSync(which(c), path.join(bin, c));
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const npmCli = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin');
  for (const c of ['npm', 'npx']) {
    fs.writeFileSync(path.join(bin, c), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}/${c}-cli.js" "$@"\n`, { mode: 0o755 });
  }
  return bin;
}

describe('npm pack and a compiler-free install', function () {
  this.timeout(600000);
  let work;
  let tarball;
  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-install-'));
    // Pack a copy: prepack rebuilds, and the addon this test process has loaded must stay put.
    const src = path.join(work, 'src');
    const skip = new Set(['node_modules', 'build', 'prebuilds', '.git']);
    fs.cpSync(h.ROOT, src, { recursive: true, filter: (f) => {
      const rel = path.relative(h.ROOT, f);
      return !skip.has(rel.split(path.sep)[0]) && !rel.startsWith(path.join('fixtures', 'build'));
    } });
    fs.symlinkSync(path.join(h.ROOT, 'node_modules'), path.join(src, 'node_modules'));
    const r = sh('npm', ['pack', '--pack-destination', work, '--json'], { cwd: src });
    assert.strictEqual(r.status, 0, r.stderr.slice(-3000));
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
    tarball = path.join(work, info.filename);
    this.files = info.files.map((f) => f.path);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('the tarball holds both prebuilds, the fixtures and the probes', function () {
    const musl = require('../lib/reproduce').list().musl;
    if (!musl) process.stdout.write('      (musl-gcc not installed: no musl prebuild to look for)\n');
    for (const f of ['prebuilds/linux-x64/tls-inspect.napi.glibc.node',
      ...(musl ? ['prebuilds/linux-x64/tls-inspect.napi.musl.node', 'prebuilds/fixtures/musl/ti-probe'] : []),
      'prebuilds/fixtures/glibc/ti-probe', 'prebuilds/fixtures/glibc/libti-initial-exec.so',
      'prebuilds/fixtures/glibc/manifest.json', 'bin/tls-inspect.js', 'binding.gyp', 'src/ti_elf.c']) {
      assert.ok(this.files.includes(f), `${f} in the tarball`);
    }
    assert.ok(!this.files.some((f) => f.startsWith('build/') || f.startsWith('fixtures/build/')), 'no local build output');
  });

  it('installs and runs with no C compiler or make on PATH', function () {
    const proj = path.join(work, 'app');
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, 'package.json'), '{"name":"app","version":"1.0.0","private":true}\n');
    const bin = compilerFreePath(work);
    const env = { ...process.env, PATH: bin };
    delete env.npm_config_nodedir;
    assert.notStrictEqual(sh('sh', ['-c', 'command -v cc || command -v gcc || command -v make'], { env }).status, 0,
      'no compiler reachable');
    const inst = sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball],
      { cwd: proj, env });
    assert.strictEqual(inst.status, 0, `${inst.stdout.slice(-2000)}\n${inst.stderr.slice(-3000)}`);
    const installed = path.join(proj, 'node_modules', 'tls-inspect');
    assert.ok(!fs.existsSync(path.join(installed, 'build')), 'nothing was compiled');
    const api = sh('node', ['-e', `const ti = require('tls-inspect'); const r = ti.report();
      console.log(JSON.stringify({ from: r.addon.path, libc: r.libc.family,
        modules: r.modules.length, remaining: r.staticTls.remaining }))`], { cwd: proj, env });
    assert.strictEqual(api.status, 0, api.stderr);
    const j = JSON.parse(api.stdout);
    const esm = sh('node', ['--input-type=module', '-e', `import { report, fixtures, TlsInspectError } from 'tls-inspect';
      console.log(JSON.stringify({ from: report().addon.path, error: typeof TlsInspectError, models: fixtures.models }))`],
    { cwd: proj, env });
    assert.strictEqual(esm.status, 0, esm.stderr);
    assert.deepStrictEqual(JSON.parse(esm.stdout), { from: j.from, error: 'function',
      models: require('../lib/reproduce').publicApi.models });
    assert.match(j.from, /prebuilds\/linux-x64\/tls-inspect\.napi\.glibc\.node$/);
    // the install verified the very file the runtime loads (one rule for both)
    const verified = /tls-inspect: addon loads \([^;]*; ([^)]+)\)/.exec(inst.stdout);
    assert.ok(verified, inst.stdout.slice(-2000));
    assert.strictEqual(fs.realpathSync(path.join(installed, verified[1])), fs.realpathSync(j.from));
    assert.strictEqual(j.libc, 'glibc');
    assert.ok(j.modules > 3 && j.remaining > 0);
    const cli = sh('npx', ['tls-inspect', '--json'], { cwd: proj, env });
    assert.strictEqual(cli.status, 0, cli.stderr);
    assert.ok(JSON.parse(cli.stdout).modules.some((m) => /tls-inspect\.napi\.glibc\.node$/.test(m.path)));
    const repro = sh('npx', ['tls-inspect', 'reproduce', '--model', 'initial-exec', '--bytes', '64k', '--json'], { cwd: proj, env });
    assert.strictEqual(JSON.parse(repro.stdout).loaded, false, 'shipped fixtures reproduce the error');
  });

  // The README's postinstall recipe, end to end: an addon package using
  // node-gyp-build with prebuilds for several platforms, packed and installed
  // into a fresh project with no compiler; its postinstall runs
  // `tls-inspect check --package`.
  function demoPackage(name, postinstall, prebuilds) {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js',
      scripts: { install: 'node-gyp-build', postinstall }, files: ['index.js', 'prebuilds/'],
      dependencies: { 'node-gyp-build': '^4.8.4', 'tls-inspect': `file:${tarball}` } }));
    fs.writeFileSync(path.join(dir, 'index.js'), 'module.exports = require(\'node-gyp-build\')(__dirname);\n');
    for (const [rel, content] of Object.entries(prebuilds)) {
      const file = path.join(dir, 'prebuilds', rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (Buffer.isBuffer(content)) fs.writeFileSync(file, content); else fs.copyFileSync(content, file);
    }
    const r = sh('npm', ['pack', '--pack-destination', work, '--json'], { cwd: dir });
    assert.strictEqual(r.status, 0, r.stderr);
    return path.join(work, JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0].filename);
  }

  function installInto(project, tgz) {
    const proj = path.join(work, project);
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, 'package.json'), '{"name":"app","version":"1.0.0","private":true}\n');
    const env = { ...process.env, PATH: path.join(work, 'bin') };
    delete env.npm_config_nodedir;
    return sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tgz], { cwd: proj, env });
  }

  it('the postinstall recipe passes for a package whose prebuild loads here, and fails clearly when it cannot', function () {
    const fixtures = require('../lib/reproduce');
    const glibc = fixtures.template('global-dynamic', 'glibc');
    const macho = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01, ...Array(24).fill(0)]);
    if (!fs.existsSync(path.join(work, 'bin'))) compilerFreePath(work);
    const good = demoPackage('demo-addon', 'tls-inspect check --package', {
      'linux-x64/demo-addon.glibc.node': glibc, 'darwin-arm64/demo-addon.node': macho,
      ...(fixtures.list().musl ? { 'linux-x64/demo-addon.musl.node': fixtures.template('global-dynamic', 'musl') } : {}) });
    const ok = installInto('app-good', good);
    assert.strictEqual(ok.status, 0, `${ok.stdout.slice(-2000)}\n${ok.stderr.slice(-2000)}`);
    assert.match(ok.stdout, /demo-addon@1\.0\.0 \(node-gyp-build\) on host: loads .*prebuilds\/linux-x64\/demo-addon\.glibc\.node/);
    assert.match(ok.stdout, /compatible on host/);
    // A packaging mistake: the file tagged musl is the glibc build; on a musl target the install stops, saying why.
    const bad = demoPackage('demo-bad', 'tls-inspect check --package --target alpine', {
      'linux-x64/demo-bad.glibc.node': glibc, 'linux-x64/demo-bad.musl.node': glibc });
    const no = installInto('app-bad', bad);
    assert.notStrictEqual(no.status, 0);
    assert.match(`${no.stdout}${no.stderr}`, /LIBC_MISMATCH: a glibc build on a musl target/);
  });
});
