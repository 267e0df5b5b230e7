/* An analysis packed into one string table and one array of numbers, so that
 * it crosses to JavaScript (or to another thread) in two values instead of
 * thousands of property writes.  Plain C: any thread may pack a finished
 * ti_elf_info.  lib/file/analyze.js reads the layout below in the same order.
 *
 *   nums: TI_PACK_FORMAT,
 *     class, big_endian, machine, type, @machine_name, @interpreter, @soname,
 *     flags, has_tls, tls_size, tls_init_size, tls_align,
 *     tpoff, dtpmod, dtpoff, tlsdesc, tpoff_own, tlsdesc_own,
 *     @min_glibc, @min_glibcxx, @libc, has_section_headers, has_symtab, @file_id (st_dev:st_ino),
 *     light (1: a light analysis, whose symbol and relocation fields were not read), tls_vaddr,
 *     napi_declared, node_abi, node_context_aware (a legacy addon's struct node_module),
 *     @file_version (file_id:size:mtime:ctime of what was read),
 *     needed, rpath, runpath, version_defs, TLS models: each n, then n @strings
 *     version needs by file: a group list (below) of @file -> @versions
 *     TLS symbols: n, then (@name, @demangled, size, bind, defined) each
 *     imports: n, then (@name, @version, @from, @type, bits, plt, got, other, hash) each,
 *       hash: ti_name_hash32 of the name with the process's seed, as a signed 32-bit number,
 *       bits: 1 weak, 2 initial_exec, 4 tlsdesc; 16 when the file's own exports
 *       were looked up for it (those packed with a table), 8 when one of them
 *       defines it as a lookup in this file alone would bind it
 *     imports by version: a group list of @version -> @names
 *     Node-API imports (napi_*, node_api_*): n, then n @names, sorted, each once
 *     entry points (exports named napi_register_module_v* or node_register_module_v*):
 *       n, then (@name, @version, hidden) each, in .dynsym order, also when the
 *       exports are deferred: what Node looks up needs no other export
 *     exports: n, then (@name, @version, hidden) each; n is -1 when they were
 *       deferred (TI_PACK_DEFER_EXPORTS: ti_elf_pack_exports packs them on first use;
 *       with TI_PACK_TABLE_ONLY the table below is still packed, its indexes
 *       those of the exports packed later)
 *     versioned (1 when any export has a version)
 *     exports by name: cap, seed, longest walk, then cap slots of two numbers,
 *       (hash, i + 1) for export i ((0, 0): empty), hash ti_name_hash32 of the
 *       name's bytes and the seed as a signed 32-bit number, open addressing
 *       from hash & (cap - 1), every entry within `longest walk` steps of its
 *       home; cap is 0 when a name is not ASCII or an entry would be further
 *       than TI_EXPORT_PROBES (the reader then indexes them itself)
 *   where @x is the ordinal of a string in `strings` (NUL-separated), -1 for
 *   none, and a group list is n, then (@key, count, count @values) per group,
 *   groups in order of first appearance, each value once per group: grouping
 *   here costs less than hashing thousands of fresh strings in JavaScript. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "ti_core.h"
#include "ti_elf_src.h"

enum { TI_PACK_FORMAT = 10, TI_PACK_HEADER = 31, TI_IMPORT_NUMS = 9 };

/* Strings shared by many entries (versions, files, type names) are written
 * once: a small open-addressing map from text to ordinal.  Text, not
 * pointer: a name read on its own from a table too large to hold is a fresh
 * copy each time, and the packed result must not depend on how it was read. */
typedef struct ti_shared { const char **keys; double *refs; size_t cap, n; uint64_t seed; } ti_shared;

typedef struct ti_packer { ti_packed *pk; ti_shared shared; ti_err err; size_t imports_at; } ti_packer;

double ti_packed_str(ti_packed *pk, const char *s, size_t len) {
  if (pk->strings_len + len + 1 > pk->strings_cap) {
    size_t cap = (pk->strings_cap + len + 1) * 2;
    char *p = realloc(pk->strings, cap);
    if (!p) return -1;
    pk->strings = p;
    pk->strings_cap = cap;
  }
  memcpy(pk->strings + pk->strings_len, s, len);
  pk->strings[pk->strings_len + len] = '\0';
  pk->strings_len += len + 1;
  return (double)pk->n_strings++;
}

