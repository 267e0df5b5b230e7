/* Relocation types by machine: which are TLS relocations and of which model,
 * which bind now or lazily, and the small machine and path helpers the file
 * analyzer and the live half share. */
#include <elf.h>
#include <string.h>
#include "ti_core.h"

#ifndef R_RISCV_TLS_DTPMOD64
#define R_RISCV_TLS_DTPMOD64 7
#define R_RISCV_TLS_DTPREL64 9
#define R_RISCV_TLS_TPREL64 11
#endif
#ifndef R_RISCV_TLSDESC
#define R_RISCV_TLSDESC 12
#endif
#ifndef R_RISCV_JUMP_SLOT
#define R_RISCV_JUMP_SLOT 5
#endif

/* Only dynamic relocation types matter: they are what the loader must resolve. */
ti_tls_reloc ti_reloc_classify(unsigned machine, uint32_t type) {
  switch (machine) {
  case EM_X86_64:
    switch (type) {
    case R_X86_64_TPOFF64: case R_X86_64_TPOFF32: return TI_RELOC_TPOFF;
    case R_X86_64_DTPMOD64: return TI_RELOC_DTPMOD;
    case R_X86_64_DTPOFF64: case R_X86_64_DTPOFF32: return TI_RELOC_DTPOFF;
    case R_X86_64_TLSDESC: return TI_RELOC_TLSDESC;
    }
    break;
  case EM_386:
    switch (type) {
    case R_386_TLS_TPOFF: case R_386_TLS_TPOFF32: return TI_RELOC_TPOFF;
    case R_386_TLS_DTPMOD32: return TI_RELOC_DTPMOD;
    case R_386_TLS_DTPOFF32: return TI_RELOC_DTPOFF;
    case R_386_TLS_DESC: return TI_RELOC_TLSDESC;
    }
    break;
  case EM_AARCH64:
    switch (type) {
    case R_AARCH64_TLS_TPREL: return TI_RELOC_TPOFF;
    case R_AARCH64_TLS_DTPMOD: return TI_RELOC_DTPMOD;
    case R_AARCH64_TLS_DTPREL: return TI_RELOC_DTPOFF;
    case R_AARCH64_TLSDESC: return TI_RELOC_TLSDESC;
    }
    break;
  case EM_ARM:
    switch (type) {
    case R_ARM_TLS_TPOFF32: return TI_RELOC_TPOFF;
    case R_ARM_TLS_DTPMOD32: return TI_RELOC_DTPMOD;
    case R_ARM_TLS_DTPOFF32: return TI_RELOC_DTPOFF;
    case R_ARM_TLS_DESC: return TI_RELOC_TLSDESC;
    }
    break;
  case EM_S390:
    switch (type) {
    case R_390_TLS_TPOFF: return TI_RELOC_TPOFF;
    case R_390_TLS_DTPMOD: return TI_RELOC_DTPMOD;
    case R_390_TLS_DTPOFF: return TI_RELOC_DTPOFF;
    }
    break;
  case EM_PPC64:
    switch (type) {
    case R_PPC64_TPREL64: return TI_RELOC_TPOFF;
    case R_PPC64_DTPMOD64: return TI_RELOC_DTPMOD;
    case R_PPC64_DTPREL64: return TI_RELOC_DTPOFF;
    }
    break;
  case EM_MIPS: /* 32-bit r_info only: MIPS64 packs three types into one entry */
    switch (type) {
    case R_MIPS_TLS_TPREL32: return TI_RELOC_TPOFF;
    case R_MIPS_TLS_DTPMOD32: return TI_RELOC_DTPMOD;
    case R_MIPS_TLS_DTPREL32: return TI_RELOC_DTPOFF;
    }
    break;
  case EM_RISCV:
    switch (type) {
    case R_RISCV_TLS_TPREL64: return TI_RELOC_TPOFF;
    case R_RISCV_TLS_DTPMOD64: return TI_RELOC_DTPMOD;
    case R_RISCV_TLS_DTPREL64: return TI_RELOC_DTPOFF;
    case R_RISCV_TLSDESC: return TI_RELOC_TLSDESC;
    }
    break;
  }
  return TI_RELOC_OTHER;
}

