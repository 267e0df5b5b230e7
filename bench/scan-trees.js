'use strict';
// Trees for the scan benchmarks, built from real npm packages that ship their
// native builds inside the tarball (prebuildify/node-gyp-build prebuilds for
// several platforms, napi-rs and sharp platform packages, zeromq's cmake-ts
// build/ tree).  The tarballs are fetched once into .cache/scan-bench/ with
// `npm pack`; the trees are made of hard links to the unpacked files (same
// bytes and inode, no disk copies), laid out as npm installs them:
// <project>/node_modules/<name>/..., projects repeated until the native file
// count is reached (the last one partial).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const PACKAGES = [
  'bufferutil@4.1.0', 'utf-8-validate@6.0.6', 'sodium-native@5.1.0', 'classic-level@3.0.0', 'leveldown@6.1.1',
  '@datadog/pprof@5.20.0', '@serialport/bindings-cpp@13.0.1', '@parcel/watcher-linux-x64-glibc@2.6.0',
  'lightningcss-linux-x64-gnu@1.33.0', '@img/sharp-linux-x64@0.35.5', '@img/sharp-libvips-linux-x64@1.3.4', 'zeromq@6.8.0',
];
const NATIVE = /\.node$|\.so(\.\d+)*$/;

const specName = (spec) => spec.slice(0, spec.lastIndexOf('@'));

// Unpacks every package once; returns [{ name, dir, files: [rel], native: [rel] }].
function fetchPackages(cacheDir) {
  const cache = path.resolve(cacheDir);
  const out = [];
  for (const spec of PACKAGES) {
    const name = specName(spec);
    const dir = path.join(cache, 'packages', name.replace('/', '+'));
    if (!fs.existsSync(path.join(dir, 'package', 'package.json'))) {
      fs.mkdirSync(dir, { recursive: true });
      const tgz = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 }).trim().split('\n').pop();
      execFileSync('tar', ['xzf', path.join(dir, tgz), '-C', dir]);
    }
    const root = path.join(dir, 'package');
    const files = listFiles(root).sort();
    out.push({ name, spec, dir: root, files, native: files.filter((f) => NATIVE.test(f)) });
  }
  return out;
}

function listFiles(dir, rel = '') {
  const out = [];
  for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (ent.isDirectory()) out.push(...listFiles(dir, r));
    else if (ent.isFile()) out.push(r);
  }
  return out;
}

