'use strict';
// Independent truths for the tests: readelf, /proc, ldd, and child processes.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

function readelf(args, file) {
  return execFileSync('readelf', [...args, file], { encoding: 'utf8', maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'ignore'] });
}

// PT_TLS from readelf -l output: { size: p_memsz, initSize: p_filesz, align: p_align } or null.
function parseTls(out) {
  const m = out.match(/^\s*TLS\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)/m);
  if (!m) return null;
  return { size: parseInt(m[5], 16), initSize: parseInt(m[4], 16), align: parseInt(m[6], 16) };
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
  let needs = needsAt < 0 ? '' : out.slice(needsAt);
  const nextSection = needs.slice(1).search(/\n(Version \w+ section|Relocation section|Dynamic section)/);
  if (nextSection >= 0) needs = needs.slice(0, nextSection + 1);
  const defsAt = out.indexOf('Version definition section');
  const defs = defsAt < 0 ? [] : [...out.slice(defsAt, needsAt > defsAt ? needsAt : undefined)
    .matchAll(/Rev: \d+\s+Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)/g)]
    .filter((m) => !m[1].includes('BASE')).map((m) => m[2]);
  const glibc = [...needs.matchAll(/Name: GLIBC_(2[\d.]*)\b/g)].map((m) => m[1]);
  glibc.sort((a, b) => cmpVersion(b, a));
  return {
    tls: parseTls(out),
    staticTls: /\(FLAGS\)\s+.*\bSTATIC_TLS\b/.test(out),
    needed: dyn('NEEDED'),
    soname: dyn('SONAME')[0] || null,
    rpath: dyn('RPATH').flatMap((s) => s.split(':')),
    runpath: dyn('RUNPATH').flatMap((s) => s.split(':')),
    tlsRelocations: countTlsRelocs(out),
    minGlibc: glibc[0] || null,
    versionDefs: defs,
    tlsSymbols: parseTlsSymbols(out),
  };
}

// analyze() next to readelf -lWdrsV on the facts both report; throws on any difference.
function compareAnalyzeWithReadelf(ti, file) {
  const got = ti.analyzeSync(file);
  const want = readelfFacts(file);
  const names = (defined) => [...new Set(got.tlsSymbols.filter((s) => s.defined === defined).map((s) => s.name))].sort();
  const subset = {
    tls: got.tls, staticTls: got.flags.staticTls, needed: got.needed, soname: got.soname,
    rpath: got.rpath, runpath: got.runpath, tlsRelocations: got.tlsRelocations, minGlibc: got.minGlibc,
    versionDefs: got.versionDefs, tlsSymbols: { defined: names(true), undefined: names(false) },
  };
  require('assert').deepStrictEqual(subset, want, file);
  return got;
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

module.exports = { ROOT, skip, readelfFacts, compareAnalyzeWithReadelf, readelfHeader, systemLibraries, cmpVersion, readelf, readelfTls, readelfTlsRelocs, readelfStaticTlsFlag,
  executableMappings, nodeJson, haveCommand };
