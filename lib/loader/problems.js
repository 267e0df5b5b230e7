'use strict';
// Every problem check() reports is made here, in one shape:
// { code, severity: 'error' | 'warning', message, fix, ...fields }.
// Codes are the public contract (docs/api.md, "check codes").  The loader model
// (model.js) decides what happens; this file says it in words.
const { cmpVersion } = require('../version');
const { MUSL_IE } = require('./static-tls');
const { entryPoints } = require('../file/analyze');

// Every code a problem can carry (the table in docs/api.md, in its order).
const CODES = ['LIBC_MISMATCH', 'GLIBC_TOO_OLD', 'GLIBCXX_TOO_OLD', 'VERSION_NOT_FOUND', 'STATIC_TLS_EXHAUSTED',
  'STATIC_TLS_LOW', 'MUSL_INITIAL_EXEC', 'MISSING_LIBRARY', 'UNDEFINED_SYMBOL', 'NODE_ABI_MISMATCH', 'ARCH_MISMATCH',
  'BAD_INTERPRETER', 'NAPI_VERSION', 'NAPI_EXPERIMENTAL', 'NAPI_DECLARED', 'NOT_DLOPENABLE', 'PRELOAD_REQUIRED',
  'MODULE_NOT_REGISTERED', 'NOT_CONTEXT_AWARE', 'NOT_ELF',
  'EXEC_STACK', 'NO_BINARY', 'LOADER_LIMIT', 'LOADER_BLOCKS'];

function problem(code, severity, message, fix, extra) {
  return { code, severity, message, fix, ...extra };
}

const REBUILD = 'rebuild without initial-exec TLS (-ftls-model=global-dynamic; jemalloc --disable-initial-exec-tls; ' +
  'Rust: mimalloc feature local_dynamic_tls, jemallocator disable_initial_exec_tls)';

const isExecutable = (a) => Boolean(a.interpreter) || a.type === 'EXEC';

// How an object is reached ("top.node", "libmid.so", ...), from its loader
// links when a problem names it (kept per object, the chains of a deep closure
// would take memory quadratic in its depth); longer than CHAIN_MAX, its ends.
const CHAIN_MAX = 64;
function chainOf(obj) {
  const names = [];
  for (let o = obj; o; o = o.loader) names.push(o.name);
  names.reverse();
  if (names.length <= CHAIN_MAX) return names;
  const head = names.slice(0, 8), tail = names.slice(names.length - (CHAIN_MAX - 9));
  return [...head, `... ${names.length - head.length - tail.length} more ...`, ...tail];
}

// Where in the load a library sits: "top.node -> libmid.so -> libdeep.so".
const chainText = (chain) => chain.join(' -> ');
const inChain = (obj) => (obj.chain.length > 1 ? ` (loaded through ${chainText(obj.chain)})` : '');

// Names that are not variables: ARM/AArch64 mapping symbols ($d, $x), the
// linker's _TLS_MODULE_BASE_, and anything of size 0.
const notVariable = (s) => s.size === 0 || s.name.startsWith('$') || s.name === '_TLS_MODULE_BASE_';

function largestTls(a, n = 3) {
  return a.tlsSymbols.filter((s) => s.defined && !notVariable(s)).slice(0, n)
    .map((s) => ({ name: s.name, demangled: s.demangled, size: s.size }));
}

function symbolsText(list) {
  if (!list.length) return '';
  return `; largest TLS symbols: ${list.map((s) => `${s.demangled ? `${s.demangled} [${s.name}]` : s.name} (${s.size} bytes)`).join(', ')}`;
}

// ---- the file itself ----

function notElf(detail) {
  return problem('NOT_ELF', 'error', `not an ELF file: ${detail}`, 'point tls-inspect at the compiled .node or .so file');
}

function archProblems(a, t) {
  if (a.machine === t.arch && a.class === t.class) return [];
  return [problem('ARCH_MISMATCH', 'error', `built for ${a.machine} (ELF${a.class}); the target is ${t.arch} ` +
    `(ELF${t.class})`, `install or build the ${t.cpu} binary (e.g. prebuilds/linux-${t.cpu}/)`)];
}

const LIBCS = ['glibc', 'musl', 'android'];

function libcEvidence(a) {
  if (a.libc === 'glibc') {
    const needs = a.needed.filter((n) => /^libc\.so\.6$|^ld-linux/.test(n)).join(', ') || 'glibc';
    return `${a.interpreter ? `interpreter ${a.interpreter}, ` : ''}needs ${needs}${a.minGlibc ? ` and GLIBC_${a.minGlibc}` : ''}`;
  }
  if (a.libc === 'android') return `built for Android (bionic): ${a.interpreter || a.needed.filter((n) => /^lib(c|log|dl)\.so$/.test(n)).join(', ')}`;
  return `linked against musl (${a.interpreter || a.needed.find((n) => /musl|^libc\.so$/.test(n))})`;
}

