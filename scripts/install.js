#!/usr/bin/env node
'use strict';
// npm "install" hook: use a matching prebuild when there is one, otherwise
// build with node-gyp (offline headers when the Node prefix has them).
// `--rebuild` always compiles. Fixture libraries are built when a compiler exists.
// The binary is chosen by the same rule the runtime uses (lib/process/binding.js:
// the libc this process runs on), so what the install verified is what
// require('tls-inspect') loads.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { buildEnv } = require('./nodedir');

const root = path.resolve(__dirname, '..');
const env = buildEnv();

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status === null ? 1 : r.status;
}

// npm exports the path of its bundled node-gyp to scripts; outside npm, look
// for a local install, then npm's bundled copy next to this Node, then PATH.
function nodeGyp() {
  if (env.npm_config_node_gyp) return [process.execPath, env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch (_) { /* not installed locally */ }
  const bundled = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules',
    'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return fs.existsSync(bundled) ? [process.execPath, bundled] : ['node-gyp'];
}

// The addon as require('tls-inspect') will load it (a failed require is not
// cached, so the call after a build tries again).
function loadAddon() {
  return require(path.join(root, 'lib', 'process', 'binding.js'));
}

// One line naming the binary that loads, as the runtime will load it.
function report(addon) {
  const lc = addon.libc();
  console.log(`tls-inspect: addon loads (${lc.family}${lc.version ? ` ${lc.version}` : ''}; ${path.relative(root, addon.loadedFrom)})`);
}

function main() {
  if (!process.argv.includes('--rebuild')) {
    try {
      report(loadAddon()); // a prebuild or an earlier build loads and answers: nothing to compile
      return 0;
    } catch (_) { /* fall through to a source build */ }
  }
  const [cmd, ...pre] = nodeGyp();
  const status = run(cmd, [...pre, 'rebuild']);
  return status === 0 ? verify() : status;
}

// The install is only done when the binary it produced loads and answers.
function verify() {
  try {
    report(loadAddon());
    return 0;
  } catch (e) {
    console.error(`tls-inspect: the built addon does not load: ${e.message}`);
    return 1;
  }
}

process.exitCode = main();
