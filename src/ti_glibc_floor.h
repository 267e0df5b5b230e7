/* Keeps binaries built against a new glibc loadable on glibc 2.28 (the floor
 * of official Node 20 builds) on x86_64: glibc 2.34 moved dlsym and pthread_*
 * into libc.so.6 under new version nodes, and 2.33 added stat/fstat symbols.
 * Binding the references to the GLIBC_2.2.5 versions, which every glibc since
 * has kept, removes those needs; libdl.so.2 and libpthread.so.0 stay in
 * DT_NEEDED (binding.gyp links them --no-as-needed) so old glibc finds them.
 * Sanitizer builds define TI_NO_GLIBC_FLOOR: their runtimes intercept the
 * current symbols, and binding to compat versions there breaks the link. */
#ifndef TI_GLIBC_FLOOR_H
#define TI_GLIBC_FLOOR_H

#include <features.h> /* defines __GLIBC__ */

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(TI_NO_GLIBC_FLOOR)
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.2.5");
__asm__(".symver pthread_attr_setstacksize,pthread_attr_setstacksize@GLIBC_2.2.5");
__asm__(".symver pthread_attr_setstack,pthread_attr_setstack@GLIBC_2.2.5");

#include <sys/stat.h>
/* stat and fstat became symbols only in 2.33; before, they were inline
 * wrappers around __xstat and __fxstat (_STAT_VER 1 on x86_64). */
int __xstat(int ver, const char *path, struct stat *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
__asm__(".symver __xstat,__xstat@GLIBC_2.2.5");
__asm__(".symver __fxstat,__fxstat@GLIBC_2.2.5");
__asm__(".symver __fxstatat,__fxstatat@GLIBC_2.4");
#define ti_stat(path, st) __xstat(1, (path), (st))
#define ti_fstat(fd, st) __fxstat(1, (fd), (st))
#define ti_fstatat(dirfd, path, st, flags) __fxstatat(1, (dirfd), (path), (st), (flags))
#else
#include <sys/stat.h>
#define ti_stat(path, st) stat((path), (st))
#define ti_fstat(fd, st) fstat((fd), (st))
#define ti_fstatat(dirfd, path, st, flags) fstatat((dirfd), (path), (st), (flags))
#endif

#endif
