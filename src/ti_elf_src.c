/* Byte sources for the ELF analyzer: a file read with pread (never mmap, so a
 * file truncated under us cannot raise SIGBUS) or a caller's buffer.  Every
 * view is bounds-checked once, here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ti_elf_src.h"

enum { TI_VIEW_MAX = 512u << 20 }; /* no real table is this large; refuse absurd sizes */

typedef struct ti_chunk { struct ti_chunk *next; uint8_t data[]; } ti_chunk;

int ti_range_ok(uint64_t off, uint64_t size, uint64_t len) {
  return off <= len && size <= len - off;
}

static ti_err ti_errno_err(int e) {
  switch (e) {
  case ENOENT: case ENOTDIR: case ELOOP: case ENAMETOOLONG: return TI_ENOENT;
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

ti_err ti_src_open_file(ti_src *s, const char *path) {
  struct stat st;
  ti_err e;
  memset(s, 0, sizeof *s);
  s->fd = -1;
  /* FIFOs and devices are refused before open, so nothing here can block. */
  if (ti_stat(path, &st) != 0) return ti_errno_err(errno);
  if ((e = ti_stat_kind(&st)) != TI_OK) return e;
  s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (s->fd < 0) return ti_errno_err(errno);
  if (ti_fstat(s->fd, &st) != 0) return ti_errno_err(errno);
  if ((e = ti_stat_kind(&st)) != TI_OK) return e; /* swapped between stat and open */
  s->len = (uint64_t)st.st_size;
  return TI_OK;
}

void ti_src_open_buffer(ti_src *s, const void *data, size_t len) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->mem = data;
  s->len = len;
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

const uint8_t *ti_src_view(ti_src *s, uint64_t off, uint64_t size) {
  ti_chunk *c;
  uint64_t got = 0;
  if (s->err != TI_OK) return NULL;
  if (!ti_range_ok(off, size, s->len)) return NULL;
  if (s->mem) return s->mem + off;
  if (size > TI_VIEW_MAX) { s->err = TI_EMALFORMED; return NULL; }
  c = malloc(sizeof *c + (size ? size : 1));
  if (!c) { s->err = TI_ENOMEM; return NULL; }
  c->next = s->chunks;
  s->chunks = c;
  s->err = ti_pread_all(s->fd, c->data, size, off, &got);
  if (s->err == TI_OK && got < size) s->err = TI_ETRUNCATED;
  return s->err == TI_OK ? c->data : NULL;
}

enum { TI_NAME_MAX = 16384, TI_NAME_FIRST = 256, TI_STRING_BUDGET = 64u << 20 };

/* Keeps a copy of exactly the string: a hostile file pointing thousands of
 * symbols at long names costs their length, within a fixed budget. */
static const char *ti_keep_string(ti_src *s, const char *p, size_t len) {
  ti_chunk *c;
  if (s->string_bytes + len + 1 > TI_STRING_BUDGET) { s->err = TI_EMALFORMED; return NULL; }
  if (!(c = malloc(sizeof *c + len + 1))) { s->err = TI_ENOMEM; return NULL; }
  memcpy(c->data, p, len + 1);
  c->next = s->chunks;
  s->chunks = c;
  s->string_bytes += len + 1;
  return (const char *)c->data;
}

enum { TI_NAMES_WINDOW = 4096 };

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
  return ti_keep_string(s, (const char *)at, (size_t)(nul - at));
}

const char *ti_src_string(ti_src *s, uint64_t table_off, uint64_t table_size, uint64_t off) {
  char buf[TI_NAME_MAX];
  uint64_t left, n, got = 0;
  const char *nul, *name;
  if (s->err != TI_OK || off >= table_size || !ti_range_ok(table_off, table_size, s->len)) return NULL;
  left = table_size - off;
  n = left < TI_NAME_MAX ? left : TI_NAME_MAX;
  if (s->mem) return memchr(s->mem + table_off + off, '\0', n) ? (const char *)s->mem + table_off + off : NULL;
  if ((name = ti_window_name(s, table_off + off, table_off + table_size)) || s->err != TI_OK) return name;
  /* most names are short: read a little first, the rest only when needed */
  for (uint64_t want = n < TI_NAME_FIRST ? n : TI_NAME_FIRST;; want = n) {
    s->err = ti_pread_all(s->fd, (uint8_t *)buf, want, table_off + off, &got);
    if (s->err != TI_OK) return NULL;
    if (got < want) { s->err = TI_ETRUNCATED; return NULL; }
    if ((nul = memchr(buf, '\0', want))) return ti_keep_string(s, buf, (size_t)(nul - buf));
    if (want == n) return NULL; /* unterminated, or longer than any name worth reporting */
  }
}

const uint8_t *ti_src_window(ti_src *s, uint64_t off, uint64_t size, uint8_t *scratch) {
  uint64_t got = 0;
  if (s->err != TI_OK || !ti_range_ok(off, size, s->len)) return NULL;
  if (s->mem) return s->mem + off;
  s->err = ti_pread_all(s->fd, scratch, size, off, &got);
  if (s->err == TI_OK && got < size) s->err = TI_ETRUNCATED;
  return s->err == TI_OK ? scratch : NULL;
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
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}
