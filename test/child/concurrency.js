'use strict';
// Child process: 8 worker_threads call modules(), staticTls() and analyze() in
// loops while this thread dlopens and dlcloses a global-dynamic fixture.
// Prints JSON: per worker counts and any inconsistency seen.
const { Worker } = require('worker_threads');
const path = require('path');
const root = path.resolve(__dirname, '..', '..');
const ti = require(root);
const fixtures = require(path.join(root, 'lib', 'reproduce'));
const { loadSmallAddon } = require(path.join(root, 'scripts', 'nodedir'));

const m = { exports: loadSmallAddon(path.join(root, 'test', 'native', 'dl_churn.c')) };

const gd = fixtures.fixturePath('global-dynamic', 4096);
const baseline = ti.modules().filter((x) => x.tls && x.tls.placement === 'static').map((x) => `${x.path}@${x.tls.offset}`).sort();
const seconds = Number(process.argv[2] || 3);

const code = `
  const { parentPort, workerData } = require('worker_threads');
  const ti = require(workerData.root);
  const deadline = Date.now() + workerData.seconds * 1000;
  const bad = [];
  let rounds = 0;
  (async () => {
    while (Date.now() < deadline) {
      const mods = ti.modules();
      for (const m of mods) {
        if (typeof m.path !== 'string' || (!m.path && !m.main && !m.vdso)) bad.push('empty path');
        if (m.tls && !(m.tls.size >= 0 && m.tls.modid >= 1)) bad.push('torn tls ' + m.path);
      }
      const statics = mods.filter((x) => x.tls && x.tls.placement === 'static' && x.path !== workerData.gd)
        .map((x) => x.path + '@' + x.tls.offset).sort();
      if (JSON.stringify(statics) !== JSON.stringify(workerData.baseline)) bad.push('static set changed: ' + statics.join(','));
      if (rounds % 10 === 0) { const st = ti.staticTls(); if (!(st.size === st.tcbSize + st.used + st.remaining)) bad.push('budget torn'); }
      const a = await ti.analyze(workerData.gd);
      if (!a.tls || a.tls.size !== 4096) bad.push('analyze torn');
      rounds++;
    }
    parentPort.postMessage({ rounds, bad: bad.slice(0, 5), badCount: bad.length });
  })();`;

const workers = Array.from({ length: 8 }, () => new Worker(code, { eval: true,
  workerData: { root, gd, baseline, seconds } }));
const results = [];
let churned = 0;
const timer = setInterval(() => { churned += m.exports.churn(gd, 20); }, 1);
for (const w of workers) {
  w.on('message', (r) => {
    results.push(r);
    if (results.length === workers.length) {
      clearInterval(timer);
      process.stdout.write(JSON.stringify({ churned, results }));
      process.exit(0);
    }
  });
  w.on('error', (e) => { console.error(e); process.exit(1); });
}
