'use strict';
// Child process, run under a low descriptor limit (`ulimit -n 64`): COUNT
// concurrent analyze() calls over real files.  Prints JSON: how many succeeded
// and the codes of those that did not.
const path = require('path');
const ti = require(path.resolve(__dirname, '..', '..'));

async function main() {
  const files = process.argv.slice(3);
  const count = Number(process.argv[2]);
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => ti.analyze(files[i % files.length])));
  const codes = {};
  for (const r of results) {
    const code = r.status === 'fulfilled' ? 'ok' : r.reason.code || `UNCODED ${r.reason.message}`;
    codes[code] = (codes[code] || 0) + 1;
  }
  process.stdout.write(JSON.stringify({ count, ok: codes.ok || 0, codes }));
}

main();
