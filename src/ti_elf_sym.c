/* ELF file analyzer, second half: symbol versions, dynamic symbols (imports,
 * exports, TLS), .symtab TLS symbols and dynamic relocations.  Tables are
 * walked through the fixed windows of ti_elf_priv: memory does not grow with
 * the file, only with what is reported (within the budget). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include "ti_elf_int.h"

#ifndef STB_GNU_UNIQUE
#define STB_GNU_UNIQUE 10
#endif

enum { TI_CHAIN_AHEAD = 4096 }; /* version chains have no size: read this much ahead */

/* ---- version numbers: a table indexed by number, so each symbol looks its
 * version up in one step ---- */

static ti_version *ti_version_slot(struct ti_elf_priv *p, uint32_t index) {
  index &= 0x7fff;
  if (index >= p->n_versions) {
    size_t n = (size_t)index + 1, cap = n < 16 ? 16 : n;
    ti_version *v = ti_src_grow(&p->src, p->versions, p->n_versions * sizeof *v, cap * sizeof *v);
    if (!v) return NULL;
    memset(v + p->n_versions, 0, (cap - p->n_versions) * sizeof *v);
    p->versions = v;
    p->n_versions = cap;
  }
  return &p->versions[index];
}

static const ti_version *ti_version_at(const struct ti_elf_priv *p, uint32_t index) {
  index &= 0x7fff;
  return index < p->n_versions ? &p->versions[index] : NULL;
}

static ti_err ti_parse_vernaux(ti_elf *e, uint64_t off, unsigned cnt, const char *file, uint64_t *steps) {
  struct ti_elf_priv *p = e->p;
  for (unsigned k = 0; k < cnt; k++) {
    const uint8_t *a = ti_window_get(&p->src, &p->win, off, sizeof(Elf64_Vernaux), off + TI_CHAIN_AHEAD);
    if (!a) return ti_view_fail(e, "version need entry");
    if (++*steps > p->src.len / sizeof(Elf64_Vernaux)) return ti_fail(e, TI_EMALFORMED, "version chain loops");
    const char *name = ti_dynstr(p, ti_rd(p, a + offsetof(Elf64_Vernaux, vna_name), 4));
    uint32_t other = (uint32_t)ti_rd(p, a + offsetof(Elf64_Vernaux, vna_other), 2);
    uint32_t next = (uint32_t)ti_rd(p, a + offsetof(Elf64_Vernaux, vna_next), 4);
    ti_version *v;
    if (!name) return p->src.err ? ti_view_fail(e, "version names") : ti_fail(e, TI_EMALFORMED, "version name outside DT_STRTAB");
    ti_version_need need = {file, name};
    if (!ti_push(p, &p->vneeds, sizeof need, &need) || !(v = ti_version_slot(p, other)))
      return ti_view_fail(e, "version needs");
    v->need = name;
    v->file = file;
    if (!next) break;
    off += next;
  }
  return TI_OK;
}

ti_err ti_parse_verneed(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t off = 0, steps = 0;
  ti_err err = TI_OK;
  if (!p->d.verneed || !p->d.verneednum) return TI_OK;
  if (!ti_vaddr_off(p, p->d.verneed, sizeof(Elf64_Verneed), &off))
    return ti_fail(e, TI_EMALFORMED, "DT_VERNEED outside the loaded segments");
  for (uint64_t i = 0; i < p->d.verneednum && err == TI_OK; i++) {
    const uint8_t *n = ti_window_get(&p->src, &p->win, off, sizeof(Elf64_Verneed), off + TI_CHAIN_AHEAD);
    if (!n) return ti_view_fail(e, "DT_VERNEED");
    if (++steps > p->src.len / sizeof(Elf64_Verneed)) return ti_fail(e, TI_EMALFORMED, "version chain loops");
    const char *file = ti_dynstr(p, ti_rd(p, n + offsetof(Elf64_Verneed, vn_file), 4));
    unsigned cnt = (unsigned)ti_rd(p, n + offsetof(Elf64_Verneed, vn_cnt), 2);
    uint32_t aux = (uint32_t)ti_rd(p, n + offsetof(Elf64_Verneed, vn_aux), 4);
    uint32_t next = (uint32_t)ti_rd(p, n + offsetof(Elf64_Verneed, vn_next), 4);
    if (!file) return p->src.err ? ti_view_fail(e, "version names") : ti_fail(e, TI_EMALFORMED, "version file name outside DT_STRTAB");
    err = ti_parse_vernaux(e, off + aux, cnt, file, &steps);
    if (!next) break;
    off += next;
  }
  return err;
}

