'use strict';
// Child process: argv[2] a mode, argv[3] a .node file that fails to load.
//   wrapper: a package's JS loader throws napi-rs's "Cannot find native binding"
//            with the real load error as cause; prints what require() rethrew
//   hostile: a JS module throws a hostile value (getter/proxy/revoked/message
//            getter); prints whether that very value was rethrown
//   worker:  register at run time, then a Worker (with its own execArgv)
//            requires the file; prints the worker's diagnosis and execArgv
const fs = require('fs');
const os = require('os');
const path = require('path');
const [mode, addon, arg] = process.argv.slice(2);
const register = () => require(path.resolve(__dirname, '..', '..', 'register'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-wrapper-'));
const out = (v) => { fs.rmSync(dir, { recursive: true, force: true }); process.stdout.write(JSON.stringify(v)); };

if (mode === 'wrapper') {
  if (arg === 'register') register();
  fs.copyFileSync(addon, path.join(dir, 'pkg.linux-x64-gnu.node'));
  fs.writeFileSync(path.join(dir, 'index.js'), `const errors = [];
try { module.exports = require('./pkg.linux-x64-gnu.node'); } catch (e) { errors.push(e); }
try { require('@pkg/pkg-linux-x64-gnu'); } catch (e) { errors.push(e); }
const cause = errors.reduce((err, cur) => { cur.cause = err; return cur; });
throw new Error('Cannot find native binding. npm has a bug related to optional dependencies', { cause });`);
  try {
    require(path.join(dir, 'index.js'));
  } catch (e) {
    out({ message: e.message, ctor: e.constructor.name, causeCode: e.cause && e.cause.cause && e.cause.cause.code,
      tlsInspect: e.tlsInspect ? { code: e.tlsInspect.code, symbol: e.tlsInspect.symbol } : null });
  }
} else if (mode === 'hostile') {
  const hostile = {
    getter: () => Object.defineProperty({}, 'tlsInspect', { get() { throw new TypeError('getter'); } }),
    message: () => Object.defineProperty({}, 'message', { get() { throw new TypeError('getter'); } }),
    proxy: () => new Proxy({}, { get() { throw new TypeError('trap'); }, has() { throw new TypeError('trap'); },
      getPrototypeOf() { throw new TypeError('trap'); }, ownKeys() { throw new TypeError('trap'); } }),
    revoked: () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; },
    wrapper: () => new Proxy(new Error('Cannot find native binding'), { get(t, k) { if (k === 'cause') throw new TypeError('trap'); return t[k]; } }),
  }[arg]();
  globalThis.__tiThrow = () => { throw hostile; };
  register();
  fs.writeFileSync(path.join(dir, 'throws.js'), 'globalThis.__tiThrow();');
  try {
    require(path.join(dir, 'throws.js'));
    out({ same: false });
  } catch (e) {
    out({ same: e === hostile });
  }
} else if (mode === 'worker') {
  register();
  const copy = path.join(dir, 'addon.node');
  fs.copyFileSync(addon, copy);
  const { Worker } = require('worker_threads');
  const w = new Worker(`const { parentPort } = require('worker_threads');
try { require(${JSON.stringify(copy)}); parentPort.postMessage({ loaded: true }); }
catch (e) { parentPort.postMessage({ code: e.tlsInspect ? e.tlsInspect.code : null, execArgv: process.execArgv }); }`,
  { eval: true, execArgv: ['--no-warnings'] });
  w.on('message', (m) => { out(m); w.terminate(); });
  w.on('error', (e) => out({ error: e.message }));
}
