'use strict';
/*
 * Does a package need a native binary, does it have one for the target, what
 * would the target need, and which platforms do its installed binaries cover.
 *
 * A package needs a native binary when it says so: a `napi` field (napi-rs),
 * a node-pre-gyp `binary`, a binding.gyp or `gypfile`, a dependency on a
 * native loader (node-gyp-build, prebuild-install, bindings, cmake-ts, ...),
 * an install script that builds or fetches one, optionalDependencies named
 * for platforms (napi-rs, sharp, esbuild), or *.node files of its own.  A
 * JavaScript-only package needs nothing.  It has a binary for the target
 * when its convention selects one, or hands over to a platform package npm
 * installed for the target.  What the target needs: the optionalDependencies
 * whose names fit the target (os, cpu, libc read from the name; the lockfile
 * is not read), else what the convention looked for.
 */
const path = require('path');
const P = require('./index');
const { tagsOf } = require('./platform-tags');
const { readSmall } = require('../../file/walk');

const LOADERS = ['node-gyp-build', 'node-gyp-build-optional-packages', 'prebuild-install', '@mapbox/node-pre-gyp',
  'node-pre-gyp', 'bindings', 'cmake-ts', 'cmake-js', 'require-addon', 'node-addon-api', 'nan'];
const BUILDS = /node-gyp|prebuild|cmake-(?:js|ts)|node-pre-gyp|napi|build-from-source|electron-rebuild/;
const SCRIPTS = ['preinstall', 'install', 'postinstall'];
const OPTIONAL_LIMIT = 256;
const MAIN_LIMIT = 256 << 10;
const COVERS_LIMIT = 64;

const deps = (json, field) => (json[field] && typeof json[field] === 'object' ? Object.keys(json[field]) : []);

