/* ELF file analyzer: header -> program headers -> section headers -> dynamic
 * -> versions -> symbols -> relocations.  Read-only, no loading, no execution.
 * Every read goes through ti_src_view (one range check); every field is read
 * with the file's own class and byte order. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ti_core.h"
#include "ti_elf_src.h"

#ifndef DF_1_PIE
#define DF_1_PIE 0x08000000
#endif

enum { TI_MAX_LOADS = 256, TI_MAX_ITEMS = 1u << 22 };

typedef struct ti_vec { void *items; size_t n, cap, elem; } ti_vec;

typedef struct ti_load { uint64_t vaddr, filesz, offset; } ti_load;

typedef struct ti_dyn_values {
  uint64_t strtab, strsz, symtab, syment, hash, gnu_hash;
  uint64_t rela, relasz, relaent, rel, relsz, relent, jmprel, pltrelsz, pltrel;
  uint64_t flags, flags1, verneed, verneednum, versym, verdef, verdefnum;
  int bind_now, textrel, has_strtab;
} ti_dyn_values;

typedef struct ti_version_index { uint32_t index; const char *name; } ti_version_index;

struct ti_elf_priv {
  ti_src src;
  int is64, be;
  uint64_t phoff, shoff;
  unsigned phentsize, phnum, shentsize, shnum;
  ti_load loads[TI_MAX_LOADS];
  size_t nloads;
  uint64_t dyn_off, dyn_size;
  int has_gnu_stack, gnu_stack_x;
  ti_dyn_values d;
  uint64_t dynstr_off;
  int has_dynstr;
  uint64_t dynsym_off, dynsym_count, dynsym_ent;
  uint64_t symtab_off, symtab_size, symtab_ent, strtab_off, strtab_size;
  ti_vec needed, rpath, runpath, napi, tls, vneeds, vindex, imports, vdefs;
};

typedef struct ti_elf ti_elf; /* the pair the phases pass around */
struct ti_elf { ti_elf_info *info; struct ti_elf_priv *p; };

/* ---- small helpers ---- */

static uint64_t ti_rd(const struct ti_elf_priv *p, const uint8_t *b, size_t size) {
  uint64_t v = 0;
  if (p->be == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)) { /* the host's own order: one load */
    uint16_t v16;
    uint32_t v32;
    switch (size) {
    case 1: return b[0];
    case 2: memcpy(&v16, b, 2); return v16;
    case 4: memcpy(&v32, b, 4); return v32;
    case 8: memcpy(&v, b, 8); return v;
    }
  }
  if (p->be)
    for (size_t i = 0; i < size; i++) v = (v << 8) | b[i];
  else
    for (size_t i = size; i-- > 0;) v = (v << 8) | b[i];
  return v;
}

#define TI_FSIZE(T, f) sizeof(((T *)0)->f)
#define TI_GET(p, b, T32, T64, f)                                                   \
  ((p)->is64 ? ti_rd((p), (b) + offsetof(T64, f), TI_FSIZE(T64, f))                 \
             : ti_rd((p), (b) + offsetof(T32, f), TI_FSIZE(T32, f)))
#define TI_SIZE(p, T32, T64) ((p)->is64 ? sizeof(T64) : sizeof(T32))

static ti_err ti_fail(ti_elf *e, ti_err code, const char *what) {
  if (!e->info->detail[0]) snprintf(e->info->detail, sizeof e->info->detail, "%s", what);
  return code;
}

/* A failed view is truncation unless the source itself failed (I/O, memory). */
static ti_err ti_view_fail(ti_elf *e, const char *what) {
  ti_err src = e->p->src.err;
  return ti_fail(e, src != TI_OK ? src : TI_ETRUNCATED, what);
}

static int ti_push(ti_vec *v, size_t elem, const void *item) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 8;
    void *items;
    if (v->n >= TI_MAX_ITEMS) return 0;
    items = realloc(v->items, cap * elem);
    if (!items) return 0;
    v->items = items;
    v->cap = cap;
  }
  v->elem = elem;
  memcpy((char *)v->items + v->n * elem, item, elem);
  v->n++;
  return 1;
}

/* A string from the dynamic string table, or NULL when it does not end inside it. */
static const char *ti_dynstr(struct ti_elf_priv *p, uint64_t off) {
  if (!p->has_dynstr) return NULL;
  return ti_src_string(&p->src, p->dynstr_off, p->d.strsz, off);
}

/* Maps a virtual address range to a file offset through the PT_LOAD segments. */
static int ti_vaddr_off(const struct ti_elf_priv *p, uint64_t vaddr, uint64_t size, uint64_t *off) {
  for (size_t i = 0; i < p->nloads; i++) {
    const ti_load *l = &p->loads[i];
    if (vaddr >= l->vaddr && ti_range_ok(vaddr - l->vaddr, size, l->filesz)) {
      *off = l->offset + (vaddr - l->vaddr);
      return 1;
    }
  }
  return 0;
}

/* ---- phase 1: the ELF header ---- */