// obj: a library of the closure (not the file itself) when it is that library's libc.
function libcProblems(a, t, obj) {
  if (!LIBCS.includes(a.libc) || !['glibc', 'musl'].includes(t.libc) || a.libc === t.libc) return [];
  const fix = t.libc === 'musl' ? `install the musl build (e.g. prebuilds/linux-${t.cpu}/*.musl.node), or build from source on the musl system`
    : 'install the glibc build, or build from source on the glibc system';
  if (!obj) return [problem('LIBC_MISMATCH', 'error', `a ${a.libc} build on a ${t.libc} target: ${libcEvidence(a)}`, fix)];
  return [problem('LIBC_MISMATCH', 'error', `${obj.name}${inChain(obj)} is a ${a.libc} build on a ${t.libc} target ` +
    `(${libcEvidence(a)}): its libc's symbols and loader are not there, so it fails to load or crashes when called`,
  `ship ${obj.name} built for ${t.libc} with the addon, or build both from source on the ${t.libc} system`,
  { library: obj.name, path: obj.path, chain: obj.chain })];
}

// A glibc build dlopened on musl: musl answers to libc.so.6, libm.so.6,
// libpthread.so.0, libdl.so.2 and librt.so.1 itself and binds lazily, so it is
// judged by its symbols (libcMismatchBySymbols), not refused by its name.
const glibcOnMusl = (a, t) => a.libc === 'glibc' && t.libc === 'musl';

const symbolList = (list, n = 8) => {
  const names = list.map((s) => s.name);
  return names.slice(0, n).join(', ') + (names.length > n ? `, and ${names.length - n} more` : '');
};

// s: { judged (its symbols were bound), now (bound at load, musl lacks them),
// lazy (PLT/GOT slots musl defers under RTLD_LAZY and never fills), loader
// (glibc's loader it needs, which musl never finds), top }.
function libcMismatchBySymbols(obj, t, s) {
  const a = obj.analysis;
  const who = s.top ? 'a glibc build' : `${obj.name}${inChain(obj)} is a glibc build`;
  const musl = `musl${t.musl ? ` ${t.musl}` : ''}`;
  const fix = s.top ? `install the musl build (e.g. prebuilds/linux-${t.cpu}/*.musl.node), or build from source on the musl system`
    : `ship ${obj.name} built for musl with the addon, or build both from source on the musl system`;
  const extra = { library: obj.name, path: obj.path, chain: obj.chain, failAtLoad: s.now.map((i) => i.name),
    failWhenCalled: s.lazy.map((i) => i.name), symbols: [...s.now, ...s.lazy].map((i) => i.name) };
  const later = [...s.now, ...s.lazy].filter((i) => i.since).map((i) => `${i.name} (musl ${i.since})`);
  const crash = s.lazy.length ? `; ${s.lazy.length} function${s.lazy.length > 1 ? 's' : ''} musl lacks ` +
    `(${symbolList(s.lazy)}) would crash the process when called (musl defers them under RTLD_LAZY and never binds them)` : '';
  const since = later.length ? `; added to musl later: ${later.join(', ')}` : '';
  let why = null;
  if (s.loader) why = `it needs ${s.loader}, glibc's own loader, which musl never finds ("Error loading shared library ${s.loader}")`;
  else if (!s.judged) why = `${libcEvidence(a)}: its symbols cannot be bound because the load fails before relocation`;
  else if (s.now.length) {
    why = `musl stands in for libc.so.6 but not for ${s.now.length} symbol${s.now.length > 1 ? 's' : ''} it binds at load ` +
      `(${symbolList(s.now)}): "Error relocating ${obj.name}: ${s.now[0].name}: symbol not found"`;
  }
  if (why) return problem('LIBC_MISMATCH', 'error', `${who} on a musl target: ${why}${crash}${since}`, fix, extra);
  const text = s.lazy.length ? `it loads (musl stands in for libc.so.6, libm, libpthread, libdl, librt), but ${crash.slice(2)}`
    : `every symbol it imports from glibc is defined by ${musl}: it loads (musl stands in for libc.so.6, libm, libpthread, ` +
      'libdl, librt); glibc-specific behaviour (locales, DNS, thread stack sizes) may still differ';
  return problem('LIBC_MISMATCH', 'warning', `${who} on a musl target: ${text}${since}`,
    `${fix}; side effect: a musl build must exist or be compiled on the musl system`, extra);
}

