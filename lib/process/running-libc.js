'use strict';
// The libc this process runs on, from the process itself: LIBC when set
// (node-gyp-build's convention), else the loader its executable names
// (PT_INTERP of /proc/self/exe: one small read), else its mappings
// (/proc/self/maps, which the kernel writes out at some cost), else Node's report.
// Loads no addon, so the binding loader and the build scripts can both use it.
const fs = require('fs');

const familyOfLoader = (p) => (/\/ld-musl-[^/]*\.so/.test(p) ? 'musl' : /\/ld-linux[^/]*\.so|\/ld64\.so/.test(p) ? 'glibc' : null);

// The PT_INTERP path of the running executable, or null (a static
// executable, or one started as `ld.so PROGRAM`, has none).
function exeInterpreter() {
  let fd;
  try {
    fd = fs.openSync('/proc/self/exe', 'r');
    const b = Buffer.alloc(4096);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    if (n < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[5] !== 1) return null; // little-endian ELF only here
    const wide = b[4] === 2;
    const phoff = wide ? Number(b.readBigUInt64LE(32)) : b.readUInt32LE(28);
    const phentsize = b.readUInt16LE(wide ? 54 : 42);
    const phnum = b.readUInt16LE(wide ? 56 : 44);
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + (wide ? 56 : 32) > n) return null;
      if (b.readUInt32LE(at) !== 3) continue; // PT_INTERP
      const off = wide ? Number(b.readBigUInt64LE(at + 8)) : b.readUInt32LE(at + 4);
      const size = wide ? Number(b.readBigUInt64LE(at + 32)) : b.readUInt32LE(at + 16);
      if (size < 2 || size > 4096) return null;
      const s = Buffer.alloc(size);
      if (fs.readSync(fd, s, 0, size, off) !== size) return null;
      return s.toString('latin1', 0, size - 1);
    }
    return null;
  } catch (_) {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function runningLibc(env = process.env) {
  if (env.LIBC === 'glibc' || env.LIBC === 'musl') return env.LIBC;
  const interp = exeInterpreter();
  const byInterp = interp && familyOfLoader(interp);
  if (byInterp) return byInterp;
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    if (/\/ld-musl-[^\s/]*\.so/.test(maps)) return 'musl';
    if (/\/libc\.so\.6\b/.test(maps)) return 'glibc';
  } catch (_) { /* no procfs: ask Node */ }
  const header = process.report && process.report.getReport().header;
  return header && header.glibcVersionRuntime ? 'glibc' : 'musl';
}

module.exports = { runningLibc, exeInterpreter };
