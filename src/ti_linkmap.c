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
  unsigned long long adds, subs;
} ti_walk_ctx;

/* Static offsets borrowed from a fresh thread, for blocks this thread's stale
 * DTV does not show yet; valid for one link-map generation. */
static pthread_mutex_t ti_borrow_lock = PTHREAD_MUTEX_INITIALIZER;
static ti_static_scan ti_borrow;
static int ti_borrow_valid;

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

/* A range is readable when it lies inside one PT_LOAD segment with PF_R. */
static int ti_live_readable(const struct dl_phdr_info *info, uintptr_t addr, uint64_t size) {
  for (size_t i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R)) continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    if (addr >= lo && addr - lo <= ph->p_memsz && size <= ph->p_memsz - (addr - lo)) return 1;
  }
  return 0;
}

/* glibc rewrites most d_ptr values to absolute addresses; musl and read-only
 * dynamic sections (the vDSO) keep them relative.  Accept whichever maps. */
static uintptr_t ti_live_ptr(const struct dl_phdr_info *info, ElfW(Addr) v, uint64_t size) {
  if (v == 0) return 0;
  if (ti_live_readable(info, v, size)) return v;
  if (ti_live_readable(info, v + info->dlpi_addr, size)) return v + info->dlpi_addr;
  return 0;
}

static void ti_live_dyn_read(const ElfW(Dyn) *d, size_t max, ti_live_dyn *out) {
  for (size_t i = 0; i < max && d[i].d_tag != DT_NULL; i++) {
    ElfW(Addr) v = d[i].d_un.d_ptr;
    switch (d[i].d_tag) {
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
}

/* Counts TLS relocations in one table; `skip` leading entries are known RELATIVE. */
static void ti_live_count(const struct dl_phdr_info *info, ElfW(Addr) table, ElfW(Addr) size,
                          int rela, ElfW(Addr) skip, unsigned machine, ti_reloc_counts *c) {
  size_t ent = rela ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel));
  uintptr_t p = ti_live_ptr(info, table, size);
  if (!p || size % ent) return;
  size_t n = size / ent;
  for (size_t i = skip < n ? skip : n; i < n; i++) {
    ElfW(Xword) r_info = rela ? ((const ElfW(Rela) *)p)[i].r_info : ((const ElfW(Rel) *)p)[i].r_info;
    ti_reloc_count(c, machine, (uint32_t)TI_R_TYPE(r_info), (uint32_t)TI_R_SYM(r_info));
  }
}

/* Relocation counts never change while a module stays loaded: remember them
 * per (base, dynamic section) for one link-map generation, so repeated walks
 * read no relocation tables. */
static void ti_live_relocs_scan(const struct dl_phdr_info *info, const ElfW(Phdr) *dyn,
                                unsigned machine, ti_module *m);

typedef struct ti_reloc_memo {
  uintptr_t base, dyn;
  int static_tls_flag, has_dynamic;
  ti_reloc_counts relocs;
} ti_reloc_memo;

static pthread_mutex_t ti_memo_lock = PTHREAD_MUTEX_INITIALIZER;
static ti_reloc_memo ti_memo[256];
static size_t ti_memo_count;
static unsigned long long ti_memo_adds, ti_memo_subs;

static int ti_memo_get(const struct dl_phdr_info *info, uintptr_t dyn, ti_module *m) {
  int hit = 0;
  pthread_mutex_lock(&ti_memo_lock);
  if (ti_memo_adds != info->dlpi_adds || ti_memo_subs != info->dlpi_subs) {
    ti_memo_count = 0;
    ti_memo_adds = info->dlpi_adds;
    ti_memo_subs = info->dlpi_subs;
  }
  for (size_t i = 0; i < ti_memo_count && !hit; i++) {
    if (ti_memo[i].base != info->dlpi_addr || ti_memo[i].dyn != dyn) continue;
    m->relocs = ti_memo[i].relocs;
    m->static_tls_flag = ti_memo[i].static_tls_flag;
    m->has_dynamic = ti_memo[i].has_dynamic;
    hit = 1;
  }
  pthread_mutex_unlock(&ti_memo_lock);
  return hit;
}

static void ti_memo_put(const struct dl_phdr_info *info, uintptr_t dyn, const ti_module *m) {
  pthread_mutex_lock(&ti_memo_lock);
  if (ti_memo_adds == info->dlpi_adds && ti_memo_subs == info->dlpi_subs &&
      ti_memo_count < sizeof ti_memo / sizeof ti_memo[0])
    ti_memo[ti_memo_count++] = (ti_reloc_memo){info->dlpi_addr, dyn, m->static_tls_flag, m->has_dynamic, m->relocs};
  pthread_mutex_unlock(&ti_memo_lock);
}

