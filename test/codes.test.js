'use strict';
// The codes no other test produced, each held to the real glibc loader where
// there is one: VERSION_NOT_FOUND and GLIBCXX_TOO_OLD (a version need the
// library loaded at run time does not define), NAPI_EXPERIMENTAL (a function
// this Node's headers declare only under NAPI_EXPERIMENTAL), LOADER_LIMIT (a
// closure larger than the model's bound).
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const ti = require('..');
const { Builder, nodeLoadSequence } = require('./support/loader-fixtures');
const { nodeApiInclude } = require('../scripts/nodedir');
const h = require('./support/helpers');

const codes = (r) => r.problems.map((p) => p.code);

describe('the rarer codes, against the real loader', function () {
  this.timeout(120000);
  let b;
  before(function () {
    if (ti.libc().family !== 'glibc') h.skip(this, 'the glibc loader is the truth here');
    b = new Builder('ti-codes-');
  });
  after(() => b && b.remove());

  // A library linked against `stub` (which defines `version`) but loaded with
  // whatever the run time finds under the stub's name.
  function linkedAgainstStub(name, stubName, version, symbol) {
    const map = path.join(b.dir, `${name}.map`);
    fs.writeFileSync(map, `${version} { global: ${symbol}; local: *; };\n`);
    const stubDir = path.join(b.dir, `stub-${name}`);
    b.lib(stubName, { dir: `stub-${name}`, extra: `int ${symbol}(void) { return 1; }`, flags: [`-Wl,--version-script=${map}`] });
    return b.lib(name, { addon: true, runpath: '$ORIGIN', linkDirs: [stubDir], needs: [stubName],
      extra: `int ${symbol}(void);\nint ${name.replace(/\W/g, '_')}_calls(void) { return ${symbol}(); }` });
  }

  it('VERSION_NOT_FOUND: a version the dependency found at run time does not define', async function () {
    const top = linkedAgainstStub('topv.node', 'libvdep.so', 'VDEP_2', 'vdep_fn');
    // the run-time libvdep.so beside it: the same symbol, under an older version only
    const map = path.join(b.dir, 'vdep1.map');
    fs.writeFileSync(map, 'VDEP_1 { global: vdep_fn; local: *; };\n');
    b.lib('libvdep.so', { extra: 'int vdep_fn(void) { return 2; }', flags: [`-Wl,--version-script=${map}`] });
    const { predicted, loads } = nodeLoadSequence([top]);
    assert.match(String(loads[0].error), /version `VDEP_2' not found \(required by .*topv\.node\)/);
    // the loader stops at the version; the symbol it would then miss is reported too
    assert.strictEqual(codes(predicted.files[0])[0], 'VERSION_NOT_FOUND');
    const alone = await ti.check(top);
    assert.strictEqual(codes(alone)[0], 'VERSION_NOT_FOUND');
    assert.strictEqual(alone.problems[0].library, 'libvdep.so');
  });

  it('no VERSION_NOT_FOUND when the library found has no versions at all: glibc checks nothing then', async function () {
    const top = linkedAgainstStub('topn.node', 'libndep.so', 'NDEP_2', 'ndep_fn');
    b.lib('libndep.so', { extra: 'int ndep_fn(void) { return 2; }' });
    const { predicted, loads } = nodeLoadSequence([top]);
    assert.strictEqual(loads[0].error, null);
    assert.deepStrictEqual(codes(predicted.files[0]), []);
  });

  it('GLIBCXX_TOO_OLD: a GLIBCXX version newer than the libstdc++ Node has loaded', async function () {
    const loaded = ti.modules().find((m) => /\/libstdc\+\+\.so\.6/.test(m.path || ''));
    if (!loaded) h.skip(this, 'this Node has no libstdc++.so.6 loaded');
    const top = linkedAgainstStub('topx.node', 'libstdc++.so.6', 'GLIBCXX_3.4.999', 'ti_cxx_fn');
    fs.rmSync(path.join(b.dir, 'stub-topx.node'), { recursive: true }); // only the real one remains
    const { predicted, loads } = nodeLoadSequence([top]);
    assert.match(String(loads[0].error), /version `GLIBCXX_3\.4\.999' not found/);
    // the loader stops at the version; the symbol it would then miss is reported too
    assert.strictEqual(codes(predicted.files[0])[0], 'GLIBCXX_TOO_OLD');
    assert.strictEqual(predicted.files[0].verdict, 'incompatible');
  });

  it('NAPI_EXPERIMENTAL: a function this Node\'s headers declare only for NAPI_EXPERIMENTAL', async function () {
    const include = nodeApiInclude();
    if (!include) h.skip(this, 'no Node-API headers under the Node install');
    const { functions } = require('../lib/file/napi-versions.json');
    const fn = Object.keys(functions).find((n) => functions[n] === 'experimental' &&
      fs.readFileSync(path.join(include, 'js_native_api.h'), 'utf8').includes(`${n}(`));
    if (!fn) h.skip(this, 'these headers declare no experimental function the table knows');
    const src = path.join(b.dir, 'exp.c');
    fs.writeFileSync(src, `#include <node_api.h>\nvoid *ti_ref = (void *)&${fn};\n` +
      'NAPI_MODULE_INIT() { return exports; }\n');
    const cc = (defs) => spawnSync(process.env.CC || 'cc', ['-shared', '-fPIC', '-Werror=implicit-function-declaration',
      `-I${include}`, ...defs, '-o', path.join(b.dir, 'exp.node'), src], { encoding: 'utf8' });
    // the independent truth: without NAPI_EXPERIMENTAL the headers do not declare it
    assert.notStrictEqual(cc([]).status, 0, `${fn} compiles without NAPI_EXPERIMENTAL`);
    const built = cc(['-DNAPI_EXPERIMENTAL']);
    assert.strictEqual(built.status, 0, built.stderr);
    const r = await ti.check(path.join(b.dir, 'exp.node'));
    const p = r.problems.find((x) => x.code === 'NAPI_EXPERIMENTAL');
    assert.ok(p, JSON.stringify(r.problems));
    assert.strictEqual(p.severity, 'warning');
    assert.match(p.message, new RegExp(fn));
  });

  it('LOADER_LIMIT: a chain longer than the model follows ends with the code, promptly', async function () {
    // one compiled link of the chain, copied with its DT_NEEDED name rewritten
    // (same length) to point at the next: l0000.so -> l0001.so -> ...
    b.lib('l9999.so', { dir: 'chain' });
    const template = fs.readFileSync(b.lib('template.so', { dir: 'chain', needs: ['l9999.so'], soname: null }));
    const dir = path.join(b.dir, 'chain');
    const N = 4200;
    const name = (i) => `l${String(i).padStart(4, '0')}.so`;
    const at = template.indexOf('l9999.so\0');
    assert.ok(at > 0);
    for (let i = 0; i < N; i++) {
      const bytes = Buffer.from(template);
      bytes.write(name(i + 1), at, 'latin1');
      fs.writeFileSync(path.join(dir, name(i)), bytes);
    }
    // CPU time, not wall time: a loaded machine stretches the second, not the work
    const t0 = process.cpuUsage(), w0 = Date.now();
    const r = await ti.check(path.join(dir, name(0)));
    const cpu = process.cpuUsage(t0), ms = (cpu.user + cpu.system) / 1000;
    assert.ok(codes(r).includes('LOADER_LIMIT'), JSON.stringify(codes(r)));
    assert.ok(ms < 20000, `${Math.round(ms)} ms of CPU (${Date.now() - w0} ms wall)`); // about 5 s on an idle 2-core machine
  });
});
