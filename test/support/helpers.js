'use strict';
// Independent truths for the tests: readelf, /proc, ldd, and child processes.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

function readelf(args, file) {
  return execFileSync('readelf', [...args, file], { encoding: 'utf8', maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'ignore'] });
}

// PT_TLS from readelf -l output: { size: p_memsz, initSize: p_filesz, align: p_align, vaddr: p_vaddr } or null.
function parseTls(out) {
  const m = out.match(/^\s*TLS\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)/m);
  if (!m) return null;
  return { size: parseInt(m[5], 16), initSize: parseInt(m[4], 16), align: parseInt(m[6], 16), vaddr: parseInt(m[2], 16) };
}

// Counts of TLS relocation types in readelf -r output (all tables), by the
// names readelf gives them on x86_64, i386, aarch64, arm, s390, ppc64, mips and riscv.
function countTlsRelocs(out) {
  const count = (re) => (out.match(re) || []).length;
  return {
    tpoff: count(/\b(R_X86_64_TPOFF(64|32)|R_386_TLS_TPOFF(32)?|R_AARCH64_TLS_TPREL(64)?|R_ARM_TLS_TPOFF32|R_390_TLS_TPOFF|R_PPC64_TPREL64|R_MIPS_TLS_TPREL32|R_RISCV_TLS_TPREL64)\b/g),
    dtpmod: count(/\b(R_X86_64_DTPMOD64|R_386_TLS_DTPMOD32|R_AARCH64_TLS_DTPMOD(64)?|R_ARM_TLS_DTPMOD32|R_390_TLS_DTPMOD|R_PPC64_DTPMOD64|R_MIPS_TLS_DTPMOD32|R_RISCV_TLS_DTPMOD64)\b/g),
    dtpoff: count(/\b(R_X86_64_DTPOFF(64|32)|R_386_TLS_DTPOFF32|R_AARCH64_TLS_DTPREL(64)?|R_ARM_TLS_DTPOFF32|R_390_TLS_DTPOFF|R_PPC64_DTPREL64|R_MIPS_TLS_DTPREL32|R_RISCV_TLS_DTPREL64)\b/g),
    tlsdesc: count(/\b(R_X86_64_TLSDESC|R_386_TLS_DESC|R_AARCH64_TLSDESC|R_ARM_TLS_DESC|R_RISCV_TLSDESC)\b/g),
  };
}

const readelfTls = (file) => parseTls(readelf(['-lW'], file));
const readelfTlsRelocs = (file) => countTlsRelocs(readelf(['-rW'], file));

function readelfStaticTlsFlag(file) {
  return /\(FLAGS\)\s+.*\bSTATIC_TLS\b/.test(readelf(['-dW'], file));
}

// Names of the TLS symbols in readelf -s output (.dynsym and .symtab), defined and undefined.
function parseTlsSymbols(out) {
  const seen = { defined: new Set(), undefined: new Set() };
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[3] !== 'TLS' || !/^\d+:$/.test(f[0])) continue;
    seen[f[6] === 'UND' ? 'undefined' : 'defined'].add(f[7].replace(/@.*/, ''));
  }
  return { defined: [...seen.defined].sort(), undefined: [...seen.undefined].sort() };
}

// Everything analyze() is compared with, from one `readelf -lWdrsV` run.
function readelfFacts(file) {
  const out = readelf(['-lWdrsV'], file);
  const dyn = (tag) => [...out.matchAll(new RegExp(`\\(${tag}\\)\\s+[^\\[]*\\[([^\\]]*)\\]`, 'g'))].map((m) => m[1]);
  const needsAt = out.indexOf('Version needs section');
  const defsAt = out.indexOf('Version definition section');
  const defs = defsAt < 0 ? [] : [...out.slice(defsAt, needsAt > defsAt ? needsAt : undefined)
    .matchAll(/Rev: \d+\s+Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)/g)]
    .filter((m) => !m[1].includes('BASE')).map((m) => m[2]);
  return {
    tls: parseTls(out),
    staticTls: /\(FLAGS\)\s+.*\bSTATIC_TLS\b/.test(out),
    needed: dyn('NEEDED'),
    soname: dyn('SONAME')[0] || null,
    // the loaders use the last of several tags (glibc elf/get-dynamic-info.h)
    rpath: dyn('RPATH').slice(-1).flatMap((s) => s.split(':')),
    runpath: dyn('RUNPATH').slice(-1).flatMap((s) => s.split(':')),
    tlsRelocations: countTlsRelocs(out),
    minGlibc: readelfMinGlibc(out),
    versionDefs: defs,
    tlsSymbols: parseTlsSymbols(out),
  };
}

