/* The only file that speaks Node-API: turns the core's structs into JS values. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* AT_FDCWD */
#endif
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "napi_check.h"
#include "ti_core.h"

void ti_napi_fail(napi_env env, napi_status status, const char *call, const char *file, int line) {
  bool pending = false;
  const napi_extended_error_info *info = NULL;
  char msg[512];
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return;
  napi_get_last_error_info(env, &info);
  snprintf(msg, sizeof msg, "%s failed (%s, status %d) at %s:%d", call,
           info && info->error_message ? info->error_message : "no detail", (int)status, file, line);
  napi_throw_error(env, "TI_ENAPI", msg);
}

static void ti_throw_core(napi_env env, ti_err e, const char *detail) {
  bool pending = false;
  char msg[1024];
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return;
  snprintf(msg, sizeof msg, "%s%s%s", ti_err_message(e), detail && *detail ? ": " : "",
           detail ? detail : "");
  napi_throw_error(env, ti_err_name(e), msg);
}

static napi_status ti_set_value(napi_env env, napi_value obj, const char *key, napi_value v) {
  return napi_set_named_property(env, obj, key, v);
}

static napi_status ti_set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value v;
  napi_status st = s ? napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) : napi_get_null(env, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

static napi_status ti_set_num(napi_env env, napi_value obj, const char *key, double d) {
  napi_value v;
  napi_status st = napi_create_double(env, d, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

static napi_status ti_set_bool(napi_env env, napi_value obj, const char *key, bool b) {
  napi_value v;
  napi_status st = napi_get_boolean(env, b, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

enum { TI_MOD_FIELDS = 13 }; /* per module in modulesPacked().data; lib/index.js reads them */

static void ti_pack_module(const ti_module *m, double *f) {
  f[0] = 0; /* the base address travels in hex in the paths string */
  f[1] = (m->is_main ? 1 : 0) | (m->is_vdso ? 2 : 0) | (m->is_loader ? 4 : 0) | (m->has_tls ? 8 : 0) |
         (m->static_tls_flag ? 16 : 0) | (m->unreadable ? 32 : 0);
  f[2] = (double)m->tls_modid;
  f[3] = (double)m->tls_size;
  f[4] = (double)m->tls_init_size;
  f[5] = (double)m->tls_align;
  f[6] = m->placement;
  f[7] = m->placement == TI_PLACE_STATIC ? (double)m->tls_offset : -1;
  f[8] = m->relocs.tpoff;
  f[9] = m->relocs.dtpmod;
  f[10] = m->relocs.dtpoff;
  f[11] = m->relocs.tlsdesc;
  f[12] = m->models;
}

/* "0x..." for an address, NUL included; returns the bytes written (snprintf
 * costs more than the rest of a module's packing). */
static size_t ti_hex(uint64_t v, char *out) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0, at = 2;
  do {
    tmp[n++] = digits[v & 15];
    v >>= 4;
  } while (v);
  out[0] = '0';
  out[1] = 'x';
  while (n) out[at++] = tmp[--n];
  out[at++] = '\0';
  return at;
}

/* "path\0base\0" per module, base in hex (formatting hex in JS costs more
 * than the whole walk).  Returns the length written, or 0 when cap is short. */
static size_t ti_join_paths(const ti_linkmap *lm, char *out, size_t cap) {
  size_t at = 0;
  for (size_t i = 0; i < lm->count; i++) {
    size_t n = strlen(lm->mods[i].path);
    if (at + n + 24 > cap) return 0;
    memcpy(out + at, lm->mods[i].path, n + 1);
    at += n + 1;
    at += ti_hex(lm->mods[i].base, out + at);
  }
  return at;
}

/* The link map as two values, { paths, data }: every path and base address in
 * one string separated by NULs, and TI_MOD_FIELDS numbers per module in one Float64Array.
 * Building the objects in JS is several times cheaper than property by property
 * through Node-API.  Walks into stack buffers; the heap only for huge maps. */
static napi_value ti_js_modules_packed(napi_env env, napi_callback_info cbinfo) {
  ti_module stack_mods[64];
  char stack_strings[8192];
  ti_linkmap lm = {stack_mods, 64, 0, stack_strings, sizeof stack_strings, 0, 0};
  ti_module *heap_mods = NULL;
  char *heap_strings = NULL;
  napi_value o = NULL, paths = NULL, ab = NULL, data = NULL, result = NULL;
  double *f = NULL;
  char stack_joined[10240], *joined = stack_joined, *heap_joined = NULL;
  size_t joined_len;
  ti_err e = ti_linkmap_walk(&lm);
  (void)cbinfo;
  for (int tries = 0; e == TI_ERANGE && tries < 4; tries++) {
    free(heap_mods);
    free(heap_strings);
    lm.cap = lm.count * 2 + 16;
    lm.strcap = lm.strlen * 2 + 4096;
    heap_mods = lm.mods = malloc(lm.cap * sizeof *lm.mods);
    heap_strings = lm.strings = malloc(lm.strcap);
    e = heap_mods && heap_strings ? ti_linkmap_walk(&lm) : TI_ENOMEM;
  }
  TI_CHECK_CORE(env, e, "link map walk");
  if (!(joined_len = ti_join_paths(&lm, joined, sizeof stack_joined))) {
    size_t cap = lm.strlen + lm.count * 24 + 1;
    heap_joined = joined = malloc(cap);
    TI_CHECK_CORE(env, joined ? TI_OK : TI_ENOMEM, "link map paths");
    joined_len = ti_join_paths(&lm, joined, cap);
  }
  TI_CHECK(env, napi_create_string_utf8(env, joined, joined_len ? joined_len - 1 : 0, &paths));
  TI_CHECK(env, napi_create_arraybuffer(env, lm.count * TI_MOD_FIELDS * sizeof(double), (void **)&f, &ab));
  for (size_t i = 0; i < lm.count; i++) ti_pack_module(&lm.mods[i], f + i * TI_MOD_FIELDS);
  TI_CHECK(env, napi_create_typedarray(env, napi_float64_array, lm.count * TI_MOD_FIELDS, ab, 0, &data));
  TI_CHECK(env, napi_create_object(env, &o));
  TI_CHECK(env, ti_set_value(env, o, "paths", paths));
  TI_CHECK(env, ti_set_value(env, o, "data", data));
  TI_CHECK(env, ti_set_num(env, o, "fields", TI_MOD_FIELDS));
  result = o;
fail:
  free(heap_mods);
  free(heap_strings);
  free(heap_joined);
  return result;
}

static napi_value ti_js_libc(napi_env env, napi_callback_info cbinfo) {
  ti_libc_info info;
  napi_value o = NULL, result = NULL;
  (void)cbinfo;
  TI_CHECK_CORE(env, ti_libc_detect(&info), "libc detection");
  TI_CHECK(env, napi_create_object(env, &o));
  TI_CHECK(env, ti_set_str(env, o, "family", ti_libc_family_name(info.family)));
  TI_CHECK(env, ti_set_str(env, o, "version", info.version[0] ? info.version : NULL));
  TI_CHECK(env, ti_set_str(env, o, "loader", info.loader[0] ? info.loader : NULL));
  result = o;
fail:
  return result;
}

static napi_value ti_js_tunables(napi_env env, const ti_tunables *t) {
  napi_value o = NULL, result = NULL;
  TI_CHECK(env, napi_create_object(env, &o));
  TI_CHECK(env, ti_set_num(env, o, "nns", (double)t->nns));
  TI_CHECK(env, ti_set_num(env, o, "optionalStaticTls", (double)t->optional_static_tls));
  result = o;
fail:
  return result;
}

static napi_value ti_js_static_tls(napi_env env, napi_callback_info cbinfo) {
  ti_static_tls st;
  napi_value o = NULL, tun = NULL, result = NULL;
  (void)cbinfo;
  TI_CHECK_CORE(env, ti_static_tls_measure(&st), "static TLS measurement");
  TI_CHECK(env, napi_create_object(env, &o));
  TI_CHECK(env, ti_set_str(env, o, "libc", ti_libc_family_name(st.family)));
  TI_CHECK(env, ti_set_num(env, o, "size", (double)st.size));
  TI_CHECK(env, ti_set_num(env, o, "align", (double)st.align));
  TI_CHECK(env, ti_set_num(env, o, "tcbSize", (double)st.tcb_size));
  TI_CHECK(env, ti_set_num(env, o, "used", (double)st.used));
  TI_CHECK(env, ti_set_num(env, o, "remaining", (double)st.remaining));
  TI_CHECK(env, ti_set_num(env, o, "surplus", (double)st.surplus));
  TI_CHECK(env, ti_set_num(env, o, "variant", (double)st.variant));
  tun = ti_js_tunables(env, &st.tunables);
  if (!tun) goto fail;
  TI_CHECK(env, ti_set_value(env, o, "tunables", tun));
  TI_CHECK(env, ti_set_bool(env, o, "exact", st.exact));
  TI_CHECK(env, ti_set_str(env, o, "source", st.source));
  TI_CHECK(env, ti_set_str(env, o, "note", st.note));
  result = o;
fail:
  return result;
}

/* startupEnv(name): the value name had when the process started (what the
 * loader saw), or null. */
static napi_value ti_js_startup_env(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1, name_len = 0, len = 0;
  napi_value argv[1], v = NULL, result = NULL;
  napi_valuetype t = napi_undefined;
  char name[256], stack[4096], *value = stack, *heap = NULL;
  ti_err e;
  TI_CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 1) TI_CHECK(env, napi_typeof(env, argv[0], &t));
  TI_CHECK_CORE(env, t == napi_string ? TI_OK : TI_EINVAL, "name must be a string");
  TI_CHECK(env, napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len));
  TI_CHECK_CORE(env, name_len + 1 < sizeof name && strlen(name) == name_len ? TI_OK : TI_EINVAL,
                "name must be shorter than 255 bytes, without NUL");
  e = ti_startup_env(name, stack, sizeof stack, &len);
  if (e == TI_ERANGE) { /* bounded: the kernel caps one variable at 128 KiB */
    value = heap = malloc(len + 1);
    e = heap ? ti_startup_env(name, heap, len + 1, &len) : TI_ENOMEM;
  }
  if (e == TI_ENOENT) TI_CHECK(env, napi_get_null(env, &v));
  else TI_CHECK_CORE(env, e, "start-up environment");
  if (!v) TI_CHECK(env, napi_create_string_utf8(env, value, len, &v));
  result = v;
fail:
  free(heap);
  return result;
}

/* ---- analyze(): ELF files on disk ---- */

static napi_value ti_core_error(napi_env env, ti_err e, const char *path, const char *detail) {
  napi_value err = NULL, code = NULL, msg = NULL, result = NULL;
  char text[1400];
  snprintf(text, sizeof text, "%s%s%s%s%s", path ? path : "", path ? ": " : "", ti_err_message(e),
           detail && *detail ? ": " : "", detail ? detail : "");
  TI_CHECK(env, napi_create_string_utf8(env, ti_err_name(e), NAPI_AUTO_LENGTH, &code));
  TI_CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg));
  TI_CHECK(env, napi_create_error(env, code, msg, &err));
  if (path) TI_CHECK(env, ti_set_str(env, err, "path", path));
  if (detail && *detail) TI_CHECK(env, ti_set_str(env, err, "detail", detail));
  result = err;
fail:
  return result;
}

