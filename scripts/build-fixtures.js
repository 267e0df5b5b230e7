#!/usr/bin/env node
'use strict';
// Builds the fixture libraries: one template per TLS model, per libc flavour
// (glibc with the normal compiler, musl with musl-gcc when it is installed),
// plus the local-exec executable and the linker's refusal of a local-exec .so.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { MODELS } = require('../lib/fixture-models');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'fixtures', 'src');
const outRoot = path.join(root, 'fixtures', 'build');

function have(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function cc(compiler, args) {
  const r = spawnSync(compiler, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, output: String(r.error.message) };
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

function buildFlavour(libc, compiler) {
  const dir = path.join(outRoot, libc);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { libc, compiler, built: {}, refused: {}, failed: {} };
  const lib = (name, flags, file = 'tls_fixture.c') => {
    const out = path.join(dir, `libti-${name}.so`);
    const r = cc(compiler, ['-O2', '-fPIC', '-shared', ...flags, '-o', out, path.join(src, file)]);
    if (r.ok) manifest.built[name] = path.basename(out);
    else manifest.failed[name] = r.output;
  };
  for (const [model, info] of Object.entries(MODELS)) {
    if (info.shared) lib(model, info.flags);
  }
  lib('culprit', [], 'culprit.c');
  lib('threads', ['-pthread'], 'threads.c');
  if (manifest.built.culprit) {
    const stripped = path.join(dir, 'libti-culprit-stripped.so');
    fs.copyFileSync(path.join(dir, manifest.built.culprit), stripped);
    const r = spawnSync('strip', ['--strip-all', stripped]);
    if (!r.error && r.status === 0) manifest.built["culprit-stripped"] = path.basename(stripped);
  }
  const exe = path.join(dir, 'local-exec');
  const le = cc(compiler, ['-O2', ...MODELS['local-exec'].flags, '-o', exe, path.join(src, 'local_exec.c')]);
  if (le.ok) manifest.built["local-exec"] = path.basename(exe);
  else manifest.failed['local-exec'] = le.output;
  // A shared object cannot use local-exec: keep the linker's own words.
  const refusal = cc(compiler, ['-O2', '-fPIC', '-shared', ...MODELS['local-exec'].flags, '-o',
    path.join(dir, 'libti-local-exec.so'), path.join(src, 'tls_fixture.c')]);
  if (refusal.ok) manifest.failed['local-exec-shared'] = 'the linker unexpectedly accepted it';
  else manifest.refused['local-exec-shared'] = refusal.output;
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

function main() {
  const flavours = [['glibc', process.env.CC || 'cc'], ['musl', process.env.MUSL_CC || 'musl-gcc']];
  let failures = 0;
  for (const [libc, compiler] of flavours) {
    if (!have(compiler)) {
      console.log(`fixtures: skipping ${libc} flavour: ${compiler} is not installed`);
      continue;
    }
    const m = buildFlavour(libc, compiler);
    const failed = Object.keys(m.failed);
    failures += failed.length;
    console.log(`fixtures: ${libc}: built ${Object.keys(m.built).length}` +
      (failed.length ? `, failed ${failed.join(', ')}` : ''));
    for (const name of failed) console.log(`  ${name}: ${m.failed[name]}`);
  }
  return failures ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
module.exports = { buildFlavour };
