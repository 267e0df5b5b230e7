/* Runs the C core's ELF analyzer over files and mutations of them: every
 * prefix, random bit flips, zeroed windows.  Built with ASan/UBSan by
 * `npm run test:sanitize`; any out-of-bounds read or undefined behaviour
 * aborts the run.  Each mutation is analyzed from an exact-size heap copy so
 * the sanitizer sees reads past the end.  Prints one JSON line per input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/ti_core.h"

typedef struct stats { unsigned long runs, ok, io_errors, codes[TI_ERR_COUNT]; } stats;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void touch_info(const ti_elf_info *info, stats *st) {
  /* touch every published string so the sanitizer checks them */
  for (size_t i = 0; i < info->n_needed; i++) st->ok += strlen(info->needed[i]) > (size_t)-2;
  for (size_t i = 0; i < info->n_tls_symbols; i++) st->ok += strlen(info->tls_symbols[i].name) > (size_t)-2;
  for (size_t i = 0; i < info->n_version_needs; i++) st->ok += strlen(info->version_needs[i].version) > (size_t)-2;
  for (size_t i = 0; i < info->n_imports; i++) st->ok += strlen(info->imports[i].name) > (size_t)-2;
  for (size_t i = 0; i < info->n_exports; i++) st->ok += strlen(info->exports[i].name) > (size_t)-2;
  ti_packed pk; /* the packed form the addon hands to JavaScript */
  if (ti_elf_pack(info, NULL, &pk) == TI_OK) st->ok += pk.strings_len + pk.n_nums == (size_t)-1;
  ti_packed_free(&pk);
}

static void run_one(const unsigned char *data, size_t len, stats *st) {
  unsigned char *copy = malloc(len ? len : 1);
  ti_elf_info info;
  if (!copy) exit(3);
  memcpy(copy, data, len);
  for (unsigned how = 0; how <= TI_ANALYZE_LIGHT; how++) { /* the full analysis, then the light one */
    ti_err e = ti_elf_analyze_mem(copy, len, how, &info);
    if (e == TI_OK) {
      touch_info(&info, st);
      st->ok++;
    }
    if (e == TI_EIO || e == TI_EMFILE) st->io_errors++; /* a buffer has no I/O: a bug */
    st->codes[(unsigned)e < TI_ERR_COUNT ? e : 0]++;
    st->runs++;
    ti_elf_free(&info);
  }
  free(copy);
}

/* Walks a tree (light, then headers only) in small batches, and reads, lists
 * and probes what it finds: the file-system half of the core. */
static int walk_tree(const char *root) {
  unsigned long entries = 0, errors = 0;
  for (unsigned how = 0; how <= TI_ANALYZE_LIGHT; how++) {
    ti_walk_opts opts = {how, how ? NULL : "lib", 0};
    ti_walk *w;
    int done = 0;
    if (ti_walk_open(root, &opts, &w) != TI_OK) return 1;
    while (!done) {
      ti_packed out;
      if (ti_walk_next(w, 7, &out, &done) != TI_OK) return 1;
      entries += (unsigned long)out.nums[1];
      for (size_t i = 0, at = 4; i < (size_t)out.nums[1]; i++, at += TI_WALK_FIELDS) errors += out.nums[at] == 1;
      ti_packed_free(&out);
    }
    ti_walk_close(w);
  }
  ti_packed names;
  ti_probe_info probe;
  char *text = NULL;
  size_t len = 0;
  if (ti_list_dir(root, 3, &names) == TI_OK) ti_packed_free(&names);
  if (ti_read_small(root, 16, &text, &len) == TI_OK) free(text); /* a directory: refused */
  (void)ti_probe_file(root, &probe);
  printf("{\"walk\":\"%s\",\"entries\":%lu,\"errors\":%lu}\n", root, entries, errors);
  return 0;
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
    *len = (size_t)n;
  } else {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  return buf;
}

static void mutate_all(const unsigned char *data, size_t len, unsigned flips, stats *st) {
  unsigned char *m = malloc(len ? len : 1);
  size_t step = len > 65536 ? len / 1024 : 1; /* large files: sampled prefixes */
  if (!m) exit(3);
  run_one(data, len, st);
  for (size_t n = 0; n < len; n += step) run_one(data, n, st);              /* every prefix */
  for (unsigned i = 0; i < flips; i++) {                                      /* bit flips */
    size_t span = len < 8192 || (i & 1) ? len : 8192;                         /* half in the headers */
    memcpy(m, data, len);
    for (int k = 0; k < 1 + (int)(rng() % 4) && span; k++) m[rng() % span] ^= (unsigned char)(1u << (rng() % 8));
    run_one(m, len, st);
  }
  for (size_t off = 0; off < len; off += len > 65536 ? len / 1024 : 256) {   /* zeroed windows */
    memcpy(m, data, len);
    memset(m + off, 0, len - off < 64 ? len - off : 64);
    run_one(m, len, st);
  }
  free(m);
}

int main(int argc, char **argv) {
  unsigned flips = 2000;
  int failures = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--flips") && i + 1 < argc) { flips = (unsigned)atoi(argv[++i]); continue; }
    if (!strcmp(argv[i], "--walk") && i + 1 < argc) { failures += walk_tree(argv[++i]); continue; }
    size_t len = 0;
    unsigned char *data = slurp(argv[i], &len);
    stats st = {0};
    if (!data) { fprintf(stderr, "cannot read %s\n", argv[i]); failures++; continue; }
    mutate_all(data, len, flips, &st);
    printf("{\"file\":\"%s\",\"runs\":%lu,\"ok\":%lu", argv[i], st.runs, st.codes[TI_OK]);
    for (int c = 1; c < TI_ERR_COUNT; c++)
      if (st.codes[c]) printf(",\"%s\":%lu", ti_err_name((ti_err)c), st.codes[c]);
    printf("}\n");
    if (st.io_errors) {
      fprintf(stderr, "%s: %lu I/O errors from a buffer source\n", argv[i], st.io_errors);
      failures++;
    }
    free(data);
  }
  return failures ? 1 : 0;
}