/* A packed analysis as [strings, nums]: lib/file/analyze.js builds the object.  The
 * strings go as Latin-1 when they are plain ASCII (the same result, cheaper)
 * and as UTF-8 otherwise, so invalid bytes become U+FFFD as before. */
/* The numbers are copied into a plain ArrayBuffer: an external one would be
 * freed only by a finalizer that waits for the event loop, so a synchronous
 * loop of analyses would hold every one of them until it ends.  When every
 * number is a 32-bit integer (all but a few files) they go as an Int32Array:
 * half the bytes for the garbage collector to wait on, read the same in JS. */
static napi_status ti_nums_array(napi_env env, const ti_packed *pk, napi_value *out) {
  void *data = NULL;
  napi_value ab;
  napi_status st;
  int small = 1;
  for (size_t i = 0; i < pk->n_nums && small; i++) small = pk->nums[i] >= INT32_MIN && pk->nums[i] <= INT32_MAX &&
                                                        pk->nums[i] == (double)(int32_t)pk->nums[i];
  st = napi_create_arraybuffer(env, pk->n_nums * (small ? sizeof(int32_t) : sizeof(double)), &data, &ab);
  if (st != napi_ok) return st;
  if (small)
    for (size_t i = 0; i < pk->n_nums; i++) ((int32_t *)data)[i] = (int32_t)pk->nums[i];
  else if (pk->n_nums)
    memcpy(data, pk->nums, pk->n_nums * sizeof(double));
  return napi_create_typedarray(env, small ? napi_int32_array : napi_float64_array, pk->n_nums, ab, 0, out);
}

