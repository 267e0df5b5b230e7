'use strict';
// Child process: require() a .node file, optionally after tls-inspect/register
// (in this thread or in a worker), and print what was thrown or exported.
const path = require('path');
const { Worker } = require('worker_threads');
const [file, mode] = process.argv.slice(2);
const root = path.resolve(__dirname, '..', '..');

function attempt(withRegister) {
  if (withRegister) require(path.join(root, 'register.js'));
  try {
    const exp = require(file);
    return { loaded: true, exportKeys: Object.keys(exp),
      cached: Object.keys(require.cache).filter((k) => k.startsWith(root)).map((k) => path.relative(root, k)).sort() };
  } catch (e) {
    return { loaded: false, ctor: e.constructor.name, code: e.code, message: e.message,
      stackHead: String(e.stack).split('\n')[0], stack: String(e.stack),
      diagnosesInStack: (String(e.stack).match(/tls-inspect: [A-Z_]+ \(/g) || []).length, tlsInspect: e.tlsInspect || null,
      cached: Object.keys(require.cache).filter((k) => k.startsWith(root)).map((k) => path.relative(root, k)).sort() };
  }
}

if (mode === 'worker') {
  const w = new Worker(`const { parentPort } = require('worker_threads');
    require(${JSON.stringify(path.join(root, 'register.js'))});
    try { require(${JSON.stringify(file)}); parentPort.postMessage({ loaded: true }); }
    catch (e) { parentPort.postMessage({ loaded: false, code: e.code, message: e.message, tlsInspect: e.tlsInspect || null }); }`,
  { eval: true });
  w.on('message', (m) => { process.stdout.write(JSON.stringify(m)); w.terminate(); });
} else {
  process.stdout.write(JSON.stringify(attempt(mode === 'register')));
}
