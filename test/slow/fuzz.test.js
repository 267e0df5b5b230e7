'use strict';
// The fuzzers, briefly: the regression corpus replayed under the fuzzer build
// (ASan/UBSan) and through the file reader against the buffer reader, then a
// few seconds of new inputs each.  Part of the slow suite (npm run test:all).
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const h = require('../support/helpers');

describe('robustness: fuzzing', function () {
  this.timeout(300000);
  it('replays the regression corpus under the fuzzer build (ASan/UBSan), then fuzzes briefly', function () {
    const probe = spawnSync('clang', ['-fsanitize=fuzzer', '-x', 'c', '-', '-o', '/dev/null'],
      { input: 'int LLVMFuzzerTestOneInput(const unsigned char*d, unsigned long n){return 0;}' });
    if (probe.error || probe.status !== 0) h.skip(this, 'clang with libFuzzer is not installed');
    const replay = spawnSync(process.execPath, [path.join(h.ROOT, 'scripts', 'fuzz.js'), '--replay'], { encoding: 'utf8' });
    assert.strictEqual(replay.status, 0, replay.stdout + replay.stderr.slice(-3000));
    assert.match(replay.stdout, /fuzz replay: (\d+) inputs, exit 0/);
    const brief = spawnSync(process.execPath, [path.join(h.ROOT, 'scripts', 'fuzz.js'), '10'], { encoding: 'utf8' });
    assert.strictEqual(brief.status, 0, brief.stdout + brief.stderr.slice(-3000));
    assert.match(brief.stdout, /0 findings/);
  });

  it('replays the regression corpus through the file reader against the buffer reader, then fuzzes briefly', function () {
    const probe = spawnSync('clang', ['-fsanitize=fuzzer', '-x', 'c', '-', '-o', '/dev/null'],
      { input: 'int LLVMFuzzerTestOneInput(const unsigned char*d, unsigned long n){return 0;}' });
    if (probe.error || probe.status !== 0) h.skip(this, 'clang with libFuzzer is not installed');
    const fuzz = (...args) => spawnSync(process.execPath, [path.join(h.ROOT, 'scripts', 'fuzz.js'), '--harness', 'file', ...args],
      { encoding: 'utf8' });
    const replay = fuzz('--replay');
    assert.strictEqual(replay.status, 0, replay.stdout + replay.stderr.slice(-3000));
    assert.match(replay.stdout, /fuzz replay: (\d+) inputs, exit 0/);
    const brief = fuzz('10');
    assert.strictEqual(brief.status, 0, brief.stdout + brief.stderr.slice(-3000));
    assert.match(brief.stdout, /fuzz \(file\): 10 s, [1-9]\d* executions.*, 0 findings/);
  });
});
