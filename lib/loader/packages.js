'use strict';
/*
 * Which native files a package would load on a target, by the package's own
 * loader convention, and why every other native file in it is skipped.
 * Targets use npm's vocabulary (see normalizeTarget).  Directories are read
 * sorted by name, the order libuv's scandir gives the real loaders, so ties
 * break the way they do.  Nothing here judges ELF contents: facts about a
 * file (format, machine, class, libc) come from the caller (a function), by
 * default from its header, or with facts: 'light' from the light analysis
 * (which tells the libc) that the walk of the package makes.  Conventions,
 * as implemented:
 *
 * npm's install check (every package): a package.json `os`, `cpu` or `libc`
 * list accepts the target when it is ['any'], names the target's value, or
 * holds only '!x' entries none of which is the target's value; a `libc`
 * list refuses a target without a libc.  A package npm would not install
 * (present through a copied or shared node_modules) is skipped whole: 'for
 * darwin-arm64', 'for linux-arm64', 'for musl', or 'package not installed on
 * this target (os/cpu/libc)' when its lists name no single platform.
 *
 * node-gyp-build (a dependency on it, or a prebuilds/ folder of
 * <platform>-<arch>[+<arch>...] directories): the first *.node in
 * build/Release, else in build/Debug; else, of the prebuilds/ directories
 * for the target's platform whose arch list holds its cpu, the one with the
 * fewest archs (only that one is searched); in it, the *.node files whose
 * dot-separated tags all fit: node|electron|node-webkit (node with napi fits
 * any runtime), abi<N> (any with napi), uv<N>, armv<N> (arm64 is 8),
 * glibc|musl; untagged fits anything.  Of those: the target's runtime first,
 * then abi-tagged before napi, then more tags, then name order.  Not
 * modelled: <NAME>_PREBUILD, PREBUILDS_ONLY, prebuilds beside the node binary.
 * node-gyp-build-optional-packages: the same, then the package
 * @<name>/<name>-<platform>-<arch> (a scoped name keeps its own scope),
 * whose top-level *.node files are matched by the same tags.
 *
 * bindings (a dependency on it): the names its code hands to bindings()
 * (bindings('x'), bindings({ bindings: 'x' }), read from its main file and the
 * JavaScript of its top directory, lib/, src/, dist/; every name when none is
 * found), each loaded from the first
 * of build, build/Debug, build/Release, out/Debug, Debug, out/Release,
 * Release, build/default, compiled/<node version>/<platform>/<arch>,
 * addon-build/{release,debug,default}/install-root and
 * lib/binding/node-v<abi>-<platform>-<arch> that holds it (the name given
 * to bindings() lives in the package's code, so every name found counts).
 *
 * node-pre-gyp (binary.module_path and binary.module_name): module_path
 * with {module_name} {version} {major} {minor} {patch} {prerelease} {build}
 * {name} {runtime} {node_abi} (node-v<abi>, electron-v<major.minor>)
 * {node_abi_napi} {napi_version} {napi_build_version} (the highest of
 * binary.napi_versions not above the target's Node-API) {node_napi_label}
 * {platform} {target_platform} {arch} {target_arch} {libc}
 * {configuration} (Release) {toolset} {target} (both empty) {module_main}
 * {bucket} {region} replaced, joined to the package directory, then
 * <module_name>.node.  With napi_versions, none at or below the target and
 * a package_name without {node_napi_label}, node-pre-gyp refuses: nothing.
 *
 * napi-rs (a `napi` field; binaryName or name, else 'index'): for each
 * suffix of the target (linux-<cpu>-gnu|musl on x64, arm64, riscv64;
 * linux-arm-gnueabihf|musleabihf; linux-ppc64-gnu and linux-s390x-gnu on
 * either libc; darwin-universal then darwin-<cpu>; win32-<cpu>-msvc;
 * freebsd-<cpu>; android-arm64, android-arm-eabi), ./<binaryName>.<suffix>.node
 * beside the package, else the package <name>-<suffix> (napi.package.name
 * when set), which npm installed or not by its os/cpu/libc.
 *
 * cmake-ts (a dependency on it; zeromq 6): build/manifest.json maps each
 * build's configuration (os, arch, libc: glibc or musl on Linux by
 * /etc/alpine-release, libc on darwin, msvc on win32; abi) to its path; the
 * loader takes the configurations of the target's os, arch and libc, highest
 * abi first (the sort is stable: manifest order on ties), and requires each
 * until one loads, whatever its abi.  The first is judged; when the model
 * says it would fail, the next (`fallbacks`, settled by the caller through
 * settle()).  Builds of other platforms are skipped for their platform, and
 * files the manifest does not list are never loaded.
 *
 * Platform packages (os/cpu/libc fields and no convention above: napi-rs
 * and sharp >= 0.33 ship one per platform): when npm would install them,
 * `main` if it is a .node file, else the .node files `exports` names, else
 * the top-level *.node files by node-gyp-build's tags if any carries one,
 * else every *.node in the package.  Any package hands over (`delegates`) to
 * its optionalDependencies that are installable platform packages present.
 *
 * No convention: every ELF *.node for the target's os, cpu, class and libc
 * (facts with an unknown libc fit either) whose path names no other platform
 * (platform-tags.js) and is not under test/, fixtures/, example(s)/, bench/
 * and the like; the others are skipped for their platform from the path or
 * the facts ('for linux-arm64', 'for musl', 'not ELF (Mach-O)').  A file a
 * convention does not select is skipped for the platform its path names
 * when it names one, else 'not selected by <convention>'.
 *
 * Other files: a path that names another platform under the convention
 * says so ('for darwin-x64', 'for musl', 'for node-v108'); a shared library
 * (*.so*) in a package without a convention, in a platform package, or in
 * or below a selected binary's directory is 'library: judged through the
 * binaries that load it'; anything else is 'not selected by <convention>'.
 */
