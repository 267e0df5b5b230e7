/* The floor for modules(): a bare dl_iterate_phdr walk as a Node-API call,
 * returning one name per module.  Built by bench/run.js with cc. */
#define _GNU_SOURCE
#include <link.h>
#include <node_api.h>

typedef struct walk { napi_env env; napi_value arr; uint32_t n; int failed; } walk;

static int visit(struct dl_phdr_info *info, size_t size, void *arg) {
  walk *w = arg;
  napi_value name;
  (void)size;
  if (napi_create_string_utf8(w->env, info->dlpi_name ? info->dlpi_name : "", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_set_element(w->env, w->arr, w->n++, name) != napi_ok)
    w->failed = 1;
  return w->failed;
}

static napi_value bare_walk(napi_env env, napi_callback_info info) {
  walk w = {env, NULL, 0, 0};
  (void)info;
  if (napi_create_array(env, &w.arr) != napi_ok) return NULL;
  dl_iterate_phdr(visit, &w);
  return w.failed ? NULL : w.arr;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "bareWalk", NAPI_AUTO_LENGTH, bare_walk, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "bareWalk", fn) != napi_ok)
    return NULL;
  return exports;
}
