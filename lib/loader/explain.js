'use strict';
// explain(): turns the message of a failed native load into a diagnosis: the
// kind of failure, the check() problem code, the module and symbol involved,
// and a fix; when the file is on disk, check() of it is attached.  Unknown
// messages come back as kind 'unknown', never as a guess.
const fs = require('fs');
const { tiError } = require('../errors');

// Only this much of a message is read: a loader message is a line or two
// (a path, a symbol, a library name), so 64 KiB holds any real one and bounds
// the work for any input.
const MESSAGE_LIMIT = 64 * 1024;

// Loader messages as glibc and musl print them (Node's process.dlopen passes
// dlerror() through, prefixing nothing but "Error: " when printed).  Each is
// recognised in one line by plain string search: linear in the line's length.

// The text before `suffix` at the end of `text` (non-empty), else null.
function before(text, suffix) {
  return text.length > suffix.length && text.endsWith(suffix) ? text.slice(0, -suffix.length) : null;
}

// glibc's messages start the line, after Node's optional "Error: ".
const glibcBody = (line) => (line.startsWith('Error: ') ? line.slice(7) : line);

// "<module><marker><rest>": the module is what comes before the first marker
// that has at least one character before it.
function split(text, marker) {
  const at = text.indexOf(marker, 1);
  return at < 0 ? null : { module: text.slice(0, at), rest: text.slice(at + marker.length) };
}

// musl's start at a marker anywhere in the line; the match runs from it.  The
// first marker decides: when it does not parse, a later one cannot either.
function muslBody(line, marker) {
  const at = line.indexOf(marker);
  return at < 0 ? null : { text: line.slice(at), rest: line.slice(at + marker.length) };
}

const IE_DYNAMIC = ': initial-exec TLS resolves to dynamic definition in ';
const NO_FILE = ': No such file or directory (needed by ';
const CANNOT_OPEN = ': cannot open shared object file: No such file or directory';
const NOT_FOUND_PREFIX = ' not found (required by ';

// musl patterns parse a whole line ({ text: the matched part, ...fields });
// glibc ones parse the message body after Node's optional "Error: ".
const PATTERNS = [
  { kind: 'static-tls', libc: 'musl', code: 'MUSL_INITIAL_EXEC', parse(line) {
    const m = muslBody(line, 'Error relocating ');
    const names = m && split(m.rest, ': ');
    const tail = names && split(names.rest, IE_DYNAMIC);
    return tail && tail.rest ? { text: m.text, module: names.module, symbol: tail.module, definedIn: tail.rest } : null;
  } },
  { kind: 'undefined-symbol', libc: 'musl', code: 'UNDEFINED_SYMBOL', parse(line) {
    const m = muslBody(line, 'Error relocating ');
    const head = m && before(m.rest, ': symbol not found');
    const names = head && split(head, ': ');
    return names && names.rest ? { text: m.text, module: names.module, symbol: names.rest } : null;
  } },
  { kind: 'missing-library', libc: 'musl', code: 'MISSING_LIBRARY', parse(line) {
    const m = muslBody(line, 'Error loading shared library ');
    const parts = m && split(m.rest, NO_FILE);
    const module = parts && before(parts.rest, ')');
    return module ? { text: m.text, library: parts.module, module } : null;
  } },
  { kind: 'static-tls', libc: 'glibc', code: 'STATIC_TLS_EXHAUSTED', body(body) {
    const module = before(body, ': cannot allocate memory in static TLS block');
    return module && { module };
  } },
  { kind: 'version', libc: 'glibc', code: 'GLIBC_TOO_OLD', body: parseVersion },
  { kind: 'missing-library', libc: 'glibc', code: 'MISSING_LIBRARY', body(body) {
    // "[<module>: ]<library>", the library a name with no colon or space.
    const head = before(body, CANNOT_OPEN);
    const at = head ? head.lastIndexOf(': ') : -1;
    const library = at < 0 ? head : head.slice(at + 2);
    return at !== 0 && /^[^\s:]+$/.test(library || '') ? { module: at < 0 ? null : head.slice(0, at), library } : null;
  } },
  { kind: 'undefined-symbol', libc: 'glibc', code: 'UNDEFINED_SYMBOL', body(body) {
    // The symbol has no spaces, so only the last marker can be followed by one.
    const at = body.lastIndexOf(': undefined symbol: ');
    const symbol = at > 0 ? body.slice(at + 20) : '';
    return /^\S+$/.test(symbol) ? { module: body.slice(0, at), symbol } : null;
  } },
  { kind: 'wrong-class', libc: 'glibc', code: 'ARCH_MISMATCH', body(body) {
    const at = body.lastIndexOf(': wrong ELF class: ');
    const elfClass = at > 0 ? body.slice(at + 19) : '';
    return /^ELFCLASS\d+$/.test(elfClass) ? { module: body.slice(0, at), elfClass } : null;
  } },
  { kind: 'not-elf', libc: 'glibc', code: 'NOT_ELF', body(body) {
    const module = before(body, ': invalid ELF header') || before(body, ': file too short');
    return module && { module };
  } },
  { kind: 'exec-stack', libc: 'glibc', code: 'EXEC_STACK', body(body) {
    const m = split(body, ': cannot enable executable stack as shared object requires: ');
    return m && m.rest ? { module: m.module, reason: m.rest } : null;
  } },
  { kind: 'not-dlopenable', libc: 'glibc', code: 'NOT_DLOPENABLE', body(body) {
    const module = before(body, ': shared object cannot be dlopen()ed') ||
      before(body, ': cannot dynamically load position-independent executable') || before(body, ': cannot dynamically load executable');
    return module && { module };
  } },
  { kind: 'not-registered', libc: null, code: 'MODULE_NOT_REGISTERED', parse(line) {
    const m = muslBody(line, "Module did not self-register: '");
    const end = m ? m.rest.indexOf("'", 1) : -1;
    return end > 0 ? { text: m.text.slice(0, m.text.length - m.rest.length + end + 1), module: m.rest.slice(0, end) }
      : null;
  } },
];

