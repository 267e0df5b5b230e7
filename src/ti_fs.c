/* Small bounded reads for the package conventions and the loader model: a
 * whole small file, the names in a directory, a file's identity and first
 * bytes.  Each is one call (one trip to the thread pool for the addon) where
 * the file system API would take four; nothing but a
 * regular file is read, every open is O_NONBLOCK, and what is read is
 * bounded by the caller's limit, whatever the file system holds. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ti_core.h"
#include "ti_elf_src.h"

ti_err ti_read_small(const char *path, size_t limit, char **out, size_t *len) {
  ti_src src;
  ti_err e = ti_src_open_at(&src, AT_FDCWD, path); /* regular files only, never blocking */
  char *buf = NULL;
  *out = NULL;
  *len = 0;
  if (e == TI_OK && src.len > limit) e = TI_ERANGE;
  if (e == TI_OK && !(buf = malloc((size_t)src.len + 1))) e = TI_ENOMEM;
  if (e == TI_OK) e = ti_pread_head(src.fd, buf, (size_t)src.len, len);
  ti_src_close(&src);
  if (e != TI_OK) {
    free(buf);
    *len = 0;
    return e;
  }
  buf[*len] = '\0';
  *out = buf;
  return TI_OK;
}

ti_err ti_probe_file(const char *path, ti_probe_info *out) {
  ti_src src;
  ti_err e = ti_src_open_at(&src, AT_FDCWD, path);
  memset(out, 0, sizeof *out);
  if (e == TI_OK) {
    out->dev = src.dev;
    out->ino = src.ino;
    out->size = src.len;
    e = ti_pread_head(src.fd, out->head, sizeof out->head, &out->head_len);
  }
  ti_src_close(&src);
  return e;
}

ti_err ti_list_dir(const char *path, size_t limit, ti_packed *out) {
  int fd = ti_open_at_retrying(AT_FDCWD, path, O_DIRECTORY);
  DIR *d;
  struct dirent *ent;
  ti_err e = TI_OK;
  memset(out, 0, sizeof *out);
  if (fd < 0) return ti_errno_err(errno);
  if (!(d = fdopendir(fd))) {
    e = ti_errno_err(errno);
    close(fd);
    return e;
  }
  while (out->n_strings < limit) {
    errno = 0;
    if (!(ent = readdir(d))) {
      if (errno) e = ti_errno_err(errno);
      break;
    }
    const char *n = ent->d_name;
    if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) continue;
    if (ti_packed_str(out, n, strlen(n)) < 0) {
      e = TI_ENOMEM;
      break;
    }
  }
  closedir(d);
  if (e != TI_OK) ti_packed_free(out);
  else ti_packed_finish(out);
  return e;
}

ti_err ti_file_version(const char *path, char *out, size_t cap, uint64_t *size, double *age) {
  struct stat st;
  struct timespec now, newest;
  if (ti_fstatat(AT_FDCWD, path, &st, 0) != 0) return ti_errno_err(errno);
  if (S_ISDIR(st.st_mode)) return TI_EISDIR;
  if (!S_ISREG(st.st_mode)) return TI_ENOTREG;
  snprintf(out, cap, "%llu:%llu:%llu:%lld.%09ld:%lld.%09ld", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
           (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
           st.st_ctim.tv_nsec);
  newest = st.st_ctim.tv_sec > st.st_mtim.tv_sec ||
           (st.st_ctim.tv_sec == st.st_mtim.tv_sec && st.st_ctim.tv_nsec > st.st_mtim.tv_nsec) ? st.st_ctim : st.st_mtim;
  *size = (uint64_t)st.st_size;
  /* in doubles: times set far off (utimensat) must not overflow; no clock: not settled */
  *age = clock_gettime(CLOCK_REALTIME, &now) != 0 ? 0
       : (double)now.tv_sec - (double)newest.tv_sec + ((double)now.tv_nsec - (double)newest.tv_nsec) / 1e9;
  return TI_OK;
}
