'use strict';
// The lab (scripts/lab.js): Debian 11/12/13 root filesystems running each
// official Node build under chroot.  Inside every system, with every Node:
// staticTls() is exact to the byte against the real loader (an initial-exec
// block of its remaining bytes loads, one byte more does not), and each preset
// named after that system (node:<major>-<release>, debian-<n>) judges those
// two libraries as the loader did.  Also the loaders' other verdicts that
// only these systems can show: glibc 2.41 refuses executable-stack
// libraries, Node 26 needs libatomic.so.1 which minimal images lack.
//
// Needs root, chroot and mount; the roots come from $TI_LAB_CACHE or
// .cache/lab (built once by debootstrap: about two minutes each), the Node
// builds from npm once.  Skips, saying why, when any of that is missing.
const assert = require('assert');
const path = require('path');
const { spawnSync } = require('child_process');
const lab = require('../../scripts/lab');
const { PRESETS } = require('../../lib/loader/targets');
const h = require('../helpers');

const roots = {};

// The root of a release, staged with this checkout, or a skip saying why.
function rootOf(ctx, release) {
  const why = lab.unavailable();
  if (why) h.skip(ctx, why);
  if (!roots[release]) {
    try {
      roots[release] = lab.ensureRoot(release);
      lab.stageProject(roots[release]);
    } catch (e) {
      if (e instanceof lab.LabSkip) h.skip(ctx, e.message);
      throw e;
    }
  }
  return roots[release];
}

function nodeOf(ctx, major) {
  try {
    lab.ensureNode(major);
  } catch (e) {
    if (e instanceof lab.LabSkip) h.skip(ctx, e.message);
    throw e;
  }
}

// Node in the root, with what it needs to start there (Node 26: the
// release's libatomic1 by LD_LIBRARY_PATH) -> { node, opts }.
function nodeIn(root, release, major) {
  const node = lab.stageNode(root, major);
  const probe = lab.inRoot(root, [node, '-e', '0']);
  if (probe.status === 0) return { node, opts: {} };
  const missing = /error while loading shared libraries: ([^:]+)/.exec(probe.stderr);
  assert.ok(missing, probe.stderr);
  return { node, opts: { env: { LD_LIBRARY_PATH: lab.ensureExtra(root, release, missing[1]) } } };
}

const fixtureIn = (root, bytes) => lab.stage(root, lab.fixture(bytes), `fixtures/ie-${bytes}.so`);

// checkSync(file, { target }) inside the root under that Node.
const checkIn = (root, node, file, target, opts) => lab.childJson(root, node, ['check', file, target || ''], opts);

