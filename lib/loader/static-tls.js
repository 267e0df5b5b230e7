'use strict';
// The static TLS area as glibc hands it out (elf/dl-reloc.c,
// _dl_try_allocate_static_tls), so that a whole load can be replayed block by
// block.  A budget is { libc, variant, size, used, free, align, optional }:
// `free` is what staticTls().remaining reports (variant II: size less the TCB
// less the used end; variant I: size less the used end), `align` the static
// area's own alignment, `optional` what is left of optional_static_tls, the
// only part TLS descriptors may take opportunistically.

const MUSL_IE = 'musl keeps no static TLS surplus: initial-exec TLS in a module loaded by dlopen ' +
  'fails whatever its size';

const roundUp = (n, to) => Math.ceil(n / to) * to;

function budgetFrom(st) {
  const optional = st.tunables ? st.tunables.optionalStaticTls : 512;
  return { libc: st.libc, variant: st.variant || 2, size: st.size || 0, used: st.used || 0, free: st.remaining,
    align: st.align || 0, optional: Math.min(optional, st.remaining), optionalTunable: optional,
    exact: st.exact !== false };
}

// The loader refuses a block aligned more strictly than the static area
// itself, whatever its size ("alignment requirements are too high" in glibc's words).
function overAligned(st, align) {
  return st.libc === 'glibc' && st.align > 0 && align > st.align;
}

// Places one block { size, align, fbo } (fbo: p_vaddr modulo p_align).
// optional: a TLS descriptor's opportunistic try, limited to the optional part.
// -> { ok, why: null | 'alignment' | 'room' | 'optional', use, after }
function place(budget, block, optional = false) {
  const align = Math.max(1, block.align || 1);
  const fbo = block.fbo || 0;
  const fail = (why) => ({ ok: false, why, use: 0, after: budget });
  if (budget.align > 0 && align > budget.align) return fail('alignment');
  let use;
  if (budget.variant === 1) {
    const used = budget.size ? budget.used : 0;
    const total = budget.size ? budget.size : budget.free;
    const offset = roundUp(used - fbo, align) + fbo;
    if (offset + block.size > total) return fail('room');
    use = offset + block.size - used;
  } else {
    const blsize = block.size + fbo;
    if (budget.free < blsize) return fail('room');
    use = budget.free - Math.floor((budget.free - blsize) / align) * align - fbo;
  }
  if (optional && use > budget.optional) return fail('optional');
  const after = { ...budget, free: budget.free - use, used: budget.used + use,
    optional: optional ? budget.optional - use : Math.min(budget.optional, budget.free - use) };
  return { ok: true, why: null, use, after };
}

// The largest block of this alignment that still fits.
function staticRoom(st, align) {
  if (overAligned(st, align)) return 0;
  if (st.variant !== 1 || !(align > 1) || !st.size) return st.remaining;
  return Math.max(0, Math.min(st.remaining, st.size - roundUp(st.used, align)));
}

function withExtra(budget, delta) {
  return { ...budget, free: budget.free + delta, size: budget.size ? budget.size + delta : 0,
    optional: budget.optional + delta };
}

// Places blocks [{ size, align, fbo, optional }] in order; true when every
// non-optional block fits (optional ones fall back to dynamic TLS).
function fitsAll(budget, blocks) {
  let b = budget;
  for (const blk of blocks) {
    const r = place(b, blk, blk.optional);
    if (r.ok) b = r.after;
    else if (!blk.optional) return false;
  }
  return true;
}

// The smallest glibc.rtld.optional_static_tls (a multiple of 64 beyond the
// current one) under which every block fits, or null when alignment rules any
// out.  st: a budget, or a staticTls() result.
function tunableFor(blocks, st) {
  const budget = st.free !== undefined ? st : budgetFrom(st);
  if (blocks.some((b) => !b.optional && budget.align > 0 && b.align > budget.align)) return null;
  let hi = 64;
  const need = blocks.reduce((n, b) => n + b.size + (b.align || 1) + (b.fbo || 0), 0);
  while (hi < need + 64) hi *= 2;
  if (!fitsAll(withExtra(budget, hi), blocks)) return null;
  let lo = 0;
  while (hi - lo > 64) {
    const mid = roundUp((lo + hi) / 2, 64);
    if (fitsAll(withExtra(budget, mid), blocks)) hi = mid; else lo = mid;
  }
  if (fitsAll(budget, blocks)) hi = 0;
  return budget.optionalTunable + hi;
}

const alignReason = (align, st) => `its TLS alignment of ${align} bytes is stricter than the static TLS ` +
  `block's ${st.align}: glibc refuses it whatever its size, and no tunable changes that`;

// { libc, initialExec: bool, size, align, staticTls, preload } -> { loaded, reason }
function predictLoad({ libc, initialExec, size, align, staticTls, preload }) {
  if (preload) {
    return { loaded: true, reason: 'LD_PRELOAD loads it at start-up, where the static TLS block is laid ' +
      'out to hold it' };
  }
  if (!initialExec) {
    return { loaded: true, reason: 'no initial-exec TLS: its block is allocated on demand, static TLS ' +
      'is not needed' };
  }
  if (libc === 'musl') return { loaded: false, reason: MUSL_IE };
  if (overAligned(staticTls, align)) return { loaded: false, reason: `initial-exec TLS of ${size} bytes: ${alignReason(align, staticTls)}` };
  const room = staticRoom(staticTls, align);
  const of = room === staticTls.remaining ? '' : ` (${staticTls.remaining} less padding to ${align}-byte alignment)`;
  const fits = place(budgetFrom(staticTls), { size, align }).ok;
  return { loaded: fits, reason: `initial-exec TLS of ${size} bytes ${fits ? 'fits' : 'does not fit'} the ${room} ` +
    `bytes of static TLS left${of}` };
}

// Fixes that would make an initial-exec module load, in the order to try them.
function fixesFor({ libc, size, align, staticTls, file }) {
  const preload = `LD_PRELOAD=${file || '<library>'} (a start-up slot in the static block)`;
  const rebuild = 'rebuild without initial-exec TLS (-ftls-model=global-dynamic, or the library\'s own ' +
    'option, e.g. jemalloc --disable-initial-exec-tls, mimalloc local_dynamic_tls)';
  if (libc === 'musl' || overAligned(staticTls, align)) return [rebuild, preload];
  const value = tunableFor([{ size, align }], staticTls);
  return [`GLIBC_TUNABLES=glibc.rtld.optional_static_tls=${value}`, preload, rebuild];
}

module.exports = { budgetFrom, place, fitsAll, predictLoad, fixesFor, tunableFor, staticRoom, overAligned, MUSL_IE };