function interpreterProblems(a, t, interpreterExists) {
  if (!a.interpreter) return [];
  const musl = /ld-musl-/.test(a.interpreter);
  const missing = t.kind === 'host' || t.kind === 'sysroot' ? !interpreterExists
    : (t.libc === 'musl' && !musl) || (t.libc === 'glibc' && musl) || /^\/system\//.test(a.interpreter);
  if (!missing) return [];
  return [problem('BAD_INTERPRETER', 'error', `its interpreter ${a.interpreter} does not exist on the target: ` +
    'running it fails with "not found" although the file is there',
  `build it for the target's libc${musl ? '' : ' (or statically, e.g. CGO_ENABLED=0 for Go)'}`)];
}

function napiProblems(a, t) {
  if (!a.napi || !t.napi) return [];
  const out = [];
  if (a.napi.minVersion > t.napi) {
    out.push(problem('NAPI_VERSION', 'error', `uses Node-API ${a.napi.minVersion} functions; the target's Node ` +
      `offers Node-API ${t.napi}`, `use a Node.js release with Node-API ${a.napi.minVersion} or build the addon ` +
      `with NAPI_VERSION=${t.napi}`));
  }
  if (a.napi.experimental.length) {
    out.push(problem('NAPI_EXPERIMENTAL', 'warning', `imports experimental Node-API functions ` +
      `(${a.napi.experimental.join(', ')}): they may be missing from other Node releases`, 'avoid NAPI_EXPERIMENTAL'));
  }
  out.push(...declaredProblems(a.napi.declared, t.napi));
  return out;
}

// NAPI_VERSION_EXPERIMENTAL in js_native_api.h: the declared version of an addon built with NAPI_EXPERIMENTAL.
const NAPI_VERSION_EXPERIMENTAL = 2147483647;

// The version node_api_module_get_api_version_v1 returns: a Node whose
// Node-API level is lower cannot run the addon's registration (Node 18/20
// crash in it, later releases refuse the module).
function declaredProblems(declared, level) {
  if (typeof declared !== 'number') return [];
  if (declared === NAPI_VERSION_EXPERIMENTAL) {
    return [problem('NAPI_EXPERIMENTAL', 'warning', 'declares Node-API NAPI_VERSION_EXPERIMENTAL ' +
      '(node_api_module_get_api_version_v1): its behaviour follows the Node release it runs on',
    'build with a numbered NAPI_VERSION (side effect: experimental APIs become unavailable)')];
  }
  if (declared <= level) return [];
  return [problem('NAPI_DECLARED', 'error', `declares Node-API ${declared} (node_api_module_get_api_version_v1 ` +
    `returns ${declared}); the target's Node offers Node-API ${level} and cannot register it (Node 18 and 20 crash ` +
    'loading it, later releases refuse it)',
  `run a Node.js release with Node-API ${declared} (Node 22.14+ or 24 for 10), or use a build of the addon that ` +
    `declares NAPI_VERSION=${level} or lower (side effect: that build may lack features that need the newer level)`,
  { declared, offered: level })];
}

// Addons that are not Node-API export node_register_module_v<NODE_MODULE_VERSION>,
// or (legacy NODE_MODULE, NAN) hand Node a struct node_module whose nm_version
// analyze() reads (a.abi): Node refuses one built for another ABI after the
// library has loaded.  A legacy addon without a context-aware entry point loads
// once per process: a warning on every target.
function abiProblems(a, t) {
  const out = [];
  const exports = entryPoints(a);
  if (t.abi && !exports.some((e) => /^napi_register_module_v\d+(@|$)/.test(e))) {
    const abis = exports.map((e) => /^node_register_module_v(\d+)(@|$)/.exec(e)).filter(Boolean).map((m) => Number(m[1]));
    const legacy = !abis.length && a.abi && a.abi.source === 'node_module_register' && typeof a.abi.version === 'number';
    if (legacy && a.abi.version !== t.abi) out.push(abiMismatch([a.abi.version], t, 'a legacy NODE_MODULE addon: the nm_version of its struct node_module'));
    else if (abis.length && !abis.includes(t.abi)) out.push(abiMismatch(abis, t, 'not Node-API'));
  }
  if (a.abi && a.abi.contextAware === false) out.push(notContextAware());
  return out;
}

