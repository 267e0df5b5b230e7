'use strict';
// `tls-inspect scan` runs in a worker with a bounded heap (lib/cli/bounded.js):
// what it writes is what main() writes on this thread, in order; a slow reader
// holds the worker back; the shape of the caller's streams (a terminal)
// reaches the command; a heap too small ends it with TI_ENOMEM and exit code
// 2, and the calling process goes on; where no worker can (or should) run the
// scan runs as before.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const { Writable } = require('stream');
const os = require('os');
const path = require('path');
const { main } = require('../lib/cli/index');
const { runBounded, HEAP, WINDOW } = require('../lib/cli/bounded');
const fixtures = require('../lib/reproduce');

function sink(shape = {}) {
  const chunks = [];
  return { ...shape, chunks, write(s) { chunks.push(String(s)); return true; }, text() { return chunks.join(''); } };
}

describe('scan in a worker with a bounded heap', function () {
  this.timeout(60000);
  let dir;
  let tree;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-bounded-'));
    tree = path.join(dir, 'node_modules');
    for (let i = 0; i < 12; i++) {
      fs.mkdirSync(path.join(tree, `p${i}`, 'build', 'Release'), { recursive: true });
      fs.writeFileSync(path.join(tree, `p${i}`, 'package.json'), JSON.stringify({ name: `p${i}`, version: '1.0.0' }));
      const model = ['global-dynamic', 'initial-exec', 'local-dynamic'][i % 3];
      fs.copyFileSync(fixtures.template(model), path.join(tree, `p${i}`, 'build', 'Release', `p${i}.node`));
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const BIN = path.join(__dirname, '..', 'bin', 'tls-inspect.js');
  const sorted = (text) => text.split('\n').sort().join('\n');

  it('a slow reader holds the worker back: at most WINDOW writes wait unflushed', async function () {
    const many = path.join(dir, 'many', 'node_modules');
    for (let i = 0; i < 500; i++) {
      const d = path.join(many, `q${i}`, 'build', 'Release');
      fs.mkdirSync(d, { recursive: true });
      fs.linkSync(path.join(tree, `p${i % 12}`, 'build', 'Release', `p${i % 12}.node`), path.join(d, `q${i}.node`));
    }
    const args = ['scan', many, '--all', '--json'];
    let most = 0;
    const got = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk, _enc, done) {
        most = Math.max(most, slow.writableLength);
        got.push(chunk.toString());
        setTimeout(done, 40);
      },
    });
    const here = sink();
    const codeHere = await main(args, here, sink());
    assert.strictEqual(await runBounded(args, slow, sink()), codeHere);
    const text = got.join('');
    assert.ok(text.length > 250000, `${text.length} bytes: too little output to hold anything back`);
    // each write is a chunk of JSON lines of about 16 KB (lib/cli/index.js, chunked())
    assert.ok(most <= WINDOW * 20000, `${most} bytes waited in the stream`);
    // and all of it was flushed when runBounded() resolved
    assert.strictEqual(sorted(text), sorted(here.text()));
  });

  it('runs on the main thread as before under ulimit -v, without SharedArrayBuffer, or when asked to', function () {
    const plain = spawnSync(process.execPath, [BIN, 'scan', tree, '--json'], { encoding: 'utf8' });
    assert.strictEqual(plain.status, 0, plain.stderr);
    const ways = [
      ['bash', ['-c', `ulimit -v 1400000 && exec "${process.execPath}" "${BIN}" scan "${tree}" --json`], {}],
      [process.execPath, ['--no-harmony-sharedarraybuffer', BIN, 'scan', tree, '--json'], {}],
      [process.execPath, [BIN, 'scan', tree, '--json'], { TLS_INSPECT_SCAN_WORKER: '0' }],
    ];
    for (const [cmd, args, env] of ways) {
      const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
      assert.strictEqual(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.strictEqual(sorted(r.stdout), sorted(plain.stdout), args.join(' '));
    }
  });

  for (const format of [['--json'], []]) {
    it(`writes what main() writes here, in order, with the same exit code (${format.join(' ') || 'text'})`, async function () {
      const args = ['scan', tree, '--concurrency', '1', '--all', ...format];
      const here = { out: sink(), err: sink() };
      const there = { out: sink(), err: sink() };
      const codeHere = await main(args, here.out, here.err);
      const codeThere = await runBounded(args, there.out, there.err);
      assert.strictEqual(codeThere, codeHere);
      assert.strictEqual(there.out.text(), here.out.text());
      assert.strictEqual(there.err.text(), here.err.text());
      assert.ok(there.out.text().length > 200, there.err.text());
    });
  }

  it('passes on whether its output is a terminal (colour), and not when it is not', async function () {
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR; // the worker's environment is a copy of this one, made at its start
    try {
      const tty = sink({ isTTY: true, columns: 100 });
      const plain = sink();
      await runBounded(['scan', tree], tty, sink());
      await runBounded(['scan', tree], plain, sink());
      assert.match(tty.text(), /\x1b\[/);
      assert.doesNotMatch(plain.text(), /\x1b\[/);
    } finally {
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
  });

  it('a heap too small for the scan: TI_ENOMEM and exit code 2, and this process goes on', async function () {
    const err = sink();
    const code = await runBounded(['scan', tree, '--json'], sink(), err, { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 4 });
    assert.strictEqual(code, 2);
    assert.match(err.text(), /^tls-inspect: TI_ENOMEM: /);
    // the default bounds leave room: the same scan in them is complete
    const out = sink();
    assert.strictEqual(await runBounded(['scan', tree, '--json'], out, sink(), HEAP), 0);
    assert.strictEqual(JSON.parse(out.text().trim().split('\n').pop()).summary.total, 12);
  });
});
