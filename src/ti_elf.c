/* ELF file analyzer: header -> program headers -> section headers -> dynamic
 * -> versions -> symbols -> relocations -> conclusions.  Read-only, no
 * loading, no execution.  Every read goes through the source (one range
 * check); every field is read with the file's own class and byte order; every
 * table is read once, whole when small and through a window when walked, and
 * everything held is charged to the analysis's budget (ti_elf_src.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include "ti_elf_int.h"

#ifndef DF_1_PIE
#define DF_1_PIE 0x08000000
#endif

/* Extended numbering (PN_XNUM, e_shnum 0) can claim billions of headers. */
enum { TI_MAX_HEADERS = 1u << 24 };

/* ---- small helpers shared by the analyzer's files ---- */

ti_err ti_fail(ti_elf *e, ti_err code, const char *what) {
  if (!e->info->detail[0]) snprintf(e->info->detail, sizeof e->info->detail, "%s", what);
  return code;
}

ti_err ti_view_fail(ti_elf *e, const char *what) {
  const ti_src *s = &e->p->src;
  char text[sizeof e->info->detail];
  if (s->over_budget) {
    snprintf(text, sizeof text, "%s: beyond the memory budget of one analysis", what);
    return ti_fail(e, TI_EMALFORMED, text);
  }
  if (s->err == TI_OK || s->err == TI_ETRUNCATED) {
    snprintf(text, sizeof text, "%s outside the file", what);
    return ti_fail(e, TI_ETRUNCATED, text);
  }
  return ti_fail(e, s->err, what);
}

int ti_vec_grow(struct ti_elf_priv *p, ti_vec *v, size_t elem) {
  size_t cap = v->cap ? v->cap * 2 : 8;
  void *items = ti_src_grow(&p->src, v->items, v->cap * elem, cap * elem);
  if (!items) return 0;
  v->items = items;
  v->cap = cap;
  return 1;
}

int ti_reserve(struct ti_elf_priv *p, ti_vec *v, size_t elem, size_t n) {
  void *items;
  if (n <= v->cap) return 1;
  if (n * elem > TI_TABLE_BUDGET / 8) return 1; /* large lists grow as they fill instead */
  if (!(items = ti_src_grow(&p->src, v->items, v->cap * elem, n * elem))) return 0;
  v->items = items;
  v->cap = n;
  return 1;
}

const char *ti_dynstr(struct ti_elf_priv *p, uint64_t off) {
  return p->has_dynstr ? ti_strtab_get(&p->src, &p->dynstr, off) : NULL;
}

int ti_vaddr_off(const struct ti_elf_priv *p, uint64_t vaddr, uint64_t size, uint64_t *off) {
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

static ti_err ti_parse_ident(ti_elf *e, const uint8_t *id) {
  struct ti_elf_priv *p = e->p;
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
  return TI_OK;
}

static ti_err ti_parse_header(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  const uint8_t *id, *h;
  ti_err err;
  /* the windows every table walk shares; the first read takes the program headers along */
  if (!ti_window_init(&p->src, &p->win, TI_WINDOW) || !ti_window_init(&p->src, &p->win2, TI_WINDOW / 8))
    return ti_view_fail(e, "table windows");
  if (!(id = ti_window_get(&p->src, &p->win, 0, p->src.len < EI_NIDENT ? p->src.len : EI_NIDENT, 4096)))
    return ti_view_fail(e, "ELF identification");
  if ((err = ti_parse_ident(e, id)) != TI_OK) return err;
  if (!(h = ti_window_get(&p->src, &p->win, 0, TI_SIZE(p, Elf32_Ehdr, Elf64_Ehdr), 4096))) return ti_view_fail(e, "ELF header");
  e->info->type = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_type);
  e->info->machine = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_machine);
  p->phoff = TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_phoff);
  p->shoff = TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_shoff);
  p->phentsize = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_phentsize);
  p->phnum = TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_phnum);
  p->shentsize = (unsigned)TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_shentsize);
  p->shnum = TI_GET(p, h, Elf32_Ehdr, Elf64_Ehdr, e_shnum);
  return TI_OK;
}

/* ---- phase 2: program headers ---- */

/* The kernel takes the first PT_INTERP and refuses one longer than PATH_MAX:
 * so do we, and never read more. */
