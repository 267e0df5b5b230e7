#!/usr/bin/env node
'use strict';
const { run } = require('../lib/cli/bounded');
const { endOnClosedPipe } = require('../lib/cli/output');

// `tls-inspect scan | head -1`: the reader went away; stop as Unix tools do.
endOnClosedPipe(process.stdout);
endOnClosedPipe(process.stderr);
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
