#!/usr/bin/env node
'use strict';
// node scripts/fuzz-seeds.js [--out DIR]
// Gathers real native modules as fuzzing seeds into .cache/fuzz-seeds/ (git-ignored,
// never committed): the ELF files inside npm packages that ship Linux prebuilds,
// written in C/C++, Rust, Go and Zig, fetched with `npm pack`, plus a Go c-shared
// library built here when `go` is installed.  Files too large for the fuzzer's
// -max_len get a compact twin as well: the largest run of code and read-only data
// sections (which the analyzer never reads) becomes a hole described in the ELF
// header's padding, the sparse layout of test/fuzz/fuzz_file_diff.c, so every
// offset of the real file stays what it was.
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const PACKAGES = {
  cxx: ['sodium-native', 'classic-level', 'bufferutil', '@datadog/pprof', 'zeromq'],
  rust: ['@napi-rs/canvas-linux-x64-gnu', 'lightningcss-linux-x64-gnu', '@swc/core-linux-x64-gnu',
    '@rollup/rollup-linux-x64-gnu', '@node-rs/argon2-linux-x64-gnu'],
  go: ['@esbuild/linux-x64'],
  zig: ['tigerbeetle-node'],
};
const COMPACT_OVER = 4 << 20;
const PAGE = 4096;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error || '').toString().slice(-500)}`);
  return r.stdout;
}

function isElf(file) {
  const fd = fs.openSync(file, 'r');
  const magic = Buffer.alloc(4);
  try { fs.readSync(fd, magic, 0, 4, 0); } finally { fs.closeSync(fd); }
  return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
}

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) walk(f, out);
    else if (e.isFile() && fs.statSync(f).size > 1024 && isElf(f)) out.push(f);
  }
  return out;
}

// The ELF files of one npm package, fetched into cache/ once.
function packageElves(name, cache) {
  const unpacked = path.join(cache, name.replace(/[@/]/g, '_'));
  if (!fs.existsSync(unpacked)) {
    const tgz = run('npm', ['pack', name, '--silent', '--pack-destination', cache]).trim().split('\n').pop();
    fs.mkdirSync(unpacked, { recursive: true });
    run('tar', ['xzf', path.join(cache, tgz), '-C', unpacked]);
  }
  return walk(unpacked);
}

// A Go c-shared library (Go's runtime brings initial-exec TLS), plain and stripped.
function goShared(cache) {
  if (spawnSync('go', ['version']).status !== 0) return [];
  const dir = path.join(cache, 'go-c-shared');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'main.go'), 'package main\n\nimport "C"\n\n//export TiSeedAdd\n' +
    'func TiSeedAdd(a, b C.int) C.int { return a + b }\n\nfunc main() {}\n');
  const env = { ...process.env, GO111MODULE: 'off', GOCACHE: path.join(cache, 'gocache'), GOPATH: path.join(cache, 'gopath') };
  const out = [];
  for (const [name, flags] of [['libseed_go.so', []], ['libseed_go_stripped.so', ['-ldflags=-s -w']]]) {
    const so = path.join(dir, name);
    if (!fs.existsSync(so)) run('go', ['build', '-buildmode=c-shared', ...flags, '-o', so, 'main.go'], { cwd: dir, env });
    out.push(so);
  }
  return out;
}

// [offset, size] of the largest run of sections the analyzer never reads
// (code, read-only data, unwind tables), page-aligned inward; null if small.
function unreadRun(file) {
  const rows = [];
  for (const line of run('readelf', ['-SW', file]).split('\n')) {
    const m = line.match(/^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+\S+\s*([A-Za-z]*)/);
    if (m) rows.push({ name: m[1], type: m[2], off: parseInt(m[3], 16), size: parseInt(m[4], 16), flags: m[5] });
  }
  const unread = (s) => s.type === 'PROGBITS' && !s.flags.includes('T') && !/^\.(interp|got|got\.plt)$/.test(s.name);
  const runs = [];
  let cur = null;
  for (const s of rows.filter((x) => x.type !== 'NOBITS' && x.size > 0).sort((a, b) => a.off - b.off)) {
    if (!unread(s)) cur = null;
    else if (cur) cur.end = Math.max(cur.end, s.off + s.size);
    else runs.push(cur = { start: s.off, end: s.off + s.size });
  }
  const best = runs.sort((a, b) => (b.end - b.start) - (a.end - a.start))[0];
  if (!best) return null;
  const start = Math.ceil(best.start / PAGE) * PAGE;
  const end = Math.floor(best.end / PAGE) * PAGE;
  return end - start >= (1 << 20) ? [start, end - start] : null;
}

// The file with [off, off + size) cut out and the cut described in e_ident[9..15].
function compact(bytes, [off, size]) {
  const out = Buffer.concat([bytes.subarray(0, off), bytes.subarray(off + size)]);
  out[9] = 13; // hole = count << 12
  out.writeUInt16LE(off / PAGE, 10);
  out.writeUInt32LE(size / PAGE, 12);
  return out;
}

function main() {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? path.resolve(args[outAt + 1]) : path.join(root, '.cache', 'fuzz-seeds');
  const cache = path.join(root, '.cache', 'fuzz-packages');
  fs.mkdirSync(out, { recursive: true });
  fs.mkdirSync(cache, { recursive: true });
  const seen = new Set();
  const counts = {};
  const add = (lang, origin, file) => {
    const bytes = fs.readFileSync(file);
    const variants = [[bytes, '']];
    const cut = bytes.length > COMPACT_OVER ? unreadRun(file) : null;
    if (cut) variants.push([compact(bytes, cut), '-sparse']);
    for (const [b, suffix] of variants) {
      const sum = crypto.createHash('sha1').update(b).digest('hex');
      if (seen.has(sum)) continue;
      seen.add(sum);
      const where = file.includes(`${path.sep}package${path.sep}`) ? file.split(`${path.sep}package${path.sep}`).pop() : path.basename(file);
      const name = `${lang}-${origin}-${where}${suffix}`.replace(/[^A-Za-z0-9._-]/g, '_');
      fs.writeFileSync(path.join(out, `${name}-${sum.slice(0, 8)}`), b);
      counts[lang] = (counts[lang] || 0) + 1;
    }
  };
  for (const [lang, names] of Object.entries(PACKAGES)) {
    for (const name of names) {
      try {
        for (const f of packageElves(name, cache)) add(lang, name.replace(/^@/, ''), f);
      } catch (err) {
        console.error(`fuzz-seeds: ${name}: ${err.message}`);
      }
    }
  }
  try {
    for (const f of goShared(cache)) add('go', 'c-shared', f);
  } catch (err) {
    console.error(`fuzz-seeds: go c-shared: ${err.message}`);
  }
  console.log(`fuzz-seeds: ${seen.size} seeds in ${path.relative(root, out)}: ${JSON.stringify(counts)}`);
}

main();
