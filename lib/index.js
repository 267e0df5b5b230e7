'use strict';
// The public facade: re-exports, nothing else.  Nothing inside lib/ imports it.
const host = require('./process/host');
const { analyze, analyzeSync } = require('./file/analyze');
const { check, checkSync, checkTogether, checkPackage } = require('./loader/check');
const { scan } = require('./loader/scan');
const { explain } = require('./loader/explain');
const { TlsInspectError } = require('./errors');
const fixtures = require('./fixtures');

// reproduce() starts child processes: its module (and child_process) loads on first use.
function reproduce(opts) {
  return require('./fixtures/reproduce').reproduce(opts);
}

module.exports = {
  libc: host.libc,
  modules: host.modules,
  staticTls: host.staticTls,
  report: host.report,
  analyze,
  analyzeSync,
  reproduce,
  check,
  checkSync,
  checkTogether,
  checkPackage,
  scan,
  explain,
  fixtures: fixtures.publicApi,
  TlsInspectError,
};
