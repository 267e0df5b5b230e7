'use strict';
// The problems check() looks for, one function per kind, each returning
// [{ code, severity, message, fix }].  Codes are the public contract.
const fs = require('fs');
const path = require('path');
const { analyze } = require('../file/analyze');
const { resolveTarget } = require('./targets');
const { MACHINE_NUMBER } = require('../platform');
const host = require('../process/host');
const { findLibrary } = require('./resolve');
const { predictLoad, tunableFor, overAligned, MUSL_IE } = require('./static-tls');

// The static TLS area's alignment in any process on these glibc architectures:
// struct pthread's own (TCB_ALIGNMENT), unless a start-up module asks for more.
const STATIC_ALIGN = { x86_64: 64, i386: 64 };
const { tiError } = require('../errors');

const GLIBC_DEFAULT_SURPLUS = 1664; // 288 * 4 + 512, glibc's default since 2.32 (a fixed 1664 before)

function cmpVersion(a, b) {
  const x = String(a).split('.').map(Number);
  const y = String(b).split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
  }
  return 0;
}

function problem(code, severity, message, fix, extra) {
  return { code, severity, message, fix, ...extra };
}

// Everything about the target that does not depend on the file, computed once per check/scan.
function createContext(targetName = 'host') {
  const target = resolveTarget(targetName);
  const ctx = { target, analyses: new Map(), cache: {} };
  if (target.kind === 'host') {
    const api = host;
    const lc = api.libc();
    target.libc = lc.family;
    if (lc.family === 'glibc') target.glibc = lc.version;
    if (lc.family === 'musl') target.musl = lc.version;
    target.napi = Number(process.versions.napi);
    ctx.staticTls = api.staticTls();
    ctx.loadedNames = new Set(api.modules().map((m) => path.basename(m.path)));
  } else if (target.libc === 'glibc') {
    ctx.staticTls = { libc: 'glibc', remaining: GLIBC_DEFAULT_SURPLUS, tunables: { nns: 4, optionalStaticTls: 512 },
      align: STATIC_ALIGN[target.arch] || 0, defaults: true };
  }
  return ctx;
}

async function analyzeCached(ctx, file) {
  if (!ctx.analyses.has(file)) ctx.analyses.set(file, analyze(file));
  return ctx.analyses.get(file);
}

function isExecutable(a) {
  return Boolean(a.interpreter) || a.type === 'EXEC';
}

function archProblems(a, t) {
  if (a.machine === t.arch && a.class === t.class) return [];
  return [problem('ARCH_MISMATCH', 'error', `built for ${a.machine} (ELF${a.class}); the target is ${t.arch} ` +
    `(ELF${t.class})`, `install or build the ${t.arch} binary (prebuilds/linux-${process.arch}/)`)];
}

function libcProblems(a, t) {
  if (!['glibc', 'musl'].includes(a.libc) || !['glibc', 'musl'].includes(t.libc) || a.libc === t.libc) return [];
  const evidence = a.libc === 'glibc'
    ? `${a.interpreter ? `interpreter ${a.interpreter}, ` : ''}needs ${a.needed.filter((n) => /^libc\.so\.6$|^ld-linux/.test(n)).join(', ') || 'glibc'}` +
      `${a.minGlibc ? ` and GLIBC_${a.minGlibc}` : ''}`
    : `linked against musl (${a.interpreter || a.needed.find((n) => /musl|^libc\.so$/.test(n))})`;
  return [problem('LIBC_MISMATCH', 'error', `a ${a.libc} build on a ${t.libc} target: ${evidence}`,
    t.libc === 'musl' ? 'install the musl build (prebuilds/linux-x64/*.musl.node), or build from source on the musl system'
      : 'install the glibc build, or build from source on the glibc system')];
}

