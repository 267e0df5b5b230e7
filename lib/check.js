'use strict';
// check(): will this file load on the target?  Turns analyze() and the live
// static TLS budget into a verdict with problems, each with a code and a fix.
const P = require('./problems');
const { tiError } = require('./errors');

function verdictOf(problems) {
  if (problems.some((p) => p.severity === 'error')) return 'incompatible';
  return problems.length ? 'risky' : 'compatible';
}

async function checkWith(ctx, file) {
  const t = ctx.target;
  let analysis;
  try {
    analysis = await P.analyzeCached(ctx, file);
  } catch (e) {
    ctx.analyses.delete(file);
    if (e.code !== 'TI_ENOTELF') throw e;
    const problems = [P.problem('NOT_ELF', 'error', `not an ELF file: ${e.detail || e.message}`,
      'point tls-inspect at the compiled .node or .so file')];
    return { path: file, target: t.name, ok: false, verdict: 'incompatible', problems, analysis: null };
  }
  const libc = P.libcProblems(analysis, t);
  const problems = [
    ...P.archProblems(analysis, t),
    ...libc,
    ...P.interpreterProblems(analysis, t),
    ...P.versionProblems(analysis, t, ctx),
    ...P.tlsProblems(analysis, t, ctx, file),
    ...P.napiProblems(analysis, t),
    // a wrong-libc build fails on its libc first; its missing libc names add nothing
    ...(libc.length ? [] : await P.libraryProblems(analysis, t, ctx, file)),
  ];
  const verdict = verdictOf(problems);
  return { path: file, target: t.name, ok: verdict !== 'incompatible', verdict, problems, analysis };
}

async function check(file, { target = 'host' } = {}) {
  if (typeof file !== 'string' || !file) throw tiError('TI_EINVAL', 'check(path): path must be a non-empty string');
  const ctx = P.createContext(target);
  ctx.analyses.clear();
  return checkWith(ctx, file);
}

module.exports = { check, checkWith, verdictOf };