const fs = require('fs');
const path = require('path');
const { tiError } = require('../errors');
const { cpuOf, MACHINE_NUMBER } = require('../platform');
const { runningLibc } = require('../process/running-libc');
const { walk: walkFiles, readSmall, listDir } = require('../file/walk');
const { tagsReason } = require('./platform-tags');

const JSON_LIMIT = 1 << 20; // bytes of one package.json
const LIST_LIMIT = 10000; // names read from one directory
const WALK_LIMIT = 100000; // directory entries visited under one package
const DEPENDENCY_LIMIT = 1000; // optionalDependencies looked up
const LIBRARY = 'library: judged through the binaries that load it';
const NOT_INSTALLED = 'package not installed on this target (os/cpu/libc)';
const SHARED_LIBRARY = /\.so(\.\d+)*$/;
const INTERNAL = Symbol('tls-inspect package selection');
const MACHINE_NAME = Object.fromEntries(Object.entries(MACHINE_NUMBER).map(([name, n]) => [n, name]));

// ---- targets ---------------------------------------------------------------

function positiveInt(v, what) {
  if (!Number.isInteger(v) || v < 1) throw tiError('TI_EINVAL', `target.${what} must be a positive integer`);
  return v;
}

function nonEmpty(v, what) {
  if (typeof v !== 'string' || !v) throw tiError('TI_EINVAL', `target.${what} must be a non-empty string`);
  return v;
}

