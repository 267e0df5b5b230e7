'use strict';
// The model fuzzer's object factory: a few template shared objects compiled
// once (per libc, TLS model, TLS dialect, -z now, imports), copied per closure
// with their names patched in place: defined and imported symbol names,
// DT_NEEDED, DT_SONAME, DT_RUNPATH (turned into DT_RPATH, or into DT_DEBUG when
// the object has none), the TLS block's size (PT_TLS p_memsz, .tbss, symbol)
// and alignment (PT_TLS p_align).  Templates are linked with DT_HASH only, which
// is rebuilt after renaming, so a copy costs a buffer copy, not a compiler run.
// ELF64 little-endian (x86_64) only: the fuzzer runs where it builds.
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { resizeTls } = require('../lib/reproduce/elf-patch');

const SHT = { DYNSYM: 11, HASH: 5, DYNAMIC: 6 };
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, SONAME: 14, RPATH: 15, DEBUG: 21, RUNPATH: 29, FLAGS_1: 0x6ffffffb };
const DF_1_NOOPEN = 0x40;
const PT_TLS = 7;
const MAX_NEEDED = 4;

// Placeholders: unique, none a suffix of another string (ld merges string tails).
const ph = (tag, len) => `Z${tag}_${'q'.repeat(len)}_${tag}Z`;
const PH = {
  f: ph('Df', 24), d: ph('Dd', 24), t: ph('Dt', 24),
  call: [ph('Uc0', 24), ph('Uc1', 24)], data: ph('Ud0', 24), abs: ph('Ua0', 24),
  ie: ph('Ui0', 24), dyn: ph('Ug0', 24),
  needed: [0, 1, 2, 3].map((i) => `${ph(`N${i}`, 48)}.so`),
  soname: ph('S', 48), runpath: `/${ph('R', 400)}`,
};

// Template source: own block (none|ie|dyn|ld), imports, the Node-API entry.
function source(k) {
  const L = [];
  const model = { ie: 'initial-exec', dyn: 'global-dynamic', ld: 'local-dynamic' }[k.tls];
  if (k.tls) {
    L.push(`${k.tls === 'ld' ? 'static ' : ''}__thread char ${PH.t}[8] __attribute__((aligned(64), tls_model("${model}")));`);
  }
  L.push(`extern int ${PH.call[0]}(int);`, `extern int ${PH.call[1]}(int);`, `extern int ${PH.data};`, `extern int ${PH.abs};`,
    `__attribute__((used)) static int *abs_ref = &${PH.abs};`, `int ${PH.d} = 1;`);
  if (k.ie) L.push(`extern __thread char ${PH.ie}[] __attribute__((tls_model("initial-exec")));`);
  if (k.dyn) L.push(`extern __thread char ${PH.dyn}[] __attribute__((tls_model("global-dynamic")));`);
  const uses = [`${PH.call[0]}(i)`, `${PH.call[1]}(i)`, PH.data];
  if (k.tls) uses.push(`++${PH.t}[i & 7]`);
  if (k.ie) uses.push(`${PH.ie}[i]`);
  if (k.dyn) uses.push(`${PH.dyn}[i]`);
  L.push(`int ${PH.f}(int i) { return ${uses.join(' + ')}; }`);
  if (k.entry) L.push('void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }');
  return `${L.join('\n')}\n`;
}

const keyOf = (k) => `${k.libc}-${k.tls || 'none'}-${k.dialect}-${k.now ? 'now' : 'lazy'}-${k.ie ? 'ie' : ''}${k.dyn ? 'dyn' : ''}-${k.entry ? 'e' : ''}`;

class Factory {
  // dir: where templates are kept between runs; compilers: { glibc: 'gcc', musl: 'musl-gcc' }
  constructor(dir, compilers) {
    this.dir = dir;
    this.compilers = compilers;
    this.templates = new Map();
    this.built = 0;
    fs.mkdirSync(path.join(dir, 'stubs'), { recursive: true });
    this.version = crypto.createHash('sha1').update(source({ tls: 'ie', ie: 1, dyn: 1, entry: 1 }) + JSON.stringify(PH))
      .digest('hex').slice(0, 8);
  }

  stubs(libc) {
    const dir = path.join(this.dir, 'stubs', libc);
    if (fs.existsSync(path.join(dir, 'done'))) return dir;
    fs.mkdirSync(dir, { recursive: true });
    const empty = path.join(dir, 'empty.c');
    fs.writeFileSync(empty, 'int ti_fuzz_stub;\n');
    for (const n of PH.needed) {
      const r = spawnSync(this.compilers[libc], ['-shared', '-fPIC', '-o', path.join(dir, n), empty, `-Wl,-soname,${n}`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`stub ${libc}: ${r.stderr}`);
    }
    fs.writeFileSync(path.join(dir, 'done'), '');
    return dir;
  }

  // The template for key k: { libc, tls, dialect, now, ie, dyn, entry }.
  template(k) {
    const key = keyOf(k);
    if (this.templates.has(key)) return this.templates.get(key);
    const file = path.join(this.dir, `${this.version}-${key}.so`);
    if (!fs.existsSync(file)) {
      const stubs = this.stubs(k.libc);
      const src = `${file}.${process.pid}.c`;
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(src, source(k));
      const args = ['-O1', '-fPIC', '-shared', '-s', k.dialect === 'gnu2' ? '-mtls-dialect=gnu2' : '-mtls-dialect=gnu', '-o', tmp,
        src, '-Wl,--hash-style=sysv', '-Wl,--no-as-needed', `-Wl,-soname,${PH.soname}`, `-Wl,-rpath,${PH.runpath}`,
        '-Wl,--enable-new-dtags', `-L${stubs}`, ...PH.needed.map((n) => `-l:${n}`), ...(k.now ? ['-Wl,-z,now'] : [])];
      const r = spawnSync(this.compilers[k.libc], args, { encoding: 'utf8' });
      fs.unlinkSync(src);
      if (r.status !== 0) throw new Error(`template ${key}: ${r.stderr}`);
      fs.renameSync(tmp, file); // atomic: another fuzzer may build the same template
      this.built++;
    }
    const t = { key, buf: fs.readFileSync(file), k };
    this.templates.set(key, t);
    return t;
  }
}

// ---- reading and patching the copy ----

function sectionsOf(buf) {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const out = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    out.push({ type: buf.readUInt32LE(o + 4), offset: Number(buf.readBigUInt64LE(o + 24)), size: Number(buf.readBigUInt64LE(o + 32)),
      link: buf.readUInt32LE(o + 40) });
  }
  return out;
}

