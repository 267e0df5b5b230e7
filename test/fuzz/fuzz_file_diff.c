/* libFuzzer harness: the file reader (pread) against the buffer reader.  The
 * same bytes go through ti_elf_analyze_file (from a memfd) and
 * ti_elf_analyze_buffer; the two must agree on the error code and, on
 * success, on every byte of the packed result.  Any difference aborts.
 *
 * Sparse layout: the ELF header's padding (e_ident[9..15]) is read by no
 * loader and by no phase of the analyzer, so it carries the file's shape.
 * e_ident[9] == 0 (every real file): the file is the input as it is.
 * Otherwise the file is input[0, split), a hole of `hole` zero bytes, then
 * input[split, n), where
 *   split = le16(e_ident[10..11]) << 12   (clamped to n)
 *   hole  = le32(e_ident[12..15]) << ((e_ident[9] - 1) & 31)   (at most 1 TiB)
 * so huge offsets, tables lying in holes and files far larger than any
 * buffer we copy are reached.  The buffer side sees the same bytes through
 * an anonymous mapping whose untouched pages are the shared zero page.
 *
 * Built by `npm run fuzz -- --harness file`, with a smaller TI_TABLE_MAX:
 * a streamed table of 512 MiB in a hole is within the product's bounds but
 * takes seconds here (sanitizers, both readers), and a few such inputs would
 * take most of the fuzzer's time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../../src/ti_core.h"

#define TI_FUZZ_HOLE_MAX ((uint64_t)1 << 40)

typedef struct ti_fuzz_layout { size_t split; uint64_t hole; } ti_fuzz_layout;

static int fuzz_fd = -1;
static char fuzz_path[64];

static ti_fuzz_layout ti_fuzz_layout_of(const uint8_t *d, size_t n) {
  ti_fuzz_layout l = {n, 0};
  if (n < EI_NIDENT || d[9] == 0) return l;
  uint64_t count = d[12] | (uint64_t)d[13] << 8 | (uint64_t)d[14] << 16 | (uint64_t)d[15] << 24;
  uint64_t split = (uint64_t)(d[10] | d[11] << 8) << 12;
  unsigned shift = (d[9] - 1u) & 31u;
  l.hole = count > (TI_FUZZ_HOLE_MAX >> shift) ? TI_FUZZ_HOLE_MAX : count << shift;
  l.split = split < n ? (size_t)split : n;
  return l;
}

static void ti_fuzz_die(const char *what) {
  perror(what);
  abort();
}

/* The file the analyzer reads: one memfd, rewritten for every input. */
static void ti_fuzz_write_file(const uint8_t *d, size_t n, ti_fuzz_layout l) {
  if (fuzz_fd < 0) {
    if ((fuzz_fd = memfd_create("ti-fuzz", MFD_CLOEXEC)) < 0) ti_fuzz_die("memfd_create");
    snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
  }
  /* A sparse file starts empty so that its hole is a real hole. */
  if (ftruncate(fuzz_fd, l.hole ? 0 : (off_t)n) != 0) ti_fuzz_die("ftruncate");
  if (l.split && pwrite(fuzz_fd, d, l.split, 0) != (ssize_t)l.split) ti_fuzz_die("pwrite");
  if (n > l.split && pwrite(fuzz_fd, d + l.split, n - l.split, (off_t)(l.split + l.hole)) != (ssize_t)(n - l.split))
    ti_fuzz_die("pwrite");
  if (l.hole && ftruncate(fuzz_fd, (off_t)(n + l.hole)) != 0) ti_fuzz_die("ftruncate");
}

/* The same bytes in memory: the input itself (exact size, so ASan sees any
 * read past the end), or for a sparse file a mapping of the whole length. */
static const uint8_t *ti_fuzz_buffer(const uint8_t *d, size_t n, ti_fuzz_layout l) {
  uint8_t *m;
  if (!l.hole) return d;
  m = mmap(NULL, n + l.hole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) ti_fuzz_die("mmap");
  memcpy(m, d, l.split);
  memcpy(m + l.split + l.hole, d + l.split, n - l.split);
  return m;
}

static void ti_fuzz_differs(const char *what, ti_err fe, ti_err be, const ti_elf_info *fi, const ti_elf_info *bi) {
  fprintf(stderr, "file and buffer readers differ (%s): file %s \"%s\", buffer %s \"%s\"\n", what, ti_err_name(fe),
          fi->detail, ti_err_name(be), bi->detail);
  abort();
}

static void ti_fuzz_compare_packed(ti_elf_info *fi, ti_elf_info *bi) {
  ti_packed fp, bp;
  ti_err fe, be;
  fi->file_id[0] = '\0'; /* st_dev:st_ino, which a buffer has not */
  fi->file_version[0] = '\0'; /* the same, with size and times */
  fe = ti_elf_pack(fi, NULL, &fp);
  be = ti_elf_pack(bi, NULL, &bp);
  if (fe != be) ti_fuzz_differs("packing", fe, be, fi, bi);
  if (fp.n_nums != bp.n_nums || memcmp(fp.nums, bp.nums, fp.n_nums * sizeof *fp.nums))
    ti_fuzz_differs("packed numbers", fe, be, fi, bi);
  if (fp.strings_len != bp.strings_len || memcmp(fp.strings, bp.strings, fp.strings_len))
    ti_fuzz_differs("packed strings", fe, be, fi, bi);
  ti_packed_free(&fp);
  ti_packed_free(&bp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ti_fuzz_layout l = ti_fuzz_layout_of(data, size);
  ti_elf_info fi, bi;
  ti_fuzz_write_file(data, size, l);
  const uint8_t *buf = ti_fuzz_buffer(data, size, l);
  ti_err fe = ti_elf_analyze_file(fuzz_path, &fi);
  ti_err be = ti_elf_analyze_buffer(buf, size + l.hole, &bi);
  if ((unsigned)fe >= TI_ERR_COUNT || (unsigned)be >= TI_ERR_COUNT) __builtin_trap(); /* only named codes */
  if (fe != be) ti_fuzz_differs("error code", fe, be, &fi, &bi);
  if (fe == TI_OK) ti_fuzz_compare_packed(&fi, &bi);
  ti_elf_free(&fi);
  ti_elf_free(&bi);
  if (buf != data) munmap((void *)buf, size + l.hole);
  return 0;
}
