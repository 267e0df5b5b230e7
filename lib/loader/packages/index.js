'use strict';
// Which native files a package would load on a target, by the package's own
// loader convention, and why every other native file in it is skipped.
// Targets use npm's vocabulary (see normalizeTarget).  Directories are read
// sorted by name, the order libuv's scandir gives the real loaders, so ties
// break the way they do.  Nothing here judges ELF contents: facts about a
// file (format, machine, class, libc) come from the caller (a function), by
// default from its header, or with facts: 'light' from the light analysis
// (which tells the libc) that the walk of the package makes.  Conventions,
// as implemented:
//
// Other files: a path that names another platform under the convention
// says so ('for darwin-x64', 'for musl', 'for node-v108'); a shared library
// (*.so*) in a package without a convention, in a platform package, or in
// or below a selected binary's directory is 'library: judged through the
// binaries that load it'; anything else is 'not selected by <convention>'.
//
// Each convention lives in its own file here, opening with what it does.
const path = require('path');
const { tiError } = require('../../errors');
const { tagsReason } = require('./platform-tags');
const { selectBindings } = require('./bindings');
const { cmakeTsBuilds, selectCmakeTs } = require('./cmake-ts');
const { factsFromAnalysis, factsReason, headerFacts } = require('./file-facts');
const { NOT_INSTALLED, installable, platformCheck } = require('./install-check');
const { selectNapiRs } = require('./napi-rs');
const { selectNodeGypBuild } = require('./node-gyp-build');
const { selectNodePreGyp } = require('./node-pre-gyp');
const { npmHostTarget, npmTarget, normalizeTarget, targetLabel } = require('./npm-target');
const { describePackage, findPackageRoot } = require('./package');
const { noConventionReason, platformDelegates, selectPlatformPackage, selectWithoutConvention } = require('./platform-package');
const { nodeFiles, readJson, resolvePackage } = require('./reads');

const LIBRARY = 'library: judged through the binaries that load it';
const SHARED_LIBRARY = /\.so(\.\d+)*$/;
const INTERNAL = Symbol('tls-inspect package selection');

const SELECT = {
  'node-gyp-build': selectNodeGypBuild,
  'node-gyp-build-optional-packages': selectNodeGypBuild,
  bindings: selectBindings,
  'node-pre-gyp': selectNodePreGyp,
  'napi-rs': selectNapiRs,
  'cmake-ts': selectCmakeTs,
  'platform-package': selectPlatformPackage,
  none: selectWithoutConvention,
};

// -> { dir, name, version, convention, installable, selected, why, missing, delegates }
async function selectBinaries(dir, target, { facts } = {}) {
  const t = normalizeTarget(target);
  const pkg = await describePackage(dir);
  const canInstall = platformCheck(pkg.json, t);
  const found = canInstall === true ? await SELECT[pkg.convention](pkg, t, facts)
    : { selected: [], delegates: [], why: `npm would not install it on ${targetLabel(t)}: ${canInstall.reason}` };
  const delegates = found.delegates || (await platformDelegates(pkg, t));
  const selection = {
    dir: pkg.dir, name: pkg.name, version: pkg.version, convention: pkg.convention, installable: canInstall,
    selected: found.selected, why: found.why, missing: found.missing || null, delegates,
    ...(found.fallbacks && found.fallbacks.length ? { fallbacks: found.fallbacks } : {}),
  };
  Object.defineProperty(selection, INTERNAL, {
    value: { target: t, selected: new Set(found.selected), reasonFor: found.reasonFor || (() => null), tried: new Map(),
      wants: found.wants || null, pkg },
  });
  return selection;
}

// A loader that requires its candidates in order until one loads (cmake-ts):
// the caller judged them, `failed` maps each candidate before `chosen` to why
// it would not load; chosen becomes the selection, and the ones that failed
// are skipped saying so.
function settle(selection, chosen, failed) {
  const own = selection && selection[INTERNAL];
  if (!own) throw tiError('TI_EINVAL', 'settle(selection, ...): selection must come from selectBinaries()');
  const candidates = [...selection.selected, ...(selection.fallbacks || [])];
  if (!candidates.includes(chosen)) throw tiError('TI_EINVAL', 'settle(): chosen must be one of the candidates');
  const at = candidates.indexOf(chosen);
  for (const [file, why] of failed) own.tried.set(file, `${selection.convention} tries it first and goes on to ` +
    `${path.relative(selection.dir, chosen)}: it would not load here (${why})`);
  own.selected = new Set([chosen]);
  selection.selected = [chosen];
  selection.fallbacks = candidates.slice(at + 1);
  selection.why += `; ${path.relative(selection.dir, chosen)} is the first that would load`;
  return selection;
}

const skip = (reason) => ({ selected: false, reason });
const UNNORMAL = /\/\/|\/\.\.?(\/|$)|\/$/; // what path.resolve() would change in an absolute path

function besideSelected(selection, file) {
  return selection.selected.some((s) => {
    const rel = path.relative(path.dirname(s), file);
    return !rel.startsWith('..') && !path.isAbsolute(rel);
  });
}

// { selected: true } or { selected: false, reason } for one native file of the package.
function classify(selection, file, facts) {
  const own = selection && selection[INTERNAL];
  if (!own) throw tiError('TI_EINVAL', 'classify(selection, file, facts): selection must come from selectBinaries()');
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', 'classify(): file must be a non-empty string');
  let abs = file;
  let rel;
  if (file.startsWith(`${selection.dir}/`) && !UNNORMAL.test(file)) rel = file.slice(selection.dir.length + 1); // a scan's paths
  else rel = path.relative(selection.dir, (abs = path.resolve(file)));
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw tiError('TI_EINVAL', `${file} is not inside ${selection.dir}`);
  if (selection.installable !== true) return skip(selection.installable.reason);
  const none = selection.convention === 'none';
  const byFacts = facts ? factsReason(facts, own.target) : null;
  if (own.selected.has(abs)) return none && byFacts ? skip(byFacts) : { selected: true };
  if (own.tried.has(abs)) return skip(own.tried.get(abs));
  const posix = rel.split(path.sep).join('/');
  const named = own.reasonFor(posix);
  if (named) return skip(named);
  if (SHARED_LIBRARY.test(abs) && (none || selection.convention === 'platform-package' || besideSelected(selection, abs))) {
    return skip(LIBRARY);
  }
  if (none) return skip(byFacts || tagsReason(posix, own.target) || noConventionReason(posix) || 'not selected: no known loader convention names it');
  return skip(tagsReason(posix, own.target) || `not selected by ${selection.convention}`);
}

// What the target would need, as the convention names it (null when it found a binary).
const wantsOf = (selection) => (selection && selection[INTERNAL] ? selection[INTERNAL].wants : null);

module.exports = {
  resolvePackage, nodeFiles, readJson, wantsOf, cmakeTsBuilds, notLoadedReason: noConventionReason, findPackageRoot, describePackage, selectBinaries, classify, settle, installable, normalizeTarget, npmHostTarget, npmTarget, headerFacts, factsFromAnalysis, LIBRARY, NOT_INSTALLED,
};
