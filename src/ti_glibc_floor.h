/* Keeps binaries built against a new glibc loadable on glibc 2.28 (the floor
 * of official Node 20 builds) on x86_64 and aarch64: glibc 2.34 moved dlsym
 * and pthread_* into libc.so.6 under new version nodes, and 2.33 added
 * stat/fstat symbols.  Binding the references to the architecture's first
 * versions (GLIBC_2.2.5 on x86_64, GLIBC_2.17 on aarch64), which every glibc
 * since has kept, removes those needs (the lab's Debian 11 arm64 root showed
 * an aarch64 build needing 2.33 and 2.34 otherwise); libdl.so.2 and libpthread.so.0 stay in
 * DT_NEEDED (binding.gyp links them --no-as-needed) so old glibc finds them.
 * Sanitizer builds define TI_NO_GLIBC_FLOOR: their runtimes intercept the
 * current symbols, and binding to compat versions there breaks the link. */
#ifndef TI_GLIBC_FLOOR_H
#define TI_GLIBC_FLOOR_H

#include <features.h> /* defines __GLIBC__ */

#if defined(__GLIBC__) && !defined(TI_NO_GLIBC_FLOOR) && (defined(__x86_64__) || defined(__aarch64__))
#if defined(__x86_64__)
#define TI_GLIBC_BASE "GLIBC_2.2.5"
#define TI_GLIBC_FXSTATAT "GLIBC_2.4"
#define TI_STAT_VER 1 /* _STAT_VER of x86_64 before 2.33 */
#else
#define TI_GLIBC_BASE "GLIBC_2.17"
#define TI_GLIBC_FXSTATAT "GLIBC_2.17"
#define TI_STAT_VER 0 /* the generic _STAT_VER (_STAT_VER_KERNEL) aarch64 used */
#endif
__asm__(".symver dlsym,dlsym@" TI_GLIBC_BASE);
__asm__(".symver dlopen,dlopen@" TI_GLIBC_BASE);
__asm__(".symver dlerror,dlerror@" TI_GLIBC_BASE);
__asm__(".symver pthread_create,pthread_create@" TI_GLIBC_BASE);
__asm__(".symver pthread_join,pthread_join@" TI_GLIBC_BASE);
__asm__(".symver pthread_once,pthread_once@" TI_GLIBC_BASE);
__asm__(".symver pthread_attr_setstacksize,pthread_attr_setstacksize@" TI_GLIBC_BASE);
__asm__(".symver pthread_attr_setstack,pthread_attr_setstack@" TI_GLIBC_BASE);

#include <sys/stat.h>
/* stat and fstat became symbols only in 2.33; before, they were inline
 * wrappers around __xstat and __fxstat with the architecture's _STAT_VER. */
int __xstat(int ver, const char *path, struct stat *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
__asm__(".symver __xstat,__xstat@" TI_GLIBC_BASE);
__asm__(".symver __fxstat,__fxstat@" TI_GLIBC_BASE);
__asm__(".symver __fxstatat,__fxstatat@" TI_GLIBC_FXSTATAT);
#define ti_stat(path, st) __xstat(TI_STAT_VER, (path), (st))
#define ti_fstat(fd, st) __fxstat(TI_STAT_VER, (fd), (st))
#define ti_fstatat(dirfd, path, st, flags) __fxstatat(TI_STAT_VER, (dirfd), (path), (st), (flags))
#else
#include <sys/stat.h>
#define ti_stat(path, st) stat((path), (st))
#define ti_fstat(fd, st) fstat((fd), (st))
#define ti_fstatat(dirfd, path, st, flags) fstatat((dirfd), (path), (st), (flags))
#endif

#endif
