'use strict';
// node-pre-gyp templates come from package.json, so matching one must cost
// what the file names cost, not what the template asks for: placeholders
// node-pre-gyp does not know stay literal (as it leaves them), target
// placeholders are bounded per path segment, and hostile templates end at once.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');

async function scanOne(modulePath, file) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-templates-'));
  try {
    const dir = path.join(root, 'node_modules', 'evil');
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'),
      JSON.stringify({ name: 'evil', version: '1.0.0', binary: { module_name: 'm', module_path: modulePath } }));
    fs.copyFileSync(fixtures.template('culprit'), path.join(dir, file));
    const t0 = process.hrtime.bigint();
    const out = [];
    for await (const r of ti.scan(path.join(root, 'node_modules'))) out.push(r);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('node-pre-gyp templates: matching is bounded by the names, not the template', function () {
  this.timeout(60000);
  const HOSTILE = {
    // 12 unknown placeholders before a literal, against a 40-character name (took 17 s at 8 before)
    'unknown placeholders': [`${Array.from({ length: 12 }, (_, i) => `{p${i}}`).join('')}Q`, `${'a'.repeat(40)}.node`],
    'target placeholders side by side': ['{platform}{arch}{libc}{platform}{arch}{libc}', `${'a'.repeat(200)}/m.node`],
    'classes that hold their separator': ['{node_abi}.{node_abi}.{node_abi}.{node_abi}.{node_abi}', `node-v${'1.'.repeat(120)}x/m.node`],
    // literal text the classes also accept, between five target placeholders (5 s when segments were unbounded)
    'separators the classes hold': ['x{platform}0{arch}0{target_arch}0{target_platform}0{napi_version}!', `x${'0'.repeat(60)}/m.node`],
    'many segments': [Array.from({ length: 40 }, () => '{platform}').join('/'), `${'a/'.repeat(40)}m.node`],
  };
  for (const [name, [modulePath, file]] of Object.entries(HOSTILE)) {
    it(`${name}: a coded answer within 500 ms`, async function () {
      const { ms, out } = await scanOne(modulePath, file);
      // the one file, skipped; the package itself is then reported as having no binary here
      const files = out.filter((r) => r.path.endsWith('.node'));
      assert.strictEqual(files.length, 1);
      assert.strictEqual(files[0].verdict, 'skipped', JSON.stringify(files[0]));
      assert.ok(out.filter((r) => !files.includes(r)).every((r) => r.problems.some((p) => p.code === 'NO_BINARY')));
      assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
    });
  }

  it('an ordinary template still places each build on its platform', async function () {
    const { out } = await scanOne('lib/binding/napi-v{napi_build_version}-{platform}-{libc}-{arch}',
      'lib/binding/napi-v-darwin-unknown-arm64/m.node');
    assert.strictEqual(out[0].reason, 'for darwin-arm64');
  });
});
