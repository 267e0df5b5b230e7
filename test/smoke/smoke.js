#!/usr/bin/env node
'use strict';
// Smoke assertions for an installed tls-inspect, the same in a container and
// on a host: the CLI reports this process's libc, check gives the expected
// verdicts on the shipped fixtures, and reproduce shows this libc's TLS error.
// Usage: node smoke.js <expected libc: glibc|musl>   (prints one line per assertion)
const { spawnSync } = require('child_process');
const path = require('path');

const want = process.argv[2];
// The installed package (in a container), or the one named by TLS_INSPECT_DIR (host path).
const pkgDir = process.env.TLS_INSPECT_DIR ||
  path.dirname(require.resolve('tls-inspect/package.json', { paths: [process.cwd(), __dirname] }));
const bin = path.join(pkgDir, 'bin', 'tls-inspect.js');
const fixtures = require(path.join(pkgDir, 'lib', 'reproduce'));
let failed = 0;

function cli(args) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: r.status, json: r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : null, out: r.stdout };
}

function expect(label, ok, detail) {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${label}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed++;
}

const report = cli(['report', '--json']).json;
expect(`report: running on ${want}`, report && report.libc.family === want, report && JSON.stringify(report.libc));
expect('report: static TLS measured', report && typeof report.staticTls.remaining === 'number');

const own = fixtures.template('global-dynamic', want);
const ok = cli(['check', own, '--json']);
expect(`check: a ${want} global-dynamic fixture is compatible here`, ok.status === 0 && ok.json.verdict === 'compatible',
  ok.out.slice(0, 300));
const other = want === 'musl' ? 'glibc' : 'musl';
const foreignFile = fixtures.list()[other] && fixtures.list()[other].threads;
const foreign = foreignFile ? cli(['check', foreignFile, '--json']) : {};
if (foreign.json) {
  expect(`check: a ${other} build is LIBC_MISMATCH here`, foreign.status === 1 &&
    foreign.json.problems.some((p) => p.code === 'LIBC_MISMATCH'), foreign.out.slice(0, 300));
}

const bytes = want === 'musl' ? '8' : '64k';
const repro = cli(['reproduce', '--model', 'initial-exec', '--bytes', bytes, '--json']).json;
const message = want === 'musl' ? /initial-exec TLS resolves to dynamic definition/ : /cannot allocate memory in static TLS block/;
expect(`reproduce: initial-exec ${bytes} fails with the ${want} loader's error`, repro && !repro.loaded &&
  message.test(repro.error) && repro.predicted.loaded === false, repro && repro.error);
const fixed = cli(['reproduce', '--model', 'initial-exec', '--bytes', bytes, '--preload', '--json']).json;
expect('reproduce: LD_PRELOAD makes it load', fixed && fixed.loaded, fixed && fixed.error);

console.log(`smoke (${want}): ${failed ? `${failed} failed` : 'all passed'}`);
process.exitCode = failed ? 1 : 0;
