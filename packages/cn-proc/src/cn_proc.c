/*
 * The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC) for Node: the socket is watched
 * by uv_poll on Node's own loop (no thread blocked), drained in batches, and each batch handed to
 * JavaScript as one Buffer of fixed-size records. Threads are dropped here; only processes go up.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "change_gate.h"

/* Record layout (6 x int32): kind, pid, ppid (fork) | wait status (exit), exit signal, argv offset, argv length (exec; -1: gone). */
#define REC_INTS 6
#define KIND_FORK 1
#define KIND_EXEC 2
#define KIND_EXIT 3
/* Linux 6.6's proc_input: an op plus a mask of wanted events; older kernels read only the op. */
struct cn_proc_input { uint32_t op; uint32_t event_mask; };
#define MASK_FORK 0x00000001u
#define MASK_EXEC 0x00000002u
#define MASK_EXIT 0x80000000u
#define MAX_MESSAGES_PER_WAKE 4096
#define RECV_BYTES 65536

typedef struct {
  napi_env env;
  int fd;
  int closing;
  /* Freed only when both libuv (handle closed) and JavaScript (handle collected) are done with it. */
  int handle_closed;
  int finalized;
  uv_poll_t poll;
  napi_ref callback;
  napi_async_context async;
  uint32_t overflows;
  int32_t *recs;
  size_t count, capacity;
  /* argv of exec'd processes, read the moment the event is parsed: a short process is gone milliseconds later. */
  char *argv;
  size_t argv_len, argv_cap;
  char buf[RECV_BYTES];
} watcher_t;

static int send_op(int fd, uint32_t op, uint32_t mask, int filtered) {
  char msg[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(struct cn_proc_input))];
  memset(msg, 0, sizeof msg);
  size_t payload = filtered ? sizeof(struct cn_proc_input) : sizeof(uint32_t);
  struct nlmsghdr *nl = (struct nlmsghdr *)msg;
  nl->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + payload);
  nl->nlmsg_type = NLMSG_DONE;
  nl->nlmsg_pid = 0;
  struct cn_msg *cn = (struct cn_msg *)NLMSG_DATA(nl);
  cn->id.idx = CN_IDX_PROC;
  cn->id.val = CN_VAL_PROC;
  cn->len = (uint16_t)payload;
  struct cn_proc_input in = { op, mask };
  memcpy(cn->data, &in, payload);
  return send(fd, nl, nl->nlmsg_len, 0) < 0 ? -errno : 0;
}

static int push(watcher_t *w, int32_t kind, int32_t pid, int32_t a, int32_t b) {
  if (w->count == w->capacity) {
    size_t cap = w->capacity ? w->capacity * 2 : 256;
    int32_t *grown = realloc(w->recs, cap * REC_INTS * sizeof(int32_t));
    if (!grown) { w->overflows++; return 0; }
    w->recs = grown;
    w->capacity = cap;
  }
  int32_t *r = w->recs + w->count * REC_INTS;
  r[0] = kind; r[1] = pid; r[2] = a; r[3] = b; r[4] = 0; r[5] = 0;
  w->count++;
  return 1;
}

#define ARGV_MAX 4096
static void read_argv(watcher_t *w, int32_t pid) {
  int32_t *r = w->recs + (w->count - 1) * REC_INTS;
  r[5] = -1;
  if (w->argv_cap - w->argv_len < ARGV_MAX) {
    size_t cap = w->argv_cap ? w->argv_cap * 2 : 65536;
    char *grown = realloc(w->argv, cap);
    if (!grown) return;
    w->argv = grown;
    w->argv_cap = cap;
  }
  char path[40];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, w->argv + w->argv_len, ARGV_MAX);
  close(fd);
  if (n <= 0) return;
  r[4] = (int32_t)w->argv_len;
  r[5] = (int32_t)n;
  w->argv_len += (size_t)n;
}

static void parse(watcher_t *w, ssize_t len) {
  for (struct nlmsghdr *nl = (struct nlmsghdr *)w->buf; NLMSG_OK(nl, (size_t)len); nl = NLMSG_NEXT(nl, len)) {
    if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_NOOP) continue;
    struct cn_msg *cn = (struct cn_msg *)NLMSG_DATA(nl);
    if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC) continue;
    struct proc_event *ev = (struct proc_event *)cn->data;
    switch (ev->what) {
      case PROC_EVENT_FORK:
        /* A new thread is not a new process. */
        if (ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid) break;
        push(w, KIND_FORK, ev->event_data.fork.child_tgid, ev->event_data.fork.parent_tgid, 0);
        break;
      case PROC_EVENT_EXEC:
        if (push(w, KIND_EXEC, ev->event_data.exec.process_tgid, 0, 0)) read_argv(w, ev->event_data.exec.process_tgid);
        break;
      case PROC_EVENT_EXIT:
        if (ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid) break;
        push(w, KIND_EXIT, ev->event_data.exit.process_tgid, (int32_t)ev->event_data.exit.exit_code, (int32_t)ev->event_data.exit.exit_signal);
        break;
      default:
        break;
    }
  }
}

