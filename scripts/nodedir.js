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

function buildEnv(env = process.env) {
  const dir = nodeDir();
  return dir ? { ...env, npm_config_nodedir: dir } : { ...env };
}

module.exports = { nodeDir, buildEnv };
