'use strict';
// Architecture names in the three vocabularies the project meets: npm and
// process.arch ('x64'), ELF machine names as analyze() reports them
// ('x86_64'), and ELF e_machine numbers.  Shared by every room.

// npm `cpu` / process.arch -> analyze()'s machine name, ELF class and e_machine.
const CPUS = {
  x64: { machine: 'x86_64', bits: 64, number: 62 },
  arm64: { machine: 'aarch64', bits: 64, number: 183 },
  ia32: { machine: 'i386', bits: 32, number: 3 },
  arm: { machine: 'arm', bits: 32, number: 40 },
  riscv64: { machine: 'riscv', bits: 64, number: 243 },
  ppc64: { machine: 'ppc64', bits: 64, number: 21 },
  s390x: { machine: 's390', bits: 64, number: 22 },
};

const ARCH = Object.fromEntries(Object.entries(CPUS).map(([cpu, c]) => [cpu, c.machine]));
const BITS = Object.fromEntries(Object.entries(CPUS).map(([cpu, c]) => [cpu, c.bits]));
const MACHINE_NUMBER = Object.fromEntries(Object.values(CPUS).map((c) => [c.machine, c.number]));

// The npm cpu name for an ELF machine name and class, or null.
function cpuOf(machine, bits) {
  for (const [cpu, c] of Object.entries(CPUS)) if (c.machine === machine && c.bits === bits) return cpu;
  return null;
}

module.exports = { CPUS, ARCH, BITS, MACHINE_NUMBER, cpuOf };
