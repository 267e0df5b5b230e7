'use strict';
// The worker side of lib/cli/bounded.js: the command line's main() with
// streams that post each write to the main thread, waiting while `window`
// writes are not yet flushed there (a slow reader holds the scan back
// instead of a queue growing).
const { parentPort, workerData } = require('worker_threads');
const { main } = require('./index');

const { argv, acked, window } = workerData;
let posted = 0;

function stream(fd, { isTTY, columns }) {
  return {
    isTTY,
    columns,
    write(text) {
      if (!text) return true;
      // both counts wrap at 2^31 alike: their difference is right modulo 2^32
      for (let done; ((posted - (done = Atomics.load(acked, 0))) | 0) >= window;) Atomics.wait(acked, 0, done);
      posted = (posted + 1) | 0;
      parentPort.postMessage({ fd, text: String(text) });
      return true;
    },
  };
}

main(argv, stream(1, workerData.out), stream(2, workerData.err)).then((code) => parentPort.postMessage({ code }));
