/* Legacy Node addons (NODE_MODULE, NAN): the static struct node_module that
 * the addon hands node_module_register() from a constructor, found through
 * the relocations that fill its pointer fields, and what it holds: the
 * NODE_MODULE_VERSION Node compares with its own, and whether the addon
 * registered a context-aware entry point (the only kind Node can run again in
 * a worker or another context).
 *
 * node.h's layout (int nm_version; unsigned nm_flags; void *nm_dso_handle;
 * const char *nm_filename; register_func; context_register_func;
 * const char *nm_modname; void *nm_priv; node_module *nm_link) puts, for a
 * pointer size P, the file name at 8+P, the two entry points at 8+2P and
 * 8+3P, the module name at 8+4P and the link at 8+6P.  The struct is written
 * by Node at run time (handle, link), so it sits in writable data outside
 * PT_GNU_RELRO; its strings are local (RELATIVE relocations), its entry point
 * a local or exported function (RELATIVE, or an absolute relocation naming a
 * symbol the file defines).  A struct is taken only when every field fits;
 * none, or several that disagree, leave the version unknown: never a guess. */
#include <stdlib.h>
#include "ti_elf_int.h"

enum { TI_NM_MAX = 1u << 16 };      /* relocations kept: beyond, the answer is unknown */
enum { TI_NM_STRING_MAX = 512 };    /* bytes of a name looked at */
enum { TI_NM_VERSION_MAX = 1000 };  /* NODE_MODULE_VERSION 1 (Node 0.8) to today's 14x, with room */
enum { TI_NM_RELATIVE = 1, TI_NM_SYMBOL = 2 };

/* The machine's R_*_RELATIVE, and its word-sized absolute type; 0 when unknown. */
static void ti_nm_types(unsigned machine, int is64, uint32_t *relative, uint32_t *absolute) {
  *relative = *absolute = 0;
  switch (machine) {
  case EM_X86_64: *relative = R_X86_64_RELATIVE; *absolute = R_X86_64_64; break;
  case EM_386: *relative = R_386_RELATIVE; *absolute = R_386_32; break;
  case EM_AARCH64: *relative = R_AARCH64_RELATIVE; *absolute = R_AARCH64_ABS64; break;
  case EM_ARM: *relative = R_ARM_RELATIVE; *absolute = R_ARM_ABS32; break;
  case EM_RISCV: *relative = R_RISCV_RELATIVE; *absolute = is64 ? R_RISCV_64 : R_RISCV_32; break;
  case EM_PPC64: *relative = R_PPC64_RELATIVE; *absolute = R_PPC64_ADDR64; break;
  case EM_S390: *relative = R_390_RELATIVE; *absolute = is64 ? R_390_64 : R_390_32; break;
  default: break;
  }
}

/* The PT_LOAD whose file bytes hold [vaddr, vaddr+size), or NULL. */
static const ti_load *ti_nm_load(const struct ti_elf_priv *p, uint64_t vaddr, uint64_t size) {
  for (size_t i = 0; i < p->nloads; i++) {
    const ti_load *l = &p->loads[i];
    if (vaddr >= l->vaddr && ti_range_ok(vaddr - l->vaddr, size, l->filesz)) return l;
  }
  return NULL;
}

/* One relocation of DT_RELA/DT_REL, offered while they are walked: kept when
 * it could fill a pointer field of a writable, non-RELRO struct. */
void ti_node_note_reloc(ti_elf *e, uint64_t off, uint32_t type, uint32_t sym, int defined, uint64_t addend, int rela) {
  struct ti_elf_priv *p = e->p;
  uint32_t relative, absolute;
  unsigned ps = p->is64 ? 8 : 4;
  const ti_load *l;
  ti_nm_types(e->info->machine, p->is64, &relative, &absolute);
  unsigned char kind = type == relative && relative ? TI_NM_RELATIVE
    : type == absolute && absolute && sym && defined ? TI_NM_SYMBOL : 0;
  if (!kind || !(l = ti_nm_load(p, off, ps)) || !(l->flags & PF_W)) return;
  if (p->relro_size && off >= p->relro_vaddr && off - p->relro_vaddr < p->relro_size) return;
  if (p->nm_relocs.n >= TI_NM_MAX) {
    p->nm_overflow = 1;
    return;
  }
  ti_nm_reloc r = {off, rela ? addend : 0, kind, (unsigned char)!rela};
  if (!ti_push(p, &p->nm_relocs, sizeof r, &r)) { /* out of budget: this answer is unknown, the analysis stands */
    p->src.err = TI_OK;
    p->nm_overflow = 1;
  }
}

