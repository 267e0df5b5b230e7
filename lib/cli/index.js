'use strict';
// The tls-inspect command line: `tls-inspect [command] [options]`.
const { parseArgs } = require('util');
const pkg = require('../../package.json');
const { tiError } = require('../errors');

const USAGE = `Usage: tls-inspect [command] [options]

Why won't this .node file load here, and will it load there?

Commands:
  report            loaded modules, their thread-local storage and the static TLS
                    budget of this process (the default command)
  analyze <file...> what a native file demands of a loader (TLS, libc, versions)
  check <file...>   will these files load on the target? problems and fixes
                    (--together: loaded one after another into one process;
                    --package [dir]: the binary the package would load;
                    --tree: the libraries it loads as a tree, as lddtree draws it)
  scan [dir]        the native files under dir (default: the node_modules that
                    require() uses from here) that would load on the target,
                    judged; the others listed as skipped (several targets: a
                    package x target table)
  reproduce         load a fixture of a TLS model and size in a child process and
                    show the real loader's answer next to the prediction
  explain [message] diagnose a loader error message (or read it from stdin)
  why <module|file> require() it in a child Node and say why it fails (or that
                    it loads, and what it took of static TLS)
  help [command]    this text, or a command's

Options:
  --json            machine-readable output
  -h, --help        show help (also: tls-inspect <command> --help)
  -v, --version     print the version

Targets (check, scan): --target T (repeat it or join with commas; "all" for
every preset): host (default), musl | alpine, glibc, glibc@X.Y, musl@X.Y.Z, or
a platform package's name (linux-x64-gnu, linux-arm64-musl, linux-arm-gnueabihf,
linuxmusl-x64, ...), or a preset: debian-10..13, ubuntu-18.04..24.04, rhel-7..9,
amazonlinux-2, amazonlinux-2023, alpine-3.18..3.22, node:<16..26>-<bookworm|
bullseye|trixie|alpine>[-slim], electron-28..45.  In npm's words: --cpu x64|
arm64|arm|ia32|s390x|ppc64|riscv64 (alone: this system on that cpu), --libc
glibc|musl, --os linux.  Node and Electron ABIs: node-abi's registry (--version
names the version in use).  --sysroot DIR: judge on the system whose root file
system is DIR (a debootstrap tree, an extracted image, /usr/<triple>): its
libraries, ld.so.cache, libc release and libstdc++ decide, as on the host.

Exit codes: 0 success (check/scan: everything that would load is compatible,
warnings allowed), 1 incompatible (with --strict: also risky; reproduce: the
outcome differs from its prediction; explain: message not recognised), 2 usage
or I/O error.  Colour only on a terminal, never when NO_COLOR is set.
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
      out.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : require('./format').formatReport(require('./output').clean(r)));
      return 0;
    },
  },
};

function parseBytes(text) {
  const m = /^(\d+)\s*([kKmM]?)(i?[bB])?$/.exec(String(text));
  if (!m) throw tiError('TI_EINVAL', `--bytes: not a size: ${text}`);
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
    if (!files.length) throw tiError('TI_EINVAL', 'analyze: name at least one file', { usage: true });
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
      : results.map((r) => fmt.formatAnalysis(require('./output').clean(r))).join('\n'));
    return failed ? 2 : 0;
  },
};

const TARGET_OPTS = { target: { type: 'string', short: 't', multiple: true }, cpu: { type: 'string' },
  libc: { type: 'string' }, os: { type: 'string' }, sysroot: { type: 'string' } };
const GATE_OPTS = { strict: { type: 'boolean' }, ignore: { type: 'string', multiple: true }, format: { type: 'string' },
  json: { type: 'boolean' } };

const GATES = `Targets: --target T (repeatable, or T1,T2; "all"), --cpu, --libc, --os, --sysroot DIR (see tls-inspect help).
CI gates: --strict (warnings fail too), --ignore CODE[,CODE] (leave those problems out),
--format text|json|github (github: workflow annotations; --json is --format json).`;

function formatOf(values) {
  const f = values.json ? 'json' : values.format || 'text';
  if (!['text', 'json', 'github'].includes(f)) throw tiError('TI_EINVAL', `--format ${f}: use text, json or github`);
  return f;
}

// A misspelt code would silently ignore nothing: refused like a bad option.
function ignoreOf(values) {
  const codes = (values.ignore || []).flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  const { CODES } = require('../loader/problems');
  const unknown = codes.filter((c) => !CODES.includes(c));
  if (unknown.length) {
    throw tiError('TI_EINVAL', `--ignore ${unknown.join(',')}: not a problem code (codes: ${CODES.join(', ')})`, { usage: true });
  }
  return codes;
}

function modelOptions(values) {
  return { cpu: values.cpu, libc: values.libc, os: values.os, sysroot: values.sysroot, ignore: ignoreOf(values) };
}

// 2 for an unreadable file, 1 for incompatible (or risky under --strict), else 0: the worst wins.
function exitCode(results, strict) {
  let code = 0;
  for (const r of results) {
    if (r.error || r.verdict === 'error') code = Math.max(code, 2);
    else if (r.verdict === 'incompatible' || (strict && r.verdict === 'risky')) code = Math.max(code, 1);
  }
  return code;
}


// fn(item, target) for every target and item; a failure is that item's error
// entry, a bad target a usage error for the whole command.
async function forEachPair(items, targets, opts, fn) {
  const results = [];
  for (const target of targets) {
    require('../loader/targets').resolveTarget(target, opts);
    for (const item of items) {
      let r;
      try {
        r = await fn(item, { ...opts, target });
      } catch (e) {
        r = require('../loader/check').errorResult(item, target, e);
      }
      r.targetSpec = target;
      results.push(r);
    }
  }
  return results;
}

function writeResults(out, format, results, text) {
  const { clean, githubAnnotations } = require('./output');
  if (format === 'json') out.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
  else if (format === 'github') out.write(githubAnnotations(results.flatMap((r) => r.files || [r])));
  else out.write(text(clean(results)));
}

COMMANDS.check = {
  usage: `Usage: tls-inspect check <file...> [--target T] [--together] [--json]
       tls-inspect check --package [dir...] [--target T]

