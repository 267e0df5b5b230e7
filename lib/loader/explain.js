'use strict';
// explain(): turns the message of a failed native load into a diagnosis: the
// kind of failure, the check() problem code, the module and symbol involved,
// and a fix; when the file is on disk, check() of it is attached.  Unknown
// messages come back as kind 'unknown', never as a guess.
const fs = require('fs');

// Loader messages as glibc and musl print them (Node's process.dlopen passes
// dlerror() through, prefixing nothing but "Error: " when printed).
const PATTERNS = [
  { kind: 'static-tls', libc: 'musl', code: 'MUSL_INITIAL_EXEC',
    re: /Error relocating (.+?): (.+?): initial-exec TLS resolves to dynamic definition in (.+?)\s*$/m,
    fields: ['module', 'symbol', 'definedIn'] },
  { kind: 'undefined-symbol', libc: 'musl', code: 'UNDEFINED_SYMBOL',
    re: /Error relocating (.+?): (.+?): symbol not found\s*$/m, fields: ['module', 'symbol'] },
  { kind: 'missing-library', libc: 'musl', code: 'MISSING_LIBRARY',
    re: /Error loading shared library (.+?): No such file or directory \(needed by (.+?)\)\s*$/m,
    fields: ['library', 'module'] },
  { kind: 'static-tls', libc: 'glibc', code: 'STATIC_TLS_EXHAUSTED',
    re: /^(?:Error: )?(.+?): cannot allocate memory in static TLS block\s*$/m, fields: ['module'] },
  { kind: 'version', libc: 'glibc', code: 'GLIBC_TOO_OLD',
    re: /^(?:Error: )?(.+?): version [`'‘]([^`'’]+)['’] not found \(required by (.+?)\)\s*$/m,
    fields: ['definedIn', 'version', 'module'] },
  { kind: 'missing-library', libc: 'glibc', code: 'MISSING_LIBRARY',
    re: /^(?:Error: )?(?:(.+?): )?([^\s:]+): cannot open shared object file: No such file or directory\s*$/m,
    fields: ['module', 'library'] },
  { kind: 'undefined-symbol', libc: 'glibc', code: 'UNDEFINED_SYMBOL',
    re: /^(?:Error: )?(.+?): undefined symbol: (\S+)\s*$/m, fields: ['module', 'symbol'] },
  { kind: 'wrong-class', libc: 'glibc', code: 'ARCH_MISMATCH',
    re: /^(?:Error: )?(.+?): wrong ELF class: (ELFCLASS\d+)\s*$/m, fields: ['module', 'elfClass'] },
  { kind: 'not-elf', libc: 'glibc', code: 'NOT_ELF',
    re: /^(?:Error: )?(.+?): (?:invalid ELF header|file too short)\s*$/m, fields: ['module'] },
  { kind: 'exec-stack', libc: 'glibc', code: 'EXEC_STACK',
    re: /^(?:Error: )?(.+?): cannot enable executable stack as shared object requires: (.+?)\s*$/m,
    fields: ['module', 'reason'] },
  { kind: 'not-registered', libc: null, code: 'MODULE_NOT_REGISTERED',
    re: /Module did not self-register: '(.+?)'/, fields: ['module'] },
];

const FIXES = {
  STATIC_TLS_EXHAUSTED: 'rebuild the module without initial-exec TLS (-ftls-model=global-dynamic); or raise ' +
    'GLIBC_TUNABLES=glibc.rtld.optional_static_tls; or LD_PRELOAD the module',
  MUSL_INITIAL_EXEC: 'rebuild without initial-exec TLS for musl (-ftls-model=global-dynamic; jemalloc ' +
    '--disable-initial-exec-tls; Rust: mimalloc local_dynamic_tls), or load it at start-up with LD_PRELOAD',
  GLIBC_TOO_OLD: 'install a build made for this glibc (or older), or run on a newer distribution',
  GLIBCXX_TOO_OLD: 'install a build made with an older GCC or with -static-libstdc++, or a newer libstdc++',
  VERSION_NOT_FOUND: 'the library it needs is older than the one it was built against: install a matching build',
  MISSING_LIBRARY: 'install the package that provides the library, or ship it beside the addon with RUNPATH $ORIGIN',
  UNDEFINED_SYMBOL: 'the module was built against a different library or libc than the one loaded: reinstall or ' +
    'rebuild it here (npm rebuild)',
  LIBC_MISMATCH: 'install the build for this libc (the musl build on Alpine), or rebuild from source here',
  NAPI_VERSION: 'use a Node.js release with that Node-API version, or build the addon for an older NAPI_VERSION',
  ARCH_MISMATCH: 'install the build for this architecture and ELF class',
  NOT_ELF: 'the file is not a compiled library: reinstall or rebuild the addon',
  EXEC_STACK: 'rebuild with a non-executable stack (-Wl,-z,noexecstack; check assembly files for .note.GNU-stack)',
  MODULE_NOT_REGISTERED: 'the file is a shared library but not a Node addon (or its init failed): require the ' +
    'addon\'s .node file, built with NAPI_MODULE / NAPI_MODULE_INIT',
};