function linkAll(pkg, dest, only) {
  for (const rel of only || pkg.files) {
    const to = path.join(dest, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.linkSync(path.join(pkg.dir, rel), to);
  }
}

// A tree of `natives` native files, projects of every package; reused when
// already built with the same composition.  Returns { dir, projects, natives, files }.
function nativeTree(cache, packages, natives) {
  const dir = path.join(cache, 'trees', `native-${natives}`);
  const stamp = path.join(dir, '.composition.json');
  const want = JSON.stringify({ packages: PACKAGES, natives });
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').startsWith(want.slice(0, -1))) return JSON.parse(fs.readFileSync(stamp, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  let left = natives;
  let files = 0;
  let projects = 0;
  for (; left > 0; projects++) {
    const nm = path.join(dir, `project${String(projects).padStart(4, '0')}`, 'node_modules');
    for (const pkg of packages) {
      if (left <= 0) break;
      // a partial last package keeps package.json and the first native files
      const only = pkg.native.length <= left ? null : [...pkg.files.filter((f) => !NATIVE.test(f)), ...pkg.native.slice(0, left)];
      linkAll(pkg, path.join(nm, pkg.name), only);
      files += (only || pkg.files).length;
      left -= Math.min(left, pkg.native.length);
    }
  }
  const info = { packages: PACKAGES, natives, dir, projects, files };
  fs.writeFileSync(stamp, JSON.stringify(info));
  return info;
}

// `plain` non-native files in packages of 100 (package.json, index.js and
// lib/*.js, small files of their own) beside one partial project of
// real packages holding `natives` native files.
function mostlyPlainTree(cache, packages, plain, natives) {
  const dir = path.join(cache, 'trees', `plain-${plain}-${natives}`);
  const stamp = path.join(dir, '.composition.json');
  const want = JSON.stringify({ packages: PACKAGES, plain, natives });
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').startsWith(want.slice(0, -1))) return JSON.parse(fs.readFileSync(stamp, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  const nm = path.join(dir, 'node_modules');
  const js = "'use strict';\nmodule.exports = {};\n";
  fs.mkdirSync(nm, { recursive: true });
  let left = natives;
  let plainFiles = 0;
  for (const pkg of packages) {
    if (left <= 0) break;
    const nonNative = pkg.files.filter((f) => !NATIVE.test(f));
    const only = [...nonNative, ...pkg.native.slice(0, left)];
    linkAll(pkg, path.join(nm, pkg.name), only);
    plainFiles += nonNative.length;
    left -= Math.min(left, pkg.native.length);
  }
  for (let p = 0; plainFiles < plain; p++) {
    const pkgDir = path.join(nm, `plain-${p}`);
    fs.mkdirSync(path.join(pkgDir, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: `plain-${p}`, version: '1.0.0', main: 'index.js' }));
    plainFiles++;
    for (let i = 0; i < 99 && plainFiles < plain; i++, plainFiles++) {
      fs.writeFileSync(path.join(pkgDir, i ? path.join('lib', `m${i}.js`) : 'index.js'), js);
    }
  }
  const info = { packages: PACKAGES, plain, natives, dir, files: plainFiles + natives };
  fs.writeFileSync(stamp, JSON.stringify(info));
  return info;
}

const isElf = (file) => {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    return fs.readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32BE(0) === 0x7f454c46;
  } finally {
    fs.closeSync(fd);
  }
};

// A tree of `natives` distinct ELF native files: projects laid out like
// nativeTree's, but every ELF native file is a copy of the real one with its
// own number appended (8 bytes past the end: no loader reads them), so no two
// share an inode or bytes and each is read and judged on its own; other files
// are hard links, non-ELF builds (macOS, Windows) are left out.
function distinctTree(cache, packages, natives) {
  const dir = path.join(cache, 'trees', `distinct-${natives}`);
  const stamp = path.join(dir, '.composition.json');
  const want = JSON.stringify({ packages: PACKAGES, distinct: natives });
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').startsWith(want.slice(0, -1))) return JSON.parse(fs.readFileSync(stamp, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  const elf = packages.map((pkg) => pkg.native.filter((f) => isElf(path.join(pkg.dir, f))));
  let left = natives;
  let files = 0;
  let bytes = 0;
  let projects = 0;
  for (; left > 0; projects++) {
    const nm = path.join(dir, `project${String(projects).padStart(4, '0')}`, 'node_modules');
    packages.forEach((pkg, k) => {
      if (left <= 0 || !elf[k].length) return;
      const mine = elf[k].slice(0, left);
      linkAll(pkg, path.join(nm, pkg.name), pkg.files.filter((f) => !NATIVE.test(f)));
      for (const rel of mine) {
        const to = path.join(nm, pkg.name, rel);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        const tail = Buffer.alloc(8);
        tail.writeBigUInt64LE(BigInt(natives - left + 1));
        fs.writeFileSync(to, Buffer.concat([fs.readFileSync(path.join(pkg.dir, rel)), tail]), { mode: 0o755 });
        bytes += fs.statSync(to).size;
        left--;
      }
      files += pkg.files.length - pkg.native.length + mine.length;
    });
  }
  const info = { packages: PACKAGES, distinct: natives, natives, dir, projects, files, bytes };
  fs.writeFileSync(stamp, JSON.stringify(info));
  return info;
}

module.exports = { PACKAGES, fetchPackages, nativeTree, distinctTree, mostlyPlainTree };
