/* Shared by the libFuzzer targets. */
#ifndef HM_FUZZ_H
#define HM_FUZZ_H

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash the fuzzer keeps as an artifact. */
#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);                \
      __builtin_trap();                                                                            \
    }                                                                                              \
  } while (0)

#endif
