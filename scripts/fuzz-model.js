#!/usr/bin/env node
'use strict';
// npm run fuzz:model -- [--runs N] [--seed S] [--glibc|--musl] [--jobs N] [--out DIR] [--quiet]
// A differential fuzzer of the loader model (check()/checkTogether()) against
// the real loaders.  Each run generates a random small closure: 1-3 addons
// loaded in order and up to 5 libraries, with thread-local blocks of random
// size, alignment and model (initial-exec, global-dynamic or TLS descriptors,
// local-dynamic), imports of other objects' thread-locals (initial-exec or
// dynamic), DT_NEEDED graphs with cycles and diamonds, DT_RPATH or DT_RUNPATH
// with $ORIGIN and absolute entries, libraries found in several places or in
// none, sonames that differ from file names, functions (bound lazily) and data
// (bound at load) that some object defines or nothing does, -z now.  Objects
// come from templates compiled once with gcc (and musl-gcc), patched per
// closure (scripts/fuzz-model-elf.js).  Truth: glibc, a child Node that
// predicts with checkTogether() and then loads each addon with process.dlopen;
// musl, the musl ti-probe (musl's own loader, dlopen RTLD_LAZY in order)
// against checkTogether({ target: 'musl@<host musl>' }).  Every disagreement,
// crash, hang or exception is a finding: printed minimised, with both verdicts,
// and classified; those the model cannot see by design are "explained" (see
// EXPLAINED below and docs/development.md, "Model fuzzer").
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Factory, instantiate, MAX_NEEDED } = require('./fuzz-model-elf');

const ROOT = path.resolve(__dirname, '..');

// The musl probe's process holds musl and nothing else, where a musl target's
// Node also has its own exports, libstdc++ and libgcc_s: a target judges a
// name musl lacks as unknown.  For the prediction over this machine's files the
// fuzzer closes that world (a target marked closedWorld: such a name is
// undefined), by wrapping the lookup before the model binds it.
const CLOSED_WORLD = (() => {
  if (require.cache[require.resolve('../lib/loader/relocate')]) return false; // too late: the model holds the original
  const symbols = require('../lib/loader/symbols');
  const original = symbols.targetDefines;
  symbols.targetDefines = (t, imp) => {
    const d = original(t, imp);
    return d === null && t.closedWorld ? { defined: false } : d;
  };
  return true;
})();
const TIMEOUT = 20000;

// ---- random ----

function rng(seed) {
  let s = (seed >>> 0) || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const r = {
    next,
    chance: (p) => next() < p,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    weighted: (pairs) => {
      const total = pairs.reduce((n, [, w]) => n + w, 0);
      let x = next() * total;
      for (const [v, w] of pairs) if ((x -= w) < 0) return v;
      return pairs[pairs.length - 1][0];
    },
  };
  return r;
}

// ---- the generator ----

const DIRS = [['', 5], ['a', 2.5], ['b', 1.5], ['a/c', 1]];
const SIZES = [8, 16, 64, 128, 256, 512, 700, 1000, 1500, 1650, 1700, 2000, 4096];
const ALIGNS = [[8, 3], [16, 4], [32, 1], [64, 1.5], [128, 0.5]];
const ENTRIES = [['$ORIGIN', 5], ['$ORIGIN/a', 2], ['$ORIGIN/b', 1.5], ['$ORIGIN/..', 1.5], ['$ORIGIN/../b', 1],
  ['$ORIGIN/c', 1], ['${ORIGIN}/a', 0.5], ['@ROOT', 1.5], ['@ROOT/a', 1], ['@ROOT/b', 1], ['@ROOT/a/c', 0.5], ['@ROOT/none', 0.5]];

