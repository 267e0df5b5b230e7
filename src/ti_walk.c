/* A directory walker for native files: each directory is read with readdir
 * (its d_type spares a stat per entry) and every entry is opened relative to
 * its directory's descriptor, so a tree deeper than PATH_MAX is walked too.
 * Directories are entered once each by (st_dev, st_ino), so symlink loops
 * end; nothing but a regular file is opened for reading, and every open is
 * O_NONBLOCK, so a FIFO named x.node never blocks.  Symbolic links to
 * directories are followed the way module resolution meets them: a package
 * directory that is a link (node_modules/<name>, node_modules/@scope/<name>:
 * pnpm's store, workspace links) is entered when it leads inside the tree or
 * to a package (a package.json); any other link is entered only when it leads
 * inside the tree, so node_modules/x/root -> / walks nothing outside it.  Candidates go by name
 * (*.node, and *.so* with ELF magic); each gets a light analysis, or just its
 * header read.  Results are packed in batches of bounded size: one string
 * table and one number array each (layout below); at most one directory and
 * one file descriptor are held at a time, and no file stays open between
 * batches.
 *
 *   nums: TI_WALK_FORMAT, entries, done, limited (the walk stopped at max_visits),
 *     then TI_WALK_FIELDS per entry:
 *     kind (0 a candidate file, 1 a directory that could not be read),
 *     @dir, @name (for a directory, what went wrong: ti_err_message), @code (TI_* name, -1 for none:
 *     for a file, why its light analysis failed), magic (its first 4 bytes,
 *     big-endian), head (bytes of header read, up to 20), class, machine, libc,
 *     linked (1 when a symlink was followed on the way from the root: its real
 *     path is not the root's real path joined with the names)
 *   strings: NUL-separated, each directory's path once per batch. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ti_glibc_floor.h"
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ti_core.h"
#include "ti_elf_src.h"

enum { TI_WALK_FORMAT = 2, TI_WALK_HEADER = 4, TI_WALK_HEAD = 20, TI_WALK_SLICE = 65536, TI_WALK_BYTES = 256 * 1024 };

/* The paths of the directories waiting to be read grow with depth times
 * breadth (a deep tree with siblings at every level): beyond this many bytes
 * a directory is an error entry instead of a path kept. */
#define TI_WALK_PENDING_MAX ((size_t)16 << 20)

/* ino: the entry's d_ino when it was a directory, not a link (0: unknown):
 * if the directory opened later is another inode, it was replaced meanwhile. */
typedef struct ti_pending { char *path; size_t len; int linked; uint64_t ino; } ti_pending;

/* (st_dev, st_ino) of every directory entered: open addressing. */
typedef struct ti_dir_set { uint64_t *keys; unsigned char *used; size_t cap, n; } ti_dir_set;

struct ti_walk {
  ti_walk_opts opts;
  char *skip;                       /* opts.skip, copied */
  ti_pending *stack;                /* directories waiting to be read */
  size_t n_stack, cap_stack, pending_bytes;
  int starved;                      /* out of descriptors after the wait: no more waiting in this batch */
  DIR *dir;                         /* the directory being read, or NULL */
  char *dir_path;
  size_t dir_len;
  int dir_linked;                   /* reached through a symlink */
  double dir_ref;                   /* its path's ordinal in the batch being filled, -1 when not in it */
  ti_dir_set seen;
  uint64_t root_dev, root_ino;      /* the root's identity, known once it is entered */
  int have_root;
  uint64_t visited;
  int limited;
  double codes[TI_ERR_COUNT];       /* code names' ordinals in the batch being filled */
};

/* ---- directories entered ---- */

static size_t ti_dir_slot(const ti_dir_set *s, uint64_t dev, uint64_t ino) {
  size_t k = ti_mix(dev * 0x9e3779b97f4a7c15ull ^ ino) & (s->cap - 1);
  while (s->used[k] && (s->keys[2 * k] != dev || s->keys[2 * k + 1] != ino)) k = (k + 1) & (s->cap - 1);
  return k;
}

