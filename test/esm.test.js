'use strict';
// The package as an application sees it once installed: the exports map, ESM
// named imports of every public name, and the register hook through both
// -r and --import.  The app links the package into its node_modules.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

// The runtime names index.d.ts declares (functions, consts, classes).
function declaredNames() {
  const dts = fs.readFileSync(path.join(h.ROOT, 'index.d.ts'), 'utf8');
  return [...dts.matchAll(/^export (?:declare )?(?:function|const|class) (\w+)/gm)].map((m) => m[1]).sort();
}

describe('ESM and the exports map, from an app that installed the package', function () {
  this.timeout(60000);
  let app;
  before(function () {
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-esm-app-'));
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true,"type":"module"}\n');
    fs.mkdirSync(path.join(app, 'node_modules'));
    fs.symlinkSync(h.ROOT, path.join(app, 'node_modules', 'tls-inspect'), 'dir');
    fs.copyFileSync(fixtures.template('undefined'), path.join(app, 'undef.node'));
  });
  after(() => app && fs.rmSync(app, { recursive: true, force: true }));

  function node(args, script, name = 'app.mjs') {
    fs.writeFileSync(path.join(app, name), script);
    const r = spawnSync(process.execPath, [...args, name], { cwd: app, encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  it('import { check, fixtures, TlsInspectError, ... } from \'tls-inspect\': every declared name, the same objects', function () {
    const names = declaredNames();
    assert.ok(names.length >= 13 && names.includes('fixtures') && names.includes('TlsInspectError'), names.join());
    const r = node([], `import { check, fixtures, TlsInspectError } from 'tls-inspect';
      import * as ns from 'tls-inspect';
      import ti from 'tls-inspect';
      import { createRequire } from 'module';
      const cjs = createRequire(import.meta.url)('tls-inspect');
      const names = ${JSON.stringify(names)};
      const result = await check(fixtures.template('global-dynamic'));
      let invalid;
      try { await check('x.node', { target: 'windows-95' }); } catch (e) { invalid = e; }
      console.log(JSON.stringify({
        missing: names.filter((n) => ns[n] === undefined),
        same: names.every((n) => ns[n] === cjs[n]) && ti === cjs,
        extra: Object.keys(ns).filter((n) => n !== 'default' && !names.includes(n)),
        verdict: result.verdict,
        invalid: { code: invalid.code, isTlsInspectError: invalid instanceof TlsInspectError },
        version: createRequire(import.meta.url)('tls-inspect/package.json').version,
      }));`);
    assert.deepStrictEqual(r, { missing: [], same: true, extra: [], verdict: 'compatible',
      invalid: { code: 'TI_EINVAL', isTlsInspectError: true },
      version: JSON.parse(fs.readFileSync(path.join(h.ROOT, 'package.json'), 'utf8')).version });
  });

  it('node --import tls-inspect/register and node -r tls-inspect/register explain a failing addon load', function () {
    const load = `import { createRequire } from 'module';
      try { createRequire(import.meta.url)('./undef.node'); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, diagnosis: e.tlsInspect && e.tlsInspect.code })); }`;
    const want = { code: 'ERR_DLOPEN_FAILED', diagnosis: 'UNDEFINED_SYMBOL' };
    assert.deepStrictEqual(node(['--import', 'tls-inspect/register'], load), want);
    assert.deepStrictEqual(node(['-r', 'tls-inspect/register'], load), want);
    assert.deepStrictEqual(node([], load), { code: 'ERR_DLOPEN_FAILED' });
  });

  it('internals are not importable: the public API carries what tests and scripts need', function () {
    const r = node([], `import { createRequire } from 'module';
      import { report } from 'tls-inspect';
      let code;
      try { createRequire(import.meta.url)('tls-inspect/lib/process/binding'); } catch (e) { code = e.code; }
      console.log(JSON.stringify({ code, addon: report().addon }));`);
    assert.strictEqual(r.code, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
    const here = require('..').report().addon.path;
    assert.strictEqual(r.addon.path, here);
    assert.ok(h.executableMappings().has(fs.realpathSync(here)), `${here} is the binary mapped in this process`);
  });
});
