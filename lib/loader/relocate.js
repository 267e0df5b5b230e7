'use strict';
// Relocation, as far as it can fail: static TLS for initial-exec (and,
// opportunistically, TLS descriptor) accesses, and binding every undefined
// symbol.  glibc relocates dependencies first (the reverse of
// _dl_sort_maps_dfs over the search list); musl relocates in load order.
const ST = require('./static-tls');
const P = require('./problems');
const { defines, targetDefines } = require('./symbols');
const { scopeDefines } = require('../process/host');
const io = require('./io');
const SYS = require('./system-symbols');
const { entryPoints, ownDefinitions, importHashes } = require('../file/analyze');

// ---- who defines a symbol ----

// An object's analysis: its own, or, for an object already in this process,
// its file's, read once per link-map generation (kept in the host facts).
function* analysisOf(state, obj) {
  const known = knownAnalysis(state, obj);
  if (known !== undefined) return known;
  const cache = state.facts && state.facts.analyses;
  let a = null;
  try { a = yield* io.analyze(obj.path); } catch (_) { /* judged as far as it can be */ }
  if (cache) cache.set(obj.path, a);
  return a;
}

// The same when it needs no reading (undefined when it does): callers in hot
// loops ask this first, without making a generator.
function knownAnalysis(state, obj) {
  if (obj.analysis) return obj.analysis;
  if (!obj.path || obj.status !== 'loaded') return null;
  const cache = state.facts && state.facts.analyses;
  return cache && cache.has(obj.path) ? cache.get(obj.path) : undefined;
}

// The object whose exports define imp, among `objects` in order, as
// { obj, a } (its analysis), or null.
function* firstDefiner(state, objects, imp, needTls) {
  for (const o of objects) {
    if (needTls && !(o.analysis ? o.analysis.tls : o.module && o.module.tls)) continue;
    const known = knownAnalysis(state, o);
    const a = known !== undefined ? known : yield* analysisOf(state, o);
    if (a && defines(o.analysis ? o : hostView(state, o, a), imp)) return { obj: o, a };
  }
  return null;
}

// A host object seen through its file's analysis, for symbol lookups (kept per
// generation, so its definition set is built once).
function hostView(state, o, a) {
  const memo = state.facts ? state.facts.memo : new Map();
  const key = `view:${o.path}`;
  if (!memo.has(key)) memo.set(key, { analysis: a });
  return memo.get(key);
}

// Where a thread-local an object refers to lives: this load's objects first,
// then everything else in the process that has TLS (the loader's scope for
// a TLS symbol includes the global scope).  Objects an earlier load of this
// state added are not in it: Node opens addons RTLD_LOCAL, so only a load
// whose own search list holds them sees their symbols.
const globalObjects = (state) => state.base.objects;

function* tlsDefiner(state, list, imp) {
  const fresh = list.filter((o) => o.status === 'new');
  const found = yield* firstDefiner(state, fresh, imp, true);
  if (found) return found;
  const others = [...list.filter((o) => o.status === 'loaded' || o.status === 'system'), ...globalObjects(state).filter((o) => !list.includes(o))];
  return yield* firstDefiner(state, others, imp, true);
}

// glibc's depth-first sort (elf/dl-sort-maps.c): each object after everything
// that depends on it, the first object forced to the front; relocation runs
// this list backwards.
function glibcRelocationOrder(list) {
  const inList = new Set(list);
  const visited = new Set();
  const rpo = new Array(list.length);
  let head = list.length;
  const dfs = (m) => {
    visited.add(m);
    for (const d of m.deps) if (inList.has(d) && !visited.has(d) && !d.main) dfs(d);
    rpo[--head] = m;
  };
  for (let i = list.length - 1; i >= 0 && head > 0; i--) if (!visited.has(list[i])) dfs(list[i]);
  const sorted = rpo.slice(head);
  const first = sorted.indexOf(list[0]);
  if (first > 0) sorted.unshift(...sorted.splice(first, 1));
  return sorted.reverse();
}

function relocationOrder(state, list) {
  const order = state.family === 'glibc' ? glibcRelocationOrder(list) : list;
  return order.filter((o) => o.status === 'new' && o.analysis);
}

