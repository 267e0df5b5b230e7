'use strict';
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const ti = require('..');
const fixtures = require('../lib/reproduce');
const binding = require('../lib/process/binding');
const h = require('./support/helpers');

const glibcNeeds = (file) => [...h.readelf(['-VW'], file).matchAll(/Name: GLIBC_(2[\d.]*)/g)].map((m) => m[1])
  .sort((a, b) => h.cmpVersion(b, a));
const needed = (file) => [...h.readelf(['-dW'], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);

describe('prebuilt binaries', function () {
  it('the glibc build needs nothing newer than GLIBC_2.28 and keeps libdl/libpthread for old glibc', function () {
    const file = path.join(h.ROOT, 'build', 'Release', 'tls_inspect.node');
    const max = glibcNeeds(file)[0];
    assert.ok(h.cmpVersion(max, '2.28') <= 0, `needs GLIBC_${max}`);
    assert.strictEqual(ti.analyzeSync(file).minGlibc, max);
    if (process.arch === 'x64') {
      assert.ok(needed(file).includes('libdl.so.2') && needed(file).includes('libpthread.so.0'), needed(file).join(','));
    }
  });

  it('the musl build has no glibc dependency, loads under the musl loader and checks compatible on musl', async function () {
    if (!fixtures.list().musl) h.skip(this, 'musl-gcc not installed');
    const file = fixtures.template('addon', 'musl');
    assert.deepStrictEqual(glibcNeeds(file), []);
    assert.ok(!needed(file).includes('libc.so.6'), needed(file).join(','));
    const r = JSON.parse(execFileSync(fixtures.template('probe', 'musl'), ['--dlopen', file], { encoding: 'utf8' }));
    assert.strictEqual(r.loads[0].loaded, true, r.loads[0].error);
    assert.strictEqual((await ti.check(file, { target: 'musl' })).verdict, 'compatible');
  });
});

describe('choosing the binary', function () {
  it('LIBC wins; otherwise the running process\'s own libc, not /etc/alpine-release', function () {
    assert.strictEqual(binding.runningLibc({ LIBC: 'musl' }), 'musl');
    assert.strictEqual(binding.runningLibc({ LIBC: 'glibc' }), 'glibc');
    assert.strictEqual(binding.runningLibc({}), ti.libc().family);
    assert.match(binding.candidates('musl')[1], /prebuilds\/linux-x64\/tls-inspect\.napi\.musl\.node$/);
  });

  it('the running libc from the loader the executable names, as readelf reads it and /proc/self/maps shows it', function () {
    const { exeInterpreter } = require('../lib/process/running-libc');
    const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(h.readelf(['-lW'], process.execPath));
    assert.strictEqual(exeInterpreter(), interp ? interp[1] : null);
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    assert.strictEqual(binding.runningLibc({}), /\/ld-musl-[^\s/]*\.so/.test(maps) ? 'musl' : 'glibc');
  });

  it('a child told LIBC=musl picks the musl prebuild file name when there is no local build', function () {
    const script = `const b = require(${JSON.stringify(path.join(h.ROOT, 'lib', 'process', 'binding.js'))});
      console.log(b.candidates(b.runningLibc())[1])`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, LIBC: 'musl' } });
    assert.match(r.stdout, /tls-inspect\.napi\.musl\.node/);
  });
});

describe('smoke tests', function () {
  this.timeout(120000);
  it('the Dockerfiles are valid: official node bases, known instructions, files that exist in the context', function () {
    const known = new Set(['FROM', 'WORKDIR', 'COPY', 'RUN', 'CMD', 'ENV', 'ARG']);
    for (const [name, base] of [['Dockerfile.alpine', /^node:\d+-alpine$/], ['Dockerfile.debian', /^node:\d+-bookworm-slim$/]]) {
      const lines = fs.readFileSync(path.join(__dirname, 'smoke', name), 'utf8').split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'));
      const instr = lines.map((l) => l.split(/\s+/)[0]);
      assert.ok(instr.every((i) => known.has(i)), `${name}: ${instr.join(' ')}`);
      assert.strictEqual(instr[0], 'FROM');
      assert.match(lines[0].split(/\s+/)[1], base);
      for (const l of lines.filter((x) => x.startsWith('COPY'))) {
        const src = l.split(/\s+/)[1];
        assert.ok(['tls-inspect.tgz', 'smoke.js'].includes(src), `${name}: COPY ${src}`);
      }
      const cmd = lines.find((l) => l.startsWith('CMD')).slice(3).trim();
      assert.ok(Array.isArray(JSON.parse(cmd)), 'CMD in exec form');
      assert.ok(lines.some((l) => /node smoke\.js (musl|glibc)$/.test(l)));
    }
    assert.ok(fs.existsSync(path.join(__dirname, 'smoke', 'smoke.js')));
  });

  it('the host path passes (glibc through Node, musl through the musl loader)', function () {
    const r = spawnSync('bash', [path.join(__dirname, 'smoke', 'run.sh')], { encoding: 'utf8' });
    process.stdout.write(r.stdout.split('\n').filter((l) => /^smoke/.test(l)).map((l) => `      ${l}\n`).join(''));
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /all passed/);
  });
});