static void ti_live_relocs(const struct dl_phdr_info *info, const ElfW(Phdr) *dyn,
                           unsigned machine, ti_module *m) {
  uintptr_t addr = info->dlpi_addr + dyn->p_vaddr;
  if (!ti_memo_get(info, addr, m)) {
    ti_live_relocs_scan(info, dyn, machine, m);
    ti_memo_put(info, addr, m);
  }
  m->models = ti_reloc_models(&m->relocs);
}

static void ti_live_relocs_scan(const struct dl_phdr_info *info, const ElfW(Phdr) *dyn,
                                unsigned machine, ti_module *m) {
  ti_live_dyn d = {0};
  uintptr_t addr = info->dlpi_addr + dyn->p_vaddr;
  if (!ti_live_readable(info, addr, dyn->p_memsz)) return;
  m->has_dynamic = 1;
  ti_live_dyn_read((const ElfW(Dyn) *)addr, dyn->p_memsz / sizeof(ElfW(Dyn)), &d);
  m->static_tls_flag = (d.flags & DF_STATIC_TLS) != 0;
  ti_live_count(info, d.rela, d.relasz, 1, d.relacount, machine, &m->relocs);
  ti_live_count(info, d.rel, d.relsz, 0, d.relcount, machine, &m->relocs);
  /* Some linkers fold the PLT relocations into DT_RELA's range: count them once. */
  int folded = d.jmprel >= d.rela && d.jmprel < d.rela + d.relasz;
  if (d.jmprel && !folded)
    ti_live_count(info, d.jmprel, d.pltrelsz, d.pltrel != DT_REL, 0, machine, &m->relocs);
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
  (void)size;
  const char *path = ti_live_path(ctx, info);
  ctx->index++;
  lm->count = ctx->index;
  const char *stored = ti_arena_put(lm, path);
  if (i >= lm->cap || !stored) return 0; /* keep counting what is needed */
  ti_module *m = &lm->mods[i];
  ctx->adds = info->dlpi_adds;
  ctx->subs = info->dlpi_subs;
  memset(m, 0, sizeof *m);
  m->path = stored;
  m->base = info->dlpi_addr;
  m->is_main = i == 0;
  m->is_vdso = ctx->vdso && (uintptr_t)info->dlpi_phdr == ctx->vdso + ((const ElfW(Ehdr) *)ctx->vdso)->e_phoff;
  m->tls_modid = info->dlpi_tls_modid;
  m->tls_block = (uintptr_t)info->dlpi_tls_data;
  for (size_t k = 0; k < info->dlpi_phnum; k++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
    if (ph->p_type == PT_TLS) {
      m->has_tls = 1;
      m->tls_size = ph->p_memsz;
      m->tls_init_size = ph->p_filesz;
      m->tls_align = ph->p_align;
    } else if (ph->p_type == PT_DYNAMIC) {
      ti_live_relocs(info, ph, ctx->machine, m);
    }
  }
  return 0;
}

static int ti_borrow_offset(ti_walk_ctx *ctx, const ti_module *m, uint64_t window, uint64_t *off) {
  int found = 0;
  pthread_mutex_lock(&ti_borrow_lock);
  if (!ti_borrow_valid || ti_borrow.window != window || ti_borrow.adds != ctx->adds ||
      ti_borrow.subs != ctx->subs) {
    ti_borrow.window = window;
    ti_borrow_valid = ti_static_scan_run(&ti_borrow) == TI_OK;
  }
  for (size_t k = 0; ti_borrow_valid && k < ti_borrow.count && k < 128 && !found; k++) {
    const ti_static_block *b = &ti_borrow.blocks[k];
    if (b->base == m->base && b->modid == m->tls_modid) {
      *off = b->offset;
      found = 1;
    }
  }
  pthread_mutex_unlock(&ti_borrow_lock);
  return found;
}

static void ti_place(ti_walk_ctx *ctx, uint64_t window) {
  ti_linkmap *lm = ctx->lm;
  for (size_t i = 0; i < lm->count && i < lm->cap; i++) {
    ti_module *m = &lm->mods[i];
    uint64_t dist = TI_NOT_STATIC;
    if (!m->has_tls) continue;
    if (m->tls_block) dist = ti_tls_distance(ctx->tp, m->tls_block);
    if (!m->tls_block && ti_borrow_offset(ctx, m, window, &dist)) {
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
