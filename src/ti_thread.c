/* The thread pointer and TLS variant of this machine, and glibc's private
 * symbols the budget needs (looked up at run time, so the core runs on musl). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include "ti_internal.h"

static ti_glibc_syms ti_glibc_cache;
static pthread_once_t ti_glibc_once = PTHREAD_ONCE_INIT;

static void ti_glibc_lookup(void) {
  ti_glibc_syms *s = &ti_glibc_cache;
  *(void **)&s->get_libc_version = dlsym(RTLD_DEFAULT, "gnu_get_libc_version");
  if (!s->get_libc_version) return; /* not glibc: the rest are glibc-private */
  *(void **)&s->get_tls_static_info = dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
  s->sizeof_pthread = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
  s->rseq_offset = dlsym(RTLD_DEFAULT, "__rseq_offset");
  s->rseq_size = dlsym(RTLD_DEFAULT, "__rseq_size");
}

const ti_glibc_syms *ti_glibc(void) {
  pthread_once(&ti_glibc_once, ti_glibc_lookup);
  return &ti_glibc_cache;
}

int ti_tls_variant(void) {
#if defined(__x86_64__) || defined(__i386__) || defined(__s390__)
  return 2;
#else
  return 1;
#endif
}

uintptr_t ti_thread_pointer(void) {
  uintptr_t tp = 0;
#if defined(__x86_64__)
  __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
#elif defined(__i386__)
  __asm__ volatile("mov %%gs:0, %0" : "=r"(tp));
#elif defined(__aarch64__)
  __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
#elif defined(__arm__)
  __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(tp));
#elif defined(__riscv)
  __asm__ volatile("mv %0, tp" : "=r"(tp));
#elif defined(__s390__)
  tp = (uintptr_t)__builtin_thread_pointer();
#elif defined(__powerpc64__)
  __asm__ volatile("mr %0, 13" : "=r"(tp));
  tp -= 0x7000;
#elif defined(__mips__)
  __asm__ volatile(".set push\n.set mips32r2\nrdhwr %0, $29\n.set pop" : "=r"(tp));
  tp -= 0x7000;
#endif
  return tp;
}

uint64_t ti_tcb_header(void) {
#if defined(__aarch64__) || defined(__arm__)
  return 2 * sizeof(void *);
#else
  return 0;
#endif
}

uint64_t ti_tls_distance(uintptr_t tp, uintptr_t block) {
  if (!tp) return TI_NOT_STATIC;
  if (ti_tls_variant() == 2) return block < tp ? (uint64_t)(tp - block) : TI_NOT_STATIC;
  return block >= tp ? (uint64_t)(block - tp) : TI_NOT_STATIC;
}

uint64_t ti_static_window_hint(void) {
  const ti_glibc_syms *g = ti_glibc();
  size_t size = 0, align = 0;
  if (!g->get_tls_static_info) return 0;
  g->get_tls_static_info(&size, &align);
  return size;
}
