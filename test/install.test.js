'use strict';
// npm pack, then install the tarball into a fresh project with a PATH that has
// no C compiler and no make: the prebuild must be what loads.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./helpers');

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
    const musl = require('../lib/fixtures').list().musl;
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
    const inst = sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: proj, env });
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
      models: require('../lib/fixtures').publicApi.models });
    assert.match(j.from, /prebuilds\/linux-x64\/tls-inspect\.napi\.glibc\.node$/);
    assert.strictEqual(j.libc, 'glibc');
    assert.ok(j.modules > 3 && j.remaining > 0);
    const cli = sh('npx', ['tls-inspect', '--json'], { cwd: proj, env });
    assert.strictEqual(cli.status, 0, cli.stderr);
    assert.ok(JSON.parse(cli.stdout).modules.some((m) => /tls-inspect\.napi\.glibc\.node$/.test(m.path)));
    const repro = sh('npx', ['tls-inspect', 'reproduce', '--model', 'initial-exec', '--bytes', '64k', '--json'], { cwd: proj, env });
    assert.strictEqual(JSON.parse(repro.stdout).loaded, false, 'shipped fixtures reproduce the error');
  });
});
