'use strict';
// Every message here comes from the real loader (glibc in Node, musl through
// the ti-probe), except where noted: nothing the loader can say is typed in.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const haveMusl = () => Boolean(fixtures.list().musl) && fs.existsSync('/lib/ld-musl-x86_64.so.1');

// A failed process.dlopen in this process (a failure spends no static TLS).
function glibcError(file) {
  try {
    process.dlopen({ exports: {} }, file);
  } catch (e) {
    return e;
  }
  throw new Error(`${file} loaded`);
}

function muslError(file) {
  const r = JSON.parse(execFileSync(fixtures.template('probe', 'musl'), ['--dlopen', file], { encoding: 'utf8' }));
  assert.strictEqual(r.loads[0].loaded, false, `${file} loaded under musl`);
  return r.loads[0].error;
}

describe('explain(): glibc messages from the real loader', function () {
  this.timeout(60000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-explain-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('cannot allocate memory in static TLS block: the culprit symbol and the tunable that fits', async function () {
    const bytes = ti.staticTls().remaining + 8192;
    const r = await ti.reproduce({ model: 'initial-exec', bytes });
    const d = ti.explain(r.error);
    assert.strictEqual(d.kind, 'static-tls');
    assert.strictEqual(d.code, 'STATIC_TLS_EXHAUSTED');
    assert.strictEqual(d.module, r.fixture);
    assert.deepStrictEqual(d.tlsSymbols[0], { name: 'ti_fixture_block', demangled: null, size: bytes, bind: 'global', defined: true });
    const fixed = await ti.reproduce({ model: 'initial-exec', bytes, tunables: d.tunable.replace('GLIBC_TUNABLES=', '') });
    assert.strictEqual(fixed.loaded, true, 'the suggested tunable works');
  });

  it('version `GLIBC_x\' not found (required by ...)', function () {
    const src = fs.readFileSync(fixtures.template('threads'));
    const patched = Buffer.from(src);
    patched.write('GLIBC_2.99', src.indexOf('GLIBC_2.34'), 'latin1'); // same length: a version no glibc has
    const file = path.join(dir, 'needs-2.99.so');
    fs.writeFileSync(file, patched);
    const e = glibcError(file);
    assert.strictEqual(e.code, 'ERR_DLOPEN_FAILED');
    const d = ti.explain(e);
    assert.strictEqual(d.code, 'GLIBC_TOO_OLD');
    assert.strictEqual(d.version, 'GLIBC_2.99');
    assert.strictEqual(d.module, file);
    assert.match(d.definedIn, /libc\.so\.6$/);
    assert.ok(d.check.problems.some((p) => p.code === 'GLIBC_TOO_OLD'), 'check() agrees');
  });

  it('cannot open shared object file (the path comes from the caller)', function () {
    const file = fixtures.template('needs-dep');
    const d = ti.explain(glibcError(file), { path: file });
    assert.strictEqual(d.code, 'MISSING_LIBRARY');
    assert.strictEqual(d.library, 'libti-dep.so');
    assert.strictEqual(d.module, file);
    assert.ok(d.check.problems.some((p) => p.code === 'MISSING_LIBRARY' && p.library === 'libti-dep.so'));
  });

  it('undefined symbol', function () {
    const file = fixtures.template('undefined');
    const d = ti.explain(glibcError(file));
    assert.deepStrictEqual([d.code, d.module, d.symbol], ['UNDEFINED_SYMBOL', file, 'ti_missing_data']);
  });

  it('wrong ELF class and invalid ELF header', function () {
    const e32 = Buffer.from(fs.readFileSync(fixtures.template('global-dynamic')));
    e32[4] = 1; // ELFCLASS32
    const f32 = path.join(dir, 'class32.so');
    fs.writeFileSync(f32, e32);
    const d = ti.explain(glibcError(f32));
    assert.deepStrictEqual([d.code, d.module, d.elfClass], ['ARCH_MISMATCH', f32, 'ELFCLASS32']);
    const text = path.join(dir, 'text.node');
    fs.writeFileSync(text, 'this is a text file, not a shared library, and it is longer than an ELF header\n');
    const t = ti.explain(glibcError(text));
    assert.deepStrictEqual([t.code, t.module], ['NOT_ELF', text]);
    const short = path.join(dir, 'short.node');
    fs.writeFileSync(short, 'tiny');
    assert.deepStrictEqual([ti.explain(glibcError(short)).code, ti.explain(glibcError(short)).module], ['NOT_ELF', short]);
  });

  it('cannot enable executable stack (typed: glibc 2.36 still allows it, 2.41+ refuses)', function () {
    const file = fixtures.template('execstack');
    assert.strictEqual(ti.analyzeSync(file).flags.execStack, true, 'readelf-verified PF_X stack');
    const d = ti.explain(`${file}: cannot enable executable stack as shared object requires: Invalid argument`);
    assert.deepStrictEqual([d.code, d.module], ['EXEC_STACK', file]);
  });

  it('Module did not self-register (Node\'s own message)', function () {
    const file = fixtures.template('culprit');
    const d = ti.explain(glibcError(file));
    assert.deepStrictEqual([d.code, d.module], ['MODULE_NOT_REGISTERED', file]);
  });

  it('Node\'s wrapping: an error object, or its printed form with "Error: "', function () {
    const file = fixtures.template('undefined');
    const e = glibcError(file);
    assert.strictEqual(ti.explain(String(e)).symbol, 'ti_missing_data');
    assert.strictEqual(ti.explain(e.stack).code, 'UNDEFINED_SYMBOL');
  });

  it('unknown messages are kind "unknown", not a guess', function () {
    const d = ti.explain(new Error('ECONNRESET: socket hang up'));
    assert.deepStrictEqual([d.kind, d.code, d.fix, d.check], ['unknown', null, null, null]);
  });
});

describe('explain(): musl messages from the real musl loader', function () {
  before(function () { if (!haveMusl()) h.skip(this, 'musl is not installed'); });

  it('initial-exec TLS resolves to dynamic definition', function () {
    const file = fixtures.fixturePath('initial-exec', 8, 'musl');
    const d = ti.explain(muslError(file));
    assert.deepStrictEqual([d.code, d.module, d.symbol, d.definedIn, d.libc],
      ['MUSL_INITIAL_EXEC', file, 'ti_fixture_block', file, 'musl']);
    assert.ok(d.check.problems.some((p) => p.code === 'MUSL_INITIAL_EXEC'));
  });

  it('symbol not found; a glibc build on musl becomes LIBC_MISMATCH', function () {
    const file = fixtures.template('undefined', 'musl');
    const d = ti.explain(muslError(file));
    assert.deepStrictEqual([d.code, d.module, d.symbol], ['UNDEFINED_SYMBOL', file, 'ti_missing_data']);
    const glibcBuild = fixtures.template('glibc-only', 'glibc');
    const g = ti.explain(muslError(glibcBuild));
    assert.deepStrictEqual([g.code, g.symbol], ['LIBC_MISMATCH', 'gnu_get_libc_version']);
  });

  it('Error loading shared library ... (needed by ...)', function () {
    const file = fixtures.template('needs-dep', 'musl');
    const d = ti.explain(muslError(file));
    assert.deepStrictEqual([d.code, d.library, d.module], ['MISSING_LIBRARY', 'libti-dep.so', file]);
  });
});

describe('explain(): linear in its input, and bounded', function () {
  this.timeout(120000);
  const explainJs = path.join(h.ROOT, 'lib', 'loader', 'explain.js');

  // Adversarial messages, explained in a child that is killed if it hangs:
  // nested lazy patterns made some of these take minutes.
  it('long and adversarial messages are answered at once (guard: 5 s each, in a child)', function () {
    const script = `const { explain } = require(${JSON.stringify(explainJs)});
      const big = (unit, bytes) => unit.repeat(Math.ceil(bytes / unit.length));
      const out = {};
      for (const bytes of [96 * 1024, 8 << 20]) {
        for (const [name, text] of Object.entries({
          relocating: big('Error relocating x: ', bytes),
          relocatingColons: 'Error relocating ' + big('a: ', bytes),
          loading: big('Error loading shared library a: No such file or directory (needed by ', bytes),
          versions: big("a: version \`x' not found (required by ", bytes),
          quotes: big(': version \`', bytes) + "x' not found (required by y)",
          selfRegister: big("Module did not self-register: '", bytes),
          colons: big(': ', bytes), lines: big('a: b: c\\n', bytes), spaces: 'x' + ' '.repeat(bytes) + 'y',
        })) {
          const t = process.hrtime.bigint();
          const d = explain(text);
          out[name + bytes] = { ms: Number(process.hrtime.bigint() - t) / 1e6, kind: d.kind, first: d.message.length };
        }
      }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 90000, maxBuffer: 1 << 20 });
    assert.strictEqual(r.status, 0, `killed or failed (${r.signal}): ${r.stderr.slice(-2000)}`);
    const out = JSON.parse(r.stdout);
    assert.strictEqual(Object.keys(out).length, 18);
    for (const [name, v] of Object.entries(out)) {
      assert.ok(v.ms < 5000, `${name}: ${v.ms} ms`);
      assert.ok(v.first <= 64 * 1024, `${name}: a first line of ${v.first} characters came back`);
    }
  });

  it('a long C++ symbol or path is kept whole; only the first 64 KiB is read', function () {
    const symbol = `_ZN${'N3foo3barE'.repeat(2000)}v`;
    const file = fixtures.template('undefined');
    const d = ti.explain(`Error: ${file}: undefined symbol: ${symbol}`);
    assert.deepStrictEqual([d.code, d.module, d.symbol], ['UNDEFINED_SYMBOL', file, symbol]);
    const deep = `/${'d/'.repeat(15000)}lib.so`;
    assert.strictEqual(ti.explain(`${deep}: cannot allocate memory in static TLS block`).module, deep);
    const msg = `${file}: undefined symbol: ti_missing_data`;
    assert.strictEqual(ti.explain(`${'x'.repeat(1000)}\n${msg}`).code, 'UNDEFINED_SYMBOL');
    assert.strictEqual(ti.explain(`${'x'.repeat(64 * 1024)}\n${msg}`).kind, 'unknown');
  });

  it('readMessage() reads at most the limit from an endless stream, then stops', async function () {
    const { readMessage, MESSAGE_LIMIT } = require('../lib/loader/explain');
    assert.strictEqual(MESSAGE_LIMIT, 64 * 1024);
    const zero = fs.createReadStream('/dev/zero');
    const text = await readMessage(zero);
    assert.strictEqual(text.length, MESSAGE_LIMIT);
    assert.ok(zero.bytesRead <= 2 * MESSAGE_LIMIT, `${zero.bytesRead} bytes read`);
    assert.ok(zero.destroyed);
    let pulled = 0;
    const endless = new (require('stream').Readable)({ read() { pulled++; this.push(Buffer.alloc(1000, 0x61)); } });
    assert.strictEqual(await readMessage(endless, 4500), 'a'.repeat(4500));
    assert.ok(pulled <= 5 + 16, `${pulled} chunks pulled`);
    assert.strictEqual(await readMessage(require('stream').Readable.from([Buffer.from('héllo '), 'wörld'])), 'héllo wörld');
    await assert.rejects(readMessage(zero, 0), { code: 'TI_EINVAL' });
    // A process reading its stdin from /dev/zero (the CLI's case) ends promptly.
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(explainJs)}).readMessage(process.stdin)
      .then((m) => console.log(m.length))`], { stdio: [fs.openSync('/dev/zero', 'r'), 'pipe', 'pipe'],
      encoding: 'utf8', timeout: 30000 });
    assert.strictEqual(r.stdout.trim(), String(MESSAGE_LIMIT), r.stderr || String(r.signal));
  });
});

