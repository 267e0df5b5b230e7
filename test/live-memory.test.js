'use strict';
// modules() reads module memory through the kernel, never directly: a library
// whose file is cut down in place (its mapped pages then raise SIGBUS on a
// plain load) is marked, not fatal.
const assert = require('assert');
const { spawnSync, execFileSync } = require('child_process');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const h = require('./support/helpers');

const child = path.join(__dirname, 'child', 'truncated-module.js');

// The child prints its JSON and then kills itself (see the child for why).
function truncated(cut, warm = '') {
  const r = spawnSync(process.execPath, [child, cut, warm], { encoding: 'utf8', cwd: h.ROOT, timeout: 60000 });
  assert.strictEqual(r.signal, 'SIGKILL', `the child died of ${r.signal || `exit ${r.status}`}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const others = (list, file) => list.filter((m) => m.path !== file);
const pick = (list, file) => list.find((m) => m.path === file);

describe('modules(): a loaded library whose file is truncated in place', function () {
  before(function () {
    if (ti.libc().family !== 'glibc') h.skip(this, 'the child loads a glibc fixture');
  });

  it('truncated to 0 bytes: no SIGBUS; the library is listed, marked unreadable, without facts; the others are intact', function () {
    const r = truncated('0');
    const cut = pick(r.cut, r.file);
    assert.deepStrictEqual([cut.unreadable, cut.tls, cut.tlsRelocations, cut.staticTlsFlag],
      [true, null, { tpoff: 0, dtpmod: 0, dtpoff: 0, tlsdesc: 0 }, false]);
    assert.deepStrictEqual(others(r.cut, r.file), others(r.restored, r.file));
    assert.ok(r.cut.filter((m) => m.unreadable).length === 1, 'only the cut library is marked');
  });

  it('truncated to half: the program headers still read (TLS as readelf says), the dynamic section not', function () {
    const r = truncated('half');
    const cut = pick(r.cut, r.file);
    const { vaddr, ...want } = h.readelfTls(fixtures.template('initial-exec'));
    assert.strictEqual(cut.unreadable, true);
    assert.deepStrictEqual({ size: cut.tls.size, initSize: cut.tls.initSize, align: cut.tls.align }, want);
    assert.deepStrictEqual(cut.tlsRelocations, { tpoff: 0, dtpmod: 0, dtpoff: 0, tlsdesc: 0 });
    assert.deepStrictEqual(others(r.cut, r.file), others(r.restored, r.file));
  });

  it('reads the library again once its bytes are back: facts as readelf gives them, no mark', function () {
    const r = truncated('0');
    const back = pick(r.restored, r.file);
    const tpl = fixtures.template('initial-exec');
    assert.strictEqual(back.unreadable, undefined);
    const { vaddr, ...want } = h.readelfTls(tpl); // the link map has no p_vaddr
    assert.deepStrictEqual({ size: back.tls.size, initSize: back.tls.initSize, align: back.tls.align }, want);
    assert.deepStrictEqual(back.tlsRelocations, h.readelfTlsRelocs(tpl));
    assert.strictEqual(back.staticTlsFlag, h.readelfStaticTlsFlag(tpl));
  });

  it('listed once before the cut: its facts are remembered for the link-map generation and stay whole', function () {
    const r = truncated('0', 'warm');
    assert.deepStrictEqual(r.cut, r.before);
    assert.ok(r.cut.every((m) => m.unreadable === undefined));
  });
});

describe('modules() in a plain C process (the glibc ti-probe) with ways of reading memory taken away', function () {
  let probe;
  before(function () {
    if (ti.libc().family !== 'glibc' || process.arch !== 'x64') h.skip(this, 'the probe\'s seccomp filter is for x86_64 glibc');
    probe = fixtures.template('probe', 'glibc');
  });
  const run = (args) => JSON.parse(execFileSync(probe, args, { encoding: 'utf8' }));
  const facts = (r) => r.modules.map((m) => ({ ...m, base: null })); // bases move between processes

  for (const [denied, way] of [[['process_vm_readv'], '/proc/self/mem'], [['process_vm_readv', 'open'], 'a pipe']]) {
    it(`without ${denied.join(' and ')} it reads through ${way}: the same modules, the same facts`, function () {
      const r = run(denied.flatMap((d) => ['--deny', d]));
      if (!r.denied) h.skip(this, 'seccomp filters cannot be installed here');
      assert.deepStrictEqual(facts(r), facts(run([])));
      assert.ok(r.modules.every((m) => !m.unreadable));
    });
  }

  it('with no way left, it reads nothing: every module listed and marked unreadable', function () {
    const r = run(['--deny', 'process_vm_readv', '--deny', 'open', '--deny', 'pipe']);
    if (!r.denied) h.skip(this, 'seccomp filters cannot be installed here');
    const free = run([]);
    assert.deepStrictEqual(r.modules.map((m) => m.path), free.modules.map((m) => m.path));
    assert.ok(r.modules.every((m) => m.unreadable && m.tls === null), JSON.stringify(r.modules));
  });
});