int ti_packed_num(ti_packed *pk, double v) {
  if (pk->n_nums == pk->nums_cap) {
    double *p = realloc(pk->nums, (pk->nums_cap * 2 + 16) * sizeof *p);
    if (!p) return 0;
    pk->nums = p;
    pk->nums_cap = pk->nums_cap * 2 + 16;
  }
  pk->nums[pk->n_nums++] = v;
  return 1;
}

static double ti_str(ti_packer *w, const char *s) {
  double ref;
  if (!s || w->err != TI_OK) return -1;
  if ((ref = ti_packed_str(w->pk, s, strlen(s))) < 0) w->err = TI_ENOMEM;
  return ref;
}

static size_t ti_shared_slot(const ti_shared *m, const char *s) {
  return ti_text_hash(s, m->seed) & (m->cap - 1);
}

static int ti_shared_grow(ti_packer *w) {
  ti_shared *m = &w->shared, old = *m;
  m->cap = old.cap ? old.cap * 2 : 64;
  m->n = 0;
  m->keys = calloc(m->cap, sizeof *m->keys);
  m->refs = malloc(m->cap * sizeof *m->refs);
  if (!m->keys || !m->refs) {
    free(m->keys);
    free(m->refs);
    *m = old;
    w->err = TI_ENOMEM;
    return 0;
  }
  for (size_t i = 0; i < old.cap; i++) {
    if (!old.keys[i]) continue;
    size_t k = ti_shared_slot(m, old.keys[i]);
    while (m->keys[k]) k = (k + 1) & (m->cap - 1);
    m->keys[k] = old.keys[i];
    m->refs[k] = old.refs[i];
    m->n++;
  }
  free(old.keys);
  free(old.refs);
  return 1;
}

static double ti_shared_str(ti_packer *w, const char *s) {
  ti_shared *m = &w->shared;
  size_t k;
  if (!s) return -1;
  if ((m->n + 1) * 2 > m->cap && !ti_shared_grow(w)) return -1;
  for (k = ti_shared_slot(m, s); m->keys[k]; k = (k + 1) & (m->cap - 1))
    if (m->keys[k] == s || !strcmp(m->keys[k], s)) return m->refs[k];
  m->keys[k] = s;
  m->refs[k] = ti_str(w, s);
  m->n++;
  return m->refs[k];
}

static inline void ti_num(ti_packer *w, double v) { /* sized in advance: only a layout change grows it */
  ti_packed *pk = w->pk;
  if (pk->n_nums < pk->nums_cap) pk->nums[pk->n_nums++] = v;
  else if (!ti_packed_num(pk, v)) w->err = TI_ENOMEM;
}

static void ti_pack_list(ti_packer *w, const char *const *list, size_t n) {
  ti_num(w, (double)n);
  for (size_t i = 0; i < n; i++) ti_num(w, ti_str(w, list[i]));
}

static void ti_pack_models(ti_packer *w, unsigned models) {
  const char *names[8];
  size_t n = 0;
  for (unsigned bit = 1; bit <= TI_MODEL_TLSDESC; bit <<= 1)
    if (models & bit) names[n++] = ti_model_name(bit);
  ti_pack_list(w, names, n);
}

static void ti_pack_header(ti_packer *w, const ti_elf_info *info) {
  const double head[] = {TI_PACK_FORMAT, info->elf_class, info->big_endian, info->machine, info->type,
    ti_str(w, ti_machine_name(info->machine)), ti_str(w, info->interpreter), ti_str(w, info->soname),
    info->flags, info->has_tls, (double)info->tls_size, (double)info->tls_init_size, (double)info->tls_align,
    info->relocs.tpoff, info->relocs.dtpmod, info->relocs.dtpoff, info->relocs.tlsdesc,
    info->tpoff_own, info->tlsdesc_own,
    ti_str(w, info->min_glibc), ti_str(w, info->min_glibcxx), ti_str(w, ti_file_libc_name(info->libc)),
    info->has_section_headers, info->has_symtab, ti_str(w, info->file_id[0] ? info->file_id : NULL), info->light,
    (double)info->tls_vaddr, (double)info->napi_declared, (double)info->node_abi, info->node_context_aware,
    ti_str(w, info->file_version[0] ? info->file_version : NULL)};
  for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) ti_num(w, head[i]);
}