static ti_err ti_parse_header(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  const uint8_t *id = ti_src_view(&p->src, 0, p->src.len < EI_NIDENT ? p->src.len : EI_NIDENT);
  const uint8_t *h;
  if (!id) return ti_view_fail(e, "ELF identification");
  if (p->src.len < SELFMAG) {
    int prefix = p->src.len > 0 && !memcmp(id, ELFMAG, p->src.len);
    return prefix ? ti_fail(e, TI_ETRUNCATED, "file ends inside the ELF magic")
                  : ti_fail(e, TI_ENOTELF, p->src.len ? "no ELF magic" : "empty file");
  }
  if (memcmp(id, ELFMAG, SELFMAG)) return ti_fail(e, TI_ENOTELF, "no ELF magic");
  if (p->src.len < EI_NIDENT) return ti_fail(e, TI_ETRUNCATED, "ELF identification");
  if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
    return ti_fail(e, TI_EMALFORMED, "unknown ELF class");
  if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
    return ti_fail(e, TI_EMALFORMED, "unknown ELF byte order");
  p->is64 = id[EI_CLASS] == ELFCLASS64;
  p->be = id[EI_DATA] == ELFDATA2MSB;
  e->info->elf_class = p->is64 ? 64 : 32;
  e->info->big_endian = p->be;
  h = ti_src_view(&p->src, 0, TI_SIZE(p, Elf32_Ehdr, Elf64_Ehdr));
  if (!h) return ti_view_fail(e, "ELF header");
  e->info->type = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_type);
  e->info->machine = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_machine);
  p->phoff = TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_phoff);
  p->shoff = TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_shoff);
  p->phentsize = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_phentsize);
  p->phnum = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_phnum);
  p->shentsize = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_shentsize);
  p->shnum = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_shnum);
  return TI_OK;
}

/* ---- phase 2: program headers ---- */

static ti_err ti_parse_interp(ti_elf *e, uint64_t off, uint64_t size) {
  const uint8_t *s = size ? ti_src_view(&e->p->src, off, size) : NULL;
  if (!s) return ti_view_fail(e, "PT_INTERP outside the file");
  if (!memchr(s, '\0', size)) return ti_fail(e, TI_EMALFORMED, "PT_INTERP is not a string");
  e->info->interpreter = (const char *)s;
  return TI_OK;
}

static ti_err ti_parse_phdr(ti_elf *e, const uint8_t *ph) {
  struct ti_elf_priv *p = e->p;
  uint32_t type = (uint32_t)TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_type);
  uint64_t off = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_offset);
  uint64_t vaddr = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_vaddr);
  uint64_t filesz = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_filesz);
  uint64_t memsz = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_memsz);
  uint64_t flags = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_flags);
  switch (type) {
  case PT_LOAD:
    if (p->nloads < TI_MAX_LOADS) p->loads[p->nloads++] = (ti_load){vaddr, filesz, off};
    break;
  case PT_DYNAMIC:
    p->dyn_off = off;
    p->dyn_size = filesz;
    e->info->has_dynamic = 1;
    break;
  case PT_TLS:
    e->info->has_tls = 1;
    e->info->tls_size = memsz;
    e->info->tls_init_size = filesz;
    e->info->tls_align = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_align);
    break;
  case PT_INTERP:
    return ti_parse_interp(e, off, filesz);
  case PT_GNU_STACK:
    p->has_gnu_stack = 1;
    p->gnu_stack_x = (flags & PF_X) != 0;
    break;
  }
  return TI_OK;
}

static ti_err ti_parse_phdrs(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  size_t entsize = TI_SIZE(p, Elf32_Phdr, Elf64_Phdr);
  const uint8_t *tab;
  ti_err err = TI_OK;
  if (p->phnum == PN_XNUM && p->shoff) { /* the real count lives in section 0 */
    const uint8_t *s0 = ti_src_view(&p->src, p->shoff, TI_SIZE(p, Elf32_Shdr, Elf64_Shdr));
    if (!s0) return ti_view_fail(e, "section header 0 (extended e_phnum)");
    p->phnum = (unsigned)TI_GET(p, s0, Elf32_Shdr, Elf64_Shdr, sh_info);
  }
  if (p->phnum == 0) return TI_OK;
  if (p->phentsize < entsize) return ti_fail(e, TI_EMALFORMED, "e_phentsize too small");
  tab = ti_src_view(&p->src, p->phoff, (uint64_t)p->phnum * p->phentsize);
  if (!tab) return ti_view_fail(e, "program header table outside the file");
  for (unsigned i = 0; i < p->phnum && err == TI_OK; i++)
    err = ti_parse_phdr(e, tab + (size_t)i * p->phentsize);
  if (err == TI_OK && p->has_gnu_stack) {
    if (p->gnu_stack_x) e->info->flags |= TI_ELF_EXECSTACK;
  } else if (err == TI_OK && p->nloads && e->info->has_dynamic) {
    e->info->flags |= TI_ELF_EXECSTACK; /* no PT_GNU_STACK: loaders default to an executable stack */
  }
  return err;
}

/* ---- phase 3: section headers (optional; stripped files have none) ---- */

