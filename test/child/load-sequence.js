'use strict';
// Child process: checkTogether()'s prediction for the files, then the real
// loader's answer: each file loaded in order with process.dlopen (as require()
// does), the static TLS left after each, as staticTls() measures it.
const path = require('path');
const ti = require(path.resolve(__dirname, '..', '..'));

(async () => {
  const files = process.argv.slice(2);
  const predicted = await ti.checkTogether(files);
  const loads = [];
  for (const file of files) {
    const before = ti.staticTls().remaining;
    let error = null;
    try {
      process.dlopen({ exports: {} }, file);
    } catch (e) {
      error = e.message;
    }
    loads.push({ path: file, loaded: error === null, error, before, after: ti.staticTls().remaining });
  }
  process.stdout.write(JSON.stringify({ predicted, loads }));
})().catch((e) => {
  process.stderr.write(String(e && e.stack));
  process.exitCode = 1;
});
