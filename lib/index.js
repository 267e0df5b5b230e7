'use strict';
// The public facade: re-exports, nothing else.  Nothing inside lib/ imports it.
// Each room is loaded on first use, so require('tls-inspect') costs about what
// a small pure-JS module costs, and the addon is loaded only when it is asked.
const { TlsInspectError } = require('./errors');

const room = (file) => {
  let mod = null;
  return () => mod || (mod = require(file));
};
const host = room('./process/host');
const addon = room('./process/binding');
const file = room('./file/analyze');
const check = room('./loader/check');

module.exports = {
  libc: () => addon().hostLibc(),
  modules: () => host().modules(),
  staticTls: () => host().staticTls(),
  report: () => host().report(),
  analyze: (path) => file().analyze(path),
  analyzeSync: (path) => file().analyzeSync(path),
  reproduce: (opts) => require('./reproduce/reproduce').reproduce(opts),
  check: (path, opts) => check().check(path, opts),
  checkSync: (path, opts) => check().checkSync(path, opts),
  checkTogether: (paths, opts) => check().checkTogether(paths, opts),
  checkPackage: (dir, opts) => check().checkPackage(dir, opts),
  tree: (path, opts) => require('./loader/tree').tree(path, opts),
  scan: (dir, opts) => require('./loader/scan').scan(dir, opts),
  explain: (errorOrMessage, opts) => require('./loader/explain').explain(errorOrMessage, opts),
  why: (target, opts) => require('./loader/why').why(target, opts),
  get fixtures() {
    return require('./reproduce').publicApi;
  },
  TlsInspectError,
};
