#!/usr/bin/env node
'use strict';
// Generates lib/loader/musl-symbols.json: which dynamic symbols musl's libc.so
// exports in each release, read from musl's own sources in a git directory
// (one tree per release tag, through git ls-tree and cat-file), without
// building anything.
//
// Usage: node scripts/gen-musl-symbols.js <musl git dir> [--arch x86_64]
//          [--out file] [--dump <release>]
//   --dump prints the derived export list of one release (or any git ref, such
//   as a distribution's snapshot commit) instead of writing the table, one
//   name a line, to compare with a real libc.so.
//
// The table: { source, arch, releases: [oldest..newest],
//   since: { release: [names first exported then] },   (the oldest lists all)
//   removed: { release: [names no longer exported from then] },
//   lfs64: { since, removed } }  names `X64` the dynamic linker itself maps to
//   `X` when no loaded object defines them (1.2.4 dropped those aliases from
//   libc.so but keeps them resolvable this way: lfs64_list in ldso/dynlink.c).
// A release exports a name when some since-release <= it lists the name and
// no removed-release after that one and <= it does. Lists are sorted.
//
// How a release's exports are derived (mirroring musl's Makefile):
// - Sources: *.c in src/*/, src/malloc/$(MALLOC_DIR) (when the Makefile has
//   one), ldso/ and the arch's COMPAT_SRC_DIRS (arch/<arch>/arch.mak); a file
//   in <dir>/<arch>/ (.c, .s, .S) replaces the base file of the same stem.
//   crt/ is left out: it goes into crt1.o and friends, not into libc.so.
// - C files, with the quoted headers they include inlined and object-like
//   macros expanded: every file-scope function or object definition that is
//   not `static`, and the new name of every `weak_alias(old, new)`. `extern`
//   declarations, prototypes and typedefs define nothing.
// - Assembly (.s, .S files and top-level __asm__ strings in C): names made
//   `.global`/`.globl`/`.weak` (ldso/dlstart.c names _dlstart this way).
// - Conditionals are decided when they test only what the arch fixes: the
//   compiler's arch predefines, SYS_* (the arch's bits/syscall.h.in) and macros
//   that only arch/ headers define (SA_RESTORER, TLS_ABOVE_TP...); every other
//   conditional keeps all its branches, except `#if 0`.
// - Hidden: `.hidden` in asm, or a `hidden` (visibility "hidden") declaration
//   anywhere in src/, ldso/ or the arch headers of a name some C file defines
//   or refers to: the linker gives a symbol the most constraining visibility
//   among the objects that mention it, so an asm definition that no C code
//   refers to stays exported (riscv64's __restore_rt). libc.so has no version
//   script: every other global definition is in its dynamic symbol table.
//
// Checked against libc.so built from each release tag (x86_64 1.1.24-1.2.5,
// aarch64 and riscv64 1.2.5): the sets agree exactly. What it cannot see:
// definitions made by function-like macros, conditionals on anything else,
// configure choices other than the defaults (e.g. --with-malloc=oldmalloc),
// and a distribution's patches (Debian drops the crypt functions and adds
// fts_*). 32-bit archs with 64-bit time (i386, arm, mips...) are refused: their
// time symbols are renamed by asm labels in the public headers (__REDIR).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const RELEASES = ['1.1.24', '1.2.0', '1.2.1', '1.2.2', '1.2.3', '1.2.4', '1.2.5'];

// ---- reading a release tree -------------------------------------------------

function listTree(gitDir, tag) {
  const out = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', tag],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.split('\n').filter(Boolean);
}