static void ti_pack_tls(ti_packer *w, const ti_elf_info *info, ti_demangle_fn demangle) {
  char demangled[1024];
  ti_num(w, (double)info->n_tls_symbols);
  for (size_t i = 0; i < info->n_tls_symbols; i++) {
    const ti_tls_symbol *t = &info->tls_symbols[i];
    ti_num(w, ti_str(w, t->name));
    ti_num(w, demangle && demangle(t->name, demangled, sizeof demangled) == TI_OK ? ti_str(w, demangled) : -1);
    ti_num(w, (double)t->size);
    ti_num(w, t->bind);
    ti_num(w, t->defined);
  }
}

/* ---- group lists ---- */

typedef struct ti_grouping {
  const char *const *keys, *const *values; /* per item; a NULL key: in no group */
  size_t n, n_groups, cap;
  uint32_t *group_of, *first, *counts, *slots, *pair_slots;
  uint64_t seed;
} ti_grouping;

/* The group of item i's key, made when new. */
static uint32_t ti_group_find(ti_grouping *g, size_t i) {
  size_t k = ti_text_hash(g->keys[i], g->seed) & (g->cap - 1);
  for (; g->slots[k] != UINT32_MAX; k = (k + 1) & (g->cap - 1))
    if (!strcmp(g->keys[g->first[g->slots[k]]], g->keys[i])) return g->slots[k];
  g->first[g->n_groups] = (uint32_t)i;
  g->slots[k] = (uint32_t)g->n_groups;
  return (uint32_t)g->n_groups++;
}

/* Whether item i's (key, value) pair came before in its group. */
static int ti_group_repeat(ti_grouping *g, size_t i) {
  size_t k = ti_mix(ti_text_hash(g->values[i], g->seed) ^ g->group_of[i]) & (g->cap - 1);
  for (; g->pair_slots[k] != UINT32_MAX; k = (k + 1) & (g->cap - 1)) {
    uint32_t o = g->pair_slots[k];
    if (g->group_of[o] == g->group_of[i] && !strcmp(g->values[o], g->values[i])) return 1;
  }
  g->pair_slots[k] = (uint32_t)i;
  return 0;
}

static void ti_group_assign(ti_grouping *g) {
  for (size_t i = 0; i < g->n; i++) {
    g->group_of[i] = UINT32_MAX;
    if (!g->keys[i] || !g->values[i]) continue;
    g->group_of[i] = ti_group_find(g, i);
    if (ti_group_repeat(g, i)) g->group_of[i] = UINT32_MAX;
    else g->counts[g->group_of[i]]++;
  }
}

/* Emits the group list of the items (refs: each item's value ordinal):
 * room for every group first, then each member straight into its place. */
static void ti_group_emit(ti_packer *w, ti_grouping *g, const double *refs) {
  size_t base, total = 0;
  for (size_t k = 0; k < g->n_groups; k++) total += 2 + g->counts[k];
  ti_num(w, (double)g->n_groups);
  base = w->pk->n_nums;
  for (size_t k = 0; k < total; k++) ti_num(w, 0);
  if (w->err != TI_OK) return;
  for (size_t k = 0, at = base; k < g->n_groups; at += 2 + g->counts[k], k++) {
    w->pk->nums[at] = ti_shared_str(w, g->keys[g->first[k]]);
    w->pk->nums[at + 1] = g->counts[k];
    g->first[k] = (uint32_t)(at + 2 - base); /* from here on: where the group's next member goes */
  }
  for (size_t i = 0; i < g->n; i++)
    if (g->group_of[i] != UINT32_MAX) w->pk->nums[base + g->first[g->group_of[i]]++] = refs[i];
}

