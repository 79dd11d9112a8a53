/* `hermetic run` as a GitHub Actions custom shell (`shell: hermetic run -- bash -e {0}`).
 * The runner writes each step's script to $RUNNER_TEMP/<guid> (no extension) and passes
 * the step's file-command files ($RUNNER_TEMP/_runner_file_commands/...) in GITHUB_OUTPUT,
 * GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY and GITHUB_STATE. With GITHUB_ACTIONS=true,
 * run binds the script read-only and the output, summary and state files read-write (each
 * only when it really lies where the runner puts it: a variable cannot make run expose
 * another host file), and passes those variables and the GitHub context that carries no
 * secret. Tokens (ACTIONS_ID_TOKEN_REQUEST_*, ACTIONS_RUNTIME_TOKEN, GITHUB_TOKEN) never
 * pass: the sandbox's environment is minimal, and hm_env_is_forbidden refuses them even
 * by name.
 *
 * GITHUB_ENV and GITHUB_PATH are not the runner's files inside: what a step writes there
 * becomes the environment and PATH of every later step, outside the sandbox, hermetic's
 * own launcher included (LD_PRELOAD=./evil.so in GITHUB_ENV, or the workspace first in
 * GITHUB_PATH with a planted `hermetic`, would run the build's code on the runner with its
 * tokens). They point at files in the sandbox's private /tmp instead, so that a script
 * writing them still works, and what it writes is dropped with the sandbox. */
#include "cli.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>

static const char *const file_commands[] = {"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_STATE"};
static const char *const dropped_commands[] = {"GITHUB_ENV=/tmp/github_env_dropped_by_hermetic",
                                               "GITHUB_PATH=/tmp/github_path_dropped_by_hermetic"};

/* What a step may read about its run; none of it is a credential. */
static const char *const context[] = {
    "GITHUB_ACTIONS",      "CI",                 "GITHUB_ACTION",       "GITHUB_ACTOR",
    "GITHUB_ACTOR_ID",     "GITHUB_BASE_REF",    "GITHUB_EVENT_NAME",   "GITHUB_HEAD_REF",
    "GITHUB_JOB",          "GITHUB_REF",         "GITHUB_REF_NAME",     "GITHUB_REF_PROTECTED",
    "GITHUB_REF_TYPE",     "GITHUB_REPOSITORY",  "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER",
    "GITHUB_REPOSITORY_OWNER_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_RUN_ID", "GITHUB_RUN_NUMBER",
    "GITHUB_SERVER_URL",   "GITHUB_SHA",         "GITHUB_TRIGGERING_ACTOR", "GITHUB_WORKFLOW",
    "GITHUB_WORKFLOW_REF", "GITHUB_WORKFLOW_SHA", "GITHUB_WORKSPACE",   "RUNNER_ARCH",
    "RUNNER_ENVIRONMENT",  "RUNNER_NAME",        "RUNNER_OS",          "RUNNER_TEMP",
};

/* The canonical path of `path` when it is a regular file directly inside dir (canonical). */
static char *file_in(const char *path, const char *dir) {
  char *real = realpath(path, NULL);
  struct stat st;
  if (!real)
    return NULL;
  size_t n = strlen(dir);
  if (strncmp(real, dir, n) != 0 || real[n] != '/' || strchr(real + n + 1, '/') ||
      stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
    free(real);
    return NULL;
  }
  return real;
}

int hm_cli_github_shell(struct hm_sandbox_config *cfg, char *const *argv, hm_error *err) {
  const char *gha = getenv("GITHUB_ACTIONS"), *temp = getenv("RUNNER_TEMP");
  if (!gha || strcmp(gha, "true") != 0 || !temp || temp[0] != '/')
    return 0;
  _cleanup_free_ char *tempdir = realpath(temp, NULL);
  if (!tempdir)
    return 0;
  _cleanup_free_ char *cmddir = NULL;
  if (asprintf(&cmddir, "%s/_runner_file_commands", tempdir) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  int r;
  for (size_t i = 0; i < HM_ARRAY_SIZE(file_commands); i++) {
    const char *v = getenv(file_commands[i]);
    _cleanup_free_ char *f = v ? file_in(v, cmddir) : NULL;
    if (!f)
      continue;
    if ((r = hm_sandbox_config_add_bind(cfg, HM_BIND_RW, f, err)) < 0 ||
        (r = hm_sandbox_config_pass_env(cfg, file_commands[i], err)) < 0)
      return hm_error_wrap(err, "GitHub Actions: %s", file_commands[i]);
  }
  for (size_t i = 0; i < HM_ARRAY_SIZE(dropped_commands); i++)
    if ((r = hm_sandbox_config_add_env(cfg, dropped_commands[i], err)) < 0)
      return hm_error_wrap(err, "GitHub Actions");
  /* The step script: an argument that is a file right in RUNNER_TEMP. */
  for (char *const *a = argv; a && *a; a++) {
    _cleanup_free_ char *f = (*a)[0] == '/' ? file_in(*a, tempdir) : NULL;
    if (f && (r = hm_sandbox_config_add_bind(cfg, HM_BIND_RO, f, err)) < 0)
      return hm_error_wrap(err, "GitHub Actions: the step script %s", *a);
  }
  for (size_t i = 0; i < HM_ARRAY_SIZE(context); i++)
    if (getenv(context[i]) && (r = hm_sandbox_config_pass_env(cfg, context[i], err)) < 0)
      return hm_error_wrap(err, "GitHub Actions: %s", context[i]);
  return 0;
}