function messageOf(errorOrMessage) {
  if (errorOrMessage && typeof errorOrMessage === 'object') return String(errorOrMessage.message || '');
  return String(errorOrMessage == null ? '' : errorOrMessage);
}

function match(text) {
  for (const p of PATTERNS) {
    const m = p.re.exec(text);
    if (!m) continue;
    const fields = {};
    p.fields.forEach((f, i) => { fields[f] = m[i + 1] === undefined ? null : m[i + 1]; });
    return { pattern: p, fields, line: m[0].trim() };
  }
  return null;
}

// Refines the code with what check() knows of the file.
function refineCode(d, result) {
  const codes = result ? result.problems.map((p) => p.code) : [];
  if (d.kind === 'version' && /^GLIBCXX_/.test(d.version || '')) return 'GLIBCXX_TOO_OLD';
  if (d.kind === 'version' && !/^GLIBC_/.test(d.version || '')) return 'VERSION_NOT_FOUND';
  if (d.kind === 'undefined-symbol') {
    if (/^(napi|node_api)_/.test(d.symbol || '')) return 'NAPI_VERSION';
    if (codes.includes('LIBC_MISMATCH')) return 'LIBC_MISMATCH';
  }
  return d.code;
}

// check() against the libc whose loader wrote the message.
function checkFile(file, libc) {
  if (!file || !fs.existsSync(file)) return null;
  try {
    const host = require('../process/host').libc().family;
    return require('./check').checkSync(file, { target: libc && libc !== host ? libc : 'host' });
  } catch (_) {
    return null; // the diagnosis stands without it
  }
}

function explain(errorOrMessage, { path: filePath } = {}) {
  const message = messageOf(errorOrMessage);
  const hit = match(message);
  if (!hit) {
    return { kind: 'unknown', code: null, module: filePath || null, symbol: null, definedIn: null, libc: null,
      message: message.split('\n')[0], fix: null, check: null };
  }
  const d = { kind: hit.pattern.kind, code: hit.pattern.code, module: null, symbol: null, definedIn: null,
    libc: hit.pattern.libc, ...hit.fields, message: hit.line };
  if (!d.module && filePath) d.module = filePath;
  // glibc names the module that defines the TLS; that file is the one to check.
  const result = checkFile(d.module, d.libc);
  d.code = refineCode(d, result);
  const problem = result && result.problems.find((p) => p.code === d.code);
  d.fix = problem ? problem.fix : FIXES[d.code];
  if (problem && problem.tunable) d.tunable = problem.tunable;
  if (result && result.analysis && result.analysis.tlsSymbols.length) {
    d.tlsSymbols = result.analysis.tlsSymbols.filter((s) => s.defined).slice(0, 3);
  }
  d.check = result;
  return d;
}

// The text register() appends to an error message.
function formatDiagnosis(d) {
  const lines = [`tls-inspect: ${d.code} (${d.kind}${d.libc ? `, ${d.libc}` : ''})`];
  if (d.module) lines.push(`  module: ${d.module}`);
  if (d.symbol) lines.push(`  symbol: ${d.symbol}${d.definedIn ? ` (defined in ${d.definedIn})` : ''}`);
  if (d.library) lines.push(`  missing library: ${d.library}`);
  if (d.version) lines.push(`  needs: ${d.version}${d.definedIn ? ` from ${d.definedIn}` : ''}`);
  if (d.tlsSymbols && d.tlsSymbols.length) {
    lines.push(`  largest TLS: ${d.tlsSymbols.map((s) => `${s.demangled || s.name} (${s.size} bytes)`).join(', ')}`);
  }
  if (d.check) {
    for (const p of d.check.problems.filter((x) => x.code !== d.code)) lines.push(`  also: ${p.code}: ${p.message}`);
  }
  lines.push(`  fix: ${d.fix}`);
  return lines.join('\n');
}

module.exports = { explain, formatDiagnosis, PATTERNS };