// glibc's own libraries: only their GLIBC_2.x needs count towards minGlibc.
const GLIBC_LIBRARIES = /^(libc\.so\.6(\.1)?|libm\.so\.6(\.1)?|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|libBrokenLocale\.so\.1|libnsl\.so\.1|libcrypt\.so\.1|libmvec\.so\.1|libthread_db\.so\.1|libc_malloc_debug\.so\.0|libmemusage\.so|libpcprofile\.so|libSegFault\.so|libcidn\.so\.1|ld\.so\.1|ld-linux.*|ld64\.so\..*|libnss_.*)$/;

// The minimum GLIBC_2.x version needed from glibc's own libraries, from readelf -V output.
function readelfMinGlibc(out) {
  const at = out.indexOf('Version needs section');
  if (at < 0) return null;
  const found = [];
  let file = null;
  for (const line of out.slice(at).split('\n').slice(1)) {
    const f = /File: (\S+)/.exec(line);
    const n = /^\s*0x[0-9a-f]+:\s+Name: (\S+)/.exec(line);
    if (f) file = f[1];
    else if (n && file && GLIBC_LIBRARIES.test(file) && /^GLIBC_2[\d.]*$/.test(n[1])) found.push(n[1].slice(6));
    else if (!f && !n && line.trim() && !/^\s*\d+:/.test(line) && !/Addr:/.test(line)) break;
  }
  found.sort((a, b) => cmpVersion(b, a));
  return found[0] || null;
}

// analyze() next to readelf -lWdrsV on the facts both report; throws on any difference.
function compareAnalyzeWithReadelf(ti, file) {
  const got = ti.analyzeSync(file);
  const want = readelfFacts(file);
  const names = (defined) => [...new Set(got.tlsSymbols.filter((s) => s.defined === defined).map((s) => s.name))].sort();
  const { tpoff, dtpmod, dtpoff, tlsdesc } = got.tlsRelocations;
  const subset = {
    tls: got.tls, staticTls: got.flags.staticTls, needed: got.needed, soname: got.soname,
    rpath: got.rpath, runpath: got.runpath, tlsRelocations: { tpoff, dtpmod, dtpoff, tlsdesc }, minGlibc: got.minGlibc,
    versionDefs: got.versionDefs, tlsSymbols: { defined: names(true), undefined: names(false) },
  };
  const assert = require('assert');
  assert.deepStrictEqual(subset, want, file);
  const sym = readelfSymbols(file);
  assert.deepStrictEqual(got.imports, sym.imports, `${file}: imports`);
  assert.deepStrictEqual(got.exports, sym.exports, `${file}: exports`);
  assert.deepStrictEqual([got.tlsRelocations.tpoffOwn, got.tlsRelocations.tlsdescOwn], [sym.tpoffOwn, sym.tlsdescOwn],
    `${file}: TLS relocations against the file's own block`);
  return got;
}

const SYMBOL_TYPES = { NOTYPE: 'notype', OBJECT: 'object', FUNC: 'func', TLS: 'tls', IFUNC: 'ifunc' };

