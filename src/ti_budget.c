/* The static TLS budget of this process: glibc's tunables as the loader read
 * them, the static area in use (ti_static_scan.c), and the room left for
 * initial-exec blocks loaded later. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include "ti_core.h"
#include "ti_internal.h"

/* glibc 2.32+ surplus: 288 bytes per namespace plus the optional part. */
enum { TI_GLIBC_NNS = 4, TI_GLIBC_OPTIONAL = 512, TI_GLIBC_PER_NS = 288, TI_GLIBC_OLD_SURPLUS = 1664 };

static void ti_tunable_set(const char *key, size_t keylen, const char *val, ti_tunables *t) {
  char *end = NULL;
  unsigned long long v = strtoull(val, &end, 0);
  if (end == val || (*end && *end != ':')) return;
#define TI_KEY(k) (keylen == sizeof(k) - 1 && !memcmp(key, k, keylen))
  if (TI_KEY("glibc.rtld.nns") && v >= 1 && v <= 16) {
    t->nns = v;
    t->nns_set = 1;
  } else if (TI_KEY("glibc.rtld.optional_static_tls")) {
    t->optional_static_tls = v;
    t->optional_set = 1;
  }
#undef TI_KEY
}

void ti_tunables_parse(const char *s, ti_tunables *out) {
  memset(out, 0, sizeof *out);
  out->nns = TI_GLIBC_NNS;
  out->optional_static_tls = TI_GLIBC_OPTIONAL;
  ti_tunables_parse_more(s, out);
}

/* Adds the settings of s to out: later ones override earlier ones, as in glibc. */
void ti_tunables_parse_more(const char *s, ti_tunables *out) {
  while (s && *s) {
    const char *eq = strchr(s, '='), *colon = strchr(s, ':');
    if (!eq || (colon && colon < eq)) { s = colon ? colon + 1 : NULL; continue; }
    ti_tunable_set(s, (size_t)(eq - s), eq + 1, out);
    colon = strchr(eq, ':');
    s = colon ? colon + 1 : NULL;
  }
}

/* The loader read GLIBC_TUNABLES at start-up: take the start-up environment,
 * not the current one, which the program may have edited.  glibc (2.36 here)
 * rewrites that string where it lies: the ':' after each tunable it took
 * becomes a NUL, so /proc/self/environ shows "GLIBC_TUNABLES=glibc.rtld.nns=2"
 * followed by "glibc.rtld.optional_static_tls=1024" as if it were another
 * entry.  The pieces that follow it and are no entry of environ (which never
 * points into the middle of GLIBC_TUNABLES) are read as part of it.  It
 * never changes: parse it once. */
static ti_tunables ti_tunables_cache;
static pthread_once_t ti_tunables_once = PTHREAD_ONCE_INIT;

enum { TI_ENVIRON_MAX = 16u << 20, TI_TUNABLE_PIECES = 64 }; /* more than the kernel lets args and environment take */

/* The whole start-up environment, NUL-terminated entries; NULL when unreadable or too large. */
static char *ti_read_environ(size_t *len) {
  size_t cap = 64 * 1024, n = 0;
  char *buf = malloc(cap + 1), *grown;
  ssize_t got;
  int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || !buf) goto fail;
  for (;;) {
    if (n == cap) {
      if (cap >= TI_ENVIRON_MAX || !(grown = realloc(buf, cap * 2 + 1))) goto fail;
      buf = grown;
      cap *= 2;
    }
    got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) goto fail;
    if (got == 0) break;
    n += (size_t)got;
  }
  close(fd);
  buf[n] = '\0';
  *len = n;
  return buf;
fail:
  if (fd >= 0) close(fd);
  free(buf);
  return NULL;
}

/* A piece glibc cut off GLIBC_TUNABLES ("glibc.rtld.optional_static_tls=1024",
 * or "foo=bar:glibc..." after an unknown name it left alone) rather than a
 * variable of its own: no entry of environ is that string. */
extern char **environ;
static int ti_tunable_piece(const char *entry) {
  if (!strchr(entry, '=')) return 0;
  for (char **e = environ; e && *e; e++)
    if (!strcmp(*e, entry)) return 0;
  return 1;
}

/* Parses GLIBC_TUNABLES from the start-up environment, with the pieces that follow it. */
static void ti_tunables_from_environ(const char *env, size_t len, ti_tunables *out) {
  const char *p = env, *end = env + len, *tunables = NULL;
  ti_tunables_parse(NULL, out);
  for (; p < end; p += strlen(p) + 1) {
    if (!strncmp(p, "GLIBC_TUNABLES=", 15)) tunables = p; /* the last one counts, as for getenv */
  }
  if (!tunables) return;
  ti_tunables_parse(tunables + 15, out);
  /* glibc has a few dozen tunables: more pieces than that are no rewriting of its */
  size_t pieces = 0;
  for (p = tunables + strlen(tunables) + 1; p < end && pieces < TI_TUNABLE_PIECES && ti_tunable_piece(p);
       p += strlen(p) + 1, pieces++)
    ti_tunables_parse_more(p, out);
}

static void ti_tunables_read(void) {
  char stack[4096], *heap = NULL, *v = stack, *env;
  size_t len = 0;
  ti_err e;
  if ((env = ti_read_environ(&len))) {
    ti_tunables_from_environ(env, len, &ti_tunables_cache);
    free(env);
    return;
  }
  e = ti_startup_env("GLIBC_TUNABLES", stack, sizeof stack, &len); /* no /proc: the environment now */
  if (e == TI_ERANGE && (heap = v = malloc(len + 1)))
    e = ti_startup_env("GLIBC_TUNABLES", heap, len + 1, &len);
  ti_tunables_parse(e == TI_OK ? v : NULL, &ti_tunables_cache);
  free(heap);
}

