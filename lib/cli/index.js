'use strict';
// The tls-inspect command line: `tls-inspect [command] [options]`.
const { parseArgs } = require('util');
const pkg = require('../../package.json');

const USAGE = `Usage: tls-inspect [command] [options]

Why won't this .node file load here, and will it load there?

Commands:
  report            loaded modules, their thread-local storage and the static TLS
                    budget of this process (the default command)
  analyze <file...> what a native file demands of a loader (TLS, libc, versions)
  check <file...>   will these files load on the target? problems and fixes
  scan [dir]        find native files under dir (default node_modules) and check each
  reproduce         load a fixture of a TLS model and size in a child process and
                    show the real loader's answer next to the prediction
  explain [message] diagnose a loader error message (or read it from stdin)

Options:
  --json            machine-readable output
  -h, --help        show help (also: tls-inspect <command> --help)
  -v, --version     print the version

Targets (--target): host (default), musl | alpine, glibc@X.Y, or a preset:
  debian-10..13, ubuntu-18.04..24.04, rhel-7..9, amazonlinux-2, amazonlinux-2023,
  alpine-3.18..3.21, node:16-bullseye, node:18-alpine, node:18-bookworm,
  node:20-alpine, node:20-bookworm(-slim), node:20-bullseye, node:22-alpine, node:22-bookworm

Exit codes: 0 success (check/scan: compatible, warnings allowed), 1 incompatible
(or a reproduce outcome that differs from its prediction), 2 usage or I/O error.
Colour only on a terminal, never with NO_COLOR.
`;

const COMMANDS = {
  report: {
    usage: `Usage: tls-inspect report [--json]

Lists every object loaded into this Node process in link-map order with its TLS
block (size, alignment, module id, static or dynamic placement, offset from the
thread pointer), the TLS models its relocations use, the libc, and how many bytes
of static TLS an initial-exec module loaded now could still get.
`,
    options: { json: { type: 'boolean' } },
    run(values, out) {
      const api = require('../process/host');
      const r = api.report();
      out.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : require('./format').formatReport(r));
      return 0;
    },
  },
};

function parseBytes(text) {
  const m = /^(\d+)\s*([kKmM]?)(i?[bB])?$/.exec(String(text));
  if (!m) throw Object.assign(new Error(`--bytes: not a size: ${text}`), { code: 'TI_EINVAL' });
  return Number(m[1]) * ({ '': 1, k: 1024, K: 1024, m: 1 << 20, M: 1 << 20 }[m[2]]);
}

COMMANDS.analyze = {
  usage: `Usage: tls-inspect analyze <file...> [--json]

Reads ELF files (.node, .so, executables) without loading them: TLS size and
model, the largest TLS symbols, libc, needed libraries, GLIBC_ versions, Node-API.
`,
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run(values, out, err, files) {
    if (!files.length) throw Object.assign(new Error('analyze: name at least one file'), { code: 'TI_EINVAL' });
    const { analyze } = require('../file/analyze');
    const results = [];
    let failed = 0;
    for (const f of files) {
      try {
        results.push(await analyze(f));
      } catch (e) {
        failed++;
        results.push({ path: f, error: { code: e.code, message: e.message } });
      }
    }
    const fmt = require('./format');
    out.write(values.json ? `${JSON.stringify(files.length === 1 ? results[0] : results, null, 2)}\n`
      : results.map(fmt.formatAnalysis).join('\n'));
    return failed ? 2 : 0;
  },
};

const TARGET_OPT = { target: { type: 'string', short: 't' } };

COMMANDS.check = {
  usage: `Usage: tls-inspect check <file...> [--target T] [--json]

Will these native files load on the target?  For each file: the verdict
(compatible, risky, incompatible) and every problem with its code and fix:
LIBC_MISMATCH, GLIBC_TOO_OLD, GLIBCXX_TOO_OLD, STATIC_TLS_EXHAUSTED,
STATIC_TLS_LOW (warning), MUSL_INITIAL_EXEC, MISSING_LIBRARY, ARCH_MISMATCH,
BAD_INTERPRETER, NAPI_VERSION, NAPI_EXPERIMENTAL (warning), NOT_ELF.

Exit codes: 0 all compatible (warnings allowed), 1 any incompatible, 2 usage or I/O error.
`,
  options: { json: { type: 'boolean' }, ...TARGET_OPT },
  positionals: true,
  async run(values, out, err, files) {
    if (!files.length) throw Object.assign(new Error('check: name at least one file'), { code: 'TI_EINVAL' });
    const { check } = require('../loader/check');
    const results = [];
    for (const f of files) results.push(await check(f, { target: values.target || 'host' }));
    const fmt = require('./format');
    if (values.json) out.write(`${JSON.stringify(files.length === 1 ? results[0] : results, null, 2)}\n`);
    else out.write(results.map((r) => fmt.formatCheck(r, fmt.colours(out))).join('\n'));
    return results.every((r) => r.ok) ? 0 : 1;
  },
};

