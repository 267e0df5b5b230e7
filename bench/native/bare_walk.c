/* The floor for modules(): a bare dl_iterate_phdr walk as a Node-API call that
 * collects the same fields modules() returns (path, load bias, main, vDSO and
 * loader marks, PT_TLS, placement and offset, DF_STATIC_TLS, TLS relocation
 * counts), reading module memory directly and remembering relocation counts
 * per link-map generation as modules() does.  It hands them over in the
 * cheapest form (one string, one Float64Array) and builds no JS objects: what
 * modules() spends beyond this is its safety (no direct reads) and its
 * objects.  x86_64 and aarch64 only.  Built by bench/run.js with cc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

enum { FIELDS = 13, MAX_MODS = 256 };

typedef struct memo { uintptr_t base; unsigned long long adds, subs; double flag, counts[4], models; int valid; } memo;

typedef struct walk {
  char *paths; size_t at, cap;
  double *f; size_t n;
  uintptr_t tp, vdso; size_t static_size;
} walk;

static memo memos[MAX_MODS];
static char main_path[4096];

static int reloc_class(uint32_t type) { /* 0 tpoff, 1 dtpmod, 2 dtpoff, 3 tlsdesc, -1 other */
#if defined(__x86_64__)
  switch (type) {
  case R_X86_64_TPOFF64: case R_X86_64_TPOFF32: return 0;
  case R_X86_64_DTPMOD64: return 1;
  case R_X86_64_DTPOFF64: case R_X86_64_DTPOFF32: return 2;
  case R_X86_64_TLSDESC: return 3;
  }
#elif defined(__aarch64__)
  switch (type) {
  case R_AARCH64_TLS_TPREL: return 0;
  case R_AARCH64_TLS_DTPMOD: return 1;
  case R_AARCH64_TLS_DTPREL: return 2;
  case R_AARCH64_TLSDESC: return 3;
  }
#endif
  return -1;
}

static ElfW(Addr) abs_ptr(const struct dl_phdr_info *info, ElfW(Addr) v) {
  return v && v < info->dlpi_addr ? v + info->dlpi_addr : v; /* glibc makes most absolute */
}

static void count_table(const struct dl_phdr_info *info, ElfW(Addr) at, ElfW(Addr) size, ElfW(Addr) skip, double *c) {
  const ElfW(Rela) *r = (const ElfW(Rela) *)abs_ptr(info, at);
  for (size_t i = skip; r && i < size / sizeof *r; i++) {
    int k = reloc_class((uint32_t)ELF64_R_TYPE(r[i].r_info));
    if (k >= 0) c[k]++;
  }
}

static void relocs(const struct dl_phdr_info *info, const ElfW(Dyn) *d, memo *m) {
  ElfW(Addr) rela = 0, relasz = 0, relacount = 0, jmprel = 0, pltrelsz = 0, flags = 0;
  for (; d->d_tag != DT_NULL; d++) {
    switch (d->d_tag) {
    case DT_RELA: rela = d->d_un.d_ptr; break;
    case DT_RELASZ: relasz = d->d_un.d_val; break;
    case DT_RELACOUNT: relacount = d->d_un.d_val; break;
    case DT_JMPREL: jmprel = d->d_un.d_ptr; break;
    case DT_PLTRELSZ: pltrelsz = d->d_un.d_val; break;
    case DT_FLAGS: flags = d->d_un.d_val; break;
    }
  }
  m->flag = flags & DF_STATIC_TLS ? 16 : 0;
  count_table(info, rela, relasz, relacount, m->counts);
  if (jmprel && !(jmprel >= rela && jmprel < rela + relasz)) count_table(info, jmprel, pltrelsz, 0, m->counts);
  m->models = (m->counts[0] ? 1 : 0) | (m->counts[1] > 0 ? 2 : 0) | (m->counts[3] ? 8 : 0);
}

