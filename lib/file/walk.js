'use strict';
// The file system as the addon reads it, off the main thread.
// walk(): the native files under a directory as the addon's walker finds them
// (src/ti_walk.c): every *.node file and every *.so* file with ELF magic,
// each with what its header (or light analysis) says, and every directory
// that could not be read.  Links to directories are followed as module
// resolution meets them: a package link (node_modules/<name>, @scope/<name>)
// when it leads inside the tree or to a package.json, any other only when it
// leads inside the tree (src/ti_walk.c).  The walk runs on the thread pool a batch at a
// time, and the next batch is being filled while the caller uses this one.
const binding = require('../process/binding');
const { tiError, fromNative } = require('../errors');
const { formatOf, machineName } = require('../elf-head');

const FORMAT = 2; // src/ti_walk.c
const HEADER = 4;
const FIELDS = 10;
const BATCH = 1024;
const LIBC = ['unknown', 'glibc', 'musl', 'static', 'android']; // ti_file_libc

// { elf, format, machine, class, libc } from a file's first bytes (and its
// light analysis's libc): what packages.headerFacts() reads, without a read.
function factsOfHead(magic, head, cls, machine, libc) {
  const format = formatOf(magic, head);
  if (format === 'ELF') return { elf: true, format, machine: machineName(machine), class: cls, libc: LIBC[libc] || 'unknown' };
  return { elf: false, format };
}

// Files with the same facts share one (frozen) object: a tree holds a few kinds.
function factsCache() {
  const cache = new Map();
  return (n, at) => {
    const key = `${n[at + 4]}:${n[at + 5]}:${n[at + 6]}:${n[at + 7]}:${n[at + 8]}`;
    let f = cache.get(key);
    if (!f) cache.set(key, (f = Object.freeze(factsOfHead(n[at + 4], n[at + 5], n[at + 6], n[at + 7], n[at + 8]))));
    return f;
  };
}

// A packed batch as entries: { path, dir, name, facts, linked, code } for a
// file (linked: a symlink was followed on the way from the root; code: why it
// could not be opened or read, or why its light analysis failed, else null),
// { path, error } for a directory that could not be read.
function decode([strings, n], factsOf) {
  if (n[0] !== FORMAT) throw tiError('TI_EINVAL', 'the addon and lib/file/walk.js disagree on the batch layout');
  const s = strings.split('\0');
  const out = new Array(n[1]);
  for (let i = 0, at = HEADER; i < out.length; i++, at += FIELDS) {
    const dir = s[n[at + 1]];
    if (n[at] === 1) {
      const error = Object.assign(new Error(`${dir}: ${s[n[at + 2]]}`), { code: s[n[at + 3]], path: dir });
      out[i] = { path: dir, error: fromNative(error) };
    } else {
      const name = s[n[at + 2]];
      out[i] = { path: dir === '.' ? name : dir.endsWith('/') ? dir + name : `${dir}/${name}`, dir, name, facts: factsOf(n, at),
        linked: n[at + 9] === 1, code: n[at + 3] >= 0 ? s[n[at + 3]] : null };
    }
  }
  return { entries: out, done: n[2] === 1, limited: n[3] === 1 };
}

// Batches (arrays of entries) of the native files under root.
// light: each ELF file's light analysis gives its libc (otherwise 'unknown');
// skip: a directory name never entered; maxVisits: directory entries looked
// at before the walk stops (0: no limit).
async function* walk(root, { light = false, skip = null, maxVisits = 0, batch = BATCH } = {}) {
  if (typeof root !== 'string' || !root) throw tiError('TI_EINVAL', 'walk(root): root must be a non-empty string');
  if (skip !== null && (typeof skip !== 'string' || !skip || skip.includes('/') || Buffer.byteLength(skip) > 255)) {
    throw tiError('TI_EINVAL', 'walk(): skip must be a directory name (no slash, at most 255 bytes) or null');
  }
  if (!Number.isSafeInteger(maxVisits) || maxVisits < 0) throw tiError('TI_EINVAL', 'walk(): maxVisits must be a non-negative integer');
  const handle = binding.walkOpen(root, light ? 1 : 0, skip, maxVisits);
  const factsOf = factsCache();
  let next = binding.walkNext(handle, batch);
  try {
    for (;;) {
      let packed;
      try {
        packed = await next;
      } finally {
        next = null;
      }
      const b = decode(packed, factsOf);
      if (!b.done) next = binding.walkNext(handle, batch); // filled while this batch is used
      if (b.entries.length) yield b.entries;
      if (b.done) return;
    }
  } finally {
    if (next) next.catch(() => {}); // a batch in flight when the caller stops: closed after it
    binding.walkClose(handle);
  }
}

// The text of a regular file of at most limit bytes, in one trip to the
// thread pool (TI_ERANGE when larger, TI_ENOTREG for a FIFO or device).
async function readSmall(file, limit) {
  return binding.readSmall(file, limit);
}

// Up to limit names of a directory, in the file system's order, in one trip.
async function listDir(dir, limit) {
  const joined = await binding.listDir(dir, limit);
  return joined ? joined.split('\0') : [];
}

// A regular file's { id: 'st_dev:st_ino', size, head: its first 64 bytes }, in one trip.
async function probe(file) {
  const r = await binding.probe(file);
  return { id: r[0], size: r[1], head: r[2] };
}

module.exports = { walk, readSmall, listDir, probe, factsOfHead };
