'use strict';
// Human-readable renderings of the API's results for the CLI.

function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => {
    const s = String(c);
    return align[i] === 'r' ? s.padStart(widths[i]) : s.padEnd(widths[i]);
  }).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function moduleRow(m) {
  const t = m.tls;
  const kind = m.main ? ' (main)' : m.vdso ? ' (vdso)' : m.loader ? ' (loader)' : '';
  const models = m.tlsModels.length ? m.tlsModels.join(',') : '-';
  const flag = m.staticTlsFlag ? ' STATIC_TLS' : '';
  if (!t) return [m.name + kind, '-', '-', '-', '-', '-', models + flag];
  return [m.name + kind, t.size, t.align, t.modid, t.placement, t.offset === null ? '-' : t.offset,
    models + flag];
}

function budgetLine(st) {
  if (st.libc === 'musl') {
    return `static TLS: ${st.used} bytes used at start-up; 0 bytes for initial-exec TLS in ` +
      'dlopen\'ed modules (musl keeps no surplus)';
  }
  const how = st.exact ? 'exact' : `estimate: ${st.source}`;
  return `static TLS: ${st.size} bytes (TCB ${st.tcbSize}, used ${st.used}, surplus ${st.surplus}` +
    `, nns=${st.tunables.nns}, optional_static_tls=${st.tunables.optionalStaticTls}) -> ` +
    `${st.remaining} bytes left for initial-exec TLS in modules loaded now (${how})`;
}

function formatReport(r) {
  const lc = r.libc;
  const head = `tls-inspect: pid ${r.pid}, node ${r.node} (Node-API ${r.napi}), ${r.arch}, ` +
    `${lc.family}${lc.version ? ` ${lc.version}` : ''}${lc.loader ? ` via ${lc.loader}` : ''}`;
  const rows = r.modules.map(moduleRow);
  const t = table(['MODULE', 'TLS', 'ALIGN', 'MODID', 'PLACEMENT', 'OFFSET', 'MODELS'], rows,
    ['l', 'r', 'r', 'r', 'l', 'r', 'l']);
  return `${head}\n\n${t}\n\n${budgetLine(r.staticTls)}\n`;
}