static napi_value ti_js_packed(napi_env env, const ti_packed *pk) {
  napi_value arr = NULL, strings = NULL, nums = NULL, result = NULL;
  if (pk->ascii) TI_CHECK(env, napi_create_string_latin1(env, pk->strings ? pk->strings : "", pk->strings_len, &strings));
  else TI_CHECK(env, napi_create_string_utf8(env, pk->strings, pk->strings_len, &strings));
  TI_CHECK(env, ti_nums_array(env, pk, &nums));
  TI_CHECK(env, napi_create_array_with_length(env, 2, &arr));
  TI_CHECK(env, napi_set_element(env, arr, 0, strings));
  TI_CHECK(env, napi_set_element(env, arr, 1, nums));
  result = arr;
fail:
  return result;
}

/* What JavaScript asks of an analysis: bit 0 the light analysis
 * (TI_ANALYZE_LIGHT), bit 1 exports packed on first use (analyzeExports) when
 * there are thousands, bit 2 when the file is built for another machine than
 * the one named (analyzeMany's third argument), bit 3 export names packed on
 * first use but their table by name hash at once (TI_PACK_TABLE_ONLY). */
enum { TI_JS_LIGHT = TI_ANALYZE_LIGHT, TI_JS_DEFER_EXPORTS = 1u << 1, TI_JS_DEFER_FOREIGN = 1u << 2,
       TI_JS_TABLE_ONLY = 1u << 3, TI_JS_HOW = TI_JS_LIGHT | TI_JS_DEFER_EXPORTS | TI_JS_DEFER_FOREIGN | TI_JS_TABLE_ONLY };

/* Analyzes and packs (any thread); on failure info->detail says why.  With
 * TI_JS_DEFER_FOREIGN and a machine named (the target's), a file built for
 * another machine defers all of its exports: its verdict needs none of them
 * (only its entry points, always packed), and an API reader still gets them. */
static ti_err ti_analyze_packed(const char *path, unsigned how, unsigned machine, ti_elf_info *info, ti_packed *pk) {
  ti_err e = ti_elf_analyze_at(AT_FDCWD, path, how & TI_JS_LIGHT, info);
  unsigned pack = (how & TI_JS_DEFER_EXPORTS ? TI_PACK_DEFER_EXPORTS : 0) | (how & TI_JS_TABLE_ONLY ? TI_PACK_TABLE_ONLY : 0);
  if (e == TI_OK && (how & TI_JS_DEFER_FOREIGN) && machine && info->machine != machine) pack |= TI_PACK_DEFER_ALL_EXPORTS;
  memset(pk, 0, sizeof *pk);
  return e == TI_OK ? ti_elf_pack_as(info, ti_demangle, pack, pk) : e;
}

/* The first argument, a string, copied with its length (it may hold NULs);
 * NULL (with TI_EINVAL thrown, naming `what`) when it is not a string. */
static char *ti_string_arg(napi_env env, napi_callback_info cbinfo, const char *what, size_t *len) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t = napi_undefined;
  char *s = NULL, *result = NULL;
  char msg[64];
  TI_CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 1) TI_CHECK(env, napi_typeof(env, argv[0], &t));
  if (t != napi_string) {
    snprintf(msg, sizeof msg, "%s must be a string", what);
    ti_throw_core(env, TI_EINVAL, msg);
    goto fail;
  }
  TI_CHECK(env, napi_get_value_string_utf8(env, argv[0], NULL, 0, len));
  if (!(s = malloc(*len + 1))) {
    ti_throw_core(env, TI_ENOMEM, what);
    goto fail;
  }
  TI_CHECK(env, napi_get_value_string_utf8(env, argv[0], s, *len + 1, len));
  result = s;
  s = NULL;
