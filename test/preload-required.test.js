'use strict';
// Runtimes that refuse to be loaded late: an addon built with
// -fsanitize=address, judged by check() and required by a real Node child.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const ti = require('..');
const h = require('./support/helpers');
const { nodeApiInclude } = require('../scripts/nodedir');

const codes = (r) => r.problems.map((p) => p.code);
// The real message, from compiler-rt's start-up check (lib/asan/asan_linux.cpp, AsanCheckDynamicRTPrereqs):
// https://github.com/llvm/llvm-project/blob/main/compiler-rt/lib/asan/asan_linux.cpp
const ASAN_MESSAGE = /ASan runtime does not come first in initial library list/;

function requireInChild(file, env = {}) {
  return spawnSync(process.execPath, ['-e', 'require(process.argv[1]); console.log("loaded")', file],
    { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', ...env }, timeout: 60000 });
}

describe('PRELOAD_REQUIRED: sanitizer runtimes that must come first', function () {
  this.timeout(120000);
  let dir;
  const built = {};
  before(function () {
    const inc = nodeApiInclude();
    if (!inc) h.skip(this, 'no Node-API headers');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-san-'));
    const src = path.join(dir, 'a.c');
    fs.writeFileSync(src, '#include <node_api.h>\nNAPI_MODULE_INIT() { return exports; }\n');
    for (const s of ['address', 'undefined']) {
      const out = path.join(dir, `${s}.node`);
      const r = spawnSync('gcc', ['-shared', '-fPIC', `-fsanitize=${s}`, '-I', inc, '-o', out, src], { encoding: 'utf8' });
      if (r.status === 0) built[s] = out;
    }
    if (!built.address) h.skip(this, 'gcc cannot build with -fsanitize=address (libasan not installed)');
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('an ASan addon: check() says PRELOAD_REQUIRED, and require() in a real Node aborts with the runtime\'s message', async function () {
    const r = await ti.check(built.address);
    const child = requireInChild(built.address);
    assert.notStrictEqual(child.status, 0, child.stdout);
    assert.match(child.stderr, ASAN_MESSAGE);
    assert.strictEqual(r.ok, false);
    assert.ok(codes(r).includes('PRELOAD_REQUIRED'), JSON.stringify(r.problems));
    const p = r.problems.find((x) => x.code === 'PRELOAD_REQUIRED');
    assert.match(p.library, /^libasan\.so/);
    assert.match(p.fix, /LD_PRELOAD=\$\(gcc -print-file-name=libasan\.so\)/);
    assert.match(p.fix, /side effects/);
    // the message the child printed, pasted into explain(), names the same code
    const d = ti.explain(child.stderr);
    assert.strictEqual(d.code, 'PRELOAD_REQUIRED');
  });

  it('the fix works: with LD_PRELOAD the runtime is first, require() loads, and check() in that process agrees', function () {
    const lib = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
    const env = { LD_PRELOAD: lib };
    const child = requireInChild(built.address, env);
    assert.strictEqual(child.status, 0, child.stderr);
    assert.match(child.stdout, /loaded/);
    const judged = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(h.ROOT))}).check(process.argv[1])` +
      '.then((r) => console.log(JSON.stringify(r.problems.map((p) => p.code))))', built.address],
    { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', ...env } });
    assert.strictEqual(judged.status, 0, judged.stderr);
    assert.ok(!JSON.parse(judged.stdout.trim().split('\n').pop()).includes('PRELOAD_REQUIRED'), judged.stdout);
  });

  it('a UBSan addon loads late, and check() does not flag it', async function () {
    if (!built.undefined) h.skip(this, 'gcc cannot build with -fsanitize=undefined');
    const child = requireInChild(built.undefined);
    assert.strictEqual(child.status, 0, child.stderr);
    assert.ok(!codes(await ti.check(built.undefined)).includes('PRELOAD_REQUIRED'));
  });

  it('a glibc target whose files cannot be seen judges the runtime by the name the addon needs; musl has no ASan', async function () {
    const r = await ti.check(built.address, { target: 'debian-12' });
    assert.ok(codes(r).includes('PRELOAD_REQUIRED'), JSON.stringify(r.problems));
    assert.ok(!codes(await ti.check(built.address, { target: 'musl' })).includes('PRELOAD_REQUIRED'));
  });
});
