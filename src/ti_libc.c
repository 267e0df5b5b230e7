/* Which C library this process runs on (glibc or musl, and its release), from
 * the loader the executable names; and environment values as they were at
 * start-up, read from /proc/self/environ. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ti_core.h"
#include "ti_internal.h"

const char *ti_libc_family_name(ti_libc_family f) {
  switch (f) {
  case TI_LIBC_GLIBC: return "glibc";
  case TI_LIBC_MUSL: return "musl";
  default: return "unknown";
  }
}

typedef struct ti_libc_ctx {
  size_t index;
  ti_libc_info *out;
  const struct dl_phdr_info *musl; /* copy of the musl module's info, when seen */
  struct dl_phdr_info musl_info;
} ti_libc_ctx;

static int ti_is_musl_name(const char *path) {
  return ti_base_has_prefix(path, "ld-musl-") || ti_base_has_prefix(path, "libc.musl-");
}

static void ti_copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* The main program's PT_INTERP string, read through ti_peek like all module memory. */
static void ti_interp_read(const struct dl_phdr_info *info, char *out, size_t cap) {
  ti_phdrs p;
  ElfW(Phdr) ph;
  if (ti_phdrs_read(info, &p) != TI_OK) return;
  for (size_t k = 0; k < p.count && ti_phdr_at(&p, k, &ph) == TI_OK; k++) {
    size_t n = ph.p_filesz < cap ? ph.p_filesz : cap - 1;
    if (ph.p_type != PT_INTERP || ph.p_filesz <= 1) continue;
    if (ti_peek(out, info->dlpi_addr + ph.p_vaddr, n) != TI_OK) n = 0;
    out[n] = '\0';
    return;
  }
}

static int ti_libc_one(struct dl_phdr_info *info, size_t size, void *arg) {
  ti_libc_ctx *c = arg;
  (void)size;
  if (c->index++ == 0) {
    ti_interp_read(info, c->out->loader, sizeof c->out->loader);
    return 0;
  }
  if (info->dlpi_name && ti_is_musl_name(info->dlpi_name) && !c->musl) {
    c->musl_info = *info;
    c->musl = &c->musl_info;
    if (!c->out->loader[0]) ti_copy(c->out->loader, sizeof c->out->loader, info->dlpi_name);
  }
  return 0;
}

/* Finds "\0N.N.N\0" in one window; the version, NUL-terminated, into out. */
static int ti_version_in(const char *p, size_t len, char *out, size_t cap) {
  for (size_t i = 1; i + 6 < len; i++) {
    if (p[i - 1] != '\0' || !isdigit((unsigned char)p[i]) || p[i + 1] != '.') continue;
    size_t j = i, dots = 0;
    while (j < len && (isdigit((unsigned char)p[j]) || p[j] == '.')) dots += p[j++] == '.';
    if (j < len && p[j] == '\0' && dots == 2 && p[j - 1] != '.' && j - i < cap) {
      memcpy(out, p + i, j - i);
      out[j - i] = '\0';
      return 1;
    }
  }
  return 0;
}

/* musl keeps its version only as a hidden string; find it in its read-only
 * segments, a window at a time, windows overlapping by more than a version. */
static void ti_musl_version(const struct dl_phdr_info *info, char *out, size_t cap) {
  enum { TI_WINDOW = 4096, TI_OVERLAP = 64 };
  char win[TI_WINDOW];
  ti_phdrs p;
  ElfW(Phdr) ph;
  if (ti_phdrs_read(info, &p) != TI_OK) return;
  for (size_t k = 0; k < p.count && ti_phdr_at(&p, k, &ph) == TI_OK; k++) {
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_R) || (ph.p_flags & (PF_W | PF_X))) continue;
    uintptr_t at = info->dlpi_addr + ph.p_vaddr;
    for (uint64_t off = 0; off < ph.p_filesz; off += TI_WINDOW - TI_OVERLAP) {
      size_t n = ph.p_filesz - off < TI_WINDOW ? (size_t)(ph.p_filesz - off) : TI_WINDOW;
      if (ti_peek(win, at + off, n) != TI_OK) break;
      if (ti_version_in(win, n, out, cap)) return;
      if (n < TI_WINDOW) break;
    }
  }
}

