'use strict';
// Child process: names chosen to collide under this very process's seed (the
// worst an attacker who knew it could do), exported by one object; prints how
// long analysis and lookups take and whether the table was kept.
const fs = require('fs');
const path = require('path');
const ti = require(path.resolve(__dirname, '..', '..'));
const { exportTable } = require('../../lib/file/analyze');
const { defines } = require('../../lib/loader/symbols');
const { sharedObject } = require('../support/elf-build');

const P = 0x01000193;
const PINV = (() => { let x = 1; for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(P, x)); return x >>> 0; })();

// n 12-character names whose FNV state before the finish is one value.
function colliding(n, seed) {
  const out = new Set();
  let r = 1;
  const rnd = () => { r = (Math.imul(r ^ (r >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0; return r >>> 0; };
  const ch = () => 0x30 + (rnd() % 42);
  const word = () => ch() | (ch() << 8) | (ch() << 16) | (ch() << 24);
  while (out.size < n) {
    const w1 = word(), w2 = word();
    const h = Math.imul(Math.imul((0x811c9dc5 ^ seed) ^ w1, P) ^ w2, P);
    const w3 = (Math.imul(0x12345678, PINV) ^ h) >>> 0;
    const b = [w3 & 255, (w3 >>> 8) & 255, (w3 >>> 16) & 255, w3 >>> 24];
    if (b.every((x) => x >= 0x30 && x < 0x7b && x !== 0x40)) {
      const bytes = [w1, w2].flatMap((w) => [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24]);
      out.add(String.fromCharCode(...bytes, ...b));
    }
  }
  return [...out];
}

const [file, count] = [process.argv[2], Number(process.argv[3])];
fs.writeFileSync(file, sharedObject({ syms: [{ name: 'f', shndx: 5 }] }).bytes);
const seed = exportTable(ti.analyzeSync(file)).seed; // this process's, as packed with every table
const names = colliding(count, seed);
fs.writeFileSync(file, sharedObject({ syms: names.map((name) => ({ name, shndx: 5 })) }).bytes);
let t = process.hrtime.bigint();
const a = ti.analyzeSync(file);
const analyzeMs = Number(process.hrtime.bigint() - t) / 1e6;
t = process.hrtime.bigint();
const obj = { analysis: a };
let found = 0;
for (const name of names) if (defines(obj, { name })) found++;
for (const name of colliding(count, seed ^ 1).slice(0, count)) if (defines(obj, { name })) found += 1e9; // absent names
const lookupMs = Number(process.hrtime.bigint() - t) / 1e6;
process.stdout.write(JSON.stringify({ seed, kept: Boolean(exportTable(a)), found, analyzeMs, lookupMs }));