// One `readelf --dyn-syms -rVW` run: every .dynsym entry by index, every
// relocation as { sym, type } (the symbol index read from r_info), and the file
// each version need number names.
function readelfDynamic(file) {
  const out = readelf(['--dyn-syms', '-rVW'], file);
  const syms = [], relocs = [], needFile = {}, versym = [];
  let section = null, file_ = null, declared = 0;
  for (const line of out.split('\n')) {
    if (/^Relocation section/.test(line)) section = 'reloc';
    else if (/^Symbol table '\.dynsym'/.test(line)) {
      section = 'dynsym';
      declared = Number(/contains (\d+) entr/.exec(line)[1]);
    }
    else if (/^Version needs section/.test(line)) section = 'verneed';
    else if (/^Version symbols section/.test(line)) section = 'versym';
    else if (/^Version definition section/.test(line)) section = null;
    else if (section === 'versym') {
      const at = /^\s*([0-9a-f]+):/.exec(line);
      if (!at) continue;
      let i = parseInt(at[1], 16);
      for (const m of line.slice(at[0].length).matchAll(/([0-9a-f]+)(h?)\s*\(([^)]*)\)/g)) {
        versym[i++] = { index: parseInt(m[1], 16), hidden: m[2] === 'h', name: m[3] };
      }
    }
    else if (section === 'reloc') {
      const m = /^\s*[0-9a-f]+\s+([0-9a-f]+)\s+(R_\w+)/.exec(line);
      if (!m) continue;
      const info = BigInt(`0x${m[1]}`);
      relocs.push({ sym: Number(m[1].length > 8 ? info >> 32n : info >> 8n), type: m[2] });
    } else if (section === 'dynsym') {
      // readelf names STB_GNU_UNIQUE "UNIQUE" only for some OS ABIs, "<OS specific>: 10" for the others
      const m = /^\s*(\d+):\s+[0-9a-f]+\s+\S+\s+(\w+)\s+(<OS specific>: 10|\w+)\s+\w+\s+(?:\[[^\]]*\]\s+)?(\S+)\s?(.*)$/.exec(line);
      if (m) syms[Number(m[1])] = { type: m[2], bind: m[3].startsWith('<') ? 'UNIQUE' : m[3], undefined: m[4] === 'UND', name: m[5] };
    } else if (section === 'verneed') {
      const f = /File: (\S+)/.exec(line);
      const n = /Name: (\S+)\s+Flags: .*Version: (\d+)/.exec(line);
      if (f) file_ = f[1];
      else if (n) needFile[n[2]] = file_;
    }
  }
  const parsed = syms.filter(Boolean).length;
  if (parsed !== declared) throw new Error(`${file}: parsed ${parsed} of readelf's ${declared} dynamic symbols`);
  return { syms, relocs, needFile, versym };
}

// imports, exports and own-block TLS relocation counts as readelf shows them.
function readelfSymbols(file) {
  const { syms, relocs, needFile, versym } = readelfDynamic(file);
  const imports = new Map(), want = { tpoffOwn: 0, tlsdescOwn: 0 };
  syms.forEach((s, i) => {
    if (!i || !s.undefined) return;
    const m = /^(.*?)(?:@(\S+) \((\d+)\))?$/.exec(s.name);
    imports.set(i, { name: m[1], version: m[2] || null, from: m[3] ? needFile[m[3]] || null : null,
      type: SYMBOL_TYPES[s.type] || 'other', weak: s.bind === 'WEAK', plt: 0, got: 0, other: 0,
      initialExec: false, tlsdesc: false });
  });
  const tls = countTlsRelocs;
  for (const r of relocs) {
    if (/_NONE$/.test(r.type)) continue;
    const kind = tls(r.type);
    const imp = r.sym ? imports.get(r.sym) : null;
    if (!imp) {
      const own = r.sym === 0 || (syms[r.sym] && !syms[r.sym].undefined);
      if (own) { want.tpoffOwn += kind.tpoff; want.tlsdescOwn += kind.tlsdesc; }
      continue;
    }
    if (/_(JUMP|JMP)_SLOT$/.test(r.type)) imp.plt++;
    else if (/_GLOB_DAT$/.test(r.type)) imp.got++;
    else imp.other++;
    if (kind.tpoff) imp.initialExec = true;
    if (kind.tlsdesc) imp.tlsdesc = true;
  }
  want.imports = [...imports.values()];
  // Versions from the version symbol table: readelf's name column leaves out the
  // version of a version's own marker symbol (GLIBC_2.2.5 defined at GLIBC_2.2.5).
  want.exports = [];
  syms.forEach((s, i) => {
    if (!i || s.undefined || !['GLOBAL', 'WEAK', 'UNIQUE'].includes(s.bind)) return;
    const name = s.name.replace(/@.*/, ''), v = versym[i];
    want.exports.push(v && v.index > 1 ? `${name}${v.hidden ? '@' : '@@'}${v.name}` : name);
  });
  return want;
}

