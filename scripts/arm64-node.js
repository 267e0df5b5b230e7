#!/usr/bin/env node
'use strict';
// Unpacks Debian's arm64 Node.js and the libraries it needs into a directory
// (default .cache/arm64-node), so the tests can run the addon in a real arm64
// Node under qemu-user.  Needs dpkg's arm64 architecture enabled
// (`dpkg --add-architecture arm64 && apt-get update`); nothing is installed
// system-wide, the packages are only downloaded and unpacked.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const out = path.resolve(process.argv[2] || path.join(__dirname, '..', '.cache', 'arm64-node'));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error ? r.error.message : r.stderr.trim()}`);
  return r.stdout;
}

// nodejs:arm64 and what it needs at run time: its arm64 libraries and the
// architecture-independent node-* modules Debian splits out.
function packages() {
  const tree = run('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts',
    '--no-breaks', '--no-replaces', '--no-enhances', '--no-pre-depends', 'nodejs:arm64']);
  const names = new Set(tree.split('\n').filter((l) => /^[a-z0-9]/.test(l)).map((l) => l.trim()));
  const skip = /^(dpkg|tar|install-info|openssl|gcc-12-base):arm64$/;
  return [...names].filter((n) => (n.endsWith(':arm64') && !skip.test(n)) || /^node-[a-z0-9-]+$/.test(n)).sort();
}

function main() {
  const node = path.join(out, 'usr', 'bin', 'node');
  if (fs.existsSync(node)) {
    console.log(`arm64 node: already unpacked in ${out}`);
    return 0;
  }
  const debs = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-arm64-debs-'));
  try {
    const list = packages();
    // apt's download sandbox user must be able to write here
    fs.chmodSync(debs, 0o777);
    run('apt-get', ['download', ...list], { cwd: debs });
    fs.mkdirSync(out, { recursive: true });
    for (const f of fs.readdirSync(debs).filter((n) => n.endsWith('.deb'))) run('dpkg', ['-x', path.join(debs, f), out]);
    console.log(`arm64 node: ${list.length} packages unpacked in ${out}`);
    return 0;
  } catch (e) {
    console.error(`arm64 node: ${e.message}`);
    return 1;
  } finally {
    fs.rmSync(debs, { recursive: true, force: true });
  }
}

process.exitCode = main();
