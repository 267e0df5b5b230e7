'use strict';
// The addon itself in a real arm64 Node.js (Debian's, unpacked by
// scripts/arm64-node.js) under qemu-user: built by the cross compiler the way
// a prebuild for linux-arm64 would be, loaded through lib/process/binding.js, and held
// to the arm64 glibc loader's own behaviour.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { resizeTls, tlsAlign } = require('../../lib/reproduce/elf-patch');
const { staticRoom } = require('../../lib/loader/static-tls');
const { nodeApiInclude } = require('../../scripts/nodedir');
const { compileAddon } = require('../../scripts/build-fixtures');
const h = require('../support/helpers');
const { CROSS, run, buildCross, glibcVersion } = require('../support/cross');

const AARCH64 = CROSS.find((c) => c.machine === 'aarch64');
const CC = `${AARCH64.triple}-gcc`;
const ROOT64 = process.env.TI_ARM64_NODE_ROOT || path.join(h.ROOT, '.cache', 'arm64-node');
const CHILD = path.join(__dirname, '..', 'child', 'node-load.js');

function missing() {
  if (!h.haveCommand(CC)) return `${CC} is not installed (Debian: gcc-aarch64-linux-gnu)`;
  if (!h.haveCommand('qemu-aarch64')) return 'qemu-aarch64 is not installed (Debian: qemu-user)';
  if (!fs.existsSync(path.join(ROOT64, 'usr', 'bin', 'node'))) {
    return `no arm64 Node in ${ROOT64}: run "node scripts/arm64-node.js" (needs dpkg --add-architecture arm64)`;
  }
  if (!nodeApiInclude()) return 'no Node-API headers under the Node prefix';
  return null;
}

// Starts an arm64 program with the unpacked root as its /; env adds to what the guest sees.
const start64 = (args, env = {}) => run('qemu-aarch64', args, { QEMU_LD_PREFIX: ROOT64, ...env });

// Runs the child under the arm64 Node.
function node64(args, env = {}) {
  const r = start64([path.join(ROOT64, 'usr', 'bin', 'node'), CHILD, ...args], env);
  assert.ok(r.ok, r.err);
  return JSON.parse(r.out);
}

// The file a guest path names on this machine: qemu-user looks under the prefix first.
function hostPath(p) {
  const under = path.join(ROOT64, p);
  return fs.realpathSync(fs.existsSync(under) ? under : p);
}

describe('the addon in an arm64 Node (qemu-user)', function () {
  this.timeout(300000);
  let dir, pkg, first, fixtures;

  before(function () {
    const why = missing();
    if (why) h.skip(this, why);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-arm64-'));
    pkg = path.join(dir, 'tls-inspect');
    fs.mkdirSync(path.join(pkg, 'prebuilds', 'linux-arm64'), { recursive: true });
    for (const d of ['lib', 'bin']) fs.cpSync(path.join(h.ROOT, d), path.join(pkg, d), { recursive: true });
    fs.copyFileSync(path.join(h.ROOT, 'package.json'), path.join(pkg, 'package.json'));
    // this machine's own build, as in a node_modules shared between architectures: passed over
    const local = path.join(h.ROOT, 'build', 'Release', 'tls_inspect.node');
    if (fs.existsSync(local)) {
      fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
      fs.copyFileSync(local, path.join(pkg, 'build', 'Release', 'tls_inspect.node'));
    }
    const addon = compileAddon(CC, path.join(pkg, 'prebuilds', 'linux-arm64', 'tls-inspect.napi.glibc.node'),
      ['-ldl', '-lpthread']);
    assert.ok(addon.ok, addon.output);
    fixtures = buildCross(AARCH64, dir).files;
    first = node64([pkg]);
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('loads the arm64 prebuild (passing over an x86_64 build/); libc() is the arm64 glibc that libc.so.6 itself names', function () {
    assert.strictEqual(first.arch, 'arm64');
    const libc = path.join(ROOT64, 'lib', AARCH64.triple, 'libc.so.6');
    assert.deepStrictEqual([first.libc.family, first.libc.version], ['glibc', glibcVersion(start64, libc)]);
    assert.ok(first.modules.some((m) => m.path.endsWith(path.join('linux-arm64', 'tls-inspect.napi.glibc.node'))));
  });

  it('modules() lists exactly the files with an executable mapping, and places start-up TLS above the thread pointer', function () {
    const listed = first.modules.filter((m) => !m.vdso).map((m) => hostPath(m.path)).sort();
    assert.deepStrictEqual([...new Set(listed)], [...new Set(first.maps.map((p) => fs.realpathSync(p)))].sort());
    const placed = first.modules.filter((m) => m.tls && m.tls.placement === 'static');
    assert.ok(placed.length >= 2, 'libc and libnode at least');
    for (const m of placed) assert.ok(m.tls.offset >= 16 && m.tls.offset + m.tls.size <= first.staticTls.used, m.path);
  });

  it('staticTls() is exact on variant I: a block of exactly the room loads, one byte more is refused', function () {
    const st = first.staticTls;
    assert.deepStrictEqual([st.exact, st.variant, st.size], [true, 1, st.used + st.remaining]);
    const tpl = fs.readFileSync(fixtures['initial-exec']);
    const align = tlsAlign(tpl);
    const room = staticRoom(st, align);
    const fits = path.join(dir, `ie-${room}.so`);
    fs.writeFileSync(fits, resizeTls(tpl, room));
    const a = node64([pkg, fits]);
    assert.strictEqual(a.loaded, true, a.error);
    assert.deepStrictEqual([a.after.module.tls.placement, a.after.module.tls.offset], ['static', Math.ceil(st.used / align) * align]);
    assert.ok(a.after.staticTls.remaining < align, `${a.after.staticTls.remaining} left`);
    const over = path.join(dir, `ie-${room + 1}.so`);
    fs.writeFileSync(over, resizeTls(tpl, room + 1));
    const b = node64([pkg, over]);
    assert.strictEqual(b.loaded, false);
    assert.match(b.error, /cannot allocate memory in static TLS block/);
    // check() saw it coming, and the tunable it names makes the same file load
    const p = b.check.problems.find((x) => x.code === 'STATIC_TLS_EXHAUSTED');
    assert.ok(p && p.tunable, JSON.stringify(b.check.problems));
    const c = node64([pkg, over], { GLIBC_TUNABLES: p.tunable.replace('GLIBC_TUNABLES=', '') });
    assert.strictEqual(c.loaded, true, `${p.tunable}: ${c.error}`);
  });

  it('a block aligned beyond the static area (64 > 32) is refused at 8 bytes, as check() says, with no tunable', function () {
    const r = node64([pkg, fixtures['initial-exec-align64']]);
    assert.strictEqual(r.staticTls.align, 32);
    assert.strictEqual(r.loaded, false);
    assert.match(r.error, /cannot allocate memory in static TLS block/);
    const p = r.check.problems.find((x) => x.code === 'STATIC_TLS_EXHAUSTED');
    assert.ok(p && !p.tunable && p.tlsAlign === 64, JSON.stringify(r.check.problems));
  });
});
