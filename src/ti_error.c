/* The error enum's name table: the TI_* code and message of every ti_err. */
#include "ti_core.h"

static const struct { const char *name, *message; } ti_err_table[TI_ERR_COUNT] = {
  [TI_OK] = {"TI_OK", "success"},
  [TI_ENOMEM] = {"TI_ENOMEM", "out of memory"},
  [TI_ERANGE] = {"TI_ERANGE", "buffer too small"},
  [TI_EINVAL] = {"TI_EINVAL", "invalid argument"},
  [TI_ENOENT] = {"TI_ENOENT", "no such file or directory"},
  [TI_EACCES] = {"TI_EACCES", "permission denied"},
  [TI_EISDIR] = {"TI_EISDIR", "is a directory"},
  [TI_ENOTREG] = {"TI_ENOTREG", "not a regular file"},
  [TI_EIO] = {"TI_EIO", "I/O error"},
  [TI_ENOTELF] = {"TI_ENOTELF", "not an ELF file"},
  [TI_ETRUNCATED] = {"TI_ETRUNCATED", "ELF file is truncated"},
  [TI_EMALFORMED] = {"TI_EMALFORMED", "ELF file is malformed"},
  [TI_ENOTSUP] = {"TI_ENOTSUP", "not supported on this platform"},
  [TI_ETHREAD] = {"TI_ETHREAD", "could not create a measuring thread"},
  [TI_ENAMETOOLONG] = {"TI_ENAMETOOLONG", "file name too long"},
  [TI_ELOOP] = {"TI_ELOOP", "too many levels of symbolic links"},
  [TI_EMFILE] = {"TI_EMFILE", "too many open files"},
};

const char *ti_err_name(ti_err e) {
  return (unsigned)e < TI_ERR_COUNT ? ti_err_table[e].name : "TI_EUNKNOWN";
}

const char *ti_err_message(ti_err e) {
  return (unsigned)e < TI_ERR_COUNT ? ti_err_table[e].message : "unknown error";
}
