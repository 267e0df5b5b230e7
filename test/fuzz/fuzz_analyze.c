/* libFuzzer harness over the C core's ELF analyzer (buffer source): every
 * phase, every range check.  Built by scripts/fuzz.js with
 * -fsanitize=fuzzer,address,undefined. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "../../src/ti_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ti_elf_info info;
  ti_err e = ti_elf_analyze_buffer(data, size, &info);
  size_t total = 0;
  if (e == TI_OK) { /* walk what was published so the sanitizers check it */
    for (size_t i = 0; i < info.n_needed; i++) total += strlen(info.needed[i]);
    for (size_t i = 0; i < info.n_tls_symbols; i++) total += strlen(info.tls_symbols[i].name);
    for (size_t i = 0; i < info.n_version_needs; i++) total += strlen(info.version_needs[i].file);
    for (size_t i = 0; i < info.n_imports; i++) {
      total += strlen(info.imports[i].name);
      if (info.imports[i].version) total += strlen(info.imports[i].version) + strlen(info.imports[i].from);
    }
    for (size_t i = 0; i < info.n_exports; i++)
      total += strlen(info.exports[i].name) + (info.exports[i].version ? strlen(info.exports[i].version) : 0);
    for (size_t i = 0; i < info.n_version_defs; i++) total += strlen(info.version_defs[i]);
    if (info.interpreter) total += strlen(info.interpreter);
    ti_packed pk; /* and the packed form the addon hands to JavaScript */
    if (ti_elf_pack(&info, NULL, &pk) == TI_OK) total += pk.strings_len + pk.n_nums;
    ti_packed_free(&pk);
  } else if ((unsigned)e >= TI_ERR_COUNT) {
    __builtin_trap(); /* every failure must be one of the named codes */
  }
  ti_elf_free(&info);
  e = ti_elf_analyze_mem(data, size, TI_ANALYZE_LIGHT, &info); /* the light analysis: its own phase list */
  if (e == TI_OK) {
    for (size_t i = 0; i < info.n_needed; i++) total += strlen(info.needed[i]);
    for (size_t i = 0; i < info.n_version_needs; i++) total += strlen(info.version_needs[i].version);
  } else if ((unsigned)e >= TI_ERR_COUNT) {
    __builtin_trap();
  }
  ti_elf_free(&info);
  return total == (size_t)-1;
}