static void ti_note_symtab(struct ti_elf_priv *p, const uint8_t *tab, const uint8_t *sh) {
  uint32_t link = (uint32_t)TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_link);
  const uint8_t *str;
  if (link >= p->shnum) return;
  str = tab + (size_t)link * p->shentsize;
  p->symtab_off = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_offset);
  p->symtab_size = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_size);
  p->symtab_ent = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_entsize);
  p->strtab_off = TI_GET(p, str, Elf32_Shdr, Elf64_Shdr, sh_offset);
  p->strtab_size = TI_GET(p, str, Elf32_Shdr, Elf64_Shdr, sh_size);
}

static ti_err ti_parse_shdrs(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  size_t entsize = TI_SIZE(p, Elf32_Shdr, Elf64_Shdr);
  const uint8_t *tab;
  if (!p->shoff) return TI_OK;
  if (p->shentsize < entsize) return ti_fail(e, TI_EMALFORMED, "e_shentsize too small");
  if (p->shnum == 0) { /* extended section count lives in section 0's sh_size */
    const uint8_t *s0 = ti_src_view(&p->src, p->shoff, entsize);
    if (!s0) return ti_view_fail(e, "section header 0 (extended e_shnum)");
    uint64_t n = TI_GET(p, s0, Elf32_Shdr, Elf64_Shdr, sh_size);
    if (n > p->src.len / entsize) return ti_fail(e, TI_ETRUNCATED, "section header table outside the file");
    p->shnum = (unsigned)n;
  }
  tab = ti_src_view(&p->src, p->shoff, (uint64_t)p->shnum * p->shentsize);
  if (!tab) return ti_view_fail(e, "section header table outside the file");
  e->info->has_section_headers = p->shnum > 0;
  for (unsigned i = 0; i < p->shnum; i++) {
    const uint8_t *sh = tab + (size_t)i * p->shentsize;
    uint32_t type = (uint32_t)TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_type);
    if (type == SHT_DYNSYM) {
      p->dynsym_ent = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_entsize);
      if (p->dynsym_ent >= TI_SIZE(p, Elf32_Sym, Elf64_Sym))
        p->dynsym_count = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_size) / p->dynsym_ent;
    } else if (type == SHT_SYMTAB) {
      ti_note_symtab(p, tab, sh);
      e->info->has_symtab = 1;
    }
  }
  return TI_OK;
}

/* ---- phase 4: the dynamic section ---- */

static void ti_dyn_value(ti_dyn_values *d, int64_t tag, uint64_t v) {
  switch (tag) {
  case DT_STRTAB: d->strtab = v; d->has_strtab = 1; break;
  case DT_STRSZ: d->strsz = v; break;
  case DT_SYMTAB: d->symtab = v; break;
  case DT_SYMENT: d->syment = v; break;
  case DT_HASH: d->hash = v; break;
  case DT_GNU_HASH: d->gnu_hash = v; break;
  case DT_RELA: d->rela = v; break;
  case DT_RELASZ: d->relasz = v; break;
  case DT_RELAENT: d->relaent = v; break;
  case DT_REL: d->rel = v; break;
  case DT_RELSZ: d->relsz = v; break;
  case DT_RELENT: d->relent = v; break;
  case DT_JMPREL: d->jmprel = v; break;
  case DT_PLTRELSZ: d->pltrelsz = v; break;
  case DT_PLTREL: d->pltrel = v; break;
  case DT_FLAGS: d->flags = v; break;
  case DT_FLAGS_1: d->flags1 = v; break;
  case DT_VERNEED: d->verneed = v; break;
  case DT_VERNEEDNUM: d->verneednum = v; break;
  case DT_VERSYM: d->versym = v; break;
  case DT_VERDEF: d->verdef = v; break;
  case DT_VERDEFNUM: d->verdefnum = v; break;
  case DT_BIND_NOW: d->bind_now = 1; break;
  case DT_TEXTREL: d->textrel = 1; break;
  default: break;
  }
}

/* String-valued tags need the string table, so they are collected in a second pass. */
static ti_err ti_dyn_strings(ti_elf *e, const uint8_t *dyn, uint64_t count, size_t entsize) {
  struct ti_elf_priv *p = e->p;
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *d = dyn + i * entsize;
    int64_t tag = (int64_t)TI_GET(p, d, Elf32_Dyn, Elf64_Dyn, d_tag);
    uint64_t v = TI_GET(p, d, Elf32_Dyn, Elf64_Dyn, d_un.d_val);
    ti_vec *list = tag == DT_NEEDED ? &p->needed : tag == DT_RPATH ? &p->rpath
                 : tag == DT_RUNPATH ? &p->runpath : NULL;
    const char *s;
    if (tag == DT_NULL) break;
    if (!list && tag != DT_SONAME) continue;
    if (!(s = ti_dynstr(p, v))) return ti_fail(e, TI_EMALFORMED, "dynamic string outside DT_STRTAB");
    if (tag == DT_SONAME) e->info->soname = s;
    else if (!ti_push(list, sizeof s, &s)) return ti_fail(e, TI_ENOMEM, "dynamic strings");
  }
  return TI_OK;
}