COMMANDS.scan = {
  usage: `Usage: tls-inspect scan [dir] [--target T] [--concurrency N] [--json]

Finds native files under dir (default node_modules): *.node, and *.so* files
with ELF magic; symlinked directories are followed once, so loops end.  Checks
each against the target and prints a summary table (with --json: one JSON
object per line as results arrive, then a summary line).

Exit codes: 0 all compatible (warnings allowed), 1 any incompatible, 2 usage or I/O error.
`,
  options: { json: { type: 'boolean' }, concurrency: { type: 'string' }, ...TARGET_OPT },
  positionals: true,
  async run(values, out, err, dirs) {
    const { scan } = require('../loader/scan');
    const fmt = require('./format');
    const dir = dirs[0] || 'node_modules';
    const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
    const tty = Boolean(err.isTTY) && !values.json;
    const rows = [];
    const counts = { compatible: 0, risky: 0, incompatible: 0, error: 0 };
    for await (const r of scan(dir, { target: values.target || 'host', concurrency })) {
      counts[r.verdict]++;
      if (values.json) out.write(`${JSON.stringify({ ...r, analysis: undefined })}\n`);
      else if (r.verdict !== 'compatible') rows.push(r);
      if (tty) err.write(`\rscanned ${Object.values(counts).reduce((a, b) => a + b, 0)} files`);
    }
    if (tty) err.write('\n');
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (values.json) out.write(`${JSON.stringify({ summary: { dir, total, ...counts } })}\n`);
    else out.write(fmt.formatScan(dir, total, counts, rows, fmt.colours(out)));
    if (counts.error && !counts.incompatible) return 2;
    return counts.incompatible || counts.error ? 1 : 0;
  },
};

COMMANDS.reproduce = {
  usage: `Usage: tls-inspect reproduce --model M --bytes N [--libc glibc|musl] [--tunables T]
                            [--preload] [--json]

Builds nothing: writes a fixture library of TLS model M whose TLS block is N
bytes (k/M suffixes allowed), loads it in a child process with the real loader
(Node for the host libc, the ti-probe for musl) and prints the loader's message,
tls-inspect's prediction, and the fixes that would work.

Models: global-dynamic, local-dynamic, initial-exec, tlsdesc, local-exec.
  --tunables T   GLIBC_TUNABLES for the child, e.g. glibc.rtld.optional_static_tls=8192
  --preload      put the fixture in LD_PRELOAD (the start-up slot fix)
`,
  options: { json: { type: 'boolean' }, model: { type: 'string' }, bytes: { type: 'string' },
    libc: { type: 'string' }, tunables: { type: 'string' }, preload: { type: 'boolean' } },
  async run(values, out) {
    const { reproduce } = require('../fixtures/reproduce');
    const r = await reproduce({ model: values.model, bytes: values.bytes === undefined ? undefined
      : parseBytes(values.bytes), libc: values.libc || 'host', tunables: values.tunables,
    preload: values.preload });
    out.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : require('./format').formatReproduce(r));
    return r.loaded === r.predicted.loaded ? 0 : 1;
  },
};

COMMANDS.explain = {
  usage: `Usage: tls-inspect explain ["<loader message>"] [--path FILE] [--json]

Diagnoses the message of a failed native load (glibc, musl, or Node's wrapping of
either): its kind, the check() problem code, module, symbol and a fix.  When the
module is on disk it is checked too.  Without a message, reads it from stdin.
--path names the file that was being loaded when the message does not.

Exit codes: 0 recognised, 1 not recognised (kind "unknown"), 2 usage error.
`,
  options: { json: { type: 'boolean' }, path: { type: 'string' } },
  positionals: true,
  async run(values, out, err, words) {
    let message = words.join(' ');
    if (!message && !process.stdin.isTTY) {
      const chunks = [];
      for await (const c of process.stdin) chunks.push(c);
      message = Buffer.concat(chunks).toString('utf8');
    }
    if (!message.trim()) throw Object.assign(new Error('explain: give a message or pipe one in'), { code: 'TI_EINVAL' });
    const { explain, formatDiagnosis } = require('../loader/explain');
    const d = explain(message, { path: values.path });
    if (values.json) out.write(`${JSON.stringify(d, null, 2)}\n`);
    else if (d.kind === 'unknown') out.write(`tls-inspect: not a loader message tls-inspect knows: ${d.message}\n`);
    else out.write(`${d.message}\n\n${formatDiagnosis(d)}\n`);
    return d.kind === 'unknown' ? 1 : 0;
  },
};

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

function usageError(err, message) {
  err.write(`tls-inspect: ${message}\n\n${USAGE}`);
  return 2;
}

async function main(argv, out = process.stdout, err = process.stderr) {
  const first = argv[0] && !argv[0].startsWith('-') ? argv[0] : null;
  const name = first || 'report';
  const cmd = COMMANDS[name];
  if (!cmd) return usageError(err, `unknown command "${name}"`);
  let parsed;
  try {
    parsed = parseArgs({ args: first ? argv.slice(1) : argv, options: { ...COMMON, ...cmd.options },
      allowPositionals: Boolean(cmd.positionals), strict: true });
  } catch (e) {
    return usageError(err, e.message);
  }
  if (parsed.values.version) {
    out.write(`${pkg.version}\n`);
    return 0;
  }
  if (parsed.values.help) {
    out.write(first ? cmd.usage : USAGE);
    return 0;
  }
  try {
    return await cmd.run(parsed.values, out, err, parsed.positionals);
  } catch (e) {
    err.write(`tls-inspect: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    return 2;
  }
}

module.exports = { main, COMMANDS };
