'use strict';
// Child process: the addon given calls globalThis.__tiThrow from its init, which
// throws one hostile value; prints whether require() rethrew that very value.
const path = require('path');
const kind = process.argv[3];
const hostile = {
  getter: () => Object.defineProperty({}, 'tlsInspect', { get() { throw new TypeError('getter'); } }),
  proxy: () => new Proxy({}, { get() { throw new TypeError('trap'); }, has() { throw new TypeError('trap'); },
    getPrototypeOf() { throw new TypeError('trap'); }, ownKeys() { throw new TypeError('trap'); } }),
  revoked: () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; },
  string: () => 'a string',
  null: () => null,
}[kind]();
globalThis.__tiThrow = () => { throw hostile; };
if (process.argv[4] === 'register') require(path.resolve(__dirname, '..', '..', 'register'));
let same = false;
let what = 'nothing thrown';
try {
  require(process.argv[2]);
} catch (e) {
  same = e === hostile;
  try { what = typeof e; } catch (_) { what = 'unreadable'; }
}
process.stdout.write(JSON.stringify({ same, what }));