static void ti_dyn_flags(ti_elf_info *info, const ti_dyn_values *d) {
  if (d->flags & DF_STATIC_TLS) info->flags |= TI_ELF_STATIC_TLS;
  if ((d->flags & DF_BIND_NOW) || (d->flags1 & DF_1_NOW) || d->bind_now) info->flags |= TI_ELF_BIND_NOW;
  if (d->flags1 & DF_1_NODELETE) info->flags |= TI_ELF_NODELETE;
  if (d->flags1 & DF_1_NOOPEN) info->flags |= TI_ELF_NOOPEN;
  if (d->flags & DF_SYMBOLIC) info->flags |= TI_ELF_SYMBOLIC;
  if ((d->flags & DF_TEXTREL) || d->textrel) info->flags |= TI_ELF_TEXTREL;
  if ((d->flags & DF_ORIGIN) || (d->flags1 & DF_1_ORIGIN)) info->flags |= TI_ELF_ORIGIN;
  if (d->flags1 & DF_1_PIE) info->flags |= TI_ELF_PIE;
}

static ti_err ti_parse_dynamic(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  size_t entsize = TI_SIZE(p, Elf32_Dyn, Elf64_Dyn);
  uint64_t count = p->dyn_size / entsize, off = 0;
  const uint8_t *dyn;
  if (!e->info->has_dynamic || count == 0) return TI_OK;
  dyn = ti_src_view(&p->src, p->dyn_off, count * entsize);
  if (!dyn) return ti_view_fail(e, "dynamic section outside the file");
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *d = dyn + i * entsize;
    int64_t tag = (int64_t)TI_GET(p, d, Elf32_Dyn, Elf64_Dyn, d_tag);
    if (tag == DT_NULL) break;
    ti_dyn_value(&p->d, tag, TI_GET(p, d, Elf32_Dyn, Elf64_Dyn, d_un.d_val));
  }
  ti_dyn_flags(e->info, &p->d);
  if (!p->d.has_strtab || !p->d.strsz) return TI_OK;
  if (!ti_vaddr_off(p, p->d.strtab, p->d.strsz, &off))
    return ti_fail(e, TI_EMALFORMED, "DT_STRTAB outside the loaded segments");
  if (!ti_range_ok(off, p->d.strsz, p->src.len)) return ti_fail(e, TI_ETRUNCATED, "DT_STRTAB outside the file");
  p->dynstr_off = off;
  p->has_dynstr = 1;
  return ti_dyn_strings(e, dyn, count, entsize);
}

/* ---- phase 5: version needs (DT_VERNEED) ---- */

static ti_err ti_parse_vernaux(ti_elf *e, uint64_t off, unsigned cnt, const char *file, uint64_t *steps) {
  struct ti_elf_priv *p = e->p;
  for (unsigned k = 0; k < cnt; k++) {
    const uint8_t *a = ti_src_view(&p->src, off, sizeof(Elf64_Vernaux));
    if (!a) return ti_view_fail(e, "version need entry outside the file");
    if (++*steps > p->src.len / sizeof(Elf64_Vernaux)) return ti_fail(e, TI_EMALFORMED, "version chain loops");
    const char *name = ti_dynstr(p, ti_rd(p, a + offsetof(Elf64_Vernaux, vna_name), 4));
    uint32_t other = (uint32_t)ti_rd(p, a + offsetof(Elf64_Vernaux, vna_other), 2) & 0x7fff;
    uint32_t next = (uint32_t)ti_rd(p, a + offsetof(Elf64_Vernaux, vna_next), 4);
    if (!name) return ti_fail(e, TI_EMALFORMED, "version name outside DT_STRTAB");
    ti_version_need need = {file, name};
    ti_version_index idx = {other, name};
    if (!ti_push(&p->vneeds, sizeof need, &need) || !ti_push(&p->vindex, sizeof idx, &idx))
      return ti_fail(e, TI_ENOMEM, "version needs");
    if (!next) break;
    off += next;
  }
  return TI_OK;
}

static ti_err ti_parse_verneed(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t off = 0, steps = 0;
  ti_err err = TI_OK;
  if (!p->d.verneed || !p->d.verneednum) return TI_OK;
  if (!ti_vaddr_off(p, p->d.verneed, sizeof(Elf64_Verneed), &off))
    return ti_fail(e, TI_EMALFORMED, "DT_VERNEED outside the loaded segments");
  for (uint64_t i = 0; i < p->d.verneednum && err == TI_OK; i++) {
    const uint8_t *n = ti_src_view(&p->src, off, sizeof(Elf64_Verneed));
    if (!n) return ti_view_fail(e, "DT_VERNEED outside the file");
    if (++steps > p->src.len / sizeof(Elf64_Verneed)) return ti_fail(e, TI_EMALFORMED, "version chain loops");
    const char *file = ti_dynstr(p, ti_rd(p, n + offsetof(Elf64_Verneed, vn_file), 4));
    unsigned cnt = (unsigned)ti_rd(p, n + offsetof(Elf64_Verneed, vn_cnt), 2);
    uint32_t aux = (uint32_t)ti_rd(p, n + offsetof(Elf64_Verneed, vn_aux), 4);
    uint32_t next = (uint32_t)ti_rd(p, n + offsetof(Elf64_Verneed, vn_next), 4);
    if (!file) return ti_fail(e, TI_EMALFORMED, "version file name outside DT_STRTAB");
    err = ti_parse_vernaux(e, off + aux, cnt, file, &steps);
    if (!next) break;
    off += next;
  }
  return err;
}

