/* The link map of this process through dl_iterate_phdr: each loaded module's
 * program headers, dynamic section, TLS block and placement, read from memory
 * through the safe reader, remembered per module while the map is unchanged. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include "ti_core.h"
#include "ti_internal.h"

#if UINTPTR_MAX > 0xffffffffu
#define TI_R_SYM(i) ELF64_R_SYM(i)
#define TI_R_TYPE(i) ELF64_R_TYPE(i)
#else
#define TI_R_SYM(i) ELF32_R_SYM(i)
#define TI_R_TYPE(i) ELF32_R_TYPE(i)
#endif

/* Pointers and tags read from a module's in-memory dynamic section. */
typedef struct ti_live_dyn {
  ElfW(Addr) rela, relasz, relacount, rel, relsz, relcount, jmprel, pltrelsz, pltrel;
  ElfW(Addr) flags;
} ti_live_dyn;

typedef struct ti_walk_ctx {
  ti_linkmap *lm;
  size_t index;
  uintptr_t tp, vdso;
  unsigned machine;
} ti_walk_ctx;

static char ti_main_path[PATH_MAX];
static pthread_once_t ti_main_once = PTHREAD_ONCE_INIT;
static const char *ti_main_name_hint;

static void ti_main_path_init(void) {
  ssize_t n = -1;
  const char *fn = (const char *)getauxval(AT_EXECFN);
  if (ti_main_name_hint && ti_main_name_hint[0]) {
    if (realpath(ti_main_name_hint, ti_main_path)) return;
  }
  /* Run as "ld.so PROGRAM": the kernel started the loader itself (no AT_BASE),
     /proc/self/exe names the loader, and glibc 2.36+ points AT_EXECFN at the
     program it then loaded (older glibc leaves the loader's name there). */
  if (!getauxval(AT_BASE) && fn && realpath(fn, ti_main_path)) return;
  n = readlink("/proc/self/exe", ti_main_path, sizeof ti_main_path - 1);
  if (n > 0) { ti_main_path[n] = '\0'; return; }
  if (fn) strncpy(ti_main_path, fn, sizeof ti_main_path - 1);
}

ti_err ti_phdrs_read(const struct dl_phdr_info *info, ti_phdrs *out) {
  size_t keep = info->dlpi_phnum < TI_PHDR_KEEP ? info->dlpi_phnum : TI_PHDR_KEEP;
  out->at = (uintptr_t)info->dlpi_phdr;
  out->count = info->dlpi_phnum;
  return ti_peek(out->kept, out->at, keep * sizeof(ElfW(Phdr)));
}

ti_err ti_phdr_at(const ti_phdrs *p, size_t i, ElfW(Phdr) *out) {
  if (i < TI_PHDR_KEEP) {
    *out = p->kept[i];
    return TI_OK;
  }
  return ti_peek(out, p->at + i * sizeof(ElfW(Phdr)), sizeof *out);
}

uint64_t ti_phdrs_tls_size(const struct dl_phdr_info *info) {
  ti_phdrs p;
  ElfW(Phdr) ph;
  if (ti_phdrs_read(info, &p) != TI_OK) return 0;
  for (size_t i = 0; i < p.count && ti_phdr_at(&p, i, &ph) == TI_OK; i++)
    if (ph.p_type == PT_TLS) return ph.p_memsz;
  return 0;
}

/* A range is readable when it lies inside one PT_LOAD segment with PF_R. */
static int ti_live_readable(const ti_phdrs *p, uintptr_t base, uintptr_t addr, uint64_t size) {
  ElfW(Phdr) ph;
  for (size_t i = 0; i < p->count && ti_phdr_at(p, i, &ph) == TI_OK; i++) {
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_R)) continue;
    uintptr_t lo = base + ph.p_vaddr;
    if (addr >= lo && addr - lo <= ph.p_memsz && size <= ph.p_memsz - (addr - lo)) return 1;
  }
  return 0;
}

/* glibc rewrites most d_ptr values to absolute addresses; musl and read-only
 * dynamic sections (the vDSO) keep them relative.  Accept whichever maps. */
