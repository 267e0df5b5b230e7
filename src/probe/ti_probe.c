/* ti-probe: a plain C host for the tls-inspect core.  Built with musl-gcc it
 * runs under the real musl loader; built with cc it is a Node-free glibc
 * control.  It dlopens files and prints one JSON object: for each file,
 * loaded or the loader's exact error text, then its own link map and TLS view
 * (the same walker as the addon).
 *
 *   ti-probe [--dlopen FILE]... [--lazy] [--tls-symbol NAME] [--deny WHAT]...
 *
 * --tls-symbol asks the loader itself (dlsym) where NAME's thread-local
 * instance sits in this thread, as a signed distance from the thread pointer:
 * an answer independent of the link-map walk's placement arithmetic.
 *
 * --deny takes a way of working away from the core once staticTlsBefore is
 * measured, with a seccomp filter (x86_64): "process_vm_readv", "open" (so no
 * /proc/self/mem), "pipe" or "threads" (clone).  staticTlsDenied is then
 * measured again.
 *
 * Node-API functions are provided as stubs (ti_napi_stubs.c, generated), so a
 * .node file built for musl resolves and loads; its init is never called. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<linux/seccomp.h>) && __has_include(<linux/filter.h>) && __has_include(<linux/audit.h>)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#define TI_PROBE_SECCOMP 1
#endif
#endif
#include "../ti_core.h"
#include "../ti_internal.h"

static void json_str(const char *s) {
  putchar('"');
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void print_libc(void) {
  ti_libc_info l;
  ti_libc_detect(&l);
  printf("\"libc\":{\"family\":");
  json_str(ti_libc_family_name(l.family));
  printf(",\"version\":");
  if (l.version[0]) json_str(l.version); else printf("null");
  printf(",\"loader\":");
  if (l.loader[0]) json_str(l.loader); else printf("null");
  printf("}");
}

static void print_static_tls(const char *key) {
  ti_static_tls st;
  ti_err e = ti_static_tls_measure(&st);
  printf("\"%s\":", key);
  if (e != TI_OK) { printf("{\"error\":"); json_str(ti_err_name(e)); printf("}"); return; }
  printf("{\"libc\":");
  json_str(ti_libc_family_name(st.family));
  printf(",\"size\":%llu,\"align\":%llu,\"tcbSize\":%llu,\"used\":%llu,\"remaining\":%llu,\"surplus\":%llu,\"variant\":%d",
         (unsigned long long)st.size, (unsigned long long)st.align, (unsigned long long)st.tcb_size,
         (unsigned long long)st.used, (unsigned long long)st.remaining, (unsigned long long)st.surplus,
         st.variant);
  printf(",\"tunables\":{\"nns\":%llu,\"optionalStaticTls\":%llu},\"exact\":%s,\"source\":",
         (unsigned long long)st.tunables.nns, (unsigned long long)st.tunables.optional_static_tls,
         st.exact ? "true" : "false");
  json_str(st.source);
  printf(",\"note\":");
  if (st.note) json_str(st.note); else printf("null");
  printf("}");
}

static void print_module(const ti_module *m) {
  static const char *const place[] = {"none", "static", "dynamic", "unallocated"};
  printf("{\"path\":");
  json_str(m->path);
  printf(",\"base\":\"0x%llx\",\"main\":%s,\"vdso\":%s,\"loader\":%s,\"tls\":", (unsigned long long)m->base,
         m->is_main ? "true" : "false", m->is_vdso ? "true" : "false", m->is_loader ? "true" : "false");
  if (m->has_tls) {
    printf("{\"modid\":%zu,\"size\":%llu,\"initSize\":%llu,\"align\":%llu,\"placement\":\"%s\",\"offset\":",
           m->tls_modid, (unsigned long long)m->tls_size, (unsigned long long)m->tls_init_size,
           (unsigned long long)m->tls_align, place[m->placement]);
    if (m->placement == TI_PLACE_STATIC) printf("%lld}", (long long)m->tls_offset); else printf("null}");
  } else {
    printf("null");
  }
  printf(",\"unreadable\":%s", m->unreadable ? "true" : "false");
  printf(",\"staticTlsFlag\":%s,\"tlsRelocations\":{\"tpoff\":%u,\"dtpmod\":%u,\"dtpoff\":%u,\"tlsdesc\":%u},\"tlsModels\":[",
         m->static_tls_flag ? "true" : "false", m->relocs.tpoff, m->relocs.dtpmod, m->relocs.dtpoff, m->relocs.tlsdesc);
  int first = 1;
  for (unsigned bit = 1; bit <= TI_MODEL_TLSDESC; bit <<= 1)
    if (m->models & bit) { printf("%s\"%s\"", first ? "" : ",", ti_model_name(bit)); first = 0; }
  printf("]}");
}

static void print_modules(void) {
  static ti_module mods[512];
  static char strings[1 << 17];
  ti_linkmap lm = {mods, 512, 0, strings, sizeof strings, 0, 0};
  ti_err e = ti_linkmap_walk(&lm);
  printf("\"modules\":[");
  for (size_t i = 0; e == TI_OK && i < lm.count; i++) {
    if (i) putchar(',');
    print_module(&mods[i]);
  }
  printf("]");
  if (e != TI_OK) { printf(",\"modulesError\":"); json_str(ti_err_name(e)); }
}

static void print_load(const char *path, int lazy, int first, const char *tls_symbol) {
  void *h = dlopen(path, (lazy ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL);
  const char *err = h ? NULL : dlerror();
  void *addr = h && tls_symbol ? dlsym(h, tls_symbol) : NULL;
  printf("%s{\"path\":", first ? "" : ",");
  json_str(path);
  printf(",\"loaded\":%s,\"error\":", h ? "true" : "false");
  if (err) json_str(err); else printf("null");
  if (addr) printf(",\"tlsSymbolFromTp\":%lld", (long long)((intptr_t)addr - (intptr_t)ti_thread_pointer()));
  printf("}");
}

#ifdef TI_PROBE_SECCOMP
/* Makes the named system calls fail with EPERM in this process from now on. */
static int deny(const long *nrs, size_t n) {
  struct sock_filter f[2 * 16 + 5];
  size_t at = 0;
  f[at++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  f[at++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  f[at++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[at++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (size_t i = 0; i < n && i < 16; i++) {
    f[at++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i], 0, 1);
    f[at++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  }
  f[at++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {(unsigned short)at, f};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

static int deny_named(int argc, char **argv) {
  long nrs[16];
  size_t n = 0;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--deny")) continue;
    const char *what = argv[++i];
    if (!strcmp(what, "process_vm_readv")) nrs[n++] = SYS_process_vm_readv;
    else if (!strcmp(what, "open")) { nrs[n++] = SYS_open; nrs[n++] = SYS_openat; }
    else if (!strcmp(what, "pipe")) { nrs[n++] = SYS_pipe; nrs[n++] = SYS_pipe2; }
#ifdef SYS_clone3
    else if (!strcmp(what, "threads")) { nrs[n++] = SYS_clone; nrs[n++] = SYS_clone3; }
#else
    else if (!strcmp(what, "threads")) nrs[n++] = SYS_clone;
#endif
    if (n > 12) break;
  }
  return n ? deny(nrs, n) : -1;
}
#else
static int deny_named(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--deny")) return 0;
  return -1;
}
#endif

int main(int argc, char **argv) {
  int lazy = 0, first = 1;
  const char *tls_symbol = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--lazy")) lazy = 1;
    if (!strcmp(argv[i], "--tls-symbol") && i + 1 < argc) tls_symbol = argv[i + 1];
  }
  printf("{\"probe\":\"ti-probe\",");
  print_libc();
  putchar(',');
  print_static_tls("staticTlsBefore");
  int denied = deny_named(argc, argv);
  if (denied >= 0) {
    printf(",\"denied\":%s,", denied ? "true" : "false");
    print_static_tls("staticTlsDenied");
  }
  printf(",\"loads\":[");
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--dlopen")) continue;
    print_load(argv[++i], lazy, first, tls_symbol);
    first = 0;
  }
  printf("],");
  print_static_tls("staticTlsAfter");
  putchar(',');
  print_modules();
  printf("}\n");
  return 0;
}