/* Version definitions (DT_VERDEF): what a library offers, e.g. GLIBCXX_3.4.30. */
ti_err ti_parse_verdef(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t off = 0;
  if (!p->d.verdef || !p->d.verdefnum) return TI_OK;
  if (!ti_vaddr_off(p, p->d.verdef, sizeof(Elf64_Verdef), &off))
    return ti_fail(e, TI_EMALFORMED, "DT_VERDEF outside the loaded segments");
  for (uint64_t i = 0; i < p->d.verdefnum; i++) {
    const uint8_t *d = ti_window_get(&p->src, &p->win, off, sizeof(Elf64_Verdef), off + TI_CHAIN_AHEAD), *a;
    if (!d) return ti_view_fail(e, "DT_VERDEF");
    if (i > p->src.len / sizeof(Elf64_Verdef)) return ti_fail(e, TI_EMALFORMED, "version chain loops");
    uint32_t aux = (uint32_t)ti_rd(p, d + offsetof(Elf64_Verdef, vd_aux), 4);
    uint32_t next = (uint32_t)ti_rd(p, d + offsetof(Elf64_Verdef, vd_next), 4);
    unsigned flags = (unsigned)ti_rd(p, d + offsetof(Elf64_Verdef, vd_flags), 2);
    uint32_t ndx = (uint32_t)ti_rd(p, d + offsetof(Elf64_Verdef, vd_ndx), 2);
    if (!(a = ti_window_get(&p->src, &p->win, off + aux, sizeof(Elf64_Verdaux), off + aux + TI_CHAIN_AHEAD))) return ti_view_fail(e, "version definition");
    const char *name = ti_dynstr(p, ti_rd(p, a + offsetof(Elf64_Verdaux, vda_name), 4));
    ti_version *v;
    if (!name) return p->src.err ? ti_view_fail(e, "version names") : ti_fail(e, TI_EMALFORMED, "version name outside DT_STRTAB");
    if (!(flags & VER_FLG_BASE) && !ti_push(p, &p->vdefs, sizeof name, &name)) return ti_view_fail(e, "version definitions");
    if (!(v = ti_version_slot(p, ndx))) return ti_view_fail(e, "version definitions");
    v->def = name;
    if (!next) break;
    off += next;
  }
  return TI_OK;
}

/* ---- TLS symbols, de-duplicated through a hash set ---- */

static uint64_t ti_name_hash(const char *s, int defined) {
  return ti_text_hash(s, ti_hash_seed() ^ (uint64_t)defined);
}

static int ti_tls_set_grow(struct ti_elf_priv *p) {
  ti_tls_set *set = &p->tls_set;
  size_t cap = set->cap ? set->cap * 2 : 64;
  uint32_t *slots;
  const ti_tls_symbol *t = p->tls.items;
  if (!ti_src_charge(&p->src, cap * sizeof *slots)) return 0;
  if (!(slots = malloc(cap * sizeof *slots))) { p->src.err = TI_ENOMEM; return 0; }
  memset(slots, 0xff, cap * sizeof *slots);
  for (size_t i = 0; i < p->tls.n; i++) {
    size_t k = ti_name_hash(t[i].name, t[i].defined) & (cap - 1);
    while (slots[k] != UINT32_MAX) k = (k + 1) & (cap - 1);
    slots[k] = (uint32_t)i;
  }
  free(set->slots);
  set->slots = slots;
  set->cap = cap;
  return 1;
}

