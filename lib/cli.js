'use strict';
// The tls-inspect command line: `tls-inspect [command] [options]`.
const { parseArgs } = require('util');
const pkg = require('../package.json');

const USAGE = `Usage: tls-inspect [command] [options]

Why won't this .node file load here, and will it load there?

Commands:
  report            loaded modules, their thread-local storage and the static TLS
                    budget of this process (the default command)

Options:
  --json            machine-readable output
  -h, --help        show help (also: tls-inspect <command> --help)
  -v, --version     print the version

Exit codes: 0 success, 2 usage or I/O error.
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