function newestSymbols(a, prefix, above) {
  return Object.entries(a.symbolVersions)
    .filter(([v]) => v.startsWith(prefix) && cmpVersion(v.slice(prefix.length), above) > 0)
    .sort(([x], [y]) => cmpVersion(y.slice(prefix.length), x.slice(prefix.length)))
    .flatMap(([v, syms]) => syms.map((s) => `${s}@${v}`)).slice(0, 8);
}

function versionProblems(a, t, ctx) {
  const out = [];
  if (a.minGlibc && t.libc === 'glibc' && t.glibc && cmpVersion(a.minGlibc, t.glibc) > 0) {
    const syms = newestSymbols(a, 'GLIBC_', t.glibc);
    out.push(problem('GLIBC_TOO_OLD', 'error', `needs GLIBC_${a.minGlibc}; the target has glibc ${t.glibc}` +
      `${syms.length ? ` (newest: ${syms.join(', ')})` : ''}`,
    `build on (or for) glibc ${t.glibc} or older, e.g. in a manylinux/RHEL ${t.glibc <= '2.28' ? '8' : '9'} container`, { symbols: syms }));
  }
  const glibcxx = t.glibcxx || (t.kind === 'host' && a.minGlibcxx ? hostGlibcxx(ctx) : null);
  if (a.minGlibcxx && glibcxx && cmpVersion(a.minGlibcxx, glibcxx) > 0) {
    const syms = newestSymbols(a, 'GLIBCXX_', glibcxx);
    out.push(problem('GLIBCXX_TOO_OLD', 'error', `needs GLIBCXX_${a.minGlibcxx}; the target's libstdc++ offers ` +
      `${glibcxx}${syms.length ? ` (newest: ${syms.join(', ')})` : ''}`,
    'build with an older GCC, or link libstdc++ statically (-static-libstdc++)', { symbols: syms }));
  }
  return out;
}

function hostGlibcxx(ctx) {
  if (ctx.cache.glibcxx !== undefined) return ctx.cache.glibcxx;
  const fake = { path: '/', rpath: [], runpath: [], machine: ctx.target.arch, class: ctx.target.class,
    machineNumber: MACHINE_NUMBER[ctx.target.arch] };
  const file = findLibrary('libstdc++.so.6', fake, { family: ctx.target.libc });
  let best = null;
  if (file && file !== 'loaded') {
    for (const v of require('../file/analyze').analyzeSync(file).versionDefs) {
      if (v.startsWith('GLIBCXX_') && (!best || cmpVersion(v.slice(8), best) > 0)) best = v.slice(8);
    }
  }
  ctx.cache.glibcxx = best;
  return best;
}

function tlsProblems(a, t, ctx, file) {
  if (isExecutable(a) || !a.tls || a.tlsRelocations.tpoff === 0) return [];
  const size = a.tls.size;
  const culprit = a.tlsSymbols.filter((s) => s.defined).slice(0, 3)
    .map((s) => `${s.demangled ? `${s.demangled} [${s.name}]` : s.name} (${s.size} bytes)`);
  const who = culprit.length ? `; largest TLS symbols: ${culprit.join(', ')}` : '';
  const rebuild = 'rebuild without initial-exec TLS (-ftls-model=global-dynamic; jemalloc ' +
    '--disable-initial-exec-tls; Rust: mimalloc feature local_dynamic_tls, jemallocator ' +
    'disable_initial_exec_tls)';
  if (t.libc === 'musl') {
    return [problem('MUSL_INITIAL_EXEC', 'error', `${a.tlsRelocations.tpoff} initial-exec TLS relocations ` +
      `(${size} bytes of TLS): ${MUSL_IE}${who}`, `${rebuild}; or load it at start-up (LD_PRELOAD, or link ` +
      'it into the executable)', { tlsSize: size })];
  }
  if (t.libc !== 'glibc' || !ctx.staticTls) return [];
  const st = ctx.staticTls;
  const where = t.kind === 'host' ? 'this process has' : `a fresh process on ${t.name} has about`;
  const p = predictLoad({ libc: 'glibc', initialExec: true, size, align: a.tls.align, staticTls: st });
  if (!p.loaded && overAligned(st, a.tls.align)) {
    return [problem('STATIC_TLS_EXHAUSTED', 'error', `${p.reason}: "cannot allocate memory in static TLS ` +
      `block"${who}`, `${rebuild}; or LD_PRELOAD=${file}`,
    { tlsSize: size, tlsAlign: a.tls.align, staticAlign: st.align, remaining: 0 })];
  }
  if (!p.loaded) {
    const tunable = `GLIBC_TUNABLES=${tunableFor(size, st, a.tls.align)}`;
    return [problem('STATIC_TLS_EXHAUSTED', 'error', `initial-exec TLS of ${size} bytes; ${where} ` +
      `${st.remaining} bytes of static TLS left: "cannot allocate memory in static TLS block"${who}`,
    `${rebuild}; or run with ${tunable}; or LD_PRELOAD=${file}`, { tlsSize: size, remaining: st.remaining, tunable })];
  }
  if (size * 2 > st.remaining || st.remaining - size < 256) {
    return [problem('STATIC_TLS_LOW', 'warning', `initial-exec TLS of ${size} bytes fits the ${st.remaining} ` +
      `bytes left, leaving ${st.remaining - size}: another initial-exec module loaded later may not fit${who}`,
    rebuild, { tlsSize: size, remaining: st.remaining })];
  }
  return [];
}