fail:
  free(s);
  return result;
}

/* Argument i as an unsigned number, 0 when absent or not a number. */
static unsigned ti_number_arg(napi_env env, napi_callback_info cbinfo, size_t i) {
  size_t argc = 4;
  napi_value argv[4];
  napi_valuetype t = napi_undefined;
  uint32_t v = 0;
  if (i < 4 && napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) == napi_ok && i < argc &&
      napi_typeof(env, argv[i], &t) == napi_ok && t == napi_number)
    napi_get_value_uint32(env, argv[i], &v);
  return v;
}

/* The path argument, copied, and the optional second one (a number, masked
 * with mask; 0 when absent); NULL (with a TI_EINVAL thrown) when path is not a string. */
static char *ti_path_arg(napi_env env, napi_callback_info cbinfo, unsigned *how, unsigned mask) {
  size_t len = 0;
  char *path = ti_string_arg(env, cbinfo, "path", &len);
  if (path && strlen(path) != len) {
    ti_throw_core(env, TI_EINVAL, "path contains a NUL byte");
    free(path);
    return NULL;
  }
  if (path) *how = ti_number_arg(env, cbinfo, 1) & mask;
  return path;
}

/* The packed analysis as a JS value, or the core's error thrown; what the
 * analysis and the path held is freed either way. */
static napi_value ti_js_analysis_result(napi_env env, ti_err e, char *path, ti_elf_info *info, ti_packed *pk) {
  napi_value result = NULL, err;
  if (e == TI_OK) result = ti_js_packed(env, pk);
  else if ((err = ti_core_error(env, e, path, info->detail))) TI_CHECK(env, napi_throw(env, err));
fail:
  ti_packed_free(pk);
  ti_elf_free(info);
  free(path);
  return result;
}

static napi_value ti_js_analyze_sync(napi_env env, napi_callback_info cbinfo) {
  ti_elf_info info;
  ti_packed pk;
  unsigned how = 0;
  char *path = ti_path_arg(env, cbinfo, &how, TI_JS_HOW);
  if (!path) return NULL;
  return ti_js_analysis_result(env, ti_analyze_packed(path, how, 0, &info, &pk), path, &info, &pk);
}

/* analyzeExports(path, version): the exports an analysis deferred, read
 * again from the file, but only while it is the version analyzed (device,
 * inode, size, modification and change times, as fstat of the descriptor
 * read says); else TI_EIO: a file that changed is not mixed with its past. */
static ti_err ti_exports_packed(const char *path, const char *version, ti_elf_info *info, ti_packed *pk) {
  ti_err e = ti_elf_analyze_at(AT_FDCWD, path, 0, info);
  memset(pk, 0, sizeof *pk);
  if (e == TI_OK && strcmp(info->file_version, version) != 0) {
    snprintf(info->detail, sizeof info->detail, "the file changed since it was analyzed");
    e = TI_EIO;
  }
  return e == TI_OK ? ti_elf_pack_exports(info, pk) : e;
}

/* fileVersion(path): [version, size, seconds since it changed] of a regular
 * file (stat only: nothing is opened), or null when it is none or cannot be
 * stat'ed: the identity check() compares before it reads a file again. */
static napi_value ti_js_file_version(napi_env env, napi_callback_info cbinfo) {
  char version[128];
  uint64_t size = 0;
  double age = 0;
  unsigned how = 0;
  napi_value result = NULL, arr, v;
  char *path = ti_path_arg(env, cbinfo, &how, 0);
  if (!path) return NULL;
  if (ti_file_version(path, version, sizeof version, &size, &age) != TI_OK) {
    TI_CHECK(env, napi_get_null(env, &result));
    goto fail;
  }
  TI_CHECK(env, napi_create_array_with_length(env, 3, &arr));
  TI_CHECK(env, napi_create_string_latin1(env, version, NAPI_AUTO_LENGTH, &v));
  TI_CHECK(env, napi_set_element(env, arr, 0, v));
  TI_CHECK(env, napi_create_double(env, (double)size, &v));
  TI_CHECK(env, napi_set_element(env, arr, 1, v));
  TI_CHECK(env, napi_create_double(env, age, &v));
  TI_CHECK(env, napi_set_element(env, arr, 2, v));
  result = arr;
fail:
  free(path);
  return result;
}

static napi_value ti_js_analyze_exports(napi_env env, napi_callback_info cbinfo) {
  ti_elf_info info;
  ti_packed pk;
  napi_value argv[2];
  size_t argc = 2, len = 0;
  char version[sizeof info.file_version] = "";
  unsigned how = 0;
  char *path = ti_path_arg(env, cbinfo, &how, 0);
  ti_err e = TI_EINVAL;
  memset(&info, 0, sizeof info);
  memset(&pk, 0, sizeof pk);
  if (!path) return NULL;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) == napi_ok && argc >= 2 &&
      napi_get_value_string_utf8(env, argv[1], version, sizeof version, &len) == napi_ok)
    e = ti_exports_packed(path, version, &info, &pk);
  else
    snprintf(info.detail, sizeof info.detail, "analyzeExports(path, version): version must be a string");
  return ti_js_analysis_result(env, e, path, &info, &pk);
}

typedef struct ti_analysis { /* one file's packed analysis, or why there is none */
  ti_packed packed;
  ti_err err;
  char detail[sizeof(((ti_elf_info *)0)->detail)];
} ti_analysis;

typedef struct ti_analyze_work {
  napi_async_work work;
  napi_deferred deferred;
  char *paths;     /* n paths, each NUL-terminated */
  size_t n;
  int many;        /* analyzeMany: an array of results, each an analysis or an error */
  unsigned how, machine;
  ti_analysis *out;
} ti_analyze_work;

