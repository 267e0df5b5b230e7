'use strict';
// Child process, run under a low descriptor limit: takes every free
// descriptor, then analyzes FILE twice.  Prints JSON: the code analyzeSync()
// gave (and after how long) while none came back, and the outcome of an
// analyze() during which a few descriptors are freed.
const fs = require('fs');
const path = require('path');
const ti = require(path.resolve(__dirname, '..', '..'));

function takeAll() {
  const held = [];
  for (;;) {
    try {
      held.push(fs.openSync('/dev/null', 'r'));
    } catch (e) {
      if (e.code === 'EMFILE' || e.code === 'ENFILE') return held;
      throw e;
    }
  }
}

async function main() {
  const file = process.argv[2];
  // the library loads its parts (and the addon) on first use: that needs descriptors too
  await ti.analyze(file);
  const held = takeAll();
  const result = {};
  const t0 = Date.now();
  try {
    ti.analyzeSync(file);
    result.exhausted = 'ok';
  } catch (e) {
    result.exhausted = e.code;
  }
  result.exhaustedMs = Date.now() - t0;
  setTimeout(() => held.splice(0, 4).forEach((fd) => fs.closeSync(fd)), 300);
  try {
    await ti.analyze(file);
    result.freedLater = 'ok';
  } catch (e) {
    result.freedLater = e.code;
  }
  held.forEach((fd) => fs.closeSync(fd));
  process.stdout.write(JSON.stringify(result));
}

main();