// Fills what a target leaves out: runtime node, this Node's ABI, Node-API
// and uv major, armv 8 on arm64 and 7 on arm (Node's official arm builds).
function normalizeTarget(target) {
  if (!target || typeof target !== 'object') throw tiError('TI_EINVAL', 'target must be an object { os, cpu, libc, ... }');
  const os = nonEmpty(target.os === undefined ? 'linux' : target.os, 'os');
  const cpu = nonEmpty(target.cpu, 'cpu');
  const { libc } = target;
  if (os === 'linux' ? libc !== 'glibc' && libc !== 'musl' : libc !== undefined) {
    throw tiError('TI_EINVAL', 'target.libc must be glibc or musl on linux, and absent elsewhere');
  }
  const runtime = target.runtime === undefined ? 'node' : target.runtime;
  if (runtime !== 'node' && runtime !== 'electron') throw tiError('TI_EINVAL', 'target.runtime must be node or electron');
  const hostAbi = Number(process.versions.modules);
  const abi = positiveInt(target.abi === undefined ? hostAbi : target.abi, 'abi');
  const napi = positiveInt(target.napi === undefined ? Number(process.versions.napi) : target.napi, 'napi');
  const armv = target.armv !== undefined ? String(target.armv) : { arm64: '8', arm: '7' }[cpu] || '';
  const uv = target.uv !== undefined ? String(target.uv) : '1';
  const node = target.node !== undefined ? nonEmpty(target.node, 'node')
    : runtime === 'node' && abi === hostAbi ? process.versions.node : undefined;
  const electron = target.electron !== undefined ? nonEmpty(target.electron, 'electron') : undefined;
  return Object.freeze({ os, cpu, libc, runtime, abi, napi, armv, uv, node, electron });
}

// This process, as node-gyp-build sees it (LIBC= is honoured, like there).
function hostTarget() {
  const vars = (process.config && process.config.variables) || {};
  const cpu = process.arch;
  return normalizeTarget({
    os: process.platform,
    cpu,
    libc: process.platform === 'linux' ? runningLibc() : undefined,
    runtime: process.versions.electron ? 'electron' : 'node',
    abi: Number(process.versions.modules),
    napi: Number(process.versions.napi),
    uv: (process.versions.uv || '1').split('.')[0],
    armv: cpu === 'arm64' ? '8' : vars.arm_version === undefined ? undefined : String(vars.arm_version),
    node: process.versions.node,
    electron: process.versions.electron,
  });
}

const targetLabel = (t) => `${t.os}-${t.cpu}${t.libc ? ` ${t.libc}` : ''} (${t.runtime} abi${t.abi}, Node-API ${t.napi})`;

// ---- bounded file-system reads ---------------------------------------------

const byName = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

// One promise per file-system call through the callback API: a scan makes
// these calls for every package, and fs.promises costs several times more
// per call (a FileHandle, a promise per step).
const call = (fn, ...args) => new Promise((resolve, reject) => {
  fn(...args, (e, v) => (e ? reject(e) : resolve(v)));
});

// Sorted, at most LIST_LIMIT (the first the file system gives).
async function listNames(dir) {
  let names = [];
  try {
    names = await listDir(dir, LIST_LIMIT);
  } catch (_) { /* missing or unreadable: nothing there */ }
  return names.sort(byName);
}

async function isFile(file) {
  try {
    return (await call(fs.stat, file)).isFile();
  } catch (_) {
    return false;
  }
}

