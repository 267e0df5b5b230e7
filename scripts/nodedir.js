'use strict';
// node-gyp downloads Node's headers unless told where they are. Official
// Node installs carry them under <prefix>/include/node: point node-gyp there
// when they exist, and leave node-gyp's normal behaviour alone otherwise.
const fs = require('fs');
const path = require('path');

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const header = path.join(prefix, 'include', 'node', 'node_api.h');
  return fs.existsSync(header) ? prefix : null;
}

// The Node-API headers' directory for direct compiler calls, or null.
function nodeApiInclude() {
  const include = path.join(nodeDir() || '/usr', 'include', 'node');
  return fs.existsSync(path.join(include, 'node_api.h')) ? include : null;
}

// Compiles one small C file into a Node-API addon with the system compiler,
// loads it into this process and returns its exports (bench and test helpers).
function loadSmallAddon(source) {
  const { execFileSync } = require('child_process');
  const os = require('os');
  const out = path.join(os.tmpdir(), `ti-${path.basename(source, '.c')}-${process.pid}.node`);
  execFileSync(process.env.CC || 'cc', ['-O2', '-fPIC', '-shared', `-I${nodeApiInclude() || '/usr/include/node'}`,
    '-o', out, source]);
  const m = { exports: {} };
  try {
    process.dlopen(m, out);
  } finally {
    fs.unlinkSync(out);
  }
  return m.exports;
}

function buildEnv(env = process.env) {
  const dir = nodeDir();
  return dir ? { ...env, npm_config_nodedir: dir } : { ...env };
}

module.exports = { nodeDir, nodeApiInclude, loadSmallAddon, buildEnv };