static uintptr_t ti_live_ptr(const ti_phdrs *p, uintptr_t base, ElfW(Addr) v, uint64_t size) {
  if (v == 0) return 0;
  if (ti_live_readable(p, base, v, size)) return v;
  if (ti_live_readable(p, base, v + base, size)) return v + base;
  return 0;
}

/* Takes the tags of one chunk of the dynamic section; 1 at DT_NULL. */
static int ti_live_dyn_take(const ElfW(Dyn) *d, size_t n, ti_live_dyn *out) {
  for (size_t i = 0; i < n; i++) {
    ElfW(Addr) v = d[i].d_un.d_ptr;
    switch (d[i].d_tag) {
    case DT_NULL: return 1;
    case DT_RELA: out->rela = v; break;
    case DT_RELASZ: out->relasz = v; break;
    case DT_RELACOUNT: out->relacount = v; break;
    case DT_REL: out->rel = v; break;
    case DT_RELSZ: out->relsz = v; break;
    case DT_RELCOUNT: out->relcount = v; break;
    case DT_JMPREL: out->jmprel = v; break;
    case DT_PLTRELSZ: out->pltrelsz = v; break;
    case DT_PLTREL: out->pltrel = v; break;
    case DT_FLAGS: out->flags = v; break;
    default: break;
    }
  }
  return 0;
}

static ti_err ti_live_dyn_read(uintptr_t addr, uint64_t memsz, ti_live_dyn *out) {
  ElfW(Dyn) chunk[32];
  size_t total = memsz / sizeof(ElfW(Dyn)), n;
  for (size_t at = 0; at < total; at += n) {
    n = total - at < 32 ? total - at : 32;
    ti_err e = ti_peek(chunk, addr + at * sizeof(ElfW(Dyn)), n * sizeof(ElfW(Dyn)));
    if (e != TI_OK) return e;
    if (ti_live_dyn_take(chunk, n, out)) break;
  }
  return TI_OK;
}

/* Where one relocation table lies and how to read it. */
typedef struct ti_live_table {
  ElfW(Addr) at, size, skip; /* `skip` leading entries are known RELATIVE */
  int rela;
} ti_live_table;

/* Counts TLS relocations in one table, a chunk at a time. */
static ti_err ti_live_count(const ti_phdrs *p, uintptr_t base, ti_live_table t, unsigned machine,
                            ti_reloc_counts *c) {
  union { ElfW(Rela) rela[16384 / sizeof(ElfW(Rela))]; ElfW(Rel) rel[16384 / sizeof(ElfW(Rel))]; } chunk;
  size_t ent = t.rela ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel)), per = sizeof chunk / ent, n;
  uintptr_t from = ti_live_ptr(p, base, t.at, t.size);
  if (!from || t.size % ent) return TI_OK;
  size_t total = t.size / ent;
  for (size_t i = t.skip < total ? t.skip : total; i < total; i += n) {
    n = total - i < per ? total - i : per;
    ti_err e = ti_peek(&chunk, from + i * ent, n * ent);
    if (e != TI_OK) return e;
    for (size_t k = 0; k < n; k++) {
      ElfW(Xword) r_info = t.rela ? chunk.rela[k].r_info : chunk.rel[k].r_info;
      ti_reloc_count(c, machine, (uint32_t)TI_R_TYPE(r_info), (uint32_t)TI_R_SYM(r_info));
    }
  }
  return TI_OK;
}

/* What never changes while a module stays loaded. */
typedef struct ti_live_facts {
  int has_tls, has_dynamic, static_tls_flag;
  uint64_t tls_size, tls_init_size, tls_align;
  ti_reloc_counts relocs;
} ti_live_facts;