const ownIe = (a) => Boolean(a.tls) && (a.tlsRelocations.tpoffOwn !== undefined ? a.tlsRelocations.tpoffOwn : a.tlsRelocations.tpoff) > 0;
const ownDesc = (a) => Boolean(a.tls) && (a.tlsRelocations.tlsdescOwn !== undefined ? a.tlsRelocations.tlsdescOwn : a.tlsRelocations.tlsdesc) > 0;

// The definers of every thread-local the load refers to through initial-exec
// or descriptor relocations: Map import -> object (or null).
function* tlsDefiners(state, order, list) {
  const out = new Map();
  for (const obj of order) {
    for (const imp of obj.analysis.imports || []) {
      if ((imp.initialExec || imp.tlsdesc) && !out.has(imp)) out.set(imp, yield* tlsDefiner(state, list, imp));
    }
  }
  return out;
}

function blockOf(obj, a, optional) {
  const t = a.tls;
  return { size: t.size, align: t.align, fbo: t.vaddr ? t.vaddr % Math.max(1, t.align) : 0, optional, obj, a };
}

// Whether a block is already in the static area: placed by this load or an
// earlier one of the same state, or (an object of the host) placed there.
const isStatic = (state, def) => def.placed || state.hostPlaced.has(def);
// A host object whose TLS a thread already reached dynamically: glibc marks
// it forced-dynamic and refuses to move it into the static block later.
const forcedDynamic = (def) => Boolean(def.module && def.module.tls && def.module.tls.placement === 'dynamic');

// glibc: places blocks in relocation order.  The first non-optional block
// that does not fit stops the load, as does an object whose symbols fail
// (`stops`: objects at which relocation fails for another reason).
// -> { after, blocks, failed, placed }
function glibcTls(state, order, definers, stops) {
  let budget = state.budget;
  const blocks = [];
  const placed = [];
  let failed = null;
  // entry: { obj, a } (an object and its analysis)
  const take = (entry, optional) => {
    if (!entry || !entry.a || !entry.a.tls) return;
    const def = entry.obj;
    if (isStatic(state, def) || blocks.some((blk) => blk.obj === def && !blk.optional)) return;
    const blk = blockOf(def, entry.a, optional);
    blocks.push(blk);
    if (failed) return;
    if (!optional && forcedDynamic(def)) {
      failed = { obj: def, a: entry.a, why: 'dynamic', before: budget };
      return;
    }
    const r = ST.place(budget, blk, optional);
    if (r.ok) {
      budget = r.after;
      if (def.status === 'new') def.placed = true; else state.hostPlaced.add(def);
      blk.use = r.use;
      placed.push(blk);
    } else if (!optional) {
      failed = { obj: def, a: entry.a, why: r.why, before: budget };
    }
  };
  for (const obj of order) {
    const a = obj.analysis;
    if (ownIe(a)) take({ obj, a }, false);
    for (const imp of a.imports || []) if (imp.initialExec) take(definers.get(imp), false);
    if (ownDesc(a)) take({ obj, a }, true);
    for (const imp of a.imports || []) if (imp.tlsdesc) take(definers.get(imp), true);
    if (!failed && stops.has(obj)) failed = { obj, a, why: 'symbols', before: budget };
  }
  return { after: budget, blocks, failed, placed };
}

// What a failed dlopen leaves: glibc closes the new objects and takes back the
// static TLS at the end of the used area, from the first block's start
// (elf/dl-close.c), so on variant II the first block's alignment padding stays
// used; the optional part descriptors took is never given back.
function rollback(before, placed) {
  if (!placed.length) return before;
  const optionalUse = placed.filter((b) => b.optional).reduce((n, b) => n + b.use, 0);
  const leak = before.variant === 1 ? 0 : placed[0].use - placed[0].size;
  return { ...before, free: before.free - leak, used: before.used + leak,
    optional: Math.max(0, Math.min(before.optional - optionalUse, before.free - leak)) };
}

