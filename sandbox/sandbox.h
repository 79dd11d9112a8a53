/* Public interface of the sandbox library: what the CLI (run, build, doctor) and the
 * tests use. The library never prints to stdout and never calls exit(). */
#ifndef HM_SANDBOX_H
#define HM_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "hm-util.h"

/* The uid and gid the build runs as inside the sandbox. */
#define HM_BUILD_UID 1000
#define HM_BUILD_GID 1000
/* Started as root, the build runs as this host uid/gid: one no host file belongs to, so
 * the build cannot read anything owned by root or by the workspace owner outside the
 * workspace (which is idmapped back to its owner). */
#define HM_ROOT_MODE_HOST_ID 1999999999u
/* The build's HOME: a private tmpfs. */
#define HM_SANDBOX_HOME "/home/build"
/* Grace between SIGTERM and SIGKILL on --timeout. */
#define HM_TIMEOUT_GRACE_MS 2000

enum hm_seccomp_mode { HM_SECCOMP_DEFAULT, HM_SECCOMP_STRICT, HM_SECCOMP_LOG };

enum hm_bind_kind { HM_BIND_RO, HM_BIND_RW, HM_BIND_TMPFS, HM_BIND_HIDE };

struct hm_bind {
  enum hm_bind_kind kind;
  char *path; /* absolute; canonicalised by hm_sandbox_config_finish() */
};

struct hm_sandbox_config {
  char *workspace;      /* absolute canonical path; default cwd */
  char *rootfs;         /* NULL: the host's / read-only */
  struct hm_bind *binds;
  size_t n_binds;
  char **env_set;       /* NAME=VALUE from --env */
  char **env_pass;      /* NAME=VALUE captured from the caller for --pass-env */
  char *const *argv;    /* the command; argv[0] searched in the build's PATH */
  enum hm_seccomp_mode seccomp;
  uint64_t timeout_sec; /* 0: none */
  uint64_t memory_bytes;/* 0: none */
  uint64_t pids;        /* 0: none */
  int status_fd;        /* -1: none; JSON lines */
  char *report_path;    /* NULL: none; canonicalised by hm_sandbox_config_finish() */
  bool want_report;     /* the caller uses hm_sandbox_result.report (build does); also
                           implied by report_path or status_fd. Without any of them the
                           sandbox does not describe itself (no netlink dump, no mount
                           table): nobody would read it. */
};

struct hm_sandbox_result {
  int exit_code;        /* the documented exit status of run/build */
  bool timed_out;
  bool setup_failed;    /* 125 */
  int exec_errno;       /* 126/127: why the command could not be executed */
  json_object *report;  /* the isolation report (owned; json_object_put) */
};

void hm_sandbox_config_init(struct hm_sandbox_config *cfg);
void hm_sandbox_config_free(struct hm_sandbox_config *cfg);
int hm_sandbox_config_add_bind(struct hm_sandbox_config *cfg, enum hm_bind_kind kind,
                               const char *path, hm_error *err);
/* --env NAME=VALUE: refuses malformed entries and the runner's signing secrets. */
int hm_sandbox_config_add_env(struct hm_sandbox_config *cfg, const char *assignment, hm_error *err);
/* --pass-env NAME: copies the caller's value now (absent: nothing is passed). */
int hm_sandbox_config_pass_env(struct hm_sandbox_config *cfg, const char *name, hm_error *err);
/* Canonicalise workspace, rootfs, bind and report paths; check they exist. A path that
 * reaches into the workspace must not pass through a symlink there: the build controls
 * the workspace and could have planted one to redirect a bind or the report. */
int hm_sandbox_config_finish(struct hm_sandbox_config *cfg, hm_error *err);
/* An output file written after the run (by build: the provenance and its companions),
 * checked like --report against the finished config: its directory must exist and be
 * reached through no symlink inside the workspace. *out: the canonical absolute path. */
int hm_sandbox_config_output(const struct hm_sandbox_config *cfg, const char *opt, const char *path,
                             char **out, hm_error *err);

/* Run the command. The sandbox's init is a clone() of the caller: call this from a
 * single-threaded process, or one whose other threads hold no lock meanwhile (the init
 * inherits such a lock held, e.g. the allocator's). Other threads need not block any
 * signal: the init's exit is watched through a pidfd.
 * Returns 0 when the command ran (whatever its status: see
 * res->exit_code), or -errno with err filled when the sandbox could not be set up
 * (res->exit_code is then 125). */
int hm_sandbox_run(const struct hm_sandbox_config *cfg, struct hm_sandbox_result *res, hm_error *err);
void hm_sandbox_result_free(struct hm_sandbox_result *res);

/* Names of environment variables that never enter the sandbox, even when asked for. */
bool hm_env_is_forbidden(const char *name);

/* hermetic doctor: one row a check. */
enum hm_check_status { HM_CHECK_OK, HM_CHECK_WARN, HM_CHECK_FAIL };
struct hm_check {
  char name[64];
  enum hm_check_status status;
  char detail[512];
  char fix[1024]; /* exact commands to run, empty when OK */
};
/* Fills *checks (heap, n entries). Returns 0, or -errno on allocation failure. */
int hm_doctor_run(struct hm_check **checks, size_t *n);

#endif