async function readJson(file) {
  try {
    const value = JSON.parse(await readSmall(file, JSON_LIMIT));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch (_) {
    return null;
  }
}

// *.node files under dir, not inside nested node_modules, in path order, as
// walk entries { path, facts } (facts from the header, or with `light` from
// the light analysis); symlinked directories are followed once each (by
// device and inode), and directories that cannot be read are passed over.
async function nodeFiles(dir, light = false) {
  const out = [];
  for await (const batch of walkFiles(dir, { light, skip: 'node_modules', maxVisits: WALK_LIMIT })) {
    for (const e of batch) if (!e.error && e.name.endsWith('.node')) out.push(e);
  }
  return out.sort((a, b) => byName(a.path, b.path));
}

const VALID_NAME = /^(@[^/@.][^/]*\/)?[^/@.][^/]*$/;

// Node's lookup of a package directory from dir (after its symlinks, as
// require() does, which matters in pnpm's layout): ./node_modules/<name>,
// then each ancestor's.
async function resolvePackage(fromDir, name) {
  if (typeof name !== 'string' || !VALID_NAME.test(name) || name.split('/').some((p) => p === '..')) return null;
  const real = await call(fs.realpath.native, fromDir).catch(() => fromDir);
  for (let dir = real; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (await isFile(path.join(candidate, 'package.json'))) return candidate;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

// ---- facts about one file --------------------------------------------------

const MACH_O = [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe];

// { elf, format, machine, class, libc: 'unknown' } from the first 20 bytes.
async function headerFacts(file) {
  let fh;
  try {
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const b = Buffer.alloc(20);
    const { bytesRead } = await fh.read(b, 0, 20, 0);
    if (bytesRead >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
      const number = b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
      return { elf: true, format: 'ELF', machine: MACHINE_NAME[number] || `em-${number}`, class: b[4] === 2 ? 64 : 32, libc: 'unknown' };
    }
    let format = 'unknown';
    if (bytesRead >= 4 && MACH_O.includes(b.readUInt32BE(0))) format = 'Mach-O';
    else if (bytesRead >= 2 && b[0] === 0x4d && b[1] === 0x5a) format = 'PE';
    return { elf: false, format };
  } catch (_) {
    return { elf: false, format: 'unknown' };
  } finally {
    if (fh) await fh.close();
  }
}

// The facts classify() wants, from an analyze() result.
function factsFromAnalysis(a) {
  return { elf: true, format: 'ELF', machine: a.machine, class: a.class, libc: a.libc };
}

const FORMAT_OS = { 'Mach-O': 'darwin', PE: 'win32' };

// Why a file with these facts is not for the target, or null when it is.
function factsReason(facts, t) {
  if (!facts || !facts.elf) {
    const format = (facts && facts.format) || 'unknown';
    return FORMAT_OS[format] === t.os ? null : `not ELF (${format})`;
  }
  const cpu = cpuOf(facts.machine, facts.class);
  if (t.os !== 'linux' || cpu !== t.cpu) return `for linux-${cpu || facts.machine}`;
  if ((facts.libc === 'glibc' || facts.libc === 'musl') && facts.libc !== t.libc) return `for ${facts.libc}`;
  return null;
}

// ---- npm's install check ---------------------------------------------------

const asList = (v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : []);

// npm's reading of one os/cpu/libc list.
function accepts(list, value) {
  const entries = asList(list);
  if (entries.length === 1 && entries[0] === 'any') return true;
  let refusals = 0;
  let listed = false;
  for (const entry of entries) {
    if (typeof entry === 'string' && entry.startsWith('!')) {
      refusals++;
      if (entry.slice(1) === value) return false;
    } else if (entry === value) {
      listed = true;
    }
  }
  return listed || refusals === entries.length;
}

function single(json, field) {
  const list = asList(json[field]);
  const v = list[0];
  return list.length === 1 && typeof v === 'string' && v !== 'any' && !v.startsWith('!') ? v : null;
}

function platformCheck(json, t) {
  const failed = ['os', 'cpu', 'libc'].find((f) => json[f] && (t[f] === undefined || !accepts(json[f], t[f])));
  if (!failed) return true;
  const os = single(json, 'os');
  const cpu = single(json, 'cpu');
  const libc = single(json, 'libc');
  if (failed === 'libc') return { reason: libc ? `for ${libc}` : NOT_INSTALLED };
  if (failed === 'os') return { reason: os ? `for ${os}${cpu ? `-${cpu}` : ''}` : NOT_INSTALLED };
  return { reason: cpu ? `for ${os || t.os}-${cpu}` : NOT_INSTALLED };
}

// npm's install-time platform check of a package.json: true or { reason }.
const installable = (json, target) => platformCheck(json || {}, normalizeTarget(target));

const isPlatformPackage = (json) => Boolean(json.os || json.cpu || json.libc);

// ---- packages --------------------------------------------------------------

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

// The sorted names of <package>/rel; when the package's own listing lacks
// rel's first part, nothing is asked of the file system (most packages have
// no build/, bindings tries a dozen places).
function listIn(pkg, rel) {
  const top = rel.split('/', 1)[0];
  return pkg.names && !pkg.names.has(top) ? Promise.resolve([]) : listNames(path.join(pkg.dir, rel));
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

// ---- node-gyp-build --------------------------------------------------------

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

// ---- bindings --------------------------------------------------------------

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

// ---- cmake-ts --------------------------------------------------------------

const CMAKE_TS_LIBC = { darwin: 'libc', win32: 'msvc' };
const MANIFEST_LIMIT = 1000; // configurations read from one manifest
const MANIFEST_BYTES = 4 << 20;

// The manifest's configurations as { os, arch, libc, abi, rel } in its order
// (rel: the addon's path under the package, '/'-separated; entries leaving build/ dropped).
function cmakeTsConfigs(manifest) {
  const out = [];
  if (!manifest || typeof manifest !== 'object') return out;
  for (const [key, value] of Object.entries(manifest).slice(0, MANIFEST_LIMIT)) {
    let c;
    try { c = JSON.parse(key); } catch (_) { continue; }
    if (!c || typeof c !== 'object' || typeof value !== 'string') continue;
    const rel = path.posix.normalize(`build/${value.split('\\').join('/')}`);
    if (!rel.startsWith('build/') || rel.split('/').includes('..')) continue;
    out.push({ os: String(c.os), arch: String(c.arch), libc: String(c.libc), abi: Number(c.abi) || 0, rel });
  }
  return out;
}

async function readManifest(pkg) {
  try {
    return JSON.parse(await readSmall(path.join(pkg.dir, 'build', 'manifest.json'), MANIFEST_BYTES));
  } catch (_) {
    return null;
  }
}

// The manifest's builds that are there (for covers).
async function cmakeTsBuilds(pkg) {
  const out = [];
  for (const c of cmakeTsConfigs(await readManifest(pkg))) if (await isFile(path.join(pkg.dir, c.rel))) out.push(c);
  return out;
}

const cmakeTsLibc = (t) => (t.os === 'linux' ? t.libc || 'glibc' : CMAKE_TS_LIBC[t.os] || 'unknown');

async function selectCmakeTs(pkg, t) {
  const configs = cmakeTsConfigs(await readManifest(pkg));
  const libc = cmakeTsLibc(t);
  const fits = configs.filter((c) => c.os === t.os && c.arch === t.cpu && c.libc === libc).sort((a, b) => b.abi - a.abi);
  const byRel = new Map(configs.map((c) => [c.rel, c]));
  const present = [];
  for (const c of fits) if (await isFile(path.join(pkg.dir, c.rel))) present.push(c);
  const [first, ...rest] = present;
  const reasonFor = (rel) => {
    const c = byRel.get(rel);
    if (!c) return rel.startsWith('build/') ? (tagsReason(rel, t) || 'not in build/manifest.json: cmake-ts loads only the builds its manifest lists') : null;
    if (c.os !== t.os || c.arch !== t.cpu) return `for ${c.os}-${c.arch}`;
    if (c.libc !== libc) return `for ${c.libc}`;
    return `cmake-ts fallback: required only if ${first ? first.rel : 'a build of a higher abi'} fails to load`;
  };
  if (!configs.length) {
    return { selected: [], reasonFor, why: 'cmake-ts: no readable build/manifest.json',
      missing: 'cmake-ts finds no build/manifest.json (it would throw "Manifest file not found")' };
  }
  const order = present.map((c) => `${c.rel} (abi${c.abi})`).join(', ');
  return { selected: first ? [path.join(pkg.dir, first.rel)] : [], fallbacks: rest.map((c) => path.join(pkg.dir, c.rel)), reasonFor,
    why: first ? `cmake-ts: build/manifest.json for ${t.os} ${t.cpu} ${libc}, highest abi first: ${order}`
      : `cmake-ts: build/manifest.json has no build for ${t.os} ${t.cpu} ${libc}`,
    missing: first ? null : `cmake-ts finds no build for ${t.os} ${t.cpu} ${libc} in build/manifest.json (it would throw "No compatible zeromq.js addon found")`,
    wants: first ? null : `a build/manifest.json entry for ${t.os} ${t.cpu} ${libc}` };
}

// ---- node-pre-gyp ----------------------------------------------------------

const SEMVER = /^[=v\s]*(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

function napiBuildVersion(binary, t) {
  const listed = [...new Set(asList(binary.napi_versions))];
  const usable = listed.filter((v) => Number.isInteger(v) && v > 0 && v <= t.napi);
  return { listed, best: usable.length ? Math.max(...usable) : undefined };
}

// node-pre-gyp's substitution values for the target.
function preGypValues(json, t) {
  const binary = json.binary;
  const m = SEMVER.exec(String(json.version || ''));
  const napi = napiBuildVersion(binary, t);
  const nodeAbi = t.runtime === 'electron'
    ? (t.electron ? `electron-v${t.electron.split('.').slice(0, 2).join('.')}` : undefined)
    : `node-v${t.abi}`;
  const values = {
    name: json.name, configuration: 'Release', module_name: binary.module_name,
    version: m ? `${m[1]}.${m[2]}.${m[3]}${m[4] ? `-${m[4]}` : ''}` : undefined,
    prerelease: m ? m[4] || '' : undefined, build: m ? m[5] || '' : undefined,
    major: m && m[1], minor: m && m[2], patch: m && m[3], runtime: t.runtime,
    node_abi: nodeAbi, node_abi_napi: t.napi ? 'napi' : nodeAbi, napi_version: t.napi,
    napi_build_version: napi.best || '', node_napi_label: napi.best ? `napi-v${napi.best}` : nodeAbi,
    target: '', platform: t.os, target_platform: t.os, arch: t.cpu, target_arch: t.cpu,
    libc: t.libc || 'unknown', module_main: json.main, toolset: '', bucket: binary.bucket, region: binary.region,
  };
  return { values, napi };
}

function evalTemplate(template, values) {
  const unknown = [];
  const text = template.replace(/\{(\w+)\}/g, (whole, key) => {
    if (!Object.prototype.hasOwnProperty.call(values, key)) return whole;
    if (values[key] === undefined || values[key] === null) unknown.push(key);
    return String(values[key]);
  });
  return { text, unknown };
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The placeholders whose value depends on the target, each matched by a
// bounded character class (none crosses a "/").  Every other placeholder
// node-pre-gyp knows has one value per package (name, version, module_name...)
// and is matched as that text; one it does not know stays literal, as
// node-pre-gyp leaves it.
const PLACEHOLDER = {
  platform: '([a-z0-9]+)', target_platform: '([a-z0-9]+)', arch: '([a-z0-9]+)', target_arch: '([a-z0-9]+)',
  libc: '([a-z]+)', node_abi: '((?:node|electron|node-webkit)-v[0-9.]+|v8-[0-9.]+)',
  node_napi_label: '(napi-v[0-9]+|(?:node|electron|node-webkit)-v[0-9.]+)', napi_build_version: '([0-9]*)',
  node_abi_napi: '(napi|(?:node|electron|node-webkit)-v[0-9.]+)', napi_version: '([0-9]*)',
  runtime: '(node|electron|node-webkit)', configuration: '(Release|Debug)',
};
// Templates come from package.json: the work of matching one is bounded by
// the number of target placeholders per path segment (with literal text
// between them) and the length of a segment, never by what the template says.
const TEMPLATE_LIMITS = { placeholders: 8, perSegment: 5, segment: 64 };

// One path segment of a template as an anchored expression and its keys, or a
// reason it cannot be matched.
function segmentMatcher(segment, values) {
  const keys = [];
  let source = '';
  let lastWasVariable = false;
  for (const part of segment.split(/(\{\w+\})/)) {
    const m = /^\{(\w+)\}$/.exec(part);
    if (m && PLACEHOLDER[m[1]]) {
      if (lastWasVariable) return { refused: `two placeholders with nothing between them in ${segment}` };
      keys.push(m[1]);
      source += PLACEHOLDER[m[1]];
      lastWasVariable = true;
      continue;
    }
    const known = m && Object.prototype.hasOwnProperty.call(values, m[1]) && values[m[1]] !== undefined && values[m[1]] !== null;
    const text = known ? String(values[m[1]]) : part;
    if (text) lastWasVariable = false;
    source += escapeRegExp(text);
  }
  if (keys.length > TEMPLATE_LIMITS.perSegment) return { refused: `more than ${TEMPLATE_LIMITS.perSegment} placeholders in ${segment}` };
  return { re: new RegExp(`^${source}$`), keys };
}

// A matcher for every path the template can produce, giving the values it holds
// (null for a path it cannot produce, and for every path when the template is
// beyond the limits).
function templateMatcher(json, values) {
  const template = path.posix.join(json.binary.module_path, `${json.binary.module_name}.node`).replace(/^\.\//, '');
  const segments = template.split('/').map((seg) => segmentMatcher(seg, { ...values, module_name: json.binary.module_name }));
  const count = segments.reduce((n, seg) => n + (seg.keys ? seg.keys.length : 0), 0);
  if (segments.some((seg) => seg.refused) || count > TEMPLATE_LIMITS.placeholders) return () => null;
  return (rel) => {
    const parts = rel.split('/');
    if (parts.length !== segments.length) return null;
    const got = {};
    for (let i = 0; i < parts.length; i++) {
      if (parts[i].length > TEMPLATE_LIMITS.segment) return null;
      const m = segments[i].re.exec(parts[i]);
      if (!m) return null;
      segments[i].keys.forEach((k, j) => { got[k] = m[j + 1]; });
    }
    return got;
  };
}

function preGypReason(match, rel, t, values) {
  const got = match(rel);
  if (!got) return null;
  const os = got.platform || got.target_platform || t.os;
  const cpu = got.arch || got.target_arch || t.cpu;
  if (os !== t.os || cpu !== t.cpu) return `for ${os}-${cpu}`;
  if ((got.libc === 'glibc' || got.libc === 'musl') && got.libc !== t.libc) return `for ${got.libc}`;
  const abi = got.node_abi || (got.node_napi_label && !got.node_napi_label.startsWith('napi-') ? got.node_napi_label : null);
  return abi && abi !== values.node_abi ? `for ${abi}` : null;
}

async function selectNodePreGyp(pkg, t) {
  const { json } = pkg;
  const { values, napi } = preGypValues(json, t);
  const match = templateMatcher(json, values);
  const reasonFor = (rel) => preGypReason(match, rel, t, values);
  const napiOnly = typeof json.binary.package_name === 'string' && !json.binary.package_name.includes('{node_napi_label}');
  if (napi.listed.length && !napi.best && napiOnly) {
    return { selected: [], reasonFor,
      why: `node-pre-gyp: binary.napi_versions ${napi.listed.join(', ')}, none at or below Node-API ${t.napi}`,
      missing: `node-pre-gyp refuses Node-API ${t.napi}: this package needs one of ${napi.listed.join(', ')}` };
  }
  const modulePath = evalTemplate(json.binary.module_path, values);
  if (modulePath.unknown.length) {
    const keys = `{${modulePath.unknown.join('}, {')}}`;
    return { selected: [], reasonFor, why: `node-pre-gyp: cannot evaluate ${keys} in ${json.binary.module_path} for ${targetLabel(t)}`,
      missing: `node-pre-gyp's module_path needs ${keys} (set target.electron or fix package.json)` };
  }
  const file = path.join(pkg.dir, modulePath.text, `${json.binary.module_name}.node`);
  const rel = path.relative(pkg.dir, file);
  const why = `node-pre-gyp: module_path ${json.binary.module_path} is ${modulePath.text} on ${targetLabel(t)}`;
  if (await isFile(file)) return { selected: [file], reasonFor, why: `${why}: ${rel}` };
  return { selected: [], reasonFor, why: `${why}; ${rel} is not there`,
    missing: `node-pre-gyp's ${rel} is not there (not installed or built for this target)` };
}

// ---- napi-rs ---------------------------------------------------------------

const NAPI_LINUX = {
  x64: ['gnu', 'musl'], arm64: ['gnu', 'musl'], riscv64: ['gnu', 'musl'],
  arm: ['gnueabihf', 'musleabihf'], ppc64: ['gnu', 'gnu'], s390x: ['gnu', 'gnu'],
};

// The suffixes napi-rs's generated loader tries on the target, in order.
function napiSuffixes(t) {
  if (t.os === 'linux') return NAPI_LINUX[t.cpu] ? [`linux-${t.cpu}-${NAPI_LINUX[t.cpu][t.libc === 'musl' ? 1 : 0]}`] : [];
  if (t.os === 'darwin') return ['darwin-universal', ...(['x64', 'arm64'].includes(t.cpu) ? [`darwin-${t.cpu}`] : [])];
  if (t.os === 'win32') return ['x64', 'ia32', 'arm64'].includes(t.cpu) ? [`win32-${t.cpu}-msvc`] : [];
  if (t.os === 'freebsd') return ['x64', 'arm64'].includes(t.cpu) ? [`freebsd-${t.cpu}`] : [];
  if (t.os === 'android') return { arm64: ['android-arm64'], arm: ['android-arm-eabi'] }[t.cpu] || [];
  return [];
}

function napiNames(json) {
  const napi = json.napi;
  const binaryName = [napi.binaryName, napi.name].find((v) => typeof v === 'string' && v) || 'index';
  const pkgName = (typeof napi.packageName === 'string' && napi.packageName) // napi-rs 3
    || (napi.package && typeof napi.package.name === 'string' && napi.package.name) || json.name;
  return { binaryName, pkgName };
}

function napiSuffixReason(suffix, t) {
  const [os, cpu, abi = ''] = suffix.split('-');
  if (!cpu) return null;
  if (os !== t.os || cpu !== t.cpu) return `for ${os}-${cpu}`;
  const libc = abi.startsWith('musl') ? 'musl' : abi.startsWith('gnu') ? 'glibc' : null;
  return libc && libc !== t.libc ? `for ${libc}` : null;
}

async function selectNapiRs(pkg, t) {
  const { binaryName, pkgName } = napiNames(pkg.json);
  const localName = new RegExp(`^${escapeRegExp(binaryName)}\\.([^/]+)\\.node$`);
  const reasonFor = (rel) => {
    const m = localName.exec(rel);
    return m ? napiSuffixReason(m[1], t) : null;
  };
  const suffixes = napiSuffixes(t);
  for (const suffix of suffixes) {
    const file = path.join(pkg.dir, `${binaryName}.${suffix}.node`);
    const local = `./${binaryName}.${suffix}.node`;
    if (await isFile(file)) return { selected: [file], reasonFor, delegates: [], why: `napi-rs: ${local} beside the package` };
    const dir = pkgName && (await resolvePackage(pkg.dir, `${pkgName}-${suffix}`));
    if (dir) return { selected: [], reasonFor, delegates: [dir], why: `napi-rs: no ${local}, so the package ${pkgName}-${suffix}` };
  }
  const tried = suffixes.length ? suffixes.join(', ') : 'nothing (napi-rs has no build name for it)';
  return { selected: [], reasonFor, delegates: [], why: `napi-rs: on ${targetLabel(t)} it tries ${tried}; none is present`,
    missing: `napi-rs finds neither ./${binaryName}.<suffix>.node nor ${pkgName}-<suffix> for ${tried}`,
    wants: suffixes.length ? `${pkgName}-${suffixes[0]}` : null };
}

// ---- platform packages and no convention -----------------------------------

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

// ---- selection and classification ------------------------------------------

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
  resolvePackage, nodeFiles, readJson, wantsOf, cmakeTsBuilds, notLoadedReason: noConventionReason,
  findPackageRoot, describePackage, selectBinaries, classify, settle, installable,
  normalizeTarget, hostTarget, headerFacts, factsFromAnalysis, LIBRARY, NOT_INSTALLED,
};
