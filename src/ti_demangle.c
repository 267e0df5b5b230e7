/* C++ (and legacy Rust) symbol names, demangled with the running process's
 * own __cxa_demangle when libstdc++ or libc++abi is loaded; found at run time
 * so the core never links a C++ runtime. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ti_core.h"

typedef char *(*ti_cxa_demangle_fn)(const char *, char *, size_t *, int *);

static ti_cxa_demangle_fn ti_demangler;
static pthread_once_t ti_demangler_once = PTHREAD_ONCE_INIT;

static void ti_demangler_lookup(void) {
  *(void **)&ti_demangler = dlsym(RTLD_DEFAULT, "__cxa_demangle");
}

int ti_demangle_available(void) {
  pthread_once(&ti_demangler_once, ti_demangler_lookup);
  return ti_demangler != NULL;
}

ti_err ti_demangle(const char *name, char *out, size_t cap) {
  char *d;
  int status = -1;
  size_t n;
  if (!cap) return TI_EINVAL;
  out[0] = '\0';
  if (!name || strncmp(name, "_Z", 2) || !ti_demangle_available()) return TI_ENOTSUP;
  d = ti_demangler(name, NULL, NULL, &status);
  if (!d || status != 0) {
    free(d);
    return TI_EINVAL;
  }
  n = strlen(d);
  if (n >= cap) n = cap - 1;
  memcpy(out, d, n);
  out[n] = '\0';
  free(d);
  return TI_OK;
}