static ti_err ti_parse_interp(ti_elf *e, uint64_t off, uint64_t size) {
  const uint8_t *s;
  if (e->p->has_interp) return TI_OK;
  e->p->has_interp = 1;
  if (size > PATH_MAX) return ti_fail(e, TI_EMALFORMED, "PT_INTERP longer than PATH_MAX");
  if (!size || !(s = ti_src_view(&e->p->src, off, size))) return ti_view_fail(e, "PT_INTERP");
  if (!memchr(s, '\0', size)) return ti_fail(e, TI_EMALFORMED, "PT_INTERP is not a string");
  e->info->interpreter = (const char *)s;
  return TI_OK;
}

static ti_err ti_parse_phdr(ti_elf *e, const uint8_t *ph) {
  struct ti_elf_priv *p = e->p;
  uint32_t type = (uint32_t)TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_type);
  uint64_t off = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_offset);
  uint64_t filesz = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_filesz);
  uint64_t flags = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_flags);
  switch (type) {
  case PT_LOAD:
    if (p->nloads < TI_MAX_LOADS)
      p->loads[p->nloads++] = (ti_load){TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_vaddr), filesz, off, (uint32_t)flags};
    break;
  case PT_DYNAMIC:
    p->dyn_off = off;
    p->dyn_size = filesz;
    e->info->has_dynamic = 1;
    break;
  case PT_TLS:
    e->info->has_tls = 1;
    e->info->tls_size = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_memsz);
    e->info->tls_init_size = filesz;
    e->info->tls_align = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_align);
    e->info->tls_vaddr = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_vaddr);
    break;
  case PT_INTERP:
    return ti_parse_interp(e, off, filesz);
  case PT_NOTE:
    if (p->nnotes < TI_MAX_NOTES)
      p->notes[p->nnotes++] = (ti_note_seg){off, filesz, TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_align)};
    break;
  case PT_GNU_RELRO:
    p->relro_vaddr = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_vaddr);
    p->relro_size = TI_GET(p, ph, Elf32_Phdr, Elf64_Phdr, p_memsz);
    break;
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
  uint8_t scratch[sizeof(Elf64_Shdr)];
  ti_err err = TI_OK;
  if (p->phnum == PN_XNUM && p->shoff) { /* the real count lives in section 0 */
    const uint8_t *s0 = ti_src_window(&p->src, p->shoff, TI_SIZE(p, Elf32_Shdr, Elf64_Shdr), scratch);
    if (!s0) return ti_view_fail(e, "section header 0 (extended e_phnum)");
    p->phnum = TI_GET(p, s0, Elf32_Shdr, Elf64_Shdr, sh_info);
  }
  if (p->phnum == 0) return TI_OK;
  if (p->phentsize < entsize || p->phentsize > TI_WINDOW) return ti_fail(e, TI_EMALFORMED, "e_phentsize out of range");
  if (p->phnum > TI_MAX_HEADERS) return ti_fail(e, TI_EMALFORMED, "more program headers than any loader reads");
  /* a sparse file could otherwise hold 2^24 entries of 64 KiB, a terabyte of holes to read */
  if (p->phnum * p->phentsize > TI_TABLE_MAX)
    return ti_fail(e, TI_EMALFORMED, "program header table larger than any linker writes");
  if (!ti_range_ok(p->phoff, p->phnum * p->phentsize, p->src.len))
    return ti_fail(e, TI_ETRUNCATED, "program header table outside the file");
  for (uint64_t i = 0; i < p->phnum && err == TI_OK; i++) {
    const uint8_t *ph = ti_window_get(&p->src, &p->win, p->phoff + i * p->phentsize, entsize,
                                     p->phoff + p->phnum * p->phentsize);
    err = ph ? ti_parse_phdr(e, ph) : ti_view_fail(e, "program header table");
  }
  if (err == TI_OK && p->has_gnu_stack) {
    if (p->gnu_stack_x) e->info->flags |= TI_ELF_EXECSTACK;
  } else if (err == TI_OK && p->nloads && e->info->has_dynamic) {
    e->info->flags |= TI_ELF_EXECSTACK; /* no PT_GNU_STACK: loaders default to an executable stack */
  }
  return err;
}

/* ---- phase 3: section headers (optional; stripped files have none) ---- */

