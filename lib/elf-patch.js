'use strict';
// Writes a copy of a fixture template with its TLS block resized: PT_TLS
// p_memsz (what the loader reads), plus the .tbss section and the block's
// symbol size so readelf and analyze() tell the same story.  Only the
// templates this package builds are patched: ELF64 little-endian, .tbss only.
const { tiError } = require('./errors');

const PT_TLS = 7;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const SHF_TLS = 0x400;

function need(buf, off, size, what) {
  if (off < 0 || size < 0 || off > buf.length || size > buf.length - off) {
    throw tiError('TI_ETRUNCATED', `fixture template truncated at ${what}`);
  }
}

function u64(buf, off) {
  const v = buf.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw tiError('TI_EMALFORMED', 'fixture offset too large');
  return Number(v);
}

function header(buf) {
  need(buf, 0, 64, 'ELF header');
  if (buf.readUInt32BE(0) !== 0x7f454c46) throw tiError('TI_ENOTELF', 'fixture template is not ELF');
  if (buf[4] !== 2 || buf[5] !== 1) throw tiError('TI_ENOTSUP', 'fixture templates are ELF64 little-endian');
  return {
    phoff: u64(buf, 0x20), shoff: u64(buf, 0x28),
    phentsize: buf.readUInt16LE(0x36), phnum: buf.readUInt16LE(0x38),
    shentsize: buf.readUInt16LE(0x3a), shnum: buf.readUInt16LE(0x3c),
  };
}

function tlsPhdr(buf, h) {
  for (let i = 0; i < h.phnum; i++) {
    const off = h.phoff + i * h.phentsize;
    need(buf, off, 56, 'program header');
    if (buf.readUInt32LE(off) === PT_TLS) {
      return { off, vaddr: u64(buf, off + 16), filesz: u64(buf, off + 32), memsz: u64(buf, off + 40),
        align: u64(buf, off + 48) };
    }
  }
  throw tiError('TI_EMALFORMED', 'fixture template has no PT_TLS');
}

function sections(buf, h) {
  const out = [];
  for (let i = 0; i < h.shnum; i++) {
    const off = h.shoff + i * h.shentsize;
    need(buf, off, 64, 'section header');
    out.push({ off, type: buf.readUInt32LE(off + 4), flags: u64(buf, off + 8), addr: u64(buf, off + 16),
      offset: u64(buf, off + 24), size: u64(buf, off + 32), link: buf.readUInt32LE(off + 40) });
  }
  return out;
}

function cstr(buf, off) {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 ? buf.length : end);
}

function patchSymbols(buf, secs, name, size) {
  for (const s of secs) {
    if (s.type !== SHT_SYMTAB && s.type !== SHT_DYNSYM) continue;
    const strtab = secs[s.link];
    if (!strtab) continue;
    need(buf, s.offset, s.size, 'symbol table');
    for (let off = s.offset; off + 24 <= s.offset + s.size; off += 24) {
      const nameOff = strtab.offset + buf.readUInt32LE(off);
      need(buf, nameOff, 1, 'symbol name');
      if (cstr(buf, nameOff) !== name) continue;
      const value = u64(buf, off + 8); // offset of the symbol inside the TLS block
      if (value < size) buf.writeBigUInt64LE(BigInt(size - value), off + 16);
    }
  }
}

function resizeTls(template, bytes, symbol = 'ti_fixture_block') {
  const buf = Buffer.from(template);
  const h = header(buf);
  const tls = tlsPhdr(buf, h);
  if (!Number.isSafeInteger(bytes) || bytes < tls.memsz) {
    throw tiError('TI_EINVAL', `TLS size must be an integer of at least ${tls.memsz} bytes`);
  }
  buf.writeBigUInt64LE(BigInt(bytes), tls.off + 40);
  const secs = sections(buf, h);
  for (const s of secs) {
    if (s.type === SHT_NOBITS && (s.flags & SHF_TLS)) {
      buf.writeBigUInt64LE(BigInt(bytes - (s.addr - tls.vaddr)), s.off + 32);
    }
  }
  patchSymbols(buf, secs, symbol, bytes);
  return buf;
}

// PT_TLS p_align of a fixture: where the block may start decides what fits on
// TLS variant I.
function tlsAlign(buf) {
  return tlsPhdr(buf, header(buf)).align;
}

module.exports = { resizeTls, tlsAlign };
