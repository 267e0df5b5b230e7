'use strict';
// check(): will this file load on the target?  Turns analyze() and the live
// static TLS budget into a verdict with problems, each with a code and a fix.
const P = require('./problems');
const { tiError } = require('../errors');

function verdictOf(problems) {
  if (problems.some((p) => p.severity === 'error')) return 'incompatible';
  return problems.length ? 'risky' : 'compatible';
}

function notElf(t, file, e) {
  const problems = [P.problem('NOT_ELF', 'error', `not an ELF file: ${e.detail || e.message}`,
    'point tls-inspect at the compiled .node or .so file')];
  return { path: file, target: t.name, ok: false, verdict: 'incompatible', problems, analysis: null };
}

// Every problem of one analyzed file on the context's target.
function evaluate(ctx, file, analysis) {
  const t = ctx.target;
  const libc = P.libcProblems(analysis, t);
  const problems = [
    ...P.archProblems(analysis, t),
    ...libc,
    ...P.interpreterProblems(analysis, t),
    ...P.versionProblems(analysis, t, ctx),
    ...P.tlsProblems(analysis, t, ctx, file),
    ...P.napiProblems(analysis, t),
    // a wrong-libc build fails on its libc first; its missing libc names add nothing
    ...(libc.length ? [] : P.libraryProblems(analysis, t, ctx, file)),
  ];
  const verdict = verdictOf(problems);
  return { path: file, target: t.name, ok: verdict !== 'incompatible', verdict, problems, analysis };
}

async function checkWith(ctx, file) {
  let analysis;
  try {
    analysis = await P.analyzeCached(ctx, file);
  } catch (e) {
    ctx.analyses.delete(file);
    if (e.code !== 'TI_ENOTELF') throw e;
    return notElf(ctx.target, file, e);
  }
  return evaluate(ctx, file, analysis);
}

function checkPath(file) {
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', 'check(path): path must be a non-empty string');
  return file;
}

async function check(file, { target = 'host' } = {}) {
  return checkWith(P.createContext(target), checkPath(file));
}

// The same verdict without the thread pool, for callers that cannot wait (register).
function checkSync(file, { target = 'host' } = {}) {
  const ctx = P.createContext(target);
  let analysis;
  try {
    analysis = require('../file/analyze').analyzeSync(checkPath(file));
  } catch (e) {
    if (e.code !== 'TI_ENOTELF') throw e;
    return notElf(ctx.target, file, e);
  }
  return evaluate(ctx, file, analysis);
}

module.exports = { check, checkSync, checkWith, verdictOf };
