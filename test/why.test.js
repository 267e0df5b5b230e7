'use strict';
// why(): every outcome comes from a real require() in a child Node (the real
// glibc loader, real fixtures, a package laid out as napi-rs lays them out).
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');

const BIN = path.join(__dirname, '..', 'bin', 'tls-inspect.js');
const ADDON = path.join(__dirname, '..', 'build', 'Release', 'tls_inspect.node');

describe('why(): require() in a child, then the real cause', function () {
  this.timeout(120000);
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-why-'));
    // a napi-rs style package: its index.js tries the local binary, then the
    // platform package, and throws "Cannot find native binding" with both errors as cause
    const pkg = path.join(dir, 'node_modules', 'napi-like');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'napi-like', version: '1.2.3', main: 'index.js' }));
    fs.writeFileSync(path.join(pkg, 'napi-like.linux-x64-gnu.node'), 'copied from a Mac: not an ELF file at all\n'.repeat(4));
    fs.writeFileSync(path.join(pkg, 'index.js'), [
      'const loadErrors = [];',
      "try { module.exports = require('./napi-like.linux-x64-gnu.node'); } catch (e) { loadErrors.push(e); }",
      "try { module.exports = require('napi-like-linux-x64-gnu'); } catch (e) { loadErrors.push(e); }",
      "throw new Error('Cannot find native binding. npm has a bug related to optional dependencies', { cause: loadErrors });",
    ].join('\n'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a module that loads: says so, with the static TLS it took, and judges its package', async function () {
    const w = await ti.why(ADDON);
    assert.strictEqual(w.loaded, true, JSON.stringify(w.error));
    assert.strictEqual(w.resolved, ADDON);
    assert.ok(w.staticTls && w.staticTls.taken >= 0 && w.staticTls.remainingAfter >= 0);
    assert.strictEqual(w.package.result.package, 'tls-inspect');
  });

  it('names the loader\'s error behind a package loader\'s wrapper, and its package', async function () {
    const w = await ti.why('napi-like', { cwd: dir });
    assert.strictEqual(w.loaded, false);
    assert.match(w.error.message, /Cannot find native binding/);
    const file = path.join(dir, 'node_modules', 'napi-like', 'napi-like.linux-x64-gnu.node');
    assert.strictEqual(w.diagnosis.code, 'NOT_ELF');
    assert.strictEqual(w.diagnosis.module, file);
    assert.match(w.diagnosis.fix, /\.dockerignore/);
    assert.strictEqual(w.package.dir, path.join(dir, 'node_modules', 'napi-like'));
    assert.strictEqual(w.package.result.package, 'napi-like');
  });

  it('static TLS exhausted: the culprit, and the process\'s environment reaches the child (the tunable fixes it)', async function () {
    const bytes = ti.staticTls().remaining + 4096;
    const r = await ti.reproduce({ model: 'initial-exec', bytes });
    assert.strictEqual(r.loaded, false);
    const w = await ti.why(r.fixture);
    assert.strictEqual(w.loaded, false);
    assert.strictEqual(w.diagnosis.code, 'STATIC_TLS_EXHAUSTED');
    assert.strictEqual(w.diagnosis.module, r.fixture);
    const tunable = w.diagnosis.tunable.replace('GLIBC_TUNABLES=', '');
    const fixed = await ti.why(r.fixture, { env: { ...process.env, GLIBC_TUNABLES: tunable } });
    assert.strictEqual(fixed.loaded, true, JSON.stringify(fixed.error));
    assert.ok(fixed.staticTls.taken >= bytes, JSON.stringify(fixed.staticTls));
  });

  it('a musl build on glibc: the root cause, not the linker script glibc trips over', async function () {
    let file;
    try {
      file = fixtures.template('addon', 'musl');
    } catch (_) {
      this.skip(); // no musl toolchain here: the fixture was not built
    }
    const w = await ti.why(file);
    assert.strictEqual(w.loaded, false);
    assert.strictEqual(w.diagnosis.code, 'LIBC_MISMATCH');
    assert.strictEqual(w.diagnosis.module, file);
  });

  it('an ES module package is imported, and its failure explained the same way', async function () {
    const pkg = path.join(dir, 'node_modules', 'esm-only');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'esm-only', version: '2.0.0', type: 'module',
      exports: { import: './index.js' } }));
    fs.writeFileSync(path.join(pkg, 'addon.node'), 'not ELF either, but long enough to be read as a header\n');
    fs.writeFileSync(path.join(pkg, 'index.js'), "import { createRequire } from 'module';\n" +
      "export default createRequire(import.meta.url)('./addon.node');\n");
    const w = await ti.why('esm-only', { cwd: dir });
    assert.strictEqual(w.loaded, false);
    assert.strictEqual(w.diagnosis.code, 'NOT_ELF');
    assert.strictEqual(w.diagnosis.module, path.join(pkg, 'addon.node'));
  });

  it('a module that is not installed: MODULE_NOT_FOUND, no loader diagnosis', async function () {
    const w = await ti.why('no-such-package-ti-why', { cwd: dir });
    assert.strictEqual(w.loaded, false);
    assert.strictEqual(w.error.code, 'MODULE_NOT_FOUND');
    assert.strictEqual(w.diagnosis.kind, 'unknown');
  });

  it('tls-inspect why: plain words, --json, exit 0 loads / 1 fails / 2 usage', function () {
    const ok = spawnSync(process.execPath, [BIN, 'why', ADDON], { encoding: 'utf8' });
    assert.strictEqual(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /works here/);
    const bad = spawnSync(process.execPath, [BIN, 'why', 'napi-like', '--json'], { encoding: 'utf8', cwd: dir });
    assert.strictEqual(bad.status, 1, bad.stderr);
    assert.strictEqual(JSON.parse(bad.stdout).diagnosis.code, 'NOT_ELF');
    const words = spawnSync(process.execPath, [BIN, 'why', 'napi-like'], { encoding: 'utf8', cwd: dir });
    assert.match(words.stdout, /What went wrong: NOT_ELF/);
    assert.match(words.stdout, /Fix: /);
    const usage = spawnSync(process.execPath, [BIN, 'why'], { encoding: 'utf8' });
    assert.strictEqual(usage.status, 2);
  });
});
