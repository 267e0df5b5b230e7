'use strict';
// `tls-inspect scan` runs in a worker with a bounded heap (lib/cli/bounded.js):
// what it writes is what main() writes on this thread, in order; the shape of
// the caller's streams (a terminal, its width) reaches the command; a heap too
// small for the scan ends it with TI_ENOMEM and exit code 2, and the calling
// process goes on.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { main } = require('../lib/cli/index');
const { runBounded, HEAP } = require('../lib/cli/bounded');
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
