/*
 * trimMemory(): hands the C heap's free pages back to the system (glibc's malloc_trim). After a large message
 * (the start-up inventory) the allocator keeps about 2 MB of freed pages resident that a V8 collection cannot return.
 */
#include <node_api.h>
#include <stdlib.h> /* defines __GLIBC__ where it is glibc */
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "change_gate.h"

static napi_value TrimMemory(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}

void heap_trim_define(napi_env env, napi_value exports) {
  napi_property_descriptor prop = { "trimMemory", NULL, TrimMemory, NULL, NULL, NULL, napi_default, NULL };
  napi_define_properties(env, exports, 1, &prop);
}