function interpreterProblems(a, t) {
  if (!a.interpreter) return [];
  const musl = /ld-musl-/.test(a.interpreter);
  const missing = t.kind === 'host' ? !fs.existsSync(a.interpreter)
    : (t.libc === 'musl' && !musl) || (t.libc === 'glibc' && musl);
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
  return out;
}

function analyzeDependency(ctx, file) {
  if (!ctx.dependencies) ctx.dependencies = new Map();
  if (!ctx.dependencies.has(file)) {
    let a = null;
    try {
      a = require('../file/analyze').analyzeSync(file);
    } catch (_) { /* an unreadable dependency is the loader's problem to report, not ours to guess */ }
    ctx.dependencies.set(file, a);
  }
  return ctx.dependencies.get(file);
}

// Walks DT_NEEDED the way the host loader would, transitively.  Synchronous:
// dependencies are few, cached per context, and register() needs a sync answer.
function libraryProblems(a, t, ctx, file) {
  if (t.kind !== 'host' || !['glibc', 'musl'].includes(t.libc)) return [];
  const out = [];
  const seen = new Set();
  const conf = () => ctx.cache.conf || (ctx.cache.conf = require('./resolve').ldSoConfDirs());
  const queue = [{ analysis: a, real: fs.realpathSync(file), by: path.basename(file), depth: 0 }];
  while (queue.length && seen.size < 512) {
    const { analysis, real, by, depth } = queue.shift();
    for (const name of analysis.needed) {
      if (seen.has(name)) continue;
      seen.add(name);
      const found = findLibrary(name, analysis, { family: t.libc, loadedNames: ctx.loadedNames,
        context: { realPath: real, cacheDirs: conf } });
      if (!found) {
        out.push(problem('MISSING_LIBRARY', 'error', `${name} (needed by ${by}) is not found by the ${t.libc} loader`,
          `install the package that provides ${name}, or ship it beside the addon with RUNPATH $ORIGIN`, { library: name, neededBy: by }));
      } else if (found !== 'loaded' && depth < 16) {
        const dep = analyzeDependency(ctx, found);
        if (dep) queue.push({ analysis: dep, real: fs.realpathSync(found), by: name, depth: depth + 1 });
      }
    }
  }
  return out;
}

module.exports = { createContext, analyzeCached, problem, cmpVersion, isExecutable, archProblems, libcProblems,
  versionProblems, tlsProblems, interpreterProblems, napiProblems, libraryProblems, GLIBC_DEFAULT_SURPLUS };