// One pattern against one line; a glibc body is tried without Node's
// "Error: " and then, if that fails, with it.
function parseLine(pattern, line) {
  if (pattern.parse) return pattern.parse(line);
  const hit = pattern.body(glibcBody(line)) || (line.startsWith('Error: ') ? pattern.body(line) : null);
  return hit && { text: line, ...hit };
}

// "<definedIn>: version `<version>' not found (required by <module>)", with
// the quotes glibc uses in any locale.  Each candidate marker is followed by
// an opening quote, and the search for its closing quote stops at the next
// quote: the candidates' searches cover disjoint stretches, so all of them
// together stay linear.
function parseVersion(body) {
  if (!body.endsWith(')')) return null;
  for (let at = body.indexOf(': version ', 1); at > 0; at = body.indexOf(': version ', at + 1)) {
    if (!'`\'‘'.includes(body[at + 10] || 'x')) continue;
    const close = nextQuote(body, at + 11);
    if (close <= at + 11 || !'\'’'.includes(body[close]) || !body.startsWith(NOT_FOUND_PREFIX, close + 1)) continue;
    const module = body.slice(close + 1 + NOT_FOUND_PREFIX.length, -1);
    if (module) return { definedIn: body.slice(0, at), version: body.slice(at + 11, close), module };
  }
  return null;
}

function nextQuote(text, from) {
  for (let i = from; i < text.length; i++) if ('`\'’'.includes(text[i])) return i;
  return -1;
}

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
  NOT_DLOPENABLE: 'the module (or a library it needs) is an executable or is marked -z nodlopen: rebuild it as a ' +
    'shared library (-shared -fPIC) without -z nodlopen',
  MODULE_NOT_REGISTERED: 'the file is a shared library but not a Node addon (or its init failed): require the ' +
    'addon\'s .node file, built with NAPI_MODULE / NAPI_MODULE_INIT',
};

// The message's text, cut at MESSAGE_LIMIT.
function messageOf(errorOrMessage) {
  const m = errorOrMessage && typeof errorOrMessage === 'object' ? errorOrMessage.message || '' : errorOrMessage;
  return String(m == null ? '' : m).slice(0, MESSAGE_LIMIT);
}

// The first pattern (in table order) that some line matches.
function match(text) {
  const lines = text.split('\n').map((l) => l.trim());
  for (const pattern of PATTERNS) {
    for (const line of lines) {
      const hit = parseLine(pattern, line);
      if (!hit) continue;
      const { text: matched, ...fields } = hit;
      return { pattern, fields, line: matched };
    }
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

// Reads a message from a stream (the CLI's stdin) for explain(): at most
// `limit` bytes (default MESSAGE_LIMIT, 64 KiB, all that explain() looks at),
// then stops and destroys the stream, so an endless input (/dev/zero) costs
// no more than the limit.  Resolves to the text read, decoded as UTF-8.
async function readMessage(stream, limit = MESSAGE_LIMIT) {
  if (!Number.isSafeInteger(limit) || limit < 1) throw tiError('TI_EINVAL', 'limit must be a positive integer');
  const chunks = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buf.subarray(0, limit - size));
    size += Math.min(buf.length, limit - size);
    if (size >= limit) break; // leaving the loop destroys the stream: nothing more is read
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

module.exports = { explain, formatDiagnosis, readMessage, MESSAGE_LIMIT, PATTERNS };
