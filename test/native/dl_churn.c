/* Test helper addon: dlopen and dlclose a library n times, on the calling
 * thread, so other threads can walk the link map while it changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <node_api.h>

static napi_value churn(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  char path[4096];
  size_t len;
  int64_t n = 0, ok = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok ||
      napi_get_value_int64(env, argv[1], &n) != napi_ok)
    return NULL;
  for (int64_t i = 0; i < n; i++) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h) { ok++; dlclose(h); }
  }
  return napi_create_int64(env, ok, &out) == napi_ok ? out : NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "churn", NAPI_AUTO_LENGTH, churn, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "churn", fn) != napi_ok)
    return NULL;
  return exports;
}
