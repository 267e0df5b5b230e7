'use strict';
// Target names as users speak them, held to the packages that define them:
// npm platform packages' own os/cpu/libc fields for the platform names,
// node-abi's registry and the running Node for ABI numbers, this machine's
// libc for `--cpu X` alone.
const assert = require('assert');
const { spawnSync } = require('child_process');
const path = require('path');
const ti = require('..');
const { resolveTarget, NODE, ELECTRON, NODE_ABI_VERSION } = require('../lib/loader/targets');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const cli = (args) => spawnSync(process.execPath, [path.join(h.ROOT, 'bin', 'tls-inspect.js'), ...args], { encoding: 'utf8' });

describe('targets: the names users speak', function () {
  this.timeout(60000);

  it('platform names mean what the platform packages of that name declare (os, cpu, libc)', function () {
    const names = ['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'linux-arm64-musl', 'linux-arm-gnueabihf'];
    const view = spawnSync('npm', ['view', ...names.map((n) => `@napi-rs/canvas-${n}`).slice(0, 1), 'os', 'cpu', 'libc', '--json'],
      { encoding: 'utf8', timeout: 30000 });
    if (view.status !== 0) h.skip(this, `the npm registry does not answer (${(view.stderr || '').trim().split('\n')[0]})`);
    const packages = [...names.map((n) => [n, `@napi-rs/canvas-${n}`]), ['linuxmusl-x64', '@img/sharp-linuxmusl-x64'],
      ['linux-x64', '@img/sharp-linux-x64']];
    for (const [name, pkg] of packages) {
      const r = spawnSync('npm', ['view', pkg, 'os', 'cpu', 'libc', '--json'], { encoding: 'utf8', timeout: 30000 });
      assert.strictEqual(r.status, 0, `${pkg}: ${r.stderr}`);
      const fields = JSON.parse(r.stdout);
      const t = resolveTarget(name);
      assert.deepStrictEqual([t.os, t.cpu], [fields.os[0], fields.cpu[0]], pkg);
      if (fields.libc) assert.strictEqual(t.libc, fields.libc[0], pkg);
      else assert.strictEqual(t.libc, 'glibc', `${pkg} names no libc: npm installs it on glibc`);
    }
  });

  it('other systems\' names are refused with TI_ENOTSUP, unknown cpus and abis with TI_EINVAL', function () {
    assert.throws(() => resolveTarget('darwin-arm64'), (e) => e.code === 'TI_ENOTSUP');
    assert.throws(() => resolveTarget('win32-x64-msvc'), (e) => e.code === 'TI_ENOTSUP');
    assert.throws(() => resolveTarget('linux-sparc-gnu'), (e) => e.code === 'TI_EINVAL');
    assert.throws(() => resolveTarget('linux-x64-uclibc'), (e) => e.code === 'TI_EINVAL');
    assert.throws(() => resolveTarget('linux-x64-gnu', { cpu: 'arm64' }), (e) => e.code === 'TI_EINVAL');
  });

  it('ABI numbers: node-abi\'s registry for every Node and Electron major, and the running Node agrees', function () {
    const { getAbi } = require('node-abi');
    assert.strictEqual(NODE_ABI_VERSION, JSON.parse(require('fs').readFileSync(path.join(h.ROOT, 'node_modules', 'node-abi', 'package.json'), 'utf8')).version, 'regenerate: node scripts/gen-node-abi.js');
    for (const [major, n] of Object.entries(NODE)) assert.strictEqual(String(n.abi), getAbi(`${major}.0.0`, 'node'), `node ${major}`);
    for (const [major, [abi]] of Object.entries(ELECTRON)) assert.strictEqual(String(abi), getAbi(`${major}.0.0`, 'electron'), `electron ${major}`);
    const mine = NODE[process.versions.node.split('.')[0]];
    assert.strictEqual(mine.abi, Number(process.versions.modules));
    assert.ok(mine.napi >= Number(process.versions.napi), 'the newest release of a major has at least its Node-API level');
    assert.ok(NODE[26] && NODE[26].abi === 147, 'Node 26 is known');
  });

  it('--cpu alone means this system on that cpu: its libc release, this Node', async function () {
    const t = resolveTarget('host', { cpu: process.arch === 'arm64' ? 'x64' : 'arm64' });
    const lc = ti.libc();
    assert.strictEqual(t[t.libc], lc.version);
    assert.strictEqual(t.abi, Number(process.versions.modules));
    const file = fixtures.template('culprit');
    const r = cli(['check', file, '--cpu', t.cpu, '--json']);
    assert.strictEqual(r.status, 1, r.stderr);
    const codes = JSON.parse(r.stdout).problems.map((p) => p.code);
    assert.ok(codes.includes('ARCH_MISMATCH'), JSON.stringify(codes));
    const same = await ti.check(file, { cpu: process.arch });
    assert.ok(!same.problems.some((p) => p.code === 'ARCH_MISMATCH'));
  });
});