// A closure description: plain data, printable and rebuildable.
function generate(r, libc) {
  // a "clean" closure (two in five) names nothing missing and is mostly thread-locals:
  // static TLS placement is judged to the byte after every load that fits
  const clean = r.chance(0.4);
  const nAddons = r.weighted([[1, 4], [2, 4], [3, 2]]);
  const nLibs = r.weighted([[0, 1], [1, 2], [2, 3], [3, 3], [4, 2], [5, 1]]);
  const objects = [];
  const travel = libc === 'musl';
  for (let s = 0; s < nAddons + nLibs; s++) {
    const addon = s < nAddons;
    const name = addon ? `addon${s}.node` : `lib${s}.so`;
    const dir = addon ? r.weighted([['', 3], ['a', 1]]) : r.weighted(DIRS);
    objects.push({ slot: s, file: dir ? `${dir}/${name}` : name, addon, ...randomBody(r, s, addon, libc, clean) });
  }
  const libs = objects.filter((o) => !o.addon);
  const all = [...objects];
  for (const o of all) {
    o.needed = [];
    const k = Math.min(MAX_NEEDED, o.addon ? r.weighted([[0, 1], [1, 3], [2, 3], [3, 1]]) : r.weighted([[0, 3], [1, 3], [2, 2], [3, 1]]));
    for (let i = 0; i < k && libs.length; i++) {
      const x = r.next();
      if (x < 0.03 && !clean) o.needed.push(`libmissing${r.int(0, 2)}.so`);
      else {
        const lib = r.pick(libs);
        if (lib === o) continue;
        const y = r.next();
        if (y < 0.04) o.needed.push(`$ORIGIN/${path.relative(path.dirname(o.file), lib.file)}`);
        else if (y < 0.07 && !clean) o.needed.push(`libalias${lib.slot}.so`);
        else o.needed.push(path.basename(lib.file));
      }
    }
    o.needed = [...new Set(o.needed)];
    o.soname = r.chance(0.08) ? `libalias${o.slot}.so` : path.basename(o.file);
    const kind = r.weighted([['none', 2.5], ['rpath', 3.5], ['runpath', 4]]);
    const entries = [];
    if (kind !== 'none') {
      for (let i = r.int(1, 3); i > 0; i--) {
        const e = r.weighted(travel ? ENTRIES.map(([v, w]) => [v, v.startsWith('@') ? w / 3 : w]) : ENTRIES);
        if (!entries.includes(e)) entries.push(e);
      }
    }
    o.path = { kind, entries };
    const others = objects.filter((x) => x !== o);
    // symbols mostly of the libraries it needs (in its scope), else of anyone
    const near = others.filter((x) => o.needed.includes(path.basename(x.file)));
    const who = (xs) => (near.length && r.chance(0.7) && xs.some((x) => near.includes(x)) ? r.pick(xs.filter((x) => near.includes(x))) : r.pick(xs));
    const fn = () => ((!clean && r.chance(0.1)) || !others.length ? `mf${r.int(0, 2)}` : `f${who(others).slot}`);
    const data = () => ((!clean && r.chance(0.08)) || !others.length ? `md${r.int(0, 2)}` : `d${who(others).slot}`);
    const tlsOf = () => {
      const withTls = others.filter((x) => x.tls);
      if (clean) return near.some((x) => x.tls && x.tls.model !== 'ld') ? `t${r.pick(near.filter((x) => x.tls && x.tls.model !== 'ld')).slot}` : null;
      if (withTls.length && !r.chance(0.08)) return `t${who(withTls).slot}`;
      return r.chance(0.08) || !withTls.length ? `mt${r.int(0, 2)}` : `t${r.pick(withTls).slot}`;
    };
    o.call = [r.chance(0.5) ? fn() : null, r.chance(0.3) ? fn() : null];
    o.data = !clean && r.chance(0.25) ? data() : null;
    o.abs = !clean && r.chance(0.08) ? data() : null;
    o.ie = r.chance(clean ? 0.3 : 0.15) ? tlsOf() : null;
    o.dyn = r.chance(0.2) ? tlsOf() : null;
  }
  // most needed libraries are reachable: an entry for the library's directory
  // on the needing object's path (or, for glibc's RPATH, on an addon's)
  for (const o of all) {
    for (const n of o.needed) {
      const lib = libs.find((l) => path.basename(l.file) === n);
      if (!lib || (!clean && !r.chance(0.85)) || o.path.entries.length >= 4) continue;
      const rel = path.relative(path.dirname(o.file), path.dirname(lib.file));
      const e = !travel && r.chance(0.2) ? `@ROOT${path.dirname(lib.file) === '.' ? '' : `/${path.dirname(lib.file)}`}`
        : rel ? `$ORIGIN/${rel}` : '$ORIGIN';
      if (o.path.kind === 'none') o.path.kind = r.chance(0.5) ? 'rpath' : 'runpath';
      if (!o.path.entries.includes(e)) o.path.entries.push(e);
    }
  }
  // now and then one linked -z nodlopen (written where an absent path was)
  for (const o of all) if (o.path.kind === 'none' && !o.now && r.chance(0.04)) o.noopen = true;
  // a library installed twice (another block), or not at all
  for (const lib of libs) {
    if (r.chance(0.08)) {
      const dir = r.weighted(DIRS);
      const file = dir ? `${dir}/${path.basename(lib.file)}` : path.basename(lib.file);
      if (file !== lib.file) objects.push({ ...lib, file, shadow: true, ...randomBody(r, lib.slot, false, libc, clean) });
    }
    if (!clean && r.chance(0.05)) lib.absent = true;
  }
  const load = objects.filter((o) => o.addon).map((o) => o.file);
  if (r.chance(0.3)) load.reverse();
  if (load.length > 1 && r.chance(0.1)) load.push(load[0]); // the same addon twice
  return { libc, clean, objects, load };
}

