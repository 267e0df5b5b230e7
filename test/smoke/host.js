#!/usr/bin/env node
'use strict';
// The host path of the smoke tests, for machines without a Docker engine:
// the glibc side runs smoke.js under this Node; the musl side runs the same
// assertions through the real musl loader (the ti-probe loading the musl
// prebuild and the musl fixtures), since there is no musl Node here.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const fixtures = require(path.join(root, 'lib', 'reproduce'));
const bin = path.join(root, 'bin', 'tls-inspect.js');
let failed = 0;

function expect(label, ok, detail) {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${label}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed++;
}

function cliJson(args) {
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8' });
  return { status: r.status, json: JSON.parse(r.stdout) };
}

function muslPrebuild() {
  const shipped = path.join(root, 'prebuilds', `linux-${process.arch}`, 'tls-inspect.napi.musl.node');
  if (fs.existsSync(shipped)) return shipped;
  return fixtures.template('addon', 'musl');
}

function muslSide() {
  const addon = muslPrebuild();
  const probe = fixtures.template('probe', 'musl');
  const r = JSON.parse(execFileSync(probe, ['--dlopen', addon], { encoding: 'utf8' }));
  expect('musl: the probe runs under the musl loader', r.libc.family === 'musl', JSON.stringify(r.libc));
  expect(`musl: the musl addon (${path.relative(root, addon)}) loads`, r.loads[0].loaded, r.loads[0].error);
  const a = cliJson(['check', addon, '--target', 'musl']);
  expect('musl: check --target musl on the musl addon is compatible', a.status === 0 && a.json.verdict === 'compatible',
    JSON.stringify(a.json.problems));
  const g = cliJson(['check', fixtures.template('threads', 'glibc'), '--target', 'musl']);
  expect('musl: a glibc build is LIBC_MISMATCH', g.json.problems.some((p) => p.code === 'LIBC_MISMATCH'));
  const ie = cliJson(['reproduce', '--model', 'initial-exec', '--bytes', '8', '--libc', 'musl']).json;
  expect('musl: reproduce initial-exec 8 fails with the musl loader\'s error',
    !ie.loaded && /initial-exec TLS resolves to dynamic definition/.test(ie.error), ie.error);
  const pre = cliJson(['reproduce', '--model', 'initial-exec', '--bytes', '8', '--libc', 'musl', '--preload']).json;
  expect('musl: LD_PRELOAD makes it load', pre.loaded, pre.error);
}

function main() {
  console.log('smoke: host path (no Docker engine): glibc through Node, musl through the musl loader');
  const glibc = spawnSync(process.execPath, [path.join(__dirname, 'smoke.js'), 'glibc'],
    { encoding: 'utf8', env: { ...process.env, TLS_INSPECT_DIR: root } });
  process.stdout.write(glibc.stdout);
  process.stderr.write(glibc.stderr);
  if (glibc.status !== 0) failed++;
  if (fs.existsSync('/lib/ld-musl-x86_64.so.1') && fixtures.list().musl) muslSide();
  else console.log('skip - musl side: the musl loader or musl-gcc is not installed (apt-get install musl musl-tools)');
  console.log(`smoke host path: ${failed ? `${failed} failed` : 'all passed'}`);
  return failed ? 1 : 0;
}

process.exitCode = main();
