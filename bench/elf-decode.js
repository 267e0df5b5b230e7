'use strict';
// The comparator for analyze(): what it returns about a shared object,
// decoded in JavaScript from what elfy parses (headers, program headers,
// sections with their bytes).  elfy alone stops at the headers; this adds
// the dynamic section (tags, needed, soname, rpath, runpath, flags), the
// version needs and definitions, every dynamic symbol as an import or an
// export with its version, and the relocations counted by kind (TLS classes,
// and per import how it is bound: PLT, GOT or other).  x86_64 relocation
// types; either class and byte order.
const DT = { NULL: 0, NEEDED: 1, SONAME: 14, RPATH: 15, RUNPATH: 29, FLAGS: 30, FLAGS_1: 0x6ffffffb };
const SHT = { REL: 9, RELA: 4 };
const STB = { GLOBAL: 1, WEAK: 2, UNIQUE: 10 };
const TYPES = { 0: 'notype', 1: 'object', 2: 'func', 6: 'tls', 10: 'ifunc' };
const R = { GLOB_DAT: 6, JUMP_SLOT: 7, DTPMOD64: 16, DTPOFF64: 17, TPOFF64: 18, DTPOFF32: 21, TPOFF32: 23, TLSDESC: 36 };

function reader(elf) {
  const le = elf.endian === 'lsb';
  const is64 = elf.class === '64';
  const u16 = (b, o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b, o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b, o) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const word = is64 ? u64 : u32;
  return { is64, u16, u32, word, wordSize: is64 ? 8 : 4 };
}

function cstr(b, off) {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 ? b.length : end);
}

function dynamicSection(elf, rd, dynstr) {
  const dyn = elf.body.programs.find((p) => p.type === 'dynamic');
  const out = { needed: [], soname: null, rpath: [], runpath: [], flags: 0, flags1: 0 };
  const ent = 2 * rd.wordSize;
  for (let at = 0; dyn && at + ent <= dyn.data.length; at += ent) {
    const tag = rd.word(dyn.data, at);
    const v = rd.word(dyn.data, at + rd.wordSize);
    if (tag === DT.NULL) break;
    if (tag === DT.NEEDED) out.needed.push(cstr(dynstr, v));
    else if (tag === DT.SONAME) out.soname = cstr(dynstr, v);
    else if (tag === DT.RPATH) out.rpath.push(...cstr(dynstr, v).split(':'));
    else if (tag === DT.RUNPATH) out.runpath.push(...cstr(dynstr, v).split(':'));
    else if (tag === DT.FLAGS) out.flags = v;
    else if (tag === DT.FLAGS_1) out.flags1 = v;
  }
  return out;
}

// version index -> { need, file } or { def }; needs by file; definitions.
function versions(sec, rd, dynstr) {
  const byIndex = new Map();
  const needs = {};
  const defs = [];
  const vr = sec['.gnu.version_r'];
  for (let off = 0, more = Boolean(vr); more;) {
    const file = cstr(dynstr, rd.u32(vr.data, off + 4));
    const cnt = rd.u16(vr.data, off + 2);
    for (let k = 0, aux = off + rd.u32(vr.data, off + 8); k < cnt; k++) {
      const name = cstr(dynstr, rd.u32(vr.data, aux + 8));
      byIndex.set(rd.u16(vr.data, aux + 6) & 0x7fff, { need: name, file });
      (needs[file] || (needs[file] = [])).includes(name) || needs[file].push(name);
      const next = rd.u32(vr.data, aux + 12);
      if (!next) break;
      aux += next;
    }
    const next = rd.u32(vr.data, off + 12);
    more = next !== 0;
    off += next;
  }
  const vd = sec['.gnu.version_d'];
  for (let off = 0, more = Boolean(vd); more;) {
    const name = cstr(dynstr, rd.u32(vd.data, off + rd.u32(vd.data, off + 12)));
    if (!(rd.u16(vd.data, off + 2) & 1)) defs.push(name); // VER_FLG_BASE names the file itself
    byIndex.set(rd.u16(vd.data, off + 4), { def: name });
    const next = rd.u32(vd.data, off + 16);
    more = next !== 0;
    off += next;
  }
  return { byIndex, needs, defs };
}