/* .symtab repeats .dynsym's globals: each (name, defined) is kept once. */
static int ti_push_tls(struct ti_elf_priv *p, const char *name, uint64_t size, unsigned bind, int defined) {
  ti_tls_symbol t = {name, size, (unsigned char)bind, (unsigned char)defined};
  const ti_tls_symbol *have;
  size_t k;
  if ((p->tls.n + 1) * 2 > p->tls_set.cap && !ti_tls_set_grow(p)) return 0;
  have = p->tls.items;
  for (k = ti_name_hash(name, defined) & (p->tls_set.cap - 1); p->tls_set.slots[k] != UINT32_MAX;
       k = (k + 1) & (p->tls_set.cap - 1)) {
    const ti_tls_symbol *h = &have[p->tls_set.slots[k]];
    if (h->defined == t.defined && !strcmp(h->name, name)) return 1;
  }
  if (!ti_push(p, &p->tls, sizeof t, &t)) return 0;
  p->tls_set.slots[k] = (uint32_t)(p->tls.n - 1);
  return 1;
}

/* ---- phase 6: dynamic symbols ---- */

/* Without section headers, the symbol count comes from the hash tables.  The
 * GNU table's last chain is walked to its end bit; a chain that never ends is
 * refused once it is longer than any symbol table we read. */
static ti_err ti_gnu_hash_count(ti_elf *e, uint64_t *count) {
  struct ti_elf_priv *p = e->p;
  uint64_t off, word = p->is64 ? 8 : 4, max = 0;
  const uint8_t *h, *b;
  *count = 0;
  if (!ti_vaddr_off(p, p->d.gnu_hash, 16, &off) || !(h = ti_window_get(&p->src, &p->win, off, 16, off + 16))) return TI_OK;
  uint64_t nbuckets = ti_rd(p, h, 4), symoffset = ti_rd(p, h + 4, 4), bloom = ti_rd(p, h + 8, 4);
  uint64_t buckets = off + 16 + bloom * word, chains = buckets + nbuckets * 4;
  if (!ti_range_ok(buckets, nbuckets * 4, p->src.len)) return TI_OK;
  if (nbuckets * 4 > TI_TABLE_MAX) return ti_fail(e, TI_EMALFORMED, "DT_GNU_HASH with more buckets than any linker writes");
  for (uint64_t i = 0; i < nbuckets; i++) {
    if (!(b = ti_window_get(&p->src, &p->win, buckets + i * 4, 4, chains))) return TI_OK;
    uint64_t v = ti_rd(p, b, 4);
    if (v > max) max = v;
  }
  if (max < symoffset) { *count = symoffset; return TI_OK; }
  for (uint64_t steps = 0; steps < TI_TABLE_MAX / TI_SIZE(p, Elf32_Sym, Elf64_Sym); steps++, max++) {
    const uint8_t *c = ti_window_get(&p->src, &p->win, chains + (max - symoffset) * 4, 4, UINT64_MAX);
    if (!c) return TI_OK;
    if (ti_rd(p, c, 4) & 1) { *count = max + 1; return TI_OK; }
  }
  return ti_fail(e, TI_EMALFORMED, "DT_GNU_HASH chain longer than any symbol table");
}

static ti_err ti_dynsym_count(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t off;
  const uint8_t *h;
  ti_err err = TI_OK;
  if (p->dynsym_count) return TI_OK;
  p->dynsym_ent = p->d.syment ? p->d.syment : TI_SIZE(p, Elf32_Sym, Elf64_Sym);
  if (p->d.hash && ti_vaddr_off(p, p->d.hash, 8, &off) && (h = ti_window_get(&p->src, &p->win, off, 8, off + 8)))
    p->dynsym_count = ti_rd(p, h + 4, 4);
  else if (p->d.gnu_hash)
    err = ti_gnu_hash_count(e, &p->dynsym_count);
  p->src.err = TI_OK; /* a failed probe here only means "count unknown" */
  return err;
}

