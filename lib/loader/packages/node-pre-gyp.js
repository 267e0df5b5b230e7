'use strict';
// node-pre-gyp (binary.module_path and binary.module_name): module_path
// with {module_name} {version} {major} {minor} {patch} {prerelease} {build}
// {name} {runtime} {node_abi} (node-v<abi>, electron-v<major.minor>)
// {node_abi_napi} {napi_version} {napi_build_version} (the highest of
// binary.napi_versions not above the target's Node-API) {node_napi_label}
// {platform} {target_platform} {arch} {target_arch} {libc}
// {configuration} (Release) {toolset} {target} (both empty) {module_main}
// {bucket} {region} replaced, joined to the package directory, then
// <module_name>.node.  With napi_versions, none at or below the target and
// a package_name without {node_napi_label}, node-pre-gyp refuses: nothing.
const path = require('path');
const { asList } = require('./install-check');
const { targetLabel } = require('./npm-target');
const { isFile } = require('./reads');

const SEMVER = /^[=v\s]*(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

function napiBuildVersion(binary, t) {
  const listed = [...new Set(asList(binary.napi_versions))];
  const usable = listed.filter((v) => Number.isInteger(v) && v > 0 && v <= t.napi);
  return { listed, best: usable.length ? Math.max(...usable) : undefined };
}

// node-pre-gyp's substitution values for the target.
function preGypValues(json, t) {
  const binary = json.binary;
  const m = SEMVER.exec(String(json.version || ''));
  const napi = napiBuildVersion(binary, t);
  const nodeAbi = t.runtime === 'electron'
    ? (t.electron ? `electron-v${t.electron.split('.').slice(0, 2).join('.')}` : undefined)
    : `node-v${t.abi}`;
  const values = {
    name: json.name, configuration: 'Release', module_name: binary.module_name,
    version: m ? `${m[1]}.${m[2]}.${m[3]}${m[4] ? `-${m[4]}` : ''}` : undefined,
    prerelease: m ? m[4] || '' : undefined, build: m ? m[5] || '' : undefined,
    major: m && m[1], minor: m && m[2], patch: m && m[3], runtime: t.runtime,
    node_abi: nodeAbi, node_abi_napi: t.napi ? 'napi' : nodeAbi, napi_version: t.napi,
    napi_build_version: napi.best || '', node_napi_label: napi.best ? `napi-v${napi.best}` : nodeAbi,
    target: '', platform: t.os, target_platform: t.os, arch: t.cpu, target_arch: t.cpu,
    libc: t.libc || 'unknown', module_main: json.main, toolset: '', bucket: binary.bucket, region: binary.region,
  };
  return { values, napi };
}

function evalTemplate(template, values) {
  const unknown = [];
  const text = template.replace(/\{(\w+)\}/g, (whole, key) => {
    if (!Object.prototype.hasOwnProperty.call(values, key)) return whole;
    if (values[key] === undefined || values[key] === null) unknown.push(key);
    return String(values[key]);
  });
  return { text, unknown };
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The placeholders whose value depends on the target, each matched by a
// bounded character class (none crosses a "/").  Every other placeholder
// node-pre-gyp knows has one value per package (name, version, module_name...)
// and is matched as that text; one it does not know stays literal, as
// node-pre-gyp leaves it.
const PLACEHOLDER = {
  platform: '([a-z0-9]+)', target_platform: '([a-z0-9]+)', arch: '([a-z0-9]+)', target_arch: '([a-z0-9]+)',
  libc: '([a-z]+)', node_abi: '((?:node|electron|node-webkit)-v[0-9.]+|v8-[0-9.]+)',
  node_napi_label: '(napi-v[0-9]+|(?:node|electron|node-webkit)-v[0-9.]+)', napi_build_version: '([0-9]*)',
  node_abi_napi: '(napi|(?:node|electron|node-webkit)-v[0-9.]+)', napi_version: '([0-9]*)',
  runtime: '(node|electron|node-webkit)', configuration: '(Release|Debug)',
};
// Templates come from package.json: the work of matching one is bounded by
// the number of target placeholders per path segment (with literal text
// between them) and the length of a segment, never by what the template says.
const TEMPLATE_LIMITS = { placeholders: 8, perSegment: 5, segment: 64 };

// One path segment of a template as an anchored expression and its keys, or a
// reason it cannot be matched.
function segmentMatcher(segment, values) {
  const keys = [];
  let source = '';
  let lastWasVariable = false;
  for (const part of segment.split(/(\{\w+\})/)) {
    const m = /^\{(\w+)\}$/.exec(part);
    if (m && PLACEHOLDER[m[1]]) {
      if (lastWasVariable) return { refused: `two placeholders with nothing between them in ${segment}` };
      keys.push(m[1]);
      source += PLACEHOLDER[m[1]];
      lastWasVariable = true;
      continue;
    }
    const known = m && Object.prototype.hasOwnProperty.call(values, m[1]) && values[m[1]] !== undefined && values[m[1]] !== null;
    const text = known ? String(values[m[1]]) : part;
    if (text) lastWasVariable = false;
    source += escapeRegExp(text);
  }
  if (keys.length > TEMPLATE_LIMITS.perSegment) return { refused: `more than ${TEMPLATE_LIMITS.perSegment} placeholders in ${segment}` };
  return { re: new RegExp(`^${source}$`), keys };
}

// A matcher for every path the template can produce, giving the values it holds
// (null for a path it cannot produce, and for every path when the template is
// beyond the limits).
function templateMatcher(json, values) {
  const template = path.posix.join(json.binary.module_path, `${json.binary.module_name}.node`).replace(/^\.\//, '');
  const segments = template.split('/').map((seg) => segmentMatcher(seg, { ...values, module_name: json.binary.module_name }));
  const count = segments.reduce((n, seg) => n + (seg.keys ? seg.keys.length : 0), 0);
  if (segments.some((seg) => seg.refused) || count > TEMPLATE_LIMITS.placeholders) return () => null;
  return (rel) => {
    const parts = rel.split('/');
    if (parts.length !== segments.length) return null;
    const got = {};
    for (let i = 0; i < parts.length; i++) {
      if (parts[i].length > TEMPLATE_LIMITS.segment) return null;
      const m = segments[i].re.exec(parts[i]);
      if (!m) return null;
      segments[i].keys.forEach((k, j) => { got[k] = m[j + 1]; });
    }
    return got;
  };
}

function preGypReason(match, rel, t, values) {
  const got = match(rel);
  if (!got) return null;
  const os = got.platform || got.target_platform || t.os;
  const cpu = got.arch || got.target_arch || t.cpu;
  if (os !== t.os || cpu !== t.cpu) return `for ${os}-${cpu}`;
  if ((got.libc === 'glibc' || got.libc === 'musl') && got.libc !== t.libc) return `for ${got.libc}`;
  const abi = got.node_abi || (got.node_napi_label && !got.node_napi_label.startsWith('napi-') ? got.node_napi_label : null);
  return abi && abi !== values.node_abi ? `for ${abi}` : null;
}

async function selectNodePreGyp(pkg, t) {
  const { json } = pkg;
  const { values, napi } = preGypValues(json, t);
  const match = templateMatcher(json, values);
  const reasonFor = (rel) => preGypReason(match, rel, t, values);
  const napiOnly = typeof json.binary.package_name === 'string' && !json.binary.package_name.includes('{node_napi_label}');
  if (napi.listed.length && !napi.best && napiOnly) {
    return { selected: [], reasonFor,
      why: `node-pre-gyp: binary.napi_versions ${napi.listed.join(', ')}, none at or below Node-API ${t.napi}`,
      missing: `node-pre-gyp refuses Node-API ${t.napi}: this package needs one of ${napi.listed.join(', ')}` };
  }
  const modulePath = evalTemplate(json.binary.module_path, values);
  if (modulePath.unknown.length) {
    const keys = `{${modulePath.unknown.join('}, {')}}`;
    return { selected: [], reasonFor, why: `node-pre-gyp: cannot evaluate ${keys} in ${json.binary.module_path} for ${targetLabel(t)}`,
      missing: `node-pre-gyp's module_path needs ${keys} (set target.electron or fix package.json)` };
  }
  const file = path.join(pkg.dir, modulePath.text, `${json.binary.module_name}.node`);
  const rel = path.relative(pkg.dir, file);
  const why = `node-pre-gyp: module_path ${json.binary.module_path} is ${modulePath.text} on ${targetLabel(t)}`;
  if (await isFile(file)) return { selected: [file], reasonFor, why: `${why}: ${rel}` };
  return { selected: [], reasonFor, why: `${why}; ${rel} is not there`,
    missing: `node-pre-gyp's ${rel} is not there (not installed or built for this target)` };
}

module.exports = { escapeRegExp, selectNodePreGyp };