function abiMismatch(abis, t, what) {
  const runtime = t.runtime === 'electron' ? 'Electron' : 'Node.js';
  return problem('NODE_ABI_MISMATCH', 'error', `built for NODE_MODULE_VERSION ${abis.join(', ')} (${what}); the ` +
    `target's ${runtime} needs NODE_MODULE_VERSION ${t.abi}: "was compiled against a different Node.js version"`,
  `rebuild it for this ${runtime} (npm rebuild${t.runtime === 'electron' ? ', or @electron/rebuild' : ''}), or use a Node-API build`,
  { abi: abis[0], targetAbi: t.abi });
}

// Node keeps a legacy addon's struct node_module per loaded file and runs it
// again only through nm_context_register_func (node_binding.cc, DLOpen).
function notContextAware() {
  return problem('NOT_CONTEXT_AWARE', 'warning', 'not context-aware: a legacy NODE_MODULE addon that registers only ' +
    'nm_register_func (not NODE_MODULE_CONTEXT_AWARE, NAN_MODULE_WORKER_ENABLED or NODE_MODULE_INIT). The first ' +
    'require() in the process works, in the main thread or a worker; every later one in another context (a ' +
    'worker_threads Worker, a vm context, Jest\'s per-file module registry, an Electron renderer) fails with "Module did ' +
    'not self-register", and under --force-context-aware it does not load at all',
  'use a release of the addon built with Node-API or NODE_MODULE_INIT / NAN_MODULE_WORKER_ENABLED (side effect: a ' +
    'newer release may change its API); otherwise require() it in one thread only and have workers ask that thread ' +
    '(side effect: the calls cross threads), or run the other contexts as child processes (side effect: more memory and ' +
    'start-up time)');
}

// A non-Node-API addon importing Node symbols (V8, libuv, node::) that the
// target's Node release does not export, though other releases do.
function nodeSymbolsMissing(obj, list, t, release) {
  const names = list.map((s) => s.name);
  const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? `, and ${names.length - 4} more` : '');
  const others = [...new Set(list.flatMap((s) => s.nodeReleases || []))].sort((x, y) => x - y);
  return problem('NODE_ABI_MISMATCH', 'error', `${obj.name}${inChain(obj)} imports ${names.length} symbol` +
    `${names.length > 1 ? 's' : ''} of Node's own (V8, libuv, node::) that Node ${release} does not export (${shown}); ` +
    `${others.length ? `Node ${others.join(', ')} export${others.length > 1 ? '' : 's'} them` : ''}: it was built against another Node release`,
  'rebuild it for this Node release (npm rebuild), or use a Node-API build (which does not depend on V8\'s symbols)',
  { library: obj.name, path: obj.path, symbols: names, targetAbi: t.abi });
}

// A library the target's tables and the package do not know: symbols it would
// define cannot be judged.
function unresolvedLibrary(name, needer) {
  const by = needer.chain.length > 1 ? `${needer.name} (loaded through ${chainText(needer.chain)})` : needer.name;
  return problem('MISSING_LIBRARY', 'warning', `${name} (needed by ${by}) is not part of the package and not a library ` +
    'this target is known to have: whether it is installed there, and what it defines, is unknown',
  `judge the target from its files (a sysroot or image of it), or ship ${name} beside the addon with RUNPATH $ORIGIN; ` +
    'otherwise install the package that provides it on the target', { library: name, neededBy: needer.name, unresolved: true });
}

// A sysroot whose tree lacks a library Node itself links: Node would not start
// there, whatever the file does (the file is judged as if it did).
function nodeCannotStart(names, t) {
  return problem('MISSING_LIBRARY', 'warning', `Node itself would not start on ${t.sysroot}: it links ${names.join(', ')}, ` +
    'which the tree does not have (this file is judged as if Node ran there)',
  `install ${names.join(', ')} in the image (the packages Node's runtime needs, e.g. libstdc++6 / libstdc++), or judge the image Node runs in (side effect: a larger image)`,
  { library: names[0], libraries: names, neededBy: 'node' });
}

// ---- the closure ----

function missingLibrary(name, needer, tried, why) {
  const by = needer.chain.length > 1 ? `${needer.name} (loaded through ${chainText(needer.chain)})` : needer.name;
  return problem('MISSING_LIBRARY', 'error', `${name} (needed by ${by}) is not found by the loader${why ? `: ${why}` : ''}`,
    `install the package that provides ${name}, or ship it beside the addon with RUNPATH $ORIGIN`,
    { library: name, neededBy: needer.name, chain: chainOf({ name, loader: needer }), tried: tried.map((x) => x.path) });
}

