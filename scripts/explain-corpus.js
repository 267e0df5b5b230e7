#!/usr/bin/env node
'use strict';
// Scores explain() on the corpus of real loader messages
// (test/explain-corpus/messages.json): per expected code, how many messages
// get the right code, module and symbol.  A fixed fifth of the corpus (chosen
// by a hash of the message, so it does not move when entries are added
// elsewhere) is held out: it is scored as a whole, and its misses are listed
// only with --all, so the development set and the held-out set stay apart.
//   node scripts/explain-corpus.js [--all] [--json]
const path = require('path');
const { explain } = require('../lib/loader/explain');

const CORPUS = path.join(__dirname, '..', 'test', 'explain-corpus', 'messages.json');

// FNV-1a of the message: 1 in 5 messages is held out.
function heldOut(message) {
  let h = 0x811c9dc5;
  for (let i = 0; i < message.length; i++) h = Math.imul(h ^ message.charCodeAt(i), 0x01000193) >>> 0;
  return h % 5 === 0;
}

// What is wrong with one diagnosis ([] when it is right).
function misses(entry, d) {
  const out = [];
  const e = entry.expect;
  if (d.code !== e.code) out.push(`code ${d.code} (want ${e.code})`);
  if (e.module && d.module !== e.module) out.push(`module ${JSON.stringify(d.module)} (want ${JSON.stringify(e.module)})`);
  if (e.symbol && d.symbol !== e.symbol) out.push(`symbol ${JSON.stringify(d.symbol)} (want ${JSON.stringify(e.symbol)})`);
  return out;
}

function score(entries) {
  const byCode = {};
  const failed = [];
  let right = 0;
  for (const entry of entries) {
    // A Linux x64 glibc host is assumed for advice; the diagnosis must not
    // depend on the machine scoring it, so no file is looked at.
    const d = explain(entry.message, { check: false });
    const m = misses(entry, d);
    const c = (byCode[entry.expect.code] = byCode[entry.expect.code] || { right: 0, total: 0 });
    c.total++;
    if (m.length) failed.push({ source: entry.source, misses: m, message: entry.message.split('\n')[0].slice(0, 120) });
    else { c.right++; right++; }
  }
  return { right, total: entries.length, byCode, failed };
}

function main(argv) {
  const all = argv.includes('--all');
  const { messages } = require(CORPUS);
  const dev = score(messages.filter((e) => !heldOut(e.message)));
  const held = score(messages.filter((e) => heldOut(e.message)));
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ dev, heldOut: all ? held : { right: held.right, total: held.total } }, null, 1)}\n`);
    return;
  }
  const pct = (s) => `${s.right}/${s.total} (${s.total ? Math.round((100 * s.right) / s.total) : 0}%)`;
  console.log('development set, by expected code:');
  for (const [code, c] of Object.entries(dev.byCode).sort()) console.log(`  ${code.padEnd(22)} ${pct(c)}`);
  for (const f of dev.failed) console.log(`  miss ${f.source}: ${f.misses.join('; ')}\n       ${f.message}`);
  console.log(`development set: ${pct(dev)}`);
  console.log(`held-out set:    ${pct(held)}`);
  if (all) for (const f of held.failed) console.log(`  held-out miss ${f.source}: ${f.misses.join('; ')}\n       ${f.message}`);
}

if (require.main === module) main(process.argv.slice(2));
module.exports = { score, heldOut };
