/* Symbols of this process's global scope: what an object loaded now by dlopen
 * binds against before its own dependencies.  The loader itself answers
 * (dlsym on the main program's handle, whose scope is the global one: the
 * executable, its dependencies, LD_PRELOAD and RTLD_GLOBAL objects), so
 * interposition and version rules are the loader's own.  dlvsym is looked up
 * at run time: musl has none, and ignores versions anyway. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <dlfcn.h>
#include <pthread.h>
#include "ti_core.h"

typedef void *(*ti_dlvsym_fn)(void *, const char *, const char *);

static void *ti_main_handle;
static ti_dlvsym_fn ti_dlvsym;
static pthread_once_t ti_scope_once = PTHREAD_ONCE_INIT;

static void ti_scope_init(void) {
  ti_main_handle = dlopen(NULL, RTLD_LAZY); /* the main program: loads nothing */
  *(void **)&ti_dlvsym = dlsym(RTLD_DEFAULT, "dlvsym");
}

/* 1 when the global scope defines name (at version, when given and the loader
 * knows versions), 0 when not, -1 when the scope cannot be asked. */
int ti_scope_defines(const char *name, const char *version) {
  void *sym;
  pthread_once(&ti_scope_once, ti_scope_init);
  if (!ti_main_handle) return -1;
  dlerror(); /* a symbol whose value is 0 returns NULL without an error */
  if (version && *version && ti_dlvsym) sym = ti_dlvsym(ti_main_handle, name, version);
  else sym = dlsym(ti_main_handle, name);
  return sym || !dlerror() ? 1 : 0;
}