static void ti_pack_groups(ti_packer *w, const char *const *keys, const char *const *values, const double *refs, size_t n) {
  ti_grouping g = {keys, values, n, 0, 16, NULL, NULL, NULL, NULL, NULL, w->shared.seed};
  while (g.cap < n * 2) g.cap *= 2;
  g.group_of = malloc((n + 1) * sizeof *g.group_of);
  g.first = malloc((n + 1) * sizeof *g.first);
  g.counts = calloc(n + 1, sizeof *g.counts);
  g.slots = malloc(g.cap * sizeof *g.slots);
  g.pair_slots = malloc(g.cap * sizeof *g.pair_slots);
  if (!g.group_of || !g.first || !g.counts || !g.slots || !g.pair_slots) w->err = TI_ENOMEM;
  if (w->err == TI_OK) {
    memset(g.slots, 0xff, g.cap * sizeof *g.slots);
    memset(g.pair_slots, 0xff, g.cap * sizeof *g.pair_slots);
    ti_group_assign(&g);
    ti_group_emit(w, &g, refs);
  }
  free(g.group_of);
  free(g.first);
  free(g.counts);
  free(g.slots);
  free(g.pair_slots);
}

static void ti_pack_needs(ti_packer *w, const ti_elf_info *info) {
  size_t n = info->n_version_needs;
  const char **keys = malloc((n + 1) * sizeof *keys), **values = malloc((n + 1) * sizeof *values);
  double *refs = malloc((n + 1) * sizeof *refs);
  if (!keys || !values || !refs) w->err = TI_ENOMEM;
  for (size_t i = 0; w->err == TI_OK && i < n; i++) {
    keys[i] = info->version_needs[i].file;
    values[i] = info->version_needs[i].version;
    refs[i] = ti_shared_str(w, values[i]);
  }
  if (w->err == TI_OK) ti_pack_groups(w, keys, values, refs, n);
  free(keys);
  free(values);
  free(refs);
}

static int ti_is_napi(const char *name) {
  return name[0] == 'n' && (!strncmp(name, "napi_", 5) || !strncmp(name, "node_api_", 9));
}

typedef struct ti_named_ref { const char *name; double ref; } ti_named_ref;

static int ti_named_ref_cmp(const void *a, const void *b) {
  return strcmp(((const ti_named_ref *)a)->name, ((const ti_named_ref *)b)->name);
}

/* The Node-API functions among the imports, sorted and each once (what the
 * version table lookup in JS wants). */
static void ti_pack_napi(ti_packer *w, const ti_elf_info *info, const double *name_refs) {
  ti_named_ref *napi = malloc((info->n_imports + 1) * sizeof *napi);
  size_t n = 0, kept = 0;
  if (!napi) { w->err = TI_ENOMEM; return; }
  for (size_t i = 0; i < info->n_imports; i++)
    if (ti_is_napi(info->imports[i].name)) napi[n++] = (ti_named_ref){info->imports[i].name, name_refs[i]};
  if (n > 1) qsort(napi, n, sizeof *napi, ti_named_ref_cmp);
  for (size_t i = 0; i < n; i++)
    if (!i || strcmp(napi[i].name, napi[i - 1].name)) napi[kept++] = napi[i];
  ti_num(w, (double)kept);
  for (size_t i = 0; i < kept; i++) ti_num(w, napi[i].ref);
  free(napi);
}

static uint32_t ti_name_hash32(const char *s, uint32_t seed);

/* The imports, then the lists made of them: by version, and Node-API's. */
static void ti_pack_imports(ti_packer *w, const ti_elf_info *info) {
  size_t n = info->n_imports;
  double types[16], version = -1, from = -1, *name_refs = malloc((n + 1) * sizeof *name_refs);
  const char *last_version = NULL, *last_from = NULL, **keys = malloc((n + 1) * sizeof *keys);
  const char **values = malloc((n + 1) * sizeof *values);
  if (!name_refs || !keys || !values) w->err = TI_ENOMEM;
  for (size_t i = 0; i < 16; i++) types[i] = -2;
  ti_num(w, (double)n);
  w->imports_at = w->pk->n_nums;
  for (size_t i = 0; w->err == TI_OK && i < n; i++) {
    const ti_import *m = &info->imports[i];
    if (m->version != last_version) version = ti_shared_str(w, last_version = m->version);
    if (m->from != last_from) from = ti_shared_str(w, last_from = m->from);
    if (types[m->type & 15] == -2) types[m->type & 15] = ti_shared_str(w, ti_sym_type_name(m->type));
    const double f[TI_IMPORT_NUMS] = {name_refs[i] = ti_str(w, m->name), version, from, types[m->type & 15],
      m->weak | m->initial_exec << 1 | m->tlsdesc << 2, m->plt, m->got, m->other,
      (double)(int32_t)ti_name_hash32(m->name, (uint32_t)w->shared.seed)};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) ti_num(w, f[k]);
    keys[i] = m->version;
    values[i] = m->name;
  }
  if (w->err == TI_OK) ti_pack_groups(w, keys, values, name_refs, n);
  if (w->err == TI_OK) ti_pack_napi(w, info, name_refs);
  free(name_refs);
  free(keys);
  free(values);
}

