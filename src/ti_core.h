/* tls-inspect core: plain C, no Node-API.  Everything here fills caller-owned
 * structs and returns a ti_err; the Node glue and the musl probe both sit on it. */
#ifndef TI_CORE_H
#define TI_CORE_H

#include <stddef.h>
#include <stdint.h>

typedef enum ti_err {
  TI_OK = 0,
  TI_ENOMEM,
  TI_ERANGE,      /* caller's buffer too small: retry with the reported size */
  TI_EINVAL,
  TI_ENOENT,
  TI_EACCES,
  TI_EISDIR,
  TI_ENOTREG,
  TI_EIO,
  TI_ENOTELF,
  TI_ETRUNCATED,
  TI_EMALFORMED,
  TI_ENOTSUP,
  TI_ETHREAD,
  TI_ENAMETOOLONG, /* a path or one of its components is too long */
  TI_ELOOP,        /* too many symbolic links (a loop) */
  TI_EMFILE,       /* no file descriptor left, even after waiting */
  TI_ERR_COUNT
} ti_err;

const char *ti_err_name(ti_err e);    /* "TI_ENOTELF" */
const char *ti_err_message(ti_err e); /* short human text */

/* ---- relocation classes shared by the live walker and the file analyzer ---- */
typedef enum ti_tls_reloc {
  TI_RELOC_OTHER = 0,
  TI_RELOC_TPOFF,   /* initial-exec: fixed offset from the thread pointer */
  TI_RELOC_DTPMOD,  /* module id for __tls_get_addr */
  TI_RELOC_DTPOFF,  /* offset inside the module's block */
  TI_RELOC_TLSDESC  /* TLS descriptor (gnu2 dialect) */
} ti_tls_reloc;

typedef struct ti_reloc_counts {
  uint32_t tpoff, dtpmod, dtpoff, tlsdesc;
  uint32_t dtpmod_local; /* DTPMOD against symbol 0: local-dynamic style */
} ti_reloc_counts;

enum { /* bit set of TLS models seen in a module's relocations */
  TI_MODEL_INITIAL_EXEC = 1u << 0,
  TI_MODEL_GLOBAL_DYNAMIC = 1u << 1,
  TI_MODEL_LOCAL_DYNAMIC = 1u << 2,
  TI_MODEL_TLSDESC = 1u << 3
};

ti_tls_reloc ti_reloc_classify(unsigned machine, uint32_t type);
void ti_reloc_count(ti_reloc_counts *c, unsigned machine, uint32_t type, uint32_t sym);
void ti_reloc_count_class(ti_reloc_counts *c, ti_tls_reloc cls, uint32_t sym);
unsigned ti_reloc_models(const ti_reloc_counts *c);
const char *ti_model_name(unsigned bit); /* "initial-exec" for TI_MODEL_INITIAL_EXEC */
unsigned ti_native_machine(void);        /* EM_X86_64 on x86_64, ... */
/* Whether the last component of path starts with prefix ("ld-musl-" for
 * "/lib/ld-musl-x86_64.so.1"): how loaders and libcs are recognised by name. */
int ti_base_has_prefix(const char *path, const char *prefix);

/* ---- live link map ---- */
typedef enum ti_placement {
  TI_PLACE_NONE = 0,     /* module has no TLS */
  TI_PLACE_STATIC,       /* block inside this thread's static TLS area */
  TI_PLACE_DYNAMIC,      /* block allocated on demand, outside the static area */
  TI_PLACE_UNALLOCATED   /* dynamic module, no block in this thread yet */
} ti_placement;

typedef struct ti_module {
  const char *path;      /* points into the link map's string arena */
  uintptr_t base;        /* load bias (dlpi_addr) */
  int is_main, is_vdso, is_loader;
  int has_tls;
  size_t tls_modid;
  uint64_t tls_size, tls_init_size, tls_align;
  ti_placement placement;
  int64_t tls_offset;    /* distance from the thread pointer; valid when static */
  uintptr_t tls_block;   /* this thread's block (dlpi_tls_data), 0 when none */
  int has_dynamic;
  int static_tls_flag;   /* DT_FLAGS & DF_STATIC_TLS */
  ti_reloc_counts relocs;
  unsigned models;
  int unreadable;        /* its memory could not be read (file truncated in place):
                            the facts above that come from it are missing */
} ti_module;