Will these native files load on the target?  The loader's work is replayed:
every library the file pulls in (DT_NEEDED, searched as the loader searches),
static TLS for each initial-exec block, every symbol bound, version needs.  For
each file: the verdict (compatible, risky, incompatible), every problem with
its code and fix, and a "runs on" line.  Codes: LIBC_MISMATCH, GLIBC_TOO_OLD,
GLIBCXX_TOO_OLD, VERSION_NOT_FOUND, STATIC_TLS_EXHAUSTED, STATIC_TLS_LOW
(warning), MUSL_INITIAL_EXEC, MISSING_LIBRARY, UNDEFINED_SYMBOL (warning when
it fails only when used), NODE_ABI_MISMATCH, ARCH_MISMATCH, BAD_INTERPRETER,
NAPI_VERSION, NAPI_EXPERIMENTAL (warning), NAPI_DECLARED, NOT_ELF, NOT_DLOPENABLE,
PRELOAD_REQUIRED, MODULE_NOT_REGISTERED, NOT_CONTEXT_AWARE (warning), EXEC_STACK, NO_BINARY, LOADER_LIMIT, LOADER_BLOCKS.

  --together        load the files one after another into one process: the
                    first the loader refuses, and the static TLS they need together
  --package [dir]   judge the binary each package (default .) would load on the
                    target: node-gyp-build/prebuildify, napi-rs or sharp style
                    platform packages, node-pre-gyp
  --tree            the load closure as a tree (as lddtree/libtree): each library
                    under the object that needed it, where it was found and by
                    which rule (RPATH or RUNPATH of an object and the entry as
                    written, $ORIGIN expanded; LD_LIBRARY_PATH; /etc/ld.so.cache;
                    default directories; musl's path file; already loaded in this
                    process; the target's system), its TLS (size, static or
                    dynamic, models), and what fails there (not found, version
                    missing, ...); a library needed again is shown as "(above)".
                    With --package: the tree of the binary it selects.  --json:
                    each result with a "tree" of nodes { name, path, status, rule,
                    via, entry, tls, problems, children }.
  Several targets print a matrix (files x targets); --json gives one result per pair.