// Bytes the load's initial-exec blocks take, padding included, from an unlimited area.
function neededBytes(budget, blocks) {
  let b = { ...budget, free: 2 ** 40, size: budget.size ? budget.size + 2 ** 40 : 0, optional: 0, align: 0 };
  let need = 0;
  for (const blk of blocks) {
    if (blk.optional) continue;
    const r = ST.place(b, blk);
    b = r.after;
    need += r.use;
  }
  return need;
}

// Static TLS for the load.  `blocked`: the load already failed before
// relocation (a missing library, a missing version), so nothing is placed;
// `stops`: objects whose relocation fails on a symbol.
// -> { before, after, needed, budget, failed }
function staticTlsProblems(state, order, definers, step, { blocked = false, stops = new Set() } = {}) {
  const t = state.target;
  if (state.family === 'musl') return muslTls(state, order, definers, step);
  if (!state.budget) return null;
  const before = state.budget;
  const r = glibcTls(state, order, definers, stops);
  // a load that fits needs what its blocks took where they landed; one that does
  // not, what they would take from an area as large as needed (the tunable's measure)
  const needed = r.failed ? neededBytes(before, r.blocks)
    : r.placed.filter((blk) => !blk.optional).reduce((n, blk) => n + blk.use, 0);
  if (r.failed && r.failed.why === 'dynamic') {
    step.problems.push(P.staticTlsForcedDynamic(r.failed.obj, r.failed.before, t));
  } else if (r.failed && r.failed.why === 'alignment') {
    step.problems.push(P.staticTlsAlignment(r.failed.obj, r.failed.a, r.failed.before, t));
  } else if (r.failed && r.failed.why === 'room') {
    const tunable = ST.tunableFor(r.blocks.map(({ size, align, fbo, optional }) => ({ size, align, fbo, optional })), before);
    const risk = tunable === null ? null : require('./tunables').tunableRisk(tunable, before, t);
    step.problems.push(P.staticTlsExhausted(r.failed.obj, r.failed.a, r.failed.before, t,
      { needed, tunable: risk && risk.refuse ? null : tunable, tunableRisk: risk ? risk.text : null }));
  } else if (!r.failed && needed > 0 && (needed * 2 > before.free || r.after.free < 256)) {
    const biggest = r.blocks.filter((b) => !b.optional).sort((x, y) => y.size - x.size)[0];
    step.problems.push(P.staticTlsLow(biggest.obj, biggest.a, before.free, r.after.free));
  }
  if (blocked) {
    for (const blk of r.placed) {
      blk.obj.placed = false;
      state.hostPlaced.delete(blk.obj);
    }
    return { before: before.free, after: before.free, needed, budget: before, failed: true, released: before };
  }
  const budget = r.failed ? rollback(before, r.placed) : r.after;
  // released: what is left if the load is closed again right after (Node
  // dlcloses an addon that does not register itself)
  return { before: before.free, after: budget.free, needed, budget, failed: Boolean(r.failed),
    released: r.failed ? budget : rollback(before, r.placed) };
}

// musl: an initial-exec reference to a block of an object loaded by dlopen
// fails, whatever its size (the first one stops the load).  Only objects of
// the start-up set (static TLS in the host) can be referred to that way.
function muslTls(state, order, definers, step) {
  const startup = (def) => Boolean(def.module && def.module.tls && def.module.tls.placement === 'static');
  let needed = 0;
  for (const obj of order) {
    const a = obj.analysis;
    if (ownIe(a)) {
      needed += a.tls.size;
      step.problems.push(P.muslInitialExec(obj, obj, null));
      break;
    }
    const imp = (a.imports || []).find((i) => i.initialExec && definers.get(i) && !startup(definers.get(i).obj));
    if (imp) {
      const def = definers.get(imp);
      needed += def.a && def.a.tls ? def.a.tls.size : 0;
      step.problems.push(P.muslInitialExec(obj, def.obj, imp.name, def.a));
      break;
    }
  }
  return { before: 0, after: 0, needed, budget: null, failed: needed > 0 };
}

// ---- symbols ----

const refs = (i) => i.plt + i.got + i.other;
const isNapi = (a) => entryPoints(a).some((e) => /^napi_register_module_v\d+(@|$)/.test(e));