typedef struct ti_linkmap {
  ti_module *mods;  size_t cap, count;   /* count may exceed cap on TI_ERANGE */
  char *strings;    size_t strcap, strlen;
  uint64_t static_window; /* bytes below (or above) the thread pointer treated as static */
} ti_linkmap;

/* Walks dl_iterate_phdr in link-map order.  On TI_ERANGE, count/strlen hold the
 * sizes needed; grow and call again. */
ti_err ti_linkmap_walk(ti_linkmap *lm);

/* Bytes of static TLS in use as the calling thread sees it: the extent of
 * the blocks packed from the thread pointer (the chain rule, for loaders that
 * do not publish their static size). */
ti_err ti_static_chain_used(uint64_t *used);

/* ---- libc of the running process ---- */
typedef enum ti_libc_family { TI_LIBC_UNKNOWN = 0, TI_LIBC_GLIBC, TI_LIBC_MUSL } ti_libc_family;

typedef struct ti_libc_info {
  ti_libc_family family;
  char version[32];   /* "" when unknown */
  char loader[512];   /* "" when unknown */
} ti_libc_info;

ti_err ti_libc_detect(ti_libc_info *out);

/* ---- the global symbol scope ---- */
/* 1 when this process's global scope defines name (at version, when given and
 * the loader knows versions), 0 when not, -1 when the scope cannot be asked. */
int ti_scope_defines(const char *name, const char *version);
/* The names each loaded object goes by for the loader: its DT_SONAME (or NULL)
 * and the DT_NEEDED names it asked for, read from its memory (never the
 * file), in link-map order.  fn is called for every object that has them. */
typedef void (*ti_link_names_fn)(void *arg, size_t index, const char *soname, const char **needed, size_t n);
ti_err ti_link_names(ti_link_names_fn fn, void *arg);
/* The link map's generation (dlpi_adds, dlpi_subs): it changes with every load and unload. */
void ti_link_generation(unsigned long long *adds, unsigned long long *subs);
const char *ti_libc_family_name(ti_libc_family f);

/* The value `name` had in the environment the process started with: what the
 * loader read (LD_PRELOAD, LD_LIBRARY_PATH, GLIBC_TUNABLES), whatever the
 * program changed since.  The last occurrence wins, as in the loader.  Copies
 * it NUL-terminated into out; TI_ERANGE when cap is too small (*len: the
 * value's length, retry with more), TI_ENOENT when it was not set.  Streams
 * /proc/self/environ through a fixed buffer; without /proc, falls back to the
 * current environment. */
ti_err ti_startup_env(const char *name, char *out, size_t cap, size_t *len);

/* ---- static TLS budget ---- */
typedef struct ti_tunables {
  uint64_t nns, optional_static_tls;
  int nns_set, optional_set;
} ti_tunables;

/* Parses a GLIBC_TUNABLES string; unknown keys are ignored like glibc does. */
void ti_tunables_parse(const char *s, ti_tunables *out);
/* Applies the settings of another tunables string on top of out. */
void ti_tunables_parse_more(const char *s, ti_tunables *out);

typedef struct ti_static_tls {
  ti_libc_family family;
  uint64_t size, align, tcb_size, used, remaining, surplus;
  ti_tunables tunables;
  int exact;
  int variant;          /* TLS ABI variant: 2 blocks below the thread pointer (x86), 1 above */
  const char *source;   /* static string: where the numbers came from */
  const char *note;     /* static string or NULL: why remaining is what it is */
} ti_static_tls;

ti_err ti_static_tls_measure(ti_static_tls *out);

/* Largest static-TLS offset used by modules in a thread created for the purpose. */
ti_err ti_static_tls_used(uint64_t window, uint64_t *used);