describe('tls-inspect/register', function () {
  this.timeout(60000);
  const child = path.join(__dirname, 'child', 'register-load.js');
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-register-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a failing require() keeps its class, code and first line, and gains err.tlsInspect', function () {
    const big = path.join(dir, 'big-ie.node');
    fs.copyFileSync(fixtures.fixturePath('initial-exec', 256 * 1024), big);
    const plain = h.nodeJson(child, [big, 'plain']);
    const wrapped = h.nodeJson(child, [big, 'register']);
    assert.strictEqual(plain.loaded, false);
    assert.strictEqual(wrapped.ctor, plain.ctor);
    assert.strictEqual(wrapped.code, plain.code);
    assert.strictEqual(wrapped.message.split('\n')[0], plain.message);
    assert.strictEqual(wrapped.stackHead, plain.stackHead);
    assert.strictEqual(wrapped.tlsInspect.code, 'STATIC_TLS_EXHAUSTED');
    assert.strictEqual(wrapped.tlsInspect.tlsSymbols[0].name, 'ti_fixture_block');
    assert.match(wrapped.message, /tls-inspect: STATIC_TLS_EXHAUSTED/);
    assert.strictEqual(wrapped.diagnosesInStack, 1, 'the printed stack carries the diagnosis once');
    assert.strictEqual(plain.diagnosesInStack, 0);
    assert.match(wrapped.message, /GLIBC_TUNABLES=glibc\.rtld\.optional_static_tls=\d+/);
  });

  it('a healthy addon loads exactly as without it, and nothing extra is loaded', function () {
    const addon = path.join(h.ROOT, 'build', 'Release', 'tls_inspect.node');
    const plain = h.nodeJson(child, [addon, 'plain']);
    const wrapped = h.nodeJson(child, [addon, 'register']);
    assert.strictEqual(wrapped.loaded, true);
    assert.deepStrictEqual(wrapped.exportKeys, plain.exportKeys);
    const extra = (list) => list.filter((f) => !f.startsWith('test/') && f !== path.relative(h.ROOT, addon));
    assert.deepStrictEqual(extra(wrapped.cached), ['lib/loader/register.js', 'register.js']);
    assert.deepStrictEqual(extra(plain.cached), []);
  });

  it('works in worker_threads and through NODE_OPTIONS', function () {
    const file = path.join(dir, 'undef.node');
    fs.copyFileSync(fixtures.template('undefined'), file);
    const w = h.nodeJson(child, [file, 'worker']);
    assert.strictEqual(w.loaded, false);
    assert.strictEqual(w.tlsInspect.code, 'UNDEFINED_SYMBOL');
    const r = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(file)}) } catch (e) {
      console.log(JSON.stringify({ code: e.code, diag: e.tlsInspect && e.tlsInspect.code })) }`], { encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: `-r ${path.join(h.ROOT, 'register.js')}` } });
    assert.deepStrictEqual(JSON.parse(r.stdout), { code: 'ERR_DLOPEN_FAILED', diag: 'UNDEFINED_SYMBOL' });
  });
});

describe('modules(): preloaded', function () {
  it('marks what LD_PRELOAD put in the process, and nothing else', function () {
    const lib = fixtures.fixturePath('global-dynamic', 64);
    const script = `const m = require(${JSON.stringify(h.ROOT)}).modules();
      console.log(JSON.stringify(m.filter((x) => x.preloaded).map((x) => x.path)))`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: lib } });
    assert.deepStrictEqual(JSON.parse(r.stdout), [lib]);
    assert.ok(ti.modules().every((m) => m.preloaded === false));
  });
});

describe('the explain CLI', function () {
  const bin = path.join(h.ROOT, 'bin', 'tls-inspect.js');
  it('takes the message as an argument or on stdin; --json; exit 0 known, 1 unknown', function () {
    const msg = String(glibcError(fixtures.template('undefined')).message);
    const a = spawnSync(process.execPath, [bin, 'explain', msg], { encoding: 'utf8' });
    assert.strictEqual(a.status, 0, a.stderr);
    assert.match(a.stdout, /tls-inspect: UNDEFINED_SYMBOL/);
    const b = spawnSync(process.execPath, [bin, 'explain', '--json'], { encoding: 'utf8', input: msg });
    assert.strictEqual(JSON.parse(b.stdout).symbol, 'ti_missing_data');
    assert.strictEqual(spawnSync(process.execPath, [bin, 'explain', 'hello'], { encoding: 'utf8' }).status, 1);
  });
});
