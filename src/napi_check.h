/* One family of status checks for every napi_* call in the glue.
 * A failing call throws once (unless an exception is already pending) naming
 * the call and file:line, then jumps to the function's single `fail:` exit. */
#ifndef TI_NAPI_CHECK_H
#define TI_NAPI_CHECK_H

#include <node_api.h>

void ti_napi_fail(napi_env env, napi_status status, const char *call, const char *file, int line);

#define TI_CHECK(env, call)                                              \
  do {                                                                   \
    napi_status ti_status_ = (call);                                     \
    if (ti_status_ != napi_ok) {                                         \
      ti_napi_fail((env), ti_status_, #call, __FILE__, __LINE__);        \
      goto fail;                                                         \
    }                                                                    \
  } while (0)

/* For checks that are not napi calls: throw a coded error and leave. */
#define TI_CHECK_CORE(env, expr, detail)                                 \
  do {                                                                   \
    ti_err ti_err_ = (expr);                                             \
    if (ti_err_ != TI_OK) {                                              \
      ti_throw_core((env), ti_err_, (detail));                           \
      goto fail;                                                         \
    }                                                                    \
  } while (0)

#endif
