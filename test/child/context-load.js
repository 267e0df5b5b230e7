'use strict';
// Loads an addon twice in one process, as a second context does: first here
// (or in a worker, with "worker-first"), then in a worker_threads Worker (or
// here).  Prints { first, second }: 'ok' or the error message Node threw.
const { Worker } = require('worker_threads');

const [file, order = 'main-first'] = process.argv.slice(2);

function here() {
  try {
    require(file);
    return 'ok';
  } catch (e) {
    return e.message;
  }
}

function inWorker() {
  const src = `const { parentPort } = require('worker_threads');
try { require(${JSON.stringify(file)}); parentPort.postMessage('ok'); } catch (e) { parentPort.postMessage(e.message); }`;
  return new Promise((resolve) => {
    const w = new Worker(src, { eval: true });
    w.once('message', (m) => { resolve(m); w.terminate(); });
    w.once('error', (e) => resolve(`worker error: ${e.message}`));
  });
}

(async () => {
  const out = {};
  if (order === 'worker-first') {
    out.first = await inWorker();
    out.second = here();
  } else {
    out.first = here();
    out.second = await inWorker();
  }
  process.stdout.write(JSON.stringify(out));
})();
