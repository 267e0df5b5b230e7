#!/usr/bin/env node
'use strict';
// The C core's sources in one place.  binding.gyp reads them through
// `node scripts/core-sources.js`; the probe, musl addon, sanitizer, fuzzer and
// valgrind builds take them from coreSources().
const path = require('path');

const ANALYZER = ['ti_error.c', 'ti_reloc.c', 'ti_elf_src.c', 'ti_elf.c', 'ti_elf_sym.c', 'ti_elf_code.c', 'ti_elf_node.c', 'ti_elf_libc.c', 'ti_elf_pack.c', 'ti_walk.c', 'ti_fs.c']; // ELF files on disk
const LIVE = ['ti_thread.c', 'ti_peek.c', 'ti_linkmap.c', 'ti_static_scan.c', 'ti_budget.c', 'ti_libc.c', 'ti_demangle.c', 'ti_scope.c']; // the running process

// Absolute paths of the analyzer's sources, plus the live-process half unless analyzerOnly.
function coreSources({ analyzerOnly = false } = {}) {
  const src = path.resolve(__dirname, '..', 'src');
  return [...ANALYZER, ...(analyzerOnly ? [] : LIVE)].map((f) => path.join(src, f));
}

if (require.main === module) console.log([...ANALYZER, ...LIVE].map((f) => `src/${f}`).join(' '));

module.exports = { coreSources };
