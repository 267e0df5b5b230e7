'use strict';
// Child process: writes one hostile sparse file (tables in terabytes of holes),
// analyzes it and prints JSON { code, detail, ms, peakMb } with the peak
// resident memory of this whole process (VmHWM).  Run under `ulimit -v` so a
// regression fails with an error instead of taking the machine's memory.
const fs = require('fs');
const os = require('os');
const path = require('path');
const ti = require(path.resolve(__dirname, '..', '..'));
const { sharedObject, writeSparse, DT } = require('../support/elf-build');

const MB = 1 << 20;
const HEAD = 4096; // the written part; everything after it is a hole

// Each case: the bytes of the first 4 KiB and the apparent size of the file.
const CASES = {
  // 16 PT_INTERP headers over one 256 MiB region of zeros
  'interp-16x256M': () => ({ so: sharedObject({ interps: Array.from({ length: 16 }, () => ({ off: HEAD, size: 256 * MB })),
    loadSize: HEAD }), size: HEAD + 256 * MB }),
  // a 500 MiB PT_DYNAMIC of zeros
  'dynamic-500M': () => ({ so: sharedObject({ dynamicAt: { off: HEAD, size: 500 * MB }, loadSize: HEAD + 500 * MB }),
    size: HEAD + 500 * MB }),
  // DT_RELA, DT_REL and DT_JMPREL, 500 MiB each
  'relocs-3x500M': () => ({ so: sharedObject({ dyn: [[DT.RELA, HEAD], [DT.RELASZ, 500 * MB], [DT.RELAENT, 24],
    [17, HEAD], [18, 500 * MB], [19, 16], [DT.JMPREL, HEAD + 500 * MB], [DT.PLTRELSZ, 500 * MB], [DT.PLTREL, DT.RELA]],
  loadSize: HEAD + 1000 * MB }), size: HEAD + 1000 * MB }),
  // no section headers: the symbol count comes from a GNU hash chain that runs into a 1 TiB hole
  'gnu-hash-1T': () => ({ so: sharedObject({ syms: [{ name: 'f', shndx: 5 }], gnuHash: true, loadSize: 2 ** 40 }),
    size: 2 ** 40 }),
  // extended counts (section 0 at the end of the written part) of 2^24 headers of 65535 bytes: a 1 TiB hole
  'phdrs-1T': () => ({ so: extendedHeaders({ phnum: 0xffff, phentsize: 0xffff, shnum: 1 }), size: 2 ** 40 }),
  'shdrs-1T': () => ({ so: extendedHeaders({ shnum: 0, shentsize: 0xffff }), size: 2 ** 40 }),
};

// A small shared object whose e_phnum, e_phentsize, e_shnum and e_shentsize
// are overridden, with section 0 (where extended counts live) saying 2^24.
function extendedHeaders(fields) {
  const so = sharedObject({ syms: [{ name: 'f', shndx: 5 }] });
  const bytes = Buffer.alloc(HEAD);
  so.bytes.copy(bytes);
  const shoff = HEAD - 64;
  bytes.writeBigUInt64LE(BigInt(shoff), 0x28);
  bytes.writeUInt16LE(64, 0x3a);
  const at = { phentsize: 0x36, phnum: 0x38, shentsize: 0x3a, shnum: 0x3c };
  for (const [k, v] of Object.entries(fields)) bytes.writeUInt16LE(v, at[k]);
  bytes.writeBigUInt64LE(BigInt(2 ** 24), shoff + 0x20); // sh_size: the section count
  bytes.writeUInt32LE(2 ** 24, shoff + 0x2c);             // sh_info: the program header count
  return { bytes };
}

function main() {
  const name = process.argv[2];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ti-mem-'));
  const file = path.join(dir, `${name}.so`);
  const result = { name };
  try {
    const { so, size } = CASES[name]();
    const head = Buffer.alloc(Math.max(HEAD, so.bytes.length));
    so.bytes.copy(head);
    writeSparse(file, head, size);
    const t0 = Date.now();
    try {
      ti.analyzeSync(file);
      result.code = 'ok';
    } catch (e) {
      Object.assign(result, { code: e.code || `UNCODED ${e.message}`, detail: e.detail || null });
    }
    result.ms = Date.now() - t0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  result.peakMb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  process.stdout.write(JSON.stringify(result));
}

if (require.main === module) main();
module.exports = { CASES };