// A candidate the loader opens and then refuses (or would block on): the load fails there.
function refusedLibrary(name, needer, fatal) {
  const by = needer.chain.length > 1 ? `${needer.name} (loaded through ${chainText(needer.chain)})` : needer.name;
  const fix = fatal.code === 'ARCH_MISMATCH' ? `ship the ${name} built for this architecture` :
    `remove or replace ${fatal.path}: the loader takes the first file of that name on its search path`;
  return problem(fatal.code, 'error', `${name} (needed by ${by}) is found at ${fatal.path} (${fatal.via}), and the loader ` +
    `refuses it there: ${fatal.reason}`, fix, { library: name, path: fatal.path, neededBy: needer.name,
    chain: chainOf({ name, loader: needer }) });
}

function unreadableLibrary(obj, error) {
  return problem('MISSING_LIBRARY', 'error', `${obj.name} at ${obj.path}${inChain(obj)} cannot be read: ` +
    `${error.code || ''} ${error.message}`.trim(), 'reinstall the package that provides it',
  { library: obj.name, path: obj.path, chain: obj.chain });
}

// What glibc's dlopen refuses when it maps an object (the file itself or any
// library it pulls in); musl maps all three.
function notDlopenable(obj, a, family) {
  if (family !== 'glibc') return [];
  const why = a.flags.noopen ? ['marked DF_1_NOOPEN (linked with -z nodlopen)', 'shared object cannot be dlopen()ed',
    'link it without -z nodlopen']
    : a.flags.pie ? ['a position-independent executable (DF_1_PIE)', 'cannot dynamically load position-independent executable',
      'build it as a shared library (-shared -fPIC), not an executable (-pie)']
      : a.type === 'EXEC' ? ['an executable (ET_EXEC)', 'cannot dynamically load executable', 'build it as a shared library (-shared -fPIC)']
        : null;
  if (!why) return [];
  return [problem('NOT_DLOPENABLE', 'error', `${obj.name}${inChain(obj)} is ${why[0]}: glibc's dlopen refuses it, ` +
    `"${why[1]}"`, why[2], { library: obj.name, path: obj.path, chain: obj.chain })];
}

// Runtimes that check at start-up that they were loaded first and abort the
// process otherwise: AddressSanitizer's (GCC's libasan, clang's
// libclang_rt.asan) verifies it is the first library of the initial list
// ("ASan runtime does not come first in initial library list"), so it never
// comes in through dlopen().  ThreadSanitizer's runtime fails earlier, on its
// static TLS (STATIC_TLS_EXHAUSTED); UBSan's loads late.
const FIRST_ONLY = [
  { re: /^(libasan\.so(\.\d+)*|libclang_rt\.asan(-[a-z0-9_]+)?\.so)$/, runtime: 'AddressSanitizer',
    message: 'ASan runtime does not come first in initial library list', gcc: 'libasan.so' },
];

function preloadRequired(obj, family) {
  if (family !== 'glibc') return [];
  const name = (obj.analysis && obj.analysis.soname) || obj.name;
  const rt = FIRST_ONLY.find((r) => r.re.test(name));
  if (!rt) return [];
  const preload = rt.gcc && name.startsWith('libasan') ? `$(gcc -print-file-name=${rt.gcc})` : obj.path || name;
  return [problem('PRELOAD_REQUIRED', 'error', `${obj.name}${inChain(obj)} is the ${rt.runtime} runtime, which must be ` +
    `the first library of the process: loaded by dlopen()/require() it aborts the process ("${rt.message}")`,
  `start the process with it preloaded: LD_PRELOAD=${preload} node ... (side effects: the whole process, and every ` +
    `child that inherits LD_PRELOAD, runs under ${rt.runtime}: slower, several times the memory, and leak reports at ` +
    'exit unless ASAN_OPTIONS=detect_leaks=0); or use a build of the addon without -fsanitize=address',
  { library: obj.name, path: obj.path, chain: obj.chain, runtime: rt.runtime })];
}

// glibc 2.41 stopped making every thread's stack executable for a library
// loaded late that asks for it (elf/dl-load.c, _dl_map_object_from_fd): such a
// library (PT_GNU_STACK with PF_X, or none on architectures whose default is
// an executable stack) no longer loads through dlopen()/require().
function execStack(obj, t) {
  const a = obj.analysis;
  if (t.libc !== 'glibc' || !t.glibc || cmpVersion(t.glibc, '2.41') < 0 || !a || !a.flags || !a.flags.execStack) return [];
  return [problem('EXEC_STACK', 'error', `${obj.name}${inChain(obj)} asks for an executable stack; glibc ${t.glibc} ` +
    'refuses that in dlopen(): "cannot enable executable stack as shared object requires"',
  'rebuild it with -Wl,-z,noexecstack (assembly sources need a .note.GNU-stack section); or clear the flag with ' +
    '`patchelf --clear-execstack <file>` (side effects: modifies the file; code that really runs on the stack, such ' +
    'as GCC nested-function trampolines, then crashes); or stay on glibc 2.40 or older for this addon',
  { library: obj.name, path: obj.path, chain: obj.chain })];
}

