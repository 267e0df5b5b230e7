'use strict';
// A target's root file system (--sysroot DIR): a Debian cross sysroot
// (/usr/<triple>), an extracted image, a debootstrap tree.  Paths inside it are
// resolved as its own loader sees them when chrooted there: an absolute
// symlink starts again at the root, `..` stops at the root, so nothing a
// hostile tree holds makes us read outside it.  The target's facts (libc
// family and release, libstdc++, architecture, $LIB) are read from its files.
const fs = require('fs');
const { tiError, fromSystemError } = require('../errors');
const { CPUS, byCpu, cpuOf } = require('../platform');
const { cmpVersion } = require('../version');

// Linux's own bounds: 40 symlinks per lookup (MAXSYMLINKS), PATH_MAX 4096.
const MAX_LINKS = 40;
const MAX_PATH = 4096;
const MAX_PARTS = 4096;

// The steps of resolving `p` (a path as the target sees it) inside `root` (a
// canonical host directory): yields { lstat: hostPath } and { readlink:
// hostPath } questions, returns { path: host path free of symlinks } or { code }.
function* walk(root, p) {
  if (typeof p !== 'string' || p.length > MAX_PATH || p.includes('\0')) return { code: 'ENAMETOOLONG' };
  const base = root === '/' ? '' : root;
  let parts = p.split('/').filter((c) => c && c !== '.');
  const stack = [];
  let links = 0, seen = 0;
  while (parts.length) {
    if (++seen > MAX_PARTS) return { code: 'ELOOP' };
    const c = parts.shift();
    if (c === '.') continue;
    if (c === '..') {
      stack.pop(); // the root is its own parent
      continue;
    }
    const host = `${base}/${[...stack, c].join('/')}`;
    const st = yield { lstat: host };
    if (st.code) return { code: st.code };
    if (st.link) {
      if (++links > MAX_LINKS) return { code: 'ELOOP' };
      const to = yield { readlink: host };
      if (to.code) return { code: to.code };
      if (to.value.startsWith('/')) stack.length = 0; // absolute: from the target's root
      parts = [...to.value.split('/').filter((x) => x && x !== '.'), ...parts];
      continue;
    }
    if (parts.length && !st.dir) return { code: 'ENOTDIR' };
    stack.push(c);
  }
  return { path: stack.length ? `${base}/${stack.join('/')}` : root };
}

const statOf = (st) => ({ link: st.isSymbolicLink(), dir: st.isDirectory() });
const errOf = (e) => ({ code: e.code || 'EIO' });

function resolveSync(root, p) {
  const gen = walk(root, p);
  let r = gen.next();
  while (!r.done) {
    let answer;
    try {
      answer = r.value.lstat ? statOf(fs.lstatSync(r.value.lstat)) : { value: fs.readlinkSync(r.value.readlink, 'utf8') };
    } catch (e) {
      answer = errOf(e);
    }
    r = gen.next(answer);
  }
  return r.value;
}

async function resolveAsync(root, p) {
  const gen = walk(root, p);
  let r = gen.next();
  while (!r.done) {
    let answer;
    try {
      answer = r.value.lstat ? statOf(await fs.promises.lstat(r.value.lstat))
        : { value: await fs.promises.readlink(r.value.readlink, 'utf8') };
    } catch (e) {
      answer = errOf(e);
    }
    r = gen.next(answer);
  }
  return r.value;
}

// ---- what the tree says about the target ----

const MUSL_ARCH = byCpu('musl');
const MULTIARCH = byCpu('multiarch');
const READ_LIMIT = 32 << 20;

function fileIn(root, p) {
  const r = resolveSync(root, p);
  if (!r.path) return null;
  try {
    return fs.statSync(r.path).isFile() ? r.path : null;
  } catch (_) {
    return null;
  }
}

