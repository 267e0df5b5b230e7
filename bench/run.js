#!/usr/bin/env node
'use strict';
// npm run bench [-- --json] : tls-inspect against what users would otherwise run,
// side by side in one run.  Prints each ratio next to its target; exits non-zero
// only on errors, never on a missed target.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { interleave, interleaveAsync, median, fmtNs } = require('./harness');

const root = path.resolve(__dirname, '..');
const ti = require(root);
const fixtures = require(path.join(root, 'lib', 'reproduce'));
const { loadSmallAddon } = require(path.join(root, 'scripts', 'nodedir'));
const results = [];

function record(name, ratio, target, pass, detail) {
  results.push({ case: name, ratio: Number(ratio.toFixed(2)), target, met: pass, detail });
}

function buildBareWalk() {
  return loadSmallAddon(path.join(__dirname, 'native', 'bare_walk.c')).bareWalk;
}

// The bare walk must do the same work: its fields are modules()'s, module by module.
function checkBareWalk(bareWalk) {
  ti.modules(); // its first call touches the addon's thread-local name buffer: the module's TLS placement changes once
  const { paths, data } = bareWalk();
  const strings = paths.split('\0');
  const F = 13;
  const PLACEMENT = ['none', 'static', 'dynamic', 'unallocated'];
  const got = [];
  for (let i = 0; i < strings.length >> 1; i++) {
    const f = data.subarray(i * F, i * F + F);
    got.push({ path: strings[2 * i], base: strings[2 * i + 1], main: (f[1] & 1) !== 0, vdso: (f[1] & 2) !== 0,
      loader: (f[1] & 4) !== 0, tls: f[1] & 8 ? [f[2], f[3], f[4], f[5], PLACEMENT[f[6]], f[7] < 0 ? null : f[7]] : null,
      staticTlsFlag: (f[1] & 16) !== 0, tlsRelocations: { tpoff: f[8], dtpmod: f[9], dtpoff: f[10], tlsdesc: f[11] } });
  }
  const want = ti.modules().map((m) => ({ path: m.path, base: m.base, main: m.main, vdso: m.vdso, loader: m.loader,
    tls: m.tls && [m.tls.modid, m.tls.size, m.tls.initSize, m.tls.align, m.tls.placement, m.tls.offset],
    staticTlsFlag: m.staticTlsFlag, tlsRelocations: m.tlsRelocations }));
  require('assert').deepStrictEqual(got, want, 'the bare walk collects what modules() returns');
}

function caseModules() {
  const bareWalk = buildBareWalk();
  checkBareWalk(bareWalk);
  ti.staticTls();
  const t = interleave({
    modules: { fn: () => ti.modules(), inner: 2000 },
    report: { fn: () => process.report.getReport(), inner: 5 },
    bare: { fn: () => bareWalk(), inner: 5000 },
    staticTls: { fn: () => ti.staticTls(), inner: 5000 },
  });
  const n = ti.modules().length;
  record('modules() vs process.report.getReport()', t.report / t.modules, '>= 200x faster', t.report / t.modules >= 200,
    `${n} modules: modules() ${fmtNs(t.modules)}, getReport() ${fmtNs(t.report)}`);
  record('modules() vs bare C walk collecting the same fields', t.modules / t.bare, '<= 5x the bare walk', t.modules / t.bare <= 5,
    `bare walk ${fmtNs(t.bare)}`);
  record('staticTls() warm vs modules()', t.staticTls / t.modules, '<= 3x modules()', t.staticTls / t.modules <= 3,
    `staticTls() ${fmtNs(t.staticTls)}, modules() ${fmtNs(t.modules)}`);
}

// The first call of each in a fresh process (the addon already loaded).
const FIRST_MODULES = `
  const which = process.argv[1];
  const ti = require(${JSON.stringify(root)});
  const t0 = process.hrtime.bigint();
  if (which === 'modules') ti.modules(); else if (which === 'staticTls') ti.staticTls(); else process.report.getReport();
  console.log(Number(process.hrtime.bigint() - t0));`;

