/* Shared internals of the ELF file analyzer (ti_elf.c: headers and the dynamic
 * section; ti_elf_sym.c: versions, symbols and relocations). */
#ifndef TI_ELF_INT_H
#define TI_ELF_INT_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ti_core.h"
#include "ti_elf_src.h"

enum { TI_MAX_LOADS = 256, TI_MAX_NOTES = 8 };

typedef struct ti_vec { void *items; size_t n, cap; } ti_vec;

typedef struct ti_load { uint64_t vaddr, filesz, offset; uint32_t flags; /* PF_* */ } ti_load;
typedef struct ti_note_seg { uint64_t off, size, align; } ti_note_seg;

typedef struct ti_dyn_values {
  uint64_t strtab, strsz, symtab, syment, hash, gnu_hash;
  uint64_t rela, relasz, relaent, rel, relsz, relent, jmprel, pltrelsz, pltrel;
  uint64_t flags, flags1, verneed, verneednum, versym, verdef, verdefnum;
  int bind_now, textrel, has_strtab;
} ti_dyn_values;

/* What a version number (vna_other, vd_ndx) stands for: a need on a file, a
 * definition of this file, or both (a malformed file may say both). */
typedef struct ti_version { const char *need, *file, *def; } ti_version;

/* De-duplication of TLS symbols (.symtab repeats .dynsym's): open addressing
 * over indices into the TLS list, keyed by name and definedness. */
typedef struct ti_tls_set { uint32_t *slots; size_t cap; } ti_tls_set;

struct ti_elf_priv {
  ti_src src;
  int is64, be;
  uint64_t phoff, shoff;
  unsigned phentsize, shentsize;
  uint64_t phnum, shnum;
  ti_load loads[TI_MAX_LOADS];
  size_t nloads;
  ti_note_seg notes[TI_MAX_NOTES];
  size_t nnotes;
  uint64_t dyn_off, dyn_size;
  int has_gnu_stack, gnu_stack_x, has_interp;
  ti_dyn_values d;
  ti_strtab dynstr;
  int has_dynstr;
  uint64_t dynsym_count, dynsym_ent;
  uint64_t symtab_off, symtab_size, symtab_ent, symtab_link;
  ti_window win, win2; /* streaming windows over the tables being walked */
  ti_vec dyn_strings;  /* (tag, offset) of string-valued dynamic entries */
  ti_vec needed, rpath, runpath, tls, vneeds, vdefs, imports, exports;
  ti_version *versions;
  size_t n_versions;
  ti_tls_set tls_set;
  uint32_t *import_of; /* symbol index -> import, when the table is small enough to index */
  uint64_t napi_fn;    /* st_value of node_api_module_get_api_version_v1, when exported */
  int has_napi_fn;
  uint64_t relro_vaddr, relro_size; /* PT_GNU_RELRO: read-only once relocated */
  int nm_wanted, nm_overflow;       /* imports node_module_register; too many relocations kept */
  ti_vec nm_relocs;                 /* relocations that could fill a struct node_module (ti_elf_node.c) */
};

/* A relocation kept by ti_node_note_reloc: where, the address it stores
 * (RELA addend; REL: read in place), RELATIVE or naming a defined symbol. */
typedef struct ti_nm_reloc { uint64_t off, value; unsigned char kind, inplace; } ti_nm_reloc;

typedef struct ti_elf ti_elf; /* the pair the phases pass around */
struct ti_elf { ti_elf_info *info; struct ti_elf_priv *p; };

/* A field of the file's own class and byte order. */
static inline uint64_t ti_rd(const struct ti_elf_priv *p, const uint8_t *b, size_t size) {
  uint64_t v = 0;
  if (p->be == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)) { /* the host's own order: one load */
    uint16_t v16;
    uint32_t v32;
    switch (size) {
    case 1: return b[0];
    case 2: memcpy(&v16, b, 2); return v16;
    case 4: memcpy(&v32, b, 4); return v32;
    case 8: memcpy(&v, b, 8); return v;
    }
  }
  if (p->be)
    for (size_t i = 0; i < size; i++) v = (v << 8) | b[i];
  else
    for (size_t i = size; i-- > 0;) v = (v << 8) | b[i];
  return v;
}

#define TI_FSIZE(T, f) sizeof(((T *)0)->f)
#define TI_GET(p, b, T32, T64, f)                                                   \
  ((p)->is64 ? ti_rd((p), (b) + offsetof(T64, f), TI_FSIZE(T64, f))                 \
             : ti_rd((p), (b) + offsetof(T32, f), TI_FSIZE(T32, f)))
#define TI_SIZE(p, T32, T64) ((p)->is64 ? sizeof(T64) : sizeof(T32))

enum { TI_WINDOW = 64 * 1024 }; /* tables are streamed through windows this large */

ti_err ti_fail(ti_elf *e, ti_err code, const char *what);
/* A failed read of the table `what`: truncation, I/O, memory, or the budget. */
ti_err ti_view_fail(ti_elf *e, const char *what);
int ti_vec_grow(struct ti_elf_priv *p, ti_vec *v, size_t elem);
/* Appends an item to a list, charged to the budget; 0 (src.err set) on failure.
 * Inline: with elem a constant, the copy is a few moves. */
static inline int ti_push(struct ti_elf_priv *p, ti_vec *v, size_t elem, const void *item) {
  if (v->n == v->cap && !ti_vec_grow(p, v, elem)) return 0;
  memcpy((char *)v->items + v->n * elem, item, elem);
  v->n++;
  return 1;
}
/* Makes room for n items at once (a hint: 0 only when memory itself failed). */
int ti_reserve(struct ti_elf_priv *p, ti_vec *v, size_t elem, size_t n);
/* Maps a virtual address range to a file offset through the PT_LOAD segments. */
int ti_vaddr_off(const struct ti_elf_priv *p, uint64_t vaddr, uint64_t size, uint64_t *off);
const char *ti_dynstr(struct ti_elf_priv *p, uint64_t off);

ti_err ti_parse_verneed(ti_elf *e);
ti_err ti_parse_verdef(ti_elf *e);
ti_err ti_parse_dynsym(ti_elf *e);
ti_err ti_parse_symtab(ti_elf *e);
ti_err ti_parse_relocs(ti_elf *e);
/* The declared Node-API version (ti_elf_code.c): reads the function's code. */
void ti_read_declared_napi(ti_elf *e);
/* A legacy addon's struct node_module (ti_elf_node.c): relocations are offered
 * while walked (only when the file imports node_module_register), then read. */
void ti_node_note_reloc(ti_elf *e, uint64_t off, uint32_t type, uint32_t sym, int defined, uint64_t addend, int rela);
void ti_read_node_module(ti_elf *e);
/* Minimum glibc and GLIBCXX versions, and the libc the file was built for
 * (may read the file's notes: call before the descriptor is released). */
void ti_conclude(ti_elf *e);

#endif