/* On the thread pool: each file is read, closed and packed there; only the
 * packed results wait for the main thread. */
static void ti_analyze_execute(napi_env env, void *data) {
  ti_analyze_work *w = data;
  const char *p = w->paths;
  (void)env;
  for (size_t i = 0; i < w->n; i++, p += strlen(p) + 1) {
    ti_elf_info info;
    w->out[i].err = ti_analyze_packed(p, w->how, w->machine, &info, &w->out[i].packed);
    memcpy(w->out[i].detail, info.detail, sizeof w->out[i].detail);
    ti_elf_free(&info);
  }
}

static napi_value ti_analysis_value(napi_env env, const ti_analysis *a, const char *path) {
  return a->err == TI_OK ? ti_js_packed(env, &a->packed) : ti_core_error(env, a->err, path, a->detail);
}

/* analyzeMany's array: each file's analysis, or its error, in order. */
static napi_value ti_analyses_array(napi_env env, const ti_analyze_work *w) {
  napi_value arr = NULL, item, result = NULL;
  const char *p = w->paths;
  TI_CHECK(env, napi_create_array_with_length(env, w->n, &arr));
  for (size_t i = 0; i < w->n; i++, p += strlen(p) + 1) {
    if (!(item = ti_analysis_value(env, &w->out[i], p))) goto fail;
    TI_CHECK(env, napi_set_element(env, arr, (uint32_t)i, item));
  }
  result = arr;
fail:
  return result;
}

/* Settles a promise: resolved with value when ok, else rejected with it; an
 * exception raised while building the value rejects it instead. */
static void ti_settle(napi_env env, napi_deferred deferred, napi_value value, int ok) {
  napi_value exc = NULL;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &exc) == napi_ok) {
    napi_reject_deferred(env, deferred, exc);
  } else if (value && ok) {
    napi_resolve_deferred(env, deferred, value);
  } else if (value) {
    napi_reject_deferred(env, deferred, value);
  }
}

static void ti_analyze_work_free(ti_analyze_work *w) {
  for (size_t i = 0; w->out && i < w->n; i++) ti_packed_free(&w->out[i].packed);
  free(w->out);
  free(w->paths);
  free(w);
}

static void ti_analyze_complete(napi_env env, napi_status status, void *data) {
  ti_analyze_work *w = data;
  napi_value value;
  for (size_t i = 0; i < w->n && status != napi_ok; i++)
    if (w->out[i].err == TI_OK) w->out[i].err = TI_EIO;
  if (w->many) value = ti_analyses_array(env, w);
  else value = ti_analysis_value(env, &w->out[0], w->paths);
  ti_settle(env, w->deferred, value, w->many || w->out[0].err == TI_OK);
  napi_delete_async_work(env, w->work);
  ti_analyze_work_free(w);
}

/* Queues work on the thread pool and returns its promise; NULL (thrown) on failure. */
static napi_value ti_queue(napi_env env, const char *what, napi_async_execute_callback execute,
                           napi_async_complete_callback complete, void *data, napi_deferred *deferred,
                           napi_async_work *work) {
  napi_value promise = NULL, name = NULL, result = NULL;
  TI_CHECK(env, napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &name));
  TI_CHECK(env, napi_create_promise(env, deferred, &promise));
  TI_CHECK(env, napi_create_async_work(env, NULL, name, execute, complete, data, work));
  if (napi_queue_async_work(env, *work) != napi_ok) {
    napi_delete_async_work(env, *work);
    TI_CHECK(env, napi_generic_failure);
  }
  result = promise;
fail:
  return result;
}

static napi_value ti_analyze_start(napi_env env, ti_analyze_work *w) {
  napi_value result = NULL;
  if (w->paths && !(w->out = calloc(w->n ? w->n : 1, sizeof *w->out))) ti_throw_core(env, TI_ENOMEM, "analyze");
  else if (w->paths)
    result = ti_queue(env, "tls-inspect:analyze", ti_analyze_execute, ti_analyze_complete, w, &w->deferred, &w->work);
  if (!result) ti_analyze_work_free(w); /* else owned by the async work now */
  return result;
}

static napi_value ti_js_analyze(napi_env env, napi_callback_info cbinfo) {
  ti_analyze_work *w = calloc(1, sizeof *w);
  if (!w) {
    ti_throw_core(env, TI_ENOMEM, "analyze");
    return NULL;
  }
  w->n = 1;
  w->paths = ti_path_arg(env, cbinfo, &w->how, TI_JS_HOW);
  return ti_analyze_start(env, w);
}

/* analyzeMany("a\0b\0", how, machine): several files in one trip to the thread
 * pool; resolves with an array of analyses and errors, in order.  machine: the
 * e_machine the caller judges for (0: none), see ti_analyze_packed. */
static napi_value ti_js_analyze_many(napi_env env, napi_callback_info cbinfo) {
  ti_analyze_work *w = calloc(1, sizeof *w);
  size_t len = 0;
  if (!w) {
    ti_throw_core(env, TI_ENOMEM, "analyzeMany");
    return NULL;
  }
  w->many = 1;
  if ((w->paths = ti_string_arg(env, cbinfo, "paths", &len))) {
    int bad = len == 0 || w->paths[len - 1] != '\0';
    for (size_t i = 0; i < len; i++) {
      bad |= w->paths[i] == '\0' && (i == 0 || w->paths[i - 1] == '\0'); /* an empty path */
      w->n += w->paths[i] == '\0';
    }
    if (bad) {
      ti_throw_core(env, TI_EINVAL, "expected paths, each ended by a NUL");
      free(w->paths);
      w->paths = NULL;
    }
  }
  if (w->paths) {
    w->how = ti_number_arg(env, cbinfo, 1) & TI_JS_HOW;
    w->machine = ti_number_arg(env, cbinfo, 2) & 0xffff;
  }
  return ti_analyze_start(env, w);
}

