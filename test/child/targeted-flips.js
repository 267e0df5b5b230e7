'use strict';
// Child process: random bit flips confined to one structure of a real library
// (ELF header, program headers, dynamic section, version sections, dynamic
// symbols), analyzed through the file path.  Prints JSON { region: counts }.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require(path.resolve(__dirname, '..', '..'));

const [src, perRegionArg] = process.argv.slice(2);
const perRegion = Number(perRegionArg || 300);
const data = fs.readFileSync(src);
const regions = { header: [0, 64] };
const phoff = Number(data.readBigUInt64LE(0x20));
regions.phdrs = [phoff, phoff + data.readUInt16LE(0x38) * 56];
const sections = execFileSync('readelf', ['-SW', src], { encoding: 'utf8' });
for (const [name, key] of [['.dynamic', 'dynamic'], ['.gnu.version_r', 'verneed'], ['.gnu.version_d', 'verdef'],
  ['.gnu.version', 'versym'], ['.dynsym', 'dynsym'], ['.gnu.hash', 'gnuhash']]) {
  const m = new RegExp(`\\s${name.replace(/\./g, '\\.')}\\s+\\S+\\s+\\S+\\s+(\\S+)\\s+(\\S+)`).exec(sections);
  if (m) regions[key] = [parseInt(m[1], 16), parseInt(m[1], 16) + parseInt(m[2], 16)];
}
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ti-flip-')), 'lib.so');
let seed = 7;
const rand = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const out = { uncoded: [] };
for (const [region, [lo, hi]] of Object.entries(regions)) {
  const counts = {};
  for (let i = 0; i < perRegion; i++) {
    const m = Buffer.from(data);
    for (let k = 0; k <= rand(3); k++) m[lo + rand(hi - lo)] ^= 1 << rand(8);
    fs.writeFileSync(file, m);
    try { ti.analyzeSync(file); counts.ok = (counts.ok || 0) + 1; } catch (e) {
      if (typeof e.code === 'string' && e.code.startsWith('TI_')) counts[e.code] = (counts[e.code] || 0) + 1;
      else out.uncoded.push(`${region}: ${e.message}`);
    }
  }
  out[region] = counts;
}
fs.rmSync(path.dirname(file), { recursive: true, force: true });
process.stdout.write(JSON.stringify(out));
