/* The CLI: one file per subcommand over the libraries. Each returns the process's exit
 * status. */
#ifndef HM_CLI_H
#define HM_CLI_H

#include <getopt.h>

#include <json-c/json.h>

#include "sandbox.h"

int hm_cmd_run(int argc, char **argv);
int hm_cmd_build(int argc, char **argv);
int hm_cmd_digest(int argc, char **argv);
int hm_cmd_sign(int argc, char **argv);
int hm_cmd_verify(int argc, char **argv);
int hm_cmd_doctor(int argc, char **argv);
int hm_cmd_snapshot(int argc, char **argv);

/* The SANDBOX options shared by run and build (sandbox_opts.c). */
#define HM_SANDBOX_OPTS_HELP                                                                     \
  "Sandbox options:\n"                                                                           \
  "  --workspace DIR       bind DIR read-write at its own path; the command starts there\n"     \
  "                        (default: the current directory)\n"                                   \
  "  --ro PATH             bind PATH read-only at its own path (repeatable)\n"                  \
  "  --rw PATH             bind PATH read-write at its own path (repeatable)\n"                 \
  "  --tmpfs PATH          mount an empty tmpfs at PATH, writable by the build (repeatable)\n"  \
  "  --hide PATH           cover PATH with an empty read-only directory or file (repeatable)\n" \
  "  --rootfs DIR          use DIR as / instead of the host's root (read-only)\n"               \
  "  --snapshot DIR        a vendor snapshot ('hermetic snapshot fetch'), read-only, with npm\n" \
  "                        pointed at it: 'npm ci' installs from it, offline\n"                  \
  "  --env NAME=VALUE      set a variable in the build's environment (repeatable)\n"            \
  "  --pass-env NAME       pass the caller's NAME through (repeatable)\n"                       \
  "  --seccomp PROFILE     default, strict or log (default: default)\n"                          \
  "  --timeout SECONDS     SIGTERM the command after SECONDS, SIGKILL 2 s later; exit 124\n"     \
  "  --memory BYTES        memory limit: the build's cgroup, else per process (K, M, G)\n"       \
  "  --pids N              at most N processes in the build\n"                                  \
  "  --report FILE         write the JSON isolation report to FILE\n"                           \
  "  --status-fd FD        write JSON status events (one per line) to FD\n"

enum {
  HM_OPT_WORKSPACE = 0x100,
  HM_OPT_RO,
  HM_OPT_RW,
  HM_OPT_TMPFS,
  HM_OPT_HIDE,
  HM_OPT_ROOTFS,
  HM_OPT_ENV,
  HM_OPT_PASS_ENV,
  HM_OPT_SECCOMP,
  HM_OPT_TIMEOUT,
  HM_OPT_MEMORY,
  HM_OPT_PIDS,
  HM_OPT_REPORT,
  HM_OPT_STATUS_FD,
  HM_OPT_SNAPSHOT,
  HM_OPT_SANDBOX_LAST,
};

#define HM_SANDBOX_LONG_OPTIONS                                                                  \
  {"workspace", required_argument, NULL, HM_OPT_WORKSPACE},                                      \
      {"ro", required_argument, NULL, HM_OPT_RO}, {"rw", required_argument, NULL, HM_OPT_RW},     \
      {"tmpfs", required_argument, NULL, HM_OPT_TMPFS},                                          \
      {"hide", required_argument, NULL, HM_OPT_HIDE},                                            \
      {"rootfs", required_argument, NULL, HM_OPT_ROOTFS},                                        \
      {"env", required_argument, NULL, HM_OPT_ENV},                                              \
      {"pass-env", required_argument, NULL, HM_OPT_PASS_ENV},                                    \
      {"seccomp", required_argument, NULL, HM_OPT_SECCOMP},                                      \
      {"timeout", required_argument, NULL, HM_OPT_TIMEOUT},                                      \
      {"memory", required_argument, NULL, HM_OPT_MEMORY},                                        \
      {"pids", required_argument, NULL, HM_OPT_PIDS},                                            \
      {"report", required_argument, NULL, HM_OPT_REPORT},                                        \
      {"status-fd", required_argument, NULL, HM_OPT_STATUS_FD},                                  \
      {"snapshot", required_argument, NULL, HM_OPT_SNAPSHOT}

/* --snapshot DIR (snapshot_opt.c): read and checked before the build, so that what the
 * provenance records is what was mounted. */
struct hm_cli_snapshot {
  char *dir;              /* canonical */
  json_object *manifest;  /* NULL: no --snapshot */
  char sha256[65];        /* of manifest.json's bytes */
};
/* Load DIR's manifest, bind DIR read-only at its own path and point npm at it. */
int hm_cli_snapshot_use(struct hm_sandbox_config *cfg, struct hm_cli_snapshot *snap, const char *dir,
                        hm_error *err);
void hm_cli_snapshot_free(struct hm_cli_snapshot *snap);

/* With GITHUB_ACTIONS=true: the step script, file-command files and GitHub context for a
 * `shell: hermetic run -- bash -e {0}` step (github_shell.c). */
int hm_cli_github_shell(struct hm_sandbox_config *cfg, char *const *argv, hm_error *err);

/* Apply one parsed sandbox option. Returns 0, or -errno with err naming the option. */
int hm_sandbox_opt(struct hm_sandbox_config *cfg, struct hm_cli_snapshot *snap, int opt, const char *arg,
                   hm_error *err);
/* The option loop of run and build: SANDBOX options go to hm_sandbox_opt, the others to
 * extra(ctx, ...) (NULL: none). Returns 0 with cfg->argv set to CMD, 1 after printing
 * usage for -h/--help, or -1 after printing what was wrong (exit 125). */
typedef int (*hm_cli_opt_fn)(void *ctx, int opt, const char *arg, hm_error *err);
int hm_cli_sandbox_args(const char *cmd, const char *usage, int argc, char **argv,
                        const struct option *longopts, struct hm_sandbox_config *cfg,
                        struct hm_cli_snapshot *snap, hm_cli_opt_fn extra, void *ctx);
/* cli/util.c. The error a library call filled: "hermetic CMD: message". */
void hm_cli_error(const char *cmd, const hm_error *err);
/* "hermetic CMD: <message>" and "Try 'hermetic CMD --help'."; returns status. */
int hm_cli_usage_error(const char *cmd, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* After getopt_long (optstring starting with ':', opterr 0) returned ':' or '?': name the
 * option that is unknown, lacks its value or was given one it does not take. */
int hm_cli_option_error(const char *cmd, int status, char *const *argv, int c);
/* Load libcrypto for a command that hashes or signs (common/hm-crypto.h): 0, or status
 * after "hermetic CMD: <why it could not be loaded>". */
int hm_cli_need_crypto(const char *cmd, int status);
/* obj, pretty, on stdout. -ENOMEM when it cannot be serialised. */
int hm_cli_print_json(json_object *obj);

#endif