function randomBody(r, s, addon, libc, clean) {
  const hasTls = r.chance(clean ? 0.85 : 0.55);
  const tls = hasTls ? { model: r.weighted([['ie', clean ? 5 : 3.5], ['dyn', 4.5], ['ld', 2]]), size: r.pick(SIZES), align: r.weighted(ALIGNS) } : null;
  return { tls, dialect: r.weighted([['gnu', 7], ['gnu2', 3]]), now: r.chance(0.12),
    entry: addon ? libc === 'musl' || r.chance(0.97) : r.chance(0.03) };
}

// ---- building a closure ----

function buildClosure(factory, desc, dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const d of ['', 'a', 'b', 'a/c']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const filler = desc.libc === 'glibc' ? { call: 'strlen', data: 'environ', libc: 'libc.so.6' }
    : { call: 'strlen', data: 'environ', libc: 'libc.so' };
  for (const o of desc.objects) {
    if (o.absent) continue;
    const t = factory.template({ libc: desc.libc, tls: o.tls ? o.tls.model : null, dialect: o.dialect, now: o.now,
      ie: Boolean(o.ie), dyn: Boolean(o.dyn), entry: o.entry });
    const text = o.path.entries.map((e) => e.replace(/^@ROOT/, dir)).join(':');
    const buf = instantiate(t, { tls: o.tls, names: { f: `f${o.slot}`, d: `d${o.slot}`, t: `t${o.slot}` }, call: o.call,
      data: o.data, abs: o.abs, ie: o.ie, dyn: o.dyn, needed: o.needed, soname: o.soname,
      path: { kind: o.path.kind, text }, noopen: Boolean(o.noopen) && o.path.kind === 'none' }, filler);
    fs.writeFileSync(path.join(dir, o.file), buf);
  }
  return desc.load.map((f) => path.join(dir, f));
}

// ---- the truths ----

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', timedOut = false;
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { if (err.length < 1e5) err += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, TIMEOUT);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, timedOut });
    });
  });
}

function parse(r) {
  if (r.timedOut) return { fault: 'hang', detail: `no answer in ${TIMEOUT / 1000} s` };
  if (r.signal) return { fault: 'crash', detail: `killed by ${r.signal}: ${r.err.slice(-400)}` };
  try {
    return JSON.parse(r.out);
  } catch (_) {
    return { fault: 'crash', detail: `exit ${r.code}: ${r.err.slice(-400)}` };
  }
}

const guard = async (fn) => {
  try {
    return await fn();
  } catch (e) {
    return { threw: { code: e && e.code, message: String(e && e.message), stack: String(e && e.stack).slice(0, 2000) } };
  }
};

// glibc: predicted here (this Node, as it is; a child predicting for itself
// with --predict gives the same answer, at a second of host facts per child).
async function glibcTruth(ctx, files, dir) {
  const ti = require('..');
  const predicted = ctx.childPredicts ? null : await guard(() => ti.checkTogether(files));
  const args = [path.join(__dirname, 'fuzz-model-child.js'), ...(ctx.childPredicts ? ['--predict'] : []), ...files];
  const r = parse(await run(process.execPath, args, { cwd: dir }));
  if (r.fault) return r;
  if (!ctx.childPredicts && predicted.staticTls && r.before !== predicted.staticTls.before) {
    return { fault: 'state', detail: `the child started with ${r.before} bytes of static TLS, this process ${predicted.staticTls.before}` };
  }
  return { predicted: ctx.childPredicts ? r.predicted : predicted, loads: r.loads };
}

// musl's prediction twice: checkTogether() on the musl target (which sees only
// what travels with the addon: $ORIGIN entries), and the same model over this
// machine's file system (a musl state whose searches are not limited to
// $ORIGIN), which judges every search path the closure uses.
async function muslPredictions(ctx, files) {
  const ti = require('..');
  const { LoaderState, loadFile } = require('../lib/loader/model');
  const { resolveTarget } = require('../lib/loader/targets');
  const { result } = require('../lib/loader/check');
  const io = require('../lib/loader/io');
  const travel = await guard(() => ti.checkTogether(files, { target: ctx.muslTarget }));
  const seeing = await guard(async () => {
    const target = resolveTarget(ctx.muslTarget, {});
    target.closedWorld = CLOSED_WORLD;
    const state = new LoaderState(target, null, { lazy: true });
    state.ctx.travel = false;
    const session = new io.Session();
    const out = [];
    for (const f of files) out.push(result(await io.runAsync(loadFile(state, f), session)));
    return { files: out };
  });
  return { travel, seeing };
}