static void ti_pack_export(ti_packer *w, const ti_export *e) {
  ti_num(w, ti_str(w, e->name));
  ti_num(w, ti_shared_str(w, e->version));
  ti_num(w, e->hidden);
}

static void ti_pack_exports(ti_packer *w, const ti_elf_info *info) {
  ti_num(w, (double)info->n_exports);
  for (size_t i = 0; i < info->n_exports; i++) ti_pack_export(w, &info->exports[i]);
}

static int ti_is_entry_point(const char *name) {
  return name[0] == 'n' && (!strncmp(name, "napi_register_module_v", 22) || !strncmp(name, "node_register_module_v", 22));
}

/* The exports Node looks up in an addon (its ABI and Node-API entry points). */
static void ti_pack_entry_points(ti_packer *w, const ti_elf_info *info) {
  size_t n = 0;
  for (size_t i = 0; i < info->n_exports; i++) n += (size_t)ti_is_entry_point(info->exports[i].name);
  ti_num(w, (double)n);
  for (size_t i = 0; i < info->n_exports && n; i++)
    if (ti_is_entry_point(info->exports[i].name)) ti_pack_export(w, &info->exports[i]);
}

/* A 32-bit hash of a name, four bytes to a step (names of C++ exports run to
 * hundreds of bytes), finished with murmur3's fmix32 so that the low bits
 * that pick a slot depend on every byte.  The seed is per process (packed with
 * the table), so names cannot be chosen to collide.  lib/file/analyze.js
 * computes the same over the char codes of an ASCII name. */
static uint32_t ti_name_hash32(const char *s, uint32_t seed) {
  uint32_t h = 2166136261u ^ seed;
  size_t n = strlen(s), i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t w = (uint32_t)(unsigned char)s[i] | (uint32_t)(unsigned char)s[i + 1] << 8 |
                 (uint32_t)(unsigned char)s[i + 2] << 16 | (uint32_t)(unsigned char)s[i + 3] << 24;
    h = (h ^ w) * 16777619u;
  }
  if (i < n) {
    uint32_t w = 0;
    for (size_t k = 0; i + k < n; k++) w |= (uint32_t)(unsigned char)s[i + k] << (8 * k);
    h = (h ^ w) * 16777619u;
  }
  h ^= (uint32_t)n ^ (seed >> 7);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}

/* The longest walk from a name's home slot to its entry; a table that would
 * need more is not kept (the reader indexes the exports itself), so neither a
 * lookup nor the building can be made quadratic whatever the names are. */
enum { TI_EXPORT_PROBES = 64 };

static int ti_all_ascii(const char *s, size_t n);

/* Places every export in slots[2 * cap] (hash, 1 + index), each within
 * TI_EXPORT_PROBES of its home slot; the longest walk, or -1 when one would
 * be longer. */
static int ti_place_exports(const ti_elf_info *info, size_t cap, uint32_t seed, double *slots) {
  int longest = 0;
  for (size_t i = 0; i < info->n_exports; i++) {
    uint32_t h = ti_name_hash32(info->exports[i].name, seed);
    size_t k = h & (cap - 1);
    int walk = 0;
    while (slots[2 * k + 1] != 0) {
      if (++walk > TI_EXPORT_PROBES) return -1;
      k = (k + 1) & (cap - 1);
    }
    slots[2 * k] = (double)(int32_t)h;
    slots[2 * k + 1] = (double)(i + 1);
    if (walk > longest) longest = walk;
  }
  return longest;
}