function headOf(file) {
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buf = Buffer.alloc(20);
    const n = fs.readSync(fd, buf, 0, 20, 0);
    if (n < 20 || buf.readUInt32BE(0) !== 0x7f454c46) return null;
    const machine = buf[5] === 2 ? buf.readUInt16BE(18) : buf.readUInt16LE(18);
    const bits = buf[4] === 2 ? 64 : 32;
    const name = Object.values(CPUS).find((c) => c.number === machine && c.bits === bits);
    return name ? cpuOf(name.machine, bits) : null;
  } catch (_) {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function readBounded(file) {
  try {
    const st = fs.statSync(file);
    return st.isFile() && st.size <= READ_LIMIT ? fs.readFileSync(file, { flag: fs.constants.O_RDONLY | fs.constants.O_NONBLOCK }) : null;
  } catch (_) {
    return null;
  }
}

// The newest version of a kind (GLIBC_, GLIBCXX_) a library defines.
function newestDefined(file, prefix) {
  try {
    const a = require('../file/analyze').analyzeSync(file);
    return a.versionDefs.filter((v) => v.startsWith(prefix) && /^[\d.]+$/.test(v.slice(prefix.length)))
      .map((v) => v.slice(prefix.length)).sort(cmpVersion).pop() || null;
  } catch (_) {
    return null;
  }
}

// glibc's release: libc.so.6 carries "... release version 2.36" (what it prints when run).
function glibcRelease(libc) {
  const buf = readBounded(libc);
  const m = buf && /release version (\d+\.\d+)/.exec(buf.toString('latin1'));
  return m ? m[1] : newestDefined(libc, 'GLIBC_');
}

// musl's release: Alpine's package database, else the newest release of the
// musl table whose additions the library all exports (a lower bound).
function muslRelease(root, libc) {
  const db = fileIn(root, '/lib/apk/db/installed');
  const text = db && readBounded(db);
  const m = text && /(?:^|\n)P:musl\nV:(\d+\.\d+\.\d+)/.exec(text.toString('utf8'));
  if (m) return { version: m[1], source: '/lib/apk/db/installed' };
  const { muslSymbols } = require('./symbols');
  const table = muslSymbols();
  if (!table) return { version: null, source: null };
  let exported;
  try {
    const a = require('../file/analyze').analyzeSync(libc);
    exported = new Set(a.exports.map((e) => e.replace(/@.*/, '')));
  } catch (_) {
    return { version: null, source: null };
  }
  let best = null;
  const added = new Map();
  for (const [name, release] of table.since) {
    if (!added.has(release)) added.set(release, []);
    added.get(release).push(name);
  }
  // distributions patch a few names in or out (Debian drops crypt): most of a release's additions suffice
  for (const r of table.releases) {
    const names = added.get(r) || [];
    if (!names.length) continue;
    if (names.filter((n) => exported.has(n)).length < names.length * 0.9) break;
    best = r;
  }
  return { version: best, source: best ? 'its exports (at least this release)' : null };
}

// The directory of libc.so.6 among the places distributions keep it.
function findGlibc(root, hint) {
  const cpus = hint ? [hint, ...Object.keys(MULTIARCH).filter((c) => c !== hint)] : Object.keys(MULTIARCH);
  const dirs = [...cpus.flatMap((c) => [`/lib/${MULTIARCH[c]}`, `/usr/lib/${MULTIARCH[c]}`]), '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
  for (const d of dirs) {
    const f = fileIn(root, `${d}/libc.so.6`);
    if (f) return { dir: d, file: f };
  }
  return null;
}

function findMusl(root, hint) {
  const cpus = hint ? [hint] : Object.keys(MUSL_ARCH);
  for (const c of cpus) {
    const f = fileIn(root, `/lib/ld-musl-${MUSL_ARCH[c]}.so.1`);
    if (f) return { cpu: c, file: f, loader: `/lib/ld-musl-${MUSL_ARCH[c]}.so.1` };
  }
  return null;
}

// The facts of the system at `dir`: { sysroot, libc, glibc | musl, glibcxx,
// cpu, lib ($LIB), family, loader }.  cpu: the architecture asked for, if
// any.  Kept per root while its libc file is the same (device, inode, mtime):
// every target description of a scan reads it once.
const described = new Map();
function describe(dir, cpu) {
  const root = typeof dir === 'string' && dir ? (() => { try { return fs.realpathSync(dir); } catch (_) { return null; } })() : null;
  const key = root && `${root}\0${cpu || ''}`;
  const kept = key && described.get(key);
  if (kept && identity(kept.file) === kept.id) return { ...kept.facts };
  const facts = readFacts(dir, cpu);
  if (key && described.size < 64) described.set(key, { facts, file: facts.file, id: identity(facts.file) });
  return { ...facts };
}

function identity(file) {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch (_) {
    return null;
  }
}

function readFacts(dir, cpu) {
  if (typeof dir !== 'string' || !dir) throw tiError('TI_EINVAL', 'sysroot must be a non-empty path');
  let root;
  try {
    root = fs.realpathSync(dir);
    if (!fs.statSync(root).isDirectory()) throw tiError('TI_ENOTDIR', `${dir}: a sysroot is a directory`, { path: dir });
  } catch (e) {
    if (e.code && e.code.startsWith('TI_')) throw e;
    throw fromSystemError(e, dir);
  }
  // a glibc system may have musl installed beside (Debian's musl package): glibc's
  // libc.so.6 decides, unless the tree says it is Alpine
  const alpine = Boolean(fileIn(root, '/etc/alpine-release'));
  const musl = findMusl(root, cpu);
  if (musl && (alpine || !findGlibc(root, musl.cpu))) {
    const rel = muslRelease(root, musl.file);
    const cxx = fileIn(root, '/usr/lib/libstdc++.so.6');
    return { sysroot: root, file: musl.file, libc: 'musl', musl: rel.version, muslSource: rel.source, cpu: musl.cpu, lib: 'lib',
      family: 'alpine', loader: musl.loader, glibcxx: cxx ? newestDefined(cxx, 'GLIBCXX_') : null };
  }
  const g = findGlibc(root, cpu);
  if (!g) {
    throw tiError('TI_EINVAL', `${dir}: no libc.so.6 or ld-musl-*.so.1 in the usual places (lib, usr/lib, their ` +
      'multiarch and lib64 directories): not a root file system', { path: dir });
  }
  const found = headOf(g.file);
  if (!found) throw tiError('TI_EINVAL', `${dir}: ${g.dir}/libc.so.6 is not an ELF library of a known architecture`, { path: dir });
  const lib = g.dir.replace(/^\/+/, '').replace(/^usr\//, '');
  let cxx = null;
  for (const d of [`/${lib}`, `/usr/${lib}`, '/lib', '/usr/lib']) if (!cxx) cxx = fileIn(root, `${d}/libstdc++.so.6`);
  return { sysroot: root, file: g.file, libc: 'glibc', glibc: glibcRelease(g.file), cpu: found, lib,
    family: lib === 'lib64' ? 'rhel' : 'debian', glibcxx: cxx ? newestDefined(cxx, 'GLIBCXX_') : null };
}

// A resolved target judged on the system at `dir`: its runtime (Node or
// Electron release) stays, its system comes from the tree.  cpuFacts: targets.js's.
function onSysroot(t, dir, cpuFacts, asked = {}) {
  const s = describe(dir, asked.cpu);
  if (asked.cpu && asked.cpu !== s.cpu) throw tiError('TI_EINVAL', `${dir} is a ${s.cpu} system; --cpu ${asked.cpu} contradicts it`);
  const named = t.kind === 'host' ? null : t.libc;
  if ((named && named !== s.libc) || (asked.libc && asked.libc !== s.libc)) {
    throw tiError('TI_EINVAL', `${dir} is a ${s.libc} system; ${t.name} (${asked.libc || named}) contradicts it`);
  }
  const name = t.kind === 'host' ? `sysroot ${dir}` : `${t.name} on ${dir}`;
  const out = { ...t, name, kind: 'sysroot', os: 'linux', ...cpuFacts(s.cpu), ...s };
  delete out.file;
  for (const k of ['glibc', 'musl']) if (k !== s.libc) delete out[k];
  return out;
}

module.exports = { walk, resolveSync, resolveAsync, describe, onSysroot };
