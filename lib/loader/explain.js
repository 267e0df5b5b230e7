'use strict';
// explain(): turns what a failed native load left behind (an Error, its
// causes, or the text a user pasted) into a diagnosis: the kind of failure,
// the check() problem code, the module and symbol involved, and a fix; when
// the file is on disk, check() of it is attached.  Unknown messages come back
// as kind 'unknown', never as a guess.
//
// How a message is read:
// - Wrappers are not parsed, they are looked through: every rule finds the
//   loader's own wording (a marker such as ": invalid ELF header") anywhere in
//   a line and takes the file name next to it, so "ImportError: ",
//   "OSError: ", "Original error: ", a JSON array or a log prefix around it
//   changes nothing.  Lines a terminal broke are tried joined when no single
//   line says anything.
// - An Error's `cause` (an Error, an array, an AggregateError's `errors`) is
//   followed, bounded; the loader's own failure (tier 1) beats a package
//   loader's account of it (tier 2, "Cannot find native binding"), and among
//   equals the first one met wins: the first line of a musl report is the
//   cause, the symbol errors after it only follow from it.
// - The code is decided from facts: glibc's and musl's export tables say
//   whether a missing symbol is one only glibc has (a glibc build on musl),
//   one a later musl added, or neither; V8/Node/libuv symbols mean an addon
//   built for another Node.
const fs = require('fs');
const path = require('path');
const { tiError } = require('../errors');
const { cmpVersion } = require('../version');
const { CPU_NAMES } = require('../platform');

// Only this much of a message is read (all causes together): a loader message
// is a line or two, so 64 KiB holds any real one and bounds the work.
const MESSAGE_LIMIT = 64 * 1024;
const CAUSE_LIMIT = 32; // errors visited along `cause` / `errors`
const DEPTH_LIMIT = 8;
const LINE_LIMIT = 4096; // lines kept per message

// ---- reading the text ----

// A property of a foreign object: getters and Proxies may throw.
function prop(obj, key) {
  try {
    return obj[key];
  } catch (_) {
    return undefined;
  }
}

// The messages of an error and of its causes, in visiting order (the error,
// then depth-first its `errors` and `cause`), bounded in count and size.
function messagesOf(input) {
  const out = [];
  const seen = new Set();
  let budget = MESSAGE_LIMIT;
  const push = (m) => {
    if (typeof m !== 'string' || !m || budget <= 0) return;
    out.push(m.slice(0, budget));
    budget -= Math.min(m.length, budget);
  };
  const visit = (v, depth) => {
    if (v == null || out.length >= CAUSE_LIMIT || depth > DEPTH_LIMIT) return;
    if (typeof v !== 'object' && typeof v !== 'function') { push(String(v)); return; }
    if (seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && i < CAUSE_LIMIT; i++) visit(prop(v, i), depth + 1);
      return;
    }
    push(prop(v, 'message'));
    const errors = prop(v, 'errors');
    if (Array.isArray(errors)) visit(errors, depth + 1);
    visit(prop(v, 'cause'), depth + 1);
  };
  visit(input, 0);
  return out;
}

// The lines of a message: musl's reports, several pasted on one line (a
// terminal that lost the newlines), are split at each report's start.
const REPORT_STARTS = ['Error relocating ', 'Error loading shared library '];
function linesOf(text) {
  const lines = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    // each start is searched for once from where the last cut was: linear
    const next = REPORT_STARTS.map((s) => line.indexOf(s, 1));
    let from = 0;
    for (;;) {
      let cut = -1;
      for (let k = 0; k < next.length; k++) {
        while (next[k] >= 0 && next[k] <= from) next[k] = line.indexOf(REPORT_STARTS[k], from + 1);
        if (next[k] > from && (cut < 0 || next[k] < cut)) cut = next[k];
      }
      if (cut < 0 || lines.length >= LINE_LIMIT) break;
      lines.push(line.slice(from, cut));
      from = cut;
    }
    lines.push(line.slice(from));
    if (lines.length >= LINE_LIMIT) break;
  }
  return lines.slice(0, LINE_LIMIT);
}

// The word that ends at `end`: a file name or symbol, delimited by white
// space, quotes and brackets (what wrappers put around a path).
const STOPS = ' \t"\'`[(<{,=|';
function wordBefore(line, end) {
  let i = end;
  while (i > 0 && !STOPS.includes(line[i - 1])) i--;
  return line.slice(i, end);
}
function wordAfter(line, from) {
  let i = from;
  // a symbol or name never holds a backslash: one after it is an escaped
  // newline of a message pasted as a string literal
  while (i < line.length && !STOPS.includes(line[i]) && !')]\\'.includes(line[i])) i++;
  return line.slice(from, i);
}
// The word before "<word>: " that ends at `end` (the module before a symbol).
function previousWord(line, end) {
  return end >= 2 && line.slice(end - 2, end) === ': ' ? wordBefore(line, end - 2) : '';
}
// Names a file, not a wrapper's word ("ImportError", "libraries").
const looksLikeFile = (w) => /[/\\]|\.so(\.|$)|\.node$|\.dll$|\.dylib$/.test(w || '');
const fileOrNull = (w) => (looksLikeFile(w) ? w : null);