/* ---- readSmall(path, limit), listDir(path, limit), probe(path): one trip
 * to the thread pool each, resolving with the file's text (UTF-8), the
 * names joined by NULs, or [st_dev:st_ino, size, first bytes] ---- */

enum { TI_FS_READ, TI_FS_LIST, TI_FS_PROBE };

typedef struct ti_fs_work {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  size_t limit;
  int op;
  char *text;     /* readSmall's bytes */
  size_t len;
  ti_packed names;
  ti_probe_info probe;
  ti_err err;
} ti_fs_work;

static void ti_fs_execute(napi_env env, void *data) {
  ti_fs_work *w = data;
  (void)env;
  if (w->op == TI_FS_LIST) w->err = ti_list_dir(w->path, w->limit, &w->names);
  else if (w->op == TI_FS_PROBE) w->err = ti_probe_file(w->path, &w->probe);
  else w->err = ti_read_small(w->path, w->limit, &w->text, &w->len);
}

static napi_value ti_probe_value(napi_env env, const ti_probe_info *p) {
  napi_value arr = NULL, id = NULL, size = NULL, head = NULL, result = NULL;
  char text[48];
  snprintf(text, sizeof text, "%llu:%llu", (unsigned long long)p->dev, (unsigned long long)p->ino);
  TI_CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &id));
  TI_CHECK(env, napi_create_double(env, (double)p->size, &size));
  TI_CHECK(env, napi_create_buffer_copy(env, p->head_len, p->head, NULL, &head));
  TI_CHECK(env, napi_create_array_with_length(env, 3, &arr));
  TI_CHECK(env, napi_set_element(env, arr, 0, id));
  TI_CHECK(env, napi_set_element(env, arr, 1, size));
  TI_CHECK(env, napi_set_element(env, arr, 2, head));
  result = arr;
fail:
  return result;
}

static napi_value ti_fs_value(napi_env env, const ti_fs_work *w) {
  napi_value v = NULL, result = NULL;
  if (w->op == TI_FS_PROBE) return ti_probe_value(env, &w->probe);
  if (w->op == TI_FS_LIST) TI_CHECK(env, napi_create_string_utf8(env, w->names.strings ? w->names.strings : "", w->names.strings_len, &v));
  else TI_CHECK(env, napi_create_string_utf8(env, w->text, w->len, &v));
  result = v;
fail:
  return result;
}

static void ti_fs_complete(napi_env env, napi_status status, void *data) {
  ti_fs_work *w = data;
  napi_value value;
  if (status != napi_ok && w->err == TI_OK) w->err = TI_EIO;
  value = w->err != TI_OK ? ti_core_error(env, w->err, w->path, NULL) : ti_fs_value(env, w);
  ti_settle(env, w->deferred, value, w->err == TI_OK);
  napi_delete_async_work(env, w->work);
  ti_packed_free(&w->names);
  free(w->text);
  free(w->path);
  free(w);
}

static napi_value ti_fs_start(napi_env env, napi_callback_info cbinfo, int op) {
  ti_fs_work *w = calloc(1, sizeof *w);
  unsigned limit = 0;
  napi_value result = NULL;
  if (!w) {
    ti_throw_core(env, TI_ENOMEM, "readSmall/listDir/probe");
    return NULL;
  }
  w->op = op;
  if ((w->path = ti_path_arg(env, cbinfo, &limit, UINT32_MAX))) {
    w->limit = limit;
    if ((result = ti_queue(env, "tls-inspect:fs", ti_fs_execute, ti_fs_complete, w, &w->deferred, &w->work)))
      return result; /* owned by the async work now */
  }
  free(w->path);
  free(w);
  return NULL;
}

static napi_value ti_js_read_small(napi_env env, napi_callback_info cbinfo) { return ti_fs_start(env, cbinfo, TI_FS_READ); }
static napi_value ti_js_list_dir(napi_env env, napi_callback_info cbinfo) { return ti_fs_start(env, cbinfo, TI_FS_LIST); }
static napi_value ti_js_probe(napi_env env, napi_callback_info cbinfo) { return ti_fs_start(env, cbinfo, TI_FS_PROBE); }

/* ---- walkOpen(root, how), walkNext(handle, max), walkClose(handle): the
 * native files under a directory, a batch per call on the thread pool ---- */

typedef struct ti_walk_handle {
  ti_walk *walk;  /* NULL once closed */
  int busy;       /* a batch is being filled: closing waits for it */
  int closing;    /* walkClose came while busy */
} ti_walk_handle;

static const napi_type_tag ti_walk_tag = {0x7469776b6c617774ull, 0x2d696e7370656374ull};

static void ti_walk_finalize(napi_env env, void *data, void *hint) {
  ti_walk_handle *h = data;
  (void)env;
  (void)hint;
  ti_walk_close(h->walk); /* never busy here: a batch holds a reference to its handle */
  free(h);
}

/* The optional string argument argv[i] into buf (NULL when absent or null). */
static napi_status ti_opt_string(napi_env env, napi_value v, char *buf, size_t cap, const char **out) {
  napi_valuetype t = napi_undefined;
  size_t len = 0;
  napi_status st = napi_typeof(env, v, &t);
  *out = NULL;
  if (st != napi_ok || t == napi_undefined || t == napi_null) return st;
  if (t != napi_string) return napi_string_expected;
  if ((st = napi_get_value_string_utf8(env, v, buf, cap, &len)) == napi_ok && len + 1 < cap && strlen(buf) == len) *out = buf;
  return st == napi_ok && !*out ? napi_invalid_arg : st;
}