/* ---- ELF files on disk ---- */
typedef enum ti_file_libc {
  TI_FILE_LIBC_UNKNOWN = 0, TI_FILE_LIBC_GLIBC, TI_FILE_LIBC_MUSL, TI_FILE_LIBC_STATIC, TI_FILE_LIBC_ANDROID
} ti_file_libc;

typedef struct ti_tls_symbol {
  const char *name;
  uint64_t size;
  unsigned char bind;    /* STB_LOCAL, STB_GLOBAL, STB_WEAK */
  unsigned char defined;
} ti_tls_symbol;

typedef struct ti_version_need {
  const char *file;      /* "libc.so.6" */
  const char *version;   /* "GLIBC_2.34" */
} ti_version_need;

/* An undefined dynamic symbol, and how the relocations naming it are bound:
 * plt (JUMP_SLOT: lazily by glibc under RTLD_LAZY), got (GLOB_DAT: at load by
 * glibc, deferred with the PLT ones by musl under RTLD_LAZY), other (every
 * other type naming it: at load by both). */
typedef struct ti_import {
  const char *name;      /* "pthread_create" */
  const char *version;   /* "GLIBC_2.34", NULL when unversioned */
  const char *from;      /* the file the version need names, NULL when unversioned */
  uint32_t sym;          /* index in the dynamic symbol table */
  unsigned char type;    /* STT_* of st_info */
  unsigned char weak;    /* STB_WEAK */
  unsigned char initial_exec, tlsdesc; /* a TPOFF / TLSDESC relocation names it */
  uint32_t plt, got, other;
} ti_import;

/* A defined dynamic symbol with global, weak or unique binding. */
typedef struct ti_export {
  const char *name;
  const char *version;   /* NULL when unversioned */
  unsigned char hidden;  /* a non-default version: name@VER, not name@@VER */
} ti_export;

enum { /* ti_elf_info.flags */
  TI_ELF_STATIC_TLS = 1u << 0, TI_ELF_BIND_NOW = 1u << 1, TI_ELF_NODELETE = 1u << 2,
  TI_ELF_SYMBOLIC = 1u << 3, TI_ELF_TEXTREL = 1u << 4, TI_ELF_ORIGIN = 1u << 5,
  TI_ELF_PIE = 1u << 6, TI_ELF_EXECSTACK = 1u << 7, TI_ELF_NOOPEN = 1u << 8, TI_ELF_NODEFLIB = 1u << 9
};

typedef struct ti_elf_info {
  int elf_class;          /* 32 or 64 */
  int big_endian;
  unsigned machine, type;
  int has_dynamic, has_section_headers, has_symtab;
  const char *interpreter, *soname;       /* NULL when absent */
  const char **needed, **rpath, **runpath;
  size_t n_needed, n_rpath, n_runpath;
  unsigned flags;
  int has_tls;
  uint64_t tls_size, tls_init_size, tls_align;
  uint64_t tls_vaddr; /* PT_TLS p_vaddr: modulo the alignment, where the block's first byte sits (glibc's l_tls_firstbyte_offset) */
  ti_reloc_counts relocs;
  uint32_t tpoff_own, tlsdesc_own; /* against this file's own block: symbol 0 or defined here */
  unsigned models;
  ti_tls_symbol *tls_symbols;      size_t n_tls_symbols;   /* largest first */
  ti_version_need *version_needs;  size_t n_version_needs;
  ti_import *imports;              size_t n_imports;       /* in .dynsym order */
  ti_export *exports;              size_t n_exports;       /* in .dynsym order */
  const char **version_defs;       size_t n_version_defs;  /* versions this file defines */
  const char *min_glibc, *min_glibcxx;                     /* "2.34", or NULL */
  ti_file_libc libc;
  uint64_t name_bytes;  /* bytes of the names read: what packing them will take, roughly */
  char detail[160];   /* what was malformed or truncated, for error messages */
  char file_id[48];   /* "st_dev:st_ino" of the file read (what the loader compares), "" for a buffer */
  char file_version[128]; /* file_id, size, mtime and ctime of what was read: exports packed later must come from it */
  int light;          /* TI_ANALYZE_LIGHT: no symbols, relocations or section headers were read */
  /* The Node-API version node_api_module_get_api_version_v1 returns, read from
   * its code: TI_NAPI_NONE without that export, TI_NAPI_UNKNOWN when its code is
   * not a known return-a-constant form. */
  int64_t napi_declared;
  /* A legacy addon (imports node_module_register): the nm_version of its
   * struct node_module, TI_NODE_NONE without that import, TI_NODE_UNKNOWN when
   * no struct (or several that disagree) was found; node_context_aware 1 when
   * it registers nm_context_register_func, 0 when only nm_register_func, -1
   * unknown; node_modules: how many such structs were found. */
  int64_t node_abi;
  int node_context_aware;
  unsigned node_modules;
  struct ti_elf_priv *priv;
} ti_elf_info;

