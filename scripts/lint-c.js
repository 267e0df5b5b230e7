#!/usr/bin/env node
'use strict';
// The C check run by `npm run lint`: every C file of the core, the binding and
// the probe compiled with the warnings the project holds itself to, as errors,
// by gcc and (when installed) clang, which warn about different things.  The
// build itself keeps -Wno-unused-parameter for Node-API callbacks; here only
// binding.c gets that exception, and the one Node-API's own NAPI_MODULE_INIT
// needs (it defines exported functions without prototypes).
const { spawnSync } = require('child_process');
const path = require('path');
const { coreSources } = require('./core-sources');
const { nodeApiInclude } = require('./nodedir');

const ROOT = path.resolve(__dirname, '..');
const WARN = ['-std=c11', '-Wall', '-Wextra', '-Wshadow', '-Wpedantic', '-Wformat=2', '-Wvla', '-Wstrict-prototypes',
  '-Wmissing-prototypes', '-Werror', '-fsyntax-only', '-D_GNU_SOURCE'];

function compilers() {
  return ['gcc', 'clang'].filter((cc) => !spawnSync(cc, ['--version'], { stdio: 'ignore' }).error);
}

function main() {
  const include = nodeApiInclude();
  const files = [...coreSources(), path.join(ROOT, 'src', 'probe', 'ti_probe.c')];
  const binding = path.join(ROOT, 'src', 'binding.c');
  let failed = 0;
  const ccs = compilers();
  if (!ccs.length) { console.error('lint-c: no C compiler (gcc or clang) found'); process.exit(1); }
  for (const cc of ccs) {
    const jobs = files.map((f) => [f, WARN]);
    if (include) jobs.push([binding, [...WARN, '-Wno-unused-parameter', '-Wno-missing-prototypes', `-isystem${include}`, '-DNAPI_VERSION=8']]);
    else console.log(`lint-c: ${cc}: src/binding.c skipped (no Node-API headers under the Node install)`);
    for (const [file, flags] of jobs) {
      const r = spawnSync(cc, [...flags, file], { encoding: 'utf8' });
      if (r.status !== 0) { failed++; process.stderr.write(r.stderr); }
    }
    console.log(`lint-c: ${cc}: ${jobs.length} files`);
  }
  if (failed) { console.error(`lint-c: ${failed} file(s) with warnings`); process.exit(1); }
}

main();
