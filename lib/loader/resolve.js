'use strict';
// Where the loader finds a DT_NEEDED library, without loading it.
//
// glibc (elf/dl-load.c): a name with '/' is a path.  Otherwise, after objects
// already loaded that go by that name: DT_RPATH of the object that needs it,
// then of the object that loaded that one, and on up, then of the executable
// (each only when that object has no DT_RUNPATH, and none at all when the
// needing object has a DT_RUNPATH); LD_LIBRARY_PATH as it was at start-up; the
// needing object's DT_RUNPATH; /etc/ld.so.cache; the default directories
// (these two not with DF_1_NODEFLIB).  An empty entry means the current
// directory; $ORIGIN is the directory of the object's path as it was opened
// (not canonicalised); $LIB and $PLATFORM are the loader's own.  Candidates of
// another ELF class or machine are passed over and the search goes on.
//
// musl (ldso/dynlink.c): LD_LIBRARY_PATH, then the DT_RUNPATH (or DT_RPATH) of
// the needing object and of each object that needed it, then the system path
// from /etc/ld-musl-<arch>.path (default /lib:/usr/local/lib:/usr/lib); empty
// entries are skipped, only $ORIGIN is expanded, the first file that opens is
// taken, and the names of musl's own libc (libc, libpthread, librt, libm,
// libdl, libutil, libxnet) are musl itself.
//
// On a sysroot (ctx.root), every directory carries the space it is read in:
// what $ORIGIN of an object reaches is read where that object is (the package
// judged travels with its own files), everything else (absolute RPATH and
// RUNPATH entries, the cache, the default directories, the musl path file,
// absolute DT_NEEDED names) inside the root, resolved as the target's loader
// would resolve it there (sysroot.js: symlinks never leave the root).
const path = require('path');
const io = require('./io');

const MUSL_SELF = /^lib(c|pthread|rt|m|dl|util|xnet)\./;
const MUSL_DEFAULT = ['/lib', '/usr/local/lib', '/usr/lib'];
const CACHE_MAGIC = 'glibc-ld.so.cache1.1';
const CACHE_LIMIT = 64 << 20;

