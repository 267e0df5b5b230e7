/* The only file that speaks Node-API: turns the core's structs into JS values. */
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
  snprintf(text, sizeof text, "%s: %s%s%s", path ? path : "(buffer)", ti_err_message(e),
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

/* A packed analysis as [strings, nums]: lib/analyze.js builds the object.  The
 * strings go as Latin-1 when they are plain ASCII (the same result, cheaper)
 * and as UTF-8 otherwise, so invalid bytes become U+FFFD as before. */
/* The numbers are copied into a plain ArrayBuffer: an external one would be
 * freed only by a finalizer that waits for the event loop, so a synchronous
 * loop of analyses would hold every one of them until it ends. */
static napi_status ti_nums_buffer(napi_env env, const ti_packed *pk, napi_value *ab) {
  void *data = NULL;
  napi_status st = napi_create_arraybuffer(env, pk->n_nums * sizeof(double), &data, ab);
  if (st == napi_ok && pk->n_nums) memcpy(data, pk->nums, pk->n_nums * sizeof(double));
  return st;
}

static napi_value ti_js_packed(napi_env env, const ti_packed *pk) {
  napi_value arr = NULL, strings = NULL, ab = NULL, nums = NULL, result = NULL;
  if (pk->ascii) TI_CHECK(env, napi_create_string_latin1(env, pk->strings ? pk->strings : "", pk->strings_len, &strings));
  else TI_CHECK(env, napi_create_string_utf8(env, pk->strings, pk->strings_len, &strings));
  TI_CHECK(env, ti_nums_buffer(env, pk, &ab));
  TI_CHECK(env, napi_create_typedarray(env, napi_float64_array, pk->n_nums, ab, 0, &nums));
  TI_CHECK(env, napi_create_array_with_length(env, 2, &arr));
  TI_CHECK(env, napi_set_element(env, arr, 0, strings));
  TI_CHECK(env, napi_set_element(env, arr, 1, nums));
  result = arr;
fail:
  return result;
}

/* Analyzes and packs (any thread); on failure info->detail says why. */
static ti_err ti_analyze_packed(const char *path, ti_elf_info *info, ti_packed *pk) {
  ti_err e = ti_elf_analyze_file(path, info);
  memset(pk, 0, sizeof *pk);
  return e == TI_OK ? ti_elf_pack(info, ti_demangle, pk) : e;
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

/* The path argument, copied; NULL (with a TI_EINVAL thrown) when it is not a string without NULs. */
static char *ti_path_arg(napi_env env, napi_callback_info cbinfo) {
  size_t len = 0;
  char *path = ti_string_arg(env, cbinfo, "path", &len);
  if (path && strlen(path) != len) {
    ti_throw_core(env, TI_EINVAL, "path contains a NUL byte");
    free(path);
    path = NULL;
  }
  return path;
}

static napi_value ti_js_analyze_sync(napi_env env, napi_callback_info cbinfo) {
  ti_elf_info info;
  ti_packed pk;
  napi_value result = NULL, err;
  char *path = ti_path_arg(env, cbinfo);
  ti_err e;
  if (!path) return NULL;
  e = ti_analyze_packed(path, &info, &pk);
  if (e != TI_OK) {
    if ((err = ti_core_error(env, e, path, info.detail))) TI_CHECK(env, napi_throw(env, err));
    goto fail;
  }
  result = ti_js_packed(env, &pk);
fail:
  ti_packed_free(&pk);
  ti_elf_free(&info);
  free(path);
  return result;
}

typedef struct ti_analyze_work {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  ti_packed packed;
  ti_err err;
  char detail[sizeof(((ti_elf_info *)0)->detail)];
} ti_analyze_work;

/* On the thread pool: the file is read, closed and packed there; only the
 * packed result waits for the main thread. */
static void ti_analyze_execute(napi_env env, void *data) {
  ti_analyze_work *w = data;
  ti_elf_info info;
  (void)env;
  w->err = ti_analyze_packed(w->path, &info, &w->packed);
  memcpy(w->detail, info.detail, sizeof w->detail);
  ti_elf_free(&info);
}

/* Settles the promise; an exception raised while building the value rejects it. */
static void ti_analyze_complete(napi_env env, napi_status status, void *data) {
  ti_analyze_work *w = data;
  napi_value value = NULL, exc = NULL;
  bool pending = false;
  if (status != napi_ok) w->err = TI_EIO;
  if (w->err == TI_OK) value = ti_js_packed(env, &w->packed);
  else value = ti_core_error(env, w->err, w->path, w->detail);
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &exc) == napi_ok) {
    napi_reject_deferred(env, w->deferred, exc);
  } else if (value && w->err == TI_OK) {
    napi_resolve_deferred(env, w->deferred, value);
  } else if (value) {
    napi_reject_deferred(env, w->deferred, value);
  }
  napi_delete_async_work(env, w->work);
  ti_packed_free(&w->packed);
  free(w->path);
  free(w);
}

static napi_value ti_js_analyze(napi_env env, napi_callback_info cbinfo) {
  ti_analyze_work *w = calloc(1, sizeof *w);
  napi_value promise = NULL, name = NULL, result = NULL;
  if (!w) {
    ti_throw_core(env, TI_ENOMEM, "analyze");
    return NULL;
  }
  if (!(w->path = ti_path_arg(env, cbinfo))) goto fail;
  TI_CHECK(env, napi_create_string_utf8(env, "tls-inspect:analyze", NAPI_AUTO_LENGTH, &name));
  TI_CHECK(env, napi_create_promise(env, &w->deferred, &promise));
  TI_CHECK(env, napi_create_async_work(env, NULL, name, ti_analyze_execute, ti_analyze_complete, w, &w->work));
  if (napi_queue_async_work(env, w->work) != napi_ok) {
    napi_delete_async_work(env, w->work);
    TI_CHECK(env, napi_generic_failure);
  }
  result = promise;
  w = NULL; /* owned by the async work now */
fail:
  if (w) {
    free(w->path);
    free(w);
  }
  return result;
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
  ti_link_names(ti_names_put, &o);
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
    {"analyze", NULL, ti_js_analyze, NULL, NULL, NULL, napi_enumerable, NULL},
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