// Node looks the addon's entry point up in the object and its dependencies, or
// takes what a constructor registered; with neither: "Module did not self-register".
function notRegistered(file) {
  return problem('MODULE_NOT_REGISTERED', 'error', `${file} neither exports napi_register_module_v1 or ` +
    'node_register_module_v* nor registers itself (napi_module_register) when loaded: Node loads it and then throws ' +
    '"Module did not self-register"', 'export the entry point: NAPI_MODULE(...) or NAPI_MODULE_INIT() in the addon, ' +
    'with default visibility (check -fvisibility=hidden builds and version scripts)', { path: file });
}

function loaderLimit(limit) {
  return problem('LOADER_LIMIT', 'error', `the load pulls in more than ${limit} objects: the rest was not judged`,
    'check the dependency tree (ldd) for a runaway chain of libraries');
}

// The library search of one load ran past its bounds (a hostile or runaway
// DT_RUNPATH/DT_RPATH): what it did not find was not judged.
function searchLimit(b) {
  return problem('LOADER_LIMIT', 'error', `the library search path is longer than ${b.entries} entries or needs more than ` +
    `${b.probes} file probes: the libraries not found by then were not judged`,
    'shorten the DT_RUNPATH/DT_RPATH (readelf -d; patchelf --set-rpath), or list the libraries it needs; ' +
    'this also makes the real loader faster (it tries every entry for every library)');
}

// A version an object needs that the library it names does not define.
function versionMissing(obj, lib, versions, t) {
  const v = versions[0];
  const where = inChain(obj);
  if (/^GLIBC_/.test(v) && t.kind !== 'host') {
    const have = t.glibc;
    return problem('GLIBC_TOO_OLD', 'error', `${obj.top ? '' : `${obj.name}${where} `}needs ${v}; the target has glibc ${have}` +
      `${obj.newest && obj.newest.length ? ` (newest: ${obj.newest.join(', ')})` : ''}`,
    `build on (or for) glibc ${have} or older, e.g. in a manylinux/RHEL ${cmpVersion(have, '2.28') <= 0 ? '8' : '9'} container`,
    { library: obj.name, path: obj.path, chain: obj.chain, symbols: obj.newest || [] });
  }
  const code = /^GLIBC_/.test(v) ? 'GLIBC_TOO_OLD' : /^(GLIBCXX|CXXABI)_/.test(v) ? 'GLIBCXX_TOO_OLD' : 'VERSION_NOT_FOUND';
  const fix = code === 'GLIBCXX_TOO_OLD' ? 'build with an older GCC, or link libstdc++ statically (-static-libstdc++)'
    : code === 'GLIBC_TOO_OLD' ? 'install a build made for this glibc (or older), or run on a newer distribution'
      : `install the ${lib.name} its build expects (it is older than the one it was linked against)`;
  return problem(code, 'error', `${obj.top ? '' : `${obj.name}${where} `}needs ${versions.join(', ')} from ${lib.name}` +
    `${lib.path && lib.path !== lib.name ? ` (${lib.path})` : ''}, which does not define ${versions.length > 1 ? 'them' : 'it'}: ` +
    `"version \`${v}' not found"`, fix,
  { library: lib.name, path: lib.path, neededBy: obj.name, chain: obj.chain, versions, symbols: obj.newest || [] });
}

function glibcxxTooOld(obj, have, symbols) {
  return problem('GLIBCXX_TOO_OLD', 'error', `${obj.top ? '' : `${obj.name}${inChain(obj)} `}needs GLIBCXX_${obj.analysis.minGlibcxx}; ` +
    `the target's libstdc++ offers ${have}${symbols.length ? ` (newest: ${symbols.join(', ')})` : ''}`,
  'build with an older GCC, or link libstdc++ statically (-static-libstdc++)',
  { library: obj.name, path: obj.path, chain: obj.chain, symbols });
}