async function muslTruth(ctx, files, dir) {
  const { travel, seeing } = await muslPredictions(ctx, files);
  const r = parse(await run(ctx.muslProbe, ['--lazy', ...files.flatMap((f) => ['--dlopen', f])], { cwd: dir }));
  if (r.fault) return r;
  return { predicted: seeing, travel, loads: r.loads.map((l) => ({ loaded: l.loaded, error: l.error })) };
}

// The problem code a real loader message stands for.
function realCode(msg) {
  if (!msg) return null;
  if (/static TLS block/.test(msg)) return 'STATIC_TLS_EXHAUSTED';
  if (/initial-exec TLS resolves to dynamic definition/.test(msg)) return 'MUSL_INITIAL_EXEC';
  if (/undefined symbol|symbol not found/.test(msg)) return 'UNDEFINED_SYMBOL';
  if (/cannot open shared object file|Error loading shared library/.test(msg)) return 'MISSING_LIBRARY';
  if (/did not self-register/.test(msg)) return 'MODULE_NOT_REGISTERED';
  if (/cannot be dlopen\(\)ed/.test(msg)) return 'NOT_DLOPENABLE';
  return 'OTHER';
}

// Findings of one closure: [{ kind, file, detail, model, real }]
function compare(desc, truth) {
  if (truth.fault) return [{ kind: truth.fault, detail: truth.detail }];
  const p = truth.predicted;
  if (p.threw) return [{ kind: 'model-exception', detail: `${p.threw.code}: ${p.threw.message}`, stack: p.threw.stack }];
  const out = [];
  truth.loads.forEach((real, i) => {
    const f = p.files[i];
    const errors = f.problems.filter((x) => x.severity === 'error').map((x) => x.code);
    const model = { ok: f.ok, verdict: f.verdict, codes: f.problems.map((x) => `${x.code}${x.severity === 'error' ? '' : '?'}`),
      messages: f.problems.map((x) => x.message).slice(0, 4), after: f.staticTls ? f.staticTls.after : null };
    if (f.verdict === 'error') {
      out.push({ kind: 'model-error', file: desc.load[i], at: i, detail: f.error && `${f.error.code}: ${f.error.message}`, model, real });
      return;
    }
    const rc = realCode(real.error);
    if (f.ok !== real.loaded) {
      out.push({ kind: f.ok ? `model loads, real refuses (${rc})` : `model refuses (${errors.join(',')}), real loads`, file: desc.load[i], at: i, model, real });
    } else if (!real.loaded && !errors.includes(rc)) {
      out.push({ kind: `both refuse, real ${rc}, model ${errors.join(',')}`, file: desc.load[i], at: i, model, real });
    } else if (desc.libc === 'glibc' && real.exact && typeof model.after === 'number' && typeof real.after === 'number' &&
      model.after !== real.after) {
      out.push({ kind: `static TLS left: model ${real.loaded ? 'after a load' : 'after a refusal'} differs`, file: desc.load[i], at: i,
        detail: `model ${model.after}, real ${real.after}`, model, real });
    }
  });
  return out;
}

// ---- explained differences: what the model cannot see by design ----

const muslKnows = (name) => {
  const t = require('../lib/loader/symbols').muslSymbols();
  return Boolean(t && t.since.has(name));
};
const missingSymbol = (msg) => {
  const m = /Error relocating [^:]+: ([^:]+): symbol not found/.exec(msg || '');
  return m ? m[1] : null;
};

