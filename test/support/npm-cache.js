'use strict';
// Real npm packages for truth tests, fetched with `npm pack` once and kept
// under .cache/npm/ (extracted next to the tarball).  Returns null, with the
// reason in `why`, when the registry cannot be reached.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const CACHE = path.join(__dirname, '..', '..', '.cache', 'npm');

// The extracted package directory of spec ("argon2@0.45.1"), or { why }.
function npmPackage(spec, timeout = 300000) {
  const dir = path.join(CACHE, spec.replace(/[^A-Za-z0-9@._-]/g, '_'));
  const done = path.join(dir, '.complete');
  if (fs.existsSync(done)) return { dir: path.join(dir, 'package') };
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir, spec], { encoding: 'utf8', timeout });
  const tgz = r.status === 0 && r.stdout.trim().split('\n').pop();
  if (!tgz || !fs.existsSync(path.join(dir, tgz))) {
    return { why: `npm registry unreachable for ${spec}: ${(r.stderr || String(r.error || '')).trim().split('\n').pop()}` };
  }
  const x = spawnSync('tar', ['xzf', path.join(dir, tgz), '-C', dir], { encoding: 'utf8' });
  if (x.status !== 0) return { why: `cannot extract ${tgz}: ${x.stderr}` };
  fs.rmSync(path.join(dir, tgz), { force: true });
  fs.writeFileSync(done, '');
  return { dir: path.join(dir, 'package') };
}

// An official Node binary (npm package node-linux-<arch>@major), or { why }.
function officialNode(major, arch = 'x64') {
  const p = npmPackage(`node-linux-${arch}@${major}`);
  if (!p.dir) return p;
  const bin = path.join(p.dir, 'bin', 'node');
  return fs.existsSync(bin) ? { bin } : { why: `node-linux-${arch}@${major} has no bin/node` };
}

module.exports = { npmPackage, officialNode, CACHE };
