{
  "targets": [
    {
      "target_name": "cn_proc",
      "sources": ["src/cn_proc.c", "src/change_gate.c", "src/heap_trim.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
