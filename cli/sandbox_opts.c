/* Parsing of the SANDBOX options shared by run and build. */
#include "cli.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>

static int parse_seccomp(const char *arg, enum hm_seccomp_mode *mode, hm_error *err) {
  if (strcmp(arg, "default") == 0)
    *mode = HM_SECCOMP_DEFAULT;
  else if (strcmp(arg, "strict") == 0)
    *mode = HM_SECCOMP_STRICT;
  else if (strcmp(arg, "log") == 0)
    *mode = HM_SECCOMP_LOG;
  else
    return hm_error_set(err, EINVAL, "--seccomp '%s': expected default, strict or log", arg);
  return 0;
}

static int parse_number(const char *opt, const char *arg, bool size, uint64_t min, uint64_t *out, hm_error *err) {
  int r = size ? hm_parse_size(arg, out) : hm_parse_u64(arg, out);
  if (r < 0 || *out < min)
    return hm_error_set(err, EINVAL, "%s '%s': expected %s%s", opt, arg,
                        size ? "a size in bytes (K, M, G suffixes allowed)" : "a whole number",
                        min ? " of at least 1" : "");
  return 0;
}

int hm_sandbox_opt(struct hm_sandbox_config *cfg, struct hm_cli_snapshot *snap, int opt, const char *arg,
                   hm_error *err) {
  uint64_t v;
  int r;
  switch (opt) {
  case HM_OPT_WORKSPACE:
    free(cfg->workspace);
    cfg->workspace = strdup(arg);
    return cfg->workspace ? 0 : hm_error_set(err, ENOMEM, "out of memory");
  case HM_OPT_RO: return hm_sandbox_config_add_bind(cfg, HM_BIND_RO, arg, err);
  case HM_OPT_RW: return hm_sandbox_config_add_bind(cfg, HM_BIND_RW, arg, err);
  case HM_OPT_TMPFS: return hm_sandbox_config_add_bind(cfg, HM_BIND_TMPFS, arg, err);
  case HM_OPT_HIDE: return hm_sandbox_config_add_bind(cfg, HM_BIND_HIDE, arg, err);
  case HM_OPT_ROOTFS:
    free(cfg->rootfs);
    cfg->rootfs = strdup(arg);
    return cfg->rootfs ? 0 : hm_error_set(err, ENOMEM, "out of memory");
  case HM_OPT_ENV: return hm_sandbox_config_add_env(cfg, arg, err);
  case HM_OPT_PASS_ENV: return hm_sandbox_config_pass_env(cfg, arg, err);
  case HM_OPT_SECCOMP: return parse_seccomp(arg, &cfg->seccomp, err);
  case HM_OPT_TIMEOUT:
    if ((r = parse_number("--timeout", arg, false, 1, &v, err)) < 0)
      return r;
    cfg->timeout_sec = v;
    return 0;
  case HM_OPT_MEMORY:
    if ((r = parse_number("--memory", arg, true, 1, &v, err)) < 0)
      return r;
    if (v < (1u << 20))
      return hm_error_set(err, EINVAL, "--memory '%s': at least 1M, or nothing could start", arg);
    cfg->memory_bytes = v;
    return 0;
  case HM_OPT_PIDS:
    if ((r = parse_number("--pids", arg, false, 1, &v, err)) < 0)
      return r;
    cfg->pids = v;
    return 0;
  case HM_OPT_REPORT:
    if (!*arg)
      return hm_error_set(err, EINVAL, "--report: empty path");
    free(cfg->report_path);
    cfg->report_path = strdup(arg);
    return cfg->report_path ? 0 : hm_error_set(err, ENOMEM, "out of memory");
  case HM_OPT_SNAPSHOT:
    return hm_cli_snapshot_use(cfg, snap, arg, err);
  case HM_OPT_STATUS_FD:
    if ((r = parse_number("--status-fd", arg, false, 0, &v, err)) < 0)
      return r;
    if (v > INT_MAX || fcntl((int)v, F_GETFD) < 0)
      return hm_error_set(err, EBADF, "--status-fd %s: not an open file descriptor", arg);
    cfg->status_fd = (int)v;
    return 0;
  }
  return hm_error_set(err, EINVAL, "unknown option");
}

int hm_cli_sandbox_args(const char *cmd, const char *usage, int argc, char **argv,
                        const struct option *longopts, struct hm_sandbox_config *cfg,
                        struct hm_cli_snapshot *snap, hm_cli_opt_fn extra, void *ctx) {
  hm_error err = {0};
  int c;
  opterr = 0;
  optind = 1;
  /* "+": CMD's own options are CMD's; ":": a missing value is told apart. */
  while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
    if (c == 'h') {
      fputs(usage, stdout);
      return 1;
    }
    if (c == '?' || c == ':') {
      hm_cli_option_error(cmd, 125, argv, c);
      return -1;
    }
    int r = c < HM_OPT_SANDBOX_LAST || !extra ? hm_sandbox_opt(cfg, snap, c, optarg, &err)
                                              : extra(ctx, c, optarg, &err);
    if (r < 0) {
      hm_cli_error(cmd, &err);
      return -1;
    }
  }
  cfg->argv = argv + optind;
  return 0;
}