function caseFirstModules() {
  const first = { modules: [], staticTls: [], report: [] };
  for (let i = 0; i < 11; i++) {
    for (const who of Object.keys(first)) {
      first[who].push(Number(execFileSync(process.execPath, ['-e', FIRST_MODULES, who], { cwd: root, encoding: 'utf8' })));
    }
  }
  const m = median(first.modules);
  record('modules() vs getReport(), first call in a fresh process', median(first.report) / m, 'context', true,
    `modules() ${fmtNs(m)}, staticTls() ${fmtNs(median(first.staticTls))}, getReport() ${fmtNs(median(first.report))}`);
}

// First call in a fresh process, and whether any child process was started.
const FIRST_CALL = `
  const cp = require('child_process'); let spawned = 0;
  for (const k of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    const orig = cp[k]; cp[k] = function (...a) { spawned++; return orig.apply(this, a); };
  }
  const which = process.argv[1];
  const lib = which === 'theirs' ? require('detect-libc') : require(${JSON.stringify(root)});
  if (which === 'loaded') require(${JSON.stringify(path.join(root, 'lib', 'process', 'binding'))}); // the addon in already
  const t0 = process.hrtime.bigint();
  const r = which === 'theirs' ? { family: lib.familySync(), version: lib.versionSync() } : lib.libc();
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(JSON.stringify({ ns, spawned, family: r.family, version: r.version }));`;

function caseLibc() {
  const first = { ours: [], loaded: [], theirs: [] };
  let spawned = { ours: 0, loaded: 0, theirs: 0 };
  for (let i = 0; i < 11; i++) {
    for (const who of ['ours', 'loaded', 'theirs']) {
      const out = JSON.parse(execFileSync(process.execPath, ['-e', FIRST_CALL, who], { cwd: root, encoding: 'utf8' }));
      first[who].push(out.ns);
      spawned[who] = Math.max(spawned[who], out.spawned);
    }
  }
  const detect = require('detect-libc');
  const cached = interleave({
    ours: { fn: () => ti.libc(), inner: 20000 },
    theirs: { fn: () => ({ f: detect.familySync(), v: detect.versionSync() }), inner: 20000 },
  });
  const r1 = median(first.theirs) / median(first.loaded);
  record('libc() vs detect-libc, first call in a fresh process, the addon loaded', r1, '>= 10x faster, no child processes',
    r1 >= 10 && spawned.loaded === 0, `ours ${fmtNs(median(first.loaded))} (${spawned.loaded} child processes), ` +
    `detect-libc ${fmtNs(median(first.theirs))} (${spawned.theirs} child processes)`);
  record('libc() vs detect-libc, first call in a fresh process that has not loaded the addon yet', median(first.theirs) /
    median(first.ours), 'context', true, `ours ${fmtNs(median(first.ours))} (require() loads the addon on first use, ` +
    `and this call pays for it), detect-libc ${fmtNs(median(first.theirs))}`);
  record('libc() vs detect-libc, cached calls', cached.theirs / cached.ours, 'context', true,
    `ours ${fmtNs(cached.ours)}, detect-libc ${fmtNs(cached.theirs)}`);
}

// require('tls-inspect') against require('detect-libc'), each a whole `node -e`
// process (the start of Node is in both), interleaved round by round.
function caseRequire() {
  const times = { ours: [], theirs: [], bare: [] };
  const scripts = { ours: `require(${JSON.stringify(root)})`, theirs: "require('detect-libc')", bare: '0' };
  for (let i = 0; i < 21; i++) {
    for (const [who, script] of Object.entries(scripts)) {
      const t0 = process.hrtime.bigint();
      execFileSync(process.execPath, ['-e', script], { cwd: root });
      times[who].push(Number(process.hrtime.bigint() - t0));
    }
  }
  const [ours, theirs, bare] = [median(times.ours), median(times.theirs), median(times.bare)];
  record("require('tls-inspect') vs require('detect-libc'), node -e each", ours / theirs, '<= 1.1x', ours / theirs <= 1.1,
    `ours ${fmtNs(ours)}, detect-libc ${fmtNs(theirs)}, node -e 0 ${fmtNs(bare)}`);
}

