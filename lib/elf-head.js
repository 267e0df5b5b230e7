'use strict';
// A native file's first bytes: the ELF identification and header fields a
// loader compares before it maps anything, and the other formats a package
// may ship beside ELF builds (Mach-O, PE).  Shared by every room.
const { MACHINE_NUMBER } = require('./platform');

const ELF_MAGIC = 0x7f454c46;
const MACH_O = [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe];
const MACHINE_NAME = Object.fromEntries(Object.entries(MACHINE_NUMBER).map(([name, n]) => [n, name]));

// analyze()'s machine name for an e_machine number ('em-<n>' when unknown).
const machineName = (number) => MACHINE_NAME[number] || `em-${number}`;

// { class, endian, osabi, type, machineNumber } of an ELF header, or null.
function elfHead(buf, length = buf.length) {
  if (length < 20 || buf.readUInt32BE(0) !== ELF_MAGIC) return null;
  const le = buf[5] !== 2;
  return { class: buf[4] === 2 ? 64 : 32, endian: le ? 'le' : 'be', osabi: buf[7],
    type: le ? buf.readUInt16LE(16) : buf.readUInt16BE(16), machineNumber: le ? buf.readUInt16LE(18) : buf.readUInt16BE(18) };
}

// 'ELF', 'Mach-O', 'PE' or 'unknown' from the first four bytes (big-endian
// word) and how many bytes there were.
function formatOf(magic, length) {
  if (length >= 20 && magic === ELF_MAGIC) return 'ELF';
  if (length >= 4 && MACH_O.includes(magic)) return 'Mach-O';
  if (length >= 2 && magic >>> 16 === 0x4d5a) return 'PE';
  return 'unknown';
}

module.exports = { ELF_MAGIC, elfHead, formatOf, machineName };
