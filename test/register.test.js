'use strict';
// tls-inspect/register touches only the loader's own errors, and leaves the
// error's text intact whatever the path holds.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const child = path.join(__dirname, 'child', 'register-load.js');

// Addons whose NAPI_MODULE_INIT throws what a loader failure looks like: a
// coded ERR_DLOPEN_FAILED with glibc's missing-library text, and a plain
// Error with an undefined-symbol text naming the addon itself.
const INIT_THROWS = `#include <node_api.h>
NAPI_MODULE_INIT() {
#ifdef TI_CODED
  napi_throw_error(env, "ERR_DLOPEN_FAILED", "libti-plugin.so: cannot open shared object file: No such file or directory");
#else
  napi_throw_error(env, NULL, TI_SELF ": undefined symbol: ti_plugin_entry");
#endif
  return NULL;
}
`;

describe('tls-inspect/register: only the loader\'s own errors', function () {
  this.timeout(60000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-register-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function buildInitThrows(name, defines) {
    const include = require('../scripts/nodedir').nodeApiInclude();
    if (!include) return null;
    const src = path.join(dir, 'init_throws.c');
    fs.writeFileSync(src, INIT_THROWS);
    const out = path.join(dir, name);
    const r = spawnSync(process.env.CC || 'cc', ['-O2', '-fPIC', '-shared', `-I${include}`, ...defines, '-o', out, src],
      { encoding: 'utf8' });
    return r.status === 0 ? out : null;
  }

  it('whatever the init code throws is what require() rethrows: throwing getters, Proxies, revoked Proxies', function () {
    const include = require('../scripts/nodedir').nodeApiInclude();
    if (!include) h.skip(this, 'no Node-API headers to build an addon');
    const src = path.join(dir, 'hostile.c');
    fs.writeFileSync(src, `#include <node_api.h>
NAPI_MODULE_INIT() {
  napi_value global, fn, result;
  if (napi_get_global(env, &global) == napi_ok &&
      napi_get_named_property(env, global, "__tiThrow", &fn) == napi_ok)
    napi_call_function(env, global, fn, 0, NULL, &result);
  return NULL;
}
`);
    const addon = path.join(dir, 'hostile.node');
    const r = spawnSync(process.env.CC || 'cc', ['-O2', '-fPIC', '-shared', `-I${include}`, '-o', addon, src], { encoding: 'utf8' });
    if (r.status !== 0) h.skip(this, `no C compiler: ${r.stderr || r.error}`);
    const hostile = path.join(__dirname, 'child', 'register-hostile.js');
    for (const kind of ['getter', 'proxy', 'revoked', 'string', 'null']) {
      for (const mode of ['plain', 'register']) {
        const got = h.nodeJson(hostile, [addon, kind, mode]);
        assert.strictEqual(got.same, true, `${kind} (${mode}): ${got.what}`);
      }
    }
  });

  it('an exception thrown by the addon\'s init code is rethrown untouched', function () {
    const coded = buildInitThrows('coded.node', ['-DTI_CODED']);
    const self = path.join(dir, 'self.node');
    const plainError = buildInitThrows('self.node', [`-DTI_SELF="${self}"`]);
    if (!coded || !plainError) h.skip(this, 'no C compiler or Node-API headers to build an addon');
    for (const file of [coded, plainError]) {
      const plain = h.nodeJson(child, [file, 'plain']);
      const wrapped = h.nodeJson(child, [file, 'register']);
      assert.strictEqual(plain.loaded, false);
      assert.match(plain.message, /cannot open shared object file|undefined symbol/, 'it looks like a loader error');
      assert.deepStrictEqual([wrapped.code, wrapped.message, wrapped.stackHead, wrapped.tlsInspect],
        [plain.code, plain.message, plain.stackHead, null], file);
      assert.strictEqual(wrapped.diagnosesInStack, 0);
    }
  });

  it('while dlopen\'s own failures, and Node\'s "did not self-register", are still explained', function () {
    const undef = path.join(dir, 'undef.node');
    fs.copyFileSync(fixtures.template('undefined'), undef);
    assert.strictEqual(h.nodeJson(child, [undef, 'register']).tlsInspect.code, 'UNDEFINED_SYMBOL');
    const culprit = path.join(dir, 'culprit.node');
    fs.copyFileSync(fixtures.template('culprit'), culprit);
    const r = h.nodeJson(child, [culprit, 'register']);
    assert.strictEqual(r.code, 'ERR_DLOPEN_FAILED');
    assert.strictEqual(r.tlsInspect.code, 'MODULE_NOT_REGISTERED');
  });

  it('a path holding "$&", "$\'" and "$`" leaves the message and stack intact', function () {
    const odd = path.join(dir, 'a$&b$\'c$`d$$e');
    fs.mkdirSync(odd);
    const file = path.join(odd, 'undef.node');
    fs.copyFileSync(fixtures.template('undefined'), file);
    const plain = h.nodeJson(child, [file, 'plain']);
    const wrapped = h.nodeJson(child, [file, 'register']);
    assert.ok(plain.message.includes(file));
    assert.ok(wrapped.message.startsWith(`${plain.message}\n\ntls-inspect: UNDEFINED_SYMBOL`));
    assert.ok(wrapped.stack.startsWith(`Error: ${wrapped.message}\n    at `), wrapped.stack.slice(0, 600));
    assert.strictEqual(wrapped.diagnosesInStack, 1);
    assert.strictEqual(wrapped.tlsInspect.module, file);
  });
});

describe('tls-inspect/register: package loaders\' wrappers, hostile throws from JS, workers', function () {
  this.timeout(60000);
  const wrapperChild = path.join(__dirname, 'child', 'register-wrapper.js');

  it('napi-rs "Cannot find native binding" is annotated from its cause: the real dlopen failure', function () {
    const addon = fixtures.template('undefined');
    const plain = h.nodeJson(wrapperChild, ['wrapper', addon, 'plain']);
    const wrapped = h.nodeJson(wrapperChild, ['wrapper', addon, 'register']);
    assert.strictEqual(plain.tlsInspect, null);
    assert.deepStrictEqual(wrapped.tlsInspect, { code: 'UNDEFINED_SYMBOL', symbol: 'ti_missing_data' });
    assert.strictEqual(wrapped.message.split('\n')[0], plain.message, 'the original message comes first');
    assert.match(wrapped.message, /tls-inspect: UNDEFINED_SYMBOL/);
    assert.deepStrictEqual([wrapped.ctor, wrapped.causeCode], [plain.ctor, plain.causeCode]);
    assert.strictEqual(plain.causeCode, 'ERR_DLOPEN_FAILED', 'the cause chain is the real one');
  });

  it('what a JS module throws is what require() rethrows (getters, Proxies, revoked Proxies)', function () {
    for (const kind of ['getter', 'message', 'proxy', 'revoked', 'wrapper']) {
      assert.strictEqual(h.nodeJson(wrapperChild, ['hostile', '-', kind]).same, true, kind);
    }
  });

  it('a Worker started after require(\'tls-inspect/register\') has the hook, and keeps its own execArgv', function () {
    const got = h.nodeJson(wrapperChild, ['worker', fixtures.template('undefined')]);
    assert.strictEqual(got.code, 'UNDEFINED_SYMBOL', JSON.stringify(got));
    assert.ok(got.execArgv.includes('--no-warnings'), JSON.stringify(got.execArgv));
    assert.strictEqual(got.execArgv.filter((a) => a === '--require').length, 1);
  });

  it('workerExecArgv adds the hook once and never drops the caller\'s options', function () {
    const { workerExecArgv, REGISTER } = require('../lib/loader/register');
    assert.deepStrictEqual(workerExecArgv(['--inspect=0', '-r', 'x']), ['--inspect=0', '-r', 'x', '--require', REGISTER]);
    const once = workerExecArgv(['--require', REGISTER]);
    assert.deepStrictEqual(once, ['--require', REGISTER]);
    assert.deepStrictEqual(workerExecArgv(['-r', 'tls-inspect/register']), ['-r', 'tls-inspect/register']);
  });
});