static ti_libc_info ti_libc_cache;
static pthread_once_t ti_libc_once = PTHREAD_ONCE_INIT;

/* The libc of a running process never changes: detect once. */
static void ti_libc_detect_once(void) {
  ti_libc_info *out = &ti_libc_cache;
  const ti_glibc_syms *g = ti_glibc();
  ti_libc_ctx c = {0};
  c.out = out;
  dl_iterate_phdr(ti_libc_one, &c);
  if (g->get_libc_version) {
    out->family = TI_LIBC_GLIBC;
    ti_copy(out->version, sizeof out->version, g->get_libc_version());
  } else if (c.musl || strstr(out->loader, "ld-musl-")) {
    out->family = TI_LIBC_MUSL;
    if (c.musl) ti_musl_version(c.musl, out->version, sizeof out->version);
  }
}

ti_err ti_libc_detect(ti_libc_info *out) {
  pthread_once(&ti_libc_once, ti_libc_detect_once);
  *out = ti_libc_cache;
  return TI_OK;
}

/* ---- the environment the process started with ---- */

/* Streams "NAME=VALUE\0" entries past a matcher: the value of the last entry
 * named `name` is copied (as far as it fits) and measured in full. */
typedef struct ti_env_match {
  const char *name;
  size_t name_len, pos;     /* bytes of NAME matched in the current entry */
  int candidate, in_value;  /* entry still matches NAME=; now inside its value */
  char *out;
  size_t cap, len;          /* value bytes of the current match */
  int found;
  size_t found_len;
} ti_env_match;

static void ti_env_next_entry(ti_env_match *m) {
  if (m->in_value) {
    m->found = 1;
    m->found_len = m->len;
  }
  m->pos = 0;
  m->candidate = 1;
  m->in_value = 0;
}

static void ti_env_feed(ti_env_match *m, const char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (m->candidate && !m->in_value) { /* still reading NAME= */
      char c = p[i++];
      if (m->pos < m->name_len) m->candidate = c == m->name[m->pos++];
      else m->in_value = m->candidate = c == '=';
      m->len = 0;
      if (c == '\0') ti_env_next_entry(m);
      continue;
    }
    const char *nul = memchr(p + i, '\0', n - i);
    size_t take = nul ? (size_t)(nul - (p + i)) : n - i;
    if (m->in_value && m->len < m->cap) memcpy(m->out + m->len, p + i, take < m->cap - m->len ? take : m->cap - m->len);
    if (m->in_value) m->len += take;
    i += take;
    if (nul) {
      ti_env_next_entry(m);
      i++;
    }
  }
}

static ti_err ti_env_value(size_t found_len, char *out, size_t cap, size_t *len) {
  *len = found_len;
  if (found_len >= cap) return TI_ERANGE;
  out[found_len] = '\0';
  return TI_OK;
}

ti_err ti_startup_env(const char *name, char *out, size_t cap, size_t *len) {
  char buf[4096];
  ti_env_match m = {name, strlen(name), 0, 1, 0, out, cap, 0, 0, 0};
  const char *now;
  ssize_t n;
  int fd;
  *len = 0;
  if (!m.name_len || strchr(name, '=') || !cap) return TI_EINVAL;
  if ((fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC)) < 0) {
    if (!(now = getenv(name))) return TI_ENOENT; /* no /proc: the environment as it is now */
    n = (ssize_t)strlen(now);
    memcpy(out, now, (size_t)n < cap ? (size_t)n : cap);
    return ti_env_value((size_t)n, out, cap, len);
  }
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) ti_env_feed(&m, buf, (size_t)n);
  close(fd);
  if (n < 0) return TI_EIO;
  ti_env_next_entry(&m); /* the last entry may lack its NUL */
  return m.found ? ti_env_value(m.found_len, out, cap, len) : TI_ENOENT;
}