static int ti_dir_set_grow(ti_dir_set *s) {
  ti_dir_set old = *s;
  s->cap = old.cap ? old.cap * 2 : 256;
  s->n = 0;
  s->keys = malloc(s->cap * 2 * sizeof *s->keys);
  s->used = calloc(s->cap, 1);
  if (!s->keys || !s->used) {
    free(s->keys);
    free(s->used);
    *s = old;
    return 0;
  }
  for (size_t i = 0; i < old.cap; i++) {
    if (!old.used[i]) continue;
    size_t k = ti_dir_slot(s, old.keys[2 * i], old.keys[2 * i + 1]);
    s->used[k] = 1;
    s->keys[2 * k] = old.keys[2 * i];
    s->keys[2 * k + 1] = old.keys[2 * i + 1];
    s->n++;
  }
  free(old.keys);
  free(old.used);
  return 1;
}

/* 1 when (dev, ino) is new (and now noted), 0 when seen before, -1 out of memory. */
static int ti_dir_set_add(ti_dir_set *s, uint64_t dev, uint64_t ino) {
  if ((s->n + 1) * 2 > s->cap && !ti_dir_set_grow(s)) return -1;
  size_t k = ti_dir_slot(s, dev, ino);
  if (s->used[k]) return 0;
  s->used[k] = 1;
  s->keys[2 * k] = dev;
  s->keys[2 * k + 1] = ino;
  s->n++;
  return 1;
}

/* ---- names and paths ---- */

/* 1 for *.node, 2 for *.so, *.so.1, *.so.1.2 (a name the loader would take), else 0. */
static int ti_native_name(const char *name, size_t len) {
  size_t end = len, q;
  if (len >= 5 && !memcmp(name + len - 5, ".node", 5)) return 1;
  for (;;) { /* strip trailing .<digits> groups */
    for (q = end; q > 0 && name[q - 1] >= '0' && name[q - 1] <= '9'; q--) {}
    if (q == end || q == 0 || name[q - 1] != '.') break;
    end = q - 1;
  }
  return end >= 3 && !memcmp(name + end - 3, ".so", 3) ? 2 : 0;
}

/* dir/name as the caller's path.join would write it ("." joins to name alone). */
static char *ti_join(const char *dir, size_t dlen, const char *name, size_t nlen, size_t *len) {
  int dot = dlen == 1 && dir[0] == '.', slash = dlen > 0 && dir[dlen - 1] == '/';
  size_t head = dot ? 0 : dlen + !slash;
  char *out = malloc(head + nlen + 1);
  if (!out) return NULL;
  if (!dot) {
    memcpy(out, dir, dlen);
    if (!slash) out[dlen] = '/';
  }
  memcpy(out + head, name, nlen + 1);
  *len = head + nlen;
  return out;
}

/* Opens a directory by a path of any length: in steps shorter than PATH_MAX,
 * each relative to the directory the last one opened. */
static int ti_open_dir(const char *path, size_t len) {
  int at = AT_FDCWD, fd = -1, saved;
  size_t pos = 0;
  char *step;
  if (len < PATH_MAX) return ti_open_at_retrying(AT_FDCWD, path, O_DIRECTORY);
  if (!(step = malloc(PATH_MAX))) return -1;
  while (pos < len) {
    size_t end = len - pos < PATH_MAX ? len : pos + PATH_MAX - 1;
    while (end < len && end > pos && path[end] != '/') end--;
    if (end == pos) { /* one component longer than any name */
      fd = -1;
      errno = ENAMETOOLONG;
      break;
    }
    memcpy(step, path + pos, end - pos);
    step[end - pos] = '\0';
    fd = ti_open_at_retrying(at, step, O_DIRECTORY);
    saved = errno;
    if (at != AT_FDCWD) close(at);
    errno = saved;
    if ((at = fd) < 0) break;
    for (pos = end; pos < len && path[pos] == '/'; pos++) {}
  }
  free(step);
  return fd;
}

/* ---- the batch ---- */

static double ti_code_ref(ti_walk *w, ti_packed *out, ti_err e) {
  if (e == TI_OK) return -1;
  if ((unsigned)e >= TI_ERR_COUNT) e = TI_EIO;
  if (w->codes[e] < 0) w->codes[e] = ti_packed_str(out, ti_err_name(e), strlen(ti_err_name(e)));
  return w->codes[e];
}

