'use strict';
// `tls-inspect scan` runs in a worker thread whose V8 heap has fixed bounds,
// so its peak memory stays flat however large the tree.  A scan keeps little
// per file (its live heap is about 9 MB at 1,000 files and 10 MB at 20,000),
// but V8 sizes a heap by what passes through it: the young generation
// doubles each time as many bytes as it holds have survived scavenges (its
// semi-spaces go 1 -> 16 MB over a large tree), and the old generation may
// grow to a multiple of its live size that depends on the heap's limit (1.3x
// at 256 MB up to 4x from 2 GB, a main thread's limit on most machines).
// The worker's resourceLimits set both: semi-spaces of 4 MB, and an old
// generation of at most 1 GB (about 100 times the live heap; growth factor
// about 1.6), or the main thread's own limit when that is lower.
// docs/benchmarks.md has the measurements.
// Side effects: the worker costs about 5 MB and 50 ms at start, and a scan
// that would need more than the bound stops with TI_ENOMEM (exit 2).  The
// scan runs on the main thread as before with TLS_INSPECT_SCAN_WORKER=0, under
// a limit on address space, or where no worker can start.  Everything else,
// the report of this process above all, runs on the main thread.
const path = require('path');

const HEAP = { maxYoungGenerationSizeMb: 12, maxOldGenerationSizeMb: 1024 };
const WINDOW = 8; // writes the worker may have in flight (not yet flushed) before it waits
const BOUNDED = new Set(['scan']);

const commandOf = (argv) => (argv[0] && !argv[0].startsWith('-') ? argv[0] : 'report');

// A stream's shape as the command sees it (colour, progress, table width).
const shape = (s) => ({ isTTY: Boolean(s && s.isTTY), columns: (s && s.isTTY && s.columns) || 0 });

// The bounds of this process: never an old generation larger than its main
// thread may have (Node derives that from the machine's memory, or the user
// set it).
function heapHere() {
  const limit = Math.floor(require('v8').getHeapStatistics().heap_size_limit / 1048576);
  return { ...HEAP, maxOldGenerationSizeMb: Math.min(HEAP.maxOldGenerationSizeMb, limit) };
}

// Under a limit on address space (ulimit -v) a worker's heap reservations can
// fail outright, and V8 aborts the process: the scan runs here instead.
function addressSpaceLimited() {
  try {
    const line = /^Max address space\s+(\S+)/m.exec(require('fs').readFileSync('/proc/self/limits', 'utf8'));
    return Boolean(line) && line[1] !== 'unlimited';
  } catch (_) {
    return false;
  }
}

// Writes a message of the worker, and counts it written (acked) once the
// stream has taken it: a Node stream when it is flushed, so a slow reader
// holds the worker back; anything else when write() returns.  done() is
// called after the count.
function deliver(stream, text, acked, done) {
  const ack = () => {
    Atomics.add(acked, 0, 1); // wraps as the worker's count does
    Atomics.notify(acked, 0);
    done();
  };
  if (typeof stream.writableLength === 'number') stream.write(text, ack);
  else {
    stream.write(text);
    ack();
  }
}

function failureLine(failure, heap) {
  const { errorLine } = require('./output');
  if (!failure) return errorLine('TI_EINTERNAL', 'the scan stopped without a result');
  if (failure.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return errorLine('TI_ENOMEM', `the scan needed more than its heap (${heap.maxOldGenerationSizeMb} MB old generation, ` +
      `${heap.maxYoungGenerationSizeMb} MB young); TLS_INSPECT_SCAN_WORKER=0 runs it on the main thread, ` +
      'bounded only by Node\'s own limits');
  }
  if (/^TI_/.test(failure.code)) return errorLine(failure.code, failure.message);
  return errorLine('TI_EINTERNAL', String(failure.stack || failure));
}

// main(argv) in a worker with a bounded heap; its writes reach out and err in
// order, at most WINDOW not yet flushed.  Resolves to the exit code once all
// of them are flushed.  Where no worker can start (no threads, no
// SharedArrayBuffer), main() runs here: nothing was written yet.
function runBounded(argv, out = process.stdout, err = process.stderr, heap = heapHere()) {
  const here = () => require('./index').main(argv, out, err);
  let worker;
  let acked;
  try {
    const { Worker } = require('worker_threads');
    acked = new Int32Array(new SharedArrayBuffer(4));
    worker = new Worker(path.join(__dirname, 'bounded-worker.js'), {
      workerData: { argv, acked, window: WINDOW, out: shape(out), err: shape(err) },
      resourceLimits: heap, stdout: false, stderr: false,
    });
  } catch (_) {
    return here();
  }
  return new Promise((resolve) => {
    let code = null;
    let failure = null;
    let online = false;
    let unflushed = 0;
    let exited = false;
    // resolved once the worker is gone and the streams have taken all it wrote
    const settle = () => {
      if (!exited || unflushed) return;
      if (code !== null) resolve(code);
      else if (!online && failure && failure.code === 'ERR_WORKER_INIT_FAILED') resolve(here());
      else {
        err.write(failureLine(failure, heap));
        resolve(2);
      }
    };
    worker.on('online', () => { online = true; });
    worker.on('message', (m) => {
      if (m.fd) {
        unflushed++;
        deliver(m.fd === 1 ? out : err, m.text, acked, () => { unflushed--; settle(); });
      } else if (typeof m.code === 'number') code = m.code;
    });
    worker.on('error', (e) => { failure = e; });
    worker.on('exit', () => {
      exited = true;
      settle();
    });
  });
}

// What bin/tls-inspect.js runs: the commands that walk trees in a bounded
// worker (unless TLS_INSPECT_SCAN_WORKER=0, or under ulimit -v), the rest here.
function run(argv, out = process.stdout, err = process.stderr, env = process.env) {
  if (BOUNDED.has(commandOf(argv)) && env.TLS_INSPECT_SCAN_WORKER !== '0' && !addressSpaceLimited()) {
    return runBounded(argv, out, err);
  }
  return require('./index').main(argv, out, err);
}

module.exports = { run, runBounded, HEAP, WINDOW };
