#!/usr/bin/env node
'use strict';
// npm run fuzz -- <seconds> [--jobs N] [--harness buffer|file] [--max-len BYTES] [--replay]
// Builds a harness with clang -fsanitize=fuzzer,address,undefined, seeds a
// working corpus with the fixtures, a few system libraries, the regression
// inputs in test/corpus/ and the real modules of .cache/fuzz-seeds/ (made by
// scripts/fuzz-seeds.js, when present), and fuzzes for <seconds>.  Harnesses:
//   buffer  test/fuzz/fuzz_analyze.c: the analyzer over the input in memory;
//   file    test/fuzz/fuzz_file_diff.c: the file reader (pread, sparse layouts)
//           against the buffer reader on the same bytes; any difference aborts.
// Crashing inputs land in fuzz-out/ (copy them into test/corpus/ once fixed);
// the fuzzer's log is fuzz-out/<harness>.log.  --replay runs only the saved
// corpus, once, as CI does.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const fixtures = require('../lib/reproduce');

const root = path.resolve(__dirname, '..');
const CORE = require('./core-sources').coreSources({ analyzerOnly: true });
const work = path.join(root, 'fuzz-out');
const HARNESSES = {
  buffer: { source: 'fuzz_analyze.c', cflags: ['-O1'], maxLen: 65536, flags: [] },
  // Real modules are megabytes: their inputs run slower, so the schedule favours fast ones, and -O2 runs a
  // quarter faster under the sanitizers.  A streamed table in a hole costs seconds per input under the
  // sanitizers at the product's bound (512 MiB): 4 MiB takes the same paths at 1/128 of the time.
  file: { source: 'fuzz_file_diff.c', cflags: ['-O2', '-DTI_TABLE_MAX=((uint64_t)4<<20)'], maxLen: 8 << 20,
    flags: ['-entropic_scale_per_exec_time=1', '-timeout=30'] },
};

function build(harness) {
  const { source, cflags } = HARNESSES[harness];
  const exe = path.join(work, path.basename(source, '.c'));
  const r = spawnSync(process.env.FUZZ_CC || 'clang', ['-g', ...cflags, '-fsanitize=fuzzer,address,undefined',
    '-fno-sanitize-recover=all', '-DTI_NO_GLIBC_FLOOR', ...CORE, path.join(root, 'test', 'fuzz', source),
    '-o', exe], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('clang could not build the fuzzer (needs clang with libFuzzer)');
  return exe;
}

function seeds(dir, maxLen) {
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
    if (st.isFile() && st.size < Math.max(maxLen, 4 << 20)) fs.copyFileSync(f, path.join(dir, `seed-${name}`));
  }
}

// The value after a flag, or fallback.
function option(args, flag, fallback) {
  const at = args.indexOf(flag);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
}

// Executions and the last coverage line of a libFuzzer log.
function stats(log) {
  const num = (re) => [...log.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  const last = [...log.matchAll(/^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+).*?exec\/s: (\d+)/gm)].pop();
  return { execs: num(/stat::number_of_executed_units:\s*(\d+)/g),
    coverage: last ? ` (cov ${last[2]}, ft ${last[3]}, ${last[4]} exec/s)` : '' };
}

function main() {
  const args = process.argv.slice(2);
  const replay = args.includes('--replay');
  const jobs = Number(option(args, '--jobs', 1));
  const harness = option(args, '--harness', 'buffer');
  if (!HARNESSES[harness]) throw new Error(`--harness: one of ${Object.keys(HARNESSES).join(', ')}`);
  const maxLen = Number(option(args, '--max-len', HARNESSES[harness].maxLen));
  const seconds = Number(args.find((a) => /^\d+$/.test(a)) || 60);
  const prefix = harness === 'buffer' ? '' : `${harness}-`;
  fs.mkdirSync(work, { recursive: true });
  const exe = build(harness);
  const regress = path.join(root, 'test', 'corpus');
  if (replay) {
    const inputs = fs.existsSync(regress) ? fs.readdirSync(regress).map((f) => path.join(regress, f)) : [];
    const r = spawnSync(exe, ['-runs=0', ...HARNESSES[harness].flags, ...inputs], { encoding: 'utf8' });
    process.stderr.write(r.stderr.split('\n').slice(-5).join('\n'));
    console.log(`fuzz replay: ${inputs.length} inputs, exit ${r.status}`);
    return r.status === 0 ? 0 : 1;
  }
  const corpus = path.join(work, `${prefix}corpus`);
  seeds(corpus, maxLen);
  const real = path.join(root, '.cache', 'fuzz-seeds');
  const dirs = [corpus, ...[regress, real].filter((d) => fs.existsSync(d))];
  const logFile = path.join(work, `${harness}.log`);
  const out = fs.openSync(logFile, 'w');
  spawnSync(exe, [`-max_total_time=${seconds}`, `-artifact_prefix=${work}/${prefix}`, `-max_len=${maxLen}`,
    '-print_final_stats=1', ...HARNESSES[harness].flags, ...(jobs > 1 ? [`-jobs=${jobs}`, `-workers=${jobs}`] : []),
    ...dirs],
  { stdio: ['ignore', out, out], cwd: work });
  fs.closeSync(out);
  // with -jobs the main log repeats each worker's final lines: the workers' own logs are the count
  let log = fs.readFileSync(logFile, 'utf8');
  if (jobs > 1) {
    log = '';
    for (let j = 0; j < jobs; j++) {
      const f = path.join(work, `fuzz-${j}.log`);
      if (fs.existsSync(f)) log += fs.readFileSync(f, 'utf8');
    }
  }
  const { execs, coverage } = stats(log);
  const found = new RegExp(`^${prefix}(crash|leak|timeout|oom)-`);
  const crashes = fs.readdirSync(work).filter((f) => found.test(f));
  console.log(`fuzz (${harness}): ${seconds} s, ${execs} executions${coverage}, ${crashes.length} findings` +
    `${crashes.length ? `: ${crashes.join(', ')}` : ''}`);
  return crashes.length ? 1 : 0;
}

process.exitCode = main();