typedef struct ti_walk_fact {
  ti_err code;
  uint32_t magic;
  unsigned head, elf_class, machine, libc, linked;
} ti_walk_fact;

/* Appends one entry; 0 when memory ran out. */
static int ti_emit(ti_walk *w, ti_packed *out, int kind, const char *dir, size_t dlen, const char *name,
                   const ti_walk_fact *f) {
  double dref = w->dir_ref, nref = -1;
  if (!dir || dir != w->dir_path) dref = ti_packed_str(out, dir, dlen);
  else if (dref < 0) dref = w->dir_ref = ti_packed_str(out, dir, dlen);
  if (name) nref = ti_packed_str(out, name, strlen(name));
  const double rec[TI_WALK_FIELDS] = {kind, dref, nref, ti_code_ref(w, out, f->code), f->magic, f->head,
                                      f->elf_class, f->machine, f->libc, f->linked};
  if (dref < 0 || (name && nref < 0) || (f->code && rec[3] < 0)) return 0;
  for (size_t i = 0; i < TI_WALK_FIELDS; i++)
    if (!ti_packed_num(out, rec[i])) return 0;
  out->nums[1]++;
  return 1;
}

/* ---- one candidate file ---- */

static void ti_read_head(int fd, ti_walk_fact *f) {
  uint8_t b[TI_WALK_HEAD];
  size_t n;
  ti_err e = ti_pread_head(fd, b, sizeof b, &n);
  if (e != TI_OK) {
    f->code = e;
    return;
  }
  f->head = (unsigned)n;
  for (size_t i = 0; i < 4; i++) f->magic = f->magic << 8 | (i < n ? b[i] : 0);
  if (n >= TI_WALK_HEAD && !memcmp(b, ELFMAG, SELFMAG)) {
    f->elf_class = b[EI_CLASS] == ELFCLASS64 ? 64 : b[EI_CLASS] == ELFCLASS32 ? 32 : 0;
    f->machine = b[EI_DATA] == ELFDATA2MSB ? (unsigned)b[18] << 8 | b[19] : (unsigned)b[19] << 8 | b[18];
  }
}

/* Opens (O_NONBLOCK), checks it is a regular file, reads the facts, closes. */
static void ti_examine(ti_walk *w, int dfd, const char *name, ti_walk_fact *f) {
  struct stat st;
  int fd;
  /* out of descriptors after one wait: the rest of the batch fails at once (the next batch waits again) */
  if (w->starved) fd = ti_open_at_once(dfd, name, 0);
  else if ((fd = ti_open_at_retrying(dfd, name, 0)) < 0 && (errno == EMFILE || errno == ENFILE)) w->starved = 1;
  memset(f, 0, sizeof *f);
  if (fd < 0) {
    f->code = ti_errno_err(errno);
    return;
  }
  if (w->opts.how & TI_ANALYZE_LIGHT) {
    ti_elf_info info;
    f->code = ti_elf_analyze_fd(fd, TI_ANALYZE_LIGHT, &info);
    if (f->code == TI_OK) {
      f->magic = 0x7f454c46u;
      f->head = TI_WALK_HEAD;
      f->elf_class = (unsigned)info.elf_class;
      f->machine = info.machine;
      f->libc = info.libc;
    }
    ti_elf_free(&info);
    if (f->code != TI_OK && f->code != TI_ENOTREG) ti_read_head(fd, f); /* what it is, as far as it can be told */
  } else if (ti_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    f->code = TI_ENOTREG;
  } else {
    ti_read_head(fd, f);
  }
  close(fd);
}

/* ---- walking ---- */

static int ti_push_dir(ti_walk *w, char *path, size_t len, int linked, uint64_t ino) {
  if (w->n_stack == w->cap_stack) {
    size_t cap = w->cap_stack ? w->cap_stack * 2 : 64;
    ti_pending *s = realloc(w->stack, cap * sizeof *s);
    if (!s) return 0;
    w->stack = s;
    w->cap_stack = cap;
  }
  w->stack[w->n_stack++] = (ti_pending){path, len, linked, ino};
  w->pending_bytes += len;
  return 1;
}