static ti_err ti_live_relocs_read(const ti_phdrs *p, uintptr_t base, const ElfW(Phdr) *dyn,
                                  unsigned machine, ti_live_facts *f) {
  ti_live_dyn d = {0};
  uintptr_t addr = base + dyn->p_vaddr;
  ti_err e;
  if (!ti_live_readable(p, base, addr, dyn->p_memsz)) return TI_OK;
  if ((e = ti_live_dyn_read(addr, dyn->p_memsz, &d)) != TI_OK) return e;
  f->has_dynamic = 1;
  f->static_tls_flag = (d.flags & DF_STATIC_TLS) != 0;
  if ((e = ti_live_count(p, base, (ti_live_table){d.rela, d.relasz, d.relacount, 1}, machine, &f->relocs)) != TI_OK ||
      (e = ti_live_count(p, base, (ti_live_table){d.rel, d.relsz, d.relcount, 0}, machine, &f->relocs)) != TI_OK)
    return e;
  /* Some linkers fold the PLT relocations into DT_RELA's range: count them once. */
  int folded = d.jmprel >= d.rela && d.jmprel < d.rela + d.relasz;
  if (d.jmprel && !folded)
    e = ti_live_count(p, base, (ti_live_table){d.jmprel, d.pltrelsz, 0, d.pltrel != DT_REL}, machine, &f->relocs);
  return e;
}

/* Reads a module's facts from its memory.  On an error, what was read in
 * full is kept (TLS from the program headers) and the rest left empty. */
static ti_err ti_live_facts_read(const struct dl_phdr_info *info, unsigned machine, ti_live_facts *f) {
  ti_phdrs p;
  ElfW(Phdr) ph, dyn = {0};
  ti_err e = ti_phdrs_read(info, &p);
  memset(f, 0, sizeof *f);
  for (size_t k = 0; e == TI_OK && k < p.count; k++) {
    if ((e = ti_phdr_at(&p, k, &ph)) != TI_OK) break;
    if (ph.p_type == PT_TLS) {
      f->has_tls = 1;
      f->tls_size = ph.p_memsz;
      f->tls_init_size = ph.p_filesz;
      f->tls_align = ph.p_align;
    } else if (ph.p_type == PT_DYNAMIC) {
      dyn = ph;
    }
  }
  if (e != TI_OK) {
    memset(f, 0, sizeof *f);
    return e;
  }
  if (dyn.p_type == PT_DYNAMIC && (e = ti_live_relocs_read(&p, info->dlpi_addr, &dyn, machine, f)) != TI_OK) {
    f->has_dynamic = f->static_tls_flag = 0;
    memset(&f->relocs, 0, sizeof f->relocs);
  }
  return e;
}

/* Facts are remembered per position in the walk for one link-map generation
 * (the order of the link map is fixed until something is loaded or unloaded),
 * so repeated walks read no module memory at all.  Unreadable modules are not
 * remembered: they are tried again on the next walk. */
typedef struct ti_memo_slot {
  uintptr_t base, phdr;
  unsigned long long adds, subs;
  int valid;
  ti_live_facts facts;
} ti_memo_slot;

enum { TI_MEMO_SLOTS = 512 };
static pthread_mutex_t ti_memo_lock = PTHREAD_MUTEX_INITIALIZER;
static ti_memo_slot ti_memo[TI_MEMO_SLOTS];

static int ti_memo_same(const ti_memo_slot *s, const struct dl_phdr_info *info) {
  return s->valid && s->base == info->dlpi_addr && s->phdr == (uintptr_t)info->dlpi_phdr &&
         s->adds == info->dlpi_adds && s->subs == info->dlpi_subs;
}

static int ti_memo_get(size_t i, const struct dl_phdr_info *info, ti_live_facts *f) {
  int hit = 0;
  if (i >= TI_MEMO_SLOTS) return 0;
  pthread_mutex_lock(&ti_memo_lock);
  if ((hit = ti_memo_same(&ti_memo[i], info))) *f = ti_memo[i].facts;
  pthread_mutex_unlock(&ti_memo_lock);
  return hit;
}

static void ti_memo_put(size_t i, const struct dl_phdr_info *info, const ti_live_facts *f) {
  if (i >= TI_MEMO_SLOTS) return;
  pthread_mutex_lock(&ti_memo_lock);
  ti_memo[i] = (ti_memo_slot){info->dlpi_addr, (uintptr_t)info->dlpi_phdr, info->dlpi_adds, info->dlpi_subs, 1, *f};
  pthread_mutex_unlock(&ti_memo_lock);
}

