'use strict';
// The export table the addon packs for symbol binding: its hash is seeded per
// process, and a table whose names collide anyway is dropped rather than
// walked, so no file can make binding quadratic.  Truths: ASLR (two processes,
// two seeds), readelf's list of a real library's exports, and the clock.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const { exportTable } = require('../lib/file/analyze');
const { defines } = require('../lib/loader/symbols');
const h = require('./support/helpers');

const child = path.join(__dirname, 'child', 'export-flood.js');

// The names a library defines with global, weak or unique binding, in their
// default version, as readelf --dyn-syms lists them.
function readelfDefined(file) {
  const out = h.readelf(['--dyn-syms', '-W'], file);
  const names = [];
  for (const line of out.split('\n')) {
    const m = /^\s*\d+:\s+[0-9a-f]+\s+\d+\s+\S+\s+(GLOBAL|WEAK|UNIQUE|<OS specific>: 10)\s+\S+\s+(\S+)\s+(\S+)/.exec(line);
    // a hidden version (name@V, not name@@V) binds only references that ask for it
    if (m && m[2] !== 'UND' && (m[3].includes('@@') || !m[3].includes('@'))) names.push(m[3].split('@')[0]);
  }
  return names;
}

describe('the export table: seeded, and bounded whatever the names', function () {
  this.timeout(120000);
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-exports-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('100,000 exports chosen to collide under the process\'s own seed: table dropped, every answer right, promptly', function () {
    const r = spawnSync(process.execPath, [child, path.join(dir, 'flood.so'), '100000'], { encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    process.stdout.write(`      (analysis ${got.analyzeMs.toFixed(0)} ms, 200,000 lookups ${got.lookupMs.toFixed(0)} ms)\n`);
    assert.strictEqual(got.kept, false, 'a table with walks beyond the bound is not kept');
    assert.strictEqual(got.found, 100000, 'each present name found, no absent one');
    assert.ok(got.analyzeMs + got.lookupMs < 4000, `${got.analyzeMs} + ${got.lookupMs} ms`);
  });

  it('two processes hash with two seeds (ASLR decides them)', function () {
    const aslr = fs.existsSync('/proc/sys/kernel/randomize_va_space') && fs.readFileSync('/proc/sys/kernel/randomize_va_space', 'utf8').trim();
    if (aslr === '0') h.skip(this, 'ASLR is off here (kernel.randomize_va_space=0): one seed for every process');
    const seeds = [1, 2, 3].map(() => {
      const r = spawnSync(process.execPath, [child, path.join(dir, 'seed.so'), '1'], { encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      return JSON.parse(r.stdout).seed;
    });
    assert.ok(new Set(seeds).size > 1, `seeds ${seeds}`);
  });

  it('a real library keeps its table, and it finds every export readelf lists', function () {
    const loaded = ti.modules().find((m) => /\/libc\.so\.6$/.test(m.path || ''));
    if (!loaded) h.skip(this, 'no libc.so.6 in this process (not glibc)');
    const lib = loaded.path;
    const a = ti.analyzeSync(lib);
    const table = exportTable(a);
    assert.ok(table, `${lib}: table kept`);
    assert.ok(table.longest <= 64);
    const names = readelfDefined(lib);
    assert.ok(names.length > 100, `${names.length} exports`);
    const missing = names.filter((name) => !defines({ analysis: a }, { name }));
    assert.deepStrictEqual(missing, []);
  });
});
