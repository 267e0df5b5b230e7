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

static napi_status ti_set_null(napi_env env, napi_value obj, const char *key) {
  napi_value v;
  napi_status st = napi_get_null(env, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

static napi_status ti_set_hex(napi_env env, napi_value obj, const char *key, uint64_t x) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)x);
  return ti_set_str(env, obj, key, buf);
}

static napi_status ti_push_str(napi_env env, napi_value arr, uint32_t i, const char *s) {
  napi_value v;
  napi_status st = napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return st != napi_ok ? st : napi_set_element(env, arr, i, v);
}

static napi_value ti_js_reloc_counts(napi_env env, const ti_reloc_counts *c) {
  napi_value o = NULL, result = NULL;
  TI_CHECK(env, napi_create_object(env, &o));
  TI_CHECK(env, ti_set_num(env, o, "tpoff", c->tpoff));
  TI_CHECK(env, ti_set_num(env, o, "dtpmod", c->dtpmod));
  TI_CHECK(env, ti_set_num(env, o, "dtpoff", c->dtpoff));
  TI_CHECK(env, ti_set_num(env, o, "tlsdesc", c->tlsdesc));
  result = o;
fail:
  return result;
}

static napi_value ti_js_models(napi_env env, unsigned models) {
  napi_value arr = NULL, result = NULL;
  uint32_t n = 0;
  TI_CHECK(env, napi_create_array(env, &arr));
  for (unsigned bit = 1; bit <= TI_MODEL_TLSDESC; bit <<= 1)
    if (models & bit) TI_CHECK(env, ti_push_str(env, arr, n++, ti_model_name(bit)));
  result = arr;
fail:
  return result;
}

static napi_value ti_js_tls(napi_env env, const ti_module *m) {
  static const char *const placement[] = {"none", "static", "dynamic", "unallocated"};
  napi_value o = NULL, result = NULL;
  TI_CHECK(env, napi_create_object(env, &o));
  TI_CHECK(env, ti_set_num(env, o, "modid", (double)m->tls_modid));
  TI_CHECK(env, ti_set_num(env, o, "size", (double)m->tls_size));
  TI_CHECK(env, ti_set_num(env, o, "initSize", (double)m->tls_init_size));
  TI_CHECK(env, ti_set_num(env, o, "align", (double)m->tls_align));
  TI_CHECK(env, ti_set_str(env, o, "placement", placement[m->placement]));
  if (m->placement == TI_PLACE_STATIC)
    TI_CHECK(env, ti_set_num(env, o, "offset", (double)m->tls_offset));
  else
    TI_CHECK(env, ti_set_null(env, o, "offset"));
  result = o;
fail:
  return result;
}

static napi_value ti_js_module(napi_env env, const ti_module *m) {
  napi_value o = NULL, v = NULL, result = NULL;
  const char *name = strrchr(m->path, '/');
  TI_CHECK(env, napi_create_object(env, &o));
  TI_CHECK(env, ti_set_str(env, o, "path", m->path));
  TI_CHECK(env, ti_set_str(env, o, "name", name ? name + 1 : m->path));
  TI_CHECK(env, ti_set_hex(env, o, "base", m->base));
  TI_CHECK(env, ti_set_bool(env, o, "main", m->is_main));
  TI_CHECK(env, ti_set_bool(env, o, "vdso", m->is_vdso));
  TI_CHECK(env, ti_set_bool(env, o, "loader", m->is_loader));
  if (m->has_tls) {
    if (!(v = ti_js_tls(env, m))) goto fail;
    TI_CHECK(env, ti_set_value(env, o, "tls", v));
  } else {
    TI_CHECK(env, ti_set_null(env, o, "tls"));
  }
  TI_CHECK(env, ti_set_bool(env, o, "staticTlsFlag", m->static_tls_flag));
  if (!(v = ti_js_reloc_counts(env, &m->relocs))) goto fail;
  TI_CHECK(env, ti_set_value(env, o, "tlsRelocations", v));
  if (!(v = ti_js_models(env, m->models))) goto fail;
  TI_CHECK(env, ti_set_value(env, o, "tlsModels", v));
  result = o;
fail:
  return result;
}

/* Walks into stack buffers first; grows on the heap only for very large maps. */
static napi_value ti_js_modules(napi_env env, napi_callback_info cbinfo) {
  ti_module stack_mods[64];
  char stack_strings[8192];
  ti_linkmap lm = {stack_mods, 64, 0, stack_strings, sizeof stack_strings, 0, 0};
  ti_module *heap_mods = NULL;
  char *heap_strings = NULL;
  napi_value arr = NULL, v = NULL, result = NULL;
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
  TI_CHECK(env, napi_create_array_with_length(env, lm.count, &arr));
  for (size_t i = 0; i < lm.count; i++) {
    if (!(v = ti_js_module(env, &lm.mods[i]))) goto fail;
    TI_CHECK(env, napi_set_element(env, arr, (uint32_t)i, v));
  }
  result = arr;
fail:
  free(heap_mods);
  free(heap_strings);
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

static napi_value ti_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"libc", NULL, ti_js_libc, NULL, NULL, NULL, napi_enumerable, NULL},
    {"modules", NULL, ti_js_modules, NULL, NULL, NULL, napi_enumerable, NULL},
    {"staticTls", NULL, ti_js_static_tls, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value result = NULL;
  TI_CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  result = exports;
fail:
  return result;
}

NAPI_MODULE_INIT() { return ti_init(env, exports); }