/* Version definitions (DT_VERDEF): what a library offers, e.g. GLIBCXX_3.4.30. */
static ti_err ti_parse_verdef(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t off = 0;
  if (!p->d.verdef || !p->d.verdefnum) return TI_OK;
  if (!ti_vaddr_off(p, p->d.verdef, sizeof(Elf64_Verdef), &off))
    return ti_fail(e, TI_EMALFORMED, "DT_VERDEF outside the loaded segments");
  for (uint64_t i = 0; i < p->d.verdefnum; i++) {
    const uint8_t *d = ti_src_view(&p->src, off, sizeof(Elf64_Verdef)), *a;
    if (!d) return ti_view_fail(e, "DT_VERDEF outside the file");
    if (i > p->src.len / sizeof(Elf64_Verdef)) return ti_fail(e, TI_EMALFORMED, "version chain loops");
    uint32_t aux = (uint32_t)ti_rd(p, d + offsetof(Elf64_Verdef, vd_aux), 4);
    uint32_t next = (uint32_t)ti_rd(p, d + offsetof(Elf64_Verdef, vd_next), 4);
    unsigned flags = (unsigned)ti_rd(p, d + offsetof(Elf64_Verdef, vd_flags), 2);
    if (!(a = ti_src_view(&p->src, off + aux, sizeof(Elf64_Verdaux)))) return ti_view_fail(e, "version definition");
    const char *name = ti_dynstr(p, ti_rd(p, a + offsetof(Elf64_Verdaux, vda_name), 4));
    if (!name) return ti_fail(e, TI_EMALFORMED, "version name outside DT_STRTAB");
    if (!(flags & VER_FLG_BASE) && !ti_push(&p->vdefs, sizeof name, &name)) return ti_fail(e, TI_ENOMEM, "versions");
    if (!next) break;
    off += next;
  }
  return TI_OK;
}

static const char *ti_version_name(struct ti_elf_priv *p, uint32_t index) {
  const ti_version_index *v = p->vindex.items;
  for (size_t i = 0; i < p->vindex.n; i++)
    if (v[i].index == index) return v[i].name;
  return NULL;
}

/* ---- phase 6: symbols ---- */

/* Without section headers, the symbol count comes from the hash tables. */
static uint64_t ti_gnu_hash_count(struct ti_elf_priv *p) {
  uint64_t off, word = p->is64 ? 8 : 4, max = 0;
  const uint8_t *h;
  if (!ti_vaddr_off(p, p->d.gnu_hash, 16, &off) || !(h = ti_src_view(&p->src, off, 16))) return 0;
  uint64_t nbuckets = ti_rd(p, h, 4), symoffset = ti_rd(p, h + 4, 4), bloom = ti_rd(p, h + 8, 4);
  uint64_t buckets = off + 16 + bloom * word, chains = buckets + nbuckets * 4;
  const uint8_t *b = ti_src_view(&p->src, buckets, nbuckets * 4);
  if (!b) return 0;
  for (uint64_t i = 0; i < nbuckets; i++) {
    uint64_t v = ti_rd(p, b + i * 4, 4);
    if (v > max) max = v;
  }
  if (max < symoffset) return symoffset;
  for (uint64_t steps = 0; steps < p->src.len / 4; steps++, max++) {
    const uint8_t *c = ti_src_view(&p->src, chains + (max - symoffset) * 4, 4);
    if (!c) return 0;
    if (ti_rd(p, c, 4) & 1) return max + 1;
  }
  return 0;
}

static void ti_dynsym_count(struct ti_elf_priv *p) {
  uint64_t off;
  const uint8_t *h;
  if (p->dynsym_count) return;
  p->dynsym_ent = p->d.syment ? p->d.syment : TI_SIZE(p, Elf32_Sym, Elf64_Sym);
  if (p->d.hash && ti_vaddr_off(p, p->d.hash, 8, &off) && (h = ti_src_view(&p->src, off, 8)))
    p->dynsym_count = ti_rd(p, h + 4, 4);
  else if (p->d.gnu_hash)
    p->dynsym_count = ti_gnu_hash_count(p);
  p->src.err = TI_OK; /* a failed probe here only means "count unknown" */
}

typedef struct ti_sym { const char *name; uint64_t size; unsigned type, bind, shndx; } ti_sym;

static unsigned ti_sym_info(const struct ti_elf_priv *p, const uint8_t *s) {
  return s[p->is64 ? offsetof(Elf64_Sym, st_info) : offsetof(Elf32_Sym, st_info)];
}

