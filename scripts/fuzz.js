#!/usr/bin/env node
'use strict';
// npm run fuzz -- <seconds> [--jobs N] [--replay]
// Builds test/fuzz/fuzz_analyze.c with clang -fsanitize=fuzzer,address,undefined,
// seeds a working corpus with the fixtures, a few system libraries and the
// regression inputs in test/corpus/, and fuzzes for <seconds>.  Crashing inputs
// land in fuzz-out/ (copy them into test/corpus/ once fixed).  --replay runs
// only the saved corpus, once, as CI does.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/fixtures');

const root = path.resolve(__dirname, '..');
const CORE = require('./core-sources').coreSources({ analyzerOnly: true });
const work = path.join(root, 'fuzz-out');

function build() {
  const exe = path.join(work, 'fuzz_analyze');
  const r = spawnSync(process.env.FUZZ_CC || 'clang', ['-g', '-O1', '-fsanitize=fuzzer,address,undefined',
    '-fno-sanitize-recover=all', '-DTI_NO_GLIBC_FLOOR', ...CORE, path.join(root, 'test', 'fuzz', 'fuzz_analyze.c'),
    '-o', exe], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('clang could not build the fuzzer (needs clang with libFuzzer)');
  return exe;
}

function seeds(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  for (const byName of Object.values(fixtures.list())) files.push(...Object.values(byName).map((f) => [f, path.basename(f)]));
  const system = (f, prefix = '') => {
    if (fs.existsSync(f)) files.push([fs.realpathSync(f), `${prefix}${path.basename(f)}`]);
  };
  for (const n of ['libc.so.6', 'libm.so.6', 'libgomp.so.1', 'libz.so.1']) system(`/usr/lib/x86_64-linux-gnu/${n}`);
  // Other architectures' glibc (cross packages), for ELF32, REL and big-endian paths.
  for (const t of ['aarch64-linux-gnu', 'arm-linux-gnueabihf', 'i686-linux-gnu', 's390x-linux-gnu', 'mips-linux-gnu']) {
    system(`/usr/${t}/lib/libm.so.6`, `${t}-`);
  }
  for (const [f, name] of files) {
    const st = fs.statSync(f);
    if (st.isFile() && st.size < (4 << 20)) fs.copyFileSync(f, path.join(dir, `seed-${name}`));
  }
}

function main() {
  const args = process.argv.slice(2);
  const replay = args.includes('--replay');
  const jobsAt = args.indexOf('--jobs');
  const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : 1;
  const seconds = Number(args.find((a) => /^\d+$/.test(a) && a !== String(jobs)) || 60);
  fs.mkdirSync(work, { recursive: true });
  const exe = build();
  const regress = path.join(root, 'test', 'corpus');
  if (replay) {
    const inputs = fs.existsSync(regress) ? fs.readdirSync(regress).map((f) => path.join(regress, f)) : [];
    const r = spawnSync(exe, ['-runs=0', ...inputs], { encoding: 'utf8' });
    process.stderr.write(r.stderr.split('\n').slice(-5).join('\n'));
    console.log(`fuzz replay: ${inputs.length} inputs, exit ${r.status}`);
    return r.status === 0 ? 0 : 1;
  }
  const corpus = path.join(work, 'corpus');
  seeds(corpus);
  const dirs = [corpus, ...(fs.existsSync(regress) ? [regress] : [])];
  const r = spawnSync(exe, [`-max_total_time=${seconds}`, `-artifact_prefix=${work}/`, '-max_len=65536',
    '-print_final_stats=1', ...(jobs > 1 ? [`-jobs=${jobs}`, `-workers=${jobs}`] : []), ...dirs],
  { encoding: 'utf8', cwd: work, maxBuffer: 256 << 20 });
  const log = `${r.stdout}${r.stderr}`;
  let execs = 0;
  for (const m of log.matchAll(/stat::number_of_executed_units:\s*(\d+)/g)) execs += Number(m[1]);
  if (jobs > 1) {
    for (const f of fs.readdirSync(work).filter((x) => /^fuzz-\d+\.log$/.test(x))) {
      for (const m of fs.readFileSync(path.join(work, f), 'utf8').matchAll(/stat::number_of_executed_units:\s*(\d+)/g)) execs += Number(m[1]);
    }
  }
  const crashes = fs.readdirSync(work).filter((f) => /^(crash|leak|timeout|oom)-/.test(f));
  console.log(`fuzz: ${seconds} s, ${execs} executions, ${crashes.length} findings${crashes.length ? `: ${crashes.join(', ')}` : ''}`);
  return crashes.length ? 1 : 0;
}

process.exitCode = main();