// The optionalDependencies named for a platform: [{ name, os, cpu, libc }].
function platformOptionals(json) {
  const out = [];
  for (const name of deps(json, 'optionalDependencies').slice(0, OPTIONAL_LIMIT)) {
    const tags = tagsOf(name.replace(/^@[^/]+\//, ''));
    // a platform package names both (napi-rs's darwin-universal names the OS only)
    if (tags.os && (tags.cpu || /(^|-)universal(-|$)/.test(name))) out.push({ name, os: tags.os, cpu: tags.cpu || null, libc: tags.libc || null });
  }
  return out;
}

// The install script that builds or fetches the binary, or null.
function installScript(json) {
  const scripts = json.scripts && typeof json.scripts === 'object' ? json.scripts : {};
  for (const k of SCRIPTS) if (typeof scripts[k] === 'string' && BUILDS.test(scripts[k])) return `${k}: ${scripts[k]}`;
  return null;
}

// Why the package needs a native binary ([] when it is JavaScript only).
function nativeNeeds(pkg, hasNodeFiles) {
  const { json } = pkg;
  const out = [];
  if (json.napi && typeof json.napi === 'object') out.push('napi-rs (its napi field)');
  if (json.binary && typeof json.binary.module_name === 'string') out.push('node-pre-gyp (its binary field)');
  if ((pkg.names && pkg.names.has('binding.gyp')) || json.gypfile === true) out.push('a binding.gyp');
  const loaders = LOADERS.filter((n) => deps(json, 'dependencies').includes(n) || deps(json, 'optionalDependencies').includes(n));
  if (loaders.length) out.push(`depends on ${loaders.join(', ')}`);
  const script = installScript(json);
  if (script) out.push(`install script (${script})`);
  if (platformOptionals(json).length) out.push('platform packages in optionalDependencies');
  if (hasNodeFiles) out.push('ships *.node files');
  return out;
}

// Does name's platform fit t?  A name without a libc tag is glibc when a
// sibling for the same os and cpu names musl (sharp-linux-x64 / sharp-linuxmusl-x64).
function optionalFits(o, t, all) {
  if (o.os && o.os !== t.os) return false;
  if (o.cpu && o.cpu !== t.cpu) return false;
  if (t.os !== 'linux') return true;
  const libc = o.libc || (all.some((x) => x !== o && x.os === o.os && x.cpu === o.cpu && x.libc === 'musl') ? 'glibc' : null);
  return !libc || libc === t.libc;
}

// Does the main file fall back to JavaScript when the addon does not load
// (try { require('node-gyp-build')(...) } catch { require('./fallback') })?
async function jsFallback(pkg) {
  const main = typeof pkg.json.main === 'string' ? pkg.json.main : 'index.js';
  const file = path.join(pkg.dir, /\.[cm]?js$/.test(main) ? main : `${main}.js`);
  if (!file.startsWith(pkg.dir + path.sep)) return false;
  try {
    const text = await readSmall(file, MAIN_LIMIT);
    return /catch\s*(?:\(\s*\w*\s*\))?\s*\{[^{}]{0,300}?require\(\s*['"]\.{1,2}\/[^'"]+['"]\s*\)/.test(text);
  } catch (_) {
    return false;
  }
}

// The same for a package directory.
async function hasJsFallback(dir) {
  const json = await P.readJson(path.join(dir, 'package.json'));
  return json ? jsFallback({ dir: path.resolve(dir), json }) : false;
}

const FORMAT_OS = { 'Mach-O': 'darwin', PE: 'win32' };

async function libcOf(file) {
  try {
    const a = await require('../../file/analyze').analyze(file, { light: true });
    return a.libc === 'glibc' || a.libc === 'musl' ? a.libc : null;
  } catch (_) {
    return null;
  }
}

// The platform one installed *.node file is for: its path's tags, else its header.
async function platformOfFile(dir, file, json) {
  const tags = tagsOf(path.relative(dir, file).split(path.sep).join('/'));
  let { os, cpu } = tags;
  const own = (f) => (Array.isArray(json[f]) && json[f].length === 1 ? json[f][0] : typeof json[f] === 'string' ? json[f] : null);
  os = os || own('os');
  cpu = cpu || own('cpu');
  let libc = tags.libc || own('libc');
  if (!os || !cpu || (os === 'linux' && !libc)) {
    const facts = await P.headerFacts(file);
    if (facts.elf) {
      os = os || 'linux';
      cpu = cpu || require('../../platform').cpuOf(facts.machine, facts.class) || facts.machine;
      if (!libc) libc = await libcOf(file); // an untagged Linux build is the libc it links
    } else {
      os = os || FORMAT_OS[facts.format] || null;
    }
  }
  return os ? [os, cpu, os === 'linux' ? libc : null].filter(Boolean).join('-') : null;
}

// The platforms the installed package's binaries cover, its own *.node files
// and those of the platform packages it lists that are installed.
async function coversOf(pkg) {
  const covers = new Set();
  if (pkg.convention === 'cmake-ts') { // what its manifest lists and is there: other files are never loaded
    for (const c of await P.cmakeTsBuilds(pkg)) covers.add([c.os, c.arch, c.os === 'linux' ? c.libc : null].filter(Boolean).join('-'));
    return [...covers].sort();
  }
  const dirs = [pkg.dir];
  for (const o of platformOptionals(pkg.json)) {
    const d = await P.resolvePackage(pkg.dir, o.name);
    if (d) dirs.push(d);
  }
  for (const dir of dirs) {
    const json = dir === pkg.dir ? pkg.json : (await P.readJson(path.join(dir, 'package.json'))) || {};
    for (const e of await P.nodeFiles(dir)) {
      if (covers.size >= COVERS_LIMIT) break;
      if (P.notLoadedReason(path.relative(dir, e.path).split(path.sep).join('/'))) continue; // tests, examples
      const p = await platformOfFile(dir, e.path, json);
      if (p) covers.add(p);
    }
  }
  return [...covers].sort();
}

// Platforms people deploy to, for `uncovered`.
const COMMON = ['linux-x64-glibc', 'linux-x64-musl', 'linux-arm64-glibc', 'linux-arm64-musl', 'darwin-arm64', 'darwin-x64', 'win32-x64'];

// The common platforms no entry of covers reaches ('linux-x64' without a libc reaches both).
function uncovered(covers) {
  return COMMON.filter((p) => !covers.some((c) => c === p || (c.split('-').length === 2 && p.startsWith(`${c}-`))));
}

function platformLabel(t) {
  return `${t.os}-${t.cpu}${t.os === 'linux' ? `-${t.libc}` : ''}`;
}

// null when the package needs nothing or has a binary for the target, else
// { name, version, dir, target, needs, wants, wantsPackages, missing, why,
//   covers, installScript, fallback }.
// hasNodeFiles: whether the package holds *.node files, when the caller knows
// (a scan saw them); otherwise its files are walked, only when nothing else says it needs one.
async function missingBinary(dir, target, { facts = 'light', selection, hasNodeFiles } = {}) {
  const t = P.normalizeTarget(target);
  const pkg = await P.describePackage(dir);
  if (P.installable(pkg.json, t) !== true) return null; // npm would not install it there: nothing to load
  let needs = nativeNeeds(pkg, hasNodeFiles === true);
  if (!needs.length && hasNodeFiles === undefined) needs = nativeNeeds(pkg, (await P.nodeFiles(pkg.dir)).length > 0);
  if (!needs.length) return null;
  const sel = selection || (await P.selectBinaries(dir, t, { facts }));
  if (sel.selected.length || sel.delegates.length) return null;
  const optionals = platformOptionals(pkg.json);
  const wantsPackages = optionals.filter((o) => optionalFits(o, t, optionals)).map((o) => o.name);
  const internal = P.wantsOf(sel);
  const wants = wantsPackages.length ? wantsPackages
    : internal ? [internal]
      : [`a ${platformLabel(t)} build of ${pkg.name} (prebuilds/${t.os}-${t.cpu}/ or build/Release/)`];
  return {
    name: pkg.name, version: pkg.version, dir: pkg.dir, target: platformLabel(t), needs, wants, wantsPackages,
    missing: sel.missing || (wantsPackages.length ? 'none of the platform packages it lists for that target is installed' : sel.why),
    why: sel.why, covers: await coversOf(pkg), installScript: installScript(pkg.json),
    fallback: await jsFallback(pkg), convention: sel.convention,
  };
}

const PACKAGE_LIMIT = 20000; // packages listed under one tree
const DEPTH_LIMIT = 12; // nested node_modules levels

// Every package directory under root as Node's resolution finds them: root
// itself when it holds a package.json, the packages of its node_modules
// (scoped ones too, pnpm's .pnpm store included), nested node_modules;
// each real directory once, bounded.
async function* packageDirs(root) {
  const fs = require('fs');
  const { listDir } = require('../../file/walk');
  const seen = new Set();
  let count = 0;
  const list = (dir) => listDir(dir, 10000).catch(() => []);
  const real = (dir) => fs.promises.realpath(dir).catch(() => null);
  async function* inNodeModules(nm, depth) {
    if (depth > DEPTH_LIMIT) return;
    for (const name of (await list(nm)).sort()) {
      if (name === '.bin' || name === '.cache') continue;
      if (name === '.pnpm') {
        for (const entry of (await list(path.join(nm, name))).sort()) yield* inNodeModules(path.join(nm, name, entry, 'node_modules'), depth + 1);
        continue;
      }
      if (name.startsWith('.')) continue;
      const dirs = name.startsWith('@') ? (await list(path.join(nm, name))).sort().map((n) => path.join(nm, name, n)) : [path.join(nm, name)];
      for (const dir of dirs) yield* onePackage(dir, depth);
    }
  }
  async function* onePackage(dir, depth) {
    const r = await real(dir);
    if (!r || seen.has(r) || count >= PACKAGE_LIMIT) return;
    seen.add(r);
    if (!(await P.readJson(path.join(dir, 'package.json')))) return; // not a package: not entered
    count++;
    yield dir;
    yield* inNodeModules(path.join(dir, 'node_modules'), depth + 1);
  }
  if (path.basename(root) === 'node_modules') yield* inNodeModules(root, 0);
  else yield* onePackage(root, 0);
}

module.exports = {
  packageDirs, uncovered, hasJsFallback, missingBinary, nativeNeeds, coversOf, platformOptionals, platformLabel };
