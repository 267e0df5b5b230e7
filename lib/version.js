'use strict';
// Dotted version comparison ("2.4" < "2.34"), shared by every room.  The
// parts of the versions met are kept (a few hundred distinct ones: glibc,
// GLIBCXX, musl, Node releases), so a comparison splits no string twice.
const PARTS = new Map();
const KEEP = 4096;

function partsOf(v) {
  const s = String(v);
  let p = PARTS.get(s);
  if (p === undefined) {
    if (PARTS.size >= KEEP) PARTS.clear();
    p = s.split('.').map(Number);
    PARTS.set(s, p);
  }
  return p;
}

function cmpVersion(a, b) {
  const x = partsOf(a);
  const y = partsOf(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
  }
  return 0;
}

module.exports = { cmpVersion };
