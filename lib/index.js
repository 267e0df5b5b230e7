'use strict';
const binding = require('./binding');
const fixtures = require('./fixtures');
const { analyze, analyzeSync } = require('./analyze');
const { reproduce } = require('./reproduce');
const { check } = require('./check');
const { scan } = require('./scan');
const { TlsInspectError } = require('./errors');

// The libc of this process, read from its own link map (never guessed from disk).
function libc() {
  return binding.libc();
}

// Every loaded object in link-map order, with its TLS block as this thread sees it.
function modules() {
  return binding.modules();
}

// The static TLS area and what an initial-exec module loaded now could still get.
function staticTls() {
  return binding.staticTls();
}

function report() {
  return {
    libc: libc(),
    staticTls: staticTls(),
    modules: modules(),
    node: process.versions.node,
    napi: Number(process.versions.napi),
    arch: process.arch,
    pid: process.pid,
  };
}

module.exports = {
  libc,
  modules,
  staticTls,
  report,
  analyze,
  analyzeSync,
  reproduce,
  check,
  scan,
  fixtures: {
    list: fixtures.list,
    template: fixtures.template,
    path: fixtures.fixturePath,
    models: Object.keys(fixtures.MODELS),
  },
  TlsInspectError,
};