describe('the lab: Debian releases x official Node builds, under chroot', function () {
  this.timeout(15 * 60 * 1000);

  for (const [release, debian] of Object.entries(lab.RELEASES)) {
    for (const major of lab.MAJORS) {
      it(`${release}, Node ${major}: staticTls() is exact to the byte against the real loader`, function () {
        const root = rootOf(this, release);
        nodeOf(this, major);
        lab.withProc(root, () => {
          const { node, opts } = nodeIn(root, release, major);
          const { staticTls: st } = lab.childJson(root, node, ['info'], opts);
          assert.strictEqual(st.exact, true, st.source);
          assert.strictEqual(st.size, st.tcbSize + st.used + st.remaining);
          assert.strictEqual(lab.loads(root, node, st.remaining, opts), true, `${st.remaining} bytes should load`);
          assert.strictEqual(lab.loads(root, node, st.remaining + 1, opts), false, `${st.remaining + 1} bytes should not`);
        });
      });

      const presets = [`node:${major}-${release}`, `node:${major}-${release}-slim`, `debian-${debian}`].filter((p) => PRESETS[p]);
      it(`${release}, Node ${major}: ${presets.join(', ')} judge the real boundary as the loader does`, function () {
        const root = rootOf(this, release);
        nodeOf(this, major);
        lab.withProc(root, () => {
          const { node, opts } = nodeIn(root, release, major);
          for (const preset of presets) {
            // the room the preset assumes, then the loader on both sides of it
            const room = checkIn(root, node, fixtureIn(root, 1), preset, opts).staticTls.before;
            const fits = checkIn(root, node, fixtureIn(root, room), preset, opts);
            const over = checkIn(root, node, fixtureIn(root, room + 1), preset, opts);
            assert.strictEqual(fits.ok, true, `${preset}: ${fits.messages.join('; ')}`);
            assert.strictEqual(over.ok, false, `${preset} calls ${room + 1} bytes compatible`);
            assert.ok(over.codes.includes('STATIC_TLS_EXHAUSTED'), over.codes.join());
            assert.strictEqual(lab.loads(root, node, room, opts), true, `${preset}: ${room} bytes do not load`);
            assert.strictEqual(lab.loads(root, node, room + 1, opts), false, `${preset}: ${room + 1} bytes load`);
          }
        });
      });
    }
  }

  // An executable-stack library (no TLS to speak of): refused by the loader
  // of 2.41, loaded by 2.36; check() in each system says what its loader does.
  for (const release of ['bookworm', 'trixie']) {
    it(`${release}: an executable-stack library: check() says what dlopen does (EXEC_STACK on glibc 2.41+)`, function () {
      const root = rootOf(this, release);
      nodeOf(this, 22);
      const file = lab.stage(root, lab.fixture(8, { flags: ['-Wl,-z,execstack'], tag: 'execstack' }), 'fixtures/execstack-8.so');
      lab.withProc(root, () => {
        const node = lab.stageNode(root, 22);
        const real = lab.childJson(root, node, ['load', file]);
        const said = checkIn(root, node, file, '');
        const glibc = lab.inRoot(root, ['getconf', 'GNU_LIBC_VERSION']).stdout.trim();
        const refused = real.loaded === null && /cannot enable executable stack as shared object requires/.test(real.error);
        assert.ok(real.loaded || refused, real.error);
        assert.strictEqual(said.ok, !refused, `${glibc}: ${said.messages.join('; ')}`);
        assert.deepStrictEqual(said.codes, refused ? ['EXEC_STACK'] : []);
        // which side each release is on is its loader's: 2.41 refuses, 2.36 does not
        assert.strictEqual(refused, release === 'trixie', `${glibc}: ${real.error}`);
      });
    });
  }

  for (const release of Object.keys(lab.RELEASES)) {
    it(`${release}: the official Node 26 does not start in the minimal image: libatomic.so.1 is missing`, function () {
      const root = rootOf(this, release);
      nodeOf(this, 26);
      const r = lab.inRoot(root, [lab.stageNode(root, 26), '-e', '0']);
      assert.notStrictEqual(r.status, 0);
      assert.match(r.stderr, /error while loading shared libraries: libatomic\.so\.1: cannot open shared object file/);
    });

    it(`${release}: check(node 26, { sysroot }) from the host says libatomic.so.1 is missing there`, function () {
      const root = rootOf(this, release);
      nodeOf(this, 26);
      const help = spawnSync(process.execPath, [path.join(h.ROOT, 'bin', 'tls-inspect.js'), 'check', '--help'], { encoding: 'utf8' });
      // pending: --sysroot DIR (issue 20) is another branch's; this test runs once it is merged
      if (!/--sysroot/.test(help.stdout)) h.skip(this, 'pending: check has no --sysroot yet (issue 20)');
      const r = require('../..').checkSync(path.join(lab.cacheDir(), 'node', '26', 'bin', 'node'), { sysroot: root });
      const missing = r.problems.filter((p) => p.code === 'MISSING_LIBRARY');
      assert.strictEqual(r.ok, false);
      assert.ok(missing.some((p) => /libatomic\.so\.1/.test(p.message)), r.problems.map((p) => p.message).join('; '));
    });
  }
});
