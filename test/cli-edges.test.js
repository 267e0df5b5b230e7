'use strict';
// The CLI's edges a user hits in minutes: a reader that goes away (| head),
// the progress line on a terminal, scan inside a workspace package, several
// targets at once, and check --tree against the real loader's own account.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const BIN = path.join(h.ROOT, 'bin', 'tls-inspect.js');
const LD_SO = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-x86-64.so.2'].find((f) => fs.existsSync(f));

function run(args, { env = {}, cwd } = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, env: { ...process.env, ...env } });
}

// A command on a pseudo-terminal (script(1)): stdout and stderr both reach it.
function onTty(args, env = {}) {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, ...env } });
}

// Runs each command with its stdout a real pipe (pipe(2): Node's 'pipe'
// stdio is a socket pair) whose reading end is closed before it starts;
// Python puts SIGPIPE back to its default for the child.  One Python for all
// (its start-up is the slow part): [{ signal, status, stderr }].
const READER_GONE = `import json, os, subprocess, sys
out = []
for cmd in json.loads(sys.argv[1]):
    r, w = os.pipe()
    os.close(r)
    p = subprocess.Popen(cmd, stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    err = p.stderr.read()
    out.append([p.wait(), err.decode('utf8', 'replace')])
print(json.dumps(out))`;

function readerGone(cmds) {
  const r = spawnSync('python3', ['-S', '-c', READER_GONE, JSON.stringify(cmds)], { encoding: 'utf8' });
  return JSON.parse(r.stdout).map(([code, stderr]) => ({ stderr, status: code >= 0 ? code : null,
    signal: code < 0 ? (Object.entries(os.constants.signals).find(([, n]) => n === -code) || [`${-code}`])[0] : null }));
}