static void ti_live_facts_apply(const ti_live_facts *f, ti_module *m) {
  m->has_tls = f->has_tls;
  m->tls_size = f->tls_size;
  m->tls_init_size = f->tls_init_size;
  m->tls_align = f->tls_align;
  m->has_dynamic = f->has_dynamic;
  m->static_tls_flag = f->static_tls_flag;
  m->relocs = f->relocs;
  m->models = ti_reloc_models(&f->relocs);
}

static const char *ti_live_path(ti_walk_ctx *ctx, const struct dl_phdr_info *info) {
  if (ctx->index == 0) {
    ti_main_name_hint = info->dlpi_name;
    pthread_once(&ti_main_once, ti_main_path_init);
    return ti_main_path;
  }
  return info->dlpi_name ? info->dlpi_name : "";
}

static const char *ti_arena_put(ti_linkmap *lm, const char *s) {
  size_t n = strlen(s) + 1, at = lm->strlen;
  lm->strlen += n;
  if (!lm->strings || lm->strlen > lm->strcap) return NULL;
  memcpy(lm->strings + at, s, n);
  return lm->strings + at;
}

static int ti_walk_one(struct dl_phdr_info *info, size_t size, void *arg) {
  ti_walk_ctx *ctx = arg;
  ti_linkmap *lm = ctx->lm;
  size_t i = ctx->index;
  ti_live_facts facts;
  (void)size;
  const char *path = ti_live_path(ctx, info);
  ctx->index++;
  lm->count = ctx->index;
  const char *stored = ti_arena_put(lm, path);
  if (i >= lm->cap || !stored) return 0; /* keep counting what is needed */
  ti_module *m = &lm->mods[i];
  memset(m, 0, sizeof *m);
  m->path = stored;
  m->base = info->dlpi_addr;
  m->is_main = i == 0;
  m->is_vdso = ctx->vdso && (uintptr_t)info->dlpi_phdr == ctx->vdso + ((const ElfW(Ehdr) *)ctx->vdso)->e_phoff;
  m->tls_modid = info->dlpi_tls_modid;
  m->tls_block = (uintptr_t)info->dlpi_tls_data;
  if (!ti_memo_get(i, info, &facts)) {
    if (ti_live_facts_read(info, ctx->machine, &facts) == TI_OK) ti_memo_put(i, info, &facts);
    else m->unreadable = 1;
  }
  ti_live_facts_apply(&facts, m);
  return 0;
}

/* The static offset of a block this thread's stale DTV does not show yet,
 * borrowed from what a fresh thread sees (ti_static_scan keeps it per
 * link-map generation). */
static int ti_borrow_offset(const ti_module *m, uint64_t window, uint64_t *off) {
  ti_static_scan *scan = malloc(sizeof *scan);
  int found = 0;
  if (scan) {
    scan->window = window;
    if (ti_static_scan_run(scan) != TI_OK) scan->count = 0;
    for (size_t k = 0; k < scan->count && k < 128 && !found; k++) {
      const ti_static_block *b = &scan->blocks[k];
      if (b->base == m->base && b->modid == m->tls_modid) {
        *off = b->offset;
        found = 1;
      }
    }
    free(scan);
  }
  return found;
}

static void ti_place(ti_walk_ctx *ctx, uint64_t window) {
  ti_linkmap *lm = ctx->lm;
  for (size_t i = 0; i < lm->count && i < lm->cap; i++) {
    ti_module *m = &lm->mods[i];
    uint64_t dist = TI_NOT_STATIC;
    if (!m->has_tls) continue;
    if (m->tls_block) dist = ti_tls_distance(ctx->tp, m->tls_block);
    if (!m->tls_block && ti_borrow_offset(m, window, &dist)) {
      m->placement = TI_PLACE_STATIC; /* set up for every thread, not yet in this DTV */
      m->tls_offset = (int64_t)dist;
    } else if (!m->tls_block) {
      m->placement = TI_PLACE_UNALLOCATED;
    } else if (dist <= window) {
      m->placement = TI_PLACE_STATIC;
      m->tls_offset = (int64_t)dist;
    } else {
      m->placement = TI_PLACE_DYNAMIC;
    }
  }
}

