/* What an analyzed file says about the C library it was built for: the
 * minimum glibc and GLIBCXX versions it needs and the libc family (glibc,
 * musl, Android's bionic, static, unknown). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include "ti_elf_int.h"

/* glibc's own libraries: only their GLIBC_2.x needs say which glibc a file
 * wants (libgcc_s, for one, defines a GLIBC_2.0 node of its own). */
static int ti_is_glibc_library(const char *file) {
  static const char *const exact[] = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
    "libresolv.so.2", "libutil.so.1", "libanl.so.1", "libBrokenLocale.so.1", "libnsl.so.1", "libcrypt.so.1",
    "libmvec.so.1", "libthread_db.so.1", "libc_malloc_debug.so.0", "libmemusage.so", "libpcprofile.so",
    "libSegFault.so", "libcidn.so.1", "ld.so.1", "libc.so.6.1", "libm.so.6.1"};
  static const char *const prefixes[] = {"ld-linux", "ld64.so.", "libnss_"};
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (!strcmp(file, exact[i])) return 1;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (!strncmp(file, prefixes[i], strlen(prefixes[i]))) return 1;
  return 0;
}

/* Compares dotted versions numerically: "2.4" < "2.34". */
static int ti_vercmp(const char *a, const char *b) {
  while (*a || *b) {
    unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
    if (x != y) return x < y ? -1 : 1;
    if (*a == '.') a++;
    if (*b == '.') b++;
    if ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9'))) break;
  }
  return 0;
}

static void ti_min_versions(ti_elf_info *info) {
  for (size_t i = 0; i < info->n_version_needs; i++) {
    const char *v = info->version_needs[i].version;
    const char **slot = !strncmp(v, "GLIBC_2", 7) && ti_is_glibc_library(info->version_needs[i].file) ? &info->min_glibc
                      : !strncmp(v, "GLIBCXX_", 8) ? &info->min_glibcxx : NULL;
    const char *num = slot == &info->min_glibc ? v + 6 : v + 8;
    if (slot && (!*slot || ti_vercmp(num, *slot) > 0)) *slot = num;
  }
}

static int ti_needs(const ti_elf_info *info, const char *name) {
  for (size_t i = 0; i < info->n_needed; i++)
    if (!strcmp(info->needed[i], name)) return 1;
  return 0;
}

/* The "Android" ident note (NT type 1) that the NDK's crtbegin puts in every
 * binary; only the first 4 KiB of each PT_NOTE are looked at. */
static int ti_has_android_note(ti_elf *e) {
  struct ti_elf_priv *p = e->p;
  uint8_t buf[4096];
  int found = 0;
  for (size_t i = 0; i < p->nnotes && !found; i++) {
    uint64_t size = p->notes[i].size < sizeof buf ? p->notes[i].size : sizeof buf;
    uint64_t align = p->notes[i].align == 8 ? 8 : 4;
    const uint8_t *n = ti_src_window(&p->src, p->notes[i].off, size, buf);
    for (uint64_t at = 0; n && !found && size - at >= 12;) {
      uint64_t namesz = ti_rd(p, n + at, 4), descsz = ti_rd(p, n + at + 4, 4), type = ti_rd(p, n + at + 8, 4);
      uint64_t name_end = 12 + ((namesz + align - 1) & ~(align - 1));
      found = type == 1 && namesz == 8 && size - at - 12 >= 8 && !memcmp(n + at + 12, "Android", 8);
      if (name_end > size - at || ((descsz + align - 1) & ~(align - 1)) > size - at - name_end) break;
      at += name_end + ((descsz + align - 1) & ~(align - 1));
    }
  }
  p->src.err = TI_OK; /* a note we cannot read is only "no evidence" */
  return found;
}

/* Bionic's marks: its linker, its libc's LIBC* version nodes, its own libraries. */
static int ti_is_android(ti_elf *e) {
  const ti_elf_info *info = e->info;
  const char *interp = info->interpreter ? strrchr(info->interpreter, '/') : NULL;
  interp = interp ? interp + 1 : info->interpreter ? info->interpreter : "";
  if (!strcmp(interp, "linker") || !strcmp(interp, "linker64")) return 1;
  for (size_t i = 0; i < info->n_version_needs; i++)
    if (!strcmp(info->version_needs[i].file, "libc.so") && !strncmp(info->version_needs[i].version, "LIBC", 4))
      return 1;
  if (ti_needs(info, "liblog.so") || ti_needs(info, "libandroid.so")) return 1;
  return ti_needs(info, "libc.so") && ti_has_android_note(e);
}

static ti_file_libc ti_classify_libc(ti_elf *e) {
  const ti_elf_info *info = e->info;
  const char *interp = info->interpreter ? info->interpreter : "";
  if (!info->has_dynamic) return TI_FILE_LIBC_STATIC;
  /* static-pie: a dynamic section only to relocate itself, no loader, no libraries */
  if (!info->interpreter && !info->n_needed && (info->flags & TI_ELF_PIE)) return TI_FILE_LIBC_STATIC;
  if (ti_base_has_prefix(interp, "ld-musl-")) return TI_FILE_LIBC_MUSL;
  if (ti_is_android(e)) return TI_FILE_LIBC_ANDROID;
  for (size_t i = 0; i < info->n_needed; i++) {
    const char *n = info->needed[i];
    if (!strcmp(n, "libc.so") || ti_base_has_prefix(n, "libc.musl-") || ti_base_has_prefix(n, "ld-musl-"))
      return TI_FILE_LIBC_MUSL;
  }
  if (ti_base_has_prefix(interp, "ld-linux") || ti_base_has_prefix(interp, "ld64.so") || info->min_glibc)
    return TI_FILE_LIBC_GLIBC;
  return ti_needs(info, "libc.so.6") ? TI_FILE_LIBC_GLIBC : TI_FILE_LIBC_UNKNOWN;
}

void ti_conclude(ti_elf *e) {
  ti_min_versions(e->info);
  e->info->libc = ti_classify_libc(e);
}

const char *ti_file_libc_name(ti_file_libc l) {
  static const char *const names[] = {"unknown", "glibc", "musl", "static", "android"};
  return (unsigned)l < sizeof names / sizeof names[0] ? names[l] : "unknown";
}