/* walkOpen(root, how, skip, maxVisits): how as for analyze(); skip, a
 * directory name never entered (or null); maxVisits, 0 for no limit. */
static napi_value ti_js_walk_open(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], ext = NULL, result = NULL;
  ti_walk_opts opts = {0, NULL, 0};
  char *root = ti_path_arg(env, cbinfo, &opts.how, TI_ANALYZE_LIGHT), skip[NAME_MAX + 2]; /* room to tell a longer one */
  ti_walk_handle *h = NULL;
  double max = 0;
  if (!root) return NULL;
  TI_CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 3) TI_CHECK(env, ti_opt_string(env, argv[2], skip, sizeof skip, &opts.skip));
  if (argc >= 4) TI_CHECK(env, napi_get_value_double(env, argv[3], &max));
  opts.max_visits = max > 0 && max < 9007199254740992.0 ? (uint64_t)max : 0;
  h = calloc(1, sizeof *h);
  TI_CHECK_CORE(env, h ? ti_walk_open(root, &opts, &h->walk) : TI_ENOMEM, "walk");
  TI_CHECK(env, napi_create_external(env, h, ti_walk_finalize, NULL, &ext));
  h = NULL; /* the finalizer's now */
  TI_CHECK(env, napi_type_tag_object(env, ext, &ti_walk_tag));
  result = ext;
fail:
  if (h) ti_walk_close(h->walk);
  free(h);
  free(root);
  return result;
}

/* The handle argument and the optional second one; NULL (thrown) when it is not a walk. */
static ti_walk_handle *ti_walk_arg(napi_env env, napi_callback_info cbinfo, napi_value *handle, uint32_t *n) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype t = napi_undefined;
  bool ours = false;
  void *data = NULL;
  ti_walk_handle *result = NULL;
  TI_CHECK(env, napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL));
  if (argc >= 1) TI_CHECK(env, napi_typeof(env, argv[0], &t));
  if (t == napi_external) TI_CHECK(env, napi_check_object_type_tag(env, argv[0], &ti_walk_tag, &ours));
  TI_CHECK_CORE(env, ours ? TI_OK : TI_EINVAL, "expected a walk handle");
  if (n && argc >= 2) TI_CHECK(env, napi_get_value_uint32(env, argv[1], n));
  TI_CHECK(env, napi_get_value_external(env, argv[0], &data));
  *handle = argv[0];
  result = data;
fail:
  return result;
}

typedef struct ti_walk_work {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref ref;  /* keeps the handle alive while the batch is filled */
  ti_walk_handle *h;
  size_t max;
  ti_packed out;
  int done;
  ti_err err;
} ti_walk_work;

static void ti_walk_execute(napi_env env, void *data) {
  ti_walk_work *w = data;
  (void)env;
  w->err = ti_walk_next(w->h->walk, w->max, &w->out, &w->done);
}

static void ti_walk_complete(napi_env env, napi_status status, void *data) {
  ti_walk_work *w = data;
  napi_value value;
  if (status != napi_ok && w->err == TI_OK) w->err = TI_EIO;
  w->h->busy = 0;
  if (w->h->closing) {
    ti_walk_close(w->h->walk);
    w->h->walk = NULL;
  }
  value = w->err == TI_OK ? ti_js_packed(env, &w->out) : ti_core_error(env, w->err, NULL, "walking the tree");
  ti_settle(env, w->deferred, value, w->err == TI_OK);
  napi_delete_reference(env, w->ref);
  napi_delete_async_work(env, w->work);
  ti_packed_free(&w->out);
  free(w);
}

/* A promise of the next batch, [strings, nums] (see ti_walk.c). */
static napi_value ti_js_walk_next(napi_env env, napi_callback_info cbinfo) {
  napi_value handle = NULL, result = NULL;
  uint32_t max = 1024;
  ti_walk_handle *h = ti_walk_arg(env, cbinfo, &handle, &max);
  ti_walk_work *w = NULL;
  if (!h) return NULL;
  TI_CHECK_CORE(env, h->walk && !h->busy ? TI_OK : TI_EINVAL, "the walk is closed or already filling a batch");
  TI_CHECK_CORE(env, (w = calloc(1, sizeof *w)) ? TI_OK : TI_ENOMEM, "walk");
  w->h = h;
  w->max = max ? max : 1;
  TI_CHECK(env, napi_create_reference(env, handle, 1, &w->ref));
  if (!(result = ti_queue(env, "tls-inspect:walk", ti_walk_execute, ti_walk_complete, w, &w->deferred, &w->work))) {
    napi_delete_reference(env, w->ref);
    goto fail;
  }
  h->busy = 1;
  w = NULL; /* owned by the async work now */
fail:
  free(w);
  return result;
}

/* Closes the walk now, or when its batch in progress is done. */
static napi_value ti_js_walk_close(napi_env env, napi_callback_info cbinfo) {
  napi_value handle = NULL;
  ti_walk_handle *h = ti_walk_arg(env, cbinfo, &handle, NULL);
  if (h && h->busy) h->closing = 1;
  else if (h) {
    ti_walk_close(h->walk);
    h->walk = NULL;
  }
  return NULL;
}

/* ---- the global scope: scopeDefines("name\0version\0name\0\0...") -> Uint8Array ---- */

