'use strict';
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const h = require('../support/helpers');

describe('the C core under AddressSanitizer and UBSan', function () {
  this.timeout(600000);
  it('analyzes the malformed corpus (prefixes, flips, zeroed windows) cleanly', function () {
    const probe = spawnSync(process.env.CC || 'cc', ['-fsanitize=address,undefined', '-x', 'c', '-', '-o', '/dev/null'],
      { input: 'int main(void){return 0;}' });
    if (probe.error || probe.status !== 0) h.skip(this, 'the C compiler cannot build with -fsanitize=address,undefined');
    const r = spawnSync(process.execPath, [path.join(h.ROOT, 'scripts', 'sanitize.js'), '--flips', '200'],
      { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.strictEqual(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
    const m = r.stdout.match(/sanitize: (\d+) inputs, (\d+) analyses, exit 0/);
    assert.ok(m, r.stdout.slice(-500));
    assert.ok(Number(m[2]) > 100000, `${m[2]} analyses`);
  });
});
