'use strict';
// The tls-inspect command line: `tls-inspect [command] [options]`.
const { parseArgs } = require('util');
const pkg = require('../package.json');

const USAGE = `Usage: tls-inspect [command] [options]

Why won't this .node file load here, and will it load there?

Commands:
  report            loaded modules, their thread-local storage and the static TLS
                    budget of this process (the default command)
  analyze <file...> what a native file demands of a loader (TLS, libc, versions)
  reproduce         load a fixture of a TLS model and size in a child process and
                    show the real loader's answer next to the prediction

Options:
  --json            machine-readable output
  -h, --help        show help (also: tls-inspect <command> --help)
  -v, --version     print the version

Exit codes: 0 success, 1 a reproduce outcome that differs from its prediction,
2 usage or I/O error.
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
      const api = require('./index');
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
    const { analyze } = require('./analyze');
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
    const { reproduce } = require('./reproduce');
    const r = await reproduce({ model: values.model, bytes: values.bytes === undefined ? undefined
      : parseBytes(values.bytes), libc: values.libc || 'host', tunables: values.tunables,
    preload: values.preload });
    out.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : require('./format').formatReproduce(r));
    return r.loaded === r.predicted.loaded ? 0 : 1;
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
