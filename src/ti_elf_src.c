/* Byte sources for the ELF analyzer: a file read with pread (never mmap, so a
 * file truncated under us cannot raise SIGBUS) or a caller's buffer.  Every
 * view is bounds-checked once, here, and every byte held is charged to the
 * analysis's budget. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ti_elf_src.h"

typedef struct ti_chunk { struct ti_chunk *next; uint8_t data[]; } ti_chunk;

uint64_t ti_text_hash(const char *s, uint64_t seed) {
  size_t n = strlen(s);
  uint64_t h = seed ^ n, w;
  for (; n >= 8; n -= 8, s += 8) {
    memcpy(&w, s, 8);
    h = ti_mix(h ^ w);
  }
  w = 0;
  memcpy(&w, s, n);
  return ti_mix(h ^ w);
}

uint64_t ti_hash_seed(void) {
  static const char anchor = 0; /* where the loader put us: random under ASLR */
  /* and the kernel's 16 random bytes of this process (AT_RANDOM): the same for
   * every call, another in every process, with or without ASLR */
  const unsigned char *random = (const unsigned char *)(uintptr_t)getauxval(AT_RANDOM);
  uint64_t r = 0;
  if (random) memcpy(&r, random, sizeof r);
  return ti_mix((uintptr_t)&anchor ^ ti_mix(r));
}

int ti_range_ok(uint64_t off, uint64_t size, uint64_t len) {
  return off <= len && size <= len - off;
}

ti_err ti_errno_err(int e) {
  switch (e) {
  case ENOENT: case ENOTDIR: return TI_ENOENT;
  case ENAMETOOLONG: return TI_ENAMETOOLONG;
  case ELOOP: return TI_ELOOP;
  case EMFILE: case ENFILE: return TI_EMFILE;
  case EACCES: case EPERM: return TI_EACCES;
  case EISDIR: return TI_EISDIR;
  case ENOMEM: return TI_ENOMEM;
  default: return TI_EIO;
  }
}

static ti_err ti_stat_kind(const struct stat *st) {
  if (S_ISDIR(st->st_mode)) return TI_EISDIR;
  if (!S_ISREG(st->st_mode)) return TI_ENOTREG;
  return TI_OK;
}

/* Out of descriptors is usually a passing state (other analyses, other code of
 * the host closing theirs): wait a little and retry, within about 2 s. */
