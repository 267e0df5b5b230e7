'use strict';
// explain() against what users really paste: 118 loader messages copied from
// public issue threads (test/explain-corpus/messages.json, each with its
// source URL and the cause the thread established), plus errors made here
// and wrapped the way package loaders wrap them.  The facts explain() decides
// with (which symbols only glibc has) are checked against the real glibc and
// musl libraries on this machine.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const { score } = require('../scripts/explain-corpus');

const CORPUS = require('./explain-corpus/messages.json').messages;
const MUSL_LIBC = '/lib/ld-musl-x86_64.so.1';
const GLIBC_LIBC = '/lib/x86_64-linux-gnu/libc.so.6';

// Names a library exports, from readelf (defined, global or weak, default version).
function readelfExports(file) {
  const out = execFileSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const names = new Set();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[6] === 'UND' || !/^(GLOBAL|WEAK)$/.test(f[4])) continue;
    names.add(f[7].replace(/@.*$/, ''));
  }
  return names;
}

function dlopenError(file) {
  try {
    process.dlopen({ exports: {} }, file);
  } catch (e) {
    return e;
  }
  throw new Error(`${file} loaded`);
}

describe('explain(): the corpus of real messages', function () {
  it('has every class at least twice, each message with its public source', function () {
    const counts = {};
    for (const m of CORPUS) {
      assert.match(m.source, /^https:\/\/github\.com\/[^/]+\/[^/]+\/(issues|pull)\/\d+$/, m.source);
      assert.ok(m.message && m.package && m.expect.code, JSON.stringify(m).slice(0, 200));
      counts[m.expect.code] = (counts[m.expect.code] || 0) + 1;
    }
    for (const code of ['LIBC_MISMATCH', 'UNDEFINED_SYMBOL', 'NODE_ABI_MISMATCH', 'NAPI_VERSION', 'NOT_ELF', 'ARCH_MISMATCH',
      'EXEC_STACK', 'MODULE_NOT_REGISTERED', 'NO_BINARY', 'GLIBC_TOO_OLD', 'GLIBCXX_TOO_OLD', 'MISSING_LIBRARY',
      'STATIC_TLS_EXHAUSTED']) {
      assert.ok(counts[code] >= 2, `${code}: ${counts[code] || 0} messages`);
    }
    assert.ok(CORPUS.length >= 80);
  });

  it('names the right cause, module and symbol for at least 95% of the messages', function () {
    const s = score(CORPUS);
    assert.ok(s.right / s.total >= 0.95, `${s.right}/${s.total}: ${JSON.stringify(s.failed.slice(0, 5), null, 1)}`);
  });

  it('every code it gives is in the catalogue, with a fix', function () {
    const { CODES } = require('../lib/loader/problems');
    for (const m of CORPUS) {
      const d = ti.explain(m.message, { check: false });
      assert.ok(CODES.includes(d.code), `${d.code} (${m.source})`);
      assert.ok(typeof d.fix === 'string' && d.fix.length > 20, m.source);
    }
  });
});

describe('explain(): the facts behind LIBC_MISMATCH agree with the real libraries', function () {
  it('each symbol the corpus blames on a glibc build is exported by glibc and not by musl', function () {
    if (!fs.existsSync(MUSL_LIBC) || !fs.existsSync(GLIBC_LIBC)) this.skip(); // needs both libcs on this machine
    const musl = readelfExports(MUSL_LIBC);
    const glibc = new Set();
    for (const lib of ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1']) {
      const f = path.join(path.dirname(GLIBC_LIBC), lib);
      if (fs.existsSync(f)) for (const n of readelfExports(f)) glibc.add(n);
    }
    let n = 0;
    for (const m of CORPUS.filter((x) => x.expect.code === 'LIBC_MISMATCH' && x.expect.symbol)) {
      const d = ti.explain(m.message, { check: false });
      assert.strictEqual(d.code, 'LIBC_MISMATCH', m.source);
      assert.ok(glibc.has(d.symbol), `${d.symbol}: not in glibc`);
      assert.ok(!musl.has(d.symbol), `${d.symbol}: musl has it`);
      n++;
    }
    assert.ok(n >= 10);
  });

  it('a symbol a later musl added is not blamed on glibc: it names the musl release', function () {
    const d = ti.explain('Error relocating /opt/x/addon.node: statx: symbol not found', { check: false });
    assert.strictEqual(d.code, 'UNDEFINED_SYMBOL');
    assert.match(d.needs, /^musl 1\.2\.5/);
    if (!fs.existsSync(MUSL_LIBC)) return;
    // this machine's musl agrees: it exports statx exactly when it is 1.2.5 or newer
    const r = spawnSync(MUSL_LIBC, [], { encoding: 'utf8' });
    const m = /Version (\d+\.\d+\.\d+)/.exec(`${r.stdout}${r.stderr}`);
    if (!m) return;
    const newer = require('../lib/version').cmpVersion(m[1], '1.2.5') >= 0;
    assert.strictEqual(readelfExports(MUSL_LIBC).has('statx'), newer, `musl ${m[1]}`);
  });

  it('macOS dyld\'s "symbol not found in flat namespace" is not taken for musl', function () {
    // https://github.com/HashLips/hashlips_art_engine/issues/185
    const d = ti.explain("Error: dlopen(/Users/w/node_modules/canvas/build/Release/canvas.node, 0x0001): symbol not found in flat namespace '_cairo_fill'", { check: false });
    assert.strictEqual(d.kind, 'unknown');
  });

  it('an addon\'s own missing symbol (ICU, its own C++) stays UNDEFINED_SYMBOL', function () {
    for (const sym of ['ucnv_open_61', '_ZN11OverTheWire7Routing7fromSysB5cxx11Ev']) {
      const d = ti.explain(`Error relocating /app/x.node: ${sym}: symbol not found`, { check: false });
      assert.strictEqual(d.code, 'UNDEFINED_SYMBOL', sym);
    }
  });
});

