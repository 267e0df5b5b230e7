/* The Node-API version an addon declares: node_api_module_get_api_version_v1
 * is a function that returns a constant, and the constant is read from the
 * function's first instructions (only forms known to mean "return N";
 * anything else is unknown, never guessed). */
#include "ti_elf_int.h"

enum { TI_CODE_MAX = 24 }; /* the longest form read: -O0 frame keeping, one load, return */

/* Length of an x86 instruction that only keeps a frame (endbr64/32, push
 * %rbp, mov %rsp,%rbp, pop %rbp: -O0 code keeps one), 0 for any other. */
static size_t ti_x86_frame(const uint8_t *c, size_t n) {
  if (n >= 4 && c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && (c[3] == 0xfa || c[3] == 0xfb)) return 4;
  if (n >= 1 && (c[0] == 0x55 || c[0] == 0x5d)) return 1;
  if (n >= 3 && c[0] == 0x48 && c[1] == 0x89 && c[2] == 0xe5) return 3;
  if (n >= 2 && c[0] == 0x89 && c[1] == 0xe5) return 2;
  return 0;
}

/* x86 (32 and 64 bit): frame-keeping instructions around exactly one of
 * mov $imm,%eax | xor %eax,%eax | push $imm8; pop %eax, then [rep] ret. */
static int64_t ti_code_x86(const uint8_t *c, size_t n) {
  int64_t v = TI_NAPI_UNKNOWN;
  for (size_t i = 0, k; i < n;) {
    if (c[i] == 0xc3 || (i + 1 < n && c[i] == 0xf3 && c[i + 1] == 0xc3)) return v;
    if ((k = ti_x86_frame(c + i, n - i))) {
      i += k;
    } else if (v == TI_NAPI_UNKNOWN && i + 5 <= n && c[i] == 0xb8) {
      v = (int64_t)((uint32_t)c[i + 1] | (uint32_t)c[i + 2] << 8 | (uint32_t)c[i + 3] << 16 | (uint32_t)c[i + 4] << 24);
      i += 5;
    } else if (v == TI_NAPI_UNKNOWN && i + 2 <= n && (c[i] == 0x31 || c[i] == 0x33) && c[i + 1] == 0xc0) {
      v = 0;
      i += 2;
    } else if (v == TI_NAPI_UNKNOWN && i + 3 <= n && c[i] == 0x6a && c[i + 2] == 0x58 && c[i + 1] < 0x80) {
      v = c[i + 1];
      i += 3;
    } else {
      return TI_NAPI_UNKNOWN;
    }
  }
  return TI_NAPI_UNKNOWN; /* no return within the bytes read */
}