function symbols(sec, rd, dynstr, ver) {
  const dynsym = sec['.dynsym'];
  const versym = sec['.gnu.version'];
  const ent = rd.is64 ? 24 : 16;
  const imports = [];
  const exports = [];
  const importOf = new Map();
  for (let i = 1; dynsym && (i + 1) * ent <= dynsym.data.length; i++) {
    const at = i * ent;
    const info = dynsym.data[at + (rd.is64 ? 4 : 12)];
    const shndx = rd.u16(dynsym.data, at + (rd.is64 ? 6 : 14));
    const bind = info >> 4;
    const exported = shndx !== 0 && (bind === STB.GLOBAL || bind === STB.WEAK || bind === STB.UNIQUE);
    if (shndx !== 0 && !exported) continue;
    const name = cstr(dynstr, rd.u32(dynsym.data, at));
    const vs = versym ? rd.u16(versym.data, 2 * i) : 0;
    const v = (vs & 0x7fff) > 1 ? ver.byIndex.get(vs & 0x7fff) : null;
    if (shndx === 0) {
      importOf.set(i, imports.length);
      imports.push({ name, version: v && v.need ? v.need : null, from: v && v.need ? v.file : null,
        type: TYPES[info & 0xf] || 'other', weak: bind === STB.WEAK, plt: 0, got: 0, other: 0, initialExec: false, tlsdesc: false });
    } else {
      const version = v ? v.def || v.need : null;
      exports.push(version ? `${name}${vs & 0x8000 ? '@' : '@@'}${version}` : name);
    }
  }
  return { imports, exports, importOf };
}

function relocations(elf, rd, syms) {
  const counts = { tpoff: 0, dtpmod: 0, dtpoff: 0, tlsdesc: 0 };
  for (const s of elf.body.sections) {
    if (s.type !== 'rela' && s.type !== 'rel' && s.type !== SHT.RELA && s.type !== SHT.REL) continue;
    const ent = (s.type === 'rela' || s.type === SHT.RELA ? 3 : 2) * rd.wordSize;
    for (let at = 0; at + ent <= s.data.length; at += ent) {
      const info = rd.word(s.data, at + rd.wordSize);
      const type = rd.is64 ? info % 2 ** 32 : info & 0xff;
      const sym = rd.is64 ? Math.floor(info / 2 ** 32) : info >>> 8;
      if (type === 0) continue;
      if (type === R.TPOFF64 || type === R.TPOFF32) counts.tpoff++;
      else if (type === R.DTPMOD64) counts.dtpmod++;
      else if (type === R.DTPOFF64 || type === R.DTPOFF32) counts.dtpoff++;
      else if (type === R.TLSDESC) counts.tlsdesc++;
      const k = sym ? syms.importOf.get(sym) : undefined;
      if (k === undefined) continue;
      const imp = syms.imports[k];
      if (type === R.JUMP_SLOT) imp.plt++;
      else if (type === R.GLOB_DAT) imp.got++;
      else imp.other++;
      imp.initialExec = imp.initialExec || type === R.TPOFF64 || type === R.TPOFF32;
      imp.tlsdesc = imp.tlsdesc || type === R.TLSDESC;
    }
  }
  return counts;
}

// The facts analyze() reports, from elfy's parse of the file's bytes.
function decode(elf) {
  const rd = reader(elf);
  const sec = {};
  for (const s of elf.body.sections) if (!(s.name in sec)) sec[s.name] = s;
  const dynstr = sec['.dynstr'] ? sec['.dynstr'].data : Buffer.alloc(0);
  const dyn = dynamicSection(elf, rd, dynstr);
  const ver = versions(sec, rd, dynstr);
  const syms = symbols(sec, rd, dynstr, ver);
  const tlsRelocations = relocations(elf, rd, syms);
  const tls = elf.body.programs.find((p) => p.type === 'tls');
  return { needed: dyn.needed, soname: dyn.soname, rpath: dyn.rpath, runpath: dyn.runpath, flags: dyn.flags, flags1: dyn.flags1,
    tls: tls ? { size: tls.memsz, initSize: tls.filesz, align: tls.align } : null, versionNeeds: ver.needs,
    versionDefs: ver.defs, imports: syms.imports, exports: syms.exports, tlsRelocations };
}

module.exports = { decode };