/* Whether export e binds an import of `version` looked up in this file (the
 * rule of lib/loader/symbols.js: a versioned reference in a file with
 * versioned exports wants that version; otherwise an unversioned or default
 * definition). */
static int ti_export_binds(const ti_export *e, const char *version, int versioned) {
  if (version && *version && versioned) return e->version && !strcmp(e->version, version); /* "" is no version (JS: falsy) */
  return !e->version || !e->hidden;
}

/* Marks each import (bits 16, and 8 when defined) by the file's own exports,
 * found through the table just placed: the reader's most frequent question
 * about the file, answered with hashes already made. */
static void ti_mark_own_definitions(ti_packer *w, const ti_elf_info *info, const double *slots, size_t cap, int longest,
                                    int versioned) {
  for (size_t i = 0; i < info->n_imports && w->imports_at; i++) {
    const ti_import *m = &info->imports[i];
    int32_t h = (int32_t)w->pk->nums[w->imports_at + TI_IMPORT_NUMS * i + 8]; /* packed with the import, same seed */
    int defined = 0;
    for (size_t k = (uint32_t)h & (cap - 1), steps = 0; steps <= (size_t)longest && !defined; k = (k + 1) & (cap - 1), steps++) {
      if (slots[2 * k + 1] == 0) break;
      const ti_export *e = &info->exports[(size_t)slots[2 * k + 1] - 1];
      defined = slots[2 * k] == (double)h && !strcmp(e->name, m->name) && ti_export_binds(e, m->version, versioned);
    }
    w->pk->nums[w->imports_at + TI_IMPORT_NUMS * i + 4] += 16 + (defined ? 8 : 0);
  }
}

/* The exports by the hash of their names (layout above): the reader finds a
 * name in a few steps instead of hashing every export of every file it judges.
 * Layout: versioned, cap, seed, longest walk, then cap (hash, 1 + index) pairs. */
static void ti_pack_export_table(ti_packer *w, const ti_elf_info *info) {
  size_t n = info->n_exports, cap = 0, base;
  int versioned = 0, usable = 1, longest = 0;
  uint32_t seed = (uint32_t)w->shared.seed; /* the imports' hashes were made with it too */
  for (size_t i = 0; i < n; i++) {
    versioned |= info->exports[i].version != NULL;
    usable = usable && ti_all_ascii(info->exports[i].name, strlen(info->exports[i].name));
  }
  ti_num(w, versioned);
  if (usable && n) for (cap = 16; cap < n + n / 2; cap *= 2) {} /* at most two thirds full */
  base = w->pk->n_nums + 3;
  for (size_t k = 0; k < 3 + 2 * cap; k++) ti_num(w, 0);
  if (w->err != TI_OK) return;
  if (cap && (longest = ti_place_exports(info, cap, seed, w->pk->nums + base)) < 0) {
    w->pk->n_nums = base; /* dropped: cap 0, nothing after it */
    cap = longest = 0;
  }
  w->pk->nums[base - 3] = (double)cap;
  w->pk->nums[base - 2] = (double)(int32_t)seed; /* as a signed 32-bit number (the same bits): the numbers stay an Int32Array */
  w->pk->nums[base - 1] = (double)longest;
  if (cap) ti_mark_own_definitions(w, info, w->pk->nums + base, cap, longest, versioned);
}

static int ti_all_ascii(const char *s, size_t n) {
  uint64_t any = 0, w;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    memcpy(&w, s + i, 8);
    any |= w;
  }
  for (; i < n; i++) any |= (unsigned char)s[i];
  return (any & 0x8080808080808080ull) == 0;
}

/* Whether the exports get a table by name hash (some, all ASCII): only then
 * can their names be left for later (a reader without a table needs them). */
static int ti_exports_tabled(const ti_elf_info *info) {
  for (size_t i = 0; i < info->n_exports; i++)
    if (!ti_all_ascii(info->exports[i].name, strlen(info->exports[i].name))) return 0;
  return info->n_exports > 0;
}

static ti_err ti_pack_end(ti_packer *w) {
  free(w->shared.keys);
  free(w->shared.refs);
  if (w->err == TI_OK) ti_packed_finish(w->pk);
  else ti_packed_free(w->pk);
  return w->err;
}