/* An export's version is the one it defines, or, for a definition that
 * stands in for another library's (a copy relocation in an executable), the
 * version it needs. */
static void ti_note_export(ti_elf *e, const char *name, const uint8_t *vs) {
  struct ti_elf_priv *p = e->p;
  uint32_t ver = vs ? (uint32_t)ti_rd(p, vs, 2) : 0;
  const ti_version *v = (ver & 0x7fff) > VER_NDX_GLOBAL ? ti_version_at(p, ver) : NULL;
  const char *version = v ? (v->def ? v->def : v->need) : NULL;
  ti_export x = {name, version, version && (ver & 0x8000)};
  ti_push(p, &p->exports, sizeof x, &x);
}

static void ti_note_import(ti_elf *e, const char *name, uint32_t index, unsigned info, const uint8_t *vs) {
  struct ti_elf_priv *p = e->p;
  const ti_version *v = vs ? ti_version_at(p, (uint32_t)ti_rd(p, vs, 2)) : NULL;
  ti_import imp = {name, NULL, NULL, index, (unsigned char)(info & 0xf), (info >> 4) == STB_WEAK, 0, 0, 0, 0, 0};
  if (v && v->need) {
    imp.version = v->need;
    imp.from = v->file;
  }
  if (ti_push(p, &p->imports, sizeof imp, &imp) && p->import_of) p->import_of[index] = (uint32_t)(p->imports.n - 1);
  /* a legacy addon: its struct node_module is looked for among the relocations */
  if (name[0] == 'n' && !strcmp(name, "node_module_register")) p->nm_wanted = 1;
}

/* One entry of .dynsym: a TLS symbol, an import or an export (or nothing). */
static void ti_dynsym_entry(ti_elf *e, const uint8_t *s, uint32_t index, const uint8_t *vs) {
  struct ti_elf_priv *p = e->p;
  unsigned info = s[p->is64 ? offsetof(Elf64_Sym, st_info) : offsetof(Elf32_Sym, st_info)];
  unsigned type = info & 0xf, bind = info >> 4;
  unsigned shndx = (unsigned)TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_shndx);
  int exported = shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE);
  const char *name;
  if (type != STT_TLS && shndx != SHN_UNDEF && !exported) return; /* only these matter: skip the name */
  if (!(name = ti_dynstr(p, TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_name)))) return;
  if (type == STT_TLS)
    ti_push_tls(p, name, TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_size), bind, shndx != SHN_UNDEF);
  if (shndx == SHN_UNDEF) {
    ti_note_import(e, name, index, info, vs);
    return;
  }
  if (!exported) return;
  ti_note_export(e, name, vs);
  /* the function whose code declares the addon's Node-API version */
  if (type == STT_FUNC && name[0] == 'n' && shndx != SHN_ABS && !strcmp(name, "node_api_module_get_api_version_v1")) {
    p->napi_fn = TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_value);
    p->has_napi_fn = 1;
  }
}

/* Room for the lists the symbols fill, and the index from symbol to import
 * that relocations use (binary search instead when the table is huge). */
static void ti_dynsym_lists(struct ti_elf_priv *p) {
  uint64_t count = p->dynsym_count;
  if (!ti_reserve(p, &p->imports, sizeof(ti_import), count) || !ti_reserve(p, &p->exports, sizeof(ti_export), count))
    return;
  if (count * sizeof *p->import_of > TI_TABLE_BUDGET / 8 || !ti_src_charge(&p->src, count * sizeof *p->import_of)) return;
  if (!(p->import_of = malloc(count * sizeof *p->import_of))) p->src.err = TI_ENOMEM;
  else memset(p->import_of, 0xff, count * sizeof *p->import_of);
}

