/*
 * A change gate: a thread that rereads a few small files (or stats them) every interval and wakes JavaScript
 * only when one differs from the check before. On an idle device the event loop then sleeps: each wake-up of
 * Node costs far more than these reads (a 10 Hz empty JavaScript timer alone costs 0.3 % of a core on a VM).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include "change_gate.h"

#define KIND_CONTENT 0
#define KIND_STAT 1
#define KIND_LISTING 2
#define MAX_FILES 16
#define MAX_PATH 4096
#define READ_BYTES 65536

typedef struct {
  char *path;
  int kind;
  int skip_fields;
  uint64_t last;
} gated_file_t;

typedef struct {
  gated_file_t files[MAX_FILES];
  int count;
  uint64_t interval_ns;
  int stop;
  int running;
  int pending;
  /* Freed once both are done with it: JavaScript (the handle collected) and the wake-up function (released). */
  int handle_done, tsfn_done, released;
  uv_thread_t thread;
  uv_mutex_t mu;
  uv_cond_t cv;
  napi_threadsafe_function tsfn;
  char buf[READ_BYTES];
} gate_t;

static uint64_t fnv(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* A directory's entry names, in the order listed (sysfs lists in a stable order). */
static uint64_t listing(const char *path) {
  uint64_t h = 1469598103934665603ull;
  DIR *dir = opendir(path);
  if (dir == NULL) return fnv(h, &errno, sizeof errno) ^ 1;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) h = fnv(h, e->d_name, strlen(e->d_name) + 1);
  closedir(dir);
  return h;
}

/* A file's state as one number: its content from field `skip_fields` on, its identity, size and times, or a
 * directory's names; a failure is a state too. */
static uint64_t fingerprint(gate_t *g, const gated_file_t *f) {
  uint64_t h = 1469598103934665603ull;
  if (f->kind == KIND_LISTING) return listing(f->path);
  if (f->kind == KIND_STAT) {
    struct stat st;
    if (syscall(SYS_newfstatat, AT_FDCWD, f->path, &st, 0) != 0) return fnv(h, &errno, sizeof errno) ^ 1;
    int64_t parts[7] = { (int64_t)st.st_dev, (int64_t)st.st_ino, (int64_t)st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                         st.st_ctim.tv_sec, st.st_ctim.tv_nsec };
    return fnv(h, parts, sizeof parts);
  }
  /* Opened each time, not kept: a replaced file is read anew, and no namespace is held open by us. */
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fnv(h, &errno, sizeof errno) ^ 1;
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, g->buf + len, sizeof g->buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
    if (len == sizeof g->buf) break;
  }
  close(fd);
  size_t at = 0;
  for (int field = 0; field < f->skip_fields && at < len; field++) {
    while (at < len && g->buf[at] != ' ') at++;
    while (at < len && g->buf[at] == ' ') at++;
  }
  return fnv(h, g->buf + at, len - at);
}

static void run(void *arg) {
  gate_t *g = arg;
  prctl(PR_SET_NAME, "change-gate", 0, 0, 0); /* as top -H and /proc/<pid>/task/<tid>/comm show it */
  uint64_t next = uv_hrtime();
  uv_mutex_lock(&g->mu);
  while (!g->stop) {
    next += g->interval_ns;
    for (;;) {
      uint64_t now = uv_hrtime();
      if (g->stop || now >= next) break;
      uv_cond_timedwait(&g->cv, &g->mu, next - now);
    }
    if (g->stop) break;
    uv_mutex_unlock(&g->mu);
    int changed = 0;
    for (int i = 0; i < g->count; i++) {
      uint64_t now = fingerprint(g, &g->files[i]);
      if (now != g->files[i].last) changed = 1;
      g->files[i].last = now;
    }
    uv_mutex_lock(&g->mu);
    /* One wake-up in flight at most: a slow event loop gets one call, not a queue of them. */
    if (changed && !g->pending && !g->stop) {
      g->pending = 1;
      napi_call_threadsafe_function(g->tsfn, g, napi_tsfn_nonblocking);
    }
    /* A loop that slept far behind (a suspended device) starts afresh rather than catching up. */
    if (uv_hrtime() > next + g->interval_ns) next = uv_hrtime();
  }
  uv_mutex_unlock(&g->mu);
}

static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  gate_t *g = data;
  if (env == NULL || callback == NULL) return; /* torn down: the queue is being drained */
  uv_mutex_lock(&g->mu);
  g->pending = 0;
  uv_mutex_unlock(&g->mu);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, callback, 0, NULL, NULL);
}