static int ti_nm_cmp(const void *a, const void *b) {
  const ti_nm_reloc *x = a, *y = b;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* The kept relocation at exactly off, or NULL (the list is sorted). */
static const ti_nm_reloc *ti_nm_at(const struct ti_elf_priv *p, uint64_t off) {
  const ti_nm_reloc *r = p->nm_relocs.items;
  size_t lo = 0, hi = p->nm_relocs.n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r[mid].off == off) return &r[mid];
    if (r[mid].off < off) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* The address a RELATIVE relocation stores: its addend, or (REL) the word in place. */
static uint64_t ti_nm_value(const struct ti_elf_priv *p, const ti_nm_reloc *r, const uint8_t *st, uint64_t base) {
  return r->inplace ? ti_rd(p, st + (r->off - base), p->is64 ? 8 : 4) : r->value;
}

/* Whether vaddr starts a name: printable bytes up to a NUL (or the cap);
 * ident: only the characters a gyp target name (nm_modname) is made of. */
static int ti_nm_string(struct ti_elf_priv *p, uint64_t vaddr, int ident) {
  uint8_t scratch[TI_NM_STRING_MAX];
  const uint8_t *s;
  uint64_t off = 0, len = TI_NM_STRING_MAX;
  while (len > 0 && !ti_vaddr_off(p, vaddr, len, &off)) len /= 2; /* a name near its segment's end */
  if (len == 0 || !ti_range_ok(off, len, p->src.len) || !(s = ti_src_window(&p->src, off, len, scratch))) {
    p->src.err = TI_OK; /* an unreadable name rejects the candidate, not the analysis */
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned c = s[i];
    if (c == 0) return i > 0;
    if (ident ? !(c == '_' || c == '-' || c == '.' || c == '$' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
              : (c < 0x20 || c >= 0x7f))
      return 0;
  }
  return !ident;
}

/* Whether a kept relocation fills an entry point: a function this file defines. */
static int ti_nm_code(const struct ti_elf_priv *p, const ti_nm_reloc *r, const uint8_t *st, uint64_t base) {
  const ti_load *l;
  if (r->kind == TI_NM_SYMBOL) return 1;
  l = ti_nm_load(p, ti_nm_value(p, r, st, base), 1);
  return l && (l->flags & PF_X);
}

/* Tries the struct whose nm_filename relocation is f: 1 with its version and
 * context-awareness when every field fits, 0 when it is not one. */
static int ti_nm_try(struct ti_elf_priv *p, const ti_nm_reloc *f, int64_t *version, int *aware) {
  uint64_t ps = p->is64 ? 8 : 4, size = 8 + 7 * ps, base, off;
  uint8_t scratch[8 + 7 * 8];
  const uint8_t *st;
  const ti_nm_reloc *reg, *ctx, *mod;
  if (f->kind != TI_NM_RELATIVE || f->off < 8 + ps || f->off > UINT64_MAX - size || ((base = f->off - 8 - ps) & (ps - 1)))
    return 0;
  if (!(mod = ti_nm_at(p, base + 8 + 4 * ps)) || mod->kind != TI_NM_RELATIVE) return 0;
  reg = ti_nm_at(p, base + 8 + 2 * ps);
  ctx = ti_nm_at(p, base + 8 + 3 * ps);
  if (!reg == !ctx || ti_nm_at(p, base) || ti_nm_at(p, base + 4) || ti_nm_at(p, base + 8) || ti_nm_at(p, base + 8 + 6 * ps))
    return 0;
  if (!ti_vaddr_off(p, base, size, &off) || !ti_range_ok(off, size, p->src.len) ||
      !(st = ti_src_window(&p->src, off, size, scratch))) {
    p->src.err = TI_OK;
    return 0;
  }
  int32_t v = (int32_t)ti_rd(p, st, 4);
  uint32_t flags = (uint32_t)ti_rd(p, st + 4, 4);
  /* NM_F_BUILTIN | NM_F_LINKED | NM_F_INTERNAL at most; no handle or link before Node sets them */
  if (v < 1 || v > TI_NM_VERSION_MAX || (flags & ~7u) || ti_rd(p, st + 8, ps) || ti_rd(p, st + 8 + 6 * ps, ps)) return 0;
  if (!ti_nm_code(p, reg ? reg : ctx, st, base)) return 0;
  if (!ti_nm_string(p, ti_nm_value(p, f, st, base), 0) || !ti_nm_string(p, ti_nm_value(p, mod, st, base), 1)) return 0;
  *version = v;
  *aware = ctx != NULL;
  return 1;
}

/* After the relocations: the struct(s) found, and what they say. */
void ti_read_node_module(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  ti_nm_reloc *r = p->nm_relocs.items;
  int64_t version, found = TI_NODE_UNKNOWN;
  int aware, found_aware = -1;
  e->info->node_abi = p->nm_wanted ? TI_NODE_UNKNOWN : TI_NODE_NONE;
  e->info->node_context_aware = -1;
  e->info->node_modules = 0;
  if (!p->nm_wanted || p->nm_overflow || !p->nm_relocs.n) return;
  qsort(r, p->nm_relocs.n, sizeof *r, ti_nm_cmp);
  for (size_t i = 0; i < p->nm_relocs.n && e->info->node_modules < 16; i++) {
    if (!ti_nm_try(p, &r[i], &version, &aware)) continue;
    if (e->info->node_modules++ == 0) {
      found = version;
      found_aware = aware;
    } else if (version != found || aware != found_aware) {
      found = TI_NODE_UNKNOWN; /* structs that disagree: which one registers last is not read here */
      found_aware = -1;
    }
  }
  e->info->node_abi = found;
  e->info->node_context_aware = found_aware;
}