// A DT_RPATH/DT_RUNPATH/LD_LIBRARY_PATH string as the loader splits it.
function splitPath(text, family, seps = ':') {
  if (text === null || text === undefined) return [];
  const parts = [];
  let cur = '';
  for (const ch of text) {
    if (seps.includes(ch)) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  return family === 'musl' ? parts.filter((p) => p.length > 0) : parts;
}

// Expands $ORIGIN, $LIB and $PLATFORM (and their ${} forms) as the loader
// does; null when an unknown part makes the entry unusable (musl knows only ORIGIN).
function expand(entry, origin, dst, family) {
  let unusable = false;
  const out = entry.replace(/\$(\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g, (m, _a, braced, bare) => {
    const name = braced || bare;
    if (name === 'ORIGIN') {
      if (origin === null) unusable = true;
      return origin || '';
    }
    if (family === 'musl' || !dst[name]) {
      if (family !== 'musl') unusable = true;
      return m;
    }
    return dst[name];
  });
  return unusable ? null : out;
}

// The directory $ORIGIN names for an object opened as `opened`.
function originOf(opened, cwd) {
  const abs = opened.startsWith('/') ? opened : `${cwd}/${opened}`;
  const cut = abs.lastIndexOf('/');
  return cut <= 0 ? '/' : abs.slice(0, cut);
}

function joinDir(dir, name, cwd) {
  if (dir === '') return `${cwd}/${name}`;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

// /etc/ld.so.cache: name -> path for this machine's libraries.  glibc 2.32+
// writes the new format alone; older ldconfig (the "compat" format) writes the
// old one first, the new one after its entries (glibc's elf/dl-cache.c finds
// it there; string offsets count from the new header).  Entries carry flags
// naming the ABI: with `id` (the loader's _DL_CACHE_DEFAULT_ID) only those of
// the target's ABI count; else the candidate is probed anyway, so a foreign
// entry is passed over like any wrong-machine file.  Every read is bounded by
// the buffer: a hostile cache yields fewer names, never a read outside it.
const OLD_MAGIC = 'ld.so-1.7.0';

function newHeaderAt(buf) {
  if (buf.length >= 48 && buf.toString('latin1', 0, 20) === CACHE_MAGIC) return 0;
  if (buf.length < 16 || buf.toString('latin1', 0, 11) !== OLD_MAGIC) return -1;
  const nold = buf.readUInt32LE(12);
  if (nold > (buf.length - 16) / 12) return -1;
  const at = (16 + nold * 12 + 7) & ~7;
  return at + 48 <= buf.length && buf.toString('latin1', at, at + 20) === CACHE_MAGIC ? at : -1;
}

function parseLdCache(buf, id = null) {
  const map = new Map();
  const base = buf ? newHeaderAt(buf) : -1;
  if (base < 0 || buf[base + 28] === 3) return map; // 3: written big-endian (another machine's)
  const nlibs = buf.readUInt32LE(base + 20);
  const cstr = (off) => {
    const at = base + off;
    if (off >= buf.length || at >= buf.length) return null;
    const end = buf.indexOf(0, at);
    return end < 0 || end - at > 4096 ? null : buf.toString('utf8', at, end);
  };
  for (let i = 0; i < nlibs && base + 48 + (i + 1) * 24 <= buf.length; i++) {
    const at = base + 48 + i * 24;
    const flags = buf.readInt32LE(at);
    const hwcap = buf.readBigUInt64LE(at + 16);
    if ((flags & 0xff) !== 3 || hwcap !== 0n) continue; // libc6 entries outside glibc-hwcaps
    if (id !== null && (flags & 0xffff) !== id) continue;
    const key = cstr(buf.readUInt32LE(at + 4));
    const value = cstr(buf.readUInt32LE(at + 8));
    if (key && value && !map.has(key)) map.set(key, value);
  }
  return map;
}

// Both are read once per process model (ctx.shared lives as long as the host's
// link-map generation, or the target's description).
function* ldCache(ctx) {
  if (!ctx.shared.ldCache) {
    const file = yield* hostPathOf('/etc/ld.so.cache', ctx.root ? 'root' : 'host', ctx);
    ctx.shared.ldCache = parseLdCache(file.path ? yield* io.read(file.path, CACHE_LIMIT) : null, ctx.root ? ctx.cacheId : null);
  }
  return ctx.shared.ldCache;
}

function* muslSystemPath(ctx) {
  if (ctx.shared.muslPath) return ctx.shared.muslPath;
  const file = yield* hostPathOf(`/etc/ld-musl-${ctx.muslArch}.path`, ctx.root ? 'root' : 'host', ctx);
  const buf = file.path ? yield* io.read(file.path, 1 << 20) : null;
  ctx.shared.muslPath = buf ? splitPath(buf.toString('utf8'), 'musl', ':\n') : MUSL_DEFAULT;
  return ctx.shared.muslPath;
}

// Where a path of a space is read on this machine: { path } or { code }.
function* hostPathOf(p, space, ctx) {
  if (space !== 'root') return { path: p };
  return yield* io.rooted(ctx.root, p.startsWith('/') ? p : `/${p}`);
}

function* probeIn(p, space, ctx) {
  const h = yield* hostPathOf(p, space, ctx);
  if (!h.path) return { ok: false, code: h.code };
  const r = yield* io.probe(h.path);
  return r.ok ? { ...r, host: h.path } : r;
}

// What the loader does with a candidate it opened (glibc's open_verify, musl's
// map_library): 'take' it, 'skip' it and search on (glibc: another class or
// machine), or fail the load ({ fail: code, reason }).
function verdict(p, ctx) {
  if (!p.ok) {
    if (p.kind === 'directory') return { fail: 'NOT_ELF', reason: 'cannot read file data: Is a directory' };
    if (p.kind === 'fifo') return { fail: 'LOADER_BLOCKS', reason: 'a FIFO: the loader would wait on it for ever' };
    return { fail: 'NOT_ELF', reason: 'not a regular file' };
  }
  const e = p.elf;
  if (!e) return { fail: 'NOT_ELF', reason: p.short ? 'file too short' : 'invalid ELF header' };
  const want = ctx.want;
  if (e.class !== want.class || e.endian !== want.endian || e.machineNumber !== want.machineNumber) {
    return ctx.family === 'musl' ? { fail: 'ARCH_MISMATCH', reason: 'another ELF class or machine' } : 'skip';
  }
  if (e.type !== 3 && e.type !== 2) return { fail: 'NOT_ELF', reason: 'only ET_DYN and ET_EXEC can be loaded' };
  return 'take';
}

// Errors that end the search in one list of directories (glibc) or in all of
// them (musl) instead of moving on to the next candidate.
const PASS = new Set(['ENOENT', 'ENOTDIR', 'EACCES']);

// The bounds that keep a hostile search path from deciding our time: entries
// kept of one object's path (after duplicates), of one needing object's whole
// list, and file-system questions (directory stats and candidate probes) per
// file loaded.  Real search paths hold tens of entries and a load a few
// hundred probes; past a bound the search stops and says so (LOADER_LIMIT).
const BOUNDS = { entries: 1024, list: 4096, probes: 4096, dirs: 65536 };

// The identity (dev:ino) of a search directory, or null when it is not one;
// asked once per state, like glibc's per-directory status (r_search_path_elem):
// a directory that failed is not asked about again.
function* dirIdOf(dir, ctx, space = 'host') {
  const key = space === 'root' ? `\0${dir}` : dir;
  const known = ctx.dirs.get(key);
  if (known !== undefined) return known;
  if (!spend(ctx)) return undefined;
  let id = null;
  if (space === 'root') {
    const h = yield* hostPathOf(dir === '' ? '/' : dir, space, ctx);
    if (h.path) id = yield* io.dirId(h.path);
  } else {
    id = yield* io.dirId(dir === '' ? ctx.cwd : dir);
  }
  if (ctx.dirs.size < BOUNDS.dirs) ctx.dirs.set(key, id);
  return id;
}

// One more file-system question for this state, or false when the budget is spent.
function spend(ctx) {
  if (ctx.work.probes >= BOUNDS.probes) {
    ctx.work.limited = true;
    return false;
  }
  ctx.work.probes++;
  return true;
}

// Tries dir/name in order; { path, via, id, entry } for the candidate the loader
// takes, { fatal } for one that fails the load, { limited } when the budget
// ran out first, null when none is found.  A directory already tried for this
// name under another spelling ("/a", "/a/", "/./a") would give the same answer
// again: it is passed over.
function* firstFit(dirs, name, ctx, tried) {
  let stopped = null;
  const seen = new Set();
  for (const { dir, via, entry, space = 'host' } of dirs) {
    if (stopped === via) continue;
    const id = yield* dirIdOf(dir, ctx, space);
    if (id === undefined) return { limited: true };
    if (id === null) continue; // the loader remembers missing directories too
    if (seen.has(id)) continue;
    seen.add(id);
    if (!spend(ctx)) return { limited: true };
    const candidate = joinDir(dir, name, space === 'root' ? '' : ctx.cwd);
    const p = yield* probeIn(candidate, space, ctx);
    if (!p.ok && p.code !== 'ENOTREG') {
      if (PASS.has(p.code) || (ctx.family === 'musl' && p.code === 'ENAMETOOLONG')) continue;
      if (ctx.family === 'musl') return { fatal: { path: candidate, via, code: 'MISSING_LIBRARY', reason: p.code } };
      stopped = via; // glibc: this list ends here, the next one is searched
      seen.clear(); // the next list probes its directories again, as glibc does
      continue;
    }
    const v = verdict(p, ctx);
    if (v === 'take') {
      return { path: p.host || candidate, opened: candidate, space, via, id: p.id, size: p.size, ...(entry === undefined ? {} : { entry }) };
    }
    if (v === 'skip') {
      tried.push({ path: candidate, via, reason: 'another ELF class or machine' });
      continue;
    }
    return { fatal: { path: candidate, via, code: v.fail, reason: v.reason } };
  }
  return null;
}

// Appends to `out` without spreading (a spread of a huge array overflows the stack).
function append(out, items, limit) {
  if (items.truncated) out.truncated = true;
  for (const x of items) {
    if (out.length >= limit) {
      out.truncated = true; // remembered with the list: every search that uses it is limited
      return out;
    }
    out.push(x);
  }
  return out;
}

// Search-path entries of one object, expanded once per object (glibc keeps
// them per object too), duplicates dropped as glibc's fillin_rpath drops them
// (musl would find the same file the second time, or fail the same way).
// `travel` keeps only those relative to the object itself ($ORIGIN), for
// targets whose file system we cannot see.  Each keeps the entry as written
// ("$ORIGIN/../lib"): a tree view says which one found a library.
function entriesOf(obj, which, ctx, via) {
  let memo = ctx.shared.entries;
  if (!memo) memo = ctx.shared.entries = new WeakMap();
  let mine = memo.get(obj);
  if (!mine) memo.set(obj, (mine = {}));
  if (!mine[which]) {
    const dirs = new Map();
    let truncated = false;
    for (const { dir, entry, space } of rawEntries(obj, which, ctx)) {
      if (dirs.size >= BOUNDS.entries) {
        truncated = true;
        break;
      }
      const key = `${space}\0${dir}`;
      if (!dirs.has(key)) dirs.set(key, { dir, entry, space });
    }
    mine[which] = { dirs: [...dirs.values()], truncated };
  }
  const out = mine[which].dirs.map(({ dir, entry, space }) => ({ dir, via, entry, space }));
  if (mine[which].truncated) out.truncated = true;
  return out;
}

// -> [{ dir, space }]: an entry reached through $ORIGIN is read where its
// object is; any other, on a sysroot, inside the root.
const ORIGIN = /\$(\{ORIGIN\}|ORIGIN)/;
function rawEntries(obj, which, ctx) {
  const text = obj[which];
  const own = obj.space || 'host';
  const other = ctx.root ? 'root' : 'host';
  if (ctx.family === 'musl') {
    if (!ctx.root) return muslEntries(text, obj.origin, ctx.travel).map((e) => ({ ...e, space: own }));
    // each part expanded alone, to know its space (musl expands first: the same unless $ORIGIN holds ':')
    if (text === null || text === undefined) return [];
    if (text.includes('$') && (obj.origin === null || /\$(?!\{ORIGIN\}|ORIGIN)/.test(text))) return [];
    return splitPath(text, 'musl', ':\n').map((raw) => ({ dir: raw.replace(/\$(\{ORIGIN\}|ORIGIN)/g, () => obj.origin),
      entry: raw, space: ORIGIN.test(raw) ? own : other }));
  }
  const out = [];
  for (const raw of splitPath(text, ctx.family)) {
    if (ctx.travel && !ORIGIN.test(raw)) continue;
    const dir = expand(raw, obj.origin, ctx.dst, ctx.family);
    if (dir !== null) out.push({ dir, entry: raw, space: ORIGIN.test(raw) ? own : other });
  }
  return out;
}

// musl expands the whole string before splitting it on ':' and newline, and
// gives up on all of it when a '$' starts anything but ORIGIN.  The entry as
// written is known when $ORIGIN's expansion added no separator.
function muslEntries(text, origin, travel) {
  if (text === null || text === undefined) return [];
  if (text.includes('$') && (origin === null || /\$(?!\{ORIGIN\}|ORIGIN)/.test(text))) return [];
  const parts = travel ? splitPath(text, 'musl', ':\n').filter((e) => e.includes('$')) : [text];
  const out = [];
  for (const raw of parts) {
    const dirs = splitPath(raw.replace(/\$(\{ORIGIN\}|ORIGIN)/g, () => origin), 'musl', ':\n');
    const written = splitPath(raw, 'musl', ':\n');
    append(out, dirs.map((dir, i) => ({ dir, entry: written.length === dirs.length ? written[i] : null })), Infinity);
  }
  return out;
}

// The directories searched for a library `needer` needs, made once per needer.
function searchList(needer, ctx, make) {
  let memo = ctx.shared.lists;
  if (!memo) memo = ctx.shared.lists = new WeakMap();
  let list = memo.get(needer);
  if (!list) memo.set(needer, (list = make()));
  if (list.truncated) ctx.work.limited = true;
  return list;
}

function glibcDirs(needer, ctx) {
  return searchList(needer, ctx, () => {
    const dirs = [];
    if (needer.runpath === null) {
      for (let o = needer; o; o = o.loader) {
        if (o.runpath === null) append(dirs, entriesOf(o, 'rpath', ctx, `RPATH of ${o.name}`), BOUNDS.list);
      }
      const main = ctx.main;
      if (main && main !== needer && main.runpath === null) {
        append(dirs, entriesOf(main, 'rpath', ctx, 'RPATH of the executable'), BOUNDS.list);
      }
    }
    if (!ctx.travel) append(dirs, ctx.ldLibraryPath.map((dir) => ({ dir, via: 'LD_LIBRARY_PATH' })), BOUNDS.list);
    return append(dirs, entriesOf(needer, 'runpath', ctx, `RUNPATH of ${needer.name}`), BOUNDS.list);
  });
}

// DF_1_NODEFLIB: the cache still serves, but not with an entry anywhere under
// a system directory (glibc compares the path's prefix), and the defaults are skipped.
const underSystemDir = (file, ctx) => ctx.defaultDirs.some((d) => file.startsWith(d.endsWith('/') ? d : `${d}/`));

function* findGlibc(name, needer, ctx, tried) {
  const found = yield* firstFit(glibcDirs(needer, ctx), name, ctx, tried);
  if (found || ctx.travel) return found;
  const sys = ctx.root ? 'root' : 'host';
  const cached = (yield* ldCache(ctx)).get(name);
  if (cached && !(needer.nodeflib && underSystemDir(cached, ctx))) {
    const hit = yield* firstFit([{ dir: path.dirname(cached), via: 'ld.so.cache', space: sys }], path.basename(cached), ctx, tried);
    if (hit) return hit;
  }
  if (needer.nodeflib) return null;
  return yield* firstFit(ctx.defaultDirs.map((dir) => ({ dir, via: 'default directories', space: sys })), name, ctx, tried);
}

function muslDirs(needer, ctx) {
  return searchList(needer, ctx, () => {
    const dirs = ctx.travel ? [] : ctx.ldLibraryPath.map((dir) => ({ dir, via: 'LD_LIBRARY_PATH' }));
    for (let o = needer; o; o = o.loader) {
      const which = o.runpath !== null ? 'runpath' : 'rpath';
      append(dirs, entriesOf(o, which, ctx, `${which === 'runpath' ? 'RUNPATH' : 'RPATH'} of ${o.name}`), BOUNDS.list);
    }
    return dirs;
  });
}

function* findMusl(name, needer, ctx, tried) {
  const dirs = muslDirs(needer, ctx);
  const found = yield* firstFit(dirs, name, ctx, tried);
  if (found || ctx.travel) return found;
  const sys = (yield* muslSystemPath(ctx)).map((dir) => ({ dir, via: `/etc/ld-musl-${ctx.muslArch}.path`,
    space: ctx.root ? 'root' : 'host' }));
  return yield* firstFit(sys, name, ctx, tried);
}

// Finds `name` for `needer` (an object with name, origin, rpath, runpath,
// nodeflib and loader).  Returns { path, via, id } when a file was found,
// { self: true } for musl's own names, or { path: null, tried, fatal? } when
// not (fatal: the candidate that makes the loader fail, and why).
function* findLibrary(name, needer, ctx) {
  const tried = [];
  if (ctx.family === 'musl' && MUSL_SELF.test(name)) return { self: true };
  if (name.includes('/')) {
    const file = name.startsWith('/') ? name : joinDir(ctx.cwd, name, ctx.cwd);
    if (ctx.travel && !name.startsWith('/')) return { path: null, tried };
    const space = ctx.root && name.startsWith('/') ? 'root' : 'host';
    const p = yield* probeIn(file, space, ctx);
    if (!p.ok && p.code !== 'ENOTREG') return { path: null, tried };
    const v = verdict(p, ctx);
    if (v === 'take') return { path: p.host || file, opened: file, space, via: 'path', id: p.id, size: p.size };
    const fatal = v === 'skip' ? { code: 'ARCH_MISMATCH', reason: 'wrong ELF class or machine' } : { code: v.fail, reason: v.reason };
    return { path: null, tried, fatal: { path: file, via: 'path', ...fatal } };
  }
  const found = ctx.family === 'musl' ? yield* findMusl(name, needer, ctx, tried) : yield* findGlibc(name, needer, ctx, tried);
  if (found && found.fatal) return { path: null, tried, fatal: found.fatal };
  // past a bound (here or in an earlier search of this state) a library not found may lie beyond it
  if ((found && found.limited) || (!found && ctx.work.limited)) return { path: null, tried, limited: true };
  return found || { path: null, tried };
}

module.exports = { BOUNDS, findLibrary, splitPath, expand, originOf, parseLdCache, MUSL_SELF };
