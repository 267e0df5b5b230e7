{
  "targets": [
    {
      "target_name": "tls_inspect",
      "sources": [
        "src/binding.c",
        "src/ti_error.c",
        "src/ti_reloc.c",
        "src/ti_thread.c",
        "src/ti_linkmap.c",
        "src/ti_budget.c",
        "src/ti_libc.c",
        "src/ti_elf_src.c",
        "src/ti_elf.c",
        "src/ti_demangle.c"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra", "-Wshadow", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "libraries": ["<!@(node scripts/gyp-libs.js)"]
    }
  ]
}