/* JUMP_SLOT and GLOB_DAT by machine.  riscv has no GLOB_DAT: its GOT entries
 * take absolute relocations (R_RISCV_64), counted as other.  mips binds most
 * of its GOT without any relocation (the entries from DT_MIPS_GOTSYM on), so
 * those references are not counted at all; R_MIPS_GLOB_DAT is rare. */
ti_bind_class ti_reloc_bind_class(unsigned machine, uint32_t type) {
  static const struct { unsigned machine; uint32_t plt, got; } slots[] = {
    {EM_X86_64, R_X86_64_JUMP_SLOT, R_X86_64_GLOB_DAT}, {EM_386, R_386_JMP_SLOT, R_386_GLOB_DAT},
    {EM_AARCH64, R_AARCH64_JUMP_SLOT, R_AARCH64_GLOB_DAT}, {EM_ARM, R_ARM_JUMP_SLOT, R_ARM_GLOB_DAT},
    {EM_S390, R_390_JMP_SLOT, R_390_GLOB_DAT}, {EM_PPC64, R_PPC64_JMP_SLOT, R_PPC64_GLOB_DAT},
    {EM_PPC, R_PPC_JMP_SLOT, R_PPC_GLOB_DAT}, {EM_MIPS, R_MIPS_JUMP_SLOT, R_MIPS_GLOB_DAT},
    {EM_RISCV, R_RISCV_JUMP_SLOT, UINT32_MAX},
  };
  if (type == 0) return TI_BIND_NONE; /* R_*_NONE on every machine */
  for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
    if (slots[i].machine != machine) continue;
    if (type == slots[i].plt) return TI_BIND_PLT;
    if (type == slots[i].got) return TI_BIND_GOT;
    break;
  }
  return TI_BIND_OTHER;
}

void ti_reloc_count_class(ti_reloc_counts *c, ti_tls_reloc cls, uint32_t sym) {
  switch (cls) {
  case TI_RELOC_TPOFF: c->tpoff++; break;
  case TI_RELOC_DTPMOD: c->dtpmod++; if (sym == 0) c->dtpmod_local++; break;
  case TI_RELOC_DTPOFF: c->dtpoff++; break;
  case TI_RELOC_TLSDESC: c->tlsdesc++; break;
  default: break;
  }
}

void ti_reloc_count(ti_reloc_counts *c, unsigned machine, uint32_t type, uint32_t sym) {
  ti_reloc_count_class(c, ti_reloc_classify(machine, type), sym);
}

unsigned ti_reloc_models(const ti_reloc_counts *c) {
  unsigned m = 0;
  if (c->tpoff) m |= TI_MODEL_INITIAL_EXEC;
  if (c->dtpoff || c->dtpmod > c->dtpmod_local) m |= TI_MODEL_GLOBAL_DYNAMIC;
  if (c->dtpmod_local) m |= TI_MODEL_LOCAL_DYNAMIC;
  if (c->tlsdesc) m |= TI_MODEL_TLSDESC;
  return m;
}

const char *ti_model_name(unsigned bit) {
  switch (bit) {
  case TI_MODEL_INITIAL_EXEC: return "initial-exec";
  case TI_MODEL_GLOBAL_DYNAMIC: return "global-dynamic";
  case TI_MODEL_LOCAL_DYNAMIC: return "local-dynamic";
  case TI_MODEL_TLSDESC: return "tlsdesc";
  }
  return "unknown";
}

unsigned ti_native_machine(void) {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__aarch64__)
  return EM_AARCH64;
#elif defined(__i386__)
  return EM_386;
#elif defined(__arm__)
  return EM_ARM;
#elif defined(__riscv)
  return EM_RISCV;
#else
  return EM_NONE;
#endif
}

int ti_base_has_prefix(const char *path, const char *prefix) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return !strncmp(base, prefix, strlen(prefix));
}
