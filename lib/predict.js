'use strict';
// What the loader will do with a module's TLS, from its TLS model and size and
// a static TLS budget.  Shared by reproduce() and check().

const MUSL_IE = 'musl keeps no static TLS surplus: initial-exec TLS in a module loaded by dlopen ' +
  'fails whatever its size';

function roundUp(n, to) {
  return Math.ceil(n / to) * to;
}

// GLIBC_TUNABLES value that gives `bytes` of initial-exec room, given a measured budget.
function tunableFor(bytes, st) {
  const optional = st.tunables.optionalStaticTls + Math.max(0, bytes - st.remaining);
  return `glibc.rtld.optional_static_tls=${roundUp(optional, 64)}`;
}

// { libc, initialExec: bool, size, staticTls, preload } -> { loaded, reason }
function predictLoad({ libc, initialExec, size, staticTls, preload }) {
  if (preload) {
    return { loaded: true, reason: 'LD_PRELOAD loads it at start-up, where the static TLS block is laid ' +
      'out to hold it' };
  }
  if (!initialExec) {
    return { loaded: true, reason: 'no initial-exec TLS: its block is allocated on demand, static TLS ' +
      'is not needed' };
  }
  if (libc === 'musl') return { loaded: false, reason: MUSL_IE };
  if (size <= staticTls.remaining) {
    return { loaded: true, reason: `initial-exec TLS of ${size} bytes fits the ${staticTls.remaining} ` +
      'bytes of static TLS left' };
  }
  return { loaded: false, reason: `initial-exec TLS of ${size} bytes does not fit the ` +
    `${staticTls.remaining} bytes of static TLS left` };
}

// Fixes that would make an initial-exec module load, in the order to try them.
function fixesFor({ libc, size, staticTls, file }) {
  const preload = `LD_PRELOAD=${file || '<library>'} (a start-up slot in the static block)`;
  const rebuild = 'rebuild without initial-exec TLS (-ftls-model=global-dynamic, or the library\'s own ' +
    'option, e.g. jemalloc --disable-initial-exec-tls, mimalloc local_dynamic_tls)';
  if (libc === 'musl') return [rebuild, preload];
  return [`GLIBC_TUNABLES=${tunableFor(size, staticTls)}`, preload, rebuild];
}

module.exports = { predictLoad, fixesFor, tunableFor, MUSL_IE };
