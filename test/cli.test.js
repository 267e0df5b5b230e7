'use strict';
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const pkg = require('../package.json');

const BIN = path.join(__dirname, '..', 'bin', 'tls-inspect.js');

function run(args, env = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('the tls-inspect CLI', function () {
  it('prints a module table and the budget line by default', function () {
    const r = run([]);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /^MODULE\s+TLS\s+ALIGN\s+MODID\s+PLACEMENT\s+OFFSET\s+MODELS/m);
    assert.match(r.stdout, /libc\.so\.6\s+\d+\s+\d+\s+\d+\s+static/);
    assert.match(r.stdout, /static TLS: \d+ bytes .* -> \d+ bytes left/);
  });

  it('report --json is the report of the CLI process itself', function () {
    const r = run(['report', '--json']);
    assert.strictEqual(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.strictEqual(j.pid, r.pid);
    assert.ok(j.modules.some((m) => m.main));
    assert.strictEqual(typeof j.staticTls.remaining, 'number');
  });

  it('--version, --help, and exit code 2 for usage errors', function () {
    assert.strictEqual(run(['--version']).stdout.trim(), pkg.version);
    const help = run(['--help']);
    assert.strictEqual(help.status, 0);
    assert.match(help.stdout, /Usage: tls-inspect/);
    assert.match(run(['report', '--help']).stdout, /Usage: tls-inspect report/);
    const bad = run(['no-such-command']);
    assert.strictEqual(bad.status, 2);
    assert.match(bad.stderr, /unknown command/);
    assert.strictEqual(run(['report', '--bogus']).status, 2);
  });
});
