{
  "targets": [
    {
      "target_name": "tls_inspect",
      "sources": ["src/binding.c", "<!@(node scripts/core-sources.js)"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra", "-Wshadow", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "libraries": ["<!@(node scripts/gyp-libs.js)"]
    }
  ]
}
