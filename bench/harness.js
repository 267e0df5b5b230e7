'use strict';
// Side-by-side timing: the contenders of a case run interleaved, round after
// round, so machine noise hits both alike; ratios are of medians.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Times fn over `inner` calls and returns nanoseconds per call.
function timeOnce(fn, inner) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < inner; i++) fn();
  return Number(process.hrtime.bigint() - t0) / inner;
}

// contenders: { name: { fn, inner } }; returns { name: medianNs }
function interleave(contenders, rounds = 21) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const [, c] of Object.entries(contenders)) timeOnce(c.fn, c.inner); // warm up
  for (let r = 0; r < rounds; r++) {
    for (const [k, c] of Object.entries(contenders)) samples[k].push(timeOnce(c.fn, c.inner));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

async function interleaveAsync(contenders, rounds = 11) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < rounds + 1; r++) {
    for (const [k, fn] of Object.entries(contenders)) {
      const t0 = process.hrtime.bigint();
      await fn();
      if (r > 0) samples[k].push(Number(process.hrtime.bigint() - t0));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function fmtNs(ns) {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

module.exports = { median, timeOnce, interleave, interleaveAsync, fmtNs };
