/* What every subcommand prints the same way: errors, usage errors, JSON. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

#include "hm-crypto.h"

void hm_cli_error(const char *cmd, const hm_error *err) {
  fprintf(stderr, "hermetic%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", err->msg[0] ? err->msg : strerror(err->code));
}

int hm_cli_usage_error(const char *cmd, int status, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "hermetic %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'hermetic %s --help'.\n", cmd);
  return status;
}

int hm_cli_option_error(const char *cmd, int status, char *const *argv, int c) {
  const char *bad = argv[optind - 1];
  if (optopt && strncmp(bad, "--", 2) != 0) /* a short option, maybe inside a cluster */
    return c == ':' ? hm_cli_usage_error(cmd, status, "option '-%c' needs a value", optopt)
                    : hm_cli_usage_error(cmd, status, "unknown option '-%c'", optopt);
  if (c == ':')
    return hm_cli_usage_error(cmd, status, "option '%s' needs a value", bad);
  if (optopt) /* a long option that takes no value was given one */
    return hm_cli_usage_error(cmd, status, "option '%s' takes no value", bad);
  return hm_cli_usage_error(cmd, status, "unknown option '%s'", bad);
}

int hm_cli_need_crypto(const char *cmd, int status) {
  hm_error err = {0};
  if (hm_crypto_load(&err) == 0)
    return 0;
  hm_cli_error(cmd, &err);
  return status;
}

int hm_cli_print_json(json_object *obj) {
  const char *s = json_object_to_json_string_ext(
      obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (!s)
    return -ENOMEM;
  printf("%s\n", s);
  return 0;
}
