'use strict';
// Platform packages (os/cpu/libc fields and no convention above: napi-rs
// and sharp >= 0.33 ship one per platform): when npm would install them,
// `main` if it is a .node file, else the .node files `exports` names, else
// the top-level *.node files by node-gyp-build's tags if any carries one,
// else every *.node in the package.  Any package hands over (`delegates`) to
// its optionalDependencies that are installable platform packages present.
//
// No convention: every ELF *.node for the target's os, cpu, class and libc
// (facts with an unknown libc fit either) whose path names no other platform
// (platform-tags.js) and is not under test/, fixtures/, example(s)/, bench/
// and the like; the others are skipped for their platform from the path or
// the facts ('for linux-arm64', 'for musl', 'not ELF (Mach-O)').  A file a
// convention does not select is skipped for the platform its path names
// when it names one, else 'not selected by <convention>'.
const path = require('path');
const { tagsReason } = require('./platform-tags');
const { factsReason } = require('./file-facts');
const { isPlatformPackage, platformCheck } = require('./install-check');
const { parseTags, pickTagged, topLevelTagsReason } = require('./node-gyp-build');
const { targetLabel } = require('./npm-target');
const { isFile, listNames, nodeFiles, readJson, resolvePackage } = require('./reads');

const DEPENDENCY_LIMIT = 1000; // optionalDependencies looked up

// String targets of an exports map (conditions and subpaths), bounded.
function exportTargets(exports, out = [], depth = 0) {
  if (typeof exports === 'string') out.push(exports);
  else if (exports && typeof exports === 'object' && depth < 8 && out.length < 256) {
    for (const v of Object.values(exports)) exportTargets(v, out, depth + 1);
  }
  return out;
}

async function existing(dir, rels) {
  const files = [];
  for (const rel of rels) {
    const file = path.join(dir, rel);
    if (!rel.includes('*') && file.startsWith(dir + path.sep) && (await isFile(file)) && !files.includes(file)) files.push(file);
  }
  return files;
}

async function selectPlatformPackage(pkg, t) {
  const { json, dir } = pkg;
  const reasonFor = (rel) => topLevelTagsReason(rel, t);
  const named = [json.main, ...exportTargets(json.exports)].filter((v) => typeof v === 'string' && v.endsWith('.node'));
  if (named.length) {
    const selected = await existing(dir, typeof json.main === 'string' && json.main.endsWith('.node') ? [json.main] : named);
    const names = selected.map((f) => path.relative(dir, f)).join(', ') || 'nothing';
    return { selected, reasonFor, why: `platform package: ${names}, named by its package.json`,
      missing: selected.length ? null : `the .node file its package.json names is not there (${named.join(', ')})` };
  }
  const top = (pkg.listing || (await listNames(dir))).filter((n) => n.endsWith('.node'));
  if (top.some((n) => parseTags(n).specificity > 0)) {
    const pick = pickTagged(top, t);
    return { selected: pick ? [path.join(dir, pick.file)] : [], reasonFor,
      why: pick ? `platform package: ${pick.file}, preferred by node-gyp-build's tags of ${pick.of} fitting file(s)`
        : 'platform package: no top-level file whose tags fit',
      missing: pick ? null : `no top-level *.node whose tags fit ${targetLabel(t)}` };
  }
  const selected = (await nodeFiles(dir)).map((e) => e.path)
    .filter((f) => { const rel = path.relative(dir, f).split(path.sep).join('/'); return !noConventionReason(rel) && !tagsReason(rel, t); });
  return { selected, reasonFor: (rel) => topLevelTagsReason(rel, t) || noConventionReason(rel) || tagsReason(rel, t), missing: null,
    why: `platform package installed for ${targetLabel(t)}: every *.node in it whose path names no other platform (${selected.length})` };
}

// Directories whose files a package does not load itself (tests, fixtures,
// examples, benchmarks): a package that names no convention gives no other clue.
const NOT_LOADED_DIR = /^(test|tests|__tests__|spec|fixtures?|examples?|bench|benchmarks?|demo|docs?)$/i;

function noConventionReason(rel) {
  const dir = rel.split('/').slice(0, -1).find((seg) => NOT_LOADED_DIR.test(seg));
  return dir ? `in ${dir}/: a test, fixture or example file, not what the package loads` : null;
}

async function selectWithoutConvention(pkg, t, facts) {
  const selected = [];
  const skipped = new Map();
  for (const entry of await nodeFiles(pkg.dir, facts === 'light')) {
    const rel = path.relative(pkg.dir, entry.path).split(path.sep).join('/');
    const early = noConventionReason(rel) || tagsReason(rel, t);
    if (early) {
      skipped.set(early, (skipped.get(early) || 0) + 1);
      continue;
    }
    let f = entry.facts;
    if (typeof facts === 'function') {
      try { f = await facts(entry.path); } catch (_) { f = null; }
    }
    const reason = factsReason(f, t);
    if (reason) skipped.set(reason, (skipped.get(reason) || 0) + 1);
    else selected.push(entry.path);
  }
  const others = [...skipped].map(([reason, n]) => `${n} ${reason}`).join(', ');
  return { selected, reasonFor: (rel) => noConventionReason(rel) || tagsReason(rel, t),
    why: `no known loader convention: every ELF *.node for ${targetLabel(t)} outside tests and examples is an entry point` +
    ` (${selected.length}${others ? `; skipped ${others}` : ''})`,
  missing: !selected.length && skipped.size ? `none of its *.node files is for ${targetLabel(t)} (${others})` : null };
}

// Installable platform packages among the optionalDependencies present.
async function platformDelegates(pkg, t) {
  const names = Object.keys(pkg.json.optionalDependencies || {}).slice(0, DEPENDENCY_LIMIT);
  const delegates = [];
  for (const name of names) {
    const dir = await resolvePackage(pkg.dir, name);
    const json = dir && (await readJson(path.join(dir, 'package.json')));
    if (json && isPlatformPackage(json) && platformCheck(json, t) === true) delegates.push(dir);
  }
  return delegates;
}

module.exports = { noConventionReason, platformDelegates, selectPlatformPackage, selectWithoutConvention };
