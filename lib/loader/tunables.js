'use strict';
// What GLIBC_TUNABLES=glibc.rtld.optional_static_tls=N costs beyond the module
// it makes room for.  glibc carves the static TLS block out of every thread's
// stack and refuses (EINVAL) a thread whose stack cannot hold it plus a small
// rest (nptl's allocate_stack: size < static TLS + MINIMAL_REST_STACK, to a
// page).  So threads created with small stacks stop starting first (Node's
// own inspector thread asks for 32 KiB: "pthread_create: Invalid argument",
// Node keeps running), and when the threads made with the default stack
// (RLIMIT_STACK) cannot start either, Node aborts at start-up.  Measured with
// Node 20 on glibc 2.36 (test/tunables.test.js measures both again): the first
// failure at optional_static_tls=26769; the abort follows `ulimit -s`.
const fs = require('fs');

const MINIMAL_REST = 2048;
const PAGE = 4096;
const SMALL_THREAD_STACK = 32 * 1024; // Node's smallest own thread stack (inspector I/O thread)
const DEFAULT_STACK = 8 << 20;
const NODE_STATIC_SIZE = 4480; // a fresh Node's static TLS size with the default surplus (x86_64)

const roundUp = (n) => Math.ceil(n / PAGE) * PAGE;

// The soft stack limit threads get by default, from /proc/self/limits.
function stackLimit() {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max stack size'));
    const soft = line && line.trim().split(/\s{2,}/)[1];
    if (soft && /^\d+$/.test(soft)) return Number(soft);
  } catch (_) { /* no procfs: the usual default */ }
  return DEFAULT_STACK;
}

// The smallest thread stack that can start once the surplus is `value`.
function stackNeeded(value, budget) {
  const size = budget && budget.size ? budget.size : NODE_STATIC_SIZE;
  const current = budget && budget.optionalTunable !== undefined ? budget.optionalTunable : 512;
  return roundUp(size + (value - current) + MINIMAL_REST);
}

// -> null when harmless; { text, refuse } otherwise.  refuse: the value would
// stop the process from starting, so it is not offered at all.
function tunableRisk(value, budget, t, { limit = t && t.kind === 'host' ? stackLimit() : DEFAULT_STACK } = {}) {
  const need = stackNeeded(value, budget);
  const who = t && t.runtime === 'electron' ? 'Electron' : 'Node';
  if (need > limit) {
    return { refuse: true, text: `a surplus of ${value} bytes needs ${need} bytes of every thread's stack, more than ` +
      `the ${limit} the stack limit gives: ${who} cannot start its own threads and aborts` };
  }
  if (need > SMALL_THREAD_STACK) {
    return { refuse: false, text: `risky: glibc takes static TLS from every thread's stack; with ${value} bytes, ` +
      `threads with stacks under ${need} bytes fail to start ("pthread_create: Invalid argument"), ${who}'s own ` +
      `${SMALL_THREAD_STACK / 1024} KiB inspector thread among them; prefer a rebuild or LD_PRELOAD` };
  }
  return null;
}

module.exports = { tunableRisk, stackNeeded, stackLimit, SMALL_THREAD_STACK };