/* Type, binding and section; the size only for TLS symbols, the rest are skipped. */
static void ti_read_sym(const struct ti_elf_priv *p, const uint8_t *s, ti_sym *out) {
  unsigned info = ti_sym_info(p, s);
  out->type = info & 0xf;
  out->size = out->type == STT_TLS ? TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_size) : 0;
  out->bind = info >> 4;
  out->shndx = (unsigned)TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_shndx);
}

static int ti_push_tls(struct ti_elf_priv *p, const ti_sym *s) {
  ti_tls_symbol t = {s->name, s->size, (unsigned char)s->bind, s->shndx != SHN_UNDEF};
  const ti_tls_symbol *have = p->tls.items;
  for (size_t i = 0; i < p->tls.n; i++) /* .symtab repeats .dynsym's globals */
    if (have[i].defined == t.defined && !strcmp(have[i].name, t.name)) return 1;
  return ti_push(&p->tls, sizeof t, &t);
}

static int ti_note_import(ti_elf *e, const ti_sym *s, const uint8_t *versym, uint64_t i) {
  struct ti_elf_priv *p = e->p;
  if (!strncmp(s->name, "napi_", 5) || !strncmp(s->name, "node_api_", 9))
    if (!ti_push(&p->napi, sizeof s->name, &s->name)) return 0;
  if (!versym) return 1;
  const char *version = ti_version_name(p, (uint32_t)ti_rd(p, versym + i * 2, 2) & 0x7fff);
  ti_versioned_import imp = {s->name, version};
  return !version || ti_push(&p->imports, sizeof imp, &imp);
}

enum { TI_WINDOW = 64 * 1024 }; /* symbols are read through a window, not all at once */

static ti_err ti_parse_dynsym(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  const uint8_t *versym = NULL;
  uint64_t off, voff, per;
  uint8_t *scratch;
  if (!p->d.symtab || !p->has_dynstr) return TI_OK;
  ti_dynsym_count(p);
  if (!p->dynsym_count) return TI_OK;
  if (p->dynsym_ent < TI_SIZE(p, Elf32_Sym, Elf64_Sym) || p->dynsym_ent > TI_WINDOW)
    return ti_fail(e, TI_EMALFORMED, "bad dynamic symbol entry size");
  if (p->dynsym_count > p->src.len / p->dynsym_ent) return ti_fail(e, TI_ETRUNCATED, "dynamic symbols outside the file");
  if (!ti_vaddr_off(p, p->d.symtab, p->dynsym_count * p->dynsym_ent, &off))
    return ti_fail(e, TI_EMALFORMED, "DT_SYMTAB outside the loaded segments");
  if (!ti_range_ok(off, p->dynsym_count * p->dynsym_ent, p->src.len))
    return ti_fail(e, TI_ETRUNCATED, "dynamic symbols outside the file");
  if (p->d.versym && ti_vaddr_off(p, p->d.versym, p->dynsym_count * 2, &voff))
    versym = ti_src_view(&p->src, voff, p->dynsym_count * 2);
  if (!(scratch = malloc(TI_WINDOW))) return ti_fail(e, TI_ENOMEM, "symbol window");
  per = TI_WINDOW / p->dynsym_ent;
  ti_err err = TI_OK;
  for (uint64_t base = 0; base < p->dynsym_count && err == TI_OK; base += per) {
    uint64_t n = p->dynsym_count - base < per ? p->dynsym_count - base : per;
    const uint8_t *tab = ti_src_window(&p->src, off + base * p->dynsym_ent, n * p->dynsym_ent, scratch);
    if (!tab) { err = ti_view_fail(e, "dynamic symbols outside the file"); break; }
    for (uint64_t k = base ? 0 : 1; k < n && err == TI_OK; k++) {
      const uint8_t *sym_bytes = tab + k * p->dynsym_ent;
      ti_sym sym;
      ti_read_sym(p, sym_bytes, &sym);
      if (sym.type != STT_TLS && sym.shndx != SHN_UNDEF) continue; /* only these matter: skip the name */
      if (!(sym.name = ti_dynstr(p, TI_GET(p, sym_bytes, Elf32_Sym, Elf64_Sym, st_name)))) continue;
      if (sym.type == STT_TLS && !ti_push_tls(p, &sym)) err = ti_fail(e, TI_ENOMEM, "TLS symbols");
      if (sym.shndx == SHN_UNDEF && !ti_note_import(e, &sym, versym, base + k)) err = ti_fail(e, TI_ENOMEM, "imports");
    }
  }
  free(scratch);
  if (err == TI_OK && p->src.err != TI_OK) err = ti_view_fail(e, "symbol versions");
  return err;
}

