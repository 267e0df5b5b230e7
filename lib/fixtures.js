'use strict';
// Fixture libraries: one template per TLS model and libc, built by
// scripts/build-fixtures.js (or shipped under prebuilds/fixtures).  Any TLS
// size is served by writing a resized copy of the template into a cache dir.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { MODELS } = require('./fixture-models');
const { resizeTls, tlsAlign } = require('./elf-patch');
const { tiError } = require('./errors');

const root = path.resolve(__dirname, '..');
const SEARCH = [path.join(root, 'fixtures', 'build'), path.join(root, 'prebuilds', 'fixtures')];
const LIBCS = ['glibc', 'musl'];
// Fixtures that are not one model: the Rust-rand-like culprit, its stripped
// copy, and a library needing pthread_create (GLIBC_2.34 when built on glibc).
const EXTRA = ['initial-exec-align128', 'culprit', 'culprit-stripped', 'threads', 'probe', 'addon', 'dep', 'needs-dep',
  'needs-dep-origin', 'napi9', 'undefined', 'execstack', 'glibc-only', 'cxx'];

function flavourDir(libc) {
  for (const base of SEARCH) {
    const dir = path.join(base, libc);
    if (fs.existsSync(path.join(dir, 'manifest.json'))) return dir;
  }
  return null;
}

function manifest(libc) {
  const dir = flavourDir(libc);
  if (!dir) return null;
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const built = {};
  for (const [name, file] of Object.entries(m.built)) built[name] = path.join(dir, file);
  return { ...m, dir, built };
}

function checkArgs(model, libc) {
  if (!LIBCS.includes(libc)) throw tiError('TI_EINVAL', `libc must be one of ${LIBCS.join(', ')}`);
  if (!Object.prototype.hasOwnProperty.call(MODELS, model) && !EXTRA.includes(model)) {
    throw tiError('TI_EINVAL', `model must be one of ${Object.keys(MODELS).join(', ')}`);
  }
}

function template(model, libc = 'glibc') {
  checkArgs(model, libc);
  const m = manifest(libc);
  const file = m && m.built[model];
  if (!file || !fs.existsSync(file)) {
    throw tiError('TI_ENOENT', `no ${libc} fixture for ${model}: run "node scripts/build-fixtures.js"` +
      (libc === 'musl' ? ' with musl-gcc installed' : ''));
  }
  return file;
}

function cacheDir() {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dir = path.join(os.tmpdir(), `tls-inspect-fixtures-${uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

// Path of a fixture library of `model` whose TLS block is `bytes` long.
function fixturePath(model, bytes, libc = 'glibc') {
  const tpl = template(model, libc);
  if (!MODELS[model] || !MODELS[model].shared) throw tiError('TI_EINVAL', `${model} fixtures are executables, not libraries`);
  const stat = fs.statSync(tpl);
  const out = path.join(cacheDir(), `${libc}-${model}-${bytes}-${Math.floor(stat.mtimeMs)}-${stat.size}.so`);
  if (fs.existsSync(out)) return out;
  const data = resizeTls(fs.readFileSync(tpl), bytes);
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o755 });
  fs.renameSync(tmp, out); // atomic: concurrent callers never see half a file
  return out;
}

// Paths of every template that exists, by libc then model.
function list() {
  const out = {};
  for (const libc of LIBCS) {
    const m = manifest(libc);
    if (m) out[libc] = { ...m.built };
  }
  return out;
}

// PT_TLS p_align of a model's template (resized copies keep it), read once.
const aligns = new Map();
function templateAlign(model, libc = 'glibc') {
  const tpl = template(model, libc);
  if (!aligns.has(tpl)) aligns.set(tpl, tlsAlign(fs.readFileSync(tpl)));
  return aligns.get(tpl);
}

module.exports = { MODELS, LIBCS, template, templateAlign, fixturePath, list, manifest };
