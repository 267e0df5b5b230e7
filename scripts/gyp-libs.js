#!/usr/bin/env node
'use strict';
// Prints the link libraries for binding.gyp.  On glibc 2.34+ -ldl and
// -lpthread resolve to empty static stubs, so name the shared objects
// explicitly: old glibc (down to 2.28) finds dlsym and pthread_* there
// (see src/ti_glibc_floor.h).  Elsewhere (musl, older glibc) the plain flags do.
const fs = require('fs');
const { runningLibc } = require('../lib/process/running-libc');

const dirs = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64'];
const shared = process.arch === 'x64' && runningLibc({}) === 'glibc' &&
  dirs.some((d) => fs.existsSync(`${d}/libdl.so.2`)) && !dirs.some((d) => fs.existsSync(`${d}/libdl.so`));
console.log(shared ? '-Wl,--no-as-needed -l:libdl.so.2 -l:libpthread.so.0 -Wl,--as-needed' : '-ldl -lpthread');
