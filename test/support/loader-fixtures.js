'use strict';
// Libraries built on demand for the loader-model tests: each defines a block
// of thread-local storage reached with a chosen TLS model, needs the
// libraries it names (found through RUNPATH $ORIGIN unless told otherwise),
// and can register as an (empty) Node-API addon so Node keeps it loaded.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./helpers');

const MODEL_FLAGS = { 'initial-exec': ['-ftls-model=initial-exec'], 'global-dynamic': ['-ftls-model=global-dynamic'],
  tlsdesc: ['-mtls-dialect=gnu2'] };

// The C identifier of a library's functions: libdeep.so -> libdeep.
const idOf = (file) => file.replace(/\.(so|node).*$/, '').replace(/\W/g, '_');

function source(name, o) {
  const id = idOf(name);
  const deps = (o.needs || []).map(idOf);
  // touch() reaches this library's block and calls its dependencies', so the
  // link keeps every one of them in DT_NEEDED
  const lines = deps.map((d) => `int ${d}_touch(int);`);
  const calls = deps.map((d) => ` + ${d}_touch(i)`).join('');
  if (o.tls) {
    lines.push(`__thread unsigned char ${id}_tls[${o.tls}] __attribute__((aligned(${o.align || 16})));`,
      `int ${id}_touch(int i) { return ++${id}_tls[i % ${o.tls}]${calls}; }`);
  } else {
    lines.push(`int ${id}_touch(int i) { return i${calls}; }`);
  }
  if (o.extra) lines.push(o.extra);
  if (o.addon) {
    lines.push('void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }',
      'int node_api_module_get_api_version_v1(void) { return 8; }');
  }
  return `${lines.join('\n')}\n`;
}

class Builder {
  constructor(prefix = 'ti-model-', compiler = process.env.CC || 'cc') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.cc = compiler;
  }

  // name: file name (libdeep.so, top.node); o: { tls, align, model, needs: [file names], addon,
  // runpath (default '$ORIGIN'), soname (default the file name; null: none), dir (subdirectory),
  // linkDirs, extra (C source), flags, cc (another compiler for this one) }
  lib(name, o = {}) {
    const dir = o.dir ? path.join(this.dir, o.dir) : this.dir;
    fs.mkdirSync(dir, { recursive: true });
    const src = path.join(dir, `${name}.c`);
    fs.writeFileSync(src, source(name, o));
    const out = path.join(dir, name);
    const needs = (o.needs || []).map((d) => `-l:${d}`);
    const searchDirs = [...new Set([dir, ...(o.linkDirs || [])])].map((d) => `-L${d}`);
    const runpath = o.runpath === undefined ? '$ORIGIN' : o.runpath;
    const soname = o.soname === undefined ? name : o.soname; // null: none
    const args = ['-O2', '-fPIC', '-shared', ...(MODEL_FLAGS[o.model || 'global-dynamic'] || []), '-o', out, src,
      ...(soname ? [`-Wl,-soname,${soname}`] : []), ...searchDirs, ...needs, ...(o.flags || [])];
    if (runpath !== null) args.push(`-Wl,-rpath,${runpath}`, '-Wl,--enable-new-dtags');
    const cc = o.cc || this.cc;
    const r = spawnSync(cc, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cc} ${name}: ${r.stderr}`);
    fs.unlinkSync(src);
    return out;
  }

  remove() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Loads files one after another in a child Node (addons stay loaded), with
// checkTogether()'s prediction made in that same process first.
function nodeLoadSequence(files, env = {}) {
  return h.nodeJson(path.join(__dirname, '..', 'child', 'load-sequence.js'), files, env);
}

// The real musl loader: the musl ti-probe dlopens the files in order.
function muslLoadSequence(files, { lazy = true } = {}) {
  const fixtures = require('../../lib/reproduce');
  const args = [...(lazy ? ['--lazy'] : []), ...files.flatMap((f) => ['--dlopen', f])];
  const r = spawnSync(fixtures.template('probe', 'musl'), args, { encoding: 'utf8' });
  return JSON.parse(r.stdout);
}

module.exports = { Builder, nodeLoadSequence, muslLoadSequence };
