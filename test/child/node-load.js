'use strict';
// Child process, run by any Node (also an arm64 Node under qemu-user): loads
// tls-inspect from the package directory given, reports what it sees, then
// dlopens the file given (if any) the way require() would.  Prints JSON.
const [pkg, file] = process.argv.slice(2);
const ti = require(pkg);
const { executableMappings } = require('../support/helpers');

(async () => {
  const out = { arch: process.arch, libc: ti.libc(), staticTls: ti.staticTls(), modules: ti.modules(),
    maps: [...executableMappings()], loaded: null, error: null };
  if (file) {
    out.check = await ti.check(file);
    try {
      process.dlopen({ exports: {} }, file);
      out.loaded = true;
    } catch (e) {
      out.loaded = false;
      out.error = e.message;
    }
    out.after = { staticTls: ti.staticTls(), module: ti.modules().find((m) => m.path === file) || null };
  }
  process.stdout.write(JSON.stringify(out));
})();
