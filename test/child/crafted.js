'use strict';
// Builds hostile variants of a real shared object: absurd counts, offsets and
// sizes, self-linked sections, endless version chains.  With --write DIR it
// saves them (the regression corpus in test/corpus); otherwise it analyzes each
// and prints JSON { name: code or 'ok' }, plus the time each took.
const fs = require('fs');
const os = require('os');
const path = require('path');

function elf64(buf) {
  const u64 = (o) => Number(buf.readBigUInt64LE(o));
  const h = { phoff: u64(0x20), shoff: u64(0x28), phnum: buf.readUInt16LE(0x38), shnum: buf.readUInt16LE(0x3c) };
  h.ph = (i, f) => h.phoff + i * 56 + f;
  h.sh = (i, f) => h.shoff + i * 64 + f;
  h.findPh = (type) => { for (let i = 0; i < h.phnum; i++) if (buf.readUInt32LE(h.ph(i, 0)) === type) return i; return -1; };
  h.findSh = (type) => { for (let i = 0; i < h.shnum; i++) if (buf.readUInt32LE(h.sh(i, 4)) === type) return i; return -1; };
  return h;
}

function dynEntry(buf, h, tag) {
  const d = h.findPh(2); // PT_DYNAMIC
  const off = Number(buf.readBigUInt64LE(h.ph(d, 8)));
  for (let o = off; o + 16 <= buf.length; o += 16) {
    const t = Number(buf.readBigInt64LE(o));
    if (t === 0) return -1;
    if (t === tag) return o;
  }
  return -1;
}

const MUTATIONS = {
  'phnum-65535': (b) => b.writeUInt16LE(65535, 0x38),
  'phoff-huge': (b) => b.writeBigUInt64LE(0xfffffffffffff000n, 0x20),
  'phentsize-small': (b) => b.writeUInt16LE(8, 0x36),
  'shnum-65535': (b) => b.writeUInt16LE(65535, 0x3c),
  'shoff-near-4g': (b) => b.writeBigUInt64LE(0xfffffff0n, 0x28),
  'dynamic-filesz-beyond-file': (b, h) => b.writeBigUInt64LE(BigInt(b.length * 16), h.ph(h.findPh(2), 32)),
  'dynamic-offset-beyond-file': (b, h) => b.writeBigUInt64LE(BigInt(b.length + 4096), h.ph(h.findPh(2), 8)),
  'tls-memsz-huge': (b, h) => b.writeBigUInt64LE(0xffffffffffffn, h.ph(h.findPh(7), 40)),
  'interp-no-nul': (b, h) => { const i = h.findPh(3); if (i >= 0) b.fill(0x41, Number(b.readBigUInt64LE(h.ph(i, 8))), Number(b.readBigUInt64LE(h.ph(i, 8))) + Number(b.readBigUInt64LE(h.ph(i, 32)))); },
  'strsz-huge': (b, h) => { const o = dynEntry(b, h, 10); if (o >= 0) b.writeBigUInt64LE(0x7fffffffffffn, o + 8); },
  'symtab-link-self': (b, h) => { const i = h.findSh(2); if (i >= 0) b.writeUInt32LE(i, h.sh(i, 40)); },
  'symtab-link-out-of-range': (b, h) => { const i = h.findSh(2); if (i >= 0) b.writeUInt32LE(60000, h.sh(i, 40)); },
  'symtab-entsize-zero': (b, h) => { const i = h.findSh(2); if (i >= 0) b.writeBigUInt64LE(0n, h.sh(i, 56)); },
  'dynsym-entsize-huge': (b, h) => { const i = h.findSh(11); if (i >= 0) b.writeBigUInt64LE(1n << 40n, h.sh(i, 56)); },
  'verneednum-huge': (b, h) => { const o = dynEntry(b, h, 0x6fffffff); if (o >= 0) b.writeBigUInt64LE(0xffffffffn, o + 8); },
  'verneed-chain-steps-in-place': (b, h) => {
    const o = dynEntry(b, h, 0x6ffffffe);
    const n = dynEntry(b, h, 0x6fffffff);
    if (o < 0 || n < 0) return;
    const i = h.findSh(0x6ffffffe); // .gnu.version_r
    if (i < 0) return;
    const off = Number(b.readBigUInt64LE(h.sh(i, 24)));
    b.writeBigUInt64LE(0xffffffffn, n + 8);
    b.writeUInt32LE(1, off + 12); // vn_next = 1: a chain that crawls forward a byte at a time
    b.writeUInt16LE(65535, off + 2); // vn_cnt
  },
  'relasz-huge': (b, h) => { const o = dynEntry(b, h, 8); if (o >= 0) b.writeBigUInt64LE(0xffffffffffffff00n, o + 8); },
  'relaent-zero': (b, h) => { const o = dynEntry(b, h, 9); if (o >= 0) b.writeBigUInt64LE(0n, o + 8); },
  'gnu-hash-nbuckets-huge': (b, h) => {
    const o = dynEntry(b, h, 0x6ffffef5);
    const i = h.findSh(0x6ffffff6);
    if (o < 0 || i < 0) return;
    b.writeUInt32LE(0xffffffff, Number(b.readBigUInt64LE(h.sh(i, 24))));
    b.writeBigUInt64LE(0n, 0x28); // no section headers: the count must come from the hash table
    b.writeUInt16LE(0, 0x3c);
  },
  'dynstr-no-nul': (b, h) => {
    const i = h.findSh(3); // the first STRTAB section is .dynstr in these fixtures
    if (i >= 0) b.fill(0x41, Number(b.readBigUInt64LE(h.sh(i, 24))), Number(b.readBigUInt64LE(h.sh(i, 24))) + Number(b.readBigUInt64LE(h.sh(i, 32))));
  },
  'class-garbage': (b) => { b[4] = 7; },
  'data-garbage': (b) => { b[5] = 9; },
  'all-ff-after-ident': (b) => b.fill(0xff, 16, 64),
};

function variants(src) {
  const out = {};
  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    const b = Buffer.from(src);
    mutate(b, elf64(b));
    out[name] = b;
  }
  return out;
}

function main() {
  const [src, flag, dir] = process.argv.slice(2);
  const all = variants(fs.readFileSync(src));
  if (flag === '--write') {
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, b] of Object.entries(all)) fs.writeFileSync(path.join(dir, `crafted-${name}`), b);
    return;
  }
  const ti = require(path.resolve(__dirname, '..', '..'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-crafted-'));
  const result = {};
  for (const [name, b] of Object.entries(all)) {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, b);
    const t0 = Date.now();
    try { ti.analyzeSync(f); result[name] = { code: 'ok' }; } catch (e) { result[name] = { code: e.code }; }
    result[name].ms = Date.now() - t0;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(result));
}

main();