// Undefined symbols of one object: `now` ones fail the load, `lazy` ones fail
// (or, on musl, crash) when first used.
function undefinedSymbols(obj, list, severity, t, how) {
  const names = list.map((s) => (s.version ? `${s.name}@${s.version}` : s.name));
  const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? `, and ${names.length - 8} more` : '');
  const musl = t.libc === 'musl';
  const what = severity === 'error'
    ? `the loader refuses it: "${musl ? 'symbol not found' : 'undefined symbol'}"`
    : musl ? 'musl defers them under RTLD_LAZY (Node\'s mode): the load succeeds and the process crashes when one is used'
      : 'they are bound lazily: the load succeeds and the process exits with "symbol lookup error" when one is first called';
  const since = list.filter((s) => s.since).map((s) => `${s.name} (musl ${s.since})`);
  const fix = since.length ? `use a target with musl ${list.find((s) => s.since).since} or newer, or a build for this musl`
    : 'build it against the libraries of the target, or ship the library that defines them';
  return problem('UNDEFINED_SYMBOL', severity, `${obj.name}${inChain(obj)} uses ${names.length} symbol` +
    `${names.length > 1 ? 's' : ''} that nothing in the process defines (${shown})${how ? ` ${how}` : ''}: ${what}` +
    `${since.length ? `; added to musl later: ${since.join(', ')}` : ''}`, fix,
  { library: obj.name, path: obj.path, chain: obj.chain, symbols: names });
}

// ---- static TLS ----

// obj: the object holding the block; a: its analysis (its own, or its file's for a loaded one).
function tlsFields(obj, a, budget, extra) {
  return { library: obj.name, path: obj.path, chain: obj.chain, tlsSize: a.tls.size,
    tlsAlign: a.tls.align, remaining: budget ? budget.free : 0, tlsSymbols: largestTls(a), ...extra };
}

function staticTlsAlignment(obj, analysis, budget, t) {
  const a = analysis.tls;
  return problem('STATIC_TLS_EXHAUSTED', 'error', `${obj.name}${inChain(obj)}: initial-exec TLS aligned to ${a.align} ` +
    `bytes, stricter than the static TLS block's ${budget.align}: glibc refuses it whatever its size, and no tunable ` +
    `changes that: "cannot allocate memory in static TLS block"${symbolsText(largestTls(analysis))}`,
  `${REBUILD}; or LD_PRELOAD=${obj.path}`, tlsFields(obj, analysis, budget, { staticAlign: budget.align, remaining: 0 }));
}

function staticTlsExhausted(obj, analysis, budget, t, closure) {
  const a = analysis.tls;
  const where = t.kind === 'host' ? 'this process has'
    : `a fresh process on ${t.name} has${budget.exact ? '' : ' about'}`;
  const tunable = closure.tunable ? `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=${closure.tunable}` : null;
  const fixes = [REBUILD.replace('rebuild', `rebuild ${obj.name}`), `or LD_PRELOAD=${obj.path} (a start-up slot)`];
  if (tunable) fixes.push(`or run with ${tunable}${closure.tunableRisk ? ` (${closure.tunableRisk})` : ''}`);
  return problem('STATIC_TLS_EXHAUSTED', 'error', `${obj.name}${inChain(obj)}: initial-exec TLS of ${a.size} bytes; ` +
    `${where} ${budget.free} bytes of static TLS left${closure.needed > a.size ? ` (this load needs ${closure.needed} in all)` : ''}: ` +
    `"cannot allocate memory in static TLS block"${symbolsText(largestTls(analysis))}`, fixes.join('; '),
  tlsFields(obj, analysis, budget, { needed: closure.needed, ...(tunable ? { tunable } : {}),
    ...(closure.tunableRisk ? { tunableRisk: closure.tunableRisk } : {}) }));
}

function staticTlsForcedDynamic(obj, budget, t) {
  return problem('STATIC_TLS_EXHAUSTED', 'error', `${obj.name}${inChain(obj)}: an initial-exec reference to its TLS, ` +
    'which a thread of this process already reached as dynamic TLS: glibc cannot move it into the static block now: ' +
    `"cannot allocate memory in static TLS block"`, `${REBUILD.replace('rebuild', 'rebuild the library that refers to it')}; ` +
    `or LD_PRELOAD=${obj.path} (a start-up slot)`, { library: obj.name, path: obj.path, chain: obj.chain,
    remaining: budget ? budget.free : 0 });
}

function staticTlsLow(obj, analysis, before, after) {
  return problem('STATIC_TLS_LOW', 'warning', `${obj.name}${inChain(obj)}: initial-exec TLS of ${analysis.tls.size} ` +
    `bytes fits the ${before} bytes left, leaving ${after}: another initial-exec module loaded later may not fit` +
    `${symbolsText(largestTls(analysis))}`, REBUILD, tlsFields(obj, analysis, null, { remaining: before, after }));
}

