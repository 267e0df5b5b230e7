#!/usr/bin/env node
'use strict';
// npm run prebuild (and prepack): the prebuilt addons node-gyp-build expects,
//   prebuilds/linux-<arch>/tls-inspect.napi.glibc.node  (node-gyp, glibc floor 2.28 on x64)
//   prebuilds/linux-<arch>/tls-inspect.napi.musl.node   (musl-gcc against the Node-API headers)
// plus the fixture templates and ti-probes reproduce() needs at run time,
//   prebuilds/fixtures/<libc>/...
// Each binary is checked before it is kept: the glibc one needs nothing newer
// than GLIBC_2.28, the musl one nothing from glibc.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'prebuilds', `linux-${process.arch}`);
const GLIBC_FLOOR = '2.28';

function run(script, args = []) {
  const r = spawnSync(process.execPath, [path.join(__dirname, script), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${script} failed`);
}

function verify(file, libc) {
  const { analyzeSync } = require('../lib/file/analyze');
  const { cmpVersion } = require('../lib/version');
  const a = analyzeSync(file);
  if (libc === 'glibc' && a.minGlibc && cmpVersion(a.minGlibc, GLIBC_FLOOR) > 0) {
    throw new Error(`${file} needs GLIBC_${a.minGlibc}, above the ${GLIBC_FLOOR} floor`);
  }
  if (libc === 'musl' && (a.minGlibc || a.needed.includes('libc.so.6') || a.libc !== 'musl')) {
    throw new Error(`${file} depends on glibc (${a.needed.join(', ')})`);
  }
  return a;
}

function copyFixtures(libc) {
  const from = path.join(root, 'fixtures', 'build', libc);
  const to = path.join(root, 'prebuilds', 'fixtures', libc);
  if (!fs.existsSync(path.join(from, 'manifest.json'))) return false;
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true, filter: (f) => !f.endsWith('.node') });
  const m = JSON.parse(fs.readFileSync(path.join(to, 'manifest.json'), 'utf8'));
  delete m.built.addon; // the addon ships as the prebuild itself
  fs.writeFileSync(path.join(to, 'manifest.json'), JSON.stringify(m, null, 2));
  return true;
}

function main() {
  run('install.js', ['--rebuild']);
  run('build-fixtures.js');
  fs.mkdirSync(outDir, { recursive: true });
  const made = [];
  const glibc = path.join(root, 'build', 'Release', 'tls_inspect.node');
  const musl = path.join(root, 'fixtures', 'build', 'musl', 'tls_inspect.node');
  for (const [libc, file] of [['glibc', glibc], ['musl', musl]]) {
    if (!fs.existsSync(file)) {
      console.log(`prebuild: no ${libc} build (${libc === 'musl' ? 'musl-gcc not installed' : 'node-gyp failed'})`);
      continue;
    }
    const a = verify(file, libc);
    const dest = path.join(outDir, `tls-inspect.napi.${libc}.node`);
    fs.copyFileSync(file, dest);
    made.push(`${path.relative(root, dest)} (${libc}${a.minGlibc ? `, needs GLIBC_${a.minGlibc}` : ''})`);
    copyFixtures(libc);
  }
  for (const m of made) console.log(`prebuild: ${m}`);
  // the glibc build is required; the musl one needs musl-gcc, and says so when it is missing
  return made.some((m) => m.includes('(glibc')) ? 0 : 1;
}

process.exitCode = main();
