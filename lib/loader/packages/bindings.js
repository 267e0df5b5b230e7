'use strict';
// bindings (a dependency on it): the names its code hands to bindings()
// (bindings('x'), bindings({ bindings: 'x' }), read from its main file and the
// JavaScript of its top directory, lib/, src/, dist/; every name when none is
// found), each loaded from the first
// of build, build/Debug, build/Release, out/Debug, Debug, out/Release,
// Release, build/default, compiled/<node version>/<platform>/<arch>,
// addon-build/{release,debug,default}/install-root and
// lib/binding/node-v<abi>-<platform>-<arch> that holds it (the name given
// to bindings() lives in the package's code, so every name found counts).
const path = require('path');
const { readSmall } = require('../../file/walk');
const { targetLabel } = require('./npm-target');
const { isFile, listIn } = require('./reads');

function bindingsTries(t) {
  return [
    ['build'], ['build', 'Debug'], ['build', 'Release'], ['out', 'Debug'], ['Debug'], ['out', 'Release'],
    ['Release'], ['build', 'default'], t.node ? ['compiled', t.node, t.os, t.cpu] : null,
    ['addon-build', 'release', 'install-root'], ['addon-build', 'debug', 'install-root'],
    ['addon-build', 'default', 'install-root'], ['lib', 'binding', `node-v${t.abi}-${t.os}-${t.cpu}`],
  ].filter(Boolean).map((parts) => parts.join('/'));
}

function bindingsReason(rel, t) {
  let m = /^lib\/binding\/node-v(\d+)-([^-/]+)-([^-/]+)\/[^/]+$/.exec(rel);
  if (m) return m[2] !== t.os || m[3] !== t.cpu ? `for ${m[2]}-${m[3]}` : m[1] !== String(t.abi) ? `for node-v${m[1]}` : null;
  m = /^compiled\/([^/]+)\/([^/]+)\/([^/]+)\/[^/]+$/.exec(rel);
  return m && (m[2] !== t.os || m[3] !== t.cpu) ? `for ${m[2]}-${m[3]}` : null;
}

// The names the package's own code hands to bindings(): bindings('x'),
// require('bindings')('x.node'), bindings({ bindings: 'x' }) in its main file
// and the JavaScript files of its top directory and lib/, src/, dist/ (bounded;
// tests and node_modules are not read).  bindings adds .node when missing.
const BINDINGS_CALL = /\bbindings['"]?\s*\)?\s*\(\s*(?:\{[^{}]{0,400}?\bbindings['"]?\s*:\s*)?(['"])([^'"\n]{1,200})\1/g;
const SOURCE_LIMITS = { files: 64, bytes: 512 << 10 };

async function bindingsNames(pkg) {
  const rels = [];
  if (typeof pkg.json.main === 'string') rels.push(pkg.json.main.replace(/^\.\//, ''));
  for (const dir of ['', 'lib', 'src', 'dist']) {
    for (const name of dir ? await listIn(pkg, dir) : pkg.listing || []) if (/\.(c|m)?js$/.test(name)) rels.push(dir ? `${dir}/${name}` : name);
  }
  const names = new Set();
  for (const rel of [...new Set(rels)].slice(0, SOURCE_LIMITS.files)) {
    const file = path.join(pkg.dir, rel);
    if (!file.startsWith(pkg.dir + path.sep)) continue;
    let text;
    try { text = await readSmall(file, SOURCE_LIMITS.bytes); } catch (_) { continue; }
    for (const m of text.matchAll(BINDINGS_CALL)) {
      const name = path.basename(m[2]);
      names.add(name.endsWith('.node') ? name : `${name}.node`);
    }
  }
  return names;
}

async function selectBindings(pkg, t) {
  const wanted = await bindingsNames(pkg);
  const chosen = new Map(); // name -> relative directory
  for (const rel of bindingsTries(t)) {
    for (const name of await listIn(pkg, rel)) {
      if (!name.endsWith('.node') || chosen.has(name) || (wanted.size && !wanted.has(name))) continue;
      if (await isFile(path.join(pkg.dir, rel, name))) chosen.set(name, rel);
    }
  }
  const selected = [...chosen].map(([name, rel]) => path.join(pkg.dir, rel, name));
  const where = [...chosen].map(([name, rel]) => `${rel}/${name}`).join(', ');
  const named = [...wanted].join(', ');
  const reasonFor = (rel) => bindingsReason(rel, t) ||
    (wanted.size && !wanted.has(path.posix.basename(rel)) ? `not loaded: the package's code asks bindings() for ${named} only` : null);
  return { selected, reasonFor,
    why: selected.length ? `bindings: ${where}, the first place bindings() tries that holds ${wanted.size ? `each name its code asks for (${named})` : 'each name'}`
      : `bindings: no ${named || '*.node'} in any place bindings() tries`,
    missing: selected.length ? null : `bindings finds no ${named || 'build'} for ${targetLabel(t)}`,
    wants: selected.length ? null : `build/Release/${[...wanted][0] || `${pkg.name}.node`} (built by its install script)` };
}

module.exports = { selectBindings };