function formatAnalysis(a) {
  if (a.error) return `${a.path}\n  error: ${a.error.code}: ${a.error.message}\n`;
  const lines = [`${a.path}`,
    `  ELF${a.class} ${a.endian} ${a.machine} ${a.type}, libc: ${a.libc}` +
      (a.minGlibc ? `, needs GLIBC_${a.minGlibc}` : '') + (a.minGlibcxx ? `, GLIBCXX_${a.minGlibcxx}` : '')];
  if (a.interpreter) lines.push(`  interpreter: ${a.interpreter}`);
  if (a.needed.length) lines.push(`  needed: ${a.needed.join(', ')}`);
  if (a.runpath.length || a.rpath.length) lines.push(`  search path: ${a.rpath.concat(a.runpath).join(':')}`);
  if (a.tls) {
    lines.push(`  TLS: ${a.tls.size} bytes (${a.tls.initSize} initialised), align ${a.tls.align}; models: ` +
      `${a.tlsModels.join(', ') || 'none (executable or no TLS relocations)'}` +
      `${a.flags.staticTls ? '; DF_STATIC_TLS' : ''}`);
    for (const s of a.tlsSymbols.slice(0, 5)) {
      lines.push(`    ${String(s.size).padStart(8)}  ${s.demangled ? `${s.demangled} [${s.name}]` : s.name}${s.defined ? '' : ' (undefined)'}${s.bind === 'local' ? ' (local)' : ''}`);
    }
  } else {
    lines.push(`  TLS: none${a.tlsModels.length ? ` (uses others': ${a.tlsModels.join(', ')})` : ''}`);
  }
  if (a.napi) lines.push(`  Node-API: ${a.napi.imports.length} functions, needs version ${a.napi.minVersion}`);
  return `${lines.join('\n')}\n`;
}

function formatReproduce(r) {
  const what = `${r.model} TLS${r.bytes ? ` of ${r.bytes} bytes` : ''} on ${r.libc}` +
    `${r.tunables ? ` with GLIBC_TUNABLES=${r.tunables}` : ''}${r.preload ? ' with LD_PRELOAD' : ''}`;
  const lines = [`reproduce: ${what}`];
  if (r.staticTlsBefore) lines.push(`  static TLS left before the load: ${r.staticTlsBefore.remaining} bytes`);
  lines.push(r.loaded ? '  loader: loaded' : `  loader (${r.stage}): ${r.error}`);
  const agree = r.loaded === r.predicted.loaded ? 'agrees' : 'DISAGREES';
  lines.push(`  prediction (${agree}): ${r.predicted.loaded ? 'loads' : 'fails'}: ${r.predicted.reason}`);
  if (r.fixes.length) {
    lines.push('  fixes:');
    for (const f of r.fixes) lines.push(`    - ${f}`);
  }
  return `${lines.join('\n')}\n`;
}

const { colours } = require('./output');
const { runsOnText } = require('../loader/runs-on');

const PAINT = (c) => ({ compatible: c.green, risky: c.yellow, incompatible: c.red, error: c.red, skipped: c.dim });

function formatProblems(problems, c) {
  const lines = [];
  for (const p of problems) {
    lines.push(`  ${p.severity === 'error' ? c.red(p.code) : c.yellow(p.code)}: ${p.message}`);
    lines.push(`    fix: ${p.fix}`);
  }
  return lines;
}

// One file on one target.  The result must have been through output.clean().
function formatCheck(r, c = colours(null)) {
  const paint = PAINT(c)[r.verdict] || String;
  if (r.error) return `${c.bold(r.path)}: ${paint('error')}: ${r.error.code}: ${r.error.message}\n`;
  const lines = [`${c.bold(r.path)}: ${paint(r.verdict)} on ${r.target}${r.alreadyLoaded ? ' (already loaded here)' : ''}`];
  lines.push(...formatProblems(r.problems, c));
  if (r.runsOn && r.runsOn.cpu) lines.push(`  runs on: ${runsOnText(r.runsOn)}`);
  const extra = (r.closure || []).filter((o) => o.status === 'new' || o.status === 'unresolved');
  if (extra.length) {
    lines.push(`  loads with it: ${extra.map((o) => `${o.name}${o.status === 'unresolved' ? ' (not shipped: the target must provide it)' : ''}`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

// Files x targets: one verdict (and its codes) per cell.  Targets whose
// columns are the same share one (named by the first and how many more,
// listed under the table); the columns wrap at `width`.  A file's problems
// that are the same on several targets are written once, naming them.
function formatMatrix(results, targets, c = colours(null), width = Infinity) {
  const files = [...new Set(results.map((r) => r.path))];
  const cell = (r) => (r.error ? `error ${r.error.code}` : `${r.verdict}${r.problems.length ? ` ${[...new Set(r.problems.map((p) => p.code))].join(',')}` : ''}`);
  const find = (f, t) => results.find((x) => x.path === f && x.targetSpec === t);
  const rows = files.map((f) => [f, ...targets.map((t) => {
    const r = find(f, t);
    return r ? cell(r) : '-';
  })]);
  const { heads, cells, merged } = mergeColumns(targets, rows);
  const lines = [];
  const { blocks, widths } = columnBlocks(heads, cells, Math.max(width, 40));
  const line = (cs, which) => [0, ...which].map((i) => cs[i].padEnd(widths[i])).join('  ').trimEnd();
  blocks.forEach((which, i) => lines.push(...(i ? [''] : []), line(heads, which), ...cells.map((r) => line(r, which))));
  if (merged.length) lines.push('', ...merged);
  for (const f of files) {
    const r = results.find((x) => x.path === f && x.runsOn);
    if (r && r.runsOn.cpu) lines.push(`${f}: runs on ${runsOnText(r.runsOn)}`);
  }
  // the same verdict and problems on several targets: one block naming them all
  const blocksOf = new Map();
  for (const r of results) {
    if (!r.problems || !r.problems.length) continue;
    const body = formatProblems(r.problems, c).join('\n');
    const key = `${r.path}\0${r.verdict}\0${body}`;
    if (!blocksOf.has(key)) blocksOf.set(key, { r, body, on: [] });
    blocksOf.get(key).on.push(r.targetSpec || r.target);
  }
  if (blocksOf.size) lines.push('');
  for (const { r, body, on } of blocksOf.values()) {
    lines.push(`${c.bold(r.path)}: ${(PAINT(c)[r.verdict] || String)(r.verdict)} on ${on.join(', ')}`, body);
  }
  return `${lines.join('\n')}\n`;
}

// Targets whose columns (rows[i][1..]) are the same: one column each.
function mergeColumns(targets, rows, first = 'FILE') {
  const groups = new Map();
  targets.forEach((t, i) => {
    const key = rows.map((r) => r[i + 1]).join('\0');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(i);
  });
  const cols = [...groups.values()];
  const label = (g) => (g.length > 1 ? `${targets[g[0]]} +${g.length - 1}` : targets[g[0]]);
  const many = cols.filter((g) => g.length > 1);
  return { cols, label, heads: [first, ...cols.map(label)], cells: rows.map((r) => [r[0], ...cols.map((g) => r[g[0] + 1])]),
    merged: many.length ? ['the same on several targets:', ...many.map((g) => `  ${label(g)}: ${g.map((i) => targets[i]).join(', ')}`)] : [] };
}

// checkPackage(): which binary the package loads, then its verdict.
function formatPackage(r, c = colours(null)) {
  if (r.error) return formatCheck(r, c);
  const name = `${c.bold(r.package || r.path)}${r.version ? `@${r.version}` : ''}`;
  // a package without native code is fine: say so, not "loads nothing"
  if (r.native === false) return `${name} on ${r.target}: ${c.green('ok')}, ${r.why || 'no native code'}\n`;
  const by = r.convention && r.convention !== 'none' ? ` (${r.convention})` : '';
  const head = `${name}${by} on ${r.target}: ${r.selected ? `loads ${r.selected}` : 'loads nothing'}`;
  return `${head}\n${formatCheck(r, c)}`;
}

function formatTogether(t, c = colours(null)) {
  const lines = [`${c.bold(`${t.files.length} files loaded in order`)} on ${t.target}: ` +
    `${(PAINT(c)[t.verdict] || String)(t.verdict)}${t.failsAt ? ` (the first that does not load: ${t.failsAt})` : ''}`];
  for (const f of t.files) lines.push(formatCheck(f, c).trimEnd());
  if (t.staticTls.before !== null) {
    lines.push(`static TLS: ${t.staticTls.before} bytes left before, ${t.staticTls.after} after; the files need ` +
      `${t.staticTls.needed} bytes of it together`);
  }
  return `${lines.join('\n')}\n`;
}

function formatScan(dir, s, rows, c = colours(null)) {
  const lines = [];
  if (rows.length) {
    lines.push(table(['VERDICT', 'FILE', 'PROBLEMS'], rows.map((r) => [r.verdict, r.path,
      r.error ? r.error.code : r.problems.map((p) => p.code).join(',')]), ['l', 'l', 'l']), '');
    for (const r of rows) if (!r.error) lines.push(formatCheck(r, c));
  }
  const judged = s.compatible + s.risky + s.incompatible;
  lines.push(`scanned ${s.total} native files under ${dir} on ${s.target}: ${judged} would load here and were judged: ` +
    `${c.green(`${s.compatible} compatible`)}, ${c.yellow(`${s.risky} risky`)}, ${c.red(`${s.incompatible} incompatible`)}` +
    `; ${s.skipped} skipped${s.error ? `, ${c.red(`${s.error} unreadable`)}` : ''}`);
  const nb = s.noBinary || {};
  if (nb.incompatible || nb.risky) {
    const n = (nb.incompatible || 0) + (nb.risky || 0);
    lines.push(`  ${c.red(`${n} ${n === 1 ? 'package needs' : 'packages need'} a native binary and ${n === 1 ? 'has' : 'have'} none for ${s.target}`)}` +
      `${nb.risky ? ` (${nb.risky} fall back to JavaScript)` : ''}: NO_BINARY above`);
  }
  const reasons = Object.entries(s.skippedBy || {}).sort((x, y) => y[1] - x[1]);
  if (reasons.length) lines.push(`  skipped: ${reasons.map(([why, n]) => `${n} ${why}`).join('; ')}`);
  if (s.staticTls && s.staticTls.needed) {
    lines.push(`  initial-exec TLS the judged addons need together: ${s.staticTls.needed} bytes` +
      `${s.staticTls.before !== null ? `; ${s.staticTls.before} bytes are left ${s.target === 'host' ? 'in this process' : 'on the target'}` +
        `${s.staticTls.needed > s.staticTls.before ? ` (${c.red('they cannot all load in one process')})` : ''}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- scan with several targets: a package x target table ----

// The package a result belongs to: as the scan named it, else the last
// node_modules/<name> (or @scope/name) of its path, else the path itself.
function packageOf(r) {
  if (r.package) return r.package;
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(r.path || '');
  return m ? m[1] : r.path;
}

const RANK = { none: 0, ok: 1, warn: 2, FAIL: 3, error: 4 };

function cellOf(r) {
  if (r.error || r.verdict === 'error') return 'error';
  if (r.verdict === 'incompatible') {
    // a package with no binary for the target (and nothing else wrong) is the empty cell, failing
    return r.problems.every((p) => p.code === 'NO_BINARY' || p.severity !== 'error') ? 'none' : 'FAIL';
  }
  return { risky: 'warn', compatible: 'ok' }[r.verdict] || 'none';
}

// Keeps, per package and target, the worst cell and the problem codes; a
// target's column exists once one result of it is added.
function tableAdd(table, r, target) {
  const name = packageOf(r);
  if (!table.has(name)) table.set(name, new Map());
  const row = table.get(name);
  const cur = row.get(target) || { cell: 'none', codes: new Set(), noBinary: false };
  const cell = cellOf(r);
  if (RANK[cell] > RANK[cur.cell]) cur.cell = cell;
  for (const p of r.problems || []) cur.codes.add(p.code);
  if (r.error) cur.codes.add(r.error.code);
  if (cell === 'none' && r.verdict === 'incompatible') cur.noBinary = true;
  row.set(target, cur);
}

// Columns of targets in blocks that fit `width` (each block repeats the package column).
function columnBlocks(heads, rows, width) {
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const blocks = [];
  let cur = [];
  let used = widths[0];
  for (let i = 1; i < heads.length; i++) {
    if (cur.length && used + 2 + widths[i] > width) {
      blocks.push(cur);
      cur = [];
      used = widths[0];
    }
    cur.push(i);
    used += 2 + widths[i];
  }
  if (cur.length) blocks.push(cur);
  return { blocks, widths };
}

function formatScanTable(dir, table, summaries, c = colours(null), width = Infinity) {
  const targets = summaries.map((s) => s.targetSpec);
  const paint = { ok: c.green, warn: c.yellow, FAIL: c.red, error: c.red, none: c.dim, 'none!': c.red };
  const names = [...table.keys()].sort();
  const nowhere = names.filter((n) => [...table.get(n).values()].every((x) => x.cell === 'none' && !x.noBinary));
  const rows = names.filter((n) => !nowhere.includes(n)).map((n) => [n, ...targets.map((t) => {
    const x = table.get(n).get(t);
    return x ? (x.noBinary ? 'none!' : x.cell) : 'none';
  })]);
  const { heads, cells, merged } = mergeColumns(targets, rows, 'PACKAGE');
  const lines = [`native files under ${dir} on ${targets.length} targets:`];
  const { blocks, widths } = columnBlocks(heads, cells, Math.max(width, 40));
  // padded first, painted after: colour codes would spoil the widths
  const line = (cs, which, painted) => [0, ...which].map((i) => {
    const cell = cs[i].padEnd(widths[i]);
    return painted && i > 0 ? cell.replace(cs[i], paint[cs[i]](cs[i])) : cell;
  }).join('  ').trimEnd();
  if (rows.length) for (const which of blocks) lines.push('', line(heads, which, false), ...cells.map((r) => line(r, which, true)));
  if (rows.length && merged.length) lines.push('', ...merged);
  if (!rows.length) lines.push('', 'no package has a binary judged on these targets');
  if (nowhere.length) {
    lines.push('', 'judged on none of these targets (libraries loaded through another package\'s binary, or binaries ' +
      `for other platforms): ${nowhere.join(', ')}`);
  }
  lines.push('', 'ok: would load; warn: would load, with warnings; FAIL: would not load; none: no binary for that ' +
    'target (none!: the package needs one, NO_BINARY); error: could not be read');
  // per package, each code with the targets it is found on
  const bad = [];
  for (const n of names) {
    const on = new Map();
    for (const t of targets) {
      const x = table.get(n).get(t);
      for (const code of x ? x.codes : []) on.set(code, [...(on.get(code) || []), t]);
    }
    const where = (ts) => {
      if (ts.length === targets.length) return 'every target';
      if (ts.length > targets.length / 2) return `every target but ${targets.filter((t) => !ts.includes(t)).join(', ')}`;
      return ts.join(', ');
    };
    if (on.size) bad.push(`  ${n}: ${[...on].map(([code, ts]) => `${code} on ${where(ts)}`).join('; ')}`);
  }
  if (bad.length) lines.push('', 'problems (each target\'s report: --verbose):', ...bad);
  const failing = summaries.filter((s) => s.incompatible || s.error).map((s) => s.targetSpec);
  const risky = summaries.filter((s) => !s.incompatible && !s.error && s.risky).map((s) => s.targetSpec);
  lines.push('', `${targets.length - failing.length - risky.length} targets: everything judged is compatible; ` +
    `${risky.length} with warnings; ${failing.length} where something would not load or could not be read` +
    `${failing.length ? ` (${failing.join(', ')})` : ''}`);
  return `${lines.join('\n')}\n`;
}

// ---- check --tree: the load closure as lddtree/libtree draw it ----

const RULE_TEXT = { 'ld.so.cache': '/etc/ld.so.cache', LD_LIBRARY_PATH: 'LD_LIBRARY_PATH', path: 'a path in DT_NEEDED',
  loaded: 'already loaded in this process', system: 'the target\'s system', 'default directories': 'default directories' };

function whereFound(n) {
  if (n.status === 'missing') return 'not found';
  if (n.status === 'unresolved') return 'not shipped with the file: the target must provide it';
  if (n.via && n.entry) return `${n.via}: ${n.entry}`;
  return RULE_TEXT[n.via] || n.via || RULE_TEXT[n.rule] || n.status;
}

function tlsText(t) {
  if (!t) return '';
  return `  TLS ${t.size} B ${t.placement}${t.models.length ? ` (${t.models.join(', ')})` : ''}`;
}

// One result of tree(), through output.clean().
function formatTree(r, c = colours(null)) {
  const paint = PAINT(c)[r.verdict] || String;
  if (r.error) return formatCheck(r, c);
  const lines = r.package ? [`${c.bold(r.package)}${r.version ? `@${r.version}` : ''} (${r.convention}) on ${r.target}: loads ${r.selected}`] : [];
  lines.push(`${c.bold(r.path)}: ${paint(r.verdict)} on ${r.target}${r.alreadyLoaded ? ' (already loaded here)' : ''}` +
    `${tlsText(r.tree.tls)}`);
  const problemLines = (n, pre) => n.problems.map((p) => `${pre}${p.severity === 'error' ? c.red(p.code) : c.yellow(p.code)}: ${p.message}`);
  lines.push(...problemLines(r.tree, '  '));
  const walk = (n, pre) => n.children.forEach((k, i) => {
    const last = i === n.children.length - 1;
    const branch = `${pre}${last ? '└── ' : '├── '}`;
    const below = `${pre}${last ? '    ' : '│   '}`;
    if (k.seen) {
      lines.push(`${branch}${c.dim(`${k.name} (above)`)}`);
      return;
    }
    const bad = k.status === 'missing' || k.status === 'refused';
    const at = k.path && k.status !== 'missing' ? ` => ${k.path}` : '';
    lines.push(`${branch}${bad ? c.red(k.name) : k.name}${at}  [${whereFound(k)}]${tlsText(k.tls)}`);
    lines.push(...problemLines(k, `${below}${k.children.length ? '│ ' : '  '}`));
    walk(k, below);
  });
  walk(r.tree, '');
  const fixes = [];
  const gather = (n) => {
    for (const p of n.problems || []) fixes.push(`  ${p.code}: ${p.fix}`);
    for (const k of n.children || []) gather(k);
  };
  gather(r.tree);
  if (fixes.length) lines.push('fixes:', ...[...new Set(fixes)]);
  return `${lines.join('\n')}\n`;
}

module.exports = { formatTree, tableAdd, formatScanTable, packageOf, table, formatReport, budgetLine, formatAnalysis, formatReproduce, formatCheck, formatMatrix, formatPackage,
  formatTogether, formatScan, colours };
