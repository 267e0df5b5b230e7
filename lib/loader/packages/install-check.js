'use strict';
// npm's install check (every package): a package.json `os`, `cpu` or `libc`
// list accepts the target when it is ['any'], names the target's value, or
// holds only '!x' entries none of which is the target's value; a `libc`
// list refuses a target without a libc.  A package npm would not install
// (present through a copied or shared node_modules) is skipped whole: 'for
// darwin-arm64', 'for linux-arm64', 'for musl', or 'package not installed on
// this target (os/cpu/libc)' when its lists name no single platform.
const { normalizeTarget } = require('./npm-target');

const NOT_INSTALLED = 'package not installed on this target (os/cpu/libc)';

const asList = (v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : []);

// npm's reading of one os/cpu/libc list.
function accepts(list, value) {
  const entries = asList(list);
  if (entries.length === 1 && entries[0] === 'any') return true;
  let refusals = 0;
  let listed = false;
  for (const entry of entries) {
    if (typeof entry === 'string' && entry.startsWith('!')) {
      refusals++;
      if (entry.slice(1) === value) return false;
    } else if (entry === value) {
      listed = true;
    }
  }
  return listed || refusals === entries.length;
}

function single(json, field) {
  const list = asList(json[field]);
  const v = list[0];
  return list.length === 1 && typeof v === 'string' && v !== 'any' && !v.startsWith('!') ? v : null;
}

function platformCheck(json, t) {
  const failed = ['os', 'cpu', 'libc'].find((f) => json[f] && (t[f] === undefined || !accepts(json[f], t[f])));
  if (!failed) return true;
  const os = single(json, 'os');
  const cpu = single(json, 'cpu');
  const libc = single(json, 'libc');
  if (failed === 'libc') return { reason: libc ? `for ${libc}` : NOT_INSTALLED };
  if (failed === 'os') return { reason: os ? `for ${os}${cpu ? `-${cpu}` : ''}` : NOT_INSTALLED };
  return { reason: cpu ? `for ${os || t.os}-${cpu}` : NOT_INSTALLED };
}

// npm's install-time platform check of a package.json: true or { reason }.
const installable = (json, target) => platformCheck(json || {}, normalizeTarget(target));

const isPlatformPackage = (json) => Boolean(json.os || json.cpu || json.libc);

module.exports = { NOT_INSTALLED, asList, installable, isPlatformPackage, platformCheck };