describe('CLI edges', function () {
  this.timeout(180000);
  let dir;
  let tree; // 40 packages of one glibc addon each
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-cli-edges-'));
    tree = path.join(dir, 'tree', 'node_modules');
    for (let i = 0; i < 40; i++) {
      h.putFile(tree, `p${i}/package.json`, { name: `p${i}`, version: '1.0.0' });
      h.putFile(tree, `p${i}/build/Release/p${i}.node`, fixtures.template('global-dynamic', 'glibc'));
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('a reader that goes away (tls-inspect ... | head -1)', function () {
    it('ends the process as it ends `yes`: by SIGPIPE, with nothing on stderr', function () {
      if (!h.haveCommand('yes')) h.skip(this, 'no yes(1) to compare with');
      if (!h.haveCommand('python3')) h.skip(this, 'no python3 to make a real pipe (os.pipe)');
      const cases = [['help'], ['scan', tree, '--json'], ['check', fixtures.template('global-dynamic')],
        ['scan', tree, '--target', 'host,alpine']];
      const [truth, ...ours] = readerGone([['yes'], ...cases.map((args) => [process.execPath, BIN, ...args])]);
      assert.strictEqual(truth.signal, 'SIGPIPE', 'a Unix tool whose reader is gone is killed by SIGPIPE');
      ours.forEach((r, i) => {
        assert.strictEqual(r.signal, truth.signal, `${cases[i].join(' ')}: ${r.status} ${r.stderr}`);
        assert.strictEqual(r.stderr, '', `${cases[i].join(' ')}: no stack trace`);
      });
    });

    it('in a shell pipeline: head gets its line, the shell sees what it sees of `yes | head -1`', function () {
      if (!h.haveCommand('bash')) h.skip(this, 'no bash for PIPESTATUS');
      const q = (a) => `'${a.replace(/'/g, "'\\''")}'`;
      // more than a pipe's 64 KiB of JSON lines: the writes go on after head has left
      const ours = spawnSync('bash', ['-c', `${q(process.execPath)} ${q(BIN)} scan ${q(tree)} --json -t host,glibc,debian-12 ` +
        '| head -1; echo "status ${PIPESTATUS[0]}"'], { encoding: 'utf8' });
      const yes = spawnSync('bash', ['-c', 'yes | head -1; echo "status ${PIPESTATUS[0]}"'], { encoding: 'utf8' });
      const [line, status] = ours.stdout.trim().split('\n');
      assert.ok(JSON.parse(line).path.endsWith('.node'));
      assert.strictEqual(status, yes.stdout.trim().split('\n')[1]);
      assert.strictEqual(ours.stderr, '');
    });
  });

  describe('the progress line', function () {
    before(function () {
      if (!h.haveCommand('script', ['-V'])) h.skip(this, 'no script(1) for a pseudo-terminal');
    });

    it('a one-file check or scan on a terminal writes no progress and no escape sequence', function () {
      const one = path.join(dir, 'one', 'node_modules');
      h.putFile(one, 'p/package.json', { name: 'p', version: '1.0.0' });
      h.putFile(one, 'p/build/Release/p.node', fixtures.template('global-dynamic', 'glibc'));
      for (const args of [['check', fixtures.template('global-dynamic')], ['scan', one]]) {
        const r = onTty(args, { NO_COLOR: '1' });
        assert.strictEqual(r.status, 0, r.stdout);
        assert.doesNotMatch(r.stdout, /\x1b/, `${args[0]}: no escape sequence`);
        assert.doesNotMatch(r.stdout.replace(/\r\n/g, '\n'), /\r/, `${args[0]}: no carriage return`);
      }
    });

    it('a long scan draws it and erases it before the report; never for --json, --format github or TERM=dumb', function () {
      const r = onTty(['scan', tree], { NO_COLOR: '1' });
      const lastDraw = r.stdout.lastIndexOf('\rscanned');
      assert.ok(lastDraw >= 0, 'progress is drawn');
      const erase = r.stdout.indexOf('\r\x1b[K', lastDraw + 1);
      assert.ok(erase > lastDraw, 'the last drawn line is erased');
      assert.ok(r.stdout.indexOf('scanned 40 native files under') > erase, 'the report comes after the erase');
      for (const [args, env] of [[['--json'], {}], [['--format', 'github'], {}], [[], { TERM: 'dumb' }]]) {
        assert.doesNotMatch(onTty(['scan', tree, ...args], env).stdout, /\x1b\[K|\rscanned/, `${args} ${JSON.stringify(env)}`);
      }
    });
  });

  describe('scan without a directory: the node_modules require() uses', function () {
    let ws;
    before(function () {
      ws = path.join(dir, 'ws');
      h.putFile(ws, 'package.json', { name: 'ws', private: true, workspaces: ['packages/*'] });
      h.putFile(ws, 'node_modules/addon/package.json', { name: 'addon', version: '1.0.0', main: 'index.js' });
      h.putFile(ws, 'node_modules/addon/index.js', 'module.exports = 1;\n');
      h.putFile(ws, 'node_modules/addon/build/Release/addon.node', fixtures.template('global-dynamic', 'glibc'));
      h.putFile(ws, 'packages/web/package.json', { name: 'web', version: '1.0.0', dependencies: { addon: '*' } });
    });

    it('in a workspace package without node_modules: the hoisted tree above, as Node resolves it', function () {
      const web = path.join(ws, 'packages', 'web');
      // the truth: where Node's own resolution finds the package from there
      const resolved = require.resolve('addon', { paths: [web] });
      const r = run(['scan', '--json'], { cwd: web });
      assert.strictEqual(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const judged = lines.filter((x) => x.path && x.verdict === 'compatible');
      assert.deepStrictEqual(judged.map((x) => path.resolve(web, x.path)),
        [path.join(path.dirname(resolved), 'build', 'Release', 'addon.node')]);
      assert.strictEqual(path.resolve(web, lines.at(-1).summary.dir), path.join(ws, 'node_modules'));
      // the API the same way: scan() without a directory
      const api = spawnSync(process.execPath, ['-e', `(async () => { const it = require(${JSON.stringify(h.ROOT)}).scan();
        const paths = []; for await (const r of it) paths.push(r.path); console.log(JSON.stringify([it.summary.dir, paths])); })()`],
      { cwd: web, encoding: 'utf8' });
      assert.deepStrictEqual(JSON.parse(api.stdout), [lines.at(-1).summary.dir, lines.slice(0, -1).map((x) => x.path)]);
      const text = run(['scan'], { cwd: web });
      assert.match(text.stderr, /^scanning \.\.\/\.\.\/node_modules \(no node_modules here/);
      assert.match(text.stdout, /scanned 1 native files under \.\.\/\.\.\/node_modules on host/);
    });

    it('its own node_modules first, as require() searches it first', function () {
      const api = path.join(ws, 'packages', 'api');
      h.putFile(api, 'package.json', { name: 'api', version: '1.0.0' });
      h.putFile(api, 'node_modules/local/package.json', { name: 'local', version: '1.0.0' });
      const paths = require('module')._nodeModulePaths(api).filter((p) => fs.existsSync(p));
      const r = run(['scan', '--json'], { cwd: api });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(path.resolve(api, JSON.parse(r.stdout.trim().split('\n').at(-1)).summary.dir), paths[0]);
    });

    it('none anywhere above: error TI_ENOENT, exit 2', function () {
      const lone = path.join(dir, 'lone', 'deep');
      fs.mkdirSync(lone, { recursive: true });
      const above = require('module')._nodeModulePaths(lone).filter((p) => fs.existsSync(p));
      if (above.length) h.skip(this, `a node_modules exists above the temp dir: ${above[0]}`);
      const r = run(['scan'], { cwd: lone });
      assert.strictEqual(r.status, 2);
      assert.match(r.stderr, /^tls-inspect: TI_ENOENT: no node_modules in /);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  });

  describe('several targets: a package x target table', function () {
    let nm;
    before(function () {
      if (!fixtures.list().musl) h.skip(this, 'musl-gcc not installed: no musl build for the tree');
      nm = path.join(dir, 'targets', 'node_modules');
      const gyp = { dependencies: { 'node-gyp-build': '^4' } };
      h.putFile(nm, 'glibc-only/package.json', { name: 'glibc-only', version: '1.0.0', ...gyp });
      h.putFile(nm, 'glibc-only/prebuilds/linux-x64/glibc-only.glibc.node', fixtures.template('global-dynamic', 'glibc'));
      h.putFile(nm, 'both/package.json', { name: 'both', version: '1.0.0', ...gyp });
      h.putFile(nm, 'both/prebuilds/linux-x64/both.glibc.node', fixtures.template('global-dynamic', 'glibc'));
      h.putFile(nm, 'both/prebuilds/linux-x64/both.musl.node', fixtures.template('global-dynamic', 'musl'));
      h.putFile(nm, 'big-tls/package.json', { name: 'big-tls', version: '1.0.0' });
      h.putFile(nm, 'big-tls/build/Release/big.node', fixtures.fixturePath('initial-exec', 1 << 20, 'glibc'));
    });

    it('each cell agrees with that target\'s own scan; the exit code is the worst of them', function () {
      if (process.arch !== 'x64') h.skip(this, 'the prebuilds are laid out for linux-x64');
      const targets = ['host', 'alpine', 'debian-12'];
      const r = run(['scan', nm, '--target', targets.join(',')], { env: { NO_COLOR: '1' } });
      const rows = new Map(r.stdout.split('\n').filter((l) => /^(glibc-only|both|big-tls)\s/.test(l))
        .map((l) => [l.split(/\s+/)[0], l.split(/\s+/).slice(1)]));
      const head = r.stdout.split('\n').find((l) => l.startsWith('PACKAGE')).split(/\s{2,}/).slice(1);
      // a column stands for every target whose column is the same, listed under the table
      const columnOf = (t) => head.findIndex((label) => label === t || (label.startsWith(`${t} +`)) ||
        r.stdout.split('\n').some((l) => l.startsWith(`  ${label}: `) && l.slice(label.length + 4).split(', ').includes(t)));
      let worst = 0;
      for (const t of targets) {
        // the truth: the one-target scan's JSON (the verdict of each file, and which were skipped)
        const one = run(['scan', nm, '--target', t, '--json']);
        worst = Math.max(worst, one.status);
        const files = one.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.path);
        for (const pkg of ['glibc-only', 'both', 'big-tls']) {
          const judged = files.filter((x) => x.path.includes(`/${pkg}/`) && x.verdict !== 'skipped');
          const noBinary = files.some((x) => x.package === pkg && (x.problems || []).some((p) => p.code === 'NO_BINARY'));
          const want = !judged.length ? (noBinary ? 'none!' : 'none') : judged.some((x) => x.verdict === 'incompatible') ? 'FAIL'
            : judged.some((x) => x.verdict === 'risky') ? 'warn' : 'ok';
          const merged = columnOf(t);
          assert.ok(merged >= 0, `a column for ${t}`);
          assert.strictEqual(rows.get(pkg)[merged], want, `${pkg} on ${t}`);
        }
      }
      assert.strictEqual(r.status, worst);
    });

    it('check --package --tree draws the binary the package selects', function () {
      const sel = JSON.parse(run(['check', '--package', path.join(nm, 'both'), '--json']).stdout);
      const r = JSON.parse(run(['check', '--package', '--tree', path.join(nm, 'both'), '--json']).stdout);
      assert.strictEqual(r.package, 'both');
      assert.strictEqual(r.tree.path, sel.selected);
      assert.strictEqual(r.verdict, sel.verdict);
      assert.match(run(['check', '--package', '--tree', path.join(nm, 'both')]).stdout, /^both@1\.0\.0 \(node-gyp-build\) on host: loads /);
    });

    it('--target all stays short; --verbose gives every report; --json keeps one line per file and target', function () {
      const short = run(['scan', nm, '--target', 'all']);
      const verbose = run(['scan', nm, '--target', 'all', '--verbose']);
      const json = run(['scan', nm, '--target', 'all', '--json']);
      const n = (s) => s.trim().split('\n').length;
      const targets = json.stdout.trim().split('\n').filter((l) => l.startsWith('{"summary"')).length;
      assert.ok(targets > 40, `presets: ${targets}`);
      assert.ok(n(short.stdout) < 40, short.stdout);
      assert.ok(n(verbose.stdout) > 3 * targets, 'a report per target');
      assert.strictEqual(verbose.stdout.match(/^scanned \d+ native files under/gm).length, targets);
      // 4 files and a summary per target, and one NO_BINARY result per package without a binary there
      const lines = json.stdout.trim().split('\n');
      const noBinary = lines.filter((l) => /"code":"NO_BINARY"/.test(l) && !l.startsWith('{"summary"')).length;
      assert.strictEqual(lines.length, targets * (4 + 1) + noBinary, '4 files and a summary per target');
      assert.strictEqual(short.status, verbose.status);
      assert.strictEqual(short.status, json.status);
    });
  });

  describe('check --tree: the load closure as the real loader walks it', function () {
    let t;
    before(function () {
      if (process.arch !== 'x64' || !LD_SO) h.skip(this, 'the fixtures are x86_64 objects for glibc\'s x86_64 loader');
      const { sharedObject, STT, STB } = require('./support/elf-build');
      t = path.join(dir, 'closure');
      const put = (rel, o) => h.putFile(t, rel, sharedObject(o).bytes);
      put('top.so', { needed: ['libA.so', 'libc.so.6'], runpaths: ['$ORIGIN/a'] });
      put('a/libA.so', { needed: ['libB.so', 'libR.so'], rpaths: ['$ORIGIN/../r'] });
      put('b/libB.so', { needed: ['libc.so.6', 'libR.so'] });
      put('r/libR.so', { needed: ['libresolv.so.2'], tls: { size: 64 } });
      put('miss.so', { needed: ['libnothere.so'] });
      put('ver.so', { needed: ['libc.so.6'], needs: [{ file: 'libc.so.6', versions: ['GLIBC_9.99'] }],
        syms: [{ name: 'puts', type: STT.FUNC, bind: STB.GLOBAL, need: ['libc.so.6', 'GLIBC_9.99'] }] });
    });

    // The real loader's account (LD_DEBUG=libs in trace mode, as ldd runs it):
    // name -> { path or null, rule of the search that found it }, first search only.
    function loaderSays(file, env) {
      const r = spawnSync(LD_SO, [file], { encoding: 'utf8', env: { ...process.env, ...env, LD_TRACE_LOADED_OBJECTS: '1', LD_DEBUG: 'libs' } });
      const found = new Map();
      for (const m of r.stdout.matchAll(/^\t(\S+) => (not found|(\S+) \(0x)/gm)) if (!found.has(m[1])) found.set(m[1], m[3] || null);
      const rules = new Map();
      let name = null;
      let rule = null;
      for (const line of r.stderr.split('\n')) {
        let m;
        if ((m = /find library=(\S+) \[\d+\]; searching/.exec(line))) {
          name = rules.has(m[1]) ? null : m[1];
          rule = null;
        } else if ((m = /search path=.*\t\((LD_LIBRARY_PATH|RUNPATH|RPATH|system search path)/.exec(line))) rule = m[1];
        else if (/search cache=/.test(line)) rule = 'cache';
        else if ((m = /trying file=(\S+)/.exec(line)) && name && found.get(name) === m[1]) {
          rules.set(name, rule);
          name = null;
        }
      }
      return { found, rules, stdout: r.stdout, stderr: r.stderr };
    }

    const RULES = { RUNPATH: /^RUNPATH of /, RPATH: /^RPATH of /, LD_LIBRARY_PATH: /^LD_LIBRARY_PATH$/, cache: /^ld\.so\.cache$/,
      'system search path': /^default directories$/ };

    function nodes(n, out = []) {
      if (!n.seen) out.push(n);
      for (const k of n.children || []) nodes(k, out);
      return out;
    }

    it('each library where the loader finds it, by the rule it used; TLS as readelf reads it', function () {
      const env = { LD_LIBRARY_PATH: path.join(t, 'b') };
      const truth = loaderSays(path.join(t, 'top.so'), env);
      const r = run(['check', '--tree', path.join(t, 'top.so'), '--json'], { env });
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      const all = nodes(JSON.parse(r.stdout).tree).slice(1);
      assert.deepStrictEqual(all.map((n) => n.name).sort(), [...truth.found.keys()].sort());
      for (const n of all) {
        assert.strictEqual(fs.realpathSync(n.path), fs.realpathSync(truth.found.get(n.name)), n.name);
        if (n.status === 'loaded') { // in the CLI's own process already: no search; its TLS as the file declares it
          const pt = h.readelfTls(fs.realpathSync(n.path));
          assert.strictEqual(n.tls ? n.tls.size : null, pt ? pt.size : null, n.name);
          continue;
        }
        assert.match(n.via, RULES[truth.rules.get(n.name)], `${n.name}: ${n.via} vs the loader's ${truth.rules.get(n.name)}`);
      }
      const byName = new Map(all.map((n) => [n.name, n]));
      assert.strictEqual(byName.get('libA.so').entry, '$ORIGIN/a');
      assert.strictEqual(byName.get('libR.so').entry, '$ORIGIN/../r');
      assert.strictEqual(byName.get('libR.so').tls.size, h.readelfTls(path.join(t, 'r', 'libR.so')).size);
      // a library is drawn under the object whose search found it, once
      assert.strictEqual(byName.get('libR.so').neededBy, 'libA.so');
      const text = run(['check', '--tree', path.join(t, 'top.so')], { env }).stdout;
      assert.match(text, /^└── libA\.so => .*\/a\/libA\.so {2}\[RUNPATH of top\.so: \$ORIGIN\/a\]$/m);
      assert.match(text, /^ {4}├── libR\.so => .*\[RPATH of libA\.so: \$ORIGIN\/\.\.\/r\] {2}TLS 64 B/m);
      assert.match(text, /^ {8}├── libR\.so \(above\)$/m);
    });

    it('what fails: a library not found, a version the library lacks', function () {
      const miss = loaderSays(path.join(t, 'miss.so'), {});
      assert.strictEqual(miss.found.get('libnothere.so'), null, 'the loader finds no libnothere.so');
      const m = JSON.parse(run(['check', '--tree', path.join(t, 'miss.so'), '--json']).stdout);
      assert.strictEqual(m.tree.children[0].status, 'missing');
      assert.deepStrictEqual(m.tree.children[0].problems.map((p) => p.code), ['MISSING_LIBRARY']);
      const ver = loaderSays(path.join(t, 'ver.so'), {});
      assert.match(ver.stdout + ver.stderr, /version `GLIBC_9\.99' not found/);
      const v = run(['check', '--tree', path.join(t, 'ver.so'), '--json']);
      assert.strictEqual(v.status, 1);
      const libc = JSON.parse(v.stdout).tree.children.find((k) => k.name === 'libc.so.6');
      assert.ok(libc.problems.some((p) => p.severity === 'error' && p.message.includes('GLIBC_9.99')), JSON.stringify(libc));
      assert.match(run(['check', '--tree', path.join(t, 'ver.so')]).stdout, /libc\.so\.6 => .*\n\s+\S+: needs GLIBC_9\.99/);
    });

    it('is in check --help, and refuses --together', function () {
      assert.match(run(['check', '--help']).stdout, /--tree/);
      const r = run(['check', '--tree', '--together', path.join(t, 'top.so')]);
      assert.strictEqual(r.status, 2);
    });
  });
});
