/* Minimal TAP 13 producer for the unit tests: plan first, one line a check, exit status
 * 0 when everything passed, 1 otherwise, 77 (meson: skipped) for a whole-file skip. */
#ifndef HM_TAP_H
#define HM_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failed;

static inline void tap_plan(int n) {
  printf("1..%d\n", n);
  fflush(stdout);
}

__attribute__((format(printf, 2, 3))) static inline bool tap_ok(bool pass, const char *fmt, ...) {
  va_list ap;
  printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  if (!pass)
    tap_failed++;
  return pass;
}

__attribute__((format(printf, 1, 2))) static inline void tap_skip(const char *fmt, ...) {
  va_list ap;
  printf("ok %d # SKIP ", ++tap_count);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

__attribute__((format(printf, 1, 2))) static inline void tap_diag(const char *fmt, ...) {
  va_list ap;
  printf("# ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void
tap_skip_all(const char *fmt, ...) {
  va_list ap;
  printf("1..0 # SKIP ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  /* Under meson's TAP protocol the "1..0 # SKIP" plan marks the skip; exit 77 would be
   * reported as an error (meson 1.0). */
  exit(0);
}

/* Exit status for the file; also catches a plan that does not match the checks run. */
static inline int tap_exit_status(int planned) {
  if (tap_count != planned) {
    printf("# planned %d checks, ran %d\n", planned, tap_count);
    return 1;
  }
  return tap_failed ? 1 : 0;
}

#endif
