/* Shared internals of the live-process half of the core (not the file analyzer). */
#ifndef TI_INTERNAL_H
#define TI_INTERNAL_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include "ti_core.h"

/* glibc private entry points, looked up at run time so the core links on musl too. */
typedef struct ti_glibc_syms {
  const char *(*get_libc_version)(void);
  void (*get_tls_static_info)(size_t *size, size_t *align);
  const unsigned int *sizeof_pthread;
  const ptrdiff_t *rseq_offset;
  const unsigned int *rseq_size;
} ti_glibc_syms;

const ti_glibc_syms *ti_glibc(void);

/* 2 for TLS variant II (blocks below the thread pointer), 1 for variant I. */
int ti_tls_variant(void);
/* The thread pointer, less the fixed bias ppc64 and mips add to it, so that
 * distances are the loader's own block offsets; 0 where it is not read. */
uintptr_t ti_thread_pointer(void);
/* Bytes of thread control block between the thread pointer and the first
 * block on variant I (two pointers on aarch64 and arm, none on ppc64, mips, riscv). */
uint64_t ti_tcb_header(void);

#define TI_NOT_STATIC UINT64_MAX
/* Distance of a TLS block from the thread pointer, positive in the direction
 * the static area grows; TI_NOT_STATIC when the block is on the wrong side. */
uint64_t ti_tls_distance(uintptr_t tp, uintptr_t block);

/* Static-area size for the placement test: the loader's own figure when it
 * tells us, otherwise 0 (the walker then bounds it from the modules' sizes). */
uint64_t ti_static_window_hint(void);

/* What a thread created just now sees: every static block with its offset.
 * Static offsets never change while a module stays loaded, so callers whose
 * own thread has a stale view can borrow these. */
typedef struct ti_static_block { uintptr_t base; size_t modid; uint64_t offset; } ti_static_block;

typedef struct ti_static_scan {
  uint64_t window;       /* in: bytes from the thread pointer that count as static */
  uint64_t used;         /* out: largest extent used by static blocks */
  unsigned long long adds, subs; /* out: link-map generation seen */
  size_t count;          /* out: static blocks found (may exceed the array) */
  uint64_t tcb_span;     /* out: from the top of the scan thread's own stack down to its
                            thread pointer (variant II: struct pthread, rounded up to the
                            static alignment); 0 when not measured */
  ti_static_block blocks[128];
} ti_static_scan;

/* Runs the scan in a thread created for the purpose, or hands out the last
 * result while the link-map generation and window are unchanged. */
ti_err ti_static_scan_run(ti_static_scan *scan);


/* Copies len bytes of this process's memory at addr without loading them
 * directly: TI_EIO when a page cannot be read (a file mapping whose file was
 * truncated, an unmapped range), TI_ENOTSUP when no way to read is available
 * (process_vm_readv refused, /proc/self/mem and a pipe not usable). */
ti_err ti_peek(void *dst, uintptr_t addr, size_t len);

/* A loaded module's program headers, read through ti_peek: the first
 * TI_PHDR_KEEP kept here, any further one read when asked for. */
enum { TI_PHDR_KEEP = 32 };
typedef struct ti_phdrs {
  uintptr_t at;   /* dlpi_phdr */
  size_t count;   /* dlpi_phnum */
  ElfW(Phdr) kept[TI_PHDR_KEEP];
} ti_phdrs;

ti_err ti_phdrs_read(const struct dl_phdr_info *info, ti_phdrs *out);
ti_err ti_phdr_at(const ti_phdrs *p, size_t i, ElfW(Phdr) *out);
/* p_memsz of the module's PT_TLS, 0 when it has none or it cannot be read. */
uint64_t ti_phdrs_tls_size(const struct dl_phdr_info *info);

#endif