int ti_open_at_once(int dirfd, const char *path, int flags) {
  return openat(dirfd, path, flags | O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

ti_err ti_pread_head(int fd, void *buf, size_t size, size_t *got) {
  *got = 0;
  while (*got < size) { /* a file that shrank since fstat ends early */
    ssize_t n = pread(fd, (char *)buf + *got, size - *got, (off_t)*got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ti_errno_err(errno);
    if (n == 0) break;
    *got += (size_t)n;
  }
  return TI_OK;
}

int ti_open_at_retrying(int dirfd, const char *path, int flags) {
  long wait_ns = 1000000, waited_ns = 0;
  for (;;) {
    int fd = ti_open_at_once(dirfd, path, flags);
    if (fd >= 0 || (errno != EMFILE && errno != ENFILE) || waited_ns >= 2000000000L) return fd;
    struct timespec ts = {0, wait_ns};
    nanosleep(&ts, NULL);
    waited_ns += wait_ns;
    if (wait_ns < 64000000L) wait_ns *= 2;
    errno = EMFILE;
  }
}

ti_err ti_src_open_at(ti_src *s, int dirfd, const char *path) {
  struct stat st;
  ti_err e;
  int fd;
  memset(s, 0, sizeof *s);
  s->fd = -1;
  /* FIFOs and devices are refused before open, so nothing here can block. */
  if (ti_fstatat(dirfd, path, &st, 0) != 0) return ti_errno_err(errno);
  if ((e = ti_stat_kind(&st)) != TI_OK) return e;
  if ((fd = ti_open_at_retrying(dirfd, path, 0)) < 0) return ti_errno_err(errno);
  e = ti_src_open_fd(s, fd);
  s->borrowed = 0; /* ours: closed when reading ends */
  if (e != TI_OK) ti_src_release_fd(s);
  return e;
}

ti_err ti_src_open_fd(ti_src *s, int fd) {
  struct stat st;
  ti_err e;
  memset(s, 0, sizeof *s);
  s->fd = fd;
  s->borrowed = 1;
  if (ti_fstat(fd, &st) != 0) return ti_errno_err(errno);
  if ((e = ti_stat_kind(&st)) != TI_OK) return e; /* swapped between stat and open */
  s->len = (uint64_t)st.st_size;
  s->dev = (uint64_t)st.st_dev;
  s->ino = (uint64_t)st.st_ino;
  s->mtime = st.st_mtim;
  s->ctime = st.st_ctim;
  return TI_OK;
}

/* Where data resumes at or after off: a hole of a sparse file reads as zeros,
 * which a caller walking a table may skip without reading.  off itself when
 * that is unknown (a buffer, a filesystem without SEEK_DATA, an error); the
 * file's length when only a hole follows.  A borrowed descriptor's offset is
 * put back, so the caller's file position never moves. */
uint64_t ti_src_next_data(ti_src *s, uint64_t off) {
#ifdef SEEK_DATA
  if (s->mem || s->fd < 0 || off >= s->len) return off;
  off_t was = s->borrowed ? lseek(s->fd, 0, SEEK_CUR) : 0;
  off_t at = lseek(s->fd, (off_t)off, SEEK_DATA);
  int e = errno;
  if (s->borrowed && was >= 0) (void)lseek(s->fd, was, SEEK_SET);
  if (at < 0) return e == ENXIO ? s->len : off;
  return (uint64_t)at > off ? (uint64_t)at : off;
#else
  return off;
#endif
}

void ti_src_open_buffer(ti_src *s, const void *data, size_t len) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->mem = data;
  s->len = len;
}

static void ti_over_budget(ti_src *s) {
  if (s->err == TI_OK) {
    s->err = TI_EMALFORMED;
    s->over_budget = 1;
  }
}

int ti_src_charge(ti_src *s, uint64_t bytes) {
  if (s->err != TI_OK) return 0;
  if (bytes > TI_TABLE_BUDGET - s->table_bytes) {
    ti_over_budget(s);
    return 0;
  }
  s->table_bytes += bytes;
  return 1;
}

void *ti_src_grow(ti_src *s, void *items, size_t old_bytes, size_t new_bytes) {
  void *p;
  if (new_bytes < old_bytes || !ti_src_charge(s, new_bytes - old_bytes)) return NULL;
  if (!(p = realloc(items, new_bytes))) s->err = TI_ENOMEM;
  return p;
}

static ti_err ti_pread_all(int fd, uint8_t *buf, uint64_t size, uint64_t off, uint64_t *got) {
  *got = 0;
  while (*got < size) {
    ssize_t n = pread(fd, buf + *got, size - *got, (off_t)(off + *got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ti_errno_err(errno);
    if (n == 0) break; /* file shrank since fstat */
    *got += (uint64_t)n;
  }
  return TI_OK;
}

/* Exactly size bytes at off into buf, or the reason why not. */
static ti_err ti_pread_exact(ti_src *s, uint8_t *buf, uint64_t size, uint64_t off) {
  uint64_t got = 0;
  ti_err e = ti_pread_all(s->fd, buf, size, off, &got);
  return e == TI_OK && got < size ? TI_ETRUNCATED : e;
}

const uint8_t *ti_src_view(ti_src *s, uint64_t off, uint64_t size) {
  ti_chunk *c;
  if (s->err != TI_OK) return NULL;
  if (!ti_range_ok(off, size, s->len)) return NULL;
  if (s->mem) return s->mem + off;
  if (!ti_src_charge(s, size)) return NULL;
  c = malloc(sizeof *c + (size ? size : 1));
  if (!c) { s->err = TI_ENOMEM; return NULL; }
  c->next = s->chunks;
  s->chunks = c;
  s->err = ti_pread_exact(s, c->data, size, off);
  return s->err == TI_OK ? c->data : NULL;
}

const uint8_t *ti_src_window(ti_src *s, uint64_t off, uint64_t size, uint8_t *scratch) {
  if (s->err != TI_OK || !ti_range_ok(off, size, s->len)) return NULL;
  if (s->mem) return s->mem + off;
  s->err = ti_pread_exact(s, scratch, size, off);
  return s->err == TI_OK ? scratch : NULL;
}

int ti_window_init(ti_src *s, ti_window *w, uint64_t cap) {
  memset(w, 0, sizeof *w);
  if (s->mem) return 1; /* a buffer needs no window */
  if (!ti_src_charge(s, cap)) return 0;
  if (!(w->buf = malloc(cap))) { s->err = TI_ENOMEM; return 0; }
  w->cap = cap;
  return 1;
}

const uint8_t *ti_window_get(ti_src *s, ti_window *w, uint64_t off, uint64_t size, uint64_t end) {
  if (s->err != TI_OK || !ti_range_ok(off, size, s->len)) return NULL;
  if (s->mem) return s->mem + off;
  if (off >= w->off && ti_range_ok(off - w->off, size, w->len)) return w->buf + (off - w->off);
  if (size > w->cap) return NULL;
  if (end > s->len) end = s->len;
  if (end < off + size) end = off + size;
  uint64_t want = end - off < w->cap ? end - off : w->cap;
  w->len = 0;
  if ((s->err = ti_pread_exact(s, w->buf, want, off)) != TI_OK) return NULL;
  w->off = off;
  w->len = want;
  return w->buf;
}

enum { TI_NAME_MAX = 16384, TI_NAME_FIRST = 256, TI_NAMES_WINDOW = 4096 };

/* Charges the bytes of a name looked at; 0 when the budget is spent. */
static int ti_charge_name(ti_src *s, uint64_t bytes) {
  if (bytes > TI_NAME_BUDGET - s->name_bytes) {
    ti_over_budget(s);
    return 0;
  }
  s->name_bytes += bytes;
  return 1;
}

/* Keeps a copy of exactly the string: a hostile file pointing thousands of
 * symbols at long names costs their length, within a fixed budget. */
static const char *ti_keep_string(ti_src *s, const char *p, size_t len) {
  ti_chunk *c;
  if (!(c = malloc(sizeof *c + len + 1))) { s->err = TI_ENOMEM; return NULL; }
  memcpy(c->data, p, len);
  c->data[len] = '\0';
  c->next = s->chunks;
  s->chunks = c;
  return (const char *)c->data;
}

/* A name lying whole inside the read-ahead window, refilled at pos when pos is
 * outside it; NULL (no error) when the name runs past the window's end. */
static const char *ti_window_name(ti_src *s, uint64_t pos, uint64_t end) {
  uint64_t got = 0;
  const uint8_t *nul;
  if (!s->names && !(s->names = malloc(TI_NAMES_WINDOW))) return NULL;
  if (pos < s->names_off || pos >= s->names_off + s->names_len) {
    uint64_t want = end - pos < TI_NAMES_WINDOW ? end - pos : TI_NAMES_WINDOW;
    s->names_len = 0;
    if (ti_pread_all(s->fd, s->names, want, pos, &got) != TI_OK) return NULL;
    s->names_off = pos;
    s->names_len = got;
  }
  const uint8_t *at = s->names + (pos - s->names_off);
  uint64_t stop = s->names_off + s->names_len < end ? s->names_off + s->names_len : end; /* never past the table */
  if (!(nul = memchr(at, '\0', stop - pos))) return NULL;
  if (!ti_charge_name(s, (uint64_t)(nul - at) + 1)) return NULL;
  return ti_keep_string(s, (const char *)at, (size_t)(nul - at));
}

/* A name of a table too large to hold: read on demand, a little first. */
static const char *ti_read_name(ti_src *s, uint64_t table_off, uint64_t table_size, uint64_t off) {
  char buf[TI_NAME_MAX];
  uint64_t left = table_size - off, n = left < TI_NAME_MAX ? left : TI_NAME_MAX;
  const char *nul, *name;
  if ((name = ti_window_name(s, table_off + off, table_off + table_size)) || s->err != TI_OK) return name;
  for (uint64_t want = n < TI_NAME_FIRST ? n : TI_NAME_FIRST;; want = n) {
    if ((s->err = ti_pread_exact(s, (uint8_t *)buf, want, table_off + off)) != TI_OK) return NULL;
    nul = memchr(buf, '\0', want);
    if (!ti_charge_name(s, nul ? (uint64_t)(nul - buf) + 1 : want)) return NULL;
    if (nul) return ti_keep_string(s, buf, (size_t)(nul - buf));
    if (want == n) return NULL; /* unterminated, or longer than any name worth reporting */
  }
}

void ti_strtab_load(ti_src *s, ti_strtab *t, uint64_t off, uint64_t size) {
  t->off = off;
  t->size = size;
  t->mem = NULL;
  if (!ti_range_ok(off, size, s->len)) return;
  if (s->mem) { t->mem = s->mem + off; return; }
  if (size > TI_TABLE_BUDGET / 2 || size > TI_TABLE_BUDGET - s->table_bytes) return; /* names one by one */
  t->mem = ti_src_view(s, off, size);
}

const char *ti_strtab_get(ti_src *s, const ti_strtab *t, uint64_t name) {
  if (s->err != TI_OK || name >= t->size || !ti_range_ok(t->off, t->size, s->len)) return NULL;
  const uint8_t *base = t->mem ? t->mem : s->mem ? s->mem + t->off : NULL;
  if (!base) return ti_read_name(s, t->off, t->size, name);
  uint64_t left = t->size - name, n = left < TI_NAME_MAX ? left : TI_NAME_MAX;
  const uint8_t *at = base + name, *nul = memchr(at, '\0', n);
  if (!ti_charge_name(s, nul ? (uint64_t)(nul - at) + 1 : n)) return NULL;
  return nul ? (const char *)at : NULL;
}

void ti_src_release_fd(ti_src *s) {
  if (s->fd >= 0 && !s->borrowed) close(s->fd);
  s->fd = -1;
}

void ti_src_close(ti_src *s) {
  free(s->names);
  s->names = NULL;
  s->names_len = 0;
  while (s->chunks) {
    ti_chunk *next = s->chunks->next;
    free(s->chunks);
    s->chunks = next;
  }
  ti_src_release_fd(s);
}
