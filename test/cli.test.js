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
    assert.strictEqual(run(['--version']).stdout.split('\n')[0], pkg.version);
    assert.match(run(['--version']).stdout.split('\n')[1], /^node-abi \d+\.\d+\.\d+ /);
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

describe('the CLI as a CI gate', function () {
  this.timeout(120000);
  const fixtures = require('../lib/reproduce');
  const fs = require('fs');
  const os = require('os');
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-cli-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // A command on a pseudo-terminal (script(1)), so colour and progress decisions see a TTY.
  function onTty(args, env = {}) {
    const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    return spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, ...env } });
  }

  it('several targets: a matrix, and one JSON result per file and target', function () {
    const file = fixtures.template('threads', 'glibc');
    const text = run(['check', file, '--target', 'host,rhel-8', '--target', 'alpine']);
    assert.strictEqual(text.status, 1);
    assert.match(text.stdout, /^FILE\s+host\s+rhel-8\s+alpine$/m);
    // musl loads this glibc build (pthread_create is musl's too): risky, as the real musl loader says (test/glibc-on-musl.test.js)
    assert.match(text.stdout, /compatible\s+incompatible GLIBC_TOO_OLD\s+risky LIBC_MISMATCH/);
    assert.match(text.stdout, /runs on linux-x64, glibc >= 2\.34/);
    const json = JSON.parse(run(['check', file, '--target', 'host,rhel-8,alpine', '--json']).stdout);
    assert.deepStrictEqual(json.map((r) => [r.target, r.verdict]), [['host', 'compatible'], ['rhel-8', 'incompatible'], ['alpine', 'risky']]);
    const all = JSON.parse(run(['check', file, '--target', 'all', '--json']).stdout);
    assert.strictEqual(all.length, 1 + Object.keys(require('../lib/loader/targets').PRESETS).length);
  });

  it('--strict fails on warnings, --ignore leaves codes out, --format github annotates', function () {
    const low = fixtures.fixturePath('initial-exec', require('..').staticTls().remaining - 64);
    assert.strictEqual(run(['check', low]).status, 0, 'STATIC_TLS_LOW is a warning');
    assert.strictEqual(run(['check', low, '--strict']).status, 1);
    assert.strictEqual(run(['check', low, '--strict', '--ignore', 'STATIC_TLS_LOW']).status, 0);
    const gh = run(['check', fixtures.template('threads', 'glibc'), '--target', 'rhel-8', '--format', 'github']);
    assert.match(gh.stdout, /^::error file=.*libti-threads\.so,title=GLIBC_TOO_OLD on rhel-8::needs GLIBC_2\.34.*%0Afix: /m);
    assert.strictEqual(run(['check', low, '--format', 'yaml']).status, 2);
  });

  it('reports every file, unreadable ones as entries, and exits with the worst code', function () {
    const good = fixtures.template('global-dynamic');
    const r = run(['check', '/nonexistent.node', good, '--json']);
    assert.strictEqual(r.status, 2);
    const list = JSON.parse(r.stdout);
    assert.deepStrictEqual(list.map((x) => x.verdict), ['error', 'compatible']);
    assert.strictEqual(list[0].error.code, 'TI_ENOENT');
    const text = run(['check', '/nonexistent.node', good]);
    assert.match(text.stdout, /nonexistent\.node: error: TI_ENOENT/);
    assert.match(text.stdout, /libti-global-dynamic\.so: compatible/);
  });

  it('help [command], and usage errors print the command\'s usage', function () {
    assert.match(run(['help', 'scan']).stdout, /^Usage: tls-inspect scan/);
    assert.match(run(['help']).stdout, /^Usage: tls-inspect \[command\]/);
    const bad = run(['scan', '--nope']);
    assert.strictEqual(bad.status, 2);
    assert.match(bad.stderr, /Usage: tls-inspect scan/);
    assert.match(run(['check']).stderr, /Usage: tls-inspect check/);
  });

  it('no colour when NO_COLOR is set and not empty; colour on a terminal otherwise', function () {
    const file = fixtures.template('threads', 'glibc');
    const args = ['check', file, '--target', 'rhel-8'];
    assert.match(onTty(args).stdout, /\x1b\[31m/);
    assert.match(onTty(args, { NO_COLOR: '' }).stdout, /\x1b\[31m/, 'an empty NO_COLOR is not set (no-color.org)');
    assert.doesNotMatch(onTty(args, { NO_COLOR: '1' }).stdout, /\x1b\[/);
  });

  it('a crafted symbol name cannot drive the terminal: control characters are shown escaped', function () {
    const data = Buffer.from(fs.readFileSync(fixtures.fixturePath('initial-exec', 65536)));
    const at = data.indexOf('ti_fixture_block');
    data.write('\x1b[2J\x1b[Hcompat', at, 'latin1'); // same length as the 16-byte name
    const file = path.join(dir, 'evil.so');
    fs.writeFileSync(file, data);
    const r = onTty(['check', file]);
    assert.match(r.stdout, /\\x1b\[2J\\x1b\[Hcompat/);
    assert.doesNotMatch(r.stdout.replace(/\x1b\[(\d+)?m/g, ''), /\x1b/, 'no escape sequence but our own colours');
    const j = JSON.parse(run(['check', file, '--json']).stdout);
    assert.ok(j.problems[0].message.includes('\x1b[2J'), 'JSON keeps the real name (escaped by JSON itself)');
    const gh = run(['check', file, '--format', 'github']).stdout;
    assert.match(gh, /^::error file=.*evil\.so,title=STATIC_TLS_EXHAUSTED on host::.*\\x1b\[2J/m);
    assert.doesNotMatch(gh, /\x1b/, 'annotations are shown in a terminal too');
  });

  it('--ignore takes problem codes only: a misspelt one is a usage error, not a silent no-op', function () {
    const r = run(['check', fixtures.template('global-dynamic'), '--ignore', 'STATIC_TLS_LOW,STATIC_TLS_LWO']);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--ignore STATIC_TLS_LWO: not a problem code/);
    assert.match(r.stderr, /Usage: tls-inspect check/);
    // the list it checks against is the table in docs/api.md, and every code the model emits is in it
    const { CODES } = require('../lib/loader/problems');
    const readme = fs.readFileSync(path.join(__dirname, '..', 'docs', 'api.md'), 'utf8');
    const table = [...readme.matchAll(/^\| `([A-Z_]+)` \| (error|warning|error, or warning) \|/gm)].map((m) => m[1]);
    assert.deepStrictEqual(CODES, table);
    const emitted = fs.readdirSync(path.join(__dirname, '..', 'lib', 'loader')).filter((f) => f.endsWith('.js')).flatMap((f) => [...fs.readFileSync(
      path.join(__dirname, '..', 'lib', 'loader', f), 'utf8').matchAll(/(?:problem\(|fail: )'([A-Z][A-Z_]+)'/g)].map((m) => m[1]));
    assert.deepStrictEqual([...new Set(emitted)].filter((c) => !CODES.includes(c)), []);
  });

  it('a long scan on a terminal shows progress on stderr; piped or --json it does not', function () {
    const tree = path.join(dir, 'tree');
    for (let i = 0; i < 40; i++) {
      fs.mkdirSync(path.join(tree, `d${i}`), { recursive: true });
      fs.copyFileSync(fixtures.template('global-dynamic'), path.join(tree, `d${i}`, 'a.node'));
    }
    const tty = onTty(['scan', tree]);
    assert.match(tty.stdout, /\rscanned \d+ native files/);
    const piped = run(['scan', tree]);
    assert.doesNotMatch(piped.stderr, /scanned/);
    assert.doesNotMatch(onTty(['scan', tree, '--json']).stdout, /\rscanned/);
  });
});
