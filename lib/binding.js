'use strict';
// Loads the compiled addon, once per process.  Order: a local build
// (build/Release, always made for this machine), then the prebuild for the
// libc this process actually runs on, then node-gyp-build's own search.
// The libc comes from LIBC when set (node-gyp-build's convention), otherwise
// from this process's own mappings, not from guesses such as /etc/alpine-release.
const fs = require('fs');
const path = require('path');
const { runningLibc } = require('./running-libc');

const root = path.resolve(__dirname, '..');

function candidates(libc) {
  return [
    path.join(root, 'build', 'Release', 'tls_inspect.node'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, `tls-inspect.napi.${libc}.node`),
  ];
}

function load() {
  const libc = runningLibc();
  for (const file of candidates(libc)) {
    if (fs.existsSync(file)) {
      const addon = require(file);
      addon.loadedFrom = file;
      return addon;
    }
  }
  return require('node-gyp-build')(root);
}

module.exports = load();
module.exports.runningLibc = runningLibc;
module.exports.candidates = candidates;
