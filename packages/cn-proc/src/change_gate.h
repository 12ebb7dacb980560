#ifndef CHANGE_GATE_H
#define CHANGE_GATE_H
#include <node_api.h>
/* Adds watchFiles() and unwatch() to the addon's exports. */
void change_gate_define(napi_env env, napi_value exports);
/* Adds trimMemory() (heap_trim.c). */
void heap_trim_define(napi_env env, napi_value exports);
#endif