// "<program>: error while loading shared libraries: ...": ld.so starting a program.
function programOf(line) {
  const at = line.indexOf(': error while loading shared libraries: ');
  return at > 0 ? fileOrNull(wordBefore(line, at)) || wordBefore(line, at) || null : null;
}

// ---- the loader's own messages (tier 1), found anywhere in a line ----

const IE_DYNAMIC = ': initial-exec TLS resolves to dynamic definition in ';
const SYMBOL_NOT_FOUND = ': symbol not found';

// musl: "Error relocating <module>: <symbol>: <what>".
function muslRelocating(line) {
  const at = line.indexOf('Error relocating ');
  if (at < 0) return null;
  const rest = line.slice(at + 17);
  const ie = rest.indexOf(IE_DYNAMIC);
  const nf = rest.indexOf(SYMBOL_NOT_FOUND);
  const end = ie >= 0 && (nf < 0 || ie < nf) ? ie : nf;
  if (end < 0) return null;
  const head = rest.slice(0, end);
  const sep = head.lastIndexOf(': ');
  if (sep <= 0 || sep + 2 >= head.length) return null;
  const hit = { module: head.slice(0, sep), symbol: head.slice(sep + 2) };
  if (end === ie) return { ...hit, ie: true, definedIn: wordAfter(rest, ie + IE_DYNAMIC.length) || null };
  return hit;
}

