'use strict';
// Child process (run with --expose-gc): 100,000 calls of each API; prints the
// RSS growth after a warm-up, with garbage collected before each reading.
const path = require('path');
const root = path.resolve(__dirname, '..', '..');
const ti = require(root);
const fixtures = require(path.join(root, 'lib', 'fixtures'));

const N = Number(process.argv[2] || 100000);
const file = fixtures.template('culprit');

function rss() {
  global.gc();
  global.gc();
  return process.memoryUsage().rss;
}

// Growth over all N calls, and over the second half alone: a leak keeps
// growing, while heaps and allocator arenas settle after a while.
async function measure(name, fn) {
  for (let i = 0; i < 2000; i++) await fn();
  const before = rss();
  const t0 = Date.now();
  for (let i = 0; i < N / 2; i++) await fn();
  const middle = rss();
  for (let i = 0; i < N / 2; i++) await fn();
  const after = rss();
  return { name, calls: N, growthKb: Math.round((after - before) / 1024),
    secondHalfKb: Math.round((after - middle) / 1024), ms: Date.now() - t0 };
}

(async () => {
  const out = [];
  out.push(await measure('modules', () => ti.modules()));
  out.push(await measure('libc', () => ti.libc()));
  out.push(await measure('staticTls', () => ti.staticTls()));
  out.push(await measure('analyzeSync', () => ti.analyzeSync(file)));
  out.push(await measure('analyze', () => ti.analyze(file)));
  out.push(await measure('analyzeSync error', () => { try { ti.analyzeSync('/nonexistent'); } catch (_) { /* coded */ } }));
  process.stdout.write(JSON.stringify(out));
})();
