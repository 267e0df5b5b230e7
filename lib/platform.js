'use strict';
// Architecture names in the three vocabularies the project meets: npm and
// process.arch ('x64'), ELF machine names as analyze() reports them
// ('x86_64'), and ELF e_machine numbers.  Shared by every room.

// Every per-CPU fact in one table, by npm `cpu` / process.arch name:
// - machine, bits, number: analyze()'s machine name, ELF class, e_machine;
// - glibcLoader: the loader's name (PT_INTERP's file name, its DT_SONAME);
// - musl: the arch in musl's file names (ld-musl-<musl>.so.1, etc/ld-musl-<musl>.path);
// - multiarch: Debian's multiarch triple (/lib/<multiarch>, glibc's $LIB there);
// - ldCache: the flags ld.so.cache entries of this ABI carry (glibc's FLAG_* of ldconfig);
// - tls: glibc's static TLS rules, the TLS variant (2: blocks below the thread
//   pointer, 1: above) and the static area's alignment (struct pthread's);
// - endian: the byte order of its Linux ABI as Node ships it.
const CPUS = {
  x64: { machine: 'x86_64', bits: 64, number: 62, glibcLoader: 'ld-linux-x86-64.so.2', musl: 'x86_64',
    multiarch: 'x86_64-linux-gnu', ldCache: 0x0303, tls: { variant: 2, align: 64 }, endian: 'le' },
  arm64: { machine: 'aarch64', bits: 64, number: 183, glibcLoader: 'ld-linux-aarch64.so.1', musl: 'aarch64',
    multiarch: 'aarch64-linux-gnu', ldCache: 0x0a03, tls: { variant: 1, align: 32 }, endian: 'le' },
  ia32: { machine: 'i386', bits: 32, number: 3, glibcLoader: 'ld-linux.so.2', musl: 'i386',
    multiarch: 'i386-linux-gnu', ldCache: 0x0003, tls: { variant: 2, align: 64 }, endian: 'le' },
  arm: { machine: 'arm', bits: 32, number: 40, glibcLoader: 'ld-linux-armhf.so.3', musl: 'armhf',
    multiarch: 'arm-linux-gnueabihf', ldCache: 0x0903, tls: { variant: 1, align: 32 }, endian: 'le' },
  riscv64: { machine: 'riscv', bits: 64, number: 243, glibcLoader: 'ld-linux-riscv64-lp64d.so.1', musl: 'riscv64',
    multiarch: 'riscv64-linux-gnu', ldCache: null, tls: { variant: 1, align: 32 }, endian: 'le' },
  ppc64: { machine: 'ppc64', bits: 64, number: 21, glibcLoader: 'ld64.so.2', musl: 'powerpc64le',
    multiarch: 'powerpc64le-linux-gnu', ldCache: 0x0503, tls: { variant: 1, align: 32 }, endian: 'le' },
  s390x: { machine: 's390', bits: 64, number: 22, glibcLoader: 'ld64.so.1', musl: 's390x',
    multiarch: 's390x-linux-gnu', ldCache: 0x0403, tls: { variant: 2, align: 32 }, endian: 'be' },
};

// { cpu: CPUS[cpu][key] } for one fact.
const byCpu = (key) => Object.fromEntries(Object.entries(CPUS).map(([cpu, c]) => [cpu, c[key]]));

// The names paths, package names and messages use for each cpu (npm's,
// uname's, Debian's, Rust's and the prebuild tools').
const CPU_NAMES = {
  x64: 'x64', x86_64: 'x64', amd64: 'x64', arm64: 'arm64', aarch64: 'arm64', ia32: 'ia32', i386: 'ia32', i686: 'ia32',
  x86: 'ia32', arm: 'arm', armhf: 'arm', armv6l: 'arm', armv7l: 'arm', armv7: 'arm', ppc64: 'ppc64', ppc64le: 'ppc64',
  s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips64el: 'mips64el', wasm32: 'wasm32',
};

const ARCH = Object.fromEntries(Object.entries(CPUS).map(([cpu, c]) => [cpu, c.machine]));
const BITS = Object.fromEntries(Object.entries(CPUS).map(([cpu, c]) => [cpu, c.bits]));
const MACHINE_NUMBER = Object.fromEntries(Object.values(CPUS).map((c) => [c.machine, c.number]));

// The npm cpu name for an ELF machine name and class, or null.
function cpuOf(machine, bits) {
  for (const [cpu, c] of Object.entries(CPUS)) if (c.machine === machine && c.bits === bits) return cpu;
  return null;
}

module.exports = { CPUS, CPU_NAMES, ARCH, BITS, MACHINE_NUMBER, byCpu, cpuOf };