/* Without the loader's figure (musl): start-up blocks are packed next to each
 * other from the thread pointer outwards, each at most its size plus its
 * alignment beyond the previous one.  A block allocated later by dlopen lies
 * elsewhere and breaks the chain.  Returns the chain's extent. */
static uint64_t ti_chain_window(const ti_linkmap *lm, uintptr_t tp) {
  uint64_t reach = 64; /* room for the thread control block's own TLS words */
  int grew = 1;
  while (grew) {
    grew = 0;
    for (size_t i = 0; i < lm->count && i < lm->cap; i++) {
      const ti_module *m = &lm->mods[i];
      uint64_t dist = m->has_tls && m->tls_block ? ti_tls_distance(tp, m->tls_block) : TI_NOT_STATIC;
      if (dist == TI_NOT_STATIC) continue;
      uint64_t extent = ti_tls_variant() == 2 ? dist : dist + m->tls_size;
      uint64_t start = ti_tls_variant() == 2 ? dist - m->tls_size : dist;
      if (extent > reach && start <= reach + m->tls_align) {
        reach = extent;
        grew = 1;
      }
    }
  }
  return reach;
}

static void ti_mark_loader(ti_linkmap *lm) {
  static const char *const loaders[] = {"ld-linux", "ld-musl", "ld64.so", "ld.so"};
  for (size_t i = 0; i < lm->count && i < lm->cap; i++)
    for (size_t k = 0; k < sizeof loaders / sizeof loaders[0]; k++)
      if (ti_base_has_prefix(lm->mods[i].path, loaders[k])) lm->mods[i].is_loader = 1;
}

static int ti_generation_one(struct dl_phdr_info *info, size_t size, void *arg) {
  unsigned long long *gen = arg;
  (void)size;
  gen[0] = info->dlpi_adds;
  gen[1] = info->dlpi_subs;
  return 1; /* the first module tells */
}

void ti_link_generation(unsigned long long *adds, unsigned long long *subs) {
  unsigned long long gen[2] = {0, 0};
  dl_iterate_phdr(ti_generation_one, gen);
  *adds = gen[0];
  *subs = gen[1];
}

ti_err ti_linkmap_walk(ti_linkmap *lm) {
  ti_walk_ctx walk = {0}, *ctx = &walk;
  uint64_t window = lm->static_window;
  lm->count = 0;
  lm->strlen = 0;
  ctx->lm = lm;
  ctx->tp = ti_thread_pointer();
  ctx->vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
  ctx->machine = ti_native_machine();
  dl_iterate_phdr(ti_walk_one, ctx);
  if (lm->count > lm->cap || lm->strlen > lm->strcap) return TI_ERANGE;
  if (!window) window = ti_static_window_hint();
  if (!window) window = ti_chain_window(lm, ctx->tp);
  ti_place(ctx, window);
  ti_mark_loader(lm);
  return TI_OK;
}

ti_err ti_static_chain_used(uint64_t *used) {
  ti_module *mods = calloc(512, sizeof *mods);
  char *strings = malloc(1 << 16);
  ti_linkmap lm = {mods, 512, 0, strings, 1 << 16, 0, 0};
  ti_err e = mods && strings ? TI_OK : TI_ENOMEM;
  if (e == TI_OK) e = ti_linkmap_walk(&lm);
  *used = 0;
  for (size_t i = 0; e == TI_OK && i < lm.count; i++)
    if (mods[i].placement == TI_PLACE_STATIC) {
      uint64_t extent = ti_tls_variant() == 2 ? (uint64_t)mods[i].tls_offset
                                              : (uint64_t)mods[i].tls_offset + mods[i].tls_size;
      if (extent > *used) *used = extent;
    }
  free(mods);
  free(strings);
  return e;
}

/* ---- the names a loaded object goes by: its DT_SONAME and what it needs ---- */