/* Packing names costs in proportion to their count (the node binary's 74,000
 * exports are most of its analysis): with TI_PACK_DEFER_EXPORTS, a file with
 * more than TI_PACK_EAGER_EXPORTS exports leaves them out (n = -1, an empty
 * table), for ti_elf_pack_exports to pack when a reader first needs them. */
ti_err ti_elf_pack_as(const ti_elf_info *info, ti_demangle_fn demangle, unsigned how, ti_packed *out) {
  ti_packer w = {out, {NULL, NULL, 0, 0, ti_hash_seed()}, TI_OK, 0};
  int defer = (how & TI_PACK_DEFER_ALL_EXPORTS) || ((how & TI_PACK_DEFER_EXPORTS) && info->n_exports > TI_PACK_EAGER_EXPORTS);
  size_t n_exports = defer ? 0 : info->n_exports;
  memset(out, 0, sizeof *out);
  out->nums_cap = TI_PACK_HEADER + 5 + info->n_needed + info->n_rpath + info->n_runpath + info->n_version_defs + 4 +
                  1 + 3 * info->n_version_needs + 1 + 5 * info->n_tls_symbols + 1 + TI_IMPORT_NUMS * info->n_imports +
                  1 + 3 * info->n_imports + 1 + info->n_imports + 1 + 3 * n_exports + 4 + 6 * n_exports + 32 + 1 + 3 * 4;
  out->strings_cap = info->name_bytes + 4096;
  if (!(out->nums = malloc(out->nums_cap * sizeof *out->nums)) || !(out->strings = malloc(out->strings_cap))) {
    ti_packed_free(out);
    return TI_ENOMEM;
  }
  ti_pack_header(&w, info);
  ti_pack_list(&w, info->needed, info->n_needed);
  ti_pack_list(&w, info->rpath, info->n_rpath);
  ti_pack_list(&w, info->runpath, info->n_runpath);
  ti_pack_list(&w, info->version_defs, info->n_version_defs);
  ti_pack_models(&w, info->models);
  ti_pack_needs(&w, info);
  ti_pack_tls(&w, info, demangle);
  ti_pack_imports(&w, info);
  ti_pack_entry_points(&w, info);
  if (defer) {
    const double none[] = {-1, 0, 0, 0, 0}; /* deferred; not versioned, cap, seed, longest: no table */
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) ti_num(&w, none[i]);
  } else if ((how & TI_PACK_TABLE_ONLY) && ti_exports_tabled(info)) {
    ti_num(&w, -1);
    ti_pack_export_table(&w, info);
  } else {
    ti_pack_exports(&w, info);
    ti_pack_export_table(&w, info);
  }
  return ti_pack_end(&w);
}

ti_err ti_elf_pack(const ti_elf_info *info, ti_demangle_fn demangle, ti_packed *out) {
  return ti_elf_pack_as(info, demangle, 0, out);
}

/* The exports alone: TI_PACK_FORMAT, then exports and the table by name as
 * laid out above. */
ti_err ti_elf_pack_exports(const ti_elf_info *info, ti_packed *out) {
  ti_packer w = {out, {NULL, NULL, 0, 0, ti_hash_seed()}, TI_OK, 0};
  memset(out, 0, sizeof *out);
  out->nums_cap = 1 + 1 + 3 * info->n_exports + 4 + 6 * info->n_exports + 32;
  out->strings_cap = info->name_bytes + 4096;
  if (!(out->nums = malloc(out->nums_cap * sizeof *out->nums)) || !(out->strings = malloc(out->strings_cap))) {
    ti_packed_free(out);
    return TI_ENOMEM;
  }
  ti_num(&w, TI_PACK_FORMAT);
  ti_pack_exports(&w, info);
  ti_pack_export_table(&w, info);
  return ti_pack_end(&w);
}

void ti_packed_finish(ti_packed *pk) {
  if (pk->strings_len) pk->strings_len--; /* no separator after the last */
  pk->ascii = ti_all_ascii(pk->strings, pk->strings_len);
}

void ti_packed_free(ti_packed *pk) {
  free(pk->strings);
  free(pk->nums);
  memset(pk, 0, sizeof *pk);
}