const EXPLAINED = [
  {
    id: 'glibc-reclaim-after-refusal',
    why: 'after a refused load (or an addon Node dlcloses), glibc\'s dl_close reclaims static TLS only as contiguous ' +
      'chunks at the end of the used area, in the order it closes the objects; blocks placed with alignment padding ' +
      'between them are partly leaked.  The model gives back all but the first block\'s padding',
    test: () => false, // decided in evaluate(), which sees the earlier loads
  },
  {
    id: 'after-earlier-difference',
    why: 'an earlier addon of the same sequence was already judged otherwise (a finding of its own, explained or not): ' +
      'the model continues from the process it predicted, the real loader from the one it made',
    test: () => false, // decided in evaluate(), which sees the whole sequence
  },
  {
    id: 'musl-target-unresolved',
    why: 'a musl target is not this machine: checkTogether() on it finds only what travels with the addon ($ORIGIN ' +
      'entries); a library reached otherwise is "unresolved" (listed, not judged), while musl here finds it or not',
    test: () => false, // decided in evaluate(), which sees the closure
  },
  {
    id: 'glibc-static-tls-order',
    why: 'an object with an initial-exec block of its own and an initial-exec reference to another object\'s block: ' +
      'glibc places the blocks in the order of the object\'s TPOFF64 relocations (its GOT layout); the model places ' +
      'the object\'s own block first, then those it refers to, so alignment padding (and what fits) can differ ' +
      '(the analysis does not keep the relocations\' order)',
    test: (desc, f) => desc.libc === 'glibc' && /STATIC_TLS|static TLS left/.test(f.kind) &&
      desc.objects.some((o) => o.tls && o.tls.model === 'ie' && o.ie),
  },
  {
    id: 'musl-target-unknown-symbol',
    why: 'on a musl target the model judges a symbol nothing in the load defines against musl\'s own symbols only when ' +
      'musl has it (lib/loader/musl-symbols.json); any other name is unknown (Node, libstdc++ or libgcc_s of the ' +
      'target may define it), so it is not counted against the load; the probe process has no such objects',
    test: (desc, f) => desc.libc === 'musl' && (!CLOSED_WORLD || f.kind.startsWith('target musl: ')) && f.real && !f.real.loaded && f.model &&
      realCode(f.real.error) === 'UNDEFINED_SYMBOL' && missingSymbol(f.real.error) && !muslKnows(missingSymbol(f.real.error)),
  },
  {
    id: 'musl-target-absolute-path',
    why: 'checkTogether() on a musl target drops absolute RPATH/RUNPATH directories (the target\'s file system is not ' +
      'this one): where such a directory comes first, the target model finds another copy of a library through $ORIGIN ' +
      '(or none) where musl here takes the one in the absolute directory; the model over this machine\'s files agrees',
    test: (desc, f) => f.kind.startsWith('target musl: ') && desc.objects.some((o) => o.path.kind !== 'none' &&
      o.path.entries.some((e) => e.startsWith('@ROOT'))),
  },
];

function classify(desc, f) {
  for (const e of EXPLAINED) if (e.test(desc, f)) return e.id;
  return null;
}

// ---- minimising ----

function variants(desc) {
  const out = [];
  const clone = () => JSON.parse(JSON.stringify(desc));
  for (let i = 0; i < desc.load.length; i++) {
    if (desc.load.length < 2) break;
    const d = clone();
    d.load.splice(i, 1);
    out.push(d);
  }
  desc.objects.forEach((o, i) => {
    if (!desc.load.includes(o.file) || desc.objects.filter((x) => x.file === o.file).length > 1) {
      const d = clone();
      d.objects.splice(i, 1);
      out.push(d);
    }
    const tweak = (fn) => {
      const d = clone();
      if (fn(d.objects[i]) !== false) out.push(d);
    };
    o.needed.forEach((_, k) => tweak((x) => { x.needed.splice(k, 1); }));
    for (const key of ['ie', 'dyn', 'data', 'abs']) if (o[key]) tweak((x) => { x[key] = null; });
    o.call.forEach((c, k) => { if (c) tweak((x) => { x.call[k] = null; }); });
    if (o.tls) tweak((x) => { x.tls = null; });
    if (o.tls && o.tls.align !== 16) tweak((x) => { x.tls.align = 16; });
    if (o.now) tweak((x) => { x.now = false; });
    if (o.dialect !== 'gnu') tweak((x) => { x.dialect = 'gnu'; });
    if (o.soname !== path.basename(o.file)) tweak((x) => { x.soname = path.basename(x.file); });
    o.path.entries.forEach((_, k) => tweak((x) => { x.path.entries.splice(k, 1); if (!x.path.entries.length) x.path.kind = 'none'; }));
    if (o.path.kind === 'rpath') tweak((x) => { x.path.kind = 'runpath'; });
    if (o.absent) tweak((x) => { x.absent = false; });
    if (o.noopen) tweak((x) => { x.noopen = false; });
  });
  return out;
}

async function minimise(ctx, desc, kind, budget = 80) {
  let best = desc;
  let tries = 0;
  for (let progress = true; progress && tries < budget;) {
    progress = false;
    for (const d of variants(best)) {
      if (++tries > budget) break;
      const fs2 = await evaluate(ctx, d, `min-${ctx.counter++}`);
      if (fs2.findings.some((f) => f.kind === kind)) {
        best = d;
        progress = true;
        break;
      }
    }
  }
  return best;
}

// ---- one closure ----

