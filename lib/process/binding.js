'use strict';
// Loads the compiled addon, once per process.  Order: a local build
// (build/Release, always made for this machine), then the prebuild for the
// libc this process actually runs on, then node-gyp-build's own search.
// The libc comes from LIBC when set (node-gyp-build's convention), otherwise
// from this process's own mappings, not from guesses such as /etc/alpine-release.
const fs = require('fs');
const path = require('path');
const { runningLibc } = require('./running-libc');
const { ARCH, MACHINE_NUMBER } = require('../platform');
const { elfHead } = require('../elf-head');

const root = path.resolve(__dirname, '..', '..');

function candidates(libc) {
  return [
    path.join(root, 'build', 'Release', 'tls_inspect.node'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, `tls-inspect.napi.${libc}.node`),
  ];
}

// A build/ copied from another machine (a node_modules shared between
// architectures) is passed over, not loaded: its ELF e_machine tells.
function builtForThisMachine(file) {
  const want = MACHINE_NUMBER[ARCH[process.arch]];
  const head = Buffer.alloc(20);
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    if (fs.readSync(fd, head, 0, 20, 0) < 20) return false;
  } catch (_) {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (!want) return true;
  const elf = elfHead(head);
  return Boolean(elf) && elf.machineNumber === want;
}

// The addon's functions, wrapped once: what one throws, or a promise it
// returns rejects with, is a TlsInspectError with its code (fromNative), so no
// caller converts the addon's errors itself.
function wrapped(addon, file) {
  const { fromNative } = require('../errors');
  const out = { loadedFrom: file };
  const fail = (e) => { throw fromNative(e); };
  for (const [name, v] of Object.entries(addon)) {
    if (typeof v !== 'function') {
      out[name] = v;
      continue;
    }
    out[name] = function addonCall(...args) {
      let r;
      try {
        r = v.apply(addon, args);
      } catch (e) {
        fail(e);
      }
      return r instanceof Promise ? r.then(undefined, fail) : r;
    };
  }
  return out;
}

function load() {
  const usable = (file) => fs.existsSync(file) && builtForThisMachine(file);
  // a local build was made here: the libc need not be asked for first
  const [local] = candidates('');
  const file = usable(local) ? local : candidates(runningLibc()).find(usable);
  if (file) return wrapped(require(file), file);
  const found = require('node-gyp-build').path(root);
  return wrapped(require(found), found);
}

module.exports = load();
module.exports.runningLibc = runningLibc;

// The libc cannot change while the process runs: asked of the addon once and
// handed out as copies.  Kept here, in the module every caller has loaded
// already: a first libc() then costs the addon's call, not the compiling of
// another module (on Node 20 about half a millisecond, more than the rest).
let libcCache = null;
module.exports.hostLibc = function hostLibc() {
  if (!libcCache) libcCache = module.exports.libc();
  return { ...libcCache };
};
module.exports.candidates = candidates;
