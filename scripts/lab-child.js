'use strict';
// Runs inside a lab root (scripts/lab.js copies it there), under the Node
// being measured; prints one line of JSON.
//   info          what the project says in this process: Node, libc, staticTls()
//   load FILE     process.dlopen(FILE): loaded true/false (false only for the
//                 loader's static TLS refusal), or null with the error
//   first FILE... process.dlopen of each in turn until one loads (a static TLS
//                 refusal places nothing, so the next try sees the same room):
//                 the index of that one, -1 when none does
//   rooms FILE NAME...  the static TLS room each target gives a fresh
//                 process here, before FILE (a small initial-exec library)
//   check FILE [TARGET]  checkSync(FILE, { target }) (host mode by default):
//                 verdict, problem codes, the static TLS room it judged by
const path = require('path');

const project = path.join(__dirname, 'project');
const out = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
const [mode, arg] = process.argv.slice(2);

function load(file) {
  try {
    process.dlopen({ exports: {} }, file);
    return { loaded: true, error: null };
  } catch (e) {
    // dlopen succeeded when Node only misses a registration in the library
    if (/did not self-register/.test(e.message)) return { loaded: true, error: null };
    if (/cannot allocate memory in static TLS block/.test(e.message)) return { loaded: false, error: e.message };
    return { loaded: null, error: e.message };
  }
}

if (mode === 'info') {
  const ti = require(project);
  out({ node: process.version, libc: ti.libc(), staticTls: ti.staticTls() });
} else if (mode === 'load') {
  out(load(arg));
} else if (mode === 'first') {
  const files = process.argv.slice(3);
  let index = -1, error = null;
  for (let i = 0; i < files.length && index < 0; i++) {
    const r = load(files[i]);
    if (r.loaded === null) {
      error = r.error;
      break;
    }
    if (r.loaded) index = i;
  }
  out({ index: error ? null : index, error });
} else if (mode === 'rooms') {
  const ti = require(project);
  const names = process.argv.slice(4);
  out(Object.fromEntries(names.map((n) => [n, ti.checkSync(arg, { target: n }).staticTls.before])));
} else if (mode === 'check') {
  const target = process.argv[4];
  const r = require(project).checkSync(arg, target ? { target } : {});
  out({ target: r.target, ok: r.ok, verdict: r.verdict, codes: r.problems.map((p) => p.code), staticTls: r.staticTls,
    messages: r.problems.map((p) => p.message) });
} else {
  out({ error: `unknown mode ${mode}` });
}