static void ti_startup_tunables(ti_tunables *t) {
  pthread_once(&ti_tunables_once, ti_tunables_read);
  *t = ti_tunables_cache;
}

static uint64_t ti_fallback_window(void) {
  /* Without the loader's figure, bound the static area by every module's block. */
  ti_module mods[256];
  char strings[32768];
  ti_linkmap lm = {mods, 256, 0, strings, sizeof strings, 0, 1};
  uint64_t w = 0;
  if (ti_linkmap_walk(&lm) != TI_OK) return 1u << 20;
  for (size_t i = 0; i < lm.count; i++) w += mods[i].tls_size + mods[i].tls_align + 64;
  return w;
}

static int ti_glibc_at_least(const char *v, int major, int minor) {
  int a = 0, b = 0;
  if (!v || sscanf(v, "%d.%d", &a, &b) != 2) return 1;
  return a > major || (a == major && b >= minor);
}

/* What an initial-exec module loaded now could still get.  Variant II (x86,
   s390x): the static size counts struct pthread (TLS_TCB_SIZE) at the thread
   pointer, and blocks grow down from it.  Variant I (aarch64, arm, ppc64,
   mips): struct pthread sits before the thread pointer, outside the static
   size; the blocks start after the TCB header (if any) and grow up, so the
   measured end is the use. */
static uint64_t ti_static_room(uint64_t size, uint64_t tcb, uint64_t used) {
  if (ti_tls_variant() == 1) return size >= used ? size - used : 0;
  return size >= tcb + used ? size - tcb - used : 0;
}

/* Where the exact figures came from.  Variant I needs no TCB size (struct
   pthread lies outside the static size), so glibc before 2.34, whose
   _thread_db_sizeof_pthread is in libpthread's .symtab only, is exact there too. */
static const char *ti_budget_source(int tcb_symbol, int measured_tcb) {
  if (tcb_symbol) return "_dl_get_tls_static_info, _thread_db_sizeof_pthread, measured thread";
  if (measured_tcb) return "_dl_get_tls_static_info, measured thread (TCB from its stack top)";
  return "_dl_get_tls_static_info, measured thread (variant I: the TCB lies outside the static size)";
}

static ti_err ti_budget_glibc(ti_static_tls *out) {
  const ti_glibc_syms *g = ti_glibc();
  size_t size = 0, align = 0;
  ti_static_scan scan;
  int measured_tcb;
  ti_err e;
  ti_startup_tunables(&out->tunables);
  out->surplus = ti_glibc_at_least(g->get_libc_version(), 2, 32)
                     ? TI_GLIBC_PER_NS * out->tunables.nns + out->tunables.optional_static_tls
                     : TI_GLIBC_OLD_SURPLUS;
  if (g->get_tls_static_info) g->get_tls_static_info(&size, &align);
  out->size = size;
  out->align = align;
  out->tcb_size = g->sizeof_pthread ? *g->sizeof_pthread : 0;
  scan.window = size ? size : ti_fallback_window();
  e = ti_static_scan_run(&scan);
  if (e != TI_OK) return e;
  out->used = scan.used;
  /* Before glibc 2.34 the TCB size lives in libpthread's symbol table only
     (.symtab, not .dynsym): the scan thread's own stack measures it instead. */
  measured_tcb = !g->sizeof_pthread && scan.tcb_span && scan.tcb_span < size;
  if (measured_tcb) out->tcb_size = scan.tcb_span;
  out->exact = size && (g->sizeof_pthread || measured_tcb || ti_tls_variant() == 1);
  if (out->exact && !ti_thread_pointer()) {
    out->exact = 0;
    out->source = "_dl_get_tls_static_info, _thread_db_sizeof_pthread";
    out->note = "estimate: the thread pointer is not read on this architecture, so what start-up "
                "modules use is unknown";
    out->remaining = out->surplus;
  } else if (out->exact) {
    out->source = ti_budget_source(g->sizeof_pthread != NULL, measured_tcb);
    out->remaining = ti_static_room(size, out->tcb_size, out->used);
  } else {
    out->source = "glibc defaults (private loader symbols missing)";
    out->note = "estimate: the surplus glibc reserves at start-up, less nothing already taken";
    out->remaining = out->surplus;
  }
  return TI_OK;
}

ti_err ti_static_tls_measure(ti_static_tls *out) {
  ti_libc_info libc;
  ti_err e;
  memset(out, 0, sizeof *out);
  ti_tunables_parse(NULL, &out->tunables);
  out->variant = ti_tls_variant();
  e = ti_libc_detect(&libc);
  if (e != TI_OK) return e;
  out->family = libc.family;
  if (libc.family == TI_LIBC_GLIBC) return ti_budget_glibc(out);
  /* musl's new threads pack dlopen'ed blocks in too: read this thread's chain. */
  e = ti_static_chain_used(&out->used);
  if (e != TI_OK) return e;
  out->size = out->used;
  if (libc.family == TI_LIBC_MUSL) {
    out->exact = 1;
    out->source = "musl rule";
    out->note = "musl keeps no static TLS surplus: initial-exec TLS in a dlopen'ed module fails "
                "whatever its size";
  } else {
    out->source = "unknown libc";
    out->note = "unknown libc: no budget rule known";
  }
  return TI_OK;
}