/* Enters the next pending directory; an error entry when it cannot be read.
 * Returns 0 when memory ran out. */
static int ti_enter(ti_walk *w, ti_packed *out) {
  ti_pending next = w->stack[--w->n_stack];
  struct stat st;
  w->pending_bytes -= next.len;
  ti_walk_fact f = {TI_OK, 0, 0, 0, 0, 0, 0};
  int fd = ti_open_dir(next.path, next.len), added = 1;
  if (fd >= 0 && ti_fstat(fd, &st) != 0) {
    int saved = errno;
    close(fd);
    fd = -1;
    errno = saved;
  }
  if (fd >= 0 && !w->have_root) { /* the first directory entered is the root */
    w->root_dev = (uint64_t)st.st_dev;
    w->root_ino = (uint64_t)st.st_ino;
    w->have_root = 1;
  }
  if (fd >= 0 && (added = ti_dir_set_add(&w->seen, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) == 1 &&
      (w->dir = fdopendir(fd))) {
    w->dir_path = next.path;
    w->dir_len = next.len;
    /* replaced by a link (or a mount point) since it was listed: its real path is unknown */
    w->dir_linked = next.linked || (next.ino && (uint64_t)st.st_ino != next.ino);
    w->dir_ref = -1;
    return 1;
  }
  f.code = fd < 0 || added == 1 ? ti_errno_err(errno) : TI_OK;
  if (fd >= 0) close(fd);
  int ok = added >= 0 && (f.code == TI_OK || ti_emit(w, out, 1, next.path, next.len, ti_err_message(f.code), &f));
  free(next.path);
  return ok;
}

static void ti_leave(ti_walk *w) {
  closedir(w->dir);
  w->dir = NULL;
  free(w->dir_path);
  w->dir_path = NULL;
}

/* What an entry is, following symlinks: DT_DIR, DT_REG, or DT_UNKNOWN for
 * anything else (devices, FIFOs, sockets: nothing to load; a link that
 * leads nowhere sets *err). */
static int ti_entry_kind(int dfd, const struct dirent *ent, ti_err *err) {
  struct stat st;
  *err = TI_OK;
  if (ent->d_type == DT_DIR || ent->d_type == DT_REG) return ent->d_type;
  if (ent->d_type != DT_LNK && ent->d_type != DT_UNKNOWN) return DT_UNKNOWN;
  if (ti_fstatat(dfd, ent->d_name, &st, 0) != 0) {
    *err = ti_errno_err(errno);
    return DT_UNKNOWN;
  }
  return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
}

/* ---- links to directories ---- */

/* How far up a link's target is followed looking for the root (".." steps). */
enum { TI_WALK_UP_MAX = 4096 };

/* 1 when the directory open as fd lies under the root (or is it): its ".."
 * chain is followed by descriptor, so no path (or its length) matters.  The
 * descriptor is closed. */
static int ti_dir_inside(const ti_walk *w, int fd) {
  struct stat st, up;
  int inside = 0;
  for (int i = 0; fd >= 0 && i < TI_WALK_UP_MAX && ti_fstat(fd, &st) == 0; i++) {
    if ((uint64_t)st.st_dev == w->root_dev && (uint64_t)st.st_ino == w->root_ino) {
      inside = 1;
      break;
    }
    int parent = ti_open_at_once(fd, "..", O_DIRECTORY);
    close(fd);
    fd = parent;
    if (fd >= 0 && ti_fstat(fd, &up) == 0 && up.st_dev == st.st_dev && up.st_ino == st.st_ino) break; /* "/" */
  }
  if (fd >= 0) close(fd);
  return inside;
}

/* The last component of path[0, len), trailing slashes left out. */
static const char *ti_base(const char *path, size_t len, size_t *blen) {
  while (len > 1 && path[len - 1] == '/') len--;
  size_t start = len;
  while (start > 0 && path[start - 1] != '/') start--;
  *blen = len - start;
  return path + start;
}

/* 1 when an entry of the current directory is where a package would be:
 * the directory is node_modules, or an @scope directory inside one. */
static int ti_package_place(const ti_walk *w) {
  size_t blen, plen;
  const char *b = ti_base(w->dir_path, w->dir_len, &blen);
  if (blen == 12 && !memcmp(b, "node_modules", 12)) return 1;
  if (blen < 2 || b[0] != '@' || b == w->dir_path) return 0;
  const char *p = ti_base(w->dir_path, (size_t)(b - w->dir_path), &plen);
  return plen == 12 && !memcmp(p, "node_modules", 12);
}

/* Whether the link `name` (to a directory) of the current directory is
 * entered: it leads inside the tree, or it is a package link to a package. */
static int ti_follow_link(ti_walk *w, int dfd, const char *name) {
  struct stat st;
  int fd;
  if (!w->have_root) return 0;
  if ((fd = ti_open_at_once(dfd, name, O_DIRECTORY)) < 0) return 0;
  int package = ti_package_place(w) && ti_fstatat(fd, "package.json", &st, 0) == 0 && S_ISREG(st.st_mode);
  return ti_dir_inside(w, fd) || package;
}

/* 1 when the entry is a symbolic link (d_type, or lstat when the file system does not say). */
static int ti_entry_is_link(int dfd, const struct dirent *ent) {
  struct stat st;
  if (ent->d_type != DT_UNKNOWN) return ent->d_type == DT_LNK;
  return ti_fstatat(dfd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/* Names reach JavaScript as UTF-8 strings: two invalid names would both
 * become U+FFFD there and stand for one another. */
static int ti_utf8_valid(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i], len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || i + len > n || (len == 2 && c < 0xc2)) return 0;
    for (unsigned k = 1; k < len; k++)
      if ((s[i + k] & 0xc0) != 0x80) return 0;
    if (len == 3) {
      unsigned cp = (c & 0x0f) << 12 | (s[i + 1] & 0x3fu) << 6 | (s[i + 2] & 0x3fu);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    }
    if (len == 4) {
      unsigned cp = (c & 0x07) << 18 | (s[i + 1] & 0x3fu) << 12 | (s[i + 2] & 0x3fu) << 6 | (s[i + 3] & 0x3fu);
      if (cp < 0x10000 || cp > 0x10ffff) return 0;
    }
    i += len;
  }
  return 1;
}