${GATES}

Exit codes: 0 all compatible (warnings allowed), 1 any incompatible, 2 usage or I/O error.
`,
  options: { ...TARGET_OPTS, ...GATE_OPTS, together: { type: 'boolean' }, package: { type: 'boolean' },
    tree: { type: 'boolean' } },
  positionals: true,
  async run(values, out, err, args) {
    const format = formatOf(values);
    const { targetNames } = require('../loader/targets');
    const targets = targetNames(values.target);
    const opts = modelOptions(values);
    const fmt = require('./format');
    const c = require('./output').colours(out);
    if (values.tree && values.together) throw tiError('TI_EINVAL', 'check: --tree and --together do not go together', { usage: true });
    if (values.tree) return checkTrees(values.package ? (args.length ? args : ['.']) : args, targets, opts, { out, format, values });
    if (values.package) return checkPackages(args.length ? args : ['.'], targets, opts, { out, format, values });
    if (!args.length) throw tiError('TI_EINVAL', 'check: name at least one file', { usage: true });
    if (values.together) {
      const { checkTogether } = require('../loader/check');
      const all = [];
      for (const target of targets) all.push(await checkTogether(args, { ...opts, target }));
      writeResults(out, format, all, (list) => list.map((t) => fmt.formatTogether(t, c)).join('\n'));
      return Math.max(...all.map((t) => Math.max(exitCode(t.files, values.strict), t.ok ? 0 : 1)));
    }
    const results = await forEachPair(args, targets, opts, require('../loader/check').check);
    writeResults(out, format, results, (list) => (targets.length > 1 ? fmt.formatMatrix(list, targets, c, (out.isTTY && out.columns) || Infinity)
      : list.map((r) => fmt.formatCheck(r, c)).join('\n')));
    return exitCode(results, values.strict);
  },
};

// check --tree: one tree per file (or per package's selected binary) and target.
async function checkTrees(items, targets, opts, { out, format, values }) {
  if (!items.length) throw tiError('TI_EINVAL', 'check: name at least one file', { usage: true });
  const { tree } = require('../loader/tree');
  const { checkPackage } = require('../loader/check');
  const fmt = require('./format');
  const c = require('./output').colours(out);
  const results = await forEachPair(items, targets, opts, async (item, o) => {
    if (!values.package) return tree(item, o);
    const p = await checkPackage(item, o);
    return p.selected && !p.error ? { ...(await tree(p.selected, o)), package: p.package, version: p.version,
      convention: p.convention, selected: p.selected } : p;
  });
  writeResults(out, format, results, (list) => list.map((r) => (r.tree ? fmt.formatTree(r, c) : fmt.formatPackage(r, c))).join('\n'));
  return exitCode(results, values.strict);
}

async function checkPackages(dirs, targets, opts, { out, format, values }) {
  const fmt = require('./format');
  const c = require('./output').colours(out);
  const results = await forEachPair(dirs, targets, opts, require('../loader/check').checkPackage);
  writeResults(out, format, results, (list) => list.map((r) => fmt.formatPackage(r, c)).join('\n'));
  return exitCode(results, values.strict);
}

COMMANDS.scan = {
  usage: `Usage: tls-inspect scan [dir] [--target T] [--all] [--verbose] [--concurrency N] [--json]

Finds the native files under dir and judges the ones that would load on the
target: the binary each package's convention picks (node-gyp-build/prebuildify
tags, napi-rs/sharp platform packages by their os, cpu and libc fields,
node-pre-gyp's module_path), with everything it loads.  Without dir: the
node_modules that require() would use from here, found as Node's resolution
finds it (./node_modules, else the nearest one above: in a workspace package,
the hoisted tree); the line "scanning ..." names it, and there being none is
error TI_ENOENT.
Every other native file is listed as skipped with the reason (for darwin-arm64,
for musl, not ELF, not selected by node-gyp-build, a library judged through
what loads it).  Symlinked directories are followed once, so loops end; a
directory or file that cannot be read is an error result.  Ends with the
initial-exec TLS the judged addons need together.
--json streams one JSON object per file as results arrive, then a summary line
(per target).

  --all             judge every native file, selected or not
  --verbose         with several targets: every target's full report instead of
                    the table
  Several targets (--target all, or T1,T2): a table, a row per package and a
  column per target (targets with the same column share one); a cell is ok
  (would load), warn (would load, with warnings), FAIL (would not load), none
  (no binary for that target; none!: NO_BINARY), error (unreadable); then each
  package's problem codes and the targets they appear on.