// Class, byte order and machine name from readelf -h.
function readelfHeader(file) {
  const out = readelf(['-hW'], file);
  const field = (name) => (out.match(new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm')) || [])[1];
  return { class: field('Class') === 'ELF32' ? 32 : 64, endian: /big endian/.test(field('Data')) ? 'be' : 'le',
    machine: field('Machine') };
}

function cmpVersion(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
  }
  return 0;
}

// A deterministic spread of real shared objects from the system library directory.
function systemLibraries(n) {
  const dir = '/usr/lib/x86_64-linux-gnu';
  if (!fs.existsSync(dir)) return [];
  const all = fs.readdirSync(dir).filter((f) => /\.so(\.|$)/.test(f)).sort()
    .map((f) => path.join(dir, f))
    .filter((f) => { try { return fs.lstatSync(f).isFile(); } catch (_) { return false; } })
    .filter((f) => { const b = Buffer.alloc(4); const fd = fs.openSync(f, 'r'); fs.readSync(fd, b, 0, 4, 0); fs.closeSync(fd); return b.toString('latin1') === '\x7fELF'; });
  const step = Math.max(1, Math.floor(all.length / n));
  return all.filter((_, i) => i % step === 0).slice(0, n);
}

// Files with an executable mapping in this process, from /proc/self/maps.
function executableMappings() {
  const files = new Set();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 6 && f[1].includes('x') && f[5].startsWith('/')) files.add(f.slice(5).join(' '));
  }
  return files;
}

// Runs a Node script in a child process and parses its JSON stdout.
function nodeJson(script, args = [], env = {}) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', cwd: ROOT,
    env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 120000 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function haveCommand(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error;
}

// Skips the running test, printing why (mocha alone shows only the title).
function skip(ctx, reason) {
  process.stdout.write(`      skipped: ${reason}\n`);
  ctx.skip();
}

// Whether files in `dir` can have holes of `bytes` (apparent size without disk
// blocks); the reason when not.  Filesystems without holes (or with a smaller
// maximum file size) would fill the disk or refuse the size, so the sparse-file
// tests ask first.
function holesRefused(dir, bytes) {
  const probe = path.join(dir, `.ti-hole-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'x');
    fs.truncateSync(probe, bytes);
    const used = fs.statSync(probe).blocks * 512;
    return used > (1 << 20) ? `the temp filesystem stores no holes (${used} bytes used for ${bytes} apparent)` : null;
  } catch (e) {
    return `the temp filesystem refuses a sparse file of ${bytes} bytes (${e.code || e.message})`;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

// Writes root/rel: a copy of an existing file, JSON for an object, else the bytes or text given.
function putFile(root, rel, content) {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (typeof content === 'string' && fs.existsSync(content)) fs.copyFileSync(content, file);
  else fs.writeFileSync(file, typeof content === 'object' && !Buffer.isBuffer(content) ? JSON.stringify(content) : content);
  return file;
}

module.exports = { ROOT, putFile, skip, readelfFacts, readelfSymbols, compareAnalyzeWithReadelf, readelfHeader, systemLibraries, cmpVersion, readelf, readelfTls, readelfTlsRelocs, readelfStaticTlsFlag,
  executableMappings, nodeJson, haveCommand, holesRefused };
