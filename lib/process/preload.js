'use strict';
// Which loaded modules came from LD_PRELOAD (or /etc/ld.so.preload): read once
// from the start-up environment, which is what the loader saw.
const fs = require('fs');
const path = require('path');

let entries = null;

function startupPreload() {
  try {
    const env = fs.readFileSync('/proc/self/environ', 'latin1').split('\0');
    const v = env.find((e) => e.startsWith('LD_PRELOAD='));
    return v ? v.slice(11) : '';
  } catch (_) {
    return process.env.LD_PRELOAD || '';
  }
}

function preloadEntries() {
  if (entries) return entries;
  const list = startupPreload().split(/[:\s]+/).filter(Boolean);
  try {
    list.push(...fs.readFileSync('/etc/ld.so.preload', 'utf8').split(/[:\s]+/).filter(Boolean));
  } catch (_) { /* usually absent */ }
  // real paths resolved here, once: modules() compares strings and reads no file
  entries = list.map((e) => (e.includes('/') ? { full: e, real: safeReal(e), base: null } : { base: e }));
  return entries;
}

function isPreloaded(modulePath) {
  if (!modulePath) return false;
  const base = path.basename(modulePath);
  return preloadEntries().some((e) => (e.full ? e.full === modulePath || e.real === modulePath : e.base === base));
}

function safeReal(p) {
  try { return fs.realpathSync(p); } catch (_) { return p; }
}

module.exports = { isPreloaded, preloadEntries };
