#!/usr/bin/env node
'use strict';
// Builds the C core's ELF analyzer with AddressSanitizer and UBSan into a small
// driver and runs the malformed-input corpus through it (prefixes, bit flips,
// zeroed windows of every fixture and a few system libraries).
// Usage: node scripts/sanitize.js [--flips N] [extra files...]
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/fixtures');

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
    r = spawnSync(exe, ['--flips', flips, ...files], { encoding: 'utf8',
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1' } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  let runs = 0;
  for (const line of r.stdout.split('\n').filter(Boolean)) runs += JSON.parse(line).runs;
  console.log(`sanitize: ${files.length} inputs, ${runs} analyses, exit ${r.status}`);
  return r.status === 0 ? 0 : 1;
}

process.exitCode = main();
