'use strict';
// The model fuzzer's glibc truth, in a fresh Node: each addon loaded in order
// with process.dlopen (as require() does: RTLD_LAZY, kept loaded) and the
// static TLS left after it, as staticTls() measures it.  With --predict,
// checkTogether()'s prediction made here first; without, the fuzzer predicts in
// its own process (the same Node and libraries, no addon of the closure
// loaded) and checks that this one started from the same static TLS.
const path = require('path');
const ti = require(path.resolve(__dirname, '..'));

(async () => {
  const predict = process.argv[2] === '--predict';
  const files = process.argv.slice(predict ? 3 : 2);
  let predicted = null;
  if (predict) {
    try {
      predicted = await ti.checkTogether(files);
    } catch (e) {
      predicted = { threw: { code: e && e.code, message: String(e && e.message), stack: String(e && e.stack).slice(0, 2000) } };
    }
  }
  const before = ti.staticTls().remaining;
  const loads = [];
  for (const file of files) {
    let error = null;
    try {
      process.dlopen({ exports: {} }, file);
    } catch (e) {
      error = e.message;
    }
    const st = ti.staticTls();
    loads.push({ loaded: error === null, error, after: st.remaining, exact: st.exact });
  }
  process.stdout.write(JSON.stringify({ predicted, before, loads }));
})().catch((e) => {
  process.stderr.write(String(e && e.stack));
  process.exitCode = 1;
});