// Host check() of a small C++ addon, warm (host facts computed), against
// analyzeSync() of the same file: what the loader model adds to one analysis.
async function caseCheck() {
  const file = fixtures.template('cxx', 'glibc');
  const n = 200;
  const loop = (fn) => async () => { for (let i = 0; i < n; i++) await fn(); };
  const contenders = {
    check: loop(() => ti.check(file)),
    checkSync: loop(async () => ti.checkSync(file)),
    analyze: loop(() => ti.analyze(file)),
    analyzeSync: loop(async () => ti.analyzeSync(file)),
  };
  for (const fn of Object.values(contenders)) for (let i = 0; i < 10; i++) await fn(); // warm: facts and the JIT
  const t = await interleaveAsync(contenders, 21);
  const st = fs.statSync(file);
  const age = (Date.now() - Math.max(st.mtimeMs, st.ctimeMs)) / 1000;
  const reuse = age > 70 ? 'a stat and the model: the analysis of the unchanged file is reused'
    : `the file changed ${age.toFixed(0)} s before: check() reads it until it is a minute old; run again later`;
  record('check() warm vs analyzeSync() of the same file (small C++ addon)', t.check / t.analyzeSync, '<= 2x',
    t.check / t.analyzeSync <= 2, `check ${fmtNs(t.check / n)} (${reuse}), ` +
    `analyze ${fmtNs(t.analyze / n)} (one thread-pool trip), ` +
    `analyzeSync ${fmtNs(t.analyzeSync / n)}`);
  record('checkSync() warm vs analyzeSync() of the same file (the loader model without the hop)', t.checkSync / t.analyzeSync,
    'context', true, `checkSync ${fmtNs(t.checkSync / n)}`);
}

// A first check() of a file not seen before against analyzeSync() of another
// unseen copy of the same file: what the loader model adds when nothing is
// remembered (CI checks and scans meet most files once).  The copies are of a
// real C++ addon (@serialport/bindings-cpp's linux-x64 glibc build), each with
// its own number appended so that no two share an inode; the host facts are
// read before timing (a fact of the process, paid once).
async function caseCheckFirst() {
  const env = scanTrees();
  if (env.skipped) {
    record('check() of an unseen file vs its analyzeSync()', 0, '<= 2x', false, `skipped: ${env.skipped}`);
    return;
  }
  const pkg = env.packages.find((p) => p.name === '@serialport/bindings-cpp');
  const real = path.join(pkg.dir, 'prebuilds', 'linux-x64', '@serialport+bindings-cpp.glibc.node');
  const bytes = fs.readFileSync(real);
  const pool = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-bench-first-'));
  const rounds = 21;
  const inner = 20;
  let made = 0;
  const copy = () => {
    const file = path.join(pool, `addon-${made++}.node`);
    const tail = Buffer.alloc(8);
    tail.writeBigUInt64LE(BigInt(made));
    fs.writeFileSync(file, Buffer.concat([bytes, tail]));
    return file;
  };
  try {
    const files = { check: [], analyzeSync: [] };
    for (let i = 0; i < (rounds + 2) * inner; i++) { files.check.push(copy()); files.analyzeSync.push(copy()); }
    await ti.check(files.check.pop()); // host facts and the JIT, once per process
    ti.analyzeSync(files.analyzeSync.pop());
    const next = { check: 0, analyzeSync: 0 };
    const t = await interleaveAsync({
      check: async () => { for (let i = 0; i < inner; i++) await ti.check(files.check[next.check++]); },
      analyzeSync: async () => { for (let i = 0; i < inner; i++) ti.analyzeSync(files.analyzeSync[next.analyzeSync++]); },
    }, rounds);
    const r = t.check / t.analyzeSync;
    record('check() of an unseen file vs analyzeSync() of another unseen copy (real C++ addon)', r, '<= 2x', r <= 2,
      `check ${fmtNs(t.check / inner)}, analyzeSync ${fmtNs(t.analyzeSync / inner)}; ` +
      `${Math.round(bytes.length / 1024)} KB, ${made} distinct copies, host facts read before timing`);
  } finally {
    fs.rmSync(pool, { recursive: true, force: true });
  }
}