const PATTERNS = [
  { kind: 'static-tls', libc: 'musl', code: 'MUSL_INITIAL_EXEC', parse(line) {
    const m = muslRelocating(line);
    return m && m.ie ? { module: m.module, symbol: m.symbol, definedIn: m.definedIn } : null;
  } },
  { kind: 'undefined-symbol', libc: 'musl', code: 'UNDEFINED_SYMBOL', parse(line) {
    const m = muslRelocating(line);
    if (m) return m.ie ? null : { module: m.module, symbol: m.symbol };
    // the bare form some tools print: "<module>: <symbol>: symbol not found"
    // (macOS dyld's "...): symbol not found in flat namespace" is not it)
    const at = line.indexOf(SYMBOL_NOT_FOUND);
    const symbol = at > 0 ? wordBefore(line, at) : '';
    if (!symbol || /[:)]$/.test(symbol) || /^\s+in\b/.test(line.slice(at + 18, at + 24))) return null;
    return { module: previousWord(line, at - symbol.length) || null, symbol };
  } },
  { kind: 'missing-library', libc: 'musl', code: 'MISSING_LIBRARY', parse(line) {
    // "Error loading shared library <lib>: <reason> (needed by <module>)"
    const at = line.indexOf('Error loading shared library ');
    if (at < 0) return null;
    const rest = line.slice(at + 29);
    const colon = rest.indexOf(': ');
    const needed = rest.indexOf('(needed by ');
    if (colon <= 0 || needed < colon) return null;
    const close = rest.indexOf(')', needed);
    if (close < 0) return null;
    const module = rest.slice(needed + 11, close);
    const reason = rest.slice(colon + 2, needed).trim();
    return module ? { library: rest.slice(0, colon), module, reason } : null;
  } },
  { kind: 'static-tls', libc: 'glibc', code: 'STATIC_TLS_EXHAUSTED', parse(line) {
    const at = line.indexOf(': cannot allocate memory in static TLS block');
    return at < 0 ? null : { module: fileOrNull(wordBefore(line, at)) || programOf(line) };
  } },
  { kind: 'version', libc: 'glibc', code: 'GLIBC_TOO_OLD', parse: parseVersion },
  { kind: 'missing-library', libc: 'glibc', code: 'MISSING_LIBRARY', parse(line) {
    const at = line.indexOf(': cannot open shared object file: ');
    const library = at > 0 ? wordBefore(line, at) : '';
    if (!library) return null;
    return { library, module: fileOrNull(previousWord(line, at - library.length)) || programOf(line) };
  } },
  { kind: 'undefined-symbol', libc: 'glibc', code: 'UNDEFINED_SYMBOL', parse(line) {
    const at = line.indexOf(': undefined symbol: ');
    const symbol = at > 0 ? wordAfter(line, at + 20) : '';
    return symbol ? { module: wordBefore(line, at) || null, symbol } : null;
  } },
  { kind: 'wrong-class', libc: 'glibc', code: 'ARCH_MISMATCH', parse(line) {
    const at = line.indexOf(': wrong ELF class: ');
    const m = at > 0 ? /^ELFCLASS\d+/.exec(line.slice(at + 19, at + 40)) : null;
    return m ? { module: wordBefore(line, at) || null, elfClass: m[0] } : null;
  } },
  { kind: 'not-elf', libc: 'glibc', code: 'NOT_ELF', parse(line) {
    for (const [marker, reason] of [[': invalid ELF header', 'invalid ELF header'], [': file too short', 'file too short']]) {
      const at = line.indexOf(marker);
      if (at > 0) return { module: wordBefore(line, at) || null, reason };
    }
    return null;
  } },
  { kind: 'exec-stack', libc: 'glibc', code: 'EXEC_STACK', parse(line) {
    const marker = ': cannot enable executable stack as shared object requires';
    const at = line.indexOf(marker);
    if (at < 0) return null;
    const reason = line.slice(at + marker.length).replace(/^:\s*/, '').split(/[:"`'\]\\]/)[0].trim() || null;
    return { module: wordBefore(line, at) || programOf(line), reason };
  } },
  { kind: 'not-dlopenable', libc: 'glibc', code: 'NOT_DLOPENABLE', parse(line) {
    for (const marker of [': shared object cannot be dlopen()ed', ': cannot dynamically load position-independent executable',
      ': cannot dynamically load executable']) {
      const at = line.indexOf(marker);
      if (at > 0) return { module: wordBefore(line, at) || null };
    }
    return null;
  } },
  // compiler-rt's start-up check: "==PID==ASan runtime ...", no module named
  { kind: 'preload-required', libc: 'glibc', code: 'PRELOAD_REQUIRED', parse(line) {
    const at = line.indexOf('ASan runtime does not come first in initial library list');
    return at >= 0 ? { module: null } : null;
  } },
  // Node's refusal under --force-context-aware ("Loading non context-aware native addons has been
  // disabled", "modules" before Node 18) and Electron 9-13's in a renderer ("Loading non-context-aware
  // native module in renderer: '<file>', but app.allowRendererProcessReuse is true")
  { kind: 'not-context-aware', libc: null, code: 'NOT_CONTEXT_AWARE', parse(line) {
    const at = line.search(/non[ -]context-aware native (?:addon|module)/);
    if (at < 0) return null;
    const m = /^[^']{0,80}renderer: '([^']+)'/.exec(line.slice(at, at + 4096));
    return { module: m ? m[1] : null };
  } },
  { kind: 'not-registered', libc: null, code: 'MODULE_NOT_REGISTERED', parse(line) {
    const at = line.indexOf('Module did not self-register');
    if (at < 0) return null;
    const m = /^: '([^']+)'/.exec(line.slice(at + 28, at + 28 + 4096));
    return { module: m ? m[1] : null };
  } },
];

// "<definedIn>: version `<version>' not found[ (required by <module>)]", with
// the quotes glibc uses in any locale.  Each candidate marker is followed by
// an opening quote, and the search for its closing quote stops at the next
// quote: the candidates' searches cover disjoint stretches, so all of them
// together stay linear.
function parseVersion(line) {
  for (let at = line.indexOf(': version ', 1); at > 0; at = line.indexOf(': version ', at + 1)) {
    if (!'`\'‘'.includes(line[at + 10] || 'x')) continue;
    const close = nextQuote(line, at + 11);
    if (close <= at + 11 || !'\'’'.includes(line[close]) || !line.startsWith(' not found', close + 1)) continue;
    const req = line.startsWith(' (required by ', close + 11) ? close + 25 : -1;
    const end = req < 0 ? -1 : line.indexOf(')', req);
    return { definedIn: wordBefore(line, at) || null, version: line.slice(at + 11, close),
      module: req < 0 ? null : line.slice(req, end < 0 ? undefined : end) || null };
  }
  return null;
}

function nextQuote(text, from) {
  for (let i = from; i < text.length; i++) if ('`\'’'.includes(text[i])) return i;
  return -1;
}

// Node's ABI check, over the whole text (Node breaks it over lines):
// "The module '<file>' was compiled against a different Node.js version using
// NODE_MODULE_VERSION <built>. This version of Node.js requires NODE_MODULE_VERSION <running>."
function parseAbi(flat) {
  const at = flat.indexOf('was compiled against a different Node.js version using');
  if (at < 0) return null;
  const nums = [];
  for (let i = flat.indexOf('NODE_MODULE_VERSION', at); i > 0 && nums.length < 2; i = flat.indexOf('NODE_MODULE_VERSION', i + 1)) {
    const m = /^NODE_MODULE_VERSION\s+(\d{1,4})/.exec(flat.slice(i, i + 30));
    if (m) nums.push(Number(m[1]));
  }
  const open = flat.lastIndexOf("The module '", at);
  const close = open >= 0 ? flat.indexOf("'", open + 12) : -1;
  return { module: open >= 0 && close > open && close < at ? flat.slice(open + 12, close) : null,
    abi: { built: nums[0] || null, running: nums[1] || null } };
}

// ---- a package's own loader (tier 2): the binary for this system is missing ----

const OSES = new Set(['linux', 'linuxmusl', 'darwin', 'win32', 'windows', 'freebsd', 'openbsd', 'netbsd', 'android', 'sunos', 'aix']);
// a package loader's own words ("linux-64") name a cpu by its bits too
const CPUS = { ...CPU_NAMES, '64': 'x64', '32': 'ia32' };
const LIBCS = { gnu: 'glibc', musl: 'musl', gnueabihf: 'glibc', musleabihf: 'musl', msvc: null };

// The os/cpu/libc a platform package's name or binary's name stands for
// ("@rollup/rollup-linux-x64-musl", "lightningcss.linux-arm64-gnu.node",
// "@img/sharp-linuxmusl-x64", "esbuild-darwin-64"), or null.
function platformOf(name) {
  const parts = String(name).toLowerCase().split(/[-./@]/);
  let os = null;
  let cpu = null;
  let libc = null;
  for (const p of parts) {
    if (!os && OSES.has(p)) os = p;
    else if (os && !cpu && Object.prototype.hasOwnProperty.call(CPUS, p)) cpu = CPUS[p];
    else if (os && Object.prototype.hasOwnProperty.call(LIBCS, p)) libc = LIBCS[p];
  }
  if (!os || !cpu) return null;
  if (os === 'linuxmusl') { os = 'linux'; libc = 'musl'; }
  if (os === 'windows') os = 'win32';
  if (os === 'linux' && !libc) libc = 'glibc';
  return { os, cpu, libc };
}

// The package a required name stands for: a package name as it is; a local
// napi-rs binary "<dir>/<name>.<platform>.node" -> "<name>-<platform>".
function packageOf(spec) {
  if (spec.length > 512) return null; // longer than any package name or path a loader tries
  if (!/^[./\\]/.test(spec)) return spec;
  const m = /([^/\\]+)\.([^./\\]+)\.node$/.exec(spec);
  return m ? `${m[1]}-${m[2]}` : null;
}

const PACKAGE_PATTERNS = [
  { why: 'missing-module', parse(line) {
    const at = line.indexOf('Cannot find module ');
    if (at < 0) return null;
    const spec = wordAfter(line, at + 19 + (`'"\``.includes(line[at + 19]) ? 1 : 0)).replace(/\.$/, '');
    const pkg = spec && platformOf(spec) ? packageOf(spec) : null;
    return pkg ? { module: pkg, package: pkg, platform: platformOf(pkg) } : null;
  } },
  { why: 'esbuild', parse(line) {
    const m = /needs the "([^"\s]{1,214})" package|The package "([^"\s]{1,214})" could not be found/.exec(line);
    const pkg = m && (m[1] || m[2]);
    return pkg && platformOf(pkg) ? { module: pkg, package: pkg, platform: platformOf(pkg) } : null;
  } },
  { why: 'sharp', parse(line) {
    const m = /Could not load the "sharp" module using the ([a-z0-9-]{1,40}) runtime/.exec(line);
    const pkg = m && platformOf(m[1]) ? `@img/sharp-${m[1]}` : null;
    return pkg ? { module: pkg, package: pkg, platform: platformOf(m[1]) } : null;
  } },
  { why: 'napi-rs', parse(line) {
    return line.includes('Cannot find native binding') ? { module: null } : null;
  } },
  { why: 'bindings', parse(line, lines, i) {
    if (!line.includes('Could not locate the bindings file')) return null;
    // "Tried:" then one path per line; the package is the directory above build/ (or compiled/, out/, ...)
    for (let j = i + 1; j < lines.length && j < i + 4; j++) {
      const m = /^\s*(?:→|-)\s+(\S+)/.exec(lines[j]);
      if (!m) continue;
      const cut = m[1].search(/[/\\](?:build|out|Debug|Release|compiled|lib[/\\]binding|addon-build)[/\\]/);
      return { module: cut > 0 ? m[1].slice(0, cut) : path.dirname(m[1]), tried: m[1] };
    }
    return { module: null };
  } },
];

// ---- finding the cause ----

// The first tier-1 hit of a message (line by line, then the lines joined as a
// terminal may have broken them), else its first tier-2 hit.
function diagnoseText(text) {
  const lines = linesOf(text);
  const joinedSpace = lines.map((l) => l.trim()).join(' ');
  const tryLines = (list) => {
    for (const line of list) {
      for (const p of PATTERNS) {
        const hit = p.parse(line);
        if (hit) return { tier: 1, pattern: p, fields: hit, line: line.trim() };
      }
    }
    return null;
  };
  const abi = parseAbi(joinedSpace);
  const first = tryLines(lines);
  if (first) return first;
  if (abi) {
    return { tier: 1, pattern: { kind: 'node-abi', libc: null, code: 'NODE_ABI_MISMATCH' }, fields: abi,
      line: joinedSpace.slice(Math.max(0, joinedSpace.indexOf('was compiled against') - 200)).slice(0, 400) };
  }
  const joined = tryLines([joinedSpace, lines.join('')]);
  if (joined) return joined;
  // a wrapper that names nothing ("Cannot find native binding") yields to
  // what it wraps when that names the package (its "[cause]" lines)
  let vague = null;
  for (let i = 0; i < lines.length; i++) {
    for (const p of PACKAGE_PATTERNS) {
      const hit = p.parse(lines[i], lines, i);
      if (!hit) continue;
      const found = { tier: hit.module ? 2 : 3, pattern: { kind: 'no-binary', libc: null, code: 'NO_BINARY', why: p.why },
        fields: hit, line: lines[i].trim() };
      if (hit.module) return found;
      vague = vague || found;
    }
  }
  return vague;
}

function diagnoseAll(input) {
  let best = null;
  for (const text of messagesOf(input)) {
    const hit = diagnoseText(text);
    if (hit && (!best || hit.tier < best.tier)) best = hit;
    if (best && best.tier === 1) break;
  }
  return best;
}

// ---- facts that decide the code ----

let glibcTable;
function glibcSymbols() {
  if (glibcTable === undefined) {
    try {
      const t = JSON.parse(fs.readFileSync(path.join(__dirname, 'glibc-symbols.json'), 'utf8'));
      glibcTable = { symbols: new Map(Object.entries(t.symbols)), libraries: new Set(t.libraries || []) };
    } catch (_) {
      glibcTable = null; // without the table, glibc-only symbols are not judged
    }
  }
  return glibcTable;
}

// V8, Node's C++ API and libuv: what an addon that is not Node-API links to.
const NODE_INTERNAL = /^(?:_Z[NKVTRLOS]*(?:2v8|4node)(?=\d|[A-Z])|uv_[a-z]|node_module_register$|node::|v8::)/;

// A release of Node.js per NODE_MODULE_VERSION (Node's own numbers, from
// node-abi's registry); other numbers belong to Electron or NW.js builds.
const NODE_ABI = { 46: '4', 47: '5', 48: '6', 51: '7', 57: '8', 59: '9', 64: '10', 67: '11', 72: '12', 79: '13', 83: '14',
  88: '15', 93: '16', 102: '17', 108: '18', 111: '19', 115: '20', 120: '21', 127: '22', 131: '23', 137: '24', 141: '25' };
function abiName(n) {
  if (!n) return 'an unknown NODE_MODULE_VERSION';
  if (NODE_ABI[n]) return `Node.js ${NODE_ABI[n]} (NODE_MODULE_VERSION ${n})`;
  const { ELECTRON } = require('./targets');
  const electron = Object.keys(ELECTRON).filter((k) => ELECTRON[k][0] === n);
  return electron.length ? `Electron ${electron.join('/')} (NODE_MODULE_VERSION ${n})`
    : `NODE_MODULE_VERSION ${n} (not a Node.js release: an Electron or NW.js build)`;
}

// The first Node.js line with each Node-API version (Node's version matrix).
const NAPI_NODE = { 1: '8.0', 2: '8.10', 3: '10.0 (8.11.2)', 4: '10.16', 5: '10.17', 6: '10.20', 7: '10.23', 8: '12.22',
  9: '18.17', 10: '22.14' };

// Alpine releases per musl release (lib/loader/targets.js).
function alpineWith(musl) {
  const { PRESETS } = require('./targets');
  const names = Object.keys(PRESETS).filter((k) => /^alpine-/.test(k) && cmpVersion(PRESETS[k].musl, musl) >= 0);
  return names.length ? ` (${names[0].replace('alpine-', 'Alpine ')}+)` : '';
}

// Sets code and the facts behind it from what the hit says.
function decide(d) {
  const sym = d.symbol || '';
  if (d.kind === 'version') {
    if (/^GLIBCXX_|^CXXABI_/.test(d.version || '')) d.code = 'GLIBCXX_TOO_OLD';
    else if (!/^GLIBC_/.test(d.version || '')) d.code = 'VERSION_NOT_FOUND';
  }
  if (d.kind === 'missing-library' && d.libc === 'glibc' && /^(?:libc\.musl-|ld-musl-)/.test(d.library || '')) {
    d.code = 'LIBC_MISMATCH';
    d.because = `${d.library} is musl's own library: a musl build on glibc`;
  }
  if (d.kind === 'missing-library' && d.libc === 'musl') {
    const g = glibcSymbols();
    if (/^ld-linux/.test(d.library) || (g && g.libraries.has(d.library))) {
      d.code = 'LIBC_MISMATCH';
      d.because = `${d.library} is glibc's own library; musl has none`;
    } else if (d.reason && !/No such file/.test(d.reason)) d.code = /Exec format/.test(d.reason) ? 'ARCH_MISMATCH' : d.code;
  }
  if (d.kind !== 'undefined-symbol') return;
  if (/^(napi|node_api)_/.test(sym)) {
    d.code = 'NAPI_VERSION';
    const v = require('../file/napi-versions.json').functions[sym];
    if (v) d.needs = `Node-API ${v} (Node.js ${NAPI_NODE[v] || '?'} or newer)`;
    return;
  }
  if (NODE_INTERNAL.test(sym)) {
    d.code = 'NODE_ABI_MISMATCH';
    d.because = `${sym} is part of V8/Node.js/libuv, which differ between Node releases`;
    return;
  }
  if (d.libc !== 'musl') return;
  const musl = require('./symbols').muslSymbols();
  const since = musl && musl.since.get(sym);
  const glibc = glibcSymbols();
  if (since && since !== musl.releases[0]) {
    d.needs = `musl ${since}${alpineWith(since)}`;
    d.because = `${sym} was added in musl ${since}`;
  } else if (!since && musl && glibc && glibc.symbols.has(sym)) {
    d.code = 'LIBC_MISMATCH';
    d.because = `${sym} is defined by glibc (since ${glibc.symbols.get(sym)}) and by no musl release`;
  }
}

// ---- what to do ----

// Build bases (lib/loader/targets.js presets) whose glibc (or GLIBCXX) is below what the file needs.
function basesBelow(key, needed, limit) {
  const { PRESETS } = require('./targets');
  const list = Object.entries(PRESETS).filter(([name, t]) => t.libc === 'glibc' && t[key] && !/^node:|^electron/.test(name) &&
    cmpVersion(t[key], needed) < 0 && (!limit || cmpVersion(t[key], limit) <= 0));
  list.sort((a, b) => cmpVersion(b[1][key], a[1][key]));
  return list.slice(0, 3).map(([name, t]) => `${name} (${key === 'glibc' ? 'glibc' : 'GLIBCXX'} ${t[key]})`);
}

function hostGlibc() {
  try {
    const l = require('../process/host').libc();
    return l.family === 'glibc' ? l.version : null;
  } catch (_) {
    return null;
  }
}

const INSTALL_SIDE = 'side effect: npm installs only that platform\'s optional packages in this tree';

function fixFor(d) {
  switch (d.code) {
    case 'LIBC_MISMATCH': return d.libc === 'musl'
      ? 'this is a glibc build and the system uses musl (Alpine): install the musl build (napi-rs "-linux-<cpu>-musl" ' +
        'packages, prebuildify ".musl.node"; npm install --libc=musl, side effect: npm then picks musl for every package) ' +
        'or build from source on this system (npm rebuild --build-from-source; side effect: needs a compiler toolchain)' +
        `${d.symbol && !/^__/.test(d.symbol) ? `, unless the source itself calls ${d.symbol}, which no musl has: then use a glibc-based image (e.g. node:<version>-bookworm-slim; side effect: a larger image)` : ''}` +
        '; gcompat (apk add gcompat) is a stopgap that works only for simple cases'
      : 'this is a musl (Alpine) build and the system uses glibc: install the glibc build (npm install --libc=glibc; side ' +
        'effect: npm then picks glibc for every package), or rebuild from source here (side effect: needs a compiler toolchain)';
    case 'UNDEFINED_SYMBOL': return d.needs
      ? `the build needs ${d.needs}: use a system with it (a newer Alpine base image; side effect: newer system packages) or a build made for this musl`
      : 'the module was built against a different version of the library that should define the symbol: install the ' +
        'matching library version, or rebuild the module here against the installed one (side effect: needs a compiler toolchain)';
    case 'NODE_ABI_MISMATCH': return d.abi && d.abi.built
      ? `the addon was built for ${abiName(d.abi.built)} but runs in ${abiName(d.abi.running)}: reinstall it with the Node.js ` +
        'that runs it (npm rebuild, or delete node_modules and run npm ci with that Node; side effect: every native addon is ' +
        'rebuilt or re-downloaded); for Electron use @electron/rebuild; a node_modules copied from another machine is the usual cause'
      : 'the addon uses V8/Node.js internals of another Node release (it is not Node-API): reinstall it with the Node.js ' +
        'that runs it (npm rebuild; side effect: rebuilds every native addon), or use a Node-API build of the package';
    case 'NAPI_VERSION': return `the addon needs ${d.needs || 'a newer Node-API version'}: run a newer Node.js, or install an ` +
      'older release of the package built for this Node-API (side effect: older features and fixes)';
    case 'NOT_ELF': return d.reason === 'file too short'
      ? 'the file is truncated (an interrupted download or a full disk): delete it and reinstall the package'
      : 'the file is not a Linux binary: almost always node_modules installed on macOS or Windows and copied into the ' +
        'Linux image (COPY . . or a bind mount over node_modules); add node_modules to .dockerignore and run npm ci inside ' +
        'the image (side effect: the image build downloads or compiles the addons)';
    case 'ARCH_MISMATCH': return 'the file is built for another architecture or word size (ELF class): install the build for ' +
      'this CPU (npm install --cpu=<cpu> if the tree was made elsewhere), or rebuild here; a node_modules copied between ' +
      'machines is the usual cause';
    case 'EXEC_STACK': return 'the library asks for an executable stack, which glibc 2.41+ refuses in dlopen (older kernels and ' +
      'WSL1 or SELinux refuse it too): rebuild it with -Wl,-z,noexecstack (assembly files need a .note.GNU-stack section), or ' +
      'clear the flag with `patchelf --clear-execstack <file>` (side effect: modifies the file; code that really runs on the ' +
      'stack, such as GCC nested-function trampolines, then crashes)';
    case 'MODULE_NOT_REGISTERED': return 'Node loaded the file but no addon registered itself: if it loads in the main thread but ' +
      'fails in worker_threads, Jest or an Electron renderer, the addon is not context-aware (a legacy NODE_MODULE addon): ' +
      'use it only in the main thread or a context-aware (Node-API) build; otherwise it was built for another runtime ' +
      '(Electron and NW.js need their own build: @electron/rebuild), or the file is not an addon (a plain .so named .node)';
    case 'NO_BINARY': return noBinaryFix(d);
    case 'GLIBC_TOO_OLD': case 'GLIBCXX_TOO_OLD': return tooOldFix(d);
    default: return FIXES[d.code] || null;
  }
}

function noBinaryFix(d) {
  const p = d.platform;
  const flags = p ? `--os=${p.os} --cpu=${p.cpu}${p.libc ? ` --libc=${p.libc === 'glibc' ? 'glibc' : p.libc}` : ''}` : '--os=<os> --cpu=<cpu> --libc=<libc>';
  const what = d.package ? `${d.package}${p ? ` (os ${p.os}, cpu ${p.cpu}${p.libc ? `, libc ${p.libc}` : ''})` : ''}` : 'the package with the binary for this system';
  if (d.why === 'bindings') {
    return `the addon's binary was never built or downloaded${d.module ? ` in ${d.module}` : ''} (its install script failed or ` +
      'was skipped: --ignore-scripts, pnpm/bun without allowing builds): run npm rebuild <package> and read its output ' +
      '(side effect: needs a compiler toolchain when no prebuilt binary fits)';
  }
  return `${what} was never installed: a lockfile made on another OS/CPU/libc, --omit=optional, or npm's optional-` +
    `dependency bug (npm/cli#4828). Install it for this system: npm install ${flags} (${INSTALL_SIDE}); or list this ` +
    'system in supportedArchitectures (yarn .yarnrc.yml, pnpm package.json); or delete node_modules and package-lock.json ' +
    'and install again on this system (side effect: every dependency is re-resolved)';
}

function tooOldFix(d) {
  const cxx = d.code === 'GLIBCXX_TOO_OLD';
  const needed = ((d.version || '').split('_')[1] || '').replace(/[^\d.]/g, '');
  const host = cxx ? null : hostGlibc();
  const limit = host && needed && cmpVersion(host, needed) < 0 ? host : null;
  const bases = needed ? basesBelow(cxx ? 'glibcxx' : 'glibc', needed, limit) : [];
  const lib = cxx ? 'libstdc++ (GLIBCXX)' : 'glibc';
  return `the file was built on a system with a newer ${lib} than this one (it needs ${d.version}). ` +
    `Publisher: build on a base with an older ${lib}${bases.length ? `, e.g. ${bases.join(', ')}` : ''}` +
    `${cxx ? ', or link -static-libstdc++' : ''}. User: install an older release of the package whose binary needs less, ` +
    'build it from source here (npm install --build-from-source; side effect: needs a compiler toolchain), or move to a ' +
    `newer base image or distribution (side effect: every system package changes)`;
}

const FIXES = {
  STATIC_TLS_EXHAUSTED: 'rebuild the module without initial-exec TLS (-ftls-model=global-dynamic); or raise ' +
    'GLIBC_TUNABLES=glibc.rtld.optional_static_tls (side effect: every thread reserves that much more memory); or ' +
    'LD_PRELOAD the module (side effect: it is loaded into every process started with that environment)',
  MUSL_INITIAL_EXEC: 'rebuild without initial-exec TLS for musl (-ftls-model=global-dynamic; jemalloc ' +
    '--disable-initial-exec-tls; Rust: mimalloc local_dynamic_tls), or load it at start-up with LD_PRELOAD (side effect: ' +
    'loaded into every process started with that environment)',
  VERSION_NOT_FOUND: 'the library it needs is older than the one it was built against: install a matching build',
  MISSING_LIBRARY: 'install the package that provides the library, or ship it beside the addon with RUNPATH $ORIGIN',
  NOT_DLOPENABLE: 'the module (or a library it needs) is an executable or is marked -z nodlopen: rebuild it as a ' +
    'shared library (-shared -fPIC) without -z nodlopen',
  NOT_CONTEXT_AWARE: 'the addon is a legacy NODE_MODULE addon that is not context-aware: Node runs it once per process, so ' +
    'a second require() from a worker_threads Worker, a vm context, Jest (a module registry per test file) or an Electron ' +
    'renderer fails. Use a release built with Node-API or NODE_MODULE_INIT / NAN_MODULE_WORKER_ENABLED (side effect: a ' +
    'newer release may change its API); or require() it in one thread only and have the others ask that thread (side ' +
    'effect: calls cross threads); in Electron, load it in the main process and reach it over IPC (side effect: ' +
    'calls become asynchronous messages)',
  PRELOAD_REQUIRED: 'the addon (or a library it needs) is built with -fsanitize=address: start Node with ' +
    'LD_PRELOAD=$(gcc -print-file-name=libasan.so) (side effects: the whole process and its children run under ASan, ' +
    'slower and larger; ASAN_OPTIONS=detect_leaks=0 silences leak reports at exit), or use a build without ASan',
};

const ROOT_CAUSES = ['LIBC_MISMATCH', 'ARCH_MISMATCH'];
const CHECK_KNOWS_MORE = new Set(['STATIC_TLS_EXHAUSTED', 'MUSL_INITIAL_EXEC', 'MISSING_LIBRARY', 'VERSION_NOT_FOUND',
  'NOT_DLOPENABLE', 'UNDEFINED_SYMBOL']);

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

function firstLine(input) {
  const m = messagesOf(input)[0] || '';
  return m.split('\n')[0];
}

function explain(errorOrMessage, { path: filePath, check = true } = {}) {
  const hit = diagnoseAll(errorOrMessage);
  if (!hit) {
    return { kind: 'unknown', code: null, module: filePath || null, symbol: null, definedIn: null, libc: null,
      message: firstLine(errorOrMessage), fix: null, check: null };
  }
  const d = { kind: hit.pattern.kind, code: hit.pattern.code, module: null, symbol: null, definedIn: null,
    libc: hit.pattern.libc, ...hit.fields, message: hit.line };
  if (hit.pattern.why) d.why = hit.pattern.why;
  if (!d.module && filePath) d.module = filePath;
  // a path holding a quote or bracket is cut there when read from the line:
  // the file being loaded, named whole in the message, is that module
  if (filePath && d.module && d.module !== filePath && filePath.endsWith(d.module) && d.message.includes(filePath)) {
    d.module = filePath;
  }
  decide(d);
  let result = check && d.kind !== 'no-binary' ? checkFile(d.module, d.libc) : null;
  // The file being loaded, when the message names another one (a library it
  // needs): a build for the wrong libc or machine is the cause of whatever
  // its libraries then say (a musl build on glibc finds glibc's libc.so, a
  // linker script: "invalid ELF header").
  if (check && filePath && d.module !== filePath) {
    const own = checkFile(filePath, d.libc);
    const root = own && own.problems.find((p) => ROOT_CAUSES.includes(p.code));
    if (root) {
      d.because = `${filePath}: ${root.message}; "${d.message.slice(0, 200)}" follows from it`;
      Object.assign(d, { code: root.code, module: filePath, symbol: null, library: null });
      result = own;
    }
  }
  // "Module did not self-register" from a legacy addon that is not context-aware: a later
  // require() of it in the same process, from another context (node_binding.cc, DLOpen)
  const abi = result && result.analysis && result.analysis.abi;
  if (d.code === 'MODULE_NOT_REGISTERED' && abi && abi.contextAware === false) {
    d.code = 'NOT_CONTEXT_AWARE';
    d.because = 'the file is a legacy NODE_MODULE addon that registers only nm_register_func: Node runs it once per ' +
      'process, and this require() came later, from another context (a worker, a vm context, Jest, an Electron renderer)';
  }
  if (result && d.kind === 'undefined-symbol' && d.code === 'UNDEFINED_SYMBOL' &&
      result.problems.some((p) => p.code === 'LIBC_MISMATCH')) d.code = 'LIBC_MISMATCH';
  const problem = result && result.problems.find((p) => p.code === d.code);
  // check()'s own fix where it knows more than the message (the tunable that
  // fits, the library and where it was looked for); the cause's fix otherwise
  d.fix = problem && CHECK_KNOWS_MORE.has(d.code) ? problem.fix : fixFor(d);
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
  if (d.module) lines.push(`  ${d.kind === 'no-binary' && d.package ? 'package' : 'module'}: ${d.module}`);
  if (d.symbol) lines.push(`  symbol: ${d.symbol}${d.definedIn ? ` (defined in ${d.definedIn})` : ''}`);
  if (d.library) lines.push(`  missing library: ${d.library}`);
  if (d.version) lines.push(`  needs: ${d.version}${d.definedIn ? ` from ${d.definedIn}` : ''}`);
  if (d.needs) lines.push(`  needs: ${d.needs}`);
  if (d.abi) lines.push(`  built for: ${abiName(d.abi.built)}; running: ${abiName(d.abi.running)}`);
  if (d.because) lines.push(`  because: ${d.because}`);
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

module.exports = { explain, formatDiagnosis, readMessage, MESSAGE_LIMIT, PATTERNS, PACKAGE_PATTERNS, platformOf };
