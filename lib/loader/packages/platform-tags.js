'use strict';
/*
 * Platform tags in paths: a path segment or a piece of a file name (split at
 * ".", "-" and "+") that names an OS, a CPU, a libc, a Node ABI or a Node-API
 * level places a candidate file on that platform, whatever layout the
 * package chose (onnxruntime-node's bin/napi-v6/<platform>/<arch>/,
 * sharp-linux-x64-0.35.6.node, prebuilds/linux-x64/x.musl.node,
 * lib/binding/node-v115-linux-x64/, glibc-115-Release).  A file is for the
 * target unless one of its tags says otherwise; untagged pieces say nothing.
 * Only whole pieces count ("arm" is a CPU, "charm" is not), and "_" does not
 * split, so x86_64 and better_sqlite3 stay whole words.
 */

const { CPU_NAMES } = require('../../platform');
const OS = {
  linux: 'linux', darwin: 'darwin', macos: 'darwin', osx: 'darwin', mac: 'darwin', win32: 'win32', windows: 'win32',
  freebsd: 'freebsd', openbsd: 'openbsd', sunos: 'sunos', aix: 'aix', android: 'android', ios: 'ios',
};
// linuxmusl (sharp) names the OS and the libc at once
const OS_LIBC = { linuxmusl: ['linux', 'musl'], alpine: ['linux', 'musl'] };
const CPU = CPU_NAMES;
const LIBC = { musl: 'musl', glibc: 'glibc', gnu: 'glibc', gnueabihf: 'glibc', musleabihf: 'musl', msvc: 'msvc' };
const DIR_LIMIT = 32; // segments read from one path
const PIECE_LIMIT = 64; // pieces read from one segment

// The pieces of one path segment: the segment itself, and its parts split at . - +.
function pieces(segment) {
  const parts = segment.split(/[.+-]/).slice(0, PIECE_LIMIT);
  return parts.length > 1 ? [segment, ...parts] : [segment];
}

// { os, cpu, libc, abi, napi } named by rel ('/'-separated, relative to the
// package); each key absent when nothing names it, or when two pieces name
// different values (then the path says nothing clear about it).
function tagsOf(rel) {
  const found = {};
  const conflict = new Set();
  const set = (key, value) => {
    if (found[key] !== undefined && found[key] !== value) conflict.add(key);
    found[key] = value;
  };
  const segments = rel.split('/').slice(-DIR_LIMIT);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i].toLowerCase();
    let m;
    // glibc-115 / musl-127 / libc-72 (cmake-ts) and node-v115 (node-pre-gyp, bindings): a libc or runtime with an ABI
    if ((m = /^(glibc|musl|libc|msvc)-(\d+)(?:-|$)/.exec(seg))) {
      if (m[1] === 'glibc' || m[1] === 'musl') set('libc', m[1]);
      set('abi', Number(m[2]));
    }
    if ((m = /(?:^|[.+-])node-v(\d+)(?:[.+-]|$)/.exec(seg))) set('abi', Number(m[1]));
    if ((m = /(?:^|[.+-])napi-v(\d+)(?:[.+-]|$)/.exec(seg))) set('napi', Number(m[1]));
    for (const p of pieces(seg)) {
      if (OS[p]) set('os', OS[p]);
      else if (OS_LIBC[p]) { set('os', OS_LIBC[p][0]); set('libc', OS_LIBC[p][1]); }
      if (CPU[p]) set('cpu', CPU[p]);
      if (LIBC[p]) set('libc', LIBC[p]);
      if ((m = /^abi(\d+)$/.exec(p))) set('abi', Number(m[1]));
    }
  }
  for (const key of conflict) delete found[key];
  // a Windows or macOS C library names its OS
  if (found.libc === 'msvc') { if (!found.os) found.os = 'win32'; delete found.libc; }
  return found;
}

const platformText = (tags) => [tags.os, tags.cpu].filter(Boolean).join('-');

// Why a file at rel is not for the target t (normalized, npm's vocabulary),
// or null when its tags fit or it has none.
function tagsReason(rel, t) {
  const tags = tagsOf(rel);
  if (tags.os && tags.os !== t.os) return `for ${platformText(tags)}`;
  if (tags.cpu && tags.cpu !== t.cpu) return `for ${t.os}-${tags.cpu}`;
  if (tags.libc && t.os === 'linux' && tags.libc !== (t.libc || 'glibc')) return `for ${tags.libc}`;
  if (tags.napi && tags.napi > t.napi) return `for Node-API ${tags.napi}`;
  return null;
}

module.exports = { tagsOf, tagsReason, platformText };
