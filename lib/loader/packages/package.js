'use strict';
// Packages: where a file's package starts (node_modules/<name>, @scope/<name>,
// nested, pnpm), its name, version and the loader convention it follows.
const path = require('path');
const { tiError } = require('../../errors');
const { isPlatformPackage, platformCheck } = require('./install-check');
const { parseTuple } = require('./node-gyp-build');
const { normalizeTarget } = require('./npm-target');
const { LIST_LIMIT, isFile, listIn, listNames, readJson } = require('./reads');

function isPackagePosition(dir) {
  const name = path.basename(dir);
  const parent = path.dirname(dir);
  if (!name || name.startsWith('.') || name === 'node_modules') return false;
  if (path.basename(parent) === 'node_modules') return !name.startsWith('@');
  return path.basename(parent).startsWith('@') && path.basename(path.dirname(parent)) === 'node_modules';
}

// The nearest enclosing node_modules/<name> or node_modules/@scope/<name>,
// or stopAt itself when reached and it has a package.json; null if none.
async function findPackageRoot(file, stopAt) {
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', 'findPackageRoot(file): file must be a non-empty string');
  const stop = stopAt === undefined || stopAt === null ? null : path.resolve(stopAt);
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (dir === stop) return (await isFile(path.join(dir, 'package.json'))) ? dir : null;
    if (isPackagePosition(dir)) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

function nameFromPath(dir) {
  const scope = path.basename(path.dirname(dir));
  return scope.startsWith('@') ? `${scope}/${path.basename(dir)}` : path.basename(dir);
}

function dependsOn(json, name) {
  return ['dependencies', 'optionalDependencies'].some((field) =>
    json[field] && typeof json[field] === 'object' && Object.prototype.hasOwnProperty.call(json[field], name));
}

async function hasPrebuildsLayout(pkg) {
  return (await listIn(pkg, 'prebuilds')).some((n) => parseTuple(n));
}

async function conventionOf(pkg, json) {
  const binary = json.binary;
  if (binary && typeof binary.module_path === 'string' && typeof binary.module_name === 'string') return 'node-pre-gyp';
  if (json.napi && typeof json.napi === 'object') return 'napi-rs';
  if (dependsOn(json, 'node-gyp-build-optional-packages')) return 'node-gyp-build-optional-packages';
  if (dependsOn(json, 'node-gyp-build')) return 'node-gyp-build';
  if (dependsOn(json, 'bindings')) return 'bindings';
  if (dependsOn(json, 'cmake-ts')) return 'cmake-ts';
  if (await hasPrebuildsLayout(pkg)) return 'node-gyp-build';
  if (isPlatformPackage(json)) return 'platform-package';
  return 'none';
}

async function describePackage(dir) {
  if (typeof dir !== 'string' || !dir) throw tiError('TI_EINVAL', 'describePackage(dir): dir must be a non-empty string');
  const root = path.resolve(dir);
  const [read, listing] = await Promise.all([readJson(path.join(root, 'package.json')), listNames(root)]);
  const json = read || {};
  const pkg = {
    dir: root,
    name: typeof json.name === 'string' ? json.name : nameFromPath(root),
    version: typeof json.version === 'string' ? json.version : null,
    json,
    convention: null,
    installable: (target) => platformCheck(json, normalizeTarget(target)),
  };
  // its own names, sorted (unknown when there were too many to read them all)
  const whole = listing.length < LIST_LIMIT;
  Object.defineProperties(pkg, { listing: { value: whole ? listing : null }, names: { value: whole ? new Set(listing) : null } });
  pkg.convention = await conventionOf(pkg, json);
  return pkg;
}

module.exports = { describePackage, findPackageRoot };