static void put_path(walk *w, const char *s, uintptr_t base) {
  size_t n = strlen(s);
  if (w->at + n + 24 > w->cap) return;
  memcpy(w->paths + w->at, s, n + 1);
  w->at += n + 1;
  w->at += (size_t)snprintf(w->paths + w->at, 24, "0x%lx", (unsigned long)base) + 1;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg) {
  walk *w = arg;
  size_t i = w->n++;
  double *f = w->f + i * FIELDS;
  const char *name = i == 0 ? main_path : info->dlpi_name ? info->dlpi_name : "";
  const char *slash = strrchr(name, '/');
  memo *m = &memos[i < MAX_MODS ? i : MAX_MODS - 1];
  (void)size;
  if (i >= MAX_MODS) return 1;
  put_path(w, name, info->dlpi_addr);
  memset(f, 0, FIELDS * sizeof *f);
  f[1] = (i == 0 ? 1 : 0) | (w->vdso && (uintptr_t)info->dlpi_phdr == w->vdso + ((const ElfW(Ehdr) *)w->vdso)->e_phoff ? 2 : 0) |
         (!strncmp(slash ? slash + 1 : name, "ld-linux", 8) ? 4 : 0);
  int fresh = !(m->valid && m->base == info->dlpi_addr && m->adds == info->dlpi_adds && m->subs == info->dlpi_subs);
  if (fresh) *m = (memo){info->dlpi_addr, info->dlpi_adds, info->dlpi_subs, 0, {0, 0, 0, 0}, 0, 1};
  for (size_t k = 0; k < info->dlpi_phnum; k++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
    if (ph->p_type == PT_TLS) {
      uintptr_t block = (uintptr_t)info->dlpi_tls_data;
      f[1] += 8;
      f[2] = (double)info->dlpi_tls_modid;
      f[3] = (double)ph->p_memsz;
      f[4] = (double)ph->p_filesz;
      f[5] = (double)ph->p_align;
      f[6] = !block ? 3 : block < w->tp && w->tp - block <= w->static_size ? 1 : 2;
      f[7] = f[6] == 1 ? (double)(w->tp - block) : -1;
    } else if (ph->p_type == PT_DYNAMIC && fresh) {
      relocs(info, (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr), m);
    }
  }
  f[1] += m->flag;
  memcpy(f + 8, m->counts, sizeof m->counts);
  f[12] = m->models;
  return 0;
}

static napi_value bare_walk(napi_env env, napi_callback_info cbinfo) {
  char paths[16384];
  double fields[MAX_MODS * FIELDS], *f = NULL;
  napi_value ab, data, str, out = NULL;
  void (*static_info)(size_t *, size_t *) = (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
  size_t align = 0;
  walk w = {paths, 0, sizeof paths, NULL, 0, 0, getauxval(AT_SYSINFO_EHDR), 0};
  (void)cbinfo;
  if (!main_path[0] && readlink("/proc/self/exe", main_path, sizeof main_path - 1) < 0) main_path[0] = '?';
  if (static_info) static_info(&w.static_size, &align);
#if defined(__x86_64__)
  __asm__ volatile("mov %%fs:0, %0" : "=r"(w.tp));
#elif defined(__aarch64__)
  __asm__ volatile("mrs %0, tpidr_el0" : "=r"(w.tp));
#endif
  w.f = fields;
  dl_iterate_phdr(visit, &w);
  if (napi_create_arraybuffer(env, w.n * FIELDS * sizeof(double), (void **)&f, &ab) != napi_ok) return NULL;
  memcpy(f, fields, w.n * FIELDS * sizeof(double));
  if (napi_create_typedarray(env, napi_float64_array, w.n * FIELDS, ab, 0, &data) != napi_ok ||
      napi_create_string_utf8(env, paths, w.at ? w.at - 1 : 0, &str) != napi_ok ||
      napi_create_object(env, &out) != napi_ok || napi_set_named_property(env, out, "paths", str) != napi_ok ||
      napi_set_named_property(env, out, "data", data) != napi_ok)
    return NULL;
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "bareWalk", NAPI_AUTO_LENGTH, bare_walk, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "bareWalk", fn) != napi_ok)
    return NULL;
  return exports;
}