enum { TI_NAMES_MAX = 64, TI_NAME_CAP = 512 };

/* names: room for the soname and TI_NAMES_MAX needed names, from the heap:
 * a thread-local buffer would give the addon 33 KB of TLS in every thread. */
typedef struct ti_names_ctx {
  ti_link_names_fn fn;
  void *arg;
  size_t index;
  char (*names)[TI_NAME_CAP];
} ti_names_ctx;

/* A NUL-terminated string of the module's memory at addr, at most cap - 1 bytes. */
static int ti_live_string(uintptr_t addr, char *out, size_t cap) {
  size_t got = 0;
  while (got + 1 < cap) {
    size_t n = cap - 1 - got < 64 ? cap - 1 - got : 64;
    if (ti_peek(out + got, addr + got, n) != TI_OK) return 0;
    for (size_t k = 0; k < n; k++)
      if (!out[got + k]) return 1;
    got += n;
  }
  out[cap - 1] = '\0';
  return 0; /* longer than any name worth matching */
}

static void ti_names_one(const struct dl_phdr_info *info, ti_names_ctx *c) {
  ti_phdrs p;
  ElfW(Phdr) ph;
  ElfW(Dyn) d[32];
  uintptr_t dyn = 0, strtab = 0;
  uint64_t dynsz = 0, soname = UINT64_MAX, needed[TI_NAMES_MAX];
  size_t n_needed = 0;
  char (*names)[TI_NAME_CAP] = c->names;
  const char *list[TI_NAMES_MAX];
  if (ti_phdrs_read(info, &p) != TI_OK) return;
  for (size_t k = 0; k < p.count && ti_phdr_at(&p, k, &ph) == TI_OK; k++)
    if (ph.p_type == PT_DYNAMIC) { dyn = info->dlpi_addr + ph.p_vaddr; dynsz = ph.p_memsz; }
  if (!dyn || !ti_live_readable(&p, info->dlpi_addr, dyn, dynsz)) return;
  for (size_t at = 0, done = 0; !done && at < dynsz / sizeof(ElfW(Dyn)); at += 32) {
    size_t n = dynsz / sizeof(ElfW(Dyn)) - at < 32 ? dynsz / sizeof(ElfW(Dyn)) - at : 32;
    if (ti_peek(d, dyn + at * sizeof(ElfW(Dyn)), n * sizeof(ElfW(Dyn))) != TI_OK) return;
    for (size_t k = 0; k < n && !done; k++) {
      if (d[k].d_tag == DT_NULL) done = 1;
      else if (d[k].d_tag == DT_STRTAB) strtab = d[k].d_un.d_ptr;
      else if (d[k].d_tag == DT_SONAME) soname = d[k].d_un.d_val;
      else if (d[k].d_tag == DT_NEEDED && n_needed < TI_NAMES_MAX) needed[n_needed++] = d[k].d_un.d_val;
    }
  }
  if (!(strtab = ti_live_ptr(&p, info->dlpi_addr, strtab, 1))) return;
  int has_soname = soname != UINT64_MAX && ti_live_string(strtab + soname, names[TI_NAMES_MAX], TI_NAME_CAP);
  size_t kept = 0;
  for (size_t k = 0; k < n_needed; k++)
    if (ti_live_string(strtab + needed[k], names[kept], TI_NAME_CAP)) list[kept] = names[kept], kept++;
  c->fn(c->arg, c->index, has_soname ? names[TI_NAMES_MAX] : NULL, list, kept);
}

static int ti_names_walk(struct dl_phdr_info *info, size_t size, void *arg) {
  ti_names_ctx *c = arg;
  (void)size;
  ti_names_one(info, c);
  c->index++;
  return 0;
}

ti_err ti_link_names(ti_link_names_fn fn, void *arg) {
  ti_names_ctx c = {fn, arg, 0, malloc((TI_NAMES_MAX + 1) * sizeof *c.names)};
  if (!c.names) return TI_ENOMEM;
  dl_iterate_phdr(ti_names_walk, &c);
  free(c.names);
  return TI_OK;
}
