'use strict';
// Child process: modules() from the main thread and from a worker_thread.
const { Worker } = require('worker_threads');
const ti = require('../..');

const main = ti.modules();
const w = new Worker(`
  const { parentPort } = require('worker_threads');
  parentPort.postMessage(require(${JSON.stringify(require.resolve('../..'))}).modules());
`, { eval: true });
w.on('message', (fromWorker) => {
  process.stdout.write(JSON.stringify({ main, worker: fromWorker }));
  w.terminate();
});
w.on('error', (e) => { console.error(e); process.exit(1); });
