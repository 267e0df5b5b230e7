#!/usr/bin/env node
'use strict';
// Builds the C core's ELF analyzer with AddressSanitizer and UBSan into a small
// driver and runs the malformed-input corpus through it (prefixes, bit flips,
// zeroed windows of every fixture and a few system libraries; the full and the
// light analysis), and the walker over a tree with loops, a FIFO and a path
// beyond PATH_MAX.
// Usage: node scripts/sanitize.js [--flips N] [extra files...]
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/reproduce');

const root = path.resolve(__dirname, '..');
const CORE = require('./core-sources').coreSources({ analyzerOnly: true });

function build(out) {
  const cc = process.env.CC || 'cc';
  const args = ['-std=c11', '-g', '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
    '-fno-omit-frame-pointer', '-DTI_NO_GLIBC_FLOOR', ...CORE, path.join(root, 'test', 'c', 'analyze_driver.c'), '-o', out];
  const r = spawnSync(cc, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cc} failed to build the sanitizer driver`);
}

function corpus(extra) {
  const files = [];
  for (const byModel of Object.values(fixtures.list())) files.push(...Object.values(byModel));
  for (const f of ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6',
    '/usr/lib/x86_64-linux-gnu/libgomp.so.1']) if (fs.existsSync(f)) files.push(fs.realpathSync(f));
  const regress = path.join(root, 'test', 'corpus');
  if (fs.existsSync(regress)) for (const f of fs.readdirSync(regress)) files.push(path.join(regress, f));
  return [...files, ...extra];
}

// A tree for the walker: addons, a library and a linker script, a symlink
// loop, a FIFO named like an addon, a Mach-O file and a path beyond PATH_MAX.
function walkTree(dir) {
  const tree = path.join(dir, 'tree');
  const so = fixtures.template('global-dynamic');
  fs.mkdirSync(path.join(tree, 'pkg', 'lib'), { recursive: true });
  fs.copyFileSync(so, path.join(tree, 'pkg', 'addon.node'));
  fs.copyFileSync(so, path.join(tree, 'pkg', 'lib', 'libdep.so.1'));
  fs.writeFileSync(path.join(tree, 'pkg', 'lib', 'libdep.so'), 'INPUT(libdep.so.1)\n');
  fs.writeFileSync(path.join(tree, 'pkg', 'mac.node'), Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]));
  fs.symlinkSync(tree, path.join(tree, 'pkg', 'loop'));
  spawnSync('mkfifo', [path.join(tree, 'pkg', 'fifo.node')]);
  const d = 'd'.repeat(200);
  spawnSync('bash', ['-c', `cd "$1" && for i in $(seq 24); do mkdir ${d} && cd ${d}; done && cp "$2" deep.node`, '-', tree, so]);
  return tree;
}

function main() {
  const args = process.argv.slice(2);
  const flipsAt = args.indexOf('--flips');
  const flips = flipsAt >= 0 ? args.splice(flipsAt, 2)[1] : '2000';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-asan-'));
  const exe = path.join(dir, 'analyze_driver');
  const files = corpus(args);
  let r;
  try {
    build(exe);
    r = spawnSync(exe, ['--flips', flips, '--walk', walkTree(dir), ...files], { encoding: 'utf8',
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1' } });
  } finally {
    spawnSync('rm', ['-rf', dir]); // rm walks relative to each directory: deeper than PATH_MAX is fine
  }
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  let runs = 0;
  for (const line of r.stdout.split('\n').filter(Boolean)) runs += JSON.parse(line).runs || 0;
  console.log(`sanitize: ${files.length} inputs, ${runs} analyses, exit ${r.status}`);
  return r.status === 0 ? 0 : 1;
}

process.exitCode = main();
