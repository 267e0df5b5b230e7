'use strict';
// lib/loader/musl-symbols.json (musl's libc.so exports per release, derived from
// musl's sources by scripts/gen-musl-symbols.js) against the dynamic symbol
// table of the musl libc.so installed here, read with readelf.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const zlib = require('zlib');
const h = require('./support/helpers');

const table = require('../lib/loader/musl-symbols.json');

const MACHINE = { x86_64: 'x64', aarch64: 'arm64', riscv64: 'riscv64' };

// The names a release exports: changes applied in release order.
function exportsOf(changes, release) {
  const names = new Set();
  for (const r of table.releases) {
    for (const n of (changes.removed || {})[r] || []) names.delete(n);
    for (const n of changes.since[r] || []) names.add(n);
    if (r === release) return names;
  }
  throw new Error(`${release} is not in the table`);
}

// Defined dynamic symbols of a shared object, from readelf --dyn-syms.
function readelfExports(file) {
  const names = new Set();
  for (const line of h.readelf(['--dyn-syms', '-W'], file).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+:$/.test(f[0]) || f[6] === 'UND') continue;
    names.add(f[7].replace(/@.*/, ''));
  }
  return names;
}

// Exports a distribution's own patches add or take away, each allowed only when
// the package's changelog records the patch.
function distroPatches() {
  const file = '/usr/share/doc/musl/changelog.Debian.gz';
  if (!fs.existsSync(file)) return { added: () => false, removed: () => false };
  const log = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  const fts = /Import musl-fts/.test(log);
  const noCrypt = /Remove crypt functionality/.test(log);
  return {
    added: (n) => fts && /^fts_/.test(n),
    removed: (n) => noCrypt && ['crypt', 'crypt_r', 'encrypt', 'setkey'].includes(n),
  };
}

describe('musl symbol table', function () {
  const releases = table.releases;

  it('lists releases once each, oldest first, the first as the full baseline', function () {
    const sorted = [...releases].sort(h.cmpVersion);
    assert.deepStrictEqual(releases, sorted);
    assert.strictEqual(new Set(releases).size, releases.length);
    assert.ok(table.since[releases[0]].length > 1000, 'baseline lists every export');
    assert.deepStrictEqual(table.removed[releases[0]], undefined);
  });

  for (const [what, changes] of [['exports', table], ['LFS64 loader remapping', table.lfs64]]) {
    it(`${what}: each change is real, sorted, and never both added and removed in one release`, function () {
      for (const key of [...Object.keys(changes.since), ...Object.keys(changes.removed)]) {
        assert.ok(releases.includes(key), `${key} is a listed release`);
      }
      for (const [i, r] of releases.entries()) {
        const added = changes.since[r] || [];
        const removed = changes.removed[r] || [];
        for (const list of [added, removed]) {
          assert.deepStrictEqual(list, [...new Set(list)].sort(), `${r}: sorted, no repeats`);
        }
        assert.deepStrictEqual(added.filter((n) => removed.includes(n)), [], `${r}: added and removed`);
        if (i === 0) continue;
        const before = exportsOf(changes, releases[i - 1]);
        assert.deepStrictEqual(added.filter((n) => before.has(n)), [], `${r}: added names already there`);
        assert.deepStrictEqual(removed.filter((n) => !before.has(n)), [], `${r}: removed names not there`);
      }
    });
  }

  it('statx first appears in 1.2.5', function () {
    assert.ok(table.since['1.2.5'].includes('statx'));
    assert.ok(!exportsOf(table, '1.2.4').has('statx'));
  });

  it('every LFS64 name the loader remaps resolves to a name that release exports', function () {
    for (const r of releases) {
      const exported = exportsOf(table, r);
      const missing = [...exportsOf(table.lfs64, r)].filter((n) => !exported.has(n.replace('64', '')));
      assert.deepStrictEqual(missing, [], r);
    }
  });

  it('equals the dynamic exports of the installed musl libc.so for its release', function () {
    if (process.arch !== MACHINE[table.arch]) return h.skip(this, `the table is for ${table.arch}, this is ${process.arch}`);
    const loader = `/lib/ld-musl-${table.arch}.so.1`;
    if (!fs.existsSync(loader)) return h.skip(this, `no musl installed (${loader} is missing)`);
    // The musl loader run with no arguments prints its version; it is libc.so itself.
    const version = (spawnSync(loader, [], { encoding: 'utf8' }).stderr.match(/Version (\S+)/) || [])[1];
    if (!version) return h.skip(this, `${loader} did not print its version`);
    if (!releases.includes(version)) return h.skip(this, `installed musl ${version} is not in the table`);
    const truth = readelfExports(fs.realpathSync(loader));
    const listed = exportsOf(table, version);
    const patches = distroPatches();
    assert.deepStrictEqual([...truth].filter((n) => !listed.has(n) && !patches.added(n)).sort(), [],
      `exported by musl ${version} here, not in the table`);
    assert.deepStrictEqual([...listed].filter((n) => !truth.has(n) && !patches.removed(n)).sort(), [],
      `in the table for ${version}, not exported here`);
  });
});