/* .symtab adds local TLS symbols that the dynamic table never lists. */
static ti_err ti_parse_symtab(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t count, per;
  uint8_t *scratch;
  ti_err err = TI_OK;
  /* A linked file defines TLS only inside its PT_TLS segment: without one there is
     nothing local to find (object files have no segments and are always read). */
  if (!p->symtab_size || (!e->info->has_tls && e->info->type != ET_REL)) return TI_OK;
  if (p->symtab_ent < TI_SIZE(p, Elf32_Sym, Elf64_Sym) || p->symtab_ent > TI_WINDOW)
    return ti_fail(e, TI_EMALFORMED, ".symtab sh_entsize out of range");
  if (!ti_range_ok(p->symtab_off, p->symtab_size, p->src.len) || !ti_range_ok(p->strtab_off, p->strtab_size, p->src.len))
    return ti_fail(e, TI_ETRUNCATED, ".symtab or its string table outside the file");
  if (!(scratch = malloc(TI_WINDOW))) return ti_fail(e, TI_ENOMEM, "symbol window");
  count = p->symtab_size / p->symtab_ent;
  per = TI_WINDOW / p->symtab_ent;
  for (uint64_t base = 0; base < count && err == TI_OK; base += per) {
    uint64_t n = count - base < per ? count - base : per;
    const uint8_t *tab = ti_src_window(&p->src, p->symtab_off + base * p->symtab_ent, n * p->symtab_ent, scratch);
    if (!tab) { err = ti_view_fail(e, ".symtab outside the file"); break; }
    for (uint64_t k = base ? 0 : 1; k < n && err == TI_OK; k++) {
      const uint8_t *s = tab + k * p->symtab_ent;
      ti_sym sym;
      if ((ti_sym_info(p, s) & 0xf) != STT_TLS) continue;
      ti_read_sym(p, s, &sym);
      sym.name = ti_src_string(&p->src, p->strtab_off, p->strtab_size, TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_name));
      if (sym.name && !ti_push_tls(p, &sym)) err = ti_fail(e, TI_ENOMEM, "TLS symbols");
    }
  }
  free(scratch);
  if (err == TI_OK && p->src.err != TI_OK) err = ti_view_fail(e, ".symtab string table");
  return err;
}

/* ---- phase 7: relocations ---- */

static ti_err ti_count_table(ti_elf *e, uint64_t vaddr, uint64_t size, int rela, uint64_t ent) {
  struct ti_elf_priv *p = e->p;
  size_t min = rela ? TI_SIZE(p, Elf32_Rela, Elf64_Rela) : TI_SIZE(p, Elf32_Rel, Elf64_Rel);
  uint64_t off;
  const uint8_t *tab;
  if (!vaddr || !size) return TI_OK;
  if (!ent) ent = min;
  if (ent < min) return ti_fail(e, TI_EMALFORMED, "relocation entry size too small");
  if (!ti_vaddr_off(p, vaddr, size, &off)) return ti_fail(e, TI_EMALFORMED, "relocations outside the loaded segments");
  if (!(tab = ti_src_view(&p->src, off, size))) return ti_view_fail(e, "relocations outside the file");
  /* MIPS64 packs three types and a special symbol into r_info: not classified. */
  unsigned machine = p->is64 && e->info->machine == EM_MIPS ? EM_NONE : e->info->machine;
  for (uint64_t i = 0; i < size / ent; i++) {
    uint64_t info = rela ? TI_GET(p, tab + i * ent, Elf32_Rela, Elf64_Rela, r_info)
                         : TI_GET(p, tab + i * ent, Elf32_Rel, Elf64_Rel, r_info);
    uint32_t type = p->is64 ? (uint32_t)(info & 0xffffffffu) : (uint32_t)(info & 0xff);
    uint32_t sym = p->is64 ? (uint32_t)(info >> 32) : (uint32_t)(info >> 8);
    ti_reloc_count(&e->info->relocs, machine, type, sym);
  }
  return TI_OK;
}

static ti_err ti_parse_relocs(ti_elf *e) {
  const ti_dyn_values *d = &e->p->d;
  ti_err err = ti_count_table(e, d->rela, d->relasz, 1, d->relaent);
  if (err == TI_OK) err = ti_count_table(e, d->rel, d->relsz, 0, d->relent);
  /* Some linkers fold the PLT relocations into DT_RELA's range: count them once. */
  int folded = d->jmprel >= d->rela && d->jmprel < d->rela + d->relasz;
  if (err == TI_OK && !folded) {
    int rela = d->pltrel == DT_RELA || (d->pltrel != DT_REL && d->rela);
    err = ti_count_table(e, d->jmprel, d->pltrelsz, rela, rela ? d->relaent : d->relent);
  }
  e->info->models = ti_reloc_models(&e->info->relocs);
  return err;
}

/* ---- phase 8: conclusions ---- */

/* Compares dotted versions numerically: "2.4" < "2.34". */
static int ti_vercmp(const char *a, const char *b) {
  while (*a || *b) {
    unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
    if (x != y) return x < y ? -1 : 1;
    if (*a == '.') a++;
    if (*b == '.') b++;
    if ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9'))) break;
  }
  return 0;
}

static void ti_min_versions(ti_elf_info *info) {
  for (size_t i = 0; i < info->n_version_needs; i++) {
    const char *v = info->version_needs[i].version;
    const char **slot = !strncmp(v, "GLIBC_2", 7) ? &info->min_glibc
                      : !strncmp(v, "GLIBCXX_", 8) ? &info->min_glibcxx : NULL;
    const char *num = slot == &info->min_glibc ? v + 6 : v + 8;
    if (slot && (!*slot || ti_vercmp(num, *slot) > 0)) *slot = num;
  }
}

