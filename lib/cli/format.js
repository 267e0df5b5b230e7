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
  if (a.runpath.length || a.rpath.length) lines.push(`  search path: ${[...a.rpath, ...a.runpath].join(':')}`);
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

// ANSI colours only for a terminal, and never when NO_COLOR is set (no-color.org).
function colours(stream) {
  const on = Boolean(stream && stream.isTTY) && !('NO_COLOR' in process.env);
  const wrap = (code) => (text) => (on ? `\x1b[${code}m${text}\x1b[0m` : String(text));
  return { red: wrap('31'), yellow: wrap('33'), green: wrap('32'), bold: wrap('1') };
}

function formatCheck(r, c = colours(null)) {
  const paint = { compatible: c.green, risky: c.yellow, incompatible: c.red }[r.verdict] || String;
  const lines = [`${c.bold(r.path)}: ${paint(r.verdict)} on ${r.target}`];
  for (const p of r.problems) {
    lines.push(`  ${p.severity === 'error' ? c.red(p.code) : c.yellow(p.code)}: ${p.message}`);
    lines.push(`    fix: ${p.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatScan(dir, total, counts, rows, c = colours(null)) {
  const lines = [];
  if (rows.length) {
    lines.push(table(['VERDICT', 'FILE', 'PROBLEMS'], rows.map((r) => [r.verdict, r.path,
      r.error ? r.error.code : r.problems.map((p) => p.code).join(',')]), ['l', 'l', 'l']), '');
    for (const r of rows) if (!r.error) lines.push(formatCheck(r, c));
  }
  lines.push(`scanned ${total} native files under ${dir}: ${c.green(`${counts.compatible} compatible`)}, ` +
    `${c.yellow(`${counts.risky} risky`)}, ${c.red(`${counts.incompatible} incompatible`)}` +
    `${counts.error ? `, ${counts.error} unreadable` : ''}`);
  return `${lines.join('\n')}\n`;
}

module.exports = { table, formatReport, budgetLine, formatAnalysis, formatReproduce, formatCheck, formatScan, colours };
