'use strict';
// What a GLIBC_TUNABLES=glibc.rtld.optional_static_tls=N costs beyond the
// module it makes room for.  glibc carves the static TLS block out of every
// thread's stack: threads created with small stacks stop starting once it
// grows, and a process whose start-up threads cannot start aborts.  Measured
// with Node 20 on x86_64 glibc 2.36 (test/tunables.test.js measures them again):
// at 26769 bytes of optional TLS one of Node's own threads fails to start
// ("pthread_create: Invalid argument", Node keeps running); from about 4 MiB
// Node aborts at start-up.
const NODE_THREAD_LIMIT = 26769;
const NODE_ABORT_LIMIT = 4 << 20;

// -> null when harmless; { text, refuse } otherwise.  refuse: the value would
// stop the process from starting, so it is not offered at all.
function tunableRisk(value, budget, t) {
  if (value >= NODE_ABORT_LIMIT) {
    return { refuse: true, text: `a static TLS surplus of ${value} bytes stops Node from starting (it aborts when ` +
      'its own threads cannot be created): no tunable can make room for this load' };
  }
  if (value >= NODE_THREAD_LIMIT) {
    return { refuse: false, text: `risky: glibc takes static TLS from every thread's stack; with ${value} bytes ` +
      `${t.runtime === 'electron' ? 'Electron' : 'Node'}'s threads with small stacks fail to start ` +
      '("pthread_create: Invalid argument"); prefer a rebuild or LD_PRELOAD' };
  }
  return null;
}

module.exports = { tunableRisk, NODE_THREAD_LIMIT, NODE_ABORT_LIMIT };
