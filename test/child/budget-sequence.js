'use strict';
// Child process: staticTls() and modules() interleaved around dlopen of
// initial-exec fixtures: 256 bytes, then exactly what staticTls() says is
// left, then one alignment unit more.  Prints JSON.
const ti = require('../..');
const fixtures = require('../../lib/reproduce');

const align = fixtures.templateAlign('initial-exec');
function load(bytes) {
  const file = fixtures.fixturePath('initial-exec', bytes);
  try {
    process.dlopen({ exports: {} }, file);
    return { file, bytes, loaded: true, error: null };
  } catch (e) {
    return { file, bytes, loaded: false, error: e.message };
  }
}
const placed = (r) => ti.modules().find((m) => m.path === r.file) || null;

const out = { align };
out.s0 = ti.staticTls();
ti.modules();
out.s0again = ti.staticTls();
out.a = load(256);
out.s1 = ti.staticTls();
out.moduleA = placed(out.a);
out.s1again = ti.staticTls();
out.b = load(Math.floor(out.s1.remaining / align) * align);
out.s2 = ti.staticTls();
out.moduleB = placed(out.b);
out.c = load(align);
out.s3 = ti.staticTls();
process.stdout.write(JSON.stringify(out));
