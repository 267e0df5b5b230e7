'use strict';
// Child process: dlopen a private copy of a fixture library, cut its file
// down in place (argv[2]: "0" or "half"), list modules(), put the bytes back
// and list again.  argv[3] === 'warm' lists modules() once before the cut.
// Prints JSON, then kills itself: the kernel dropped the library's relocated
// pages with the cut, so running its code again (its destructors at exit)
// would crash for reasons that are not ours.
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('../..');
const fixtures = require('../../lib/reproduce');

const [cut, warm] = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-truncated-'));
const file = path.join(dir, 'libti-truncated.so');
const bytes = fs.readFileSync(fixtures.template('initial-exec'));
fs.writeFileSync(file, bytes, { mode: 0o755 });
const result = { file, size: bytes.length, before: null, cut: null, restored: null };
try {
  process.dlopen({ exports: {} }, file);
  if (warm === 'warm') result.before = ti.modules();
  fs.truncateSync(file, cut === 'half' ? bytes.length >> 1 : 0);
  result.cut = ti.modules();
} finally {
  fs.writeFileSync(file, bytes); // same inode: the mapping reads the file again
}
result.restored = ti.modules();
fs.rmSync(dir, { recursive: true, force: true });
fs.writeSync(1, JSON.stringify(result));
process.kill(process.pid, 'SIGKILL');
