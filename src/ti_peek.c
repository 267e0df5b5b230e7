/* ti_peek: this process's own memory read without trusting the address.  A
 * page of a file mapping whose file was truncated in place raises SIGBUS on a
 * plain load, even a page the loader had already written to; the kernel reads
 * it for us instead and reports a fault as an error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "ti_internal.h"

/* The ways, in order: process_vm_readv on our own pid, else pread on
 * /proc/self/mem, else a write of the range into a pipe of our own (which also
 * works under qemu-user, where the first two see the host's address space,
 * not ours).  Each way is trusted only once it has
 * read back a value of ours from our own stack. */

enum { TI_PEEK_UNTRIED = 0, TI_PEEK_TRUSTED, TI_PEEK_REFUSED };
static int ti_peek_vm_state, ti_peek_mem_state, ti_peek_pipe_state;

static ti_err ti_peek_vm(void *dst, uintptr_t addr, size_t len) {
  struct iovec local = {dst, len}, remote = {(void *)addr, len};
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return TI_OK;
  return n >= 0 || errno == EFAULT || errno == ENOMEM ? TI_EIO : TI_ENOTSUP;
}

static ti_err ti_peek_memfile(void *dst, uintptr_t addr, size_t len) {
  ssize_t n;
  int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return TI_ENOTSUP;
#if defined(__GLIBC__)
  n = pread64(fd, dst, len, (off64_t)addr);
#else
  n = pread(fd, dst, len, (off_t)addr);
#endif
  close(fd);
  if (n == (ssize_t)len) return TI_OK;
  return n >= 0 || errno == EIO || errno == EFAULT ? TI_EIO : TI_ENOTSUP;
}

static ti_err ti_peek_pipe(void *dst, uintptr_t addr, size_t len) {
  int fds[2];
  size_t done = 0;
  ti_err e = TI_OK;
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) return TI_ENOTSUP;
  while (e == TI_OK && done < len) { /* a pipe holds as little as one page: pass it through in turns */
    ssize_t n = write(fds[1], (const char *)addr + done, len - done);
    if (n <= 0 || read(fds[0], (char *)dst + done, (size_t)n) != n) e = TI_EIO;
    else done += (size_t)n;
  }
  close(fds[0]);
  close(fds[1]);
  return e;
}

/* Whether `way` reads our own memory: a way that cannot read back our own
 * stack, or reads something else there, is not used again; so is a refused
 * process_vm_readv (seccomp, an old kernel).  A /proc/self/mem or pipe that
 * cannot be opened now (no /proc, no descriptor left) may open later. */
static int ti_peek_trusted(ti_err (*way)(void *, uintptr_t, size_t), int *state, int refusal_final) {
  int s = __atomic_load_n(state, __ATOMIC_ACQUIRE);
  if (s == TI_PEEK_UNTRIED) {
    uintptr_t mine[4] = {0x7469, (uintptr_t)state, (uintptr_t)&s, 0x6b65}, back[4] = {0};
    ti_err e = way(back, (uintptr_t)mine, sizeof mine);
    if (e == TI_OK) s = memcmp(mine, back, sizeof mine) ? TI_PEEK_REFUSED : TI_PEEK_TRUSTED;
    else if (e == TI_EIO || refusal_final) s = TI_PEEK_REFUSED;
    if (s != TI_PEEK_UNTRIED) __atomic_store_n(state, s, __ATOMIC_RELEASE);
  }
  return s == TI_PEEK_TRUSTED;
}

ti_err ti_peek(void *dst, uintptr_t addr, size_t len) {
  ti_err e = TI_ENOTSUP;
  if (!len) return TI_OK;
  if (ti_peek_trusted(ti_peek_vm, &ti_peek_vm_state, 1)) {
    e = ti_peek_vm(dst, addr, len);
    if (e != TI_ENOTSUP) return e;
    __atomic_store_n(&ti_peek_vm_state, TI_PEEK_REFUSED, __ATOMIC_RELEASE); /* refused since */
  }
  if (ti_peek_trusted(ti_peek_memfile, &ti_peek_mem_state, 0)) {
    e = ti_peek_memfile(dst, addr, len);
    if (e != TI_ENOTSUP) return e;
  }
  if (ti_peek_trusted(ti_peek_pipe, &ti_peek_pipe_state, 0)) e = ti_peek_pipe(dst, addr, len);
  return e;
}
