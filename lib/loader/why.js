'use strict';
// why(target): require() a module or file in a child Node that has this
// process's flags and environment, and say what happened in words a person
// who has never heard of TLS can act on: when it fails, the loader's own
// failure behind any package loader's wrapper (explain()) and, for the
// package it belongs to, checkPackage(): which binary this system needs,
// whether it is installed, what in its closure fails; when it loads, what it
// took of static TLS.  The child is where the load happens, so nothing of it
// (a crash, static TLS it uses up, code it runs) reaches this process.
const { spawn } = require('child_process');
const path = require('path');
const { tiError } = require('../errors');
const { readSmall } = require('../file/walk');

const OUTPUT_LIMIT = 1 << 20; // what the child may print: one report
const JSON_LIMIT = 1 << 20; // bytes of one package.json read on the way up
const MARK = '\u0000tls-inspect-why\u0000'; // before the child's report: the module may print anything
const DEFAULT_TIMEOUT = 60000;

// The child: measures static TLS, requires the target, reports one JSON line
// after a marker (the module may print anything before).  Errors are reported
// with their causes, bounded, and reading them may throw (hostile getters).
const CHILD = String.raw`
const MARK = ${JSON.stringify(MARK)};
const [target, cwd, hostPath] = process.argv.slice(1);
const get = (o, k) => { try { return o[k]; } catch (_) { return undefined; } };
function ser(e, depth, seen) {
  if (e == null || depth > 8 || seen.size > 64) return null;
  if (typeof e !== 'object' && typeof e !== 'function') return { message: String(e).slice(0, 65536) };
  if (seen.has(e)) return null;
  seen.add(e);
  if (Array.isArray(e)) return { message: '', errors: e.slice(0, 32).map((x) => ser(x, depth + 1, seen)) };
  const m = get(e, 'message');
  const o = { name: String(get(e, 'name') || ''), code: typeof get(e, 'code') === 'string' ? get(e, 'code') : null,
    message: typeof m === 'string' ? m.slice(0, 65536) : '' };
  const errors = get(e, 'errors');
  if (Array.isArray(errors)) o.errors = errors.slice(0, 32).map((x) => ser(x, depth + 1, seen));
  const cause = get(e, 'cause');
  if (cause !== undefined) o.cause = ser(cause, depth + 1, seen);
  return o;
}
const tls = () => { try { return require(hostPath).staticTls(); } catch (_) { return null; } };
let resolved = null;
try { resolved = require.resolve(target, { paths: [cwd] }); } catch (_) { /* reported by require below */ }
const before = tls();
async function load(file) {
  // a shared library that is not named like a module is loaded as Node loads an addon
  if (!/\.(?:js|cjs|mjs|json|node)$/.test(file) && require('path').isAbsolute(file)) return process.dlopen({ exports: {} }, file);
  try {
    return require(file);
  } catch (e) {
    // an ES module package: import() it the way an ESM program would
    if (!/^ERR_(REQUIRE_ESM|REQUIRE_ASYNC_MODULE|PACKAGE_PATH_NOT_EXPORTED)$/.test(get(e, 'code') || '')) throw e;
    const abs = resolved || (require('path').isAbsolute(file) ? file : null);
    return import(abs ? require('url').pathToFileURL(abs).href : file); // a bare name resolves from cwd
  }
}
load(resolved || target).then(() => ({ loaded: true, resolved, before, after: tls() }),
  (e) => ({ loaded: false, resolved, error: ser(e, 0, new Set()) }))
  .then((out) => process.stdout.write(MARK + JSON.stringify(out) + '\n', () => process.exit(0)));
`;

// This process's flags, less the ones that would replace the child's script.
function childArgs(execArgv) {
  const out = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (/^(-e|--eval|-p|--print|-i|--interactive|--test|--watch|-c|--check)$/.test(a)) {
      if (/^(-e|--eval|-p|--print)$/.test(a)) i++; // its argument too
      continue;
    }
    if (/^(--eval|--print|--inspect[-a-z]*|--debug-port)=/.test(a) || /^--inspect/.test(a)) continue;
    out.push(a);
  }
  return out;
}