/* An error entry for something in the current directory that is not walked or read. */
static int ti_emit_problem(ti_walk *w, ti_packed *out, ti_err code, const char *why, const char *name) {
  ti_walk_fact f = {code, 0, 0, 0, 0, 0, 0};
  char msg[512];
  size_t at = (size_t)snprintf(msg, sizeof msg, "%s: ", why);
  for (const unsigned char *p = (const unsigned char *)name; *p && at + 5 < sizeof msg; p++) /* \xNN for what is not printable ASCII */
    at += (size_t)(*p >= 0x20 && *p < 0x7f ? snprintf(msg + at, sizeof msg - at, "%c", *p) : snprintf(msg + at, sizeof msg - at, "\\x%02x", *p));
  return ti_emit(w, out, 1, w->dir_path, w->dir_len, msg, &f);
}

/* One directory entry; 0 when memory ran out. */
static int ti_visit(ti_walk *w, ti_packed *out, const struct dirent *ent) {
  const char *name = ent->d_name;
  size_t nlen = strlen(name), len;
  int dfd = dirfd(w->dir), kind, native = ti_native_name(name, nlen);
  int linked = w->dir_linked || ent->d_type == DT_LNK || ent->d_type == DT_UNKNOWN; /* unknown: maybe a link */
  ti_walk_fact f;
  ti_err gone;
  if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))) return 1;
  kind = ti_entry_kind(dfd, ent, &gone);
  if (kind == DT_UNKNOWN && gone != TI_OK && native == 1) /* an addon link that leads nowhere (or round in a loop) */
    return ti_emit_problem(w, out, gone, ti_err_message(gone), name);
  if ((kind == DT_DIR || (kind == DT_REG && native)) && !ti_utf8_valid((const unsigned char *)name, nlen))
    return ti_emit_problem(w, out, TI_EINVAL, "not read: a name that is not UTF-8", name);
  if (kind == DT_DIR) {
    char *path;
    if (w->skip && !strcmp(name, w->skip)) return 1;
    if (ti_entry_is_link(dfd, ent) && !ti_follow_link(w, dfd, name)) return 1; /* leads out of the tree */
    if (w->pending_bytes + w->dir_len + nlen + 2 > TI_WALK_PENDING_MAX)
      return ti_emit_problem(w, out, TI_ERANGE, "not read: the directories waiting to be read hold 16 MiB of paths", name);
    if (!(path = ti_join(w->dir_path, w->dir_len, name, nlen, &len))) return 0;
    if (!ti_push_dir(w, path, len, linked, ent->d_type == DT_DIR ? (uint64_t)ent->d_ino : 0)) {
      free(path);
      return 0;
    }
    return 1;
  }
  if (kind != DT_REG || !native) return 1;
  ti_examine(w, dfd, name, &f);
  f.linked = (unsigned)linked;
  if (native == 2 && f.magic != 0x7f454c46u) return 1; /* linker scripts, text: not a library */
  return ti_emit(w, out, 0, w->dir_path, w->dir_len, name, &f);
}

