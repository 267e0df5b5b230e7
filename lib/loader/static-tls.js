'use strict';
// What the loader will do with a module's TLS, from its TLS model and size and
// a static TLS budget.  Shared by reproduce() and check().

const MUSL_IE = 'musl keeps no static TLS surplus: initial-exec TLS in a module loaded by dlopen ' +
  'fails whatever its size';

function roundUp(n, to) {
  return Math.ceil(n / to) * to;
}

// The loader refuses a block aligned more strictly than the static block
// itself, whatever its size (glibc: "alignment requirements are too high").
function overAligned(st, align) {
  return st.libc === 'glibc' && st.align > 0 && align > st.align;
}

// Room for one more initial-exec block of the given alignment.  Variant II
// (x86) takes the block's padding from the far end of the free space, so the
// remaining bytes are the room; variant I (aarch64, arm, ppc64, mips) starts the block at
// the used end rounded up to its alignment.
function staticRoom(st, align) {
  if (overAligned(st, align)) return 0;
  if (st.variant !== 1 || !(align > 1) || !st.size) return st.remaining;
  return Math.max(0, Math.min(st.remaining, st.size - roundUp(st.used, align)));
}

const alignReason = (align, st) => `its TLS alignment of ${align} bytes is stricter than the static TLS ` +
  `block's ${st.align}: glibc refuses it whatever its size, and no tunable changes that`;

// GLIBC_TUNABLES value that gives `bytes` of initial-exec room, given a measured budget.
function tunableFor(bytes, st, align) {
  const optional = st.tunables.optionalStaticTls + Math.max(0, bytes - staticRoom(st, align));
  return `glibc.rtld.optional_static_tls=${roundUp(optional, 64)}`;
}

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
  if (size <= room) {
    return { loaded: true, reason: `initial-exec TLS of ${size} bytes fits the ${room} bytes of static TLS ` +
      `left${of}` };
  }
  return { loaded: false, reason: `initial-exec TLS of ${size} bytes does not fit the ${room} bytes of ` +
    `static TLS left${of}` };
}

// Fixes that would make an initial-exec module load, in the order to try them.
function fixesFor({ libc, size, align, staticTls, file }) {
  const preload = `LD_PRELOAD=${file || '<library>'} (a start-up slot in the static block)`;
  const rebuild = 'rebuild without initial-exec TLS (-ftls-model=global-dynamic, or the library\'s own ' +
    'option, e.g. jemalloc --disable-initial-exec-tls, mimalloc local_dynamic_tls)';
  if (libc === 'musl' || overAligned(staticTls, align)) return [rebuild, preload];
  return [`GLIBC_TUNABLES=${tunableFor(size, staticTls, align)}`, preload, rebuild];
}

module.exports = { predictLoad, fixesFor, tunableFor, staticRoom, overAligned, MUSL_IE };
