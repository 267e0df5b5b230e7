'use strict';
// Hostile inputs from issue 22: each attack ends within seconds with a result
// or a coded error, and the answers stay those of the real loader.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const { sharedObject } = require('./support/elf-build');

const LD_SO = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-x86-64.so.2'].find((f) => fs.existsSync(f));
const x64 = process.arch === 'x64';

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hardening-'));
  t.teardown = () => fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

const count = (problems, code) => problems.filter((p) => p.code === code).length;

// What glibc's own loader maps for `file` (ld.so --list): name -> path.
function glibcList(file) {
  const r = spawnSync(LD_SO, ['--list', file], { encoding: 'utf8', timeout: 20000 });
  const out = new Map();
  for (const m of `${r.stdout}\n${r.stderr}`.matchAll(/^\s*(\S+) => (\S+)/gm)) out.set(m[1], m[2]);
  return out;
}

describe('hardening (issue 22)', function () {
  this.timeout(20000);
  const ctx = {};
  afterEach(() => {
    if (ctx.teardown) ctx.teardown();
    ctx.teardown = null;
  });

  describe('a search path of thousands of entries times hundreds of missing libraries', function () {
    if (!x64) return; // elf-build writes x86_64 objects
    const needed = Array.from({ length: 500 }, (_, i) => `libhardening-missing${i}.so`);
    const empties = ':'.repeat(7999); // 8,000 empty entries: the current directory, every time

    for (const tags of [1, 10, 250]) {
      it(`${tags} DT_RUNPATH tag(s) of 8,000 entries and 500 missing NEEDED: every library judged, in seconds`, async function () {
        this.timeout(8000); // the old model took 5 s, 87 s and a RangeError
        const file = path.join(tempDir(ctx), 'evil.node');
        fs.writeFileSync(file, sharedObject({ needed, runpaths: Array(tags).fill(empties) }).bytes);
        const t0 = Date.now();
        const r = await ti.check(file);
        const ms = Date.now() - t0;
        assert.strictEqual(r.error, undefined);
        assert.strictEqual(count(r.problems, 'MISSING_LIBRARY'), 500, JSON.stringify(r.problems.slice(0, 2)));
        assert.ok(ms < 4000, `${ms} ms`);
      });
    }

    it('several DT_RUNPATH tags: the last one is searched, as glibc\'s loader does (ld.so --list)', async function () {
      if (!LD_SO) this.skip(); // no glibc loader to ask
      const dir = tempDir(ctx);
      for (const d of ['a', 'b']) fs.mkdirSync(path.join(dir, d));
      const lib = ['/usr/lib/x86_64-linux-gnu/libz.so.1', '/lib/x86_64-linux-gnu/libz.so.1'].find((f) => fs.existsSync(f));
      if (!lib) this.skip(); // no small real library to copy
      fs.copyFileSync(lib, path.join(dir, 'a', 'libhz.so'));
      const tops = { first: [`${dir}/a`, `${dir}/b`], last: [`${dir}/b`, `${dir}/a`] };
      for (const [name, runpaths] of Object.entries(tops)) {
        const file = path.join(dir, `${name}.so`);
        fs.writeFileSync(file, sharedObject({ needed: ['libhz.so'], runpaths }).bytes);
        const truth = glibcList(file).get('libhz.so') || null;
        const r = await ti.check(file);
        const dep = r.closure.find((o) => o.name === 'libhz.so');
        assert.ok(dep, name);
        assert.strictEqual(dep.path || null, truth, `${name}: ${JSON.stringify(dep)}`);
        assert.deepStrictEqual(ti.analyzeSync(file).runpath, [runpaths[1]]);
      }
    });

    it('1,100 distinct existing directories for 500 names: the search stops at its bound and says so (LOADER_LIMIT)', async function () {
      this.timeout(8000);
      const dir = tempDir(ctx);
      for (let i = 0; i < 1100; i++) fs.mkdirSync(path.join(dir, `d${i}`));
      const file = path.join(dir, 'wide.node');
      const runpath = Array.from({ length: 1100 }, (_, i) => `$ORIGIN/d${i}`).join(':');
      fs.writeFileSync(file, sharedObject({ needed, runpaths: [runpath] }).bytes);
      const t0 = Date.now();
      const r = await ti.check(file);
      const ms = Date.now() - t0;
      assert.strictEqual(r.error, undefined);
      assert.strictEqual(count(r.problems, 'LOADER_LIMIT'), 1);
      assert.strictEqual(r.verdict, 'incompatible');
      assert.ok(ms < 4000, `${ms} ms`);
    });

    it('an internal exception in an error entry is TI_EINTERNAL, never an I/O error', function () {
      const { errorResult } = require('../lib/loader/check');
      assert.strictEqual(errorResult('x.node', 'host', new RangeError('Maximum call stack size exceeded')).error.code,
        'TI_EINTERNAL');
      const io = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' });
      assert.strictEqual(errorResult('x.node', 'host', io).error.code, 'TI_EIO');
      assert.strictEqual(errorResult('x.node', 'host', { code: 'TI_ENOTELF', message: 'no' }).error.code, 'TI_ENOTELF');
    });
  });

  describe('scan follows links as module resolution meets them', function () {
    // base/tree/node_modules: a pnpm layout (package links into .pnpm, links
    // between packages in it, a scoped package), a workspace link to a package
    // outside the tree, and a package with links out of the tree; base/canary
    // is outside the tree and holds a .node nobody may see.
    function layout(base) {
      const elf = sharedObject({}).bytes;
      const put = (rel, bytes = elf) => {
        fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
        fs.writeFileSync(path.join(base, rel), bytes);
      };
      const link = (target, rel) => {
        fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
        fs.symlinkSync(target, path.join(base, rel));
      };
      const nm = 'tree/node_modules';
      const pkg = (name) => JSON.stringify({ name, version: '1.0.0' });
      put(`${nm}/.pnpm/foo@1.0.0/node_modules/foo/package.json`, pkg('foo'));
      put(`${nm}/.pnpm/foo@1.0.0/node_modules/foo/build/Release/foo.node`);
      put(`${nm}/.pnpm/bar@2.0.0/node_modules/bar/package.json`, pkg('bar'));
      put(`${nm}/.pnpm/bar@2.0.0/node_modules/bar/bar.node`);
      put(`${nm}/.pnpm/@sc+pkg@1.0.0/node_modules/@sc/pkg/package.json`, pkg('@sc/pkg'));
      put(`${nm}/.pnpm/@sc+pkg@1.0.0/node_modules/@sc/pkg/sc.node`);
      link('.pnpm/foo@1.0.0/node_modules/foo', `${nm}/foo`);
      link('../../bar@2.0.0/node_modules/bar', `${nm}/.pnpm/foo@1.0.0/node_modules/bar`);
      link('../.pnpm/@sc+pkg@1.0.0/node_modules/@sc/pkg', `${nm}/@sc/pkg`);
      put('workspace/ws/package.json', pkg('ws'));
      put('workspace/ws/ws.node');
      link('../../workspace/ws', `${nm}/ws`);
      put('canary/secret.node');
      put('canary/deeper/secret2.node');
      put(`${nm}/evil/package.json`, pkg('evil'));
      link('/', `${nm}/evil/root`);
      link(path.join(base, 'canary'), `${nm}/evil/canary`);
      link('../../../canary', `${nm}/evil/relative`);
      link(path.join(base, 'canary'), `${nm}/notapackage`); // a package place, but no package.json there
      link('../foo/build', `${nm}/evil/inside`); // inside the tree: may be entered (it is the same directory)
      return path.join(base, nm);
    }

    it('pnpm and workspace links are walked; links out of the tree are not (canary unseen, / not walked)', async function () {
      this.timeout(15000);
      const base = fs.realpathSync(tempDir(ctx));
      const dir = layout(base);
      const seen = new Set();
      const t0 = Date.now();
      let stopped = false;
      for await (const r of ti.scan(dir, { all: true })) {
        seen.add(fs.realpathSync(r.realPath || r.path));
        if (Date.now() - t0 > 6000) { // the old walker went on into / for minutes
          stopped = true;
          break;
        }
      }
      assert.strictEqual(stopped, false, `still walking after 6 s (${seen.size} files)`);
      const nm = path.join(base, 'tree/node_modules');
      assert.deepStrictEqual([...seen].sort(), [
        `${nm}/.pnpm/@sc+pkg@1.0.0/node_modules/@sc/pkg/sc.node`,
        `${nm}/.pnpm/bar@2.0.0/node_modules/bar/bar.node`,
        `${nm}/.pnpm/foo@1.0.0/node_modules/foo/build/Release/foo.node`,
        path.join(base, 'workspace/ws/ws.node'),
      ].sort());
    });

    it('the walker itself (lib/file/walk.js) stays in the tree: nothing under the canary or / is listed', async function () {
      this.timeout(15000);
      const base = fs.realpathSync(tempDir(ctx));
      const dir = layout(base);
      const { walk } = require('../lib/file/walk');
      const listed = [];
      const t0 = Date.now();
      for await (const batch of walk(dir)) {
        for (const e of batch) listed.push(e.path);
        if (Date.now() - t0 > 6000) break;
      }
      const out = listed.filter((p) => /\/(root|canary|relative|notapackage)\//.test(p));
      assert.deepStrictEqual(out, []);
      assert.ok(listed.some((p) => p.endsWith('/ws.node')), listed.join('\n'));
      assert.ok(listed.some((p) => p.endsWith('/sc.node')), listed.join('\n'));
    });
  });

  describe('check() keeps no analysis under another file\'s identity', function () {
    it('a link swapped between the identity stat and the read: the next check() sees the file as it is', async function () {
      if (!x64) this.skip(); // elf-build writes x86_64 objects
      const analyzeModule = require('../lib/file/analyze');
      const dir = tempDir(ctx);
      const a = path.join(dir, 'a.node'), b = path.join(dir, 'b.node'), link = path.join(dir, 'addon.node');
      fs.writeFileSync(a, sharedObject({ needed: ['libonly-in-a.so'] }).bytes);
      fs.writeFileSync(b, sharedObject({ needed: ['libonly-in-b.so'] }).bytes);
      fs.symlinkSync(a, link);
      const settle = analyzeModule.REMEMBER.settleMs;
      const binding = require('../lib/process/binding');
      const fileVersion = binding.fileVersion;
      analyzeModule.REMEMBER.settleMs = 0; // files written just now count as settled
      let swapped = false;
      // the seam: right after check() stats the path for its identity, the link moves to b
      binding.fileVersion = function (p) {
        const v = fileVersion.apply(this, arguments);
        if (!swapped && p === link) {
          swapped = true;
          fs.unlinkSync(link);
          fs.symlinkSync(b, link);
        }
        return v;
      };
      try {
        await ti.check(link);
      } finally {
        binding.fileVersion = fileVersion;
      }
      try {
        assert.ok(swapped, 'the seam was not reached');
        fs.unlinkSync(link);
        fs.symlinkSync(a, link); // back to a: what is there now is what must be judged
        const r = await ti.check(link);
        assert.deepStrictEqual(r.analysis.needed, ['libonly-in-a.so']);
        assert.deepStrictEqual(r.problems.filter((p) => p.code === 'MISSING_LIBRARY').map((p) => p.library || p.message)
          .some((m) => /libonly-in-b/.test(m)), false);
        const again = await ti.check(link); // and a warm check of the unchanged file is still a's
        assert.deepStrictEqual(again.analysis.needed, ['libonly-in-a.so']);
      } finally {
        analyzeModule.REMEMBER.settleMs = settle;
      }
    });
  });
});