static ti_file_libc ti_classify_libc(const ti_elf_info *info) {
  const char *interp = info->interpreter ? info->interpreter : "";
  if (!info->has_dynamic) return TI_FILE_LIBC_STATIC;
  if (ti_base_has_prefix(interp, "ld-musl-")) return TI_FILE_LIBC_MUSL;
  for (size_t i = 0; i < info->n_needed; i++) {
    const char *n = info->needed[i];
    if (!strcmp(n, "libc.so") || ti_base_has_prefix(n, "libc.musl-") || ti_base_has_prefix(n, "ld-musl-"))
      return TI_FILE_LIBC_MUSL;
  }
  if (ti_base_has_prefix(interp, "ld-linux") || ti_base_has_prefix(interp, "ld64.so") || info->min_glibc)
    return TI_FILE_LIBC_GLIBC;
  for (size_t i = 0; i < info->n_needed; i++)
    if (!strcmp(info->needed[i], "libc.so.6")) return TI_FILE_LIBC_GLIBC;
  return TI_FILE_LIBC_UNKNOWN;
}

static int ti_tls_cmp(const void *a, const void *b) {
  const ti_tls_symbol *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return strcmp(x->name, y->name);
}

static void ti_publish(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  ti_elf_info *info = e->info;
  info->needed = p->needed.items;      info->n_needed = p->needed.n;
  info->rpath = p->rpath.items;        info->n_rpath = p->rpath.n;
  info->runpath = p->runpath.items;    info->n_runpath = p->runpath.n;
  info->napi_imports = p->napi.items;  info->n_napi_imports = p->napi.n;
  info->tls_symbols = p->tls.items;    info->n_tls_symbols = p->tls.n;
  info->version_needs = p->vneeds.items; info->n_version_needs = p->vneeds.n;
  info->imports = p->imports.items;    info->n_imports = p->imports.n;
  info->version_defs = p->vdefs.items; info->n_version_defs = p->vdefs.n;
  if (info->n_tls_symbols > 1) qsort(info->tls_symbols, info->n_tls_symbols, sizeof *info->tls_symbols, ti_tls_cmp);
  ti_min_versions(info);
  info->libc = ti_classify_libc(info);
}

/* ---- entry points ---- */

static ti_err ti_elf_run(ti_elf *e) {
  ti_err (*const phases[])(ti_elf *) = {ti_parse_header, ti_parse_phdrs, ti_parse_shdrs,
    ti_parse_dynamic, ti_parse_verneed, ti_parse_verdef, ti_parse_dynsym, ti_parse_symtab, ti_parse_relocs};
  ti_err err = TI_OK;
  for (size_t i = 0; i < sizeof phases / sizeof phases[0] && err == TI_OK; i++) err = phases[i](e);
  ti_publish(e);
  return err;
}

static ti_err ti_elf_begin(ti_elf_info *info, ti_elf *e) {
  memset(info, 0, sizeof *info);
  info->priv = calloc(1, sizeof *info->priv);
  if (!info->priv) return TI_ENOMEM;
  info->priv->src.fd = -1;
  e->info = info;
  e->p = info->priv;
  return TI_OK;
}

ti_err ti_elf_analyze_file(const char *path, ti_elf_info *info) {
  ti_elf e;
  ti_err err = ti_elf_begin(info, &e);
  if (err == TI_OK) err = ti_src_open_file(&e.p->src, path);
  if (err == TI_OK) err = ti_elf_run(&e);
  return err;
}

ti_err ti_elf_analyze_buffer(const void *data, size_t len, ti_elf_info *info) {
  ti_elf e;
  ti_err err = ti_elf_begin(info, &e);
  if (err == TI_OK) {
    ti_src_open_buffer(&e.p->src, data, len);
    err = ti_elf_run(&e);
  }
  return err;
}

void ti_elf_free(ti_elf_info *info) {
  struct ti_elf_priv *p = info->priv;
  if (!p) return;
  ti_src_close(&p->src);
  ti_vec *vecs[] = {&p->needed, &p->rpath, &p->runpath, &p->napi, &p->tls, &p->vneeds, &p->vindex, &p->imports,
                    &p->vdefs};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) free(vecs[i]->items);
  free(p);
  memset(info, 0, sizeof *info);
}

const char *ti_machine_name(unsigned machine) {
  switch (machine) {
  case EM_X86_64: return "x86_64";
  case EM_AARCH64: return "aarch64";
  case EM_386: return "i386";
  case EM_ARM: return "arm";
  case EM_RISCV: return "riscv";
  case EM_PPC64: return "ppc64";
  case EM_PPC: return "ppc";
  case EM_S390: return "s390";
  case EM_MIPS: return "mips";
  case EM_SPARCV9: return "sparcv9";
  case 258: return "loongarch";
  default: return NULL;
  }
}

const char *ti_file_libc_name(ti_file_libc l) {
  static const char *const names[] = {"unknown", "glibc", "musl", "static"};
  return (unsigned)l < 4 ? names[l] : "unknown";
}
