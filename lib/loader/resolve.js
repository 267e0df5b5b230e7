'use strict';
// Finds a DT_NEEDED library the way the host's loader would, without loading it.
// glibc: RPATH (when no RUNPATH), LD_LIBRARY_PATH, RUNPATH, ld.so.cache dirs
// (from ld.so.conf), then the default directories.  musl: LD_LIBRARY_PATH,
// RPATH/RUNPATH, /etc/ld-musl-<arch>.path or its defaults.  Objects already
// loaded in this process satisfy a name by soname, as both loaders do.
const fs = require('fs');
const path = require('path');

const GLIBC_DEFAULTS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
const MUSL_DEFAULTS = ['/lib', '/usr/local/lib', '/usr/lib'];
const MULTIARCH = { x86_64: 'x86_64-linux-gnu', aarch64: 'aarch64-linux-gnu', i386: 'i386-linux-gnu', arm: 'arm-linux-gnueabihf' };

function readLines(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  } catch (_) {
    return [];
  }
}

function globConf(pattern) {
  const dir = path.dirname(pattern);
  const re = new RegExp(`^${path.basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  try {
    return fs.readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => path.join(dir, f));
  } catch (_) {
    return [];
  }
}

// Directories ldconfig puts in ld.so.cache, from ld.so.conf and its includes.
function ldSoConfDirs(file = '/etc/ld.so.conf', seen = new Set()) {
  if (seen.has(file) || seen.size > 64) return [];
  seen.add(file);
  const dirs = [];
  for (const line of readLines(file)) {
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc) {
      const pattern = path.isAbsolute(inc[1]) ? inc[1] : path.join(path.dirname(file), inc[1]);
      for (const f of globConf(pattern)) dirs.push(...ldSoConfDirs(f, seen));
    } else {
      dirs.push(...line.split(/[:\s,]+/).filter((d) => d.startsWith('/')));
    }
  }
  return dirs;
}

function muslPathDirs(machine) {
  const file = `/etc/ld-musl-${machine}.path`;
  if (!fs.existsSync(file)) return MUSL_DEFAULTS;
  return readLines(file).join(':').split(/[:\n]/).filter(Boolean);
}

function expand(dir, origin, machine) {
  return dir.replace(/\$(\{ORIGIN\}|ORIGIN)/g, origin)
    .replace(/\$(\{LIB\}|LIB)/g, MULTIARCH[machine] ? `lib/${MULTIARCH[machine]}` : 'lib64')
    .replace(/\$(\{PLATFORM\}|PLATFORM)/g, machine);
}

// The first 20 bytes say whether a candidate fits: ld.so skips other classes and machines.
function elfMatches(file, want) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(20);
    if (fs.readSync(fd, b, 0, 20, 0) < 20 || b.readUInt32BE(0) !== 0x7f454c46) return false;
    const cls = b[4] === 2 ? 64 : 32;
    const machine = b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
    return cls === want.class && machine === want.machineNumber;
  } catch (_) {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function searchDirs(analysis, family, env, context) {
  const origin = path.dirname(context.realPath || analysis.path);
  const ldLibraryPath = (env.LD_LIBRARY_PATH || '').split(':').filter(Boolean);
  const x = (dirs) => dirs.map((d) => expand(d, origin, analysis.machine));
  if (family === 'musl') {
    return [...ldLibraryPath, ...x(analysis.rpath), ...x(analysis.runpath), ...muslPathDirs(analysis.machine)];
  }
  const rpath = analysis.runpath.length ? [] : x([...analysis.rpath, ...(context.inheritedRpath || [])]);
  return [...rpath, ...ldLibraryPath, ...x(analysis.runpath), ...context.cacheDirs(), ...GLIBC_DEFAULTS];
}

// Returns the path the loader would use for `name`, 'loaded' when an object in
// this process already provides it, or null.
function findLibrary(name, analysis, { family, env = process.env, loadedNames, context = {} }) {
  if (name.includes('/')) return fs.existsSync(name) ? name : null;
  if (loadedNames && loadedNames.has(name)) return 'loaded';
  const ctx = { cacheDirs: () => ldSoConfDirs(), ...context };
  for (const dir of searchDirs(analysis, family, env, ctx)) {
    const candidate = path.join(dir, name);
    if (elfMatches(candidate, analysis)) return candidate;
  }
  return null;
}

module.exports = { findLibrary, ldSoConfDirs, searchDirs };
