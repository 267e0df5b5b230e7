'use strict';
// reproduce(): load a fixture of a given TLS model and size in a child process
// (Node for the host libc, the ti-probe for the other one) and report what the
// real loader did next to what tls-inspect predicted.
const { execFile } = require('child_process');
const path = require('path');
const fixtures = require('./fixtures');
const { MODELS } = require('./fixture-models');
const { predictLoad, fixesFor } = require('./predict');
const { tiError } = require('./errors');

const TEMPLATE_BYTES = 8;

function validate(opts) {
  const o = { libc: 'host', ...opts };
  if (!Object.prototype.hasOwnProperty.call(MODELS, o.model)) {
    throw tiError('TI_EINVAL', `model must be one of ${Object.keys(MODELS).join(', ')}`);
  }
  if (o.model !== 'local-exec' && (!Number.isSafeInteger(o.bytes) || o.bytes < TEMPLATE_BYTES)) {
    throw tiError('TI_EINVAL', `bytes must be an integer >= ${TEMPLATE_BYTES}`);
  }
  if (o.tunables !== undefined && (typeof o.tunables !== 'string' || /[\0\n]/.test(o.tunables))) {
    throw tiError('TI_EINVAL', 'tunables must be a GLIBC_TUNABLES string');
  }
  const host = require('./index').libc().family;
  if (o.libc === 'host') o.libc = host;
  if (!['glibc', 'musl'].includes(o.libc)) throw tiError('TI_EINVAL', 'libc must be glibc, musl or host');
  o.host = host;
  return o;
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: 60000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && !stdout) {
        reject(tiError('TI_EIO', `reproduce child failed: ${stderr || err.message}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch (_) {
        reject(tiError('TI_EIO', `reproduce child printed no result: ${stderr}`));
      }
    });
  });
}

// Runs the load in a child of the right libc; returns { staticTlsBefore, loaded, error }.
async function loadInChild(o, file) {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env.LD_PRELOAD;
  if (o.tunables) env.GLIBC_TUNABLES = o.tunables;
  if (o.preload) env.LD_PRELOAD = file;
  if (o.libc === o.host) {
    return run(process.execPath, [path.join(__dirname, 'child', 'load.js'), file], env);
  }
  let probe;
  try {
    probe = fixtures.template('probe', o.libc);
  } catch (e) {
    throw tiError('TI_ENOTSUP', `no ${o.libc} loader to reproduce with: ${e.message}`);
  }
  const r = await run(probe, ['--dlopen', file], env);
  return { staticTlsBefore: r.staticTlsBefore, loaded: r.loads[0].loaded, error: r.loads[0].error };
}

function localExec(o) {
  const m = fixtures.manifest(o.libc);
  const refusal = m && m.refused['local-exec-shared'];
  return {
    libc: o.libc, model: o.model, bytes: o.bytes === undefined ? null : o.bytes, loaded: false,
    error: refusal || 'the linker refuses local-exec TLS in a shared object',
    staticTlsBefore: null, stage: 'link',
    predicted: { loaded: false, reason: 'local-exec is for executables only: a shared object cannot ' +
      'know its TLS offset at link time' },
    fixes: ['build the library with -fPIC and global-dynamic, local-dynamic or initial-exec TLS'],
  };
}

async function reproduce(opts = {}) {
  const o = validate(opts);
  if (o.model === 'local-exec') return localExec(o);
  const file = fixtures.fixturePath(o.model, o.bytes, o.libc);
  const child = await loadInChild(o, file);
  const align = fixtures.templateAlign(o.model, o.libc);
  const predicted = predictLoad({ libc: o.libc, initialExec: o.model === 'initial-exec', size: o.bytes, align,
    staticTls: child.staticTlsBefore, preload: Boolean(o.preload) });
  return {
    libc: o.libc, model: o.model, bytes: o.bytes, fixture: file,
    tunables: o.tunables || null, preload: Boolean(o.preload), stage: 'load',
    loaded: child.loaded, error: child.error, staticTlsBefore: child.staticTlsBefore, predicted,
    fixes: child.loaded ? [] : fixesFor({ libc: o.libc, size: o.bytes, align, staticTls: child.staticTlsBefore, file }),
  };
}

module.exports = { reproduce };
