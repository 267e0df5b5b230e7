'use strict';
// ELF64 little-endian x86_64 shared objects written byte by byte, for inputs no
// compiler makes in reasonable time (200,000 TLS symbols, 20,000 version needs)
// and for hostile layouts (tables in the holes of sparse files).  Everything
// lies in one PT_LOAD whose addresses equal file offsets; no section headers,
// so the symbol count comes from DT_HASH (or DT_GNU_HASH when asked).
const fs = require('fs');

const PT = { LOAD: 1, DYNAMIC: 2, INTERP: 3, TLS: 7 };
const DT = { NULL: 0, NEEDED: 1, PLTRELSZ: 2, HASH: 4, STRTAB: 5, SYMTAB: 6, RELA: 7, RELASZ: 8, RELAENT: 9,
  STRSZ: 10, SYMENT: 11, RPATH: 15, PLTREL: 20, RUNPATH: 29, JMPREL: 23, GNU_HASH: 0x6ffffef5, VERSYM: 0x6ffffff0,
  VERNEED: 0x6ffffffe, VERNEEDNUM: 0x6fffffff };
const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, TLS: 6, GNU_IFUNC: 10 };
const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };

class Image {
  constructor() { this.parts = []; this.size = 64; }
  add(buf, align = 8) {
    const off = Math.ceil(this.size / align) * align;
    this.parts.push([off, buf]);
    this.size = off + buf.length;
    return off;
  }
  bytes(headerAndPhdrs) {
    const out = Buffer.alloc(this.size);
    headerAndPhdrs.copy(out, 0);
    for (const [off, buf] of this.parts) buf.copy(out, off);
    return out;
  }
}

function strtab(names) {
  const offsets = new Map();
  const chunks = [Buffer.from([0])];
  let size = 1;
  for (const n of names) {
    if (offsets.has(n)) continue;
    offsets.set(n, size);
    const b = Buffer.from(`${n}\0`, 'utf8');
    chunks.push(b);
    size += b.length;
  }
  return { buf: Buffer.concat(chunks), off: (n) => offsets.get(n) };
}

function symbols(syms, str) {
  const b = Buffer.alloc(24 * (syms.length + 1));
  syms.forEach((s, i) => {
    const o = 24 * (i + 1);
    b.writeUInt32LE(str.off(s.name), o);
    b[o + 4] = ((s.bind ?? STB.GLOBAL) << 4) | (s.type ?? STT.FUNC);
    b.writeUInt16LE(s.shndx ?? 0, o + 6);
    b.writeBigUInt64LE(BigInt(s.size ?? 0), o + 16);
  });
  return b;
}

// needs: [{ file, versions: [name...] }]; version numbers from 2 upwards, in order.
function verneed(needs, str) {
  const count = needs.reduce((n, x) => n + 1 + x.versions.length, 0);
  const b = Buffer.alloc(16 * count);
  const index = new Map();
  let o = 0;
  let next = 2;
  needs.forEach((need, i) => {
    b.writeUInt16LE(1, o);
    b.writeUInt16LE(need.versions.length, o + 2);
    b.writeUInt32LE(str.off(need.file), o + 4);
    b.writeUInt32LE(16, o + 8);
    b.writeUInt32LE(i + 1 < needs.length ? 16 * (1 + need.versions.length) : 0, o + 12);
    o += 16;
    need.versions.forEach((v, k) => {
      index.set(`${need.file}\0${v}`, next);
      b.writeUInt16LE(next++, o + 6);
      b.writeUInt32LE(str.off(v), o + 8);
      b.writeUInt32LE(k + 1 < need.versions.length ? 16 : 0, o + 12);
      o += 16;
    });
  });
  return { buf: b, index };
}

function phdr(b, i, type, off, filesz, extra = {}) {
  const o = 64 + 56 * i;
  b.writeUInt32LE(type, o);
  b.writeUInt32LE(extra.flags ?? 4, o + 4);
  b.writeBigUInt64LE(BigInt(off), o + 8);
  b.writeBigUInt64LE(BigInt(off), o + 16);
  b.writeBigUInt64LE(BigInt(off), o + 24);
  b.writeBigUInt64LE(BigInt(filesz), o + 32);
  b.writeBigUInt64LE(BigInt(extra.memsz ?? filesz), o + 40);
  b.writeBigUInt64LE(BigInt(extra.align ?? 8), o + 48);
}

function header(phnum) {
  const b = Buffer.alloc(64 + 56 * phnum);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(3, 16);    // ET_DYN
  b.writeUInt16LE(62, 18);   // EM_X86_64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(phnum, 56);
  b.writeUInt16LE(64, 58);
  return b;
}