static uint32_t ti_le32(const uint8_t *c) {
  return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

/* aarch64: [bti c | paciasp] mov w0/x0,#imm16 | mov w0,wzr, then ret (or retaa/retab). */
static int64_t ti_code_aarch64(const uint8_t *c, size_t n) {
  size_t i = 0;
  uint32_t insn, ret;
  int64_t v;
  if (n >= 4 && (ti_le32(c) & 0xfffff01fu) == 0xd503201fu) i = 4; /* a HINT: BTI or PAC landing */
  if (i + 8 > n) return TI_NAPI_UNKNOWN;
  insn = ti_le32(c + i);
  ret = ti_le32(c + i + 4);
  if ((insn & 0x7fe0001fu) == 0x52800000u) v = (insn >> 5) & 0xffff; /* MOVZ w0/x0, #imm16, LSL #0 */
  else if (insn == 0x2a1f03e0u || insn == 0xaa1f03e0u) v = 0;     /* ORR w0/x0, wzr, wzr */
  else return TI_NAPI_UNKNOWN;
  return ret == 0xd65f03c0u || ret == 0xd65f0bffu || ret == 0xd65f0fffu ? v : TI_NAPI_UNKNOWN;
}

/* Length of a Thumb instruction that only keeps r7 as a frame pointer
 * (push {r7}, add r7,sp,#0, mov sp,r7, pop {r7}, ldr.w r7,[sp],#4), 0 for any other. */
static size_t ti_thumb_frame(const uint8_t *c, size_t n) {
  unsigned h = n >= 2 ? (unsigned)c[0] | (unsigned)c[1] << 8 : 0;
  if (h == 0xb480u || h == 0xaf00u || h == 0x46bdu || h == 0xbc80u) return 2;
  if (h == 0xf85du && n >= 4 && c[2] == 0x04 && c[3] == 0x7b) return 4;
  return 0;
}

/* Thumb: frame-keeping instructions around exactly one movs r0,#imm8, then bx lr. */
static int64_t ti_code_thumb(const uint8_t *c, size_t n) {
  int64_t v = TI_NAPI_UNKNOWN;
  for (size_t i = 0, k; i + 2 <= n;) {
    unsigned h = (unsigned)c[i] | (unsigned)c[i + 1] << 8;
    if (h == 0x4770u) return v;
    if ((k = ti_thumb_frame(c + i, n - i))) {
      i += k;
    } else if (v == TI_NAPI_UNKNOWN && (h & 0xff00u) == 0x2000u) {
      v = h & 0xff;
      i += 2;
    } else {
      return TI_NAPI_UNKNOWN;
    }
  }
  return TI_NAPI_UNKNOWN;
}

/* arm (A32): mov r0,#rotated imm8 | movw r0,#imm16, then bx lr; Thumb code
 * (the symbol's low bit set) is read as Thumb. */
static int64_t ti_code_arm(const uint8_t *c, size_t n, int thumb) {
  if (thumb) return ti_code_thumb(c, n);
  if (n < 8 || ti_le32(c + 4) != 0xe12fff1eu) return TI_NAPI_UNKNOWN;
  uint32_t insn = ti_le32(c);
  if ((insn & 0xfffff000u) == 0xe3a00000u) {
    unsigned rot = ((insn >> 8) & 0xf) * 2;
    uint32_t imm = insn & 0xff;
    return rot ? (int64_t)((imm >> rot) | (imm << (32 - rot))) : imm;
  }
  if ((insn & 0xfff0f000u) == 0xe3000000u) return (int64_t)(((insn >> 4) & 0xf000) | (insn & 0xfff));
  return TI_NAPI_UNKNOWN;
}

/* riscv64: li a0,imm (addi a0,zero,imm or c.li a0,imm), then ret (jalr zero,0(ra) or c.jr ra). */
static int64_t ti_code_riscv(const uint8_t *c, size_t n) {
  size_t i;
  int64_t v;
  if (n < 2) return TI_NAPI_UNKNOWN;
  unsigned h = (unsigned)c[0] | (unsigned)c[1] << 8;
  if ((h & 0xef83u) == 0x4501u) { /* c.li a0, imm6 (a negative one is no version) */
    if (h & 0x1000u) return TI_NAPI_UNKNOWN;
    v = (h >> 2) & 0x1f;
    i = 2;
  } else if (n >= 4 && (ti_le32(c) & 0x000fffffu) == 0x00000513u && !(ti_le32(c) & 0x80000000u)) {
    v = ti_le32(c) >> 20;
    i = 4;
  } else {
    return TI_NAPI_UNKNOWN;
  }
  if (i + 2 <= n && c[i] == 0x82 && c[i + 1] == 0x80) return v;
  if (i + 4 <= n && ti_le32(c + i) == 0x00008067u) return v;
  return TI_NAPI_UNKNOWN;
}

static int64_t ti_code_decode(unsigned machine, const uint8_t *c, size_t n, int thumb) {
  switch (machine) {
  case EM_X86_64: case EM_386: return ti_code_x86(c, n);
  case EM_AARCH64: return ti_code_aarch64(c, n);
  case EM_ARM: return ti_code_arm(c, n, thumb);
  case EM_RISCV: return ti_code_riscv(c, n);
  default: return TI_NAPI_UNKNOWN;
  }
}

/* Reads the declaring function's first bytes from its file offset (through
 * the PT_LOAD that maps its address) and decodes them.  A function outside
 * the file's loaded bytes, or code in another form, is unknown. */
void ti_read_declared_napi(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint8_t scratch[TI_CODE_MAX];
  const uint8_t *code = NULL;
  uint64_t vaddr = p->napi_fn, off = 0, len = TI_CODE_MAX;
  int thumb = 0;
  if (!p->has_napi_fn) {
    e->info->napi_declared = TI_NAPI_NONE;
    return;
  }
  e->info->napi_declared = TI_NAPI_UNKNOWN;
  if (e->info->machine == EM_ARM) {
    thumb = (int)(vaddr & 1);
    vaddr &= ~(uint64_t)1;
  }
  if (p->be) return; /* big-endian code: no form is known */
  /* the function may end closer than TI_CODE_MAX bytes to its segment's end: read what the segment holds */
  while (len > 0 && !ti_vaddr_off(p, vaddr, len, &off)) len--;
  if (len == 0 || !ti_range_ok(off, len, p->src.len)) return;
  if (!(code = ti_src_window(&p->src, off, len, scratch))) {
    p->src.err = TI_OK; /* an unreadable function leaves the version unknown, not the analysis failed */
    return;
  }
  e->info->napi_declared = ti_code_decode(e->info->machine, code, (size_t)len, thumb);
}
