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

// Files x targets: one verdict (and its codes) per cell.
function formatMatrix(results, targets, c = colours(null)) {
  const files = [...new Set(results.map((r) => r.path))];
  const cell = (r) => (r.error ? `error ${r.error.code}` : `${r.verdict}${r.problems.length ? ` ${[...new Set(r.problems.map((p) => p.code))].join(',')}` : ''}`);
  const rows = files.map((f) => [f, ...targets.map((t) => {
    const r = results.find((x) => x.path === f && x.targetSpec === t);
    return r ? cell(r) : '-';
  })]);
  const lines = [table(['FILE', ...targets], rows, ['l', ...targets.map(() => 'l')])];
  for (const f of files) {
    const r = results.find((x) => x.path === f && x.runsOn);
    if (r && r.runsOn.cpu) lines.push(`${f}: runs on ${runsOnText(r.runsOn)}`);
  }
  const bad = results.filter((r) => r.problems && r.problems.length);
  if (bad.length) lines.push('', ...bad.map((r) => formatCheck(r, c).trimEnd()));
  return `${lines.join('\n')}\n`;
}

// checkPackage(): which binary the package loads, then its verdict.
function formatPackage(r, c = colours(null)) {
  if (r.error) return formatCheck(r, c);
  const head = `${c.bold(r.package || r.path)}${r.version ? `@${r.version}` : ''} (${r.convention}) on ${r.target}: ` +
    `${r.selected ? `loads ${r.selected}` : 'loads nothing'}`;
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
  const reasons = Object.entries(s.skippedBy || {}).sort((x, y) => y[1] - x[1]);
  if (reasons.length) lines.push(`  skipped: ${reasons.map(([why, n]) => `${n} ${why}`).join('; ')}`);
  if (s.staticTls && s.staticTls.needed) {
    lines.push(`  initial-exec TLS the judged addons need together: ${s.staticTls.needed} bytes` +
      `${s.staticTls.before !== null ? `; ${s.staticTls.before} bytes are left ${s.target === 'host' ? 'in this process' : 'on the target'}` +
        `${s.staticTls.needed > s.staticTls.before ? ` (${c.red('they cannot all load in one process')})` : ''}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

module.exports = { table, formatReport, budgetLine, formatAnalysis, formatReproduce, formatCheck, formatMatrix, formatPackage,
  formatTogether, formatScan, colours };