function muslInitialExec(obj, definer, symbol, analysis) {
  const a = analysis || definer.analysis;
  const size = a && a.tls ? a.tls.size : 0;
  return problem('MUSL_INITIAL_EXEC', 'error', `${obj.name}${inChain(obj)}: initial-exec TLS (${symbol ? `${symbol}, ` : ''}` +
    `${size} bytes in ${definer.name}): ${MUSL_IE}: "initial-exec TLS resolves to dynamic definition in ${definer.name}"` +
    `${a ? symbolsText(largestTls(a)) : ''}`,
  `${REBUILD.replace('rebuild', `rebuild ${definer.name}`)}; or load it at start-up (LD_PRELOAD, or link it into the executable)`,
  { library: definer.name, path: definer.path, chain: definer.chain, relocating: obj.name, symbol: symbol || null,
    tlsSize: size, tlsSymbols: a ? largestTls(a) : [] });
}

// ---- packages ----

const flagsOf = (label) => {
  const [os, cpu, libc] = label.split('-');
  return `--os=${os} --cpu=${cpu}${libc ? ` --libc=${libc}` : ''}`;
};

// NO_BINARY: a package that needs a native binary has none for the target.
// info: packages/needs.js missingBinary(); onHost: the target is this machine.
function noBinary(info, targetName, onHost) {
  const who = `${info.name}${info.version ? `@${info.version}` : ''}`;
  const covers = info.covers.length ? info.covers.join(', ') : 'no platform';
  const message = `${who} needs a native binary (${info.needs.join('; ')}) and has none for ${info.target} ` +
    `(${targetName}): ${info.missing}; that target needs ${info.wants.join(' and ')}; its installed binaries cover ${covers}` +
    `${info.fallback ? '; its main file falls back to JavaScript when the addon does not load (slower, same API)' : ''}`;
  let fix;
  if (onHost && (info.installScript || info.needs.includes('a binding.gyp'))) {
    const script = info.installScript || 'install: node-gyp rebuild (npm runs it for a binding.gyp)';
    fix = `its install script (${script}) did not run or did not finish: allow it and run it again: npm install-scripts ` +
      `approve ${info.name} (npm 11.19+; or allowScripts in package.json; pnpm: onlyBuiltDependencies; bun: ` +
      `trustedDependencies), then npm rebuild ${info.name} and read its output. Side effects: runs the package's own ` +
      'install code, which may download a prebuilt binary or compile one (python3, make and a C/C++ compiler)';
  } else if (info.wantsPackages.length) {
    fix = `install the dependencies on the target, not copied from another machine: npm ci inside the target image ` +
      `(in the Dockerfile); or npm install ${flagsOf(info.target)} to fetch ${info.wantsPackages.join(', ')} from here; ` +
      'pnpm and yarn: list that platform in supportedArchitectures (os, cpu, libc). Side effects: --os/--cpu/--libc ' +
      "install that platform's packages instead of this machine's; a lockfile written on one platform may lack the " +
      "others' optional packages (npm/cli#4828): regenerate it if npm ci still skips them";
  } else {
    fix = `this version of ${info.name} ships no binary for ${info.target}: build it in the target image (npm rebuild ` +
      `${info.name} --build-from-source, with python3, make and a C/C++ compiler; Alpine: apk add python3 make g++), or ` +
      'pick a version that ships one. Side effects: a compiler toolchain in the build image (a multi-stage build keeps it ' +
      'out of the final one) and a longer build';
  }
  return problem('NO_BINARY', info.fallback ? 'warning' : 'error', message, fix, {
    package: info.name, version: info.version, platform: info.target, needs: info.needs, wants: info.wants,
    covers: info.covers, convention: info.convention, fallback: info.fallback });
}

// A package whose main file falls back to JavaScript when its addon does not
// load (bufferutil, utf-8-validate): the addon's errors become warnings, since
// require() of the package still succeeds, slower.
function withJsFallback(problems, name) {
  return problems.map((p) => (p.severity === 'error' ? { ...p, severity: 'warning', fallback: true,
    message: `${p.message} (${name} falls back to its JavaScript implementation when the addon does not load: it works, slower)` } : p));
}

module.exports = {
  noBinary, withJsFallback,
  CODES, problem, chainOf, nodeSymbolsMissing, unresolvedLibrary, isExecutable, notElf, archProblems, libcProblems,
  interpreterProblems, nodeCannotStart, glibcOnMusl, libcMismatchBySymbols, napiProblems, abiProblems, missingLibrary,
  refusedLibrary, unreadableLibrary, notDlopenable, preloadRequired, execStack, notRegistered, loaderLimit, searchLimit,
  versionMissing,
  glibcxxTooOld, undefinedSymbols,
  staticTlsAlignment, staticTlsExhausted, staticTlsForcedDynamic, staticTlsLow, muslInitialExec, largestTls, REBUILD,
};