function caseAnalyze() {
  const files = ['/usr/lib/x86_64-linux-gnu/libc.so.6', process.execPath].filter((f) => fs.existsSync(f));
  for (const file of files) {
    // -s too: analyze() reports every dynamic symbol (imports and exports), so readelf must list them
    const t = interleave({
      analyze: { fn: () => ti.analyzeSync(file), inner: 20 },
      readelf: { fn: () => spawnSync('readelf', ['-lWdrsV', file], { maxBuffer: 1 << 30 }), inner: 1 },
    }, 9);
    const mb = (fs.statSync(file).size / 1048576).toFixed(1);
    record(`analyze() vs readelf -lWdrsV on ${path.basename(file)} (${mb} MB)`, t.readelf / t.analyze, '>= 50x faster',
      t.readelf / t.analyze >= 50, `analyze ${fmtNs(t.analyze)}, readelf ${fmtNs(t.readelf)}`);
  }
}

// A real C++ addon of a few hundred KB: sharp's linux-x64 build, taken from its
// npm tarball into .cache/ the first time.
const SHARP = '@img/sharp-linux-x64@0.35.5';

function sharpAddon() {
  const dir = path.join(root, '.cache', 'sharp-linux-x64');
  const file = path.join(dir, 'package', 'lib', 'sharp-linux-x64-0.35.5.node');
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', SHARP, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8' })
    .trim().split('\n').pop();
  execFileSync('tar', ['xzf', path.join(dir, tgz), '-C', dir, 'package/lib']);
  return file;
}

// The facts both sides report, for the check that the comparator does the same work.
function sameFacts(o) {
  return { needed: o.needed, soname: o.soname, rpath: o.rpath, runpath: o.runpath, tls: o.tls, versionNeeds: o.versionNeeds,
    versionDefs: o.versionDefs, exports: o.exports, tlsRelocations: ['tpoff', 'dtpmod', 'dtpoff', 'tlsdesc'].map((k) => o.tlsRelocations[k]),
    imports: o.imports.map((i) => [i.name, i.version, i.from, i.type, i.weak, i.plt, i.got, i.other, i.initialExec, i.tlsdesc]) };
}

function caseElfy() {
  let file;
  try {
    file = sharpAddon();
  } catch (e) {
    record('analyze() vs elfy + a JS decode of the same facts', 0, '>= 2x faster', false, `skipped: cannot fetch ${SHARP}: ${e.message}`);
    return;
  }
  const elfy = require('elfy');
  const { decode } = require('./elf-decode');
  const decoded = () => decode(elfy.parse(fs.readFileSync(file)));
  require('assert').deepStrictEqual(sameFacts(decoded()), sameFacts(ti.analyzeSync(file)), 'the JS decode reports what analyze() does');
  const { analyzeSync } = require(path.join(root, 'lib', 'file', 'analyze'));
  const t = interleave({
    analyze: { fn: () => ti.analyzeSync(file), inner: 200 },
    decode: { fn: decoded, inner: 100 },
    elfy: { fn: () => elfy.parse(fs.readFileSync(file)), inner: 200 },
    light: { fn: () => analyzeSync(file, { light: true }), inner: 400 },
  });
  const kb = Math.round(fs.statSync(file).size / 1024);
  record(`analyze() vs elfy + a JS decode of the same facts on sharp's addon (${kb} KB)`, t.decode / t.analyze, '>= 2x faster',
    t.decode / t.analyze >= 2, `analyze ${fmtNs(t.analyze)}, elfy + decode (dynamic tags, needed, versions, dynsym imports and ` +
    `exports with versions, relocation counts by kind) ${fmtNs(t.decode)}`);
  record('analyze() vs elfy alone (headers, program headers, sections only)', t.elfy / t.analyze, 'context', true,
    `analyze ${fmtNs(t.analyze)}, elfy ${fmtNs(t.elfy)}`);
  record('light analysis vs elfy alone', t.elfy / t.light, 'context', true,
    `light ${fmtNs(t.light)} (header, program headers, dynamic strings, versions), elfy ${fmtNs(t.elfy)}`);
}

