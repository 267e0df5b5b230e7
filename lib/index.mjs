// The ESM entry: every name of the CommonJS facade as a named export (Node's
// static scan of index.js cannot list them all), and the facade as default.
// One instance: this module re-exports what require('tls-inspect') returns.
import ti from './index.js';

export const {
  libc, modules, staticTls, report, analyze, analyzeSync, reproduce, check, checkSync, checkTogether, checkPackage, tree, scan,
  explain, why, fixtures,
  TlsInspectError,
} = ti;
export default ti;
