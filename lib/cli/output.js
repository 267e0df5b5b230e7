'use strict';
// What reaches a terminal: strings from ELF files (symbol names, sonames,
// paths) are the input of whoever built the file, so control characters are
// shown escaped, never sent (a crafted name must not clear the screen or
// print a fake verdict).  Colour is ours, added after escaping, only on a
// terminal and never when NO_COLOR is set to something (no-color.org).

// C0 controls but newline, DEL, C1 controls, and the Unicode line/paragraph
// separators and bidi overrides that can reorder what a terminal shows.
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeControls(text) {
  return String(text).replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

// A deep copy with every string escaped (newlines too: a value is one line).
function clean(value) {
  if (typeof value === 'string') return escapeControls(value).replace(/\n/g, '\\n');
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = clean(v);
    return out;
  }
  return value;
}

function colourOn(stream, env = process.env) {
  return Boolean(stream && stream.isTTY) && !(typeof env.NO_COLOR === 'string' && env.NO_COLOR !== '');
}

function colours(stream, env) {
  const on = colourOn(stream, env);
  const wrap = (code) => (text) => (on ? `\x1b[${code}m${text}\x1b[0m` : String(text));
  return { red: wrap('31'), yellow: wrap('33'), green: wrap('32'), bold: wrap('1'), dim: wrap('2') };
}

// GitHub Actions workflow commands (::error file=...,title=...::message), with
// the escaping their parser expects, after the control characters are escaped
// (the log is shown in a terminal too).
const ghData = (s) => escapeControls(s).replace(/%/g, '%25').replace(/\n/g, '%0A');
const ghProp = (s) => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function githubAnnotations(results) {
  const lines = [];
  for (const r of results) {
    if (r.error) {
      lines.push(`::error file=${ghProp(r.path)},title=${ghProp(r.error.code)}::${ghData(r.error.message)}`);
      continue;
    }
    for (const p of r.problems || []) {
      const kind = p.severity === 'error' ? 'error' : 'warning';
      lines.push(`::${kind} file=${ghProp(r.path)},title=${ghProp(`${p.code} on ${r.target}`)}::` +
        `${ghData(`${p.message}\nfix: ${p.fix}`)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

// A reader that went away (`tls-inspect scan | head -1`) is no error of ours:
// the process ends as a Unix tool does, killed by SIGPIPE (the shell sees
// 141), with no stack trace and no more work.  Node ignores SIGPIPE; once a
// listener is added and removed, libuv puts back the default action.  A
// socket (what Node's child_process gives for 'pipe') says ECONNRESET when
// unread data was left behind: the same.  Other stream errors are left to Node.
function endOnClosedPipe(stream, proc = process) {
  stream.on('error', (e) => {
    if (!e || (e.code !== 'EPIPE' && e.code !== 'ECONNRESET')) throw e;
    const noop = () => {};
    proc.on('SIGPIPE', noop);
    proc.removeListener('SIGPIPE', noop);
    proc.kill(proc.pid, 'SIGPIPE');
    proc.exit(141); // where the signal could not end us (its action is not the default)
  });
}

// The "scanned N native files" line on stderr while a scan runs: only on a
// terminal that can take it back (not TERM=dumb), only for text output, and
// only from the second file on (one file needs no progress); drawn at most
// every 100 ms, and erased once (carriage return, erase line) only when it
// was drawn, so nothing is left behind when there was nothing to show.
function progress(stream, { format = 'text', env = process.env, every = 100 } = {}) {
  const on = Boolean(stream && stream.isTTY) && format === 'text' && env.TERM !== 'dumb';
  let drawn = false;
  let last = 0;
  return {
    on,
    update(text, count) {
      if (!on || count < 2 || Date.now() - last < every) return;
      last = Date.now();
      drawn = true;
      stream.write(`\r${text}\x1b[K`); // the rest of a longer line before is erased
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

// The line a command ends with when it fails: its code, and the message escaped.
const errorLine = (code, message) => `tls-inspect: ${code ? `${code}: ` : ''}${escapeControls(message)}\n`;

module.exports = { progress, endOnClosedPipe, escapeControls, errorLine, clean, colours, colourOn, githubAnnotations };
