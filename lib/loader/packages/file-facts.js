'use strict';
// What a file's first bytes (or its light analysis) say about the platform it
// was built for: format, machine, class, libc; and the reason a file of
// another platform is skipped.
const fs = require('fs');
const { elfHead, formatOf, machineName } = require('../../elf-head');
const { cpuOf } = require('../../platform');

// { elf, format, machine, class, libc: 'unknown' } from the first 20 bytes.
async function headerFacts(file) {
  let fh;
  try {
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const b = Buffer.alloc(20);
    const { bytesRead } = await fh.read(b, 0, 20, 0);
    const format = formatOf(bytesRead >= 4 ? b.readUInt32BE(0) : bytesRead >= 2 ? b.readUInt16BE(0) << 16 : 0, bytesRead);
    const elf = format === 'ELF' && elfHead(b, bytesRead);
    if (elf) return { elf: true, format, machine: machineName(elf.machineNumber), class: elf.class, libc: 'unknown' };
    return { elf: false, format };
  } catch (_) {
    return { elf: false, format: 'unknown' };
  } finally {
    if (fh) await fh.close();
  }
}

// The facts classify() wants, from an analyze() result.
function factsFromAnalysis(a) {
  return { elf: true, format: 'ELF', machine: a.machine, class: a.class, libc: a.libc };
}

const FORMAT_OS = { 'Mach-O': 'darwin', PE: 'win32' };

// Why a file with these facts is not for the target, or null when it is.
function factsReason(facts, t) {
  if (!facts || !facts.elf) {
    const format = (facts && facts.format) || 'unknown';
    return FORMAT_OS[format] === t.os ? null : `not ELF (${format})`;
  }
  const cpu = cpuOf(facts.machine, facts.class);
  if (t.os !== 'linux' || cpu !== t.cpu) return `for linux-${cpu || facts.machine}`;
  if ((facts.libc === 'glibc' || facts.libc === 'musl') && facts.libc !== t.libc) return `for ${facts.libc}`;
  return null;
}

module.exports = { factsFromAnalysis, factsReason, headerFacts };
