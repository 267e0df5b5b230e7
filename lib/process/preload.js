'use strict';
// Which loaded modules came from LD_PRELOAD (or /etc/ld.so.preload): read once
// from the start-up environment, which is what the loader saw.
const fs = require('fs');
const path = require('path');
const binding = require('./binding');

let entries = null;

// LD_PRELOAD as the loader read it at start-up (the addon streams /proc/self/environ).
function startupPreload() {
  return binding.startupEnv('LD_PRELOAD') || '';
}

function preloadEntries() {
  if (entries) return entries;
  const env = startupPreload();
  const list = env ? env.split(/[:\s]+/).filter(Boolean) : []; // usually unset: no pattern to compile
  try { // usually absent: asked first, since a failed read costs more than the rest
    if (fs.existsSync('/etc/ld.so.preload')) list.push(...fs.readFileSync('/etc/ld.so.preload', 'utf8').split(/[:\s]+/).filter(Boolean));
  } catch (_) { /* unreadable: as if absent */ }
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