${GATES}

Exit codes: 0 everything that would load is compatible (warnings allowed), 1 any
incompatible, 2 usage error or anything that could not be read.
`,
  options: { ...TARGET_OPTS, ...GATE_OPTS, concurrency: { type: 'string' }, all: { type: 'boolean' },
    verbose: { type: 'boolean' } },
  positionals: true,
  async run(values, out, err, dirs) {
    const format = formatOf(values);
    const { targetNames } = require('../loader/targets');
    const { findModulesRoot } = require('../loader/scan');
    const targets = targetNames(values.target);
    const dir = dirs[0] || await findModulesRoot();
    if (!dirs[0] && dir !== 'node_modules' && format === 'text') {
      err.write(`scanning ${require('./output').escapeControls(dir)} (no node_modules here: the nearest one above, ` +
        'which require() uses from here)\n');
    }
    const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
    const table = targets.length > 1 && format === 'text' && !values.verbose ? new Map() : null;
    const summaries = [];
    let code = 0;
    for (const target of targets) {
      code = Math.max(code, await scanOne(dir, { ...modelOptions(values), target, concurrency, all: values.all },
        { out, err, format, strict: values.strict, table, summaries }));
    }
    if (table) {
      const { clean, colours } = require('./output');
      out.write(require('./format').formatScanTable(clean(dir), table, clean(summaries), colours(out), (out.isTTY && out.columns) || Infinity));
    }
    return code;
  },
};

// Lines written a chunk at a time (16 KB, or 50 ms after the first waiting
// one): a scan makes a line per file, and a write each costs more than the
// line; lines kept longer would outlive the young generation.
function chunked(out) {
  let lines = [];
  let bytes = 0;
  let timer = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (lines.length) out.write(lines.join(''));
    lines = [];
    bytes = 0;
  };
  const write = (line) => {
    if (!line) return;
    lines.push(line);
    bytes += line.length;
    if (bytes >= 16384) flush();
    else if (!timer) timer = setTimeout(flush, 50);
  };
  return { write, flush };
}

// One target's scan.  table (a Map): the results are kept per package for
// the package x target table, and nothing is printed but the summary.
async function scanOne(dir, opts, { out, err, format, strict, table, summaries }) {
  const { scan } = require('../loader/scan');
  const { clean, githubAnnotations, colours, progress } = require('./output');
  const fmt = require('./format');
  const shown = progress(err, { format });
  const rows = [];
  let seen = 0;
  const iter = scan(dir, opts);
  const lines = chunked(out);
  try {
    for await (const r of iter) {
      seen++;
      if (format === 'json') lines.write(`${JSON.stringify({ ...r, analysis: undefined })}\n`);
      else if (format === 'github') lines.write(githubAnnotations([r]));
      else if (table) fmt.tableAdd(table, r, opts.target);
      else if (r.verdict !== 'compatible' && r.verdict !== 'skipped') rows.push(clean(r));
      shown.update(`scanned ${seen} native files${table ? ` for ${opts.target}` : ''}`, seen);
    }
  } finally {
    lines.flush();
    shown.clear();
  }
  const summary = iter.summary;
  if (summaries) summaries.push({ ...summary, targetSpec: opts.target });
  if (format === 'json') out.write(`${JSON.stringify({ summary })}\n`);
  else if (format === 'text' && !table) out.write(fmt.formatScan(clean(dir), clean(summary), rows, colours(out)));
  if (summary.error) return 2;
  const nb = summary.noBinary || {};
  if (summary.incompatible || nb.incompatible || (strict && (summary.risky || nb.risky))) return 1;
  return 0;
}

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
    const { reproduce } = require('../reproduce/reproduce');
    const r = await reproduce({ model: values.model, bytes: values.bytes === undefined ? undefined
      : parseBytes(values.bytes), libc: values.libc || 'host', tunables: values.tunables,
    preload: values.preload });
    out.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : require('./format').formatReproduce(r));
    return r.loaded === r.predicted.loaded ? 0 : 1;
  },
};

COMMANDS.explain = {
  usage: `Usage: tls-inspect explain ["<loader message>"] [--path FILE] [--json]

Diagnoses the message of a failed native load (glibc, musl, Node, or a package's
own loader: napi-rs, rollup, esbuild, sharp, bindings): its kind, the check()
problem code, module, symbol and a fix.  Wrappers are looked through (Python's
ImportError/OSError, "Original error:", JSON, log prefixes, lines a terminal
broke); of several reports the loader's own first one is the cause.  When the
module is on disk it is checked too.  Without a message, reads it from stdin.
--path names the file that was being loaded when the message does not.

Exit codes: 0 recognised, 1 not recognised (kind "unknown"), 2 usage error.
`,
  options: { json: { type: 'boolean' }, path: { type: 'string' } },
  positionals: true,
  async run(values, out, err, words) {
    let message = words.join(' ');
    if (!message && !process.stdin.isTTY) message = await require('../loader/explain').readMessage(process.stdin);
    if (!message.trim()) throw tiError('TI_EINVAL', 'explain: give a message or pipe one in');
    const { explain, formatDiagnosis } = require('../loader/explain');
    const d = explain(message, { path: values.path });
    const { clean, escapeControls } = require('./output');
    if (values.json) out.write(`${JSON.stringify(d, null, 2)}\n`);
    else if (d.kind === 'unknown') out.write(`tls-inspect: not a loader message tls-inspect knows: ${clean(d.message)}\n`);
    else out.write(`${clean(d.message)}\n\n${escapeControls(formatDiagnosis(clean(d)))}\n`);
    return d.kind === 'unknown' ? 1 : 0;
  },
};

COMMANDS.why = {
  usage: `Usage: tls-inspect why <module|file> [--json]

Requires the module (a package name, resolved from the current directory, or a
path to a .js or .node file) in a child Node with this process's flags and
environment.  When it fails: the real failure behind any package loader's
wrapper (tls-inspect explain of the error and its causes) and a fix; for the
package it belongs to, the binary this system needs, whether it is installed,
and what in its closure would fail (check --package).  When it loads: what it
took of static TLS.

Exit codes: 0 it loads, 1 it fails, 2 usage error.
`,
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run(values, out, err, words) {
    if (words.length !== 1) throw tiError('TI_EINVAL', 'why: give one module name or file', { usage: true });
    const { why, formatWhy } = require('../loader/why');
    const w = await why(words[0]);
    const { clean, escapeControls } = require('./output');
    out.write(values.json ? `${JSON.stringify(w, null, 2)}\n` : escapeControls(formatWhy(clean(w))));
    return w.loaded ? 0 : 1;
  },
};

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

COMMANDS.help = {
  usage: 'Usage: tls-inspect help [command]\n\nPrints the overview, or the usage of one command.\n',
  options: {},
  positionals: true,
  async run(values, out, err, words) {
    if (!words.length) {
      out.write(USAGE);
      return 0;
    }
    const cmd = COMMANDS[words[0]];
    if (!cmd) return usageError(err, `unknown command "${words[0]}"`);
    out.write(cmd.usage);
    return 0;
  },
};

function usageError(err, message, cmd) {
  err.write(`tls-inspect: ${message}\n\n${cmd ? cmd.usage : USAGE}`);
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
    return usageError(err, e.message, first ? cmd : null);
  }
  if (parsed.values.version) {
    out.write(`${pkg.version}\nnode-abi ${require('../loader/targets').NODE_ABI_VERSION} (the Node and Electron ABI registry in use)\n`);
    return 0;
  }
  if (parsed.values.help) {
    out.write(first ? cmd.usage : USAGE);
    return 0;
  }
  try {
    return await cmd.run(parsed.values, out, err, parsed.positionals);
  } catch (e) {
    if (e.usage) return usageError(err, e.message, cmd);
    err.write(require('./output').errorLine(e.code, e.message));
    return 2;
  }
}

module.exports = { main, COMMANDS };