// Lazily bindable under RTLD_LAZY, unless the object asks for DF_BIND_NOW:
// glibc binds PLT slots on first call; musl defers PLT and GOT slots it
// cannot resolve (and crashes if they are used before something defines them).
function isLazy(state, obj, imp) {
  if (!state.lazy || imp.other > 0 || (obj.analysis.flags && obj.analysis.flags.bindNow)) return false;
  return state.family === 'musl' || imp.got === 0;
}

// Whether a target we cannot see defines imp in its global scope (its Node
// and the libraries Node runs with: libc, libstdc++, libgcc_s), from the
// tables made from the real binaries.  -> true, null (cannot tell), or
// { defined: false, since?, nodeReleases? }.
function systemDefines(t, imp) {
  const d = targetDefines(t, imp);
  if (d === true || (d && d.defined === false)) return d;
  if (t.runtime === 'electron') return null; // Electron's exports are another set (BoringSSL...)
  const kinds = t.libc === 'musl' ? ['node', 'libstdcxx', 'libgcc'] : ['glibc', 'node', 'libstdcxx', 'libgcc'];
  let node = null;
  for (const kind of kinds) {
    // on musl only the names of these sets count (a glibc-versioned name was judged above)
    const r = SYS.exports(kind, t, t.libc === 'musl' ? { name: imp.name } : imp);
    if (!r) return null;
    if (r.exported) return true;
    if (kind === 'node') node = r;
  }
  return { defined: false, nodeReleases: node && node.known ? node.elsewhere : [], nodeRelease: node && node.release };
}

// Whether glibc would define imp: its version is glibc's, or its library one
// of those musl stands in for, or glibc's table has the name.
const GLIBC_NAMES = /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libutil\.so\.1|libresolv\.so\.2)$/;
function glibcOwn(t, imp) {
  if ((imp.version && /^GLIBC_/.test(imp.version)) || (imp.from && GLIBC_NAMES.test(imp.from))) return true;
  const r = SYS.exports('glibc', { ...t, libc: 'glibc', glibc: null }, { name: imp.name });
  return Boolean(r && r.exported);
}

// What the target's Node defines, for a target whose system libraries are
// real files: true, null (cannot tell), or { defined: false, nodeReleases, nodeRelease }.
function nodeDefines(t, imp) {
  if (/^(napi|node_api)_/.test(imp.name)) {
    const d = targetDefines({ ...t, libc: null }, imp);
    return d === null ? null : d === true ? true : { defined: false, nodeReleases: [] };
  }
  if (t.runtime !== 'node') return null;
  const r = SYS.exports('node', t, { name: imp.name });
  if (!r || !r.known) return null;
  return r.exported ? true : { defined: false, nodeReleases: r.elsewhere, nodeRelease: r.release };
}

// The imports of an object that need a definition (referenced, not weak) and
// that none of the load's own objects define.  Loops, not callbacks: this
// runs for every import of every file judged.
// out.hashes: their names' hashes (importHashes), or null when the analysis has none.
function unbound(a, own) {
  const out = [];
  const imports = a.imports || [];
  const mine = ownDefinitions(a);
  const hash = importHashes(a);
  const hashes = hash ? [] : null;
  for (let i = 0; i < imports.length; i++) {
    const imp = imports[i];
    if (refs(imp) === 0 || imp.weak) continue;
    let found = false;
    for (let k = 0; k < own.length && !found; k++) {
      found = own[k].analysis === a && mine && mine[i] !== 0 ? mine[i] === 2 : defines(own[k], imp);
    }
    if (!found) {
      out.push(imp);
      if (hashes) hashes.push(hash[i]);
    }
  }
  out.hashes = hashes;
  return out;
}

