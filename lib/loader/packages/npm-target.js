'use strict';
// Targets in npm's vocabulary, as package selection takes them: { os, cpu,
// libc, runtime, abi, napi, armv } (normalizeTarget).  Two ways in:
// npmTarget() from a tls-inspect target (lib/loader/targets.js turns the
// names users speak into those), npmHostTarget() from this process as
// node-gyp-build sees it.  This is the one home of that shape.
const { tiError } = require('../../errors');
const { runningLibc } = require('../../process/running-libc');

function positiveInt(v, what) {
  if (!Number.isInteger(v) || v < 1) throw tiError('TI_EINVAL', `target.${what} must be a positive integer`);
  return v;
}

function nonEmpty(v, what) {
  if (typeof v !== 'string' || !v) throw tiError('TI_EINVAL', `target.${what} must be a non-empty string`);
  return v;
}

// Fills what a target leaves out: runtime node, this Node's ABI, Node-API
// and uv major, armv 8 on arm64 and 7 on arm (Node's official arm builds).
function normalizeTarget(target) {
  if (!target || typeof target !== 'object') throw tiError('TI_EINVAL', 'target must be an object { os, cpu, libc, ... }');
  const os = nonEmpty(target.os === undefined ? 'linux' : target.os, 'os');
  const cpu = nonEmpty(target.cpu, 'cpu');
  const { libc } = target;
  if (os === 'linux' ? libc !== 'glibc' && libc !== 'musl' : libc !== undefined) {
    throw tiError('TI_EINVAL', 'target.libc must be glibc or musl on linux, and absent elsewhere');
  }
  const runtime = target.runtime === undefined ? 'node' : target.runtime;
  if (runtime !== 'node' && runtime !== 'electron') throw tiError('TI_EINVAL', 'target.runtime must be node or electron');
  const hostAbi = Number(process.versions.modules);
  const abi = positiveInt(target.abi === undefined ? hostAbi : target.abi, 'abi');
  const napi = positiveInt(target.napi === undefined ? Number(process.versions.napi) : target.napi, 'napi');
  const armv = target.armv !== undefined ? String(target.armv) : { arm64: '8', arm: '7' }[cpu] || '';
  const uv = target.uv !== undefined ? String(target.uv) : '1';
  const node = target.node !== undefined ? nonEmpty(target.node, 'node')
    : runtime === 'node' && abi === hostAbi ? process.versions.node : undefined;
  const electron = target.electron !== undefined ? nonEmpty(target.electron, 'electron') : undefined;
  return Object.freeze({ os, cpu, libc, runtime, abi, napi, armv, uv, node, electron });
}

// This process, as node-gyp-build sees it (LIBC= is honoured, like there).
function npmHostTarget() {
  const vars = (process.config && process.config.variables) || {};
  const cpu = process.arch;
  return normalizeTarget({
    os: process.platform,
    cpu,
    libc: process.platform === 'linux' ? runningLibc() : undefined,
    runtime: process.versions.electron ? 'electron' : 'node',
    abi: Number(process.versions.modules),
    napi: Number(process.versions.napi),
    uv: (process.versions.uv || '1').split('.')[0],
    armv: cpu === 'arm64' ? '8' : vars.arm_version === undefined ? undefined : String(vars.arm_version),
    node: process.versions.node,
    electron: process.versions.electron,
  });
}

const targetLabel = (t) => `${t.os}-${t.cpu}${t.libc ? ` ${t.libc}` : ''} (${t.runtime} abi${t.abi}, Node-API ${t.napi})`;

// A tls-inspect target (lib/loader/targets.js) in npm's words.  On the host,
// LIBC picks the libc as it does for node-gyp-build.
function npmTarget(t, env = process.env) {
  const libc = t.kind === 'host' && (env.LIBC === 'glibc' || env.LIBC === 'musl') ? env.LIBC : t.libc;
  return { os: 'linux', cpu: t.cpu, libc: libc === 'musl' ? 'musl' : 'glibc', runtime: t.runtime || 'node',
    ...(t.abi ? { abi: t.abi } : {}), ...(t.napi ? { napi: t.napi } : {}) };
}

module.exports = { npmHostTarget, npmTarget, normalizeTarget, targetLabel };