/* How much to read.  A light analysis fills the header, program header
 * (interpreter, PT_TLS, stack), dynamic section (needed, soname, rpath,
 * runpath, flags) and version facts (needs, definitions, min_glibc,
 * min_glibcxx), the libc and the file id, and leaves the symbol, relocation
 * and section-header fields empty: what decides whether a file is one a
 * loader could take, at a fraction of the reads. */
enum { TI_ANALYZE_LIGHT = 1u << 0 };
enum { TI_NAPI_NONE = -1, TI_NAPI_UNKNOWN = -2 };
enum { TI_NODE_NONE = -1, TI_NODE_UNKNOWN = -2 };

/* Analyzes an ELF file without loading or executing it.  Never blocks on
 * FIFOs or devices (they are refused before open).  On error, info->detail
 * says what went wrong.  Always call ti_elf_free, whatever the result. */
ti_err ti_elf_analyze_file(const char *path, ti_elf_info *info);
/* The same, path relative to dirfd (or AT_FDCWD), reading as `how` says. */
ti_err ti_elf_analyze_at(int dirfd, const char *path, unsigned how, ti_elf_info *info);
/* The same over a descriptor the caller opened and keeps (it is not closed);
 * anything but a regular file is refused before a byte is read. */
ti_err ti_elf_analyze_fd(int fd, unsigned how, ti_elf_info *info);
/* The same over bytes in memory (the fuzzer and the sanitizer driver use it). */
ti_err ti_elf_analyze_buffer(const void *data, size_t len, ti_elf_info *info);
ti_err ti_elf_analyze_mem(const void *data, size_t len, unsigned how, ti_elf_info *info);
void ti_elf_free(ti_elf_info *info);
/* Demangles a C++/legacy-Rust name with the process's own __cxa_demangle when
 * one is loaded; TI_ENOTSUP when the name is not mangled or nothing can. */
ti_err ti_demangle(const char *name, char *out, size_t cap);
int ti_demangle_available(void);
const char *ti_machine_name(unsigned machine); /* "x86_64", or NULL when unknown */
const char *ti_file_libc_name(ti_file_libc l);
/* "func", "object", "tls", "notype", "ifunc" or "other" for an STT_* type. */
const char *ti_sym_type_name(unsigned stt);

/* How the loader binds a relocation that names a symbol. */
typedef enum ti_bind_class { TI_BIND_NONE = 0, TI_BIND_PLT, TI_BIND_GOT, TI_BIND_OTHER } ti_bind_class;
ti_bind_class ti_reloc_bind_class(unsigned machine, uint32_t type);

/* ---- an analysis packed for another thread or language ----
 * Every string once, NUL-separated, in `strings` (referred to by ordinal,
 * -1 for none); every number, in a fixed order, in `nums`.  Callable from any
 * thread on a finished ti_elf_info; lib/file/analyze.js reads the layout (see
 * ti_elf_pack.c). */
typedef struct ti_packed {
  char *strings;  size_t strings_len, strings_cap, n_strings;
  double *nums;   size_t n_nums, nums_cap;
  int ascii;      /* every byte of strings is 7-bit: Latin-1 reads it the same */
} ti_packed;

