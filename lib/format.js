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

module.exports = { table, formatReport, budgetLine };