async function evaluate(ctx, desc, name) {
  const dir = path.join(ctx.work, name);
  const files = buildClosure(ctx.factory, desc, dir);
  const truth = desc.libc === 'glibc' ? await glibcTruth(ctx, files, dir) : await muslTruth(ctx, files, dir);
  const findings = compare(desc, truth);
  if (truth.travel) {
    // the public musl target: judged where nothing of the load is unresolved
    const more = compare(desc, { predicted: truth.travel, loads: truth.loads });
    for (const f of more) {
      const pf = f.at !== undefined && truth.travel.files && truth.travel.files[f.at];
      const unseen = pf && pf.closure.some((c) => c.status === 'unresolved');
      findings.push({ ...f, kind: `target musl: ${f.kind}`, ...(unseen ? { explained: 'musl-target-unresolved' } : {}) });
    }
  }
  for (const f of findings) if (!f.explained) f.explained = classify(desc, f);
  // glibc: static TLS after a refused (or dlclosed) load whose blocks were not contiguous
  if (desc.libc === 'glibc' && truth.loads) {
    for (const f of findings) {
      if (f.explained || f.at === undefined || !/STATIC_TLS|static TLS left/.test(f.kind)) continue;
      if (truth.loads.slice(0, f.at).some((l) => !l.loaded)) f.explained = 'glibc-reclaim-after-refusal';
    }
  }
  // a load after one the model already judged otherwise starts from another process
  for (const f of findings) {
    if (f.explained || f.at === undefined) continue;
    const mode = f.kind.startsWith('target musl: ');
    if (findings.some((g) => g !== f && g.at < f.at && g.kind.startsWith('target musl: ') === mode)) {
      f.explained = 'after-earlier-difference';
    }
  }
  if (!ctx.keep) fs.rmSync(dir, { recursive: true, force: true });
  return { truth, findings };
}

function describe(desc) {
  const lines = [`libc ${desc.libc}; load in order: ${desc.load.join(', ')}`];
  for (const o of desc.objects) {
    const bits = [o.file + (o.shadow ? ' (second copy)' : '') + (o.absent ? ' (NOT INSTALLED)' : '')];
    if (o.soname !== path.basename(o.file)) bits.push(`soname ${o.soname}`);
    if (o.needed.length) bits.push(`NEEDED ${o.needed.join(' ')}`);
    if (o.path.kind !== 'none') bits.push(`${o.path.kind.toUpperCase()} ${o.path.entries.join(':')}`);
    if (o.tls) bits.push(`TLS ${o.tls.model} ${o.tls.size}/${o.tls.align}`);
    if (o.dialect === 'gnu2') bits.push('gnu2');
    if (o.now) bits.push('-z now');
    if (o.noopen && o.path.kind === 'none') bits.push('-z nodlopen');
    const refs = [...o.call.filter(Boolean).map((c) => `call ${c}`), o.data && `data ${o.data}`, o.abs && `abs ${o.abs}`,
      o.ie && `ie ${o.ie}`, o.dyn && `dyn ${o.dyn}`].filter(Boolean);
    if (refs.length) bits.push(refs.join(', '));
    if (!o.entry && o.addon) bits.push('no napi entry');
    lines.push(`  ${bits.join('; ')}`);
  }
  return lines.join('\n');
}

// ---- the driver ----

function detect(which) {
  const have = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
  const out = { glibc: null, musl: null };
  if (which.includes('glibc')) {
    const ti = require('..');
    if (ti.libc().family !== 'glibc') out.skip = { glibc: 'this system\'s libc is not glibc' };
    else if (!have(process.env.CC || 'gcc')) out.skip = { glibc: 'gcc not installed' };
    else out.glibc = process.env.CC || 'gcc';
  }
  if (which.includes('musl')) {
    let probe = null;
    try { probe = require('../lib/reproduce').template('probe', 'musl'); } catch (_) { /* reported below */ }
    const ver = spawnSync('/lib/ld-musl-x86_64.so.1', [], { encoding: 'utf8' });
    const m = /Version (\d+\.\d+\.\d+)/.exec(`${ver.stderr || ''}`);
    if (!have('musl-gcc')) out.skip = { ...out.skip, musl: 'musl-gcc not installed (apt-get install musl-tools)' };
    else if (!probe) out.skip = { ...out.skip, musl: 'no musl ti-probe: run node scripts/build-fixtures.js' };
    else if (!m) out.skip = { ...out.skip, musl: 'musl\'s loader (/lib/ld-musl-x86_64.so.1) not found' };
    else {
      out.musl = 'musl-gcc';
      out.muslProbe = probe;
      out.muslTarget = `musl@${m[1]}`;
    }
  }
  return out;
}