const cstr = (buf, off) => buf.toString('latin1', off, buf.indexOf(0, off));

function putString(buf, off, old, text) {
  const b = Buffer.from(text, 'latin1');
  if (b.length > old.length) throw new Error(`name too long for its placeholder: ${text}`);
  buf.fill(0, off, off + old.length);
  b.copy(buf, off);
}

function elfHash(name) {
  let h = 0;
  for (const c of Buffer.from(name, 'latin1')) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g) h ^= g >>> 24;
    h &= ~g >>> 0;
  }
  return h >>> 0;
}

function rebuildHash(buf, hash, names) {
  const nbucket = buf.readUInt32LE(hash.offset);
  const nchain = buf.readUInt32LE(hash.offset + 4);
  const buckets = hash.offset + 8;
  const chains = buckets + 4 * nbucket;
  buf.fill(0, buckets, chains + 4 * nchain);
  for (let i = nchain - 1; i >= 1; i--) {
    const b = elfHash(names[i]) % nbucket;
    buf.writeUInt32LE(buf.readUInt32LE(buckets + 4 * b), chains + 4 * i);
    buf.writeUInt32LE(i, buckets + 4 * b);
  }
}

// o: { tls: { size, align } | null, names: { f, d, t }, call: [2 names], data, abs, ie, dyn,
//      needed: [<= 4 names], soname, path: { kind: 'none'|'rpath'|'runpath', text }, noopen }
function instantiate(t, o, filler) {
  let buf = Buffer.from(t.buf);
  if (t.k.tls && o.tls) {
    if (o.tls.size > 8) buf = resizeTls(buf, o.tls.size, PH.t);
    const phoff = Number(buf.readBigUInt64LE(0x20));
    for (let i = 0; i < buf.readUInt16LE(0x38); i++) {
      const p = phoff + i * buf.readUInt16LE(0x36);
      if (buf.readUInt32LE(p) === PT_TLS) buf.writeBigUInt64LE(BigInt(o.tls.align), p + 48);
    }
  }
  const secs = sectionsOf(buf);
  const dynsym = secs.find((s) => s.type === SHT.DYNSYM);
  const dynstr = secs[dynsym.link];
  const rename = new Map([[PH.f, o.names.f], [PH.d, o.names.d], [PH.t, o.names.t], [PH.call[0], o.call[0] || filler.call],
    [PH.call[1], o.call[1] || filler.call], [PH.data, o.data || filler.data], [PH.abs, o.abs || filler.data],
    [PH.ie, o.ie], [PH.dyn, o.dyn]]);
  const names = [];
  for (let off = dynsym.offset, i = 0; off < dynsym.offset + dynsym.size; off += 24, i++) {
    const at = dynstr.offset + buf.readUInt32LE(off);
    const name = cstr(buf, at);
    if (rename.has(name)) {
      if (!rename.get(name)) throw new Error(`no name for ${name}`);
      putString(buf, at, name, rename.get(name));
    }
    names.push(cstr(buf, at));
  }
  rebuildHash(buf, secs.find((s) => s.type === SHT.HASH), names);
  const dyn = secs.find((s) => s.type === SHT.DYNAMIC);
  let n = 0;
  for (let off = dyn.offset; off < dyn.offset + dyn.size; off += 16) {
    const tag = Number(buf.readBigInt64LE(off));
    if (tag === DT.NULL) break;
    if (tag !== DT.NEEDED && tag !== DT.SONAME && tag !== DT.RUNPATH) continue;
    const at = dynstr.offset + Number(buf.readBigUInt64LE(off + 8));
    const old = cstr(buf, at);
    if (tag === DT.NEEDED && PH.needed.includes(old)) {
      putString(buf, at, old, n < o.needed.length ? o.needed[n] : filler.libc);
      n++;
    } else if (tag === DT.SONAME) {
      putString(buf, at, old, o.soname);
    } else if (tag === DT.RUNPATH) {
      if (o.path.kind === 'none' && o.noopen) {
        // -z nodlopen, in the slot of the absent path (a template without -z now has no DT_FLAGS_1)
        buf.writeBigInt64LE(BigInt(DT.FLAGS_1), off);
        buf.writeBigUInt64LE(BigInt(DF_1_NOOPEN), off + 8);
      } else if (o.path.kind === 'none') buf.writeBigInt64LE(BigInt(DT.DEBUG), off);
      else {
        if (o.path.kind === 'rpath') buf.writeBigInt64LE(BigInt(DT.RPATH), off);
        putString(buf, at, old, o.path.text);
      }
    }
  }
  if (o.needed.length > MAX_NEEDED) throw new Error('too many needed');
  return buf;
}

module.exports = { Factory, instantiate, MAX_NEEDED, PH, source };
