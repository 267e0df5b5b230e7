#ifndef TI_ELF_SRC_H
#define TI_ELF_SRC_H

#include <stdint.h>
#include <stddef.h>
#include "ti_core.h"

typedef struct ti_src {
  const uint8_t *mem;   /* buffer source, or NULL for a file */
  int fd;
  uint64_t len;
  struct ti_chunk *chunks;
  ti_err err;           /* sticky: I/O or memory failure while reading */
  uint64_t string_bytes; /* names kept so far (bounded) */
  uint8_t *names;       /* a window of string table read ahead, so nearby names cost no read */
  uint64_t names_off, names_len;
} ti_src;

/* The one overflow-safe range check: [off, off + size) lies within len. */
int ti_range_ok(uint64_t off, uint64_t size, uint64_t len);

ti_err ti_src_open_file(ti_src *s, const char *path);
void ti_src_open_buffer(ti_src *s, const void *data, size_t len);
/* size bytes at off, or NULL when out of range or unreadable (see s->err). */
const uint8_t *ti_src_view(ti_src *s, uint64_t off, uint64_t size);
/* A NUL-terminated string at off inside the table [table_off, table_off + table_size),
 * read on demand (a file source reads a few bytes, not the whole table).
 * NULL when it does not end inside the table. */
const char *ti_src_string(ti_src *s, uint64_t table_off, uint64_t table_size, uint64_t off);
/* size bytes at off for immediate use: a pointer into a buffer source, or a
 * copy in scratch (size must fit) for a file source.  Nothing is retained. */
const uint8_t *ti_src_window(ti_src *s, uint64_t off, uint64_t size, uint8_t *scratch);
void ti_src_close(ti_src *s);

#endif
