'use strict';
// Every coded error is a TlsInspectError, including the ones the C core throws.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const binding = require('../lib/process/binding');
const { fromNative } = require('../lib/errors');

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('nothing thrown');
}

describe('errors from the C core', function () {
  it('fromNative() keeps code, message, path, detail and the frames, as a TlsInspectError', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-errors-'));
    const raw = require(binding.loadedFrom); // the addon itself, not its wrapped exports
    try {
      const file = path.join(dir, 'text.node');
      fs.writeFileSync(file, 'not an ELF file, only text\n');
      const native = thrown(function callTheCore() { return raw.analyzeSync(file); });
      assert.ok(!(native instanceof ti.TlsInspectError), 'the addon throws plain Errors');
      const stack = native.stack;
      const e = fromNative(native);
      assert.ok(e instanceof ti.TlsInspectError && e instanceof Error);
      assert.deepStrictEqual([e.code, e.message, e.path, e.detail, e.name],
        [native.code, native.message, file, native.detail, 'TlsInspectError']);
      assert.strictEqual(e.code, 'TI_ENOTELF');
      assert.ok(e.detail, 'the core gave a detail');
      assert.strictEqual(e.stack, `TlsInspectError: ${stack.slice('Error: '.length)}`);
      assert.match(e.stack, /at callTheCore /);
      // the wrapped exports every caller uses give the same, converted once
      const wrapped = thrown(() => binding.analyzeSync(file));
      assert.ok(wrapped instanceof ti.TlsInspectError);
      assert.deepStrictEqual([wrapped.code, wrapped.message, wrapped.path, wrapped.detail], [e.code, e.message, e.path, e.detail]);
      const arg = fromNative(thrown(() => raw.analyzeSync(42)));
      assert.ok(arg instanceof ti.TlsInspectError);
      assert.strictEqual(arg.code, 'TI_EINVAL');
      assert.ok(!('path' in arg) && !('detail' in arg));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes through what is not a coded core error', function () {
    const t = new TypeError('x');
    const own = new ti.TlsInspectError('TI_EIO', 'y');
    const node = Object.assign(new Error('z'), { code: 'ERR_DLOPEN_FAILED' });
    for (const v of [t, own, node, null, undefined, 'TI_EIO']) assert.strictEqual(fromNative(v), v);
  });
});