/* Walks the symbols a window at a time, their versions alongside. */
static ti_err ti_walk_dynsym(ti_elf *e, uint64_t off, uint64_t voff) {
  struct ti_elf_priv *p = e->p;
  uint64_t count = p->dynsym_count, ent = p->dynsym_ent, per = TI_WINDOW / ent;
  ti_dynsym_lists(p);
  for (uint64_t i = 0, n; i < count && p->src.err == TI_OK; i += n) {
    n = count - i < per ? count - i : per;
    const uint8_t *syms = ti_window_get(&p->src, &p->win, off + i * ent, n * ent, off + count * ent), *vers = NULL;
    if (voff != UINT64_MAX) vers = ti_window_get(&p->src, &p->win2, voff + i * 2, n * 2, voff + count * 2);
    if (!syms || (voff != UINT64_MAX && !vers)) break;
    for (uint64_t k = i ? 0 : 1; k < n && p->src.err == TI_OK; k++)
      ti_dynsym_entry(e, syms + k * ent, (uint32_t)(i + k), vers ? vers + k * 2 : NULL);
  }
  return p->src.err == TI_OK ? TI_OK : ti_view_fail(e, "dynamic symbols");
}

ti_err ti_parse_dynsym(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint64_t off, voff = UINT64_MAX, size;
  ti_err err;
  if (!p->d.symtab || !p->has_dynstr) return TI_OK;
  if ((err = ti_dynsym_count(e)) != TI_OK || !p->dynsym_count) return err;
  if (p->dynsym_ent < TI_SIZE(p, Elf32_Sym, Elf64_Sym) || p->dynsym_ent > TI_WINDOW)
    return ti_fail(e, TI_EMALFORMED, "bad dynamic symbol entry size");
  if (p->dynsym_count > p->src.len / p->dynsym_ent) return ti_fail(e, TI_ETRUNCATED, "dynamic symbols outside the file");
  if ((size = p->dynsym_count * p->dynsym_ent) > TI_TABLE_MAX)
    return ti_fail(e, TI_EMALFORMED, "dynamic symbol table larger than any loader reads");
  if (!ti_vaddr_off(p, p->d.symtab, size, &off)) return ti_fail(e, TI_EMALFORMED, "DT_SYMTAB outside the loaded segments");
  if (!ti_range_ok(off, size, p->src.len)) return ti_fail(e, TI_ETRUNCATED, "dynamic symbols outside the file");
  if (p->d.versym && ti_vaddr_off(p, p->d.versym, p->dynsym_count * 2, &voff) &&
      !ti_range_ok(voff, p->dynsym_count * 2, p->src.len))
    return ti_fail(e, TI_ETRUNCATED, "symbol versions outside the file");
  return ti_walk_dynsym(e, off, voff);
}

/* .symtab adds local TLS symbols that the dynamic table never lists. */
ti_err ti_parse_symtab(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  ti_strtab names = {NULL, 0, 0};
  const uint8_t *sh;
  /* A linked file defines TLS only inside its PT_TLS segment: without one there is
     nothing local to find (object files have no segments and are always read). */
  if (!p->symtab_size || (!e->info->has_tls && e->info->type != ET_REL) || p->symtab_link >= p->shnum) return TI_OK;
  if (p->symtab_ent < TI_SIZE(p, Elf32_Sym, Elf64_Sym) || p->symtab_ent > TI_WINDOW)
    return ti_fail(e, TI_EMALFORMED, ".symtab sh_entsize out of range");
  if (!(sh = ti_window_get(&p->src, &p->win, p->shoff + p->symtab_link * p->shentsize,
                              TI_SIZE(p, Elf32_Shdr, Elf64_Shdr), 0)))
    return ti_view_fail(e, ".symtab string table header");
  names.off = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_offset);
  names.size = TI_GET(p, sh, Elf32_Shdr, Elf64_Shdr, sh_size);
  if (!ti_range_ok(p->symtab_off, p->symtab_size, p->src.len) || !ti_range_ok(names.off, names.size, p->src.len))
    return ti_fail(e, TI_ETRUNCATED, ".symtab or its string table outside the file");
  if (p->symtab_size > TI_TABLE_MAX) return ti_fail(e, TI_EMALFORMED, ".symtab larger than any linker writes");
  uint64_t count = p->symtab_size / p->symtab_ent, ent = p->symtab_ent, per = TI_WINDOW / ent;
  size_t info_at = p->is64 ? offsetof(Elf64_Sym, st_info) : offsetof(Elf32_Sym, st_info);
  for (uint64_t i = 0, n; i < count && p->src.err == TI_OK; i += n) { /* a window of entries at a time */
    n = count - i < per ? count - i : per;
    const uint8_t *tab = ti_window_get(&p->src, &p->win, p->symtab_off + i * ent, n * ent, p->symtab_off + count * ent);
    for (uint64_t k = i ? 0 : 1; tab && k < n && p->src.err == TI_OK; k++) {
      const uint8_t *s = tab + k * ent;
      if ((s[info_at] & 0xf) != STT_TLS) continue; /* most entries: one byte looked at */
      unsigned shndx = (unsigned)TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_shndx);
      const char *name = ti_strtab_get(&p->src, &names, TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_name));
      if (name) ti_push_tls(p, name, TI_GET(p, s, Elf32_Sym, Elf64_Sym, st_size), s[info_at] >> 4, shndx != SHN_UNDEF);
    }
  }
  return p->src.err == TI_OK ? TI_OK : ti_view_fail(e, ".symtab");
}