// Wall time and peak RSS of a command (GNU time), stdout to /dev/null; the
// exit codes allowed (a scan exits 1 when it finds an incompatible addon).
function timed(cmd, args, ok = [0]) {
  const out = fs.openSync('/dev/null', 'w');
  try {
    const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', out, 'pipe'],
      maxBuffer: 256 << 20 });
    const m = /TIME (\S+) (\d+)/.exec(r.stderr);
    if (!m || !ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
    return { seconds: Number(m[1]), rssKb: Number(m[2]) };
  } finally {
    fs.closeSync(out);
  }
}

// Whole processes, interleaved round by round; medians of wall time and peak RSS.
function interleaveProcesses(commands, rounds) {
  const runs = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [k, c] of Object.entries(commands)) runs[k].push(timed(c[0], c[1], c[2]));
  }
  return Object.fromEntries(Object.entries(runs).map(([k, xs]) => [k,
    { seconds: median(xs.map((x) => x.seconds)), rssMb: median(xs.map((x) => x.rssKb)) / 1024 }]));
}

const BIN = path.join(root, 'bin', 'tls-inspect.js');
const scanCmd = (tree, ...more) => [process.execPath, [BIN, 'scan', tree, '--json', ...more], [0, 1]];

// A scan's summary of a tree (what was judged, what skipped).
function scanSummary(tree, ...more) {
  const r = spawnSync(process.execPath, [BIN, 'scan', tree, '--json', ...more], { encoding: 'utf8', maxBuffer: 512 << 20 });
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]).summary;
}

function scanTrees() {
  const trees = require('./scan-trees');
  const cache = path.join(root, '.cache', 'scan-bench');
  let packages;
  try {
    packages = trees.fetchPackages(cache);
  } catch (e) {
    return { skipped: `the npm registry is not reachable (npm pack: ${String(e.stderr || e.message).trim().split('\n').pop()})` };
  }
  return { trees, cache, packages };
}

function composition(t, summary) {
  const judged = summary.compatible + summary.risky + summary.incompatible;
  return `${t.natives} native files (${judged} judged, ${summary.skipped} skipped), ${t.files} files in ${t.projects || 1} ` +
    'project(s) of hard links to real npm files';
}

function caseScan() {
  const env = scanTrees();
  if (env.skipped) {
    record('scan of 20,000 real native files vs scanelf -R -n', 0, '<= 2x', false, `skipped: ${env.skipped}`);
    return;
  }
  const { trees, cache, packages } = env;
  const small = trees.nativeTree(cache, packages, 1000);
  const mid = trees.nativeTree(cache, packages, 8000);
  const big = trees.nativeTree(cache, packages, 20000);
  const t = interleaveProcesses({
    ours: scanCmd(big.dir), scanelf: ['scanelf', ['-R', '-n', big.dir]], small: scanCmd(small.dir), mid: scanCmd(mid.dir),
  }, 5);
  const all = interleaveProcesses({ all: scanCmd(big.dir, '--all'), scanelf: ['scanelf', ['-R', '-n', big.dir]] }, 3);
  const summary = scanSummary(big.dir);
  const allSummary = scanSummary(big.dir, '--all');
  const ratio = t.ours.seconds / t.scanelf.seconds;
  record('scan of 20,000 real native files vs scanelf -R -n (whole processes)', ratio, '<= 2x', ratio <= 2,
    `scan ${t.ours.seconds.toFixed(2)} s, scanelf ${t.scanelf.seconds.toFixed(2)} s; ${composition(big, summary)}; ` +
    `packages: ${packages.map((p) => p.spec).join(', ')}`);
  const allRatio = all.all.seconds / all.scanelf.seconds;
  const allJudged = allSummary.compatible + allSummary.risky + allSummary.incompatible;
  record('scan --all (every native file judged, 20,000 hard links) vs scanelf -R -n', allRatio, '<= 2x', allRatio <= 2,
    `scan --all ${all.all.seconds.toFixed(2)} s, scanelf ${all.scanelf.seconds.toFixed(2)} s; ${allJudged} judged, ` +
    `${allSummary.skipped} skipped (links to a file judged already), ${allSummary.error} errors`);
  const growth = t.ours.rssMb - t.small.rssMb;
  record('scan peak RSS growth, 1,000 -> 20,000 native files (MB)', growth, '<= 16 MB', growth <= 16,
    `${t.small.rssMb.toFixed(0)} MB -> ${t.ours.rssMb.toFixed(0)} MB`);
  record('scan peak RSS growth, 8,000 -> 20,000 native files (MB)', t.ours.rssMb - t.mid.rssMb, 'context', true,
    `${t.mid.rssMb.toFixed(0)} MB -> ${t.ours.rssMb.toFixed(0)} MB: whether memory keeps growing once V8 has sized its heap`);
}

