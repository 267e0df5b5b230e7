'use strict';
// The model fuzzer's glibc truth, in a fresh Node: checkTogether()'s prediction
// for the addons first (this process, as it is before any of them), then each
// one loaded in order with process.dlopen (as require() does: RTLD_LAZY, kept
// loaded) and the static TLS left after it, as staticTls() measures it.
const path = require('path');
const ti = require(path.resolve(__dirname, '..'));

(async () => {
  const files = process.argv.slice(2);
  let predicted;
  try {
    predicted = await ti.checkTogether(files);
  } catch (e) {
    predicted = { threw: { code: e && e.code, message: String(e && e.message), stack: String(e && e.stack).slice(0, 2000) } };
  }
  const loads = [];
  for (const file of files) {
    let error = null;
    try {
      process.dlopen({ exports: {} }, file);
    } catch (e) {
      error = e.message;
    }
    loads.push({ loaded: error === null, error, after: ti.staticTls().remaining });
  }
  process.stdout.write(JSON.stringify({ predicted, loads }));
})().catch((e) => {
  process.stderr.write(String(e && e.stack));
  process.exitCode = 1;
});