describe('explain(): wrappers and causes', function () {
  let dir;
  let notElf;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-explain-corpus-'));
    notElf = path.join(dir, 'addon.node');
    fs.writeFileSync(notElf, '#!/bin/sh\necho this is no ELF file, it is long enough to be read\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('follows err.cause through a napi-rs style wrapper to the loader\'s own error', function () {
    const real = dlopenError(notElf); // glibc: "<file>: invalid ELF header"
    const missing = Object.assign(new Error("Cannot find module '@scope/pkg-linux-x64-gnu'"), { code: 'MODULE_NOT_FOUND' });
    const wrapper = new Error('Cannot find native binding. npm has a bug related to optional dependencies', { cause: [missing, real] });
    const d = ti.explain(wrapper, { check: false });
    assert.strictEqual(d.code, 'NOT_ELF');
    assert.strictEqual(d.module, notElf);
    // without the loader's error, the missing platform package is the cause
    const d2 = ti.explain(new Error('Cannot find native binding.', { cause: missing }), { check: false });
    assert.strictEqual(d2.code, 'NO_BINARY');
    assert.strictEqual(d2.package, '@scope/pkg-linux-x64-gnu');
    assert.deepStrictEqual(d2.platform, { os: 'linux', cpu: 'x64', libc: 'glibc' });
    assert.match(d2.fix, /npm install --os=linux --cpu=x64 --libc=glibc/);
    assert.match(d2.fix, /supportedArchitectures/);
  });

  it('follows an AggregateError and a chain of causes; the first loader error wins', function () {
    const a = dlopenError(notElf);
    const b = new Error('/x/other.node: wrong ELF class: ELFCLASS32');
    const d = ti.explain(new AggregateError([new Error('nothing here'), new Error('wrapper', { cause: a }), b], 'load failed'), { check: false });
    assert.strictEqual(d.code, 'NOT_ELF');
    assert.strictEqual(d.module, notElf);
  });

  it('survives causes that are cyclic, deep, or throw when read', function () {
    const e = new Error('top');
    e.cause = e;
    assert.strictEqual(ti.explain(e).kind, 'unknown');
    let deep = new Error(`${notElf}: invalid ELF header`);
    for (let i = 0; i < 100; i++) deep = new Error('wrap', { cause: deep });
    assert.strictEqual(ti.explain(deep, { check: false }).kind, 'unknown'); // deeper than followed: bounded
    const hostile = new Proxy({}, { get() { throw new Error('trap'); } });
    assert.strictEqual(ti.explain(hostile).kind, 'unknown');
    const getter = Object.defineProperty(new Error('x'), 'cause', { get() { throw new Error('getter'); } });
    assert.strictEqual(ti.explain(getter).kind, 'unknown');
  });

  it('input does not decide the time: 64 KiB of repeated markers take well under a second', function () {
    const L = 64 * 1024;
    for (const unit of ['Error relocating ', 'Error loading shared library a: (needed by ', ': symbol not found',
      ': version `', 'Cannot find module ', 'x\n', 'Could not locate the bindings file\n → /a/build/x.node\n',
      'was compiled against a different Node.js version using NODE_MODULE_VERSION ']) {
      const text = unit.repeat(Math.ceil(L / unit.length));
      const t = process.hrtime.bigint();
      ti.explain(text, { check: false });
      ti.explain(new Error('w', { cause: Array.from({ length: 40 }, () => new Error(text)) }), { check: false });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      assert.ok(ms < 1000, `${JSON.stringify(unit)}: ${ms} ms`);
    }
  });

  it('takes the clean module path out of Python, JSON and ld.so wrappers', function () {
    const f = '/usr/lib/libgomp.so.1';
    for (const text of [`ImportError: ${f}: cannot allocate memory in static TLS block`,
      `OSError: ${f}: cannot allocate memory in static TLS block`,
      `Original error: ${f}: cannot allocate memory in static TLS block.`,
      `["${f}: cannot allocate memory in static TLS block"]`,
      `OSError: ${f}: cannot\nallocate memory in static TLS block`]) {
      const d = ti.explain(text, { check: false });
      assert.strictEqual(d.code, 'STATIC_TLS_EXHAUSTED', text);
      assert.strictEqual(d.module, f, text);
    }
  });

  it('NODE_MODULE_VERSION names the Node releases; glibc advice names bases older than needed', function () {
    const d = ti.explain("Error: The module '/a/b.node'\nwas compiled against a different Node.js version using\n" +
      'NODE_MODULE_VERSION 108. This version of Node.js requires\nNODE_MODULE_VERSION 127. Please try re-compiling', { check: false });
    assert.strictEqual(d.code, 'NODE_ABI_MISMATCH');
    assert.deepStrictEqual(d.abi, { built: 108, running: 127 });
    assert.match(d.fix, /Node\.js 18 .*Node\.js 22 /);
    const g = ti.explain("Error: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.32' not found (required by /a/b.node)", { check: false });
    assert.strictEqual(g.code, 'GLIBC_TOO_OLD');
    const { PRESETS } = require('../lib/loader/targets');
    const named = [...g.fix.matchAll(/([a-z]+-[\d.]+) \(glibc ([\d.]+)\)/g)];
    assert.ok(named.length >= 1, g.fix);
    for (const [, base, v] of named) {
      assert.strictEqual(PRESETS[base].glibc, v);
      assert.ok(Number(v.split('.')[1]) < 32, `${base} ${v} is not older than 2.32`);
    }
  });
});