// Reads many blobs with one `git cat-file --batch`; returns Map path -> text.
function readBlobs(gitDir, tag, paths) {
  const input = paths.map((p) => `${tag}:${p}\n`).join('');
  const out = execFileSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'],
    { input, maxBuffer: 512 << 20 });
  const files = new Map();
  let at = 0;
  for (const p of paths) {
    const nl = out.indexOf(10, at);
    const header = out.toString('latin1', at, nl).split(' ');
    if (header[1] !== 'blob') throw new Error(`cannot read ${tag}:${p}`);
    const size = Number(header[2]);
    files.set(p, out.toString('latin1', nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return files;
}

const dirOf = (p) => p.slice(0, p.lastIndexOf('/'));
const stemOf = (p) => p.slice(p.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');

function makeVar(text, name) {
  const m = text && text.match(new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm'));
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

// The libc.so sources of one release, as musl's Makefile selects them.
function librarySources(files, fileSet, makefile, archMak, arch) {
  const dirs = new Set(files.filter((f) => /^src\/[^/]+\/[^/]+$/.test(f)).map(dirOf));
  dirs.add('ldso');
  for (const d of makeVar(makefile, 'MALLOC_DIR')) dirs.add(`src/malloc/${d}`);
  for (const d of makeVar(archMak, 'COMPAT_SRC_DIRS')) dirs.add(d);
  const sources = [];
  for (const d of [...dirs].sort()) {
    const archFiles = files.filter((f) => dirOf(f) === `${d}/${arch}` && /\.[csS]$/.test(f));
    const replaced = new Set(archFiles.map(stemOf));
    sources.push(...archFiles);
    sources.push(...files.filter((f) => dirOf(f) === d && f.endsWith('.c') && !replaced.has(stemOf(f))));
  }
  if (!sources.some((f) => f.startsWith('src/'))) throw new Error('no src/ files: not a musl tree?');
  return sources.filter((f) => fileSet.has(f)).sort();
}

// ---- C: preprocessing and tokens ---------------------------------------------

const INCLUDE_DIRS = (arch) => [`arch/${arch}`, 'arch/generic', 'src/include', 'src/internal', 'include'];

// Macros the compiler predefines for each musl arch; `#if`s that test only these
// are decided, every other conditional keeps all its branches.
const ARCH_PREDEFINES = {
  x86_64: ['__x86_64__', '__x86_64', '__amd64__', '__amd64'],
  x32: ['__x86_64__', '__x86_64', '__ILP32__'],
  i386: ['__i386__', '__i386'],
  aarch64: ['__aarch64__'],
  arm: ['__arm__'],
  riscv64: ['__riscv'],
  riscv32: ['__riscv'],
  mips: ['__mips__', '__mips'],
  mips64: ['__mips__', '__mips'],
  mipsn32: ['__mips__', '__mips'],
  powerpc: ['__powerpc__', '__PPC__'],
  powerpc64: ['__powerpc64__', '__powerpc__', '__PPC__', '__PPC64__'],
  s390x: ['__s390x__', '__s390__'],
  sh: ['__sh__', '__SH__'],
  microblaze: ['__microblaze__'],
  or1k: ['__or1k__'],
  m68k: ['__m68k__', '__mc68000__'],
  loongarch64: ['__loongarch__', '__loongarch64'],
};
const ALL_PREDEFINES = new Set(Object.values(ARCH_PREDEFINES).flat());

// What the preprocessor knows of the arch: its predefines, its SYS_* numbers
// (obj/include/bits/syscall.h is bits/syscall.h.in with __NR_ renamed SYS_),
// and the macros that only arch headers define (SA_RESTORER, _REDIR_TIME64,
// TLS_ABOVE_TP...): defined for this arch when its own arch/ headers define them.
function archEnv(arch, texts) {
  const definesIn = (pick) => {
    const names = new Set();
    for (const [f, t] of texts) {
      if (pick(f)) for (const m of t.matchAll(/^\s*#\s*define\s+(\w+)/gm)) names.add(m[1]);
    }
    return names;
  };
  const anyArch = definesIn((f) => /^arch\/(?!generic\/)/.test(f));
  const common = definesIn((f) => !f.startsWith('arch/') || f.startsWith('arch/generic/'));
  const syscalls = texts.get(`arch/${arch}/bits/syscall.h.in`) || '';
  const defined = new Set([...ARCH_PREDEFINES[arch], ...definesIn((f) => f.startsWith(`arch/${arch}/`)),
    ...[...syscalls.matchAll(/^\s*#\s*define\s+__NR_(\w+)/gm)].map((m) => `SYS_${m[1]}`)]);
  const decides = (name) => ALL_PREDEFINES.has(name) || name.startsWith('SYS_') ||
    (anyArch.has(name) && !common.has(name));
  return { arch, defined, decides };
}

// true/false when the condition tests only names archEnv decides, else null.
function archCondition(word, expr, env) {
  let e = word === 'ifdef' ? `defined(${expr.trim()})` : word === 'ifndef' ? `!defined(${expr.trim()})` : expr;
  e = e.replace(/defined\s*\(?\s*(\w+)\s*\)?/g, (m, name) =>
    (env.decides(name) ? String(env.defined.has(name)) : 'null'));
  // `#if _REDIR_TIME64`: 0 where the arch's alltypes.h.in does not define it.
  e = e.replace(/\b_REDIR_TIME64\b/g, () => String(env.defined.has('_REDIR_TIME64')));
  if (/^\s*[01]\s*$/.test(e)) return e.trim() === '1';
  if (!/^[\s()!&|]*(true|false)([\s()!&|]|true|false)*$/.test(e)) return null;
  return Function(`return !!(${e})`)();
}

// Which lines of a file the compiler sees: a stack of conditional states.
class Conditionals {
  constructor(env) { this.env = env; this.stack = []; }
  get active() { return this.stack.every((c) => c.active); }
  directive(word, rest) {
    const top = this.stack[this.stack.length - 1];
    if (/^if(n?def)?$/.test(word)) {
      const v = archCondition(word, rest, this.env);
      this.stack.push(v === null ? { known: false, active: true } : { known: true, active: v, done: v });
    } else if (word === 'elif' && top) {
      const v = top.known && !top.done ? archCondition('if', rest, this.env) : null;
      if (!top.known) top.active = true;
      else if (top.done) top.active = false;
      else if (v === null) Object.assign(top, { known: false, active: true });
      else Object.assign(top, { active: v, done: v });
    } else if (word === 'else' && top) {
      top.active = !top.known || !top.done;
      top.done = true;
    } else if (word === 'endif') {
      this.stack.pop();
    }
  }
}

// Logical lines without comments; quoted includes inlined; conditionals decided
// where they test the arch; object-like macros collected into `macros`.
function preprocess(file, files, env, macros, seen = new Set()) {
  if (seen.has(file) || !files.has(file)) return '';
  seen.add(file);
  const text = files.get(file).replace(/\\\n/g, ' ')
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g,
      (m) => (m[0] === '/' ? ' ' : m));
  const out = [];
  const cond = new Conditionals(env);
  for (const line of text.split('\n')) {
    const d = line.match(/^\s*#\s*(\w+)\s*(.*)$/);
    if (!d) { if (cond.active) out.push(line); continue; }
    const [, word, rest] = d;
    cond.directive(word, rest);
    if (!cond.active) continue;
    if (word === 'define') {
      const m = rest.match(/^(\w+)\b(?!\()\s*(.*)$/);
      if (m && !macros.has(m[1])) macros.set(m[1], tokenize(m[2]));
    } else if (word === 'include') {
      const m = rest.match(/^"([^"]+)"/);
      if (!m) continue;
      const where = [dirOf(file), ...INCLUDE_DIRS(env.arch)].map((dir) => path.posix.join(dir, m[1]));
      const found = where.find((p) => files.has(p));
      if (found) out.push(preprocess(found, files, env, macros, seen));
    }
  }
  return out.join('\n');
}

// Object-like macros replaced by their bodies (a macro is not expanded inside itself).
function expand(tokens, macros, active = new Set()) {
  const out = [];
  for (const t of tokens) {
    if (macros.has(t) && !active.has(t)) {
      active.add(t);
      out.push(...expand(macros.get(t), macros, active));
      active.delete(t);
    } else {
      out.push(t);
    }
  }
  return out;
}

const TOKEN = /"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[A-Za-z_]\w*|\d[\w.]*|\.\.\.|->|##|[^\s]/g;
const tokenize = (text) => text.match(TOKEN) || [];

// Words that sit before `(` or among declaration specifiers but never name what is declared.
const NOT_A_NAME = new Set(('void char short int long float double signed unsigned _Bool _Complex complex ' +
  'const volatile restrict __restrict __restrict__ struct union enum static extern register inline ' +
  '__inline __inline__ _Noreturn _Thread_local __thread auto _Alignas sizeof typeof __typeof ' +
  '__typeof__ __attribute__ __attribute __asm__ __asm asm __volatile__ hidden weak').split(' '));
const isIdent = (t) => /^[A-Za-z_]\w*$/.test(t);

// Splits a token list at file scope into external declarations: each is
// { tokens, body, inner } where body marks a function definition and inner
// holds the tokens inside its braces (function body or initializer).
function externalDeclarations(tokens) {
  const decls = [];
  let cur = [];
  let inner = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === ';') { decls.push({ tokens: cur, body: false, inner }); cur = []; inner = []; continue; }
    if (t !== '{') { cur.push(t); continue; }
    const end = matching(tokens, i, '{', '}');
    inner.push(...tokens.slice(i + 1, end));
    if (isFunctionHead(cur)) {
      decls.push({ tokens: cur, body: true, inner });
      cur = [];
      inner = [];
    } else {
      cur.push('{', '}');
    }
    i = end;
  }
  return decls;
}

function matching(tokens, i, open, close) {
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    if (tokens[j] === open) depth++;
    else if (tokens[j] === close && --depth === 0) return j;
  }
  return tokens.length - 1;
}

// A `{` opens a function body when the declaration so far ends in a parameter
// list (attributes aside) and has no `=` (an initializer) at paren depth 0.
function isFunctionHead(toks) {
  const clean = withoutAttributes(toks);
  if (!clean.length || clean[clean.length - 1] !== ')') return false;
  let depth = 0;
  for (const t of clean) {
    if (t === '(') depth++;
    else if (t === ')') depth--;
    else if (t === '=' && depth === 0) return false;
  }
  return true;
}

// Drops __attribute__((...)), __asm__("...") labels and the like from a declaration.
function withoutAttributes(toks) {
  const out = [];
  for (let i = 0; i < toks.length; i++) {
    if (/^(__attribute__|__attribute|__asm__|__asm|asm|_Alignas)$/.test(toks[i]) && toks[i + 1] === '(') {
      i = matching(toks, i + 1, '(', ')');
      continue;
    }
    out.push(toks[i]);
  }
  return out;
}

const isHiddenDecl = (toks) => toks.includes('hidden') ||
  (toks.some((t) => t === '__visibility__' || t === 'visibility') && toks.includes('"hidden"'));

// Splits at commas outside parentheses, brackets and braces.
function splitTopLevel(toks) {
  const parts = [[]];
  let depth = 0;
  for (const t of toks) {
    if ('([{'.includes(t)) depth++;
    else if (')]}'.includes(t)) depth--;
    if (t === ',' && depth === 0) parts.push([]);
    else parts[parts.length - 1].push(t);
  }
  return parts;
}

// The name a declarator declares and whether it declares a function.
function declaratorName(toks) {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t === 'struct' || t === 'union' || t === 'enum') { if (isIdent(toks[i + 1])) i++; continue; }
    if (!isIdent(t) || NOT_A_NAME.has(t)) continue;
    const next = toks[i + 1];
    if (next === undefined || next === '=' || next === '[' || next === ')' || next === ':') {
      return { name: t, func: false };
    }
    if (next === '(') return { name: t, func: true };
  }
  return null;
}

// ---- definitions in one C translation unit and one asm file -------------------

// Adds what one C translation unit defines, declares hidden and refers to.
function scanC(text, macros, found) {
  const tokens = expand(tokenize(text), macros);
  for (const { tokens: toks, body, inner } of externalDeclarations(tokens)) {
    for (const t of inner) if (isIdent(t)) found.mentioned.add(t);
    if (!toks.length) continue;
    if ((toks[0] === 'weak_alias' || toks[0] === 'strong_alias') && toks[1] === '(') {
      const args = splitTopLevel(toks.slice(2, matching(toks, 1, '(', ')')));
      if (args[1] && args[1].length === 1) found.defined.add(args[1][0]);
      if (args[0] && args[0].length === 1) found.mentioned.add(args[0][0]);
      continue;
    }
    if (/^(__asm__|__asm|asm)$/.test(toks[0])) {
      scanAsm(asmText(toks), found);
      continue;
    }
    if (toks.includes('typedef')) continue;
    const hidden = isHiddenDecl(toks);
    const local = toks.includes('static');
    const clean = withoutAttributes(toks);
    if (body) {
      const d = declaratorName(clean);
      if (d && hidden) found.hiddenDecl.add(d.name);
      if (d && !local) found.defined.add(d.name);
      continue;
    }
    const init = clean.indexOf('=');
    for (const part of splitTopLevel(clean)) {
      const eq = part.indexOf('=');
      for (const t of eq < 0 ? [] : part.slice(eq + 1)) if (isIdent(t)) found.mentioned.add(t);
      const d = declaratorName(eq < 0 ? part : part.slice(0, eq));
      if (!d) continue;
      if (hidden) found.hiddenDecl.add(d.name);
      const definition = !d.func && !local && (!toks.includes('extern') || init >= 0);
      if (definition) found.defined.add(d.name);
    }
  }
}

// The text of a top-level __asm__(...).
function asmText(toks) {
  return toks.filter((t) => t[0] === '"')
    .map((t) => t.slice(1, -1).replace(/\\n/g, '\n').replace(/\\t/g, '\t'))
    .join('');
}

function scanAsm(text, found) {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|\s)(#|\/\/)[^\n]*/g, '$1');
  for (const line of clean.split(/[\n;]/)) {
    const m = line.trim().match(/^\.(globl|global|weak|hidden)\s+(.*)$/);
    if (!m) continue;
    for (const name of m[2].split(',').map((s) => s.trim()).filter(isIdent)) {
      (m[1] === 'hidden' ? found.asmHidden : found.asmDefined).add(name);
    }
  }
}

// ---- one release ------------------------------------------------------------

function releaseExports(gitDir, tag, arch) {
  const files = listTree(gitDir, tag);
  const fileSet = new Set(files);
  const headers = files.filter((f) => f.endsWith('.h') &&
    (/^(src|ldso)\//.test(f) || f.startsWith(`arch/${arch}/`) || f.startsWith('arch/generic/')));
  const archHeaders = files.filter((f) => /^(arch|include)\/.*\.h(\.in)?$/.test(f));
  const meta = ['Makefile', `arch/${arch}/arch.mak`].filter((f) => fileSet.has(f));
  const first = readBlobs(gitDir, tag, meta);
  const sources = librarySources(files, fileSet, first.get('Makefile'), first.get(`arch/${arch}/arch.mak`), arch);
  const texts = readBlobs(gitDir, tag, [...new Set([...sources, ...headers, ...archHeaders, 'ldso/dynlink.c'])]);
  const env = archEnv(arch, texts);
  if (env.defined.has('_REDIR_TIME64')) {
    throw new Error(`${arch} at ${tag} renames time symbols through asm labels in public headers; not supported`);
  }
  const found = { defined: new Set(), asmDefined: new Set(), hiddenDecl: new Set(), asmHidden: new Set(), mentioned: new Set() };
  for (const h of headers) {
    const macros = new Map();
    const own = { ...found, defined: new Set(), asmDefined: new Set(), mentioned: new Set() };
    scanC(preprocess(h, texts, env, macros, new Set(headers.filter((x) => x !== h))), macros, own);
  }
  for (const src of sources) {
    if (/\.[sS]$/.test(src)) { scanAsm(texts.get(src), found); continue; }
    const macros = new Map();
    scanC(preprocess(src, texts, env, macros), macros, found);
  }
  // A hidden declaration reaches the linker through an object that defines or
  // refers to the name; an asm definition nothing in C refers to keeps its own.
  const hidden = (n) => found.asmHidden.has(n) ||
    (found.hiddenDecl.has(n) && (found.defined.has(n) || found.mentioned.has(n)));
  const exported = [...new Set([...found.defined, ...found.asmDefined])].filter((n) => !hidden(n)).sort();
  return { exported, lfs64: lfs64Remap(texts.get('ldso/dynlink.c')) };
}

// The LFS64 names the dynamic linker resolves by dropping "64" (musl 1.2.4+).
function lfs64Remap(dynlink) {
  const m = dynlink && dynlink.match(/lfs64_list\[\]\s*=\s*((?:\s*"(?:\\.|[^"\\])*")+)\s*;/);
  if (!m) return [];
  const list = [...m[1].matchAll(/"((?:\\.|[^"\\])*)"/g)].map((s) => s[1]).join('')
    .split('\\0').filter(Boolean).map((n) => `${n}64`);
  const special = [...dynlink.matchAll(/strcmp\(name,\s*"(\w+)"\)\)\s*\n?\s*return find_sym\(&ldso,\s*"(\w+)"/g)]
    .filter((s) => s[1].replace('64', '') === s[2]).map((s) => s[1]);
  return [...new Set([...list, ...special])].sort();
}

// ---- the table ----------------------------------------------------------------

// { since: {release: [names that appear]}, removed: {release: [names that go]} },
// the first release listing everything it has.
function changes(releases, sets) {
  const since = {};
  const removed = {};
  let prev = new Set();
  releases.forEach((r, i) => {
    const cur = new Set(sets[i]);
    const added = [...cur].filter((n) => !prev.has(n)).sort();
    const gone = [...prev].filter((n) => !cur.has(n)).sort();
    if (added.length) since[r] = added;
    if (gone.length) removed[r] = gone;
    prev = cur;
  });
  return { since, removed };
}

function parseArgs(argv) {
  const opts = { arch: 'x86_64', out: path.join(__dirname, '..', 'lib', 'loader', 'musl-symbols.json'), dump: null };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--arch') opts.arch = argv[++i];
    else if (argv[i] === '--out') opts.out = argv[++i];
    else if (argv[i] === '--dump') opts.dump = argv[++i];
    else rest.push(argv[i]);
  }
  if (rest.length !== 1 || !ARCH_PREDEFINES[opts.arch]) {
    console.error('usage: gen-musl-symbols.js <musl git dir> [--arch x86_64] [--out file] [--dump release]');
    console.error(`archs: ${Object.keys(ARCH_PREDEFINES).join(' ')}`);
    process.exit(2);
  }
  opts.gitDir = rest[0];
  return opts;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.dump) {
    const ref = /^\d+\.\d+\.\d+$/.test(opts.dump) ? `v${opts.dump}` : opts.dump;
    process.stdout.write(`${releaseExports(opts.gitDir, ref, opts.arch).exported.join('\n')}\n`);
    return;
  }
  const results = RELEASES.map((r) => releaseExports(opts.gitDir, `v${r}`, opts.arch));
  const table = {
    source: `musl ${RELEASES[0]}-${RELEASES[RELEASES.length - 1]} sources (release tags), ${opts.arch}: ` +
      'global definitions in the files the Makefile links into libc.so, less hidden names; ' +
      'generated by scripts/gen-musl-symbols.js',
    arch: opts.arch,
    releases: RELEASES,
    ...changes(RELEASES, results.map((x) => x.exported)),
    lfs64: changes(RELEASES, results.map((x) => x.lfs64)),
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, `${JSON.stringify(table, null, 1)}\n`);
  const counts = RELEASES.map((r, i) => `${r}: ${results[i].exported.length}`).join(', ');
  console.log(`wrote ${path.relative(process.cwd(), opts.out)} (${counts})`);
}

main();