function runChild(target, { cwd, env, execArgv, timeout }) {
  return new Promise((resolve, reject) => {
    const hostPath = path.join(__dirname, '..', 'process', 'host.js');
    const child = spawn(process.execPath, [...childArgs(execArgv), '-e', CHILD, target, cwd, hostPath],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    let size = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.on('data', (c) => {
      if (size < OUTPUT_LIMIT) chunks.push(c.subarray(0, OUTPUT_LIMIT - size));
      size += c.length;
    });
    child.stderr.on('data', (c) => { if (stderr.length < 65536) stderr += c.toString('utf8').slice(0, 65536 - stderr.length); });
    child.on('error', (e) => { clearTimeout(timer); reject(tiError('TI_ECHILD', `why: cannot start ${process.execPath}: ${e.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const at = text.lastIndexOf(MARK);
      let report = null;
      if (at >= 0) {
        try {
          report = JSON.parse(text.slice(at + MARK.length).split('\n')[0]);
        } catch (_) { /* a torn report: treated as a crash */ }
      }
      resolve({ report, code, signal, stderr });
    });
  });
}

// The directory of the package a file belongs to (nearest package.json with a
// name), each package.json read through the bounded reader.
async function packageDirOf(file) {
  if (!file || !path.isAbsolute(file)) return null;
  let dir = path.dirname(file);
  for (let i = 0; i < 64; i++) {
    try {
      const pj = JSON.parse(await readSmall(path.join(dir, 'package.json'), JSON_LIMIT));
      if (pj && typeof pj.name === 'string') return dir;
    } catch (_) { /* none here, or not JSON */ }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
  return null;
}

async function why(target, opts = {}) {
  if (typeof target !== 'string' || !target) throw tiError('TI_EINVAL', 'why(target): a module name or file path');
  const cwd = opts.cwd || process.cwd();
  const abs = /^[./]/.test(target) ? path.resolve(cwd, target) : target;
  const timeout = Number.isSafeInteger(opts.timeout) && opts.timeout > 0 ? opts.timeout : DEFAULT_TIMEOUT;
  const run = await runChild(abs, { cwd, env: opts.env || process.env, execArgv: opts.execArgv || process.execArgv, timeout });
  const r = run.report;
  const out = { target, resolved: r ? r.resolved : null, loaded: Boolean(r && r.loaded), error: null, diagnosis: null,
    staticTls: null, package: null };
  if (!r) {
    out.error = { message: `the child Node ended without a report (${run.signal ? `signal ${run.signal}` : `exit ${run.code}`})` +
      `${run.stderr ? `: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`, code: null };
  } else if (r.loaded) {
    const before = r.before && r.before.remaining;
    const after = r.after && r.after.remaining;
    out.staticTls = before == null || after == null ? null : { remainingBefore: before, remainingAfter: after, taken: before - after };
  } else {
    out.error = { message: (r.error && r.error.message) || '', code: (r.error && r.error.code) || null };
    const { explain } = require('./explain');
    out.diagnosis = explain(r.error || '', { path: r.resolved && /\.node$/.test(r.resolved) ? r.resolved : undefined });
  }
  const dir = (await packageDirOf(out.resolved)) || (await packageDirOf(out.diagnosis && out.diagnosis.module));
  if (dir) {
    out.package = { dir, result: null };
    try {
      out.package.result = await require('./check').checkPackage(dir);
    } catch (e) {
      out.package.error = e.message;
    }
  }
  return out;
}

// In words, for the CLI.
function formatWhy(w) {
  const lines = [];
  if (w.loaded) {
    lines.push(`require(${JSON.stringify(w.target)}) works here${w.resolved ? ` (${w.resolved})` : ''}.`);
    if (w.staticTls) {
      lines.push(`It took ${w.staticTls.taken} bytes of static TLS (the per-thread area that libraries loaded later must share); ` +
        `${w.staticTls.remainingAfter} bytes are left.`);
    }
  } else {
    lines.push(`require(${JSON.stringify(w.target)}) fails: ${(w.error.message || '').split('\n')[0]}`);
    const d = w.diagnosis;
    if (d && d.kind !== 'unknown') {
      lines.push('', `What went wrong: ${d.code}${d.module ? ` in ${d.module}` : ''}${d.symbol ? ` (symbol ${d.symbol})` : ''}` +
        `${d.library ? ` (missing ${d.library})` : ''}${d.version ? ` (needs ${d.version})` : ''}${d.needs ? ` (needs ${d.needs})` : ''}`);
      if (d.because) lines.push(`Because: ${d.because}`);
      lines.push(`Fix: ${d.fix}`);
    } else if (w.error.code === 'MODULE_NOT_FOUND') {
      lines.push('', 'It is not installed where Node looks from here: install it, or run from the project that has it.');
    } else {
      lines.push('', 'This is not a loader failure tls-inspect knows: the module\'s own code threw it.');
    }
  }
  const p = w.package && w.package.result;
  if (p) {
    lines.push('', `Package ${p.package || w.package.dir}${p.version ? `@${p.version}` : ''} (${p.convention}):`);
    lines.push(`  the binary this system needs: ${p.selected || 'none found'}${p.why ? ` (${p.why})` : ''}`);
    for (const q of p.problems || []) lines.push(`  ${q.severity} ${q.code}: ${q.message}`);
    if (!(p.problems || []).length) lines.push('  it and everything it loads would load here');
  } else if (w.package && w.package.error) {
    lines.push('', `Package ${w.package.dir}: ${w.package.error}`);
  }
  return `${lines.join('\n')}\n`;
}

module.exports = { why, formatWhy };