// Binds every referenced import against the load's own objects, the global
// scope (on the host: the loader itself, for all but thread-locals, which
// dlsym would allocate), then the other objects of the search list; returns
// the objects whose relocation fails.
function* bindSymbols(state, order, list, step) {
  const t = state.target;
  const stops = new Set();
  const fresh = list.filter((o) => o.analysis && o.status === 'new');
  const rest = list.filter((o) => o.status === 'loaded' || o.status === 'system');
  // a library that neither travels with the package nor is known to the tables may define anything
  const unseen = list.some((o) => o.status === 'unresolved');
  for (const obj of order) {
    let pending = unbound(obj.analysis, fresh);
    if (state.facts && pending.length) {
      // what the global scope defines is bound there (thread-locals are looked up below)
      const plain = [];
      const hashes = pending.hashes ? [] : null;
      for (let k = 0; k < pending.length; k++) {
        if (pending[k].type === 'tls') continue;
        plain.push(pending[k]);
        if (hashes) hashes.push(pending.hashes[k]);
      }
      const found = scopeDefines(state.facts, plain, hashes);
      const left = [];
      for (let k = 0, j = 0; k < pending.length; k++) {
        if (pending[k].type === 'tls' || found[j++] === false) left.push(pending[k]);
      }
      pending = left;
    }
    const missing = [];
    for (const imp of pending) {
      if (yield* firstDefiner(state, rest, imp, imp.type === 'tls')) continue;
      if (state.facts) {
        if (imp.type === 'tls' && (yield* firstDefiner(state, globalObjects(state), imp, true))) continue;
        missing.push(imp);
      } else if (state.target.kind === 'sysroot') {
        // the tree's real libraries (the start-up set and earlier loads), then Node's own exports from the tables
        if (yield* firstDefiner(state, state.objects.filter((o) => o.analysis && !list.includes(o)), imp, imp.type === 'tls')) continue;
        const d = nodeDefines(t, imp);
        if (d && d.defined === false) missing.push({ ...imp, nodeReleases: d.nodeReleases, nodeRelease: d.nodeRelease });
      } else if (!unseen) {
        const d = systemDefines(t, imp);
        if (d && d.defined === false) {
          missing.push({ ...imp, since: d.since || null, nodeReleases: d.nodeReleases || [], nodeRelease: d.nodeRelease || null });
        }
      }
    }
    // a non-Node-API addon whose missing symbols other Node releases export was built for another Node
    const abi = missing.filter((i) => i.nodeReleases && i.nodeReleases.length);
    if (abi.length && !isNapi(obj.analysis)) {
      if (!step.problems.some((p) => p.code === 'NODE_ABI_MISMATCH')) {
        step.problems.push(P.nodeSymbolsMissing(obj, abi, t, abi[0].nodeRelease));
      }
      stops.add(obj);
      missing.splice(0, missing.length, ...missing.filter((i) => !abi.includes(i)));
    }
    // a glibc build on musl: what glibc would have defined is said by LIBC_MISMATCH (model.js)
    if (state.family === 'musl' && obj.analysis.libc === 'glibc') {
      const mine = missing.filter((i) => glibcOwn(t, i));
      obj.libcSymbols = { now: mine.filter((i) => !isLazy(state, obj, i)), lazy: mine.filter((i) => isLazy(state, obj, i)) };
      if (obj.libcSymbols.now.length) stops.add(obj);
      missing.splice(0, missing.length, ...missing.filter((i) => !mine.includes(i)));
    }
    const now = missing.filter((i) => !isLazy(state, obj, i));
    const lazy = missing.filter((i) => isLazy(state, obj, i));
    if (now.length) {
      step.problems.push(P.undefinedSymbols(obj, now, 'error', t));
      stops.add(obj);
    }
    if (lazy.length) step.problems.push(P.undefinedSymbols(obj, lazy, 'warning', t));
  }
  return stops;
}

// Relocation of the load, as far as it can fail.  `blocked`: mapping or
// version checks already failed.  -> the static TLS summary (or null).
function* relocate(state, list, step, { blocked }) {
  const order = relocationOrder(state, list);
  // with a library missing, what it would define is unknown: no symbol is judged
  const missing = list.some((o) => o.status === 'missing' || o.status === 'refused');
  const stops = missing ? new Set() : yield* bindSymbols(state, order, list, step);
  const definers = yield* tlsDefiners(state, order, list);
  return staticTlsProblems(state, order, definers, step, { blocked, stops });
}

module.exports = { relocate, relocationOrder, glibcRelocationOrder, analysisOf, knownAnalysis };