ti_err ti_walk_open(const char *root, const ti_walk_opts *opts, ti_walk **out) {
  ti_walk *w = calloc(1, sizeof *w);
  char *path = strdup(root);
  *out = NULL;
  if (!w || !path || (opts->skip && !(w->skip = strdup(opts->skip))) || !ti_push_dir(w, path, strlen(path), 0, 0)) {
    free(path);
    ti_walk_close(w);
    return TI_ENOMEM;
  }
  w->opts = *opts;
  w->opts.skip = w->skip;
  *out = w;
  return TI_OK;
}

static void ti_batch_begin(ti_walk *w, ti_packed *out) {
  memset(out, 0, sizeof *out);
  w->starved = 0;
  for (size_t i = 0; i < TI_ERR_COUNT; i++) w->codes[i] = -1;
  w->dir_ref = -1;
  for (int i = 0; i < TI_WALK_HEADER; i++) ti_packed_num(out, i ? 0 : TI_WALK_FORMAT);
}

ti_err ti_walk_next(ti_walk *w, size_t max_entries, ti_packed *out, int *done) {
  size_t slice = 0;
  int ok = 1;
  ti_batch_begin(w, out);
  *done = 0;
  if (out->n_nums != TI_WALK_HEADER) {
    ti_packed_free(out);
    return TI_ENOMEM;
  }
  while (ok && out->nums[1] < max_entries && out->strings_len < TI_WALK_BYTES && slice < TI_WALK_SLICE) {
    struct dirent *ent;
    if (!w->dir) {
      if (!w->n_stack || w->limited) {
        *done = 1;
        break;
      }
      ok = ti_enter(w, out);
      continue;
    }
    errno = 0;
    if (!(ent = readdir(w->dir))) {
      ti_walk_fact f = {errno ? ti_errno_err(errno) : TI_OK, 0, 0, 0, 0, 0, 0};
      ok = !f.code || ti_emit(w, out, 1, w->dir_path, w->dir_len, ti_err_message(f.code), &f);
      ti_leave(w);
      continue;
    }
    slice++;
    if (w->opts.max_visits && ++w->visited > w->opts.max_visits) {
      w->limited = 1;
      ti_leave(w);
      continue;
    }
    ok = ti_visit(w, out, ent);
  }
  out->nums[2] = *done;
  out->nums[3] = w->limited;
  if (!ok) {
    ti_packed_free(out);
    return TI_ENOMEM;
  }
  ti_packed_finish(out);
  return TI_OK;
}

void ti_walk_close(ti_walk *w) {
  if (!w) return;
  if (w->dir) ti_leave(w);
  for (size_t i = 0; i < w->n_stack; i++) free(w->stack[i].path);
  free(w->stack);
  free(w->seen.keys);
  free(w->seen.used);
  free(w->skip);
  free(w);
}
