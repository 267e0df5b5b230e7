'use strict';
// Child process (run with --expose-gc): 100,000 calls of each API; prints the
// growth of native memory and of the live JS heap after a warm-up.
const path = require('path');
const root = path.resolve(__dirname, '..', '..');
const ti = require(root);
const fixtures = require(path.join(root, 'lib', 'reproduce'));

const N = Number(process.argv[2] || 100000);
const file = fixtures.template('culprit');

// After a full collection: native memory is what RSS holds beyond the V8 heap's
// own pages (heapTotal), which V8 grows in steps of megabytes as it sizes its
// spaces; a JS-side leak shows up as live heap (heapUsed) instead.
function sample() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { native: m.rss - m.heapTotal, live: m.heapUsed, rss: m.rss };
}

const kb = (n) => Math.round(n / 1024);

// Growth over all N calls, and over the second half alone: a leak keeps
// growing, while heaps and allocator arenas settle after a while.
async function measure(name, fn) {
  for (let i = 0; i < 2000; i++) await fn();
  const before = sample();
  const t0 = Date.now();
  for (let i = 0; i < N / 2; i++) await fn();
  const middle = sample();
  for (let i = 0; i < N / 2; i++) await fn();
  const after = sample();
  return { name, calls: N, ms: Date.now() - t0,
    nativeKb: kb(after.native - before.native), nativeSecondHalfKb: kb(after.native - middle.native),
    liveKb: kb(after.live - before.live), liveSecondHalfKb: kb(after.live - middle.live),
    rssKb: kb(after.rss - before.rss) };
}

(async () => {
  const out = [];
  out.push(await measure('modules', () => ti.modules()));
  out.push(await measure('libc', () => ti.libc()));
  out.push(await measure('staticTls', () => ti.staticTls()));
  const binding = require(path.join(root, 'lib', 'process', 'binding'));
  out.push(await measure('startupEnv', () => binding.startupEnv('PATH') + binding.startupEnv('TI_NEVER_SET')));
  out.push(await measure('analyzeSync', () => ti.analyzeSync(file)));
  out.push(await measure('analyze', () => ti.analyze(file)));
  out.push(await measure('analyzeSync error', () => { try { ti.analyzeSync('/nonexistent'); } catch (_) { /* coded */ } }));
  process.stdout.write(JSON.stringify(out));
})();
