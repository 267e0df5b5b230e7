'use strict';
// node-gyp-build (a dependency on it, or a prebuilds/ folder of
// <platform>-<arch>[+<arch>...] directories): the first *.node in
// build/Release, else in build/Debug; else, of the prebuilds/ directories
// for the target's platform whose arch list holds its cpu, the one with the
// fewest archs (only that one is searched); in it, the *.node files whose
// dot-separated tags all fit: node|electron|node-webkit (node with napi fits
// any runtime), abi<N> (any with napi), uv<N>, armv<N> (arm64 is 8),
// glibc|musl; untagged fits anything.  Of those: the target's runtime first,
// then abi-tagged before napi, then more tags, then name order.  Not
// modelled: <NAME>_PREBUILD, PREBUILDS_ONLY, prebuilds beside the node binary.
// node-gyp-build-optional-packages: the same, then the package
// @<name>/<name>-<platform>-<arch> (a scoped name keeps its own scope),
// whose top-level *.node files are matched by the same tags.
const path = require('path');
const { targetLabel } = require('./npm-target');
const { listIn, resolvePackage } = require('./reads');

function parseTuple(name) {
  const parts = name.split('-');
  if (parts.length !== 2 || !parts[0]) return null;
  const archs = parts[1].split('+');
  return archs.every(Boolean) ? { name, platform: parts[0], archs } : null;
}

const tupleFits = (tuple, t) => tuple.platform === t.os && tuple.archs.includes(t.cpu);

// node-gyp-build reads a tag from a prefix, so 'uvloop' is uv 'loop'.
function parseTags(file) {
  const parts = file.split('.');
  if (parts.pop() !== 'node') return null;
  const tags = { file, specificity: 0 };
  for (const tag of parts) {
    if (tag === 'node' || tag === 'electron' || tag === 'node-webkit') tags.runtime = tag;
    else if (tag === 'napi') tags.napi = true;
    else if (tag.startsWith('abi')) tags.abi = tag.slice(3);
    else if (tag.startsWith('uv')) tags.uv = tag.slice(2);
    else if (tag.startsWith('armv')) tags.armv = tag.slice(4);
    else if (tag === 'glibc' || tag === 'musl') tags.libc = tag;
    else continue;
    tags.specificity++;
  }
  return tags;
}

// Why these tags do not fit the target, or null when they do.
// Off linux node-gyp-build still takes glibc unless LIBC says otherwise.
function tagsMismatch(tags, t) {
  if (tags.libc && tags.libc !== (t.libc || 'glibc')) return `for ${tags.libc}`;
  if (tags.runtime && tags.runtime !== t.runtime && !(tags.runtime === 'node' && tags.napi)) return `for ${tags.runtime}`;
  if (tags.abi && tags.abi !== String(t.abi) && !tags.napi) return `for abi${tags.abi}`;
  if (tags.armv && tags.armv !== t.armv) return `for armv${tags.armv}`;
  if (tags.uv && tags.uv !== t.uv) return `for uv${tags.uv}`;
  return null;
}

// node-gyp-build's preference, kept as a comparator with its exact ties
// (Array.prototype.sort is stable, so name order decides the rest).
function preferred(runtime) {
  return (a, b) => {
    if (a.runtime !== b.runtime) return a.runtime === runtime ? -1 : 1;
    if (a.abi !== b.abi) return a.abi ? -1 : 1;
    return Math.sign(b.specificity - a.specificity);
  };
}

// The winning file name among names, with how many fitted; null if none.
function pickTagged(names, t) {
  const fitting = names.map(parseTags).filter((tags) => tags && !tagsMismatch(tags, t));
  if (!fitting.length) return null;
  const winner = fitting.sort(preferred(t.runtime))[0];
  return { file: winner.file, of: fitting.length };
}

async function pickPrebuild(pkg, t) {
  const root = path.join(pkg.dir, 'prebuilds');
  const tuples = (await listIn(pkg, 'prebuilds')).map(parseTuple).filter((x) => x && tupleFits(x, t));
  const tuple = tuples.sort((a, b) => a.archs.length - b.archs.length)[0];
  if (!tuple) return null;
  const pick = pickTagged(await listIn(pkg, `prebuilds/${tuple.name}`), t);
  return pick && { ...pick, rel: `prebuilds/${tuple.name}/${pick.file}`, path: path.join(root, tuple.name, pick.file) };
}

function prebuildsReason(rel, t) {
  const parts = rel.split('/');
  if (parts.length !== 3 || parts[0] !== 'prebuilds') return null;
  const tuple = parseTuple(parts[1]);
  if (!tuple) return null;
  if (!tupleFits(tuple, t)) return `for ${tuple.name}`;
  const tags = parseTags(parts[2]);
  return tags && tagsMismatch(tags, t);
}

const topLevelTagsReason = (rel, t) => {
  const tags = !rel.includes('/') && parseTags(rel);
  return tags ? tagsMismatch(tags, t) : null;
};

function optionalPackageName(name, t) {
  return `${name.startsWith('@') ? '' : `@${name}/`}${name}-${t.os}-${t.cpu}`;
}

async function selectNodeGypBuild(pkg, t) {
  const conv = pkg.convention;
  const reasonFor = (rel) => prebuildsReason(rel, t);
  for (const conf of ['Release', 'Debug']) {
    const first = (await listIn(pkg, `build/${conf}`)).find((n) => n.endsWith('.node'));
    if (first) {
      return { selected: [path.join(pkg.dir, 'build', conf, first)], reasonFor, delegates: [],
        why: `${conv}: build/${conf}/${first}, the first *.node in build/${conf} (a local build comes before prebuilds)` };
    }
  }
  const pre = await pickPrebuild(pkg, t);
  if (pre) {
    return { selected: [pre.path], reasonFor, delegates: [],
      why: `${conv}: ${pre.rel}, preferred of ${pre.of} file(s) whose tags fit (no build/Release or build/Debug)` };
  }
  const looked = `no *.node in build/Release or build/Debug and no prebuilds/${t.os}-${t.cpu} file whose tags fit`;
  if (conv === 'node-gyp-build-optional-packages') {
    const other = optionalPackageName(pkg.name, t);
    const dir = await resolvePackage(pkg.dir, other);
    if (dir) return { selected: [], reasonFor, delegates: [dir], why: `${conv}: ${looked}, so it loads from the package ${other}` };
    return { selected: [], reasonFor, delegates: [], why: `${conv}: ${looked}, and no package ${other}`,
      missing: `${conv} finds no build for ${targetLabel(t)}`, wants: `${other} (or a prebuilds/${t.os}-${t.cpu}/ build)` };
  }
  const libcTag = t.os === 'linux' ? ` (tagged ${t.libc} or untagged)` : '';
  return { selected: [], reasonFor, delegates: [], why: `${conv}: ${looked}`,
    missing: `${conv} finds no build for ${targetLabel(t)} (it would throw "No native build was found")`,
    wants: `a prebuilds/${t.os}-${t.cpu}/ build${libcTag} or a build/Release/ build made on the target` };
}

module.exports = { parseTags, parseTuple, pickTagged, selectNodeGypBuild, topLevelTagsReason };
