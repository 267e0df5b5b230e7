'use strict';
// napi-rs (a `napi` field; binaryName or name, else 'index'): for each
// suffix of the target (linux-<cpu>-gnu|musl on x64, arm64, riscv64;
// linux-arm-gnueabihf|musleabihf; linux-ppc64-gnu and linux-s390x-gnu on
// either libc; darwin-universal then darwin-<cpu>; win32-<cpu>-msvc;
// freebsd-<cpu>; android-arm64, android-arm-eabi), ./<binaryName>.<suffix>.node
// beside the package, else the package <name>-<suffix> (napi.package.name
// when set), which npm installed or not by its os/cpu/libc.
const path = require('path');
const { escapeRegExp } = require('./node-pre-gyp');
const { targetLabel } = require('./npm-target');
const { isFile, resolvePackage } = require('./reads');

const NAPI_LINUX = {
  x64: ['gnu', 'musl'], arm64: ['gnu', 'musl'], riscv64: ['gnu', 'musl'],
  arm: ['gnueabihf', 'musleabihf'], ppc64: ['gnu', 'gnu'], s390x: ['gnu', 'gnu'],
};

// The suffixes napi-rs's generated loader tries on the target, in order.
function napiSuffixes(t) {
  if (t.os === 'linux') return NAPI_LINUX[t.cpu] ? [`linux-${t.cpu}-${NAPI_LINUX[t.cpu][t.libc === 'musl' ? 1 : 0]}`] : [];
  if (t.os === 'darwin') return ['darwin-universal', ...(['x64', 'arm64'].includes(t.cpu) ? [`darwin-${t.cpu}`] : [])];
  if (t.os === 'win32') return ['x64', 'ia32', 'arm64'].includes(t.cpu) ? [`win32-${t.cpu}-msvc`] : [];
  if (t.os === 'freebsd') return ['x64', 'arm64'].includes(t.cpu) ? [`freebsd-${t.cpu}`] : [];
  if (t.os === 'android') return { arm64: ['android-arm64'], arm: ['android-arm-eabi'] }[t.cpu] || [];
  return [];
}

function napiNames(json) {
  const napi = json.napi;
  const binaryName = [napi.binaryName, napi.name].find((v) => typeof v === 'string' && v) || 'index';
  const pkgName = (typeof napi.packageName === 'string' && napi.packageName) // napi-rs 3
    || (napi.package && typeof napi.package.name === 'string' && napi.package.name) || json.name;
  return { binaryName, pkgName };
}

function napiSuffixReason(suffix, t) {
  const [os, cpu, abi = ''] = suffix.split('-');
  if (!cpu) return null;
  if (os !== t.os || cpu !== t.cpu) return `for ${os}-${cpu}`;
  const libc = abi.startsWith('musl') ? 'musl' : abi.startsWith('gnu') ? 'glibc' : null;
  return libc && libc !== t.libc ? `for ${libc}` : null;
}

async function selectNapiRs(pkg, t) {
  const { binaryName, pkgName } = napiNames(pkg.json);
  const localName = new RegExp(`^${escapeRegExp(binaryName)}\\.([^/]+)\\.node$`);
  const reasonFor = (rel) => {
    const m = localName.exec(rel);
    return m ? napiSuffixReason(m[1], t) : null;
  };
  const suffixes = napiSuffixes(t);
  for (const suffix of suffixes) {
    const file = path.join(pkg.dir, `${binaryName}.${suffix}.node`);
    const local = `./${binaryName}.${suffix}.node`;
    if (await isFile(file)) return { selected: [file], reasonFor, delegates: [], why: `napi-rs: ${local} beside the package` };
    const dir = pkgName && (await resolvePackage(pkg.dir, `${pkgName}-${suffix}`));
    if (dir) return { selected: [], reasonFor, delegates: [dir], why: `napi-rs: no ${local}, so the package ${pkgName}-${suffix}` };
  }
  const tried = suffixes.length ? suffixes.join(', ') : 'nothing (napi-rs has no build name for it)';
  return { selected: [], reasonFor, delegates: [], why: `napi-rs: on ${targetLabel(t)} it tries ${tried}; none is present`,
    missing: `napi-rs finds neither ./${binaryName}.<suffix>.node nor ${pkgName}-<suffix> for ${tried}`,
    wants: suffixes.length ? `${pkgName}-${suffixes[0]}` : null };
}

module.exports = { selectNapiRs };