static void deliver(watcher_t *w) {
  if (w->count == 0 && w->overflows == 0) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[3], result;
  void *data;
  size_t bytes = w->count * REC_INTS * sizeof(int32_t);
  if (napi_create_buffer_copy(env, bytes, w->recs ? (void *)w->recs : (void *)"", &data, &argv[0]) == napi_ok
      && napi_create_uint32(env, w->overflows, &argv[1]) == napi_ok
      && napi_create_buffer_copy(env, w->argv_len, w->argv ? (void *)w->argv : (void *)"", &data, &argv[2]) == napi_ok
      && napi_get_reference_value(env, w->callback, &cb) == napi_ok && cb != NULL
      && napi_get_global(env, &recv) == napi_ok) {
    w->count = 0;
    w->overflows = 0;
    w->argv_len = 0;
    napi_make_callback(env, w->async, recv, cb, 3, argv, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  watcher_t *w = (watcher_t *)handle->data;
  if (w->closing) return;
  if (status < 0) { w->overflows++; deliver(w); return; }
  for (int i = 0; i < MAX_MESSAGES_PER_WAKE; i++) {
    ssize_t n = recv(w->fd, w->buf, sizeof w->buf, MSG_DONTWAIT);
    if (n > 0) { parse(w, n); continue; }
    if (n < 0 && errno == EINTR) continue;
    /* The kernel dropped events for us: say so, never hide it. */
    if (n < 0 && errno == ENOBUFS) { w->overflows++; continue; }
    break;
  }
  deliver(w);
}

static void on_closed(uv_handle_t *handle) {
  watcher_t *w = (watcher_t *)handle->data;
  w->handle_closed = 1;
  if (w->finalized) { free(w->recs); free(w->argv); free(w); }
}

static void shut(napi_env env, watcher_t *w, int from_finalizer) {
  w->closing = 1;
  send_op(w->fd, PROC_CN_MCAST_IGNORE, 0, 0);
  uv_poll_stop(&w->poll);
  close(w->fd);
  napi_delete_reference(env, w->callback);
  /* async_hooks may not be entered while the garbage collector runs a finalizer. */
  if (!from_finalizer) napi_async_destroy(env, w->async);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  watcher_t *w = (watcher_t *)data;
  w->finalized = 1;
  if (!w->closing) shut(env, w, 1);
  else if (w->handle_closed) { free(w->recs); free(w->argv); free(w); }
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char text[160];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "%s", err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : err == EPROTONOSUPPORT ? "EPROTONOSUPPORT" : "ECNPROC");
  napi_throw_error(env, code, text);
  return NULL;
}

/* open(callback(records: Buffer, overflows: number), rcvbufBytes, filtered) -> handle */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type;
  if (argc < 3 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "open(callback, rcvbufBytes, filtered)");
    return NULL;
  }
  int32_t rcvbuf = 0;
  bool filtered = false;
  napi_get_value_int32(env, argv[1], &rcvbuf);
  napi_get_value_bool(env, argv[2], &filtered);

  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
  if (fd < 0) return throw_errno(env, "socket(NETLINK_CONNECTOR)", errno);
  if (rcvbuf > 0) {
    /* FORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it, the plain option is capped there. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  struct sockaddr_nl addr;
  memset(&addr, 0, sizeof addr);
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = CN_IDX_PROC;
  addr.nl_pid = 0;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { int e = errno; close(fd); return throw_errno(env, "bind(CN_IDX_PROC)", e); }
  int err = send_op(fd, PROC_CN_MCAST_LISTEN, MASK_FORK | MASK_EXEC | MASK_EXIT, filtered);
  if (err < 0) { close(fd); return throw_errno(env, "PROC_CN_MCAST_LISTEN", -err); }

  watcher_t *w = calloc(1, sizeof *w);
  if (!w) { close(fd); return throw_errno(env, "calloc", ENOMEM); }
  w->env = env;
  w->fd = fd;
  uv_loop_t *loop;
  napi_value name;
  napi_get_uv_event_loop(env, &loop);
  napi_create_string_utf8(env, "cn-proc", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->async);
  napi_create_reference(env, argv[0], 1, &w->callback);
  uv_poll_init(loop, &w->poll, fd);
  w->poll.data = w;
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  napi_value handle;
  napi_create_external(env, w, finalize, NULL, &handle);
  return handle;
}

/* close(handle): unsubscribe (IGNORE), stop watching, free once libuv lets go. Idempotent. */
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  watcher_t *w = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || w == NULL || w->closing) return NULL;
  shut(env, w, 0);
  return NULL;
}

/* receiveBufferBytes(handle): what the kernel granted (it doubles the request for bookkeeping). */
static napi_value ReceiveBufferBytes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  watcher_t *w = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || w == NULL || w->closing) return NULL;
  int value = 0;
  socklen_t len = sizeof value;
  getsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &value, &len);
  napi_create_int32(env, value, &out);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "open", NULL, Open, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, Close, NULL, NULL, NULL, napi_default, NULL },
    { "receiveBufferBytes", NULL, ReceiveBufferBytes, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  change_gate_define(env, exports);
  heap_trim_define(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
