'use strict';
// The problem catalogue is the one home of every code: whatever lib/ makes, the
// types, the CLI help and the API reference list are held to it here, and every code
// is named by at least one test that produces it.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { CODES } = require('../lib/loader/problems');
const h = require('./support/helpers');

const read = (rel) => fs.readFileSync(path.join(h.ROOT, rel), 'utf8');

function filesUnder(dir, ext) {
  return fs.readdirSync(path.join(h.ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => path.relative(h.ROOT, path.join(e.parentPath || e.path, e.name)));
}

// The problem codes a piece of source makes: problem('X', …) and code: 'X'
// (problem codes are upper-case words joined by underscores; error codes start TI_).
function codesMade(text) {
  const out = new Set();
  for (const re of [/problem\(\s*'([A-Z][A-Z0-9_]+)'/g, /\bcode: '([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g]) {
    for (const m of text.matchAll(re)) if (!m[1].startsWith('TI_')) out.add(m[1]);
  }
  return out;
}

describe('the problem catalogue: one home for every code', function () {
  it('every problem code lib/ makes is in the catalogue', function () {
    const stray = [];
    for (const f of filesUnder('lib', '.js')) {
      for (const c of codesMade(read(f))) if (!CODES.includes(c)) stray.push(`${f}: ${c}`);
    }
    assert.deepStrictEqual(stray, []);
  });

  it('index.d.ts lists exactly the catalogue\'s codes', function () {
    const m = read('index.d.ts').match(/export type ProblemCode =([^;]+);/);
    assert.ok(m, 'index.d.ts has no ProblemCode type');
    const typed = [...m[1].matchAll(/'([A-Z_0-9]+)'/g)].map((x) => x[1]).sort();
    assert.deepStrictEqual(typed, [...CODES].sort());
  });

  it('the CLI help of check and the API reference name every code', function () {
    const help = execFileSync(process.execPath, [path.join(h.ROOT, 'bin', 'tls-inspect.js'), 'check', '--help'], { encoding: 'utf8' });
    const readme = read('docs/api.md');
    assert.deepStrictEqual(CODES.filter((c) => !help.includes(c)), [], 'missing from `check --help`');
    assert.deepStrictEqual(CODES.filter((c) => !readme.includes(`\`${c}\``)), [], 'missing from docs/api.md');
  });

  it('every code is named by a test other than this one', function () {
    const tests = filesUnder('test', '.test.js').filter((f) => !f.endsWith('catalogue.test.js')).map(read).join('\n');
    assert.deepStrictEqual(CODES.filter((c) => !tests.includes(`'${c}'`) && !tests.includes(`"${c}"`)), []);
  });
});
