'use strict';
// reproduce() loads the fixture it writes, running its constructors as the
// caller: a directory or file another user placed first must never be loaded.
// The planted library writes a marker file from its constructor, so a load of
// it, by any route, shows.
const assert = require('assert');
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const fixtures = require('../lib/reproduce');
const { resizeTls } = require('../lib/reproduce/elf-patch');
const h = require('./support/helpers');

const BYTES = 64;
const PLANTED = `#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void) {
  int fd = open(MARKER, O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) close(fd);
}
`;

// Every name under which a cache, old or new, could look for this fixture.
function fixtureNames() {
  const tpl = fixtures.template('initial-exec');
  const st = fs.statSync(tpl);
  const hash = crypto.createHash('sha256').update(resizeTls(fs.readFileSync(tpl), BYTES)).digest('hex');
  return [`glibc-initial-exec-${BYTES}-${Math.floor(st.mtimeMs)}-${st.size}.so`,
    `glibc-initial-exec-${BYTES}-${hash.slice(0, 16)}.so`];
}

// reproduce() in a child with the given temp and cache settings, with what
// the fixture and its directory were while the child ran (a per-process
// directory goes when the child exits).
function reproduceWith(env) {
  const script = `const fs = require('fs');
    require(${JSON.stringify(h.ROOT)}).reproduce({ model: 'initial-exec', bytes: ${BYTES} }).then((r) => {
      const st = fs.lstatSync(require('path').dirname(r.fixture));
      r.dir = { directory: st.isDirectory(), uid: st.uid, mode: st.mode & 0o7777 };
      r.content = fs.readFileSync(r.fixture).toString('base64');
      console.log(JSON.stringify(r));
    })`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120000,
    env: { ...process.env, ...env } });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('fixture cache: nothing another user placed is loaded', function () {
  this.timeout(120000);
  let shared; // world-writable and sticky, like /tmp
  let planted;
  let marker;
  before(function () {
    if (typeof process.getuid !== 'function') h.skip(this, 'no user ids on this platform');
    if (!fixtures.list().glibc) h.skip(this, 'no glibc fixtures built');
    shared = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-shared-'));
    fs.chmodSync(shared, 0o1777);
    marker = path.join(shared, 'planted-library-ran');
    planted = path.join(shared, 'planted.so');
    fs.writeFileSync(path.join(shared, 'planted.c'), PLANTED);
    const cc = spawnSync(process.env.CC || 'cc', ['-shared', '-fPIC', `-DMARKER="${marker}"`, '-o', planted,
      path.join(shared, 'planted.c')], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) h.skip(this, `no C compiler to build the planted library: ${cc.stderr || cc.error}`);
    fs.chmodSync(planted, 0o755);
  });
  after(() => shared && fs.rmSync(shared, { recursive: true, force: true }));
  afterEach(() => marker && fs.rmSync(marker, { force: true }));

  // A private home for the victim, so its real ~/.cache is not involved.
  const victimHome = () => fs.mkdtempSync(path.join(shared, 'home-'));

  function assertNotPlanted(r, ...dirs) {
    assert.ok(!fs.existsSync(marker), 'the planted library was loaded');
    assert.strictEqual(r.loaded, true, r.error);
    for (const d of dirs) assert.ok(!r.fixture.startsWith(d + path.sep), `${r.fixture} is in ${d}`);
    assert.deepStrictEqual(r.dir, { directory: true, uid: process.getuid(), mode: 0o700 }, path.dirname(r.fixture));
    const want = resizeTls(fs.readFileSync(fixtures.template('initial-exec')), BYTES);
    assert.ok(want.equals(Buffer.from(r.content, 'base64')), 'the loaded fixture is the resized template');
  }

  it('as root: directories another user (nobody, through setpriv) made first, with libraries planted', function () {
    if (process.getuid() !== 0) h.skip(this, 'not root: the wrong-mode test below stands in for another user');
    if (!h.haveCommand('setpriv', ['--version'])) h.skip(this, 'setpriv is not installed (util-linux)');
    const xdg = path.join(shared, 'xdg-nobody');
    const dirs = [path.join(shared, `tls-inspect-fixtures-${process.getuid()}`), path.join(xdg, 'tls-inspect', 'fixtures')];
    const copies = dirs.flatMap((d) => fixtureNames().map((n) => `cp ${planted} ${path.join(d, n)}`));
    const attacker = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sh', '-ec',
      `umask 022; mkdir -p ${dirs.join(' ')}; chmod 755 ${dirs.join(' ')}; ${copies.join('; ')}`], { encoding: 'utf8' });
    if (attacker.error || attacker.status !== 0) h.skip(this, `cannot run as nobody: ${attacker.stderr || attacker.error}`);
    assert.notStrictEqual(fs.statSync(dirs[0]).uid, 0, 'the attacker owns its directories');
    const r = reproduceWith({ TMPDIR: shared, XDG_CACHE_HOME: xdg, HOME: victimHome() });
    assertNotPlanted(r, ...dirs);
    assert.deepStrictEqual(fs.readdirSync(shared).filter((f) => /^tls-inspect-fixtures-[^0-9]/.test(f)), [],
      'the per-process directory is removed when the process exits');
  });

  it('a cache directory writable by others, or a symlink, is avoided', function () {
    const home = victimHome();
    const wide = path.join(home, 'wide');
    const dirs = [path.join(shared, `tls-inspect-fixtures-${process.getuid()}`), path.join(wide, 'tls-inspect', 'fixtures')];
    for (const d of dirs) {
      fs.mkdirSync(d, { recursive: true });
      fs.chmodSync(d, 0o777);
      for (const n of fixtureNames()) fs.copyFileSync(planted, path.join(d, n));
    }
    assertNotPlanted(reproduceWith({ TMPDIR: shared, XDG_CACHE_HOME: wide, HOME: home }), ...dirs);
    const linked = path.join(home, 'linked');
    fs.mkdirSync(path.join(linked, 'tls-inspect'), { recursive: true, mode: 0o700 });
    fs.symlinkSync(dirs[1], path.join(linked, 'tls-inspect', 'fixtures'));
    fs.chmodSync(dirs[1], 0o700);
    assertNotPlanted(reproduceWith({ TMPDIR: shared, XDG_CACHE_HOME: linked, HOME: home }), ...dirs);
  });

  it('in the trusted cache, a file of other content at the expected name is replaced, not loaded', function () {
    const home = victimHome();
    const xdg = path.join(home, 'cache');
    const first = reproduceWith({ TMPDIR: shared, XDG_CACHE_HOME: xdg, HOME: home });
    assert.strictEqual(path.dirname(first.fixture), path.join(fs.realpathSync(xdg), 'tls-inspect', 'fixtures'));
    assertNotPlanted(first);
    fs.copyFileSync(planted, first.fixture);
    const again = reproduceWith({ TMPDIR: shared, XDG_CACHE_HOME: xdg, HOME: home });
    assert.strictEqual(again.fixture, first.fixture);
    assertNotPlanted(again);
  });
});