/* 1 defined, 0 not, 2 when the scope cannot be asked; one byte per name/version pair. */
static napi_value ti_js_scope_defines(napi_env env, napi_callback_info cbinfo) {
  size_t len = 0, n = 0;
  char *list = ti_string_arg(env, cbinfo, "symbol list", &len);
  napi_value ab = NULL, out = NULL, result = NULL;
  uint8_t *flags = NULL;
  if (!list) return NULL;
  for (size_t i = 0; i < len; i++) n += list[i] == '\0';
  n /= 2;
  TI_CHECK(env, napi_create_arraybuffer(env, n ? n : 1, (void **)&flags, &ab));
  for (size_t i = 0, at = 0; i < n; i++) {
    const char *name = list + at, *version = name + strlen(name) + 1;
    int r = ti_scope_defines(name, version);
    flags[i] = r < 0 ? 2 : (uint8_t)r;
    at = (size_t)(version - list) + strlen(version) + 1;
  }
  TI_CHECK(env, napi_create_typedarray(env, napi_uint8_array, n, ab, 0, &out));
  result = out;
fail:
  free(list);
  return result;
}

/* "adds:subs": a key that changes whenever an object is loaded or unloaded. */
static napi_value ti_js_generation(napi_env env, napi_callback_info cbinfo) {
  unsigned long long adds = 0, subs = 0;
  char text[48];
  napi_value v = NULL, result = NULL;
  (void)cbinfo;
  ti_link_generation(&adds, &subs);
  snprintf(text, sizeof text, "%llu:%llu", adds, subs);
  TI_CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v));
  result = v;
fail:
  return result;
}

/* linkNames(): for each loaded object, in link-map order, [soname | null, [needed...]]
 * (objects without a dynamic section: null). */
typedef struct ti_names_out { napi_env env; napi_value arr; napi_status st; } ti_names_out;

static void ti_names_put(void *arg, size_t index, const char *soname, const char **needed, size_t n) {
  ti_names_out *o = arg;
  napi_value entry, list, so;
  if (o->st != napi_ok) return;
  if ((o->st = napi_create_array_with_length(o->env, 2, &entry)) != napi_ok) return;
  if ((o->st = napi_create_array_with_length(o->env, n, &list)) != napi_ok) return;
  for (size_t i = 0; i < n && o->st == napi_ok; i++) {
    napi_value v;
    o->st = napi_create_string_utf8(o->env, needed[i], NAPI_AUTO_LENGTH, &v);
    if (o->st == napi_ok) o->st = napi_set_element(o->env, list, (uint32_t)i, v);
  }
  if (o->st != napi_ok) return;
  o->st = soname ? napi_create_string_utf8(o->env, soname, NAPI_AUTO_LENGTH, &so) : napi_get_null(o->env, &so);
  if (o->st == napi_ok) o->st = napi_set_element(o->env, entry, 0, so);
  if (o->st == napi_ok) o->st = napi_set_element(o->env, entry, 1, list);
  if (o->st == napi_ok) o->st = napi_set_element(o->env, o->arr, (uint32_t)index, entry);
}

static napi_value ti_js_link_names(napi_env env, napi_callback_info cbinfo) {
  ti_names_out o = {env, NULL, napi_ok};
  napi_value result = NULL;
  (void)cbinfo;
  TI_CHECK(env, napi_create_array(env, &o.arr));
  TI_CHECK_CORE(env, ti_link_names(ti_names_put, &o), "linkNames");
  TI_CHECK(env, o.st);
  result = o.arr;
fail:
  return result;
}

static napi_value ti_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"libc", NULL, ti_js_libc, NULL, NULL, NULL, napi_enumerable, NULL},
    {"modulesPacked", NULL, ti_js_modules_packed, NULL, NULL, NULL, napi_enumerable, NULL},
    {"staticTls", NULL, ti_js_static_tls, NULL, NULL, NULL, napi_enumerable, NULL},
    {"analyzeSync", NULL, ti_js_analyze_sync, NULL, NULL, NULL, napi_enumerable, NULL},
    {"fileVersion", NULL, ti_js_file_version, NULL, NULL, NULL, napi_enumerable, NULL},
    {"analyzeExports", NULL, ti_js_analyze_exports, NULL, NULL, NULL, napi_enumerable, NULL},
    {"analyze", NULL, ti_js_analyze, NULL, NULL, NULL, napi_enumerable, NULL},
    {"analyzeMany", NULL, ti_js_analyze_many, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readSmall", NULL, ti_js_read_small, NULL, NULL, NULL, napi_enumerable, NULL},
    {"listDir", NULL, ti_js_list_dir, NULL, NULL, NULL, napi_enumerable, NULL},
    {"probe", NULL, ti_js_probe, NULL, NULL, NULL, napi_enumerable, NULL},
    {"walkOpen", NULL, ti_js_walk_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"walkNext", NULL, ti_js_walk_next, NULL, NULL, NULL, napi_enumerable, NULL},
    {"walkClose", NULL, ti_js_walk_close, NULL, NULL, NULL, napi_enumerable, NULL},
    {"scopeDefines", NULL, ti_js_scope_defines, NULL, NULL, NULL, napi_enumerable, NULL},
    {"generation", NULL, ti_js_generation, NULL, NULL, NULL, napi_enumerable, NULL},
    {"linkNames", NULL, ti_js_link_names, NULL, NULL, NULL, napi_enumerable, NULL},
    {"startupEnv", NULL, ti_js_startup_env, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value result = NULL;
  TI_CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  result = exports;
fail:
  return result;
}

NAPI_MODULE_INIT() { return ti_init(env, exports); }
