'use strict';
// Child process: analyze every prefix truncation, random bit flips and zeroed
// windows of a file through the real file path.  Prints a JSON summary; a
// crash kills only this child, which fails the test.
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('../..');

const [src, flipsArg] = process.argv.slice(2);
const data = fs.readFileSync(src);
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ti-bad-')), 'x.so');
const codes = {};
const uncoded = [];
let runs = 0;
let seed = 12345;
const rand = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

function attempt(label) {
  runs++;
  try {
    ti.analyzeSync(file);
    codes.ok = (codes.ok || 0) + 1;
  } catch (e) {
    if (typeof e.code === 'string' && e.code.startsWith('TI_')) codes[e.code] = (codes[e.code] || 0) + 1;
    else uncoded.push(`${label}: ${e.message}`);
  }
}

fs.writeFileSync(file, data);
for (let n = data.length; n >= 0; n--) { fs.truncateSync(file, n); attempt(`prefix ${n}`); }
for (let i = 0; i < Number(flipsArg || 500); i++) {
  const m = Buffer.from(data);
  const span = i % 2 ? m.length : Math.min(m.length, 4096);
  for (let k = 0; k <= rand(4); k++) m[rand(span)] ^= 1 << rand(8);
  fs.writeFileSync(file, m);
  attempt(`flip ${i}`);
}
for (let off = 0; off < data.length; off += 128) {
  const m = Buffer.from(data);
  m.fill(0, off, Math.min(off + 64, m.length));
  fs.writeFileSync(file, m);
  attempt(`zero ${off}`);
}
fs.rmSync(path.dirname(file), { recursive: true, force: true });
process.stdout.write(JSON.stringify({ runs, codes, uncoded }));
