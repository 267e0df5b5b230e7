'use strict';
// scan(): finds native files under a tree (*.node, and *.so* with ELF magic)
// and checks each, on the thread pool, yielding results as they finish.
// Memory stays flat: directories are read one at a time, files are checked
// `concurrency` at a time, nothing is kept per file.
const fs = require('fs');
const path = require('path');
const { createState, result } = require('./check');
const { loadFile } = require('./model');
const io = require('./io');
const { tiError } = require('../errors');

const NATIVE = /\.node$|\.so(\.\d+)*$/;

async function hasElfMagic(file) {
  let fh;
  try {
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b.readUInt32BE(0) === 0x7f454c46;
  } catch (_) {
    return false;
  } finally {
    if (fh) await fh.close();
  }
}

// Yields candidate files; symlinked directories are followed once each
// (by device and inode), so symlink loops end.
async function* walk(root) {
  const seen = new Set();
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    let st;
    try {
      st = await fs.promises.stat(dir);
    } catch (_) {
      continue;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let handle;
    try {
      handle = await fs.promises.opendir(dir);
    } catch (_) {
      continue;
    }
    for await (const ent of handle) {
      const full = path.join(dir, ent.name);
      let kind = ent;
      if (ent.isSymbolicLink()) {
        try { kind = await fs.promises.stat(full); } catch (_) { continue; }
      }
      if (kind.isDirectory()) stack.push(full);
      else if (kind.isFile() && NATIVE.test(ent.name)) yield full;
    }
  }
}

async function* scan(dir = 'node_modules', { target = 'host', concurrency = 8 } = {}) {
  if (typeof dir !== 'string' || !dir) throw tiError('TI_EINVAL', 'scan(dir): dir must be a non-empty string');
  if (!Number.isInteger(concurrency) || concurrency < 1) throw tiError('TI_EINVAL', 'concurrency must be a positive integer');
  const st = await fs.promises.stat(dir).catch((e) => {
    throw tiError(e.code === 'ENOENT' ? 'TI_ENOENT' : 'TI_EIO', `${dir}: ${e.message}`);
  });
  if (!st.isDirectory()) throw tiError('TI_ENOTDIR', `${dir} is not a directory`);
  const first = createState(target);
  const session = new io.Session();
  const fresh = () => new first.constructor(first.target, first.facts, { lazy: first.lazy });
  const pending = new Map();
  let id = 0;
  const start = (file) => {
    const key = id++;
    const p = (async () => {
      if (!file.endsWith('.node') && !(await hasElfMagic(file))) return null; // linker scripts, text
      try {
        return result(await io.runAsync(loadFile(fresh(), file, { once: true }), session));
      } catch (e) {
        return { path: file, target: first.target.name, ok: false, verdict: 'error', problems: [],
          analysis: null, error: { code: e.code || 'TI_EIO', message: e.message } };
      }
    })().then((result) => ({ key, result }));
    pending.set(key, p);
  };
  for await (const file of walk(dir)) {
    start(file);
    if (pending.size >= concurrency) {
      const { key, result } = await Promise.race(pending.values());
      pending.delete(key);
      if (result) yield result;
    }
  }
  while (pending.size) {
    const { key, result } = await Promise.race(pending.values());
    pending.delete(key);
    if (result) yield result;
  }
}

module.exports = { scan, walk };
