'use strict';
// Relocation, as far as it can fail: static TLS for initial-exec (and,
// opportunistically, TLS descriptor) accesses, and binding every undefined
// symbol.  glibc relocates dependencies first (the reverse of
// _dl_sort_maps_dfs over the search list); musl relocates in load order.
const ST = require('./static-tls');
const P = require('./problems');
const { defines, targetDefines } = require('./symbols');
const { scopeDefines } = require('../process/host');

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

// The object of this load that defines a thread-local the import names.
function tlsDefiner(list, imp) {
  return list.find((o) => o.status === 'new' && o.analysis && o.analysis.tls && defines(o, imp)) || null;
}

function blockOf(obj, optional) {
  const t = obj.analysis.tls;
  return { size: t.size, align: t.align, fbo: t.vaddr ? t.vaddr % Math.max(1, t.align) : 0, optional, obj };
}

// glibc: places blocks in relocation order.  The first non-optional block
// that does not fit stops the load, as does an object whose symbols fail
// (`stops`: objects at which relocation fails for another reason).
// -> { after, blocks, failed, placed }
function glibcTls(state, order, list, stops) {
  let budget = state.budget;
  const blocks = [];
  const placed = [];
  let failed = null;
  const take = (def, optional) => {
    if (!def || def.placed || blocks.some((blk) => blk.obj === def && !blk.optional)) return;
    const blk = blockOf(def, optional);
    blocks.push(blk);
    if (failed) return;
    const r = ST.place(budget, blk, optional);
    if (r.ok) {
      budget = r.after;
      def.placed = true;
      blk.use = r.use;
      placed.push(blk);
    } else if (!optional) {
      failed = { obj: def, why: r.why, before: budget };
    }
  };
  for (const obj of order) {
    const a = obj.analysis;
    if (ownIe(a)) take(obj, false);
    for (const imp of a.imports || []) if (imp.initialExec) take(tlsDefiner(list, imp), false);
    if (ownDesc(a)) take(obj, true);
    for (const imp of a.imports || []) if (imp.tlsdesc) take(tlsDefiner(list, imp), true);
    if (!failed && stops.has(obj)) failed = { obj, why: 'symbols', before: budget };
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
function staticTlsProblems(state, order, list, step, { blocked = false, stops = new Set() } = {}) {
  const t = state.target;
  if (state.family === 'musl') return muslTls(state, order, list, step);
  if (!state.budget) return null;
  const before = state.budget;
  const r = glibcTls(state, order, list, stops);
  const needed = neededBytes(before, r.blocks);
  if (r.failed && r.failed.why === 'alignment') {
    step.problems.push(P.staticTlsAlignment(r.failed.obj, r.failed.before, t));
  } else if (r.failed && r.failed.why === 'room') {
    const tunable = ST.tunableFor(r.blocks.map(({ size, align, fbo, optional }) => ({ size, align, fbo, optional })), before);
    const risk = tunable === null ? null : require('./tunables').tunableRisk(tunable, before, t);
    step.problems.push(P.staticTlsExhausted(r.failed.obj, r.failed.before, t,
      { needed, tunable: risk && risk.refuse ? null : tunable, tunableRisk: risk ? risk.text : null }));
  } else if (!r.failed && needed > 0 && (needed * 2 > before.free || r.after.free < 256)) {
    const biggest = r.blocks.filter((b) => !b.optional).sort((x, y) => y.size - x.size)[0];
    step.problems.push(P.staticTlsLow(biggest.obj, before.free, r.after.free));
  }
  if (blocked) {
    for (const blk of r.placed) blk.obj.placed = false;
    return { before: before.free, after: before.free, needed, budget: before, failed: true };
  }
  const budget = r.failed ? rollback(before, r.placed) : r.after;
  return { before: before.free, after: budget.free, needed, budget, failed: Boolean(r.failed) };
}

// musl: an initial-exec reference to a block of an object loaded by dlopen
// fails, whatever its size (the first one stops the load).
function muslTls(state, order, list, step) {
  let needed = 0;
  for (const obj of order) {
    const a = obj.analysis;
    if (ownIe(a)) {
      needed += a.tls.size;
      step.problems.push(P.muslInitialExec(obj, obj, null));
      break;
    }
    const imp = (a.imports || []).find((i) => i.initialExec && tlsDefiner(list, i));
    if (imp) {
      const def = tlsDefiner(list, imp);
      needed += def.analysis.tls.size;
      step.problems.push(P.muslInitialExec(obj, def, imp.name));
      break;
    }
  }
  return { before: 0, after: 0, needed, budget: null, failed: needed > 0 };
}

// ---- symbols ----

const refs = (i) => i.plt + i.got + i.other;

// Lazily bindable under RTLD_LAZY, unless the object asks for DF_BIND_NOW:
// glibc binds PLT slots on first call; musl defers PLT and GOT slots it
// cannot resolve (and crashes if they are used before something defines them).
function isLazy(state, obj, imp) {
  if (!state.lazy || imp.other > 0 || (obj.analysis.flags && obj.analysis.flags.bindNow)) return false;
  return state.family === 'musl' || imp.got === 0;
}

// Binds every referenced import; returns the objects whose relocation fails.
function bindSymbols(state, order, list, step) {
  const t = state.target;
  const stops = new Set();
  const locals = list.filter((o) => o.analysis && o.status === 'new');
  for (const obj of order) {
    const pending = (obj.analysis.imports || []).filter((i) => refs(i) > 0 && !locals.some((o) => defines(o, i)));
    let missing = [];
    if (state.facts) {
      const found = scopeDefines(state.facts, pending);
      missing = pending.filter((_, k) => found[k] === false);
    } else {
      for (const imp of pending) {
        const d = targetDefines(t, imp);
        if (d && d.defined === false) missing.push({ ...imp, since: d.since || null });
      }
    }
    missing = missing.filter((i) => !i.weak);
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

module.exports = { relocationOrder, staticTlsProblems, bindSymbols, glibcRelocationOrder };