/* opts:
 *   syms: [{ name, type, bind, shndx, size, need: [file, version] }]
 *   needs: [{ file, versions }], needed: [sonames]
 *   rpaths, runpaths: [string]           one DT_RPATH / DT_RUNPATH tag per string (equal strings share bytes)
 *   rela: [{ type, sym, offset, addend }] (sym is a 1-based index into syms, 0 for none)
 *   data: Buffer                          bytes placed after the tables (at.data), inside the PT_LOAD
 *   tls: { size }                         a PT_TLS segment
 *   interps: [{ off, size }]             PT_INTERP headers (raw offsets)
 *   dynamicAt: { off, size }             PT_DYNAMIC somewhere else (raw)
 *   dyn: [[tag, value]]                  extra dynamic entries (after the built ones)
 *   gnuHash: true                        DT_GNU_HASH instead of DT_HASH, last: its chain runs past the written bytes
 *   loadSize: n                          PT_LOAD file size (defaults to the written size)
 * Returns { bytes, at } where at holds the offsets of the pieces. */
function sharedObject(opts = {}) {
  const syms = opts.syms || [];
  const needs = opts.needs || [];
  const img = new Image();
  const names = [...(opts.needed || []), ...syms.map((s) => s.name), ...needs.flatMap((n) => [n.file, ...n.versions]),
    ...(opts.rpaths || []), ...(opts.runpaths || [])];
  const str = strtab(names);
  const at = {};
  const phnum = 2 + (opts.tls ? 1 : 0) + (opts.interps ? opts.interps.length : 0);
  img.size = 64 + 56 * phnum;
  at.strtab = img.add(str.buf, 1);
  at.symtab = img.add(symbols(syms, str));
  const dyn = [[DT.STRTAB, at.strtab], [DT.STRSZ, str.buf.length], [DT.SYMTAB, at.symtab], [DT.SYMENT, 24]];
  for (const n of opts.needed || []) dyn.unshift([DT.NEEDED, str.off(n)]);
  for (const r of opts.rpaths || []) dyn.push([DT.RPATH, str.off(r)]);
  for (const r of opts.runpaths || []) dyn.push([DT.RUNPATH, str.off(r)]);
  if (!opts.gnuHash) {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(1, 0);
    h.writeUInt32LE(syms.length + 1, 4);
    at.hash = img.add(h);
    dyn.push([DT.HASH, at.hash]);
  }
  if (needs.length) {
    const vn = verneed(needs, str);
    const versym = Buffer.alloc(2 * (syms.length + 1));
    syms.forEach((s, i) => versym.writeUInt16LE(s.need ? vn.index.get(`${s.need[0]}\0${s.need[1]}`) : 1, 2 * (i + 1)));
    at.versym = img.add(versym, 2);
    at.verneed = img.add(vn.buf);
    dyn.push([DT.VERSYM, at.versym], [DT.VERNEED, at.verneed], [DT.VERNEEDNUM, needs.length]);
  }
  if (opts.rela && opts.rela.length) {
    const r = Buffer.alloc(24 * opts.rela.length);
    opts.rela.forEach((x, i) => {
      r.writeBigUInt64LE(BigInt(x.offset || 0), 24 * i);
      r.writeBigUInt64LE((BigInt(x.sym) << 32n) | BigInt(x.type), 24 * i + 8);
      r.writeBigInt64LE(BigInt(x.addend || 0), 24 * i + 16);
    });
    at.rela = img.add(r);
    dyn.push([DT.RELA, at.rela], [DT.RELASZ, r.length], [DT.RELAENT, 24]);
  }
  if (opts.data) at.data = img.add(opts.data);
  if (opts.gnuHash) dyn.push([DT.GNU_HASH, 0]);
  dyn.push(...(opts.dyn || []), [DT.NULL, 0]);
  const d = Buffer.alloc(16 * dyn.length);
  at.dynamic = img.add(d);
  if (opts.gnuHash) { // last, so that the chain runs on into whatever follows the written bytes
    const g = Buffer.alloc(16 + 8 + 4);
    g.writeUInt32LE(1, 0);  // nbuckets
    g.writeUInt32LE(1, 4);  // symoffset
    g.writeUInt32LE(1, 8);  // bloom words
    g.writeUInt32LE(1, 24); // bucket[0] = symbol 1
    at.gnuHash = img.add(g);
    dyn.find((x) => x[0] === DT.GNU_HASH)[1] = at.gnuHash;
  }
  dyn.forEach(([tag, v], i) => { d.writeBigInt64LE(BigInt(tag), 16 * i); d.writeBigUInt64LE(BigInt(v), 16 * i + 8); });
  const h = header(phnum);
  const written = img.size;
  phdr(h, 0, PT.LOAD, 0, opts.loadSize ?? written, { flags: 6, align: 4096 });
  const dynAt = opts.dynamicAt || { off: at.dynamic, size: d.length };
  phdr(h, 1, PT.DYNAMIC, dynAt.off, dynAt.size, { flags: 6 });
  let i = 2;
  if (opts.tls) phdr(h, i++, PT.TLS, 0, 0, { memsz: opts.tls.size, align: 16 });
  for (const x of opts.interps || []) phdr(h, i++, PT.INTERP, x.off, x.size, { align: 1 });
  return { bytes: img.bytes(h), at };
}

// Writes bytes, then extends the file with a hole to apparentSize (no disk used).
function writeSparse(file, bytes, apparentSize) {
  fs.writeFileSync(file, bytes);
  if (apparentSize > bytes.length) fs.truncateSync(file, apparentSize);
}

module.exports = { sharedObject, writeSparse, DT, STT, STB };
