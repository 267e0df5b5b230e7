#!/usr/bin/env node
'use strict';
// Generates lib/file/napi-versions.json: the Node-API version that introduced each
// napi_*/node_api_* function, read from the NAPI_VERSION guards in Node's own
// js_native_api.h and node_api.h.  Usage: node scripts/gen-napi-versions.js [include/node dir]
const fs = require('fs');
const path = require('path');
const { nodeDir } = require('./nodedir');

function guardOf(line) {
  let m = line.match(/^#\s*if\s+NAPI_VERSION\s*>=\s*(\d+)/);
  if (m) return { version: Number(m[1]) };
  if (/^#\s*(ifdef\s+NAPI_EXPERIMENTAL|if\s+defined\(NAPI_EXPERIMENTAL\)|if\s+NAPI_VERSION\s*>=\s*NAPI_VERSION_EXPERIMENTAL)/.test(line)) {
    return { experimental: true };
  }
  return /^#\s*if/.test(line) ? {} : null;
}

function scan(file, table) {
  const stack = [];
  let decl = null;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    const g = guardOf(line);
    if (g) { stack.push(g); continue; }
    if (/^#\s*endif/.test(line)) { stack.pop(); continue; }
    if (/^#\s*(else|elif)/.test(line) && stack.length) { stack[stack.length - 1] = {}; continue; }
    if (line.startsWith('#')) continue;
    if (line.startsWith('NAPI_EXTERN')) decl = '';
    if (decl === null) continue;
    decl += ` ${line}`;
    if (!line.includes(';')) continue;
    const m = decl.match(/\b((?:napi|node_api)_\w+)\s*\(/);
    decl = null;
    if (!m) continue;
    const experimental = stack.some((s) => s.experimental);
    const version = Math.max(1, ...stack.map((s) => s.version || 0));
    table[m[1]] = experimental ? 'experimental' : version;
  }
}

function main() {
  const dir = process.argv[2] || path.join(nodeDir() || '/usr', 'include', 'node');
  const table = {};
  for (const h of ['js_native_api.h', 'node_api.h']) scan(path.join(dir, h), table);
  const sorted = Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
  const out = path.join(__dirname, '..', 'lib', 'file', 'napi-versions.json');
  fs.writeFileSync(out, `${JSON.stringify({ source: 'Node.js js_native_api.h and node_api.h NAPI_VERSION guards',
    node: process.versions.node, functions: sorted }, null, 1)}\n`);
  console.log(`wrote ${Object.keys(sorted).length} functions to ${path.relative(process.cwd(), out)}`);
}

main();
