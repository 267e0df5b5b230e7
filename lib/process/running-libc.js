'use strict';
// The libc this process runs on, from its own mappings: LIBC when set
// (node-gyp-build's convention), else /proc/self/maps, else Node's report.
// Loads no addon, so the binding loader and the build scripts can both use it.
const fs = require('fs');

function runningLibc(env = process.env) {
  if (env.LIBC === 'glibc' || env.LIBC === 'musl') return env.LIBC;
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    if (/\/ld-musl-[^\s/]*\.so/.test(maps)) return 'musl';
    if (/\/libc\.so\.6\b/.test(maps)) return 'glibc';
  } catch (_) { /* no procfs: ask Node */ }
  const header = process.report && process.report.getReport().header;
  return header && header.glibcVersionRuntime ? 'glibc' : 'musl';
}

module.exports = { runningLibc };