// Every file judged, no two alike: 2,000 distinct copies of the real ELF
// native files of the bench packages (see distinctTree), `scan --all` against
// `scanelf -R -n` over the same tree, whole processes interleaved.
function caseScanDistinct() {
  const env = scanTrees();
  if (env.skipped) {
    record('scan --all of 2,000 distinct native files vs scanelf -R -n', 0, '<= 2x', false, `skipped: ${env.skipped}`);
    return;
  }
  const tree = env.trees.distinctTree(env.cache, env.packages, 2000);
  const summary = scanSummary(tree.dir, '--all');
  const judged = summary.compatible + summary.risky + summary.incompatible;
  const t = interleaveProcesses({ ours: scanCmd(tree.dir, '--all'), scanelf: ['scanelf', ['-R', '-n', tree.dir]] }, 7);
  const ratio = t.ours.seconds / t.scanelf.seconds;
  record('scan --all of 2,000 distinct native files vs scanelf -R -n (whole processes)', ratio, '<= 2x',
    ratio <= 2 && judged === tree.natives, `scan ${t.ours.seconds.toFixed(2)} s (${t.ours.rssMb.toFixed(0)} MB), scanelf ` +
    `${t.scanelf.seconds.toFixed(2)} s; ${judged} of ${tree.natives} judged (${summary.error} errors), ` +
    `${(tree.bytes / 1048576).toFixed(0)} MB of copies in ${tree.projects} projects`);
}

function casePlainTree() {
  const env = scanTrees();
  if (env.skipped) {
    record('scan of 200,000 files (100 native) vs find', 0, '<= 3x', false, `skipped: ${env.skipped}`);
    return;
  }
  const tree = env.trees.mostlyPlainTree(env.cache, env.packages, 200000, 100);
  const t = interleaveProcesses({
    ours: scanCmd(tree.dir), find: ['find', [tree.dir, '-name', '*.node', '-o', '-name', '*.so*']],
  }, 5);
  const summary = scanSummary(tree.dir);
  const ratio = t.ours.seconds / t.find.seconds;
  record("scan of 200,000 files (100 native) vs find -name '*.node' -o -name '*.so*'", ratio, '<= 3x', ratio <= 3,
    `scan ${t.ours.seconds.toFixed(2)} s, find ${t.find.seconds.toFixed(2)} s; ${tree.plain} non-native files, ` +
    `${summary.total} native (${summary.total - summary.skipped} judged)`);
}

async function main() {
  const json = process.argv.includes('--json');
  const only = process.argv.find((a) => a.startsWith('--only='));
  const cases = { modules: caseModules, firstModules: caseFirstModules, libc: caseLibc, require: caseRequire,
    analyze: caseAnalyze, elfy: caseElfy, check: caseCheck, checkFirst: caseCheckFirst, scan: caseScan,
    scanDistinct: caseScanDistinct, plainTree: casePlainTree };
  for (const [name, fn] of Object.entries(cases)) {
    if (!only || only.slice(7).split(',').includes(name)) await fn();
  }
  if (json) {
    console.log(JSON.stringify({ node: process.versions.node, cpus: os.cpus().length, results }, null, 2));
    return 0;
  }
  const w = Math.max(...results.map((r) => r.case.length));
  console.log(`${'case'.padEnd(w)}  ratio     target                             met`);
  for (const r of results) {
    console.log(`${r.case.padEnd(w)}  ${`${r.ratio}x`.padEnd(8)}  ${r.target.padEnd(33)}  ${r.met ? 'yes' : 'NO'}`);
    console.log(`${''.padEnd(w)}  ${r.detail}`);
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(`bench: ${e.stack || e.message}`);
  process.exitCode = 1;
});