static void ti_note_section(struct ti_elf_priv *p, ti_elf_info *info, const uint8_t *sh) {
  uint32_t type = (uint32_t)TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_type);
  if (type == SHT_DYNSYM) {
    p->dynsym_ent = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_entsize);
    if (p->dynsym_ent >= TI_SIZE(p, Elf32_Sym, Elf64_Sym))
      p->dynsym_count = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_size) / p->dynsym_ent;
  } else if (type == SHT_SYMTAB) {
    p->symtab_off = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_offset);
    p->symtab_size = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_size);
    p->symtab_ent = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_entsize);
    p->symtab_link = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_link);
    info->has_symtab = 1;
  }
}

static ti_err ti_parse_shdrs(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  size_t entsize = TI_SIZE(p, Elf32_Shdr, Elf64_Shdr);
  if (!p->shoff) return TI_OK;
  if (p->shentsize < entsize || p->shentsize > TI_WINDOW) return ti_fail(e, TI_EMALFORMED, "e_shentsize out of range");
  if (p->shnum == 0) { /* extended section count lives in section 0's sh_size */
    const uint8_t *s0 = ti_window_get(&p->src, &p->win, p->shoff, entsize, p->shoff + entsize);
    if (!s0) return ti_view_fail(e, "section header 0 (extended e_shnum)");
    p->shnum = TI_GET(p, s0, Elf32_Shdr, Elf64_Shdr, sh_size);
  }
  if (p->shnum > TI_MAX_HEADERS) return ti_fail(e, TI_EMALFORMED, "more section headers than any linker writes");
  if (p->shnum * p->shentsize > TI_TABLE_MAX)
    return ti_fail(e, TI_EMALFORMED, "section header table larger than any linker writes");
  if (!ti_range_ok(p->shoff, p->shnum * p->shentsize, p->src.len))
    return ti_fail(e, TI_ETRUNCATED, "section header table outside the file");
  e->info->has_section_headers = p->shnum > 0;
  for (uint64_t i = 0; i < p->shnum; i++) {
    const uint8_t *sh = ti_window_get(&p->src, &p->win, p->shoff + i * p->shentsize, entsize,
                                     p->shoff + p->shnum * p->shentsize);
    if (!sh) return ti_view_fail(e, "section header table");
    ti_note_section(p, e->info, sh);
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

static void ti_dyn_flags(ti_elf_info *info, const ti_dyn_values *d) {
  if (d->flags & DF_STATIC_TLS) info->flags |= TI_ELF_STATIC_TLS;
  if ((d->flags & DF_BIND_NOW) || (d->flags1 & DF_1_NOW) || d->bind_now) info->flags |= TI_ELF_BIND_NOW;
  if (d->flags1 & DF_1_NODELETE) info->flags |= TI_ELF_NODELETE;
  if (d->flags1 & DF_1_NOOPEN) info->flags |= TI_ELF_NOOPEN;
  if (d->flags1 & DF_1_NODEFLIB) info->flags |= TI_ELF_NODEFLIB;
  if (d->flags & DF_SYMBOLIC) info->flags |= TI_ELF_SYMBOLIC;
  if ((d->flags & DF_TEXTREL) || d->textrel) info->flags |= TI_ELF_TEXTREL;
  if ((d->flags & DF_ORIGIN) || (d->flags1 & DF_1_ORIGIN)) info->flags |= TI_ELF_ORIGIN;
  if (d->flags1 & DF_1_PIE) info->flags |= TI_ELF_PIE;
}

typedef struct ti_dyn_string { int64_t tag; uint64_t off; } ti_dyn_string;

/* String-valued tags need DT_STRTAB, which may come after them: they are
 * noted during the one pass and named once the table is read. */
static ti_err ti_dyn_strings(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  const ti_dyn_string *ds = p->dyn_strings.items;
  for (size_t i = 0; i < p->dyn_strings.n; i++) {
    ti_vec *list = ds[i].tag == DT_NEEDED ? &p->needed : ds[i].tag == DT_RPATH ? &p->rpath
                 : ds[i].tag == DT_RUNPATH ? &p->runpath : NULL;
    const char *s = ti_dynstr(p, ds[i].off);
    if (!s) return p->src.err != TI_OK ? ti_view_fail(e, "dynamic strings")
                                       : ti_fail(e, TI_EMALFORMED, "dynamic string outside DT_STRTAB");
    if (!list) e->info->soname = s;
    else if (!ti_push(p, list, sizeof s, &s)) return ti_view_fail(e, "DT_NEEDED, DT_RPATH and DT_RUNPATH lists");
  }
  return TI_OK;
}

static ti_err ti_dyn_entries(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  size_t entsize = TI_SIZE(p, Elf32_Dyn, Elf64_Dyn);
  uint64_t count = p->dyn_size / entsize;
  if (!ti_range_ok(p->dyn_off, count * entsize, p->src.len))
    return ti_fail(e, TI_ETRUNCATED, "dynamic section outside the file");
  for (uint64_t i = 0; i < count; i++) {
    const uint8_t *d = ti_window_get(&p->src, &p->win, p->dyn_off + i * entsize, entsize, p->dyn_off + count * entsize);
    if (!d) return ti_view_fail(e, "dynamic section");
    int64_t tag = (int64_t)TI_GET(p, d, Elf32_Dyn, Elf64_Dyn, d_tag);
    uint64_t v = TI_GET(p, d, Elf32_Dyn, Elf64_Dyn, d_un.d_val);
    if (tag == DT_NULL) break;
    ti_dyn_value(&p->d, tag, v);
    if (tag == DT_NEEDED || tag == DT_RPATH || tag == DT_RUNPATH || tag == DT_SONAME) {
      ti_dyn_string ds = {tag, v};
      if (!ti_push(p, &p->dyn_strings, sizeof ds, &ds)) return ti_view_fail(e, "dynamic section entries");
    }
  }
  return TI_OK;
}

static ti_err ti_parse_dynamic(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t off = 0;
  ti_err err;
  if (!e->info->has_dynamic || p->dyn_size < TI_SIZE(p, Elf32_Dyn, Elf64_Dyn)) return TI_OK;
  if ((err = ti_dyn_entries(e)) != TI_OK) return err;
  ti_dyn_flags(e->info, &p->d);
  if (!p->d.has_strtab || !p->d.strsz) return TI_OK;
  if (!ti_vaddr_off(p, p->d.strtab, p->d.strsz, &off))
    return ti_fail(e, TI_EMALFORMED, "DT_STRTAB outside the loaded segments");
  if (!ti_range_ok(off, p->d.strsz, p->src.len)) return ti_fail(e, TI_ETRUNCATED, "DT_STRTAB outside the file");
  /* a light analysis looks up a few names: read them where they are, not the whole table */
  if (e->info->light) p->dynstr = (ti_strtab){NULL, off, p->d.strsz};
  else ti_strtab_load(&p->src, &p->dynstr, off, p->d.strsz);
  if (p->src.err != TI_OK) return ti_view_fail(e, "DT_STRTAB");
  p->has_dynstr = 1;
  return ti_dyn_strings(e);
}

/* ---- conclusions and entry points ---- */

static int ti_tls_cmp(const void *a, const void *b) {
  const ti_tls_symbol *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return strcmp(x->name, y->name);
}

static void ti_publish(ti_elf *e, ti_err err) {
  struct ti_elf_priv *p = e->p;
  ti_elf_info *info = e->info;
  info->needed = p->needed.items;      info->n_needed = p->needed.n;
  info->rpath = p->rpath.items;        info->n_rpath = p->rpath.n;
  info->runpath = p->runpath.items;    info->n_runpath = p->runpath.n;
  info->tls_symbols = p->tls.items;    info->n_tls_symbols = p->tls.n;
  info->version_needs = p->vneeds.items; info->n_version_needs = p->vneeds.n;
  info->imports = p->imports.items;    info->n_imports = p->imports.n;
  info->exports = p->exports.items;    info->n_exports = p->exports.n;
  info->version_defs = p->vdefs.items; info->n_version_defs = p->vdefs.n;
  if (err != TI_OK) return;
  if (info->n_tls_symbols > 1) qsort(info->tls_symbols, info->n_tls_symbols, sizeof *info->tls_symbols, ti_tls_cmp);
  ti_conclude(e);
}

/* A light analysis stops after the dynamic section's strings and the version
 * tables: what decides whether and where a file can load, without the
 * symbols and relocations that are most of the work on a large library. */
static ti_err ti_elf_run(ti_elf *e) {
  ti_err (*const phases[])(ti_elf *) = {ti_parse_header, ti_parse_phdrs, ti_parse_shdrs,
    ti_parse_dynamic, ti_parse_verneed, ti_parse_verdef, ti_parse_dynsym, ti_parse_symtab, ti_parse_relocs};
  ti_err (*const light[])(ti_elf *) = {ti_parse_header, ti_parse_phdrs, ti_parse_dynamic, ti_parse_verneed,
    ti_parse_verdef};
  ti_err (*const *run)(ti_elf *) = e->info->light ? light : phases;
  size_t n = e->info->light ? sizeof light / sizeof light[0] : sizeof phases / sizeof phases[0];
  ti_err err = TI_OK;
  for (size_t i = 0; i < n && err == TI_OK; i++) err = run[i](e);
  e->info->napi_declared = TI_NAPI_NONE;
  e->info->node_abi = TI_NODE_NONE;
  e->info->node_context_aware = -1;
  if (err == TI_OK && !e->info->light) ti_read_declared_napi(e);
  if (err == TI_OK && !e->info->light) ti_read_node_module(e);
  ti_publish(e, err);
  e->info->name_bytes = e->p->src.name_bytes;
  /* Reading ends here: the descriptor goes back now, not when the caller frees. */
  ti_src_release_fd(&e->p->src);
  return err;
}

static ti_err ti_elf_begin(ti_elf_info *info, unsigned how, ti_elf *e) {
  memset(info, 0, sizeof *info);
  info->light = (how & TI_ANALYZE_LIGHT) != 0;
  info->priv = calloc(1, sizeof *info->priv);
  if (!info->priv) return TI_ENOMEM;
  info->priv->src.fd = -1;
  e->info = info;
  e->p = info->priv;
  return TI_OK;
}

/* Runs the phases over an opened file source (closing it, if it is ours). */
static ti_err ti_elf_run_file(ti_elf *e, ti_err opened) {
  if (opened != TI_OK) {
    ti_src_release_fd(&e->p->src);
    return opened;
  }
  snprintf(e->info->file_id, sizeof e->info->file_id, "%llu:%llu", (unsigned long long)e->p->src.dev,
           (unsigned long long)e->p->src.ino);
  snprintf(e->info->file_version, sizeof e->info->file_version, "%s:%llu:%lld.%09ld:%lld.%09ld", e->info->file_id,
           (unsigned long long)e->p->src.len, (long long)e->p->src.mtime.tv_sec, e->p->src.mtime.tv_nsec,
           (long long)e->p->src.ctime.tv_sec, e->p->src.ctime.tv_nsec);
  return ti_elf_run(e);
}

ti_err ti_elf_analyze_at(int dirfd, const char *path, unsigned how, ti_elf_info *info) {
  ti_elf e;
  ti_err err = ti_elf_begin(info, how, &e);
  return err == TI_OK ? ti_elf_run_file(&e, ti_src_open_at(&e.p->src, dirfd, path)) : err;
}

ti_err ti_elf_analyze_fd(int fd, unsigned how, ti_elf_info *info) {
  ti_elf e;
  ti_err err = ti_elf_begin(info, how, &e);
  return err == TI_OK ? ti_elf_run_file(&e, ti_src_open_fd(&e.p->src, fd)) : err;
}

ti_err ti_elf_analyze_file(const char *path, ti_elf_info *info) {
  return ti_elf_analyze_at(AT_FDCWD, path, 0, info);
}

ti_err ti_elf_analyze_mem(const void *data, size_t len, unsigned how, ti_elf_info *info) {
  ti_elf e;
  ti_err err = ti_elf_begin(info, how, &e);
  if (err == TI_OK) {
    ti_src_open_buffer(&e.p->src, data, len);
    err = ti_elf_run(&e);
  }
  return err;
}

ti_err ti_elf_analyze_buffer(const void *data, size_t len, ti_elf_info *info) {
  return ti_elf_analyze_mem(data, len, 0, info);
}

void ti_elf_free(ti_elf_info *info) {
  struct ti_elf_priv *p = info->priv;
  if (!p) return;
  ti_src_close(&p->src);
  ti_vec *vecs[] = {&p->dyn_strings, &p->needed, &p->rpath, &p->runpath, &p->tls, &p->vneeds, &p->vdefs,
                    &p->imports, &p->exports, &p->nm_relocs};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) free(vecs[i]->items);
  free(p->win.buf);
  free(p->win2.buf);
  free(p->versions);
  free(p->tls_set.slots);
  free(p->import_of);
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

const char *ti_sym_type_name(unsigned stt) {
  switch (stt) {
  case STT_FUNC: return "func";
  case STT_OBJECT: return "object";
  case STT_TLS: return "tls";
  case STT_NOTYPE: return "notype";
  case STT_GNU_IFUNC: return "ifunc";
  default: return "other";
  }
}
