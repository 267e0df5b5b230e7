/* The static TLS area as a thread created now sees it: every static block
 * with its offset from the thread pointer, the extent in use, and (variant II)
 * the span struct pthread takes.  Measured once per link-map generation. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>
#include "ti_internal.h"

typedef struct ti_scan_ctx { uintptr_t tp; ti_static_scan *scan; } ti_scan_ctx;

/* The scan thread runs on a stack we hand it, so its top is known. */
typedef struct ti_scan_arg { ti_static_scan *scan; uintptr_t top; } ti_scan_arg;

static int ti_scan_one(struct dl_phdr_info *info, size_t size, void *arg) {
  ti_scan_ctx *c = arg;
  ti_static_scan *s = c->scan;
  (void)size;
  s->adds = info->dlpi_adds;
  s->subs = info->dlpi_subs;
  if (!info->dlpi_tls_data) return 0;
  uint64_t dist = ti_tls_distance(c->tp, (uintptr_t)info->dlpi_tls_data), extent = dist;
  if (dist > s->window) return 0;
  if (ti_tls_variant() == 1) extent += ti_phdrs_tls_size(info); /* blocks grow upwards: the end is what is used */
  if (extent > s->used) s->used = extent;
  if (s->count < sizeof s->blocks / sizeof s->blocks[0])
    s->blocks[s->count] = (ti_static_block){info->dlpi_addr, info->dlpi_tls_modid, dist};
  s->count++;
  return 0;
}

/* The rseq area's own size in glibc's "extra TLS" block (2.41+): the
 * kernel's feature size (AT_RSEQ_FEATURE_SIZE, at least the 32-byte ABI
 * minimum) rounded up to its alignment (AT_RSEQ_ALIGN, at least 32).  With
 * glibc.pthread.rseq=0 glibc reserves the 32-byte minimum instead: the same
 * on every kernel whose feature size is at most 32 (all of them to date). */
enum { TI_RSEQ_MIN = 32, TI_RSEQ_MAX = 4096 };
static uint64_t ti_rseq_area(void) {
  uint64_t size = getauxval(27), align = getauxval(28); /* AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN */
  if (size < TI_RSEQ_MIN || size > TI_RSEQ_MAX) size = TI_RSEQ_MIN;
  if (align < TI_RSEQ_MIN || align > TI_RSEQ_MAX || (align & (align - 1))) align = TI_RSEQ_MIN;
  return (size + align - 1) & ~(align - 1);
}

/* How far glibc 2.41+'s rseq area reaches into static TLS, 0 when it is not
 * there.  2.41 carves it out after the start-up blocks: variant II below them
 * (__rseq_offset < 0, the distance covers the area), variant I above them
 * (__rseq_offset > 0, its end counts).  Before 2.41 the area lies in struct
 * pthread, on the other side of the thread pointer: the sign rules it out. */
static uint64_t ti_rseq_extent(uint64_t window) {
  const ti_glibc_syms *g = ti_glibc();
  ptrdiff_t off = g->rseq_offset ? *g->rseq_offset : 0;
  uint64_t end;
  if (ti_tls_variant() == 2) end = off < 0 ? (uint64_t)-off : 0;
  else end = off > 0 ? (uint64_t)off + ti_rseq_area() : 0;
  return end <= window ? end : 0;
}

static void *ti_scan_thread(void *arg) {
  ti_scan_arg *a = arg;
  ti_static_scan *s = a->scan;
  ti_scan_ctx c = {ti_thread_pointer(), s};
  /* Variant II puts struct pthread at the top of a caller-provided stack,
     rounded down to the static alignment, with the thread pointer at its start:
     the span is the TCB size wherever the loader does not export it. */
  if (ti_tls_variant() == 2 && c.tp && c.tp < a->top) s->tcb_span = a->top - c.tp;
  dl_iterate_phdr(ti_scan_one, &c);
  uint64_t rseq = ti_rseq_extent(s->window);
  if (rseq > s->used) s->used = rseq;
  return NULL;
}

/* glibc carves static TLS (and struct pthread) out of the stack size asked
 * for: the thread gets what the static area takes, plus room to run. */
static size_t ti_scan_stack_size(size_t *base_align) {
  const ti_glibc_syms *g = ti_glibc();
  size_t size = 0, align = 0, page = (size_t)sysconf(_SC_PAGESIZE);
  if (g->get_tls_static_info) g->get_tls_static_info(&size, &align);
  if (page < 4096 || page & (page - 1)) page = 4096;
  /* The top aligned to the page and to the static alignment: no rounding but
     struct pthread's own sits between the top and the thread pointer. */
  *base_align = align > page && !(align & (align - 1)) && align <= (1u << 20) ? align : page;
  size += align + (g->sizeof_pthread ? *g->sizeof_pthread : 16384) + 128 * 1024 + page;
  return (size + *base_align - 1) & ~(*base_align - 1);
}

static ti_err ti_static_scan_thread(ti_static_scan *scan) {
  pthread_t th;
  pthread_attr_t attr;
  size_t align = 0, size = ti_scan_stack_size(&align);
  void *stack = NULL;
  ti_scan_arg arg = {scan, 0};
  int rc;
  scan->used = ti_tls_variant() == 1 ? ti_tcb_header() : 0; /* variant I: blocks start after the TCB */
  scan->count = 0;
  scan->tcb_span = 0;
  if (posix_memalign(&stack, align, size)) return TI_ENOMEM;
  arg.top = (uintptr_t)stack + size;
  rc = pthread_attr_init(&attr);
  if (!rc) {
    rc = pthread_attr_setstack(&attr, stack, size);
    if (!rc) rc = pthread_create(&th, &attr, ti_scan_thread, &arg);
    pthread_attr_destroy(&attr);
    if (!rc) rc = pthread_join(th, NULL);
  }
  free(stack); /* joined: the thread no longer runs on it */
  return rc ? TI_ETHREAD : TI_OK;
}

/* A fresh thread's view changes only when a module is loaded or unloaded:
 * measure once per link-map generation (and window). */
static pthread_mutex_t ti_scan_lock = PTHREAD_MUTEX_INITIALIZER;
static ti_static_scan ti_scan_cache;
static int ti_scan_valid;

ti_err ti_static_scan_run(ti_static_scan *scan) {
  unsigned long long adds, subs;
  int hit;
  ti_err e;
  ti_link_generation(&adds, &subs);
  pthread_mutex_lock(&ti_scan_lock);
  hit = ti_scan_valid && ti_scan_cache.window == scan->window && ti_scan_cache.adds == adds &&
        ti_scan_cache.subs == subs;
  if (hit) *scan = ti_scan_cache;
  pthread_mutex_unlock(&ti_scan_lock);
  if (hit) return TI_OK;
  e = ti_static_scan_thread(scan);
  /* Remembered only when nothing was loaded between the question and the
     thread's own walk: the thread then saw this generation's static blocks. */
  if (e == TI_OK && scan->adds == adds && scan->subs == subs) {
    pthread_mutex_lock(&ti_scan_lock);
    ti_scan_cache = *scan;
    ti_scan_valid = 1;
    pthread_mutex_unlock(&ti_scan_lock);
  }
  return e;
}

ti_err ti_static_tls_used(uint64_t window, uint64_t *used) {
  ti_static_scan scan;
  ti_err e;
  scan.window = window;
  e = ti_static_scan_run(&scan);
  if (e == TI_OK) *used = scan.used;
  return e;
}
