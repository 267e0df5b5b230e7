'use strict';
// Writes a copy of a fixture template with its TLS block resized: PT_TLS
// p_memsz (what the loader reads), plus the .tbss section and the block's
// symbol size so readelf and analyze() tell the same story.  Only the
// templates this package builds are patched (.tbss only), for ELF32 and
// ELF64 in either byte order, so reproduce() works on 32-bit hosts too.
const { tiError } = require('./errors');

const PT_TLS = 7;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const SHF_TLS = 0x400;

// Field offsets and sizes of the structures touched, per ELF class.
const LAYOUT = {
  1: { word: 4, ehdr: 52, phoff: 0x1c, shoff: 0x20, phentsize: 0x2a, phnum: 0x2c, shentsize: 0x2e, shnum: 0x30,
    phdr: { size: 32, vaddr: 8, filesz: 16, memsz: 20, align: 28 },
    shdr: { size: 40, flags: 8, addr: 12, offset: 16, bytes: 20, link: 24 },
    sym: { size: 16, value: 4, bytes: 8 } },
  2: { word: 8, ehdr: 64, phoff: 0x20, shoff: 0x28, phentsize: 0x36, phnum: 0x38, shentsize: 0x3a, shnum: 0x3c,
    phdr: { size: 56, vaddr: 16, filesz: 32, memsz: 40, align: 48 },
    shdr: { size: 64, flags: 8, addr: 16, offset: 24, bytes: 32, link: 40 },
    sym: { size: 24, value: 8, bytes: 16 } },
};

function need(buf, off, size, what) {
  if (off < 0 || size < 0 || off > buf.length || size > buf.length - off) {
    throw tiError('TI_ETRUNCATED', `fixture template truncated at ${what}`);
  }
}

// Readers and writers for one file's class and byte order.
function io(buf, cls, le) {
  const L = LAYOUT[cls];
  const u16 = (off) => (le ? buf.readUInt16LE(off) : buf.readUInt16BE(off));
  const u32 = (off) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const word = (off) => {
    if (L.word === 4) return u32(off);
    const v = le ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw tiError('TI_EMALFORMED', 'fixture offset too large');
    return Number(v);
  };
  const setWord = (off, v) => {
    if (L.word === 4) return le ? buf.writeUInt32LE(v, off) : buf.writeUInt32BE(v, off);
    return le ? buf.writeBigUInt64LE(BigInt(v), off) : buf.writeBigUInt64BE(BigInt(v), off);
  };
  return { L, u16, u32, word, setWord };
}

function header(buf) {
  need(buf, 0, 52, 'ELF header');
  if (buf.readUInt32BE(0) !== 0x7f454c46) throw tiError('TI_ENOTELF', 'fixture template is not ELF');
  if (!LAYOUT[buf[4]] || (buf[5] !== 1 && buf[5] !== 2)) {
    throw tiError('TI_ENOTSUP', 'fixture template has an unknown ELF class or byte order');
  }
  const r = io(buf, buf[4], buf[5] === 1);
  need(buf, 0, r.L.ehdr, 'ELF header');
  return { ...r, phoff: r.word(r.L.phoff), shoff: r.word(r.L.shoff),
    phentsize: r.u16(r.L.phentsize), phnum: r.u16(r.L.phnum),
    shentsize: r.u16(r.L.shentsize), shnum: r.u16(r.L.shnum) };
}

function tlsPhdr(buf, h) {
  const P = h.L.phdr;
  for (let i = 0; i < h.phnum; i++) {
    const off = h.phoff + i * h.phentsize;
    need(buf, off, P.size, 'program header');
    if (h.u32(off) === PT_TLS) {
      return { off, vaddr: h.word(off + P.vaddr), filesz: h.word(off + P.filesz), memsz: h.word(off + P.memsz),
        align: h.word(off + P.align) };
    }
  }
  throw tiError('TI_EMALFORMED', 'fixture template has no PT_TLS');
}

function sections(buf, h) {
  const S = h.L.shdr;
  const out = [];
  for (let i = 0; i < h.shnum; i++) {
    const off = h.shoff + i * h.shentsize;
    need(buf, off, S.size, 'section header');
    out.push({ off, type: h.u32(off + 4), flags: h.word(off + S.flags), addr: h.word(off + S.addr),
      offset: h.word(off + S.offset), size: h.word(off + S.bytes), link: h.u32(off + S.link) });
  }
  return out;
}

function cstr(buf, off) {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 ? buf.length : end);
}

function patchSymbols(buf, h, secs, name, size) {
  const Y = h.L.sym;
  for (const s of secs) {
    if (s.type !== SHT_SYMTAB && s.type !== SHT_DYNSYM) continue;
    const strtab = secs[s.link];
    if (!strtab) continue;
    need(buf, s.offset, s.size, 'symbol table');
    for (let off = s.offset; off + Y.size <= s.offset + s.size; off += Y.size) {
      const nameOff = strtab.offset + h.u32(off);
      need(buf, nameOff, 1, 'symbol name');
      if (cstr(buf, nameOff) !== name) continue;
      const value = h.word(off + Y.value); // offset of the symbol inside the TLS block
      if (value < size) h.setWord(off + Y.bytes, size - value);
    }
  }
}

function resizeTls(template, bytes, symbol = 'ti_fixture_block') {
  const buf = Buffer.from(template);
  const h = header(buf);
  const tls = tlsPhdr(buf, h);
  const max = h.L.word === 4 ? 0xffffffff : Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(bytes) || bytes < tls.memsz || bytes > max) {
    throw tiError('TI_EINVAL', `TLS size must be an integer of at least ${tls.memsz} bytes`);
  }
  h.setWord(tls.off + h.L.phdr.memsz, bytes);
  const secs = sections(buf, h);
  for (const s of secs) {
    if (s.type === SHT_NOBITS && (s.flags & SHF_TLS)) h.setWord(s.off + h.L.shdr.bytes, bytes - (s.addr - tls.vaddr));
  }
  patchSymbols(buf, h, secs, symbol, bytes);
  return buf;
}

// PT_TLS p_align of a fixture: where the block may start decides what fits on
// TLS variant I.
function tlsAlign(buf) {
  return tlsPhdr(buf, header(buf)).align;
}

module.exports = { resizeTls, tlsAlign };