/* Demangler for TLS symbol names (ti_demangle), or NULL for none. */
typedef ti_err (*ti_demangle_fn)(const char *name, char *out, size_t cap);
ti_err ti_elf_pack(const ti_elf_info *info, ti_demangle_fn demangle, ti_packed *out);
/* TI_PACK_DEFER_EXPORTS: more than TI_PACK_EAGER_EXPORTS exports are left for
 * ti_elf_pack_exports (packed on first use); TI_PACK_DEFER_ALL_EXPORTS: any
 * number; TI_PACK_TABLE_ONLY: their names are left out but the table by name
 * hash is packed (a reader learns that a name is not exported without them). */
enum { TI_PACK_DEFER_EXPORTS = 1u << 0, TI_PACK_DEFER_ALL_EXPORTS = 1u << 1, TI_PACK_TABLE_ONLY = 1u << 2,
       TI_PACK_EAGER_EXPORTS = 2048 };
ti_err ti_elf_pack_as(const ti_elf_info *info, ti_demangle_fn demangle, unsigned how, ti_packed *out);
ti_err ti_elf_pack_exports(const ti_elf_info *info, ti_packed *out);
void ti_packed_free(ti_packed *pk);
/* Appends the len bytes at s as one string: its ordinal, or -1 when memory runs out. */
double ti_packed_str(ti_packed *pk, const char *s, size_t len);
/* Appends a number: 0 when memory runs out. */
int ti_packed_num(ti_packed *pk, double v);
/* Ends the strings (no separator after the last) and notes whether they are ASCII. */
void ti_packed_finish(ti_packed *pk);

/* ---- walking a tree for native files (ti_walk.c) ----
 * Every *.node file, and every *.so* file with ELF magic, under a root, in
 * batches packed like an analysis (the layout is in ti_walk.c): each with
 * its light analysis's facts (how = TI_ANALYZE_LIGHT) or its header's (0),
 * and every directory that could not be read as an error entry.  A walk is
 * used by one thread at a time; between batches it holds one directory open. */
typedef struct ti_walk ti_walk;
typedef struct ti_walk_opts {
  unsigned how;          /* TI_ANALYZE_LIGHT: a light analysis of each ELF candidate; 0: its header */
  const char *skip;      /* a directory name never entered ("node_modules"), or NULL */
  uint64_t max_visits;   /* directory entries looked at before the walk stops early; 0: no limit */
} ti_walk_opts;
enum { TI_WALK_FIELDS = 10 };
ti_err ti_walk_open(const char *root, const ti_walk_opts *opts, ti_walk **out);
/* The next batch, at most max_entries entries (and a few hundred KB of
 * strings) into out, which the caller frees with ti_packed_free; *done is 1
 * when the walk has ended. */
ti_err ti_walk_next(ti_walk *w, size_t max_entries, ti_packed *out, int *done);
void ti_walk_close(ti_walk *w);

/* ---- small bounded reads (ti_fs.c) ---- */
/* The whole of a regular file of at most limit bytes (TI_ERANGE when larger),
 * NUL-terminated, into *out (the caller frees it). */
ti_err ti_read_small(const char *path, size_t limit, char **out, size_t *len);
/* Up to limit names of a directory (without . and ..), in the order the file
 * system gives them, as the strings of out (the caller frees it). */
ti_err ti_list_dir(const char *path, size_t limit, ti_packed *out);
/* A regular file's identity, size and first bytes, as a loader sees it
 * before it maps the file. */
typedef struct ti_probe_info {
  uint64_t dev, ino, size;
  unsigned char head[64];
  size_t head_len;
} ti_probe_info;
ti_err ti_probe_file(const char *path, ti_probe_info *out);
/* A regular file's version as stat(2) gives it, without opening it:
 * "dev:ino:size:mtime:ctime" (times as seconds.nanoseconds), the form an
 * analysis records of what it read; its size, and the seconds since it last
 * changed (its newer time, modification or change, against CLOCK_REALTIME). */
ti_err ti_file_version(const char *path, char *out, size_t cap, uint64_t *size, double *age);

#endif
