'use strict';
// `tls-inspect scan` runs in a worker thread whose V8 heap has fixed bounds,
// so its peak memory stays flat however large the tree.  A scan keeps little
// per file (its live heap is about 9 MB at 1,000 files and 12 MB at 20,000),
// but V8 sizes a heap by what passes through it: the young generation
// doubles each time as many bytes as it holds have survived scavenges (its
// semi-spaces go 1 -> 16 MB over a large tree), and the old generation may
// grow to a multiple of its live size that depends on the heap's limit (1.3x
// at 256 MB up to 4x from 2 GB, a main thread's limit on most machines).
// The worker's resourceLimits set both: semi-spaces of 4 MB, and an old
// generation of at most 1 GB (about 80 times the live heap; growth factor
// about 1.6).  docs/benchmarks.md has the measurements.
// Side effects: the worker costs about 5 MB and 50 ms at start, and a scan
// that would need more than the bound stops with TI_ENOMEM (exit 2).
// Everything else, the report of this process above all, runs on the main thread.
const path = require('path');

const HEAP = { maxYoungGenerationSizeMb: 12, maxOldGenerationSizeMb: 1024 };
const WINDOW = 8; // writes the worker may have in flight before it waits for the main thread
const BOUNDED = new Set(['scan']);

const commandOf = (argv) => (argv[0] && !argv[0].startsWith('-') ? argv[0] : 'report');

// A stream's shape as the command sees it (colour, progress, table width).
const shape = (s) => ({ isTTY: Boolean(s && s.isTTY), columns: (s && s.isTTY && s.columns) || 0 });

// main(argv) in a worker with a bounded heap; its writes reach out and err in
// order, at most WINDOW at a time in flight.  Resolves to the exit code.
function runBounded(argv, out = process.stdout, err = process.stderr, heap = HEAP) {
  const { Worker } = require('worker_threads');
  const acked = new Int32Array(new SharedArrayBuffer(4));
  return new Promise((resolve) => {
    let code = null;
    let failure = null;
    let worker;
    try {
      worker = new Worker(path.join(__dirname, 'bounded-worker.js'), {
        workerData: { argv, acked, window: WINDOW, out: shape(out), err: shape(err) },
        resourceLimits: heap, stdout: false, stderr: false,
      });
    } catch (_) { // no thread to be had: the same scan here, bounded only by this thread's heap
      resolve(require('./index').main(argv, out, err));
      return;
    }
    worker.on('message', (m) => {
      if (m.fd) {
        (m.fd === 1 ? out : err).write(m.text);
        Atomics.add(acked, 0, 1);
        Atomics.notify(acked, 0);
      } else if (typeof m.code === 'number') code = m.code;
    });
    worker.on('error', (e) => { failure = e; });
    worker.on('exit', () => {
      if (code !== null) return resolve(code);
      const { escapeControls } = require('./output');
      const why = !failure ? { code: 'TI_EINTERNAL', message: 'the scan stopped without a result' }
        : failure.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { code: 'TI_ENOMEM', message: `the scan needed more than its heap ` +
          `(${heap.maxOldGenerationSizeMb} MB old generation, ${heap.maxYoungGenerationSizeMb} MB young)` }
          : { code: failure.code || 'TI_EINTERNAL', message: failure.message || String(failure) };
      err.write(`tls-inspect: ${why.code}: ${escapeControls(why.message)}\n`);
      return resolve(2);
    });
  });
}

// What bin/tls-inspect.js runs: the commands that walk trees bounded, the rest here.
function run(argv, out = process.stdout, err = process.stderr) {
  if (BOUNDED.has(commandOf(argv))) return runBounded(argv, out, err);
  return require('./index').main(argv, out, err);
}

module.exports = { run, runBounded, HEAP };
