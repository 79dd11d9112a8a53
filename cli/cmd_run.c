/* hermetic run [SANDBOX] -- CMD [ARG...] */
#include "cli.h"

#include <string.h>

static const char run_usage[] =
    "Usage: hermetic run [OPTIONS] -- CMD [ARG...]\n"
    "Run CMD in a sandbox: new user, mount, pid, network, uts, ipc and cgroup namespaces;\n"
    "no network but loopback; the host's root read-only; a seccomp filter; no\n"
    "capabilities; a minimal fixed environment.\n\n" HM_SANDBOX_OPTS_HELP
    "  -h, --help            show this help\n\n"
    "Exit status: CMD's own; 128+N if it died of signal N; 124 on --timeout;\n"
    "125 hermetic failed (bad option, sandbox setup); 126 CMD cannot execute;\n"
    "127 CMD not found.\n";

int hm_cmd_run(int argc, char **argv) {
  static const struct option longopts[] = {HM_SANDBOX_LONG_OPTIONS,
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  struct hm_sandbox_config cfg;
  hm_sandbox_config_init(&cfg);
  struct hm_cli_snapshot snap = {0};
  hm_error err = {0};
  int code = 125;
  int p = hm_cli_sandbox_args("run", run_usage, argc, argv, longopts, &cfg, &snap, NULL, NULL);
  if (p != 0) {
    code = p > 0 ? 0 : 125;
    goto out;
  }
  if (hm_cli_github_shell(&cfg, cfg.argv, &err) < 0 || hm_sandbox_config_finish(&cfg, &err) < 0) {
    hm_cli_error("run", &err);
    goto out;
  }
  fflush(stdout);
  fflush(stderr);
  struct hm_sandbox_result res;
  int r = hm_sandbox_run(&cfg, &res, &err);
  code = res.exit_code;
  if (r == 0 && res.exec_errno)
    fprintf(stderr, "hermetic run: %s: %s%s\n", cfg.argv[0], strerror(res.exec_errno),
            res.exec_errno == ENOENT && !strchr(cfg.argv[0], '/') ? " (not found in the sandbox's PATH)" : "");
  if (r < 0) {
    hm_cli_error("run", &err);
    code = 125;
  }
  hm_sandbox_result_free(&res);
out:
  hm_cli_snapshot_free(&snap);
  hm_sandbox_config_free(&cfg);
  return code;
}
