/* Byte sources of the ELF analyzer (ti_elf_src.c): a file read with pread or a
 * buffer, the overflow-safe range check, bounded views and the seeded hash. */
#ifndef TI_ELF_SRC_H
#define TI_ELF_SRC_H

#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include "ti_core.h"

/* What one analysis may hold, whatever the input: tables, lists and windows
 * (TI_TABLE_BUDGET), and the bytes of every name it looks at (TI_NAME_BUDGET,
 * which also bounds the time spent scanning names).  Past either, the analysis
 * stops with TI_EMALFORMED naming the table. */
enum { TI_TABLE_BUDGET = 64u << 20, TI_NAME_BUDGET = 64u << 20 };
/* Tables walked (streamed) are refused beyond this size: it bounds the time
 * spent on a sparse file whose tables point into terabytes of holes. */
#ifndef TI_TABLE_MAX /* the file fuzzer builds with a smaller one: the same paths, less time per input */
#define TI_TABLE_MAX ((uint64_t)512 << 20)
#endif

typedef struct ti_src {
  const uint8_t *mem;   /* buffer source, or NULL for a file */
  int fd;
  int borrowed;         /* fd belongs to the caller: not closed here */
  uint64_t len;
  uint64_t dev, ino;     /* the file's identity (st_dev, st_ino), 0 for a buffer */
  struct timespec mtime, ctime; /* as fstat said when it was opened: with dev, ino and len, its version */
  struct ti_chunk *chunks;
  ti_err err;           /* sticky: I/O, memory or budget failure while reading */
  int over_budget;      /* err is TI_EMALFORMED because a budget ran out */
  uint64_t table_bytes; /* memory held, against TI_TABLE_BUDGET */
  uint64_t name_bytes;  /* name bytes looked at, against TI_NAME_BUDGET */
  uint8_t *names;       /* a window of string table read ahead, so nearby names cost no read */
  uint64_t names_off, names_len;
} ti_src;

/* A window over the file: entries read in order are served from one buffer,
 * refilled (one pread) when an entry falls outside it. */
typedef struct ti_window {
  uint8_t *buf;
  uint64_t off, len, cap;
} ti_window;

/* A string table: whole in memory when it fits the budget, otherwise names
 * are read one by one through the source's name window. */
typedef struct ti_strtab {
  const uint8_t *mem;
  uint64_t off, size;
} ti_strtab;

/* Every bit of x moved into the low ones (splitmix64's finalizer): hash
 * tables take their slots from the low bits. */
static inline uint64_t ti_mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* A hash of a whole NUL-terminated text, a word at a time.  The seed differs
 * per process (ti_hash_seed), so a file cannot be crafted to collide. */
uint64_t ti_text_hash(const char *s, uint64_t seed);
uint64_t ti_hash_seed(void);

/* The one overflow-safe range check: [off, off + size) lies within len. */
int ti_range_ok(uint64_t off, uint64_t size, uint64_t len);

/* Opens path (relative to dirfd, or AT_FDCWD) when it is a regular file: it is
 * checked before open and again after, so a FIFO or device is never opened
 * for reading and nothing blocks.  Out of descriptors, it waits and retries. */
ti_err ti_src_open_at(ti_src *s, int dirfd, const char *path);
/* Reads an open descriptor the caller keeps (and closes); refuses anything
 * that is not a regular file. */
ti_err ti_src_open_fd(ti_src *s, int fd);
/* openat with O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK and flags, once;
 * ti_open_at_retrying retries it for about 2 s while the process is out of descriptors. */
int ti_open_at_once(int dirfd, const char *path, int flags);
int ti_open_at_retrying(int dirfd, const char *path, int flags);
/* Reads up to size bytes at offset 0 (fewer when the file is shorter); *got says how many. */
ti_err ti_pread_head(int fd, void *buf, size_t size, size_t *got);
/* A system errno as the core's code (ENOENT -> TI_ENOENT, EACCES -> TI_EACCES...). */
ti_err ti_errno_err(int e);
uint64_t ti_src_next_data(ti_src *s, uint64_t off);
void ti_src_open_buffer(ti_src *s, const void *data, size_t len);
/* Charges bytes of memory to the table budget; 0 (s->err set) when it runs out. */
int ti_src_charge(ti_src *s, uint64_t bytes);
/* realloc for lists, charged to the table budget; NULL (s->err set) on failure. */
void *ti_src_grow(ti_src *s, void *items, size_t old_bytes, size_t new_bytes);
/* size bytes at off, kept until close and charged to the table budget; NULL when
 * out of range or unreadable (see s->err). */
const uint8_t *ti_src_view(ti_src *s, uint64_t off, uint64_t size);
/* size bytes at off for immediate use: a pointer into a buffer source, or a
 * copy in scratch (size must fit) for a file source.  Nothing is retained. */
const uint8_t *ti_src_window(ti_src *s, uint64_t off, uint64_t size, uint8_t *scratch);
/* A window of cap bytes (charged); ti_window_get returns size bytes at off, or
 * NULL, refilling the window with what lies between off and end (the end of
 * the table being walked) when needed. */
int ti_window_init(ti_src *s, ti_window *w, uint64_t cap);
const uint8_t *ti_window_get(ti_src *s, ti_window *w, uint64_t off, uint64_t size, uint64_t end);
/* Reads the table [off, off + size) whole when it fits the budget. */
void ti_strtab_load(ti_src *s, ti_strtab *t, uint64_t off, uint64_t size);
/* The NUL-terminated name at offset name inside the table, or NULL when it
 * does not end inside the table (or within TI_NAME_MAX bytes). */
const char *ti_strtab_get(ti_src *s, const ti_strtab *t, uint64_t name);
/* Closes the file; what was read stays valid until ti_src_close. */
void ti_src_release_fd(ti_src *s);
void ti_src_close(ti_src *s);

#endif