/* ---- phase 7: relocations ---- */

static ti_import *ti_find_import(struct ti_elf_priv *p, uint32_t sym) {
  ti_import *imp = p->imports.items;
  size_t lo = 0, hi = p->imports.n;
  if (p->import_of) return sym < p->dynsym_count && p->import_of[sym] != UINT32_MAX ? &imp[p->import_of[sym]] : NULL;
  while (lo < hi) { /* imports are in symbol order */
    size_t mid = lo + (hi - lo) / 2;
    if (imp[mid].sym == sym) return &imp[mid];
    if (imp[mid].sym < sym) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* Counts one relocation: its TLS class for the file, its binding for the
 * import it names, and whether TLS access targets this file's own block. */
static void ti_note_reloc(ti_elf *e, unsigned machine, uint32_t type, uint32_t sym) {
  struct ti_elf_priv *p = e->p;
  ti_elf_info *info = e->info;
  unsigned tls_machine = p->is64 && machine == EM_MIPS ? EM_NONE : machine; /* MIPS64 TLS types: not classified */
  ti_tls_reloc tls = ti_reloc_classify(tls_machine, type);
  ti_import *imp = sym ? ti_find_import(p, sym) : NULL;
  ti_reloc_count_class(&info->relocs, tls, sym);
  if (!imp) {
    int own = sym == 0 || sym < p->dynsym_count;
    info->tpoff_own += own && tls == TI_RELOC_TPOFF;
    info->tlsdesc_own += own && tls == TI_RELOC_TLSDESC;
    return;
  }
  switch (ti_reloc_bind_class(machine, type)) {
  case TI_BIND_PLT: imp->plt++; break;
  case TI_BIND_GOT: imp->got++; break;
  case TI_BIND_OTHER: imp->other++; break;
  default: break;
  }
  imp->initial_exec |= tls == TI_RELOC_TPOFF;
  imp->tlsdesc |= tls == TI_RELOC_TLSDESC;
}

/* r_info split into type and symbol index; MIPS64 keeps r_sym, r_ssym,
 * r_type3, r_type2 and r_type in file order instead. */
static void ti_reloc_info(const struct ti_elf_priv *p, int mips64, uint64_t info, uint32_t *type, uint32_t *sym) {
  if (!p->is64) {
    *type = (uint32_t)(info & 0xff);
    *sym = (uint32_t)(info >> 8);
  } else if (!mips64 || p->be) {
    *type = mips64 ? (uint32_t)(info & 0xff) : (uint32_t)(info & 0xffffffffu);
    *sym = (uint32_t)(info >> 32);
  } else {
    *type = (uint32_t)(info >> 56);
    *sym = (uint32_t)info;
  }
}

/* Offers a relocation to the legacy-addon reader (ti_elf_node.c). */
static void ti_node_reloc(ti_elf *e, const uint8_t *r, int rela, uint32_t type, uint32_t sym) {
  struct ti_elf_priv *p = e->p;
  uint64_t off = rela ? TI_GET(p, r, Elf32_Rela, Elf64_Rela, r_offset) : TI_GET(p, r, Elf32_Rel, Elf64_Rel, r_offset);
  uint64_t addend = rela ? TI_GET(p, r, Elf32_Rela, Elf64_Rela, r_addend) : 0;
  int defined = sym != 0 && sym < p->dynsym_count && !ti_find_import(p, sym);
  ti_node_note_reloc(e, off, type, sym, defined, addend, rela);
}

static ti_err ti_walk_relocs(ti_elf *e, uint64_t vaddr, uint64_t size, int rela, uint64_t ent) {
  struct ti_elf_priv *p = e->p;
  size_t min = rela ? TI_SIZE(p, Elf32_Rela, Elf64_Rela) : TI_SIZE(p, Elf32_Rel, Elf64_Rel);
  unsigned machine = e->info->machine;
  int mips64 = p->is64 && machine == EM_MIPS;
  uint64_t off, count;
  if (!vaddr || !size) return TI_OK;
  if (!ent) ent = min;
  if (ent < min || ent > TI_WINDOW) return ti_fail(e, TI_EMALFORMED, "relocation entry size out of range");
  if (!ti_vaddr_off(p, vaddr, size, &off)) return ti_fail(e, TI_EMALFORMED, "relocations outside the loaded segments");
  if (!ti_range_ok(off, size, p->src.len)) return ti_fail(e, TI_ETRUNCATED, "relocations outside the file");
  if (size > TI_TABLE_MAX) return ti_fail(e, TI_EMALFORMED, "relocation table larger than any linker writes");
  count = size / ent;
  for (uint64_t i = 0, n; i < count; i += n) { /* a window's worth of entries at a time */
    uint64_t data = ti_src_next_data(&p->src, off + i * ent);
    if (data - off >= (i + 1) * ent) { /* whole entries in a hole: zeros, R_*_NONE, skipped unread */
      n = (data - off) / ent - i;
      if (n > count - i) n = count - i;
      continue;
    }
    n = count - i < TI_WINDOW / ent ? count - i : TI_WINDOW / ent;
    const uint8_t *r = ti_window_get(&p->src, &p->win, off + i * ent, (n - 1) * ent + min, off + size);
    if (!r) return ti_view_fail(e, "relocations");
    for (uint64_t k = 0; k < n; k++, r += ent) {
      uint64_t info = rela ? TI_GET(p, r, Elf32_Rela, Elf64_Rela, r_info) : TI_GET(p, r, Elf32_Rel, Elf64_Rel, r_info);
      uint32_t type, sym;
      ti_reloc_info(p, mips64, info, &type, &sym);
      if (type != 0) ti_note_reloc(e, machine, type, sym); /* R_*_NONE: nothing to bind */
      if (type != 0 && p->nm_wanted && !p->nm_overflow) ti_node_reloc(e, r, rela, type, sym);
    }
  }
  return TI_OK;
}

ti_err ti_parse_relocs(ti_elf *e) {
  const ti_dyn_values *d = &e->p->d;
  ti_err err = ti_walk_relocs(e, d->rela, d->relasz, 1, d->relaent);
  if (err == TI_OK) err = ti_walk_relocs(e, d->rel, d->relsz, 0, d->relent);
  /* Some linkers fold the PLT relocations into DT_RELA's range: count them once. */
  int folded = d->jmprel >= d->rela && d->jmprel < d->rela + d->relasz;
  if (err == TI_OK && !folded) {
    int rela = d->pltrel == DT_RELA || (d->pltrel != DT_REL && d->rela);
    err = ti_walk_relocs(e, d->jmprel, d->pltrelsz, rela, rela ? d->relaent : d->relent);
  }
  e->info->models = ti_reloc_models(&e->info->relocs);
  return err;
}
