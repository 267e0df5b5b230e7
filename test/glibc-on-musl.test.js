'use strict';
// A glibc build dlopened on musl, judged by its symbols: musl answers to
// libc.so.6 itself and, under RTLD_LAZY (Node's mode), defers PLT and GOT
// slots it cannot bind.  Truth: the real musl loader (the musl ti-probe),
// dlopening each file lazily and with RTLD_NOW, against check() on the same
// musl release.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { check } = require('../lib');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');
const { muslLoadSequence } = require('./support/loader-fixtures');
const { npmPackage } = require('./support/npm-cache');

const ADDON = 'void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }\n';
// name -> [C source, extra flags]: what each needs of glibc and how it refers to it
const CASES = {
  'plain.node': ['#include <string.h>\nint f(const char *s) { return (int)strlen(s); }\n'],
  'fortified.node': ['#include <stdio.h>\nint f(char *b, int n, const char *s) { return snprintf(b, n, "%s", s); }\n', ['-D_FORTIFY_SOURCE=2']],
  'fnptr.node': ['#include <gnu/libc-version.h>\nconst char *(*keep)(void) = gnu_get_libc_version;\n'],
  'gotref.node': ['#include <fcntl.h>\nlong f(void) { return (long)&fcntl; }\n', ['-D_FILE_OFFSET_BITS=64']],
  'twocalls.node': ['#include <gnu/libc-version.h>\n#include <string.h>\nextern void *rawmemchr(const void *, int);\n' +
    'const char *f(void) { return gnu_get_libc_version(); }\nvoid *g(const char *s) { return rawmemchr(s, 0); }\n'],
};

function muslRelease() {
  const loader = '/lib/ld-musl-x86_64.so.1';
  if (!fs.existsSync(loader)) return null;
  const m = /Version (\d+\.\d+\.\d+)/.exec(spawnSync(loader, [], { encoding: 'utf8' }).stderr);
  return m && m[1];
}

// The symbol a musl error names: "Error relocating X: sym: symbol not found".
const named = (error) => (/: ([^:\s]+): symbol not found/.exec(error || '') || [])[1] || null;

describe('glibc builds on musl, judged by their symbols (real musl loader)', function () {
  this.timeout(120000);
  let dir, release;
  const files = {};
  before(function () {
    release = process.arch === 'x64' && muslRelease();
    if (!release || !h.haveCommand('gcc')) return h.skip(this, 'needs x86_64 with musl installed and gcc');
    if (!fixtures.list().musl) return h.skip(this, 'no musl fixtures (node scripts/build-fixtures.js with musl-gcc)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-glibc-on-musl-'));
    for (const [name, [src, flags = []]] of Object.entries(CASES)) {
      fs.writeFileSync(path.join(dir, `${name}.c`), `#define _GNU_SOURCE\n${src}${ADDON}`);
      files[name] = path.join(dir, name);
      execFileSync('gcc', ['-O2', '-fPIC', '-shared', ...flags, '-o', files[name], path.join(dir, `${name}.c`)]);
    }
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of Object.keys(CASES)) {
    it(`${name}: loads (or not) as the real musl loader says, lazily and with RTLD_NOW`, async function () {
      const file = files[name];
      const lazy = muslLoadSequence([file]).loads[0];
      const now = muslLoadSequence([file], { lazy: false }).loads[0];
      const target = `musl@${release}`;
      const r = await check(file, { target });
      const p = r.problems.find((x) => x.code === 'LIBC_MISMATCH');
      assert.ok(p, JSON.stringify(r.problems));
      assert.strictEqual(r.ok, lazy.loaded, `${lazy.error} / ${JSON.stringify(r.problems)}`);
      assert.strictEqual(p.severity, lazy.loaded ? 'warning' : 'error');
      if (!lazy.loaded) assert.ok(p.failAtLoad.includes(named(lazy.error)), `${lazy.error} / ${p.failAtLoad}`);
      // what binds at load under RTLD_NOW is every symbol musl lacks: the first one musl names is among them
      const bound = await check(file, { target, lazy: false });
      const q = bound.problems.find((x) => x.code === 'LIBC_MISMATCH');
      assert.strictEqual(bound.ok, now.loaded, `${now.error} / ${JSON.stringify(bound.problems)}`);
      if (!now.loaded) {
        assert.ok(q.failAtLoad.includes(named(now.error)), `${now.error} / ${q.failAtLoad}`);
        if (lazy.loaded) assert.ok(p.failWhenCalled.includes(named(now.error)), p.message);
      } else {
        assert.deepStrictEqual([p.failAtLoad, p.failWhenCalled, q.failAtLoad], [[], [], []]);
      }
    });
  }

  it('bufferutil@4.0.9\'s glibc prebuild loads under the real musl loader: a warning, not an error', async function () {
    const pkg = npmPackage('bufferutil@4.0.9');
    if (!pkg.dir) return h.skip(this, pkg.why);
    const file = path.join(pkg.dir, 'prebuilds', 'linux-x64', 'bufferutil.node');
    assert.strictEqual(muslLoadSequence([file]).loads[0].loaded, true);
    const r = await check(file, { target: `musl@${release}` });
    assert.deepStrictEqual(r.problems.map((p) => [p.code, p.severity]), [['LIBC_MISMATCH', 'warning']]);
    assert.strictEqual(r.ok, true);
  });

  it('a glibc program (not a library to dlopen) stays refused: its interpreter is not there', async function () {
    const src = path.join(dir, 'main.c');
    fs.writeFileSync(src, 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-o', path.join(dir, 'main'), src]);
    const r = await check(path.join(dir, 'main'), { target: `musl@${release}` });
    assert.deepStrictEqual(r.problems.filter((p) => p.severity === 'error').map((p) => p.code).sort(), ['BAD_INTERPRETER', 'LIBC_MISMATCH']);
  });
});