static void stop_thread(gate_t *g) {
  uv_mutex_lock(&g->mu);
  int was_running = g->running;
  g->stop = 1;
  g->running = 0;
  uv_cond_signal(&g->cv);
  uv_mutex_unlock(&g->mu);
  if (was_running) uv_thread_join(&g->thread);
}

static void free_gate(gate_t *g) {
  for (int i = 0; i < g->count; i++) free(g->files[i].path);
  uv_mutex_destroy(&g->mu);
  uv_cond_destroy(&g->cv);
  free(g);
}

static void release(gate_t *g) {
  if (g->released) return;
  g->released = 1;
  napi_release_threadsafe_function(g->tsfn, napi_tsfn_abort);
}

/* The handle was collected: the thread is stopped (if unwatch() was not called). */
static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  gate_t *g = data;
  stop_thread(g);
  g->handle_done = 1;
  if (g->tsfn_done) free_gate(g);
  else release(g);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  gate_t *g = data;
  g->tsfn_done = 1;
  if (g->handle_done) free_gate(g);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "ECHANGEGATE", message);
  return NULL;
}

/* watchFiles(paths, kinds, skipFields, intervalMs, callback): the first fingerprints are taken here, so only later changes wake. */
static napi_value WatchFiles(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t count = 0;
  int64_t interval = 0;
  napi_valuetype cb_type = napi_undefined;
  if (argc < 5 || napi_get_array_length(env, argv[0], &count) != napi_ok || napi_get_value_int64(env, argv[3], &interval) != napi_ok
      || napi_typeof(env, argv[4], &cb_type) != napi_ok || cb_type != napi_function) {
    return fail(env, "watchFiles(paths, kinds, skipFields, intervalMs, callback)");
  }
  if (count == 0 || count > MAX_FILES) return fail(env, "watchFiles: 1 to 16 files");
  if (interval < 1 || interval > 3600000) return fail(env, "watchFiles: intervalMs from 1 to 3600000");
  gate_t *g = calloc(1, sizeof *g);
  if (g == NULL) return fail(env, "watchFiles: out of memory");
  if (uv_mutex_init(&g->mu) != 0 || uv_cond_init(&g->cv) != 0) {
    free(g);
    return fail(env, "watchFiles: cannot create a lock");
  }
  g->interval_ns = (uint64_t)interval * 1000000ull;
  for (uint32_t i = 0; i < count; i++) {
    napi_value path, kind, skip;
    char text[MAX_PATH];
    size_t len = 0;
    int32_t k = -1, s = 0;
    if (napi_get_element(env, argv[0], i, &path) != napi_ok || napi_get_value_string_utf8(env, path, text, sizeof text, &len) != napi_ok
        || len == 0 || len >= sizeof text - 1 || napi_get_element(env, argv[1], i, &kind) != napi_ok
        || napi_get_value_int32(env, kind, &k) != napi_ok || k < KIND_CONTENT || k > KIND_LISTING
        || napi_get_element(env, argv[2], i, &skip) != napi_ok || napi_get_value_int32(env, skip, &s) != napi_ok || s < 0) {
      free_gate(g);
      return fail(env, "watchFiles: each file needs a path, a kind (0 content, 1 stat, 2 listing) and fields to skip");
    }
    g->files[i].path = strdup(text);
    g->files[i].kind = k;
    g->files[i].skip_fields = s;
    g->count = (int)i + 1;
    g->files[i].last = fingerprint(g, &g->files[i]);
  }
  napi_value name;
  napi_create_string_utf8(env, "change-gate", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[4], NULL, name, 0, 1, g, tsfn_finalize, NULL, call_js, &g->tsfn) != napi_ok) {
    free_gate(g);
    return fail(env, "watchFiles: cannot create the wake-up function");
  }
  /* The gate alone must not keep the process alive. */
  napi_unref_threadsafe_function(env, g->tsfn);
  if (uv_thread_create(&g->thread, run, g) != 0) {
    g->handle_done = 1; /* no handle: the wake-up function's finalizer frees it */
    release(g);
    return fail(env, "watchFiles: cannot start the thread");
  }
  g->running = 1;
  napi_value handle;
  napi_create_external(env, g, finalize, NULL, &handle);
  return handle;
}

/* unwatch(handle): the thread stops before this returns; no call comes after it. Idempotent. */
static napi_value Unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  gate_t *g = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&g) != napi_ok || g == NULL) return NULL;
  uv_mutex_lock(&g->mu);
  int active = g->running;
  uv_mutex_unlock(&g->mu);
  if (!active) return NULL;
  stop_thread(g);
  release(g);
  return NULL;
}

void change_gate_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "watchFiles", NULL, WatchFiles, NULL, NULL, NULL, napi_default, NULL },
    { "unwatch", NULL, Unwatch, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