async function fuzz(opts = {}) {
  const runs = opts.runs || 100;
  const seed = opts.seed === undefined ? Date.now() % 1e9 : opts.seed;
  const which = opts.libc ? [opts.libc] : ['glibc', 'musl'];
  const log = opts.log || ((s) => process.stdout.write(`${s}\n`));
  if (process.arch !== 'x64' || process.platform !== 'linux') return { skipped: 'the model fuzzer builds x86_64 Linux objects' };
  const env = detect(which);
  const libcs = which.filter((l) => env[l]);
  for (const [l, why] of Object.entries(env.skip || {})) log(`fuzz:model: ${l} skipped: ${why}`);
  if (!libcs.length) return { skipped: Object.values(env.skip || {}).join('; ') };
  const cache = opts.cache || path.join(ROOT, '.cache', 'fuzz-model');
  const ctx = { factory: new Factory(cache, { glibc: env.glibc, musl: env.musl }), work: fs.mkdtempSync(path.join(os.tmpdir(), 'ti-fuzz-model-')),
    muslProbe: env.muslProbe, muslTarget: env.muslTarget, keep: Boolean(opts.keep), counter: 0,
    childPredicts: Boolean(opts.childPredicts) };
  const stats = { seed, runs: 0, loads: 0, closures: {}, agreedClosures: {}, loadsAgreed: {}, loadsTotal: {}, classes: {}, explained: {}, outcomes: {} };
  for (const l of libcs) Object.assign(stats.closures, { [l]: 0 }), stats.agreedClosures[l] = 0, stats.loadsAgreed[l] = 0, stats.loadsTotal[l] = 0;
  const examples = {};
  const started = Date.now();
  const jobs = Math.max(1, opts.jobs || 1);
  let next = opts.from || 0;
  const one = async (i) => {
    const libc = libcs[i % libcs.length];
    const r = rng((seed * 1000003 + i * 7919) >>> 0);
    const desc = generate(r, libc);
    const { truth, findings } = await evaluate(ctx, desc, `c${i}`);
    stats.runs++;
    stats.closures[libc]++;
    // the model over this machine (glibc: the host; musl: the closed-world state), and
    // checkTogether() on the musl target, counted apart
    const target = (f) => f.kind.startsWith('target musl: ');
    const bad = new Set(findings.filter((f) => !target(f)).map((f) => f.at));
    const badTarget = new Set(findings.filter(target).map((f) => f.at));
    stats.loadsTotal[libc] += desc.load.length;
    stats.loadsAgreed[libc] += truth.loads ? desc.load.filter((_, k) => !bad.has(k) && !truth.fault).length : 0;
    if (libc === 'musl' && truth.loads) stats.targetLoadsAgreed = (stats.targetLoadsAgreed || 0) + desc.load.filter((_, k) => !badTarget.has(k)).length;
    if (!findings.some((f) => !target(f))) stats.agreedClosures[libc]++;
    for (const l of truth.loads || []) {
      const k = `${libc} ${l.loaded ? 'loaded' : realCode(l.error)}`;
      stats.outcomes[k] = (stats.outcomes[k] || 0) + 1;
    }
    if (truth.fault) stats.outcomes[`${libc} ${truth.fault}`] = (stats.outcomes[`${libc} ${truth.fault}`] || 0) + 1;
    for (const f of findings) {
      const cls = `${libc}: ${f.kind}`;
      const bucket = f.explained ? stats.explained : stats.classes;
      const key = f.explained ? `${cls} [${f.explained}]` : cls;
      bucket[key] = (bucket[key] || 0) + 1;
      if (!examples[key]) examples[key] = { seed, index: i, desc, finding: f };
    }
  };
  const worker = async () => {
    while (next < (opts.from || 0) + runs) await one(next++);
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  stats.seconds = (Date.now() - started) / 1000;
  stats.templatesBuilt = ctx.factory.built;
  // minimised reproductions, one per class
  const repros = [];
  for (const [key, ex] of Object.entries(examples)) {
    const explained = Boolean(ex.finding.explained);
    const small = opts.minimise === false || explained ? ex.desc : await minimise(ctx, ex.desc, ex.finding.kind, opts.minBudget || 80);
    const again = await evaluate(ctx, small, `repro-${ctx.counter++}`);
    const f = again.findings.find((x) => x.kind === ex.finding.kind) || ex.finding;
    repros.push({ key, explained, seed: ex.seed, index: ex.index, desc: small, finding: f });
  }
  if (!ctx.keep) fs.rmSync(ctx.work, { recursive: true, force: true });
  const unexplained = Object.values(stats.classes).reduce((n, x) => n + x, 0);
  return { stats, repros, unexplained, explainedCount: Object.values(stats.explained).reduce((n, x) => n + x, 0) };
}

// One closure of a run again (--replay SEED:INDEX), minimised for its first
// unexplained finding when asked.
async function replay(opts, seed, index) {
  const libcs = opts.libc ? [opts.libc] : ['glibc', 'musl'];
  const env = detect(libcs);
  const ctx = { factory: new Factory(opts.cache || path.join(ROOT, '.cache', 'fuzz-model'), { glibc: env.glibc, musl: env.musl }),
    work: fs.mkdtempSync(path.join(os.tmpdir(), 'ti-fuzz-model-')), muslProbe: env.muslProbe, muslTarget: env.muslTarget,
    keep: true, counter: 0 };
  let desc = opts.desc || generate(rng((seed * 1000003 + index * 7919) >>> 0), libcs[index % libcs.length]);
  let { findings } = await evaluate(ctx, desc, 'replay');
  const first = findings.find((f) => !f.explained);
  if (first && opts.minimise !== false) {
    desc = await minimise(ctx, desc, first.kind, opts.minBudget || 200);
    ({ findings } = await evaluate(ctx, desc, 'replay-min'));
  }
  return { desc, findings, dir: ctx.work };
}

function report(res, log) {
  const s = res.stats;
  log(`fuzz:model: seed ${s.seed}, ${s.runs} closures in ${s.seconds.toFixed(1)} s (${s.templatesBuilt} templates compiled)`);
  for (const l of Object.keys(s.closures)) {
    log(`  ${l}: ${s.closures[l]} closures, ${s.agreedClosures[l]} agreed in full; ${s.loadsTotal[l]} loads, ${s.loadsAgreed[l]} agreed` +
      (l === 'musl' ? ` (closed-world model); checkTogether() on the musl target agreed on ${s.targetLoadsAgreed || 0}` : ''));
  }
  log(`  real outcomes: ${Object.entries(s.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const [k, n] of Object.entries(s.explained)) log(`  explained: ${n} × ${k}`);
  for (const [k, n] of Object.entries(s.classes)) log(`  UNEXPLAINED: ${n} × ${k}`);
  for (const r of res.repros) {
    log(`\n--- ${r.explained ? 'explained' : 'UNEXPLAINED'}: ${r.key} (seed ${r.seed}, closure ${r.index})`);
    log(describe(r.desc));
    const f = r.finding;
    if (f.file) log(`  file: ${f.file} (load ${f.at + 1})`);
    if (f.detail) log(`  detail: ${f.detail}`);
    if (f.model) log(`  model: ${f.model.verdict} [${f.model.codes.join(' ')}] after=${f.model.after} ${f.model.messages.join(' | ').slice(0, 600)}`);
    if (f.real) log(`  real:  ${f.real.loaded ? 'loaded' : 'refused'} ${f.real.error || ''} after=${f.real.after}`);
    if (f.stack) log(`  ${f.stack.split('\n').slice(0, 6).join('\n  ')}`);
  }
  log(`fuzz:model: ${res.unexplained} unexplained disagreements, ${res.explainedCount} explained`);
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--jobs') o.jobs = Number(argv[++i]);
    else if (a === '--musl') o.libc = 'musl';
    else if (a === '--glibc') o.libc = 'glibc';
    else if (a === '--keep') o.keep = true;
    else if (a === '--from') o.from = Number(argv[++i]);
    else if (a === '--replay') o.replay = argv[++i];
    else if (a === '--child-predicts') o.childPredicts = true;
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--no-minimise') o.minimise = false;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

if (require.main === module) {
  const o = parseArgs(process.argv.slice(2));
  if (o.replay) {
    const [seed, index] = o.replay.split(':').map(Number);
    replay(o, seed, index).then((r) => {
      console.log(describe(r.desc));
      for (const f of r.findings) console.log(JSON.stringify(f, null, 1));
      console.log(`built in ${r.dir}`);
    });
    return;
  }
  fuzz(o).then((res) => {
    if (res.skipped) {
      console.log(`fuzz:model: skipped: ${res.skipped}`);
      return;
    }
    report(res, console.log);
    if (o.json) fs.writeFileSync(o.json, JSON.stringify(res, null, 1));
    process.exitCode = res.unexplained ? 1 : 0;
  }).catch((e) => {
    console.error(e && e.stack);
    process.exitCode = 2;
  });
}

module.exports = { fuzz, generate, rng, describe, compare, report, realCode, buildClosure, EXPLAINED, replay };
