/* The build's environment: a fixed minimal set, then --pass-env, then --env. Nothing of
 * the launcher's own environment enters unless asked for by name, and the runner's
 * signing secrets never do. */
#include "internal.h"

#include <ctype.h>
#include <string.h>

#define HM_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define HM_HOME HM_SANDBOX_HOME
/* 1980-01-01T00:00:00Z: the earliest time ZIP can store, so zip-based tools accept it. */
#define HM_DEFAULT_SOURCE_DATE_EPOCH "315532800"

bool hm_env_is_forbidden(const char *name) {
  /* The OIDC token request pair signs provenance; the runtime token reaches the cache and
   * artifact services; GITHUB_TOKEN writes to the repository (SLSA L3: signing material
   * and credentials out of reach of the build). */
  static const char *const exact[] = {"GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN",
                                      "ACTIONS_ID_TOKEN_REQUEST_URL",
                                      "ACTIONS_ID_TOKEN_REQUEST_TOKEN"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(exact); i++)
    if (strcmp(name, exact[i]) == 0)
      return true;
  return strncmp(name, "ACTIONS_ID_TOKEN_REQUEST_", 25) == 0 ||
         strncmp(name, "ACTIONS_RUNTIME_", 16) == 0;
}

static bool valid_name(const char *s, size_t n) {
  if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
      return false;
  return true;
}

/* Replace or append NAME=VALUE in *env. */
static int env_put(char ***env, const char *assignment) {
  size_t nl = strcspn(assignment, "=");
  for (size_t i = 0; *env && (*env)[i]; i++) {
    if (strncmp((*env)[i], assignment, nl) == 0 && (*env)[i][nl] == '=') {
      char *copy = strdup(assignment);
      if (!copy)
        return -ENOMEM;
      free((*env)[i]);
      (*env)[i] = copy;
      return 0;
    }
  }
  return hm_strv_push(env, assignment);
}

int hm_sandbox_config_add_env(struct hm_sandbox_config *cfg, const char *assignment, hm_error *err) {
  const char *eq = strchr(assignment, '=');
  if (!eq || !valid_name(assignment, (size_t)(eq - assignment)))
    return hm_error_set(err, EINVAL, "--env '%s': expected NAME=VALUE with NAME of letters, digits and _",
                        assignment);
  char name[256];
  snprintf(name, sizeof name, "%.*s", (int)(eq - assignment), assignment);
  if (hm_env_is_forbidden(name))
    return hm_error_set(err, EPERM, "--env %s: refused, this variable carries the runner's signing or "
                        "repository credentials and never enters the sandbox", name);
  if (env_put(&cfg->env_set, assignment) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  return 0;
}

int hm_sandbox_config_pass_env(struct hm_sandbox_config *cfg, const char *name, hm_error *err) {
  if (!valid_name(name, strlen(name)))
    return hm_error_set(err, EINVAL, "--pass-env '%s': not a variable name", name);
  if (hm_env_is_forbidden(name))
    return hm_error_set(err, EPERM, "--pass-env %s: refused, this variable carries the runner's signing "
                        "or repository credentials and never enters the sandbox", name);
  const char *v = getenv(name);
  if (!v)
    return 0;
  size_t len = strlen(name) + strlen(v) + 2;
  _cleanup_free_ char *a = malloc(len);
  if (!a)
    return hm_error_set(err, ENOMEM, "out of memory");
  snprintf(a, len, "%s=%s", name, v);
  if (env_put(&cfg->env_pass, a) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  return 0;
}

static bool all_digits(const char *s) {
  if (!s || !*s || strlen(s) > 19)
    return false;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s))
      return false;
  return true;
}

int hm_env_build(const struct hm_sandbox_config *cfg, char ***out, hm_error *err) {
  _cleanup_strv_ char **env = NULL;
  const char *sde = getenv("SOURCE_DATE_EPOCH");
  char sde_buf[64];
  snprintf(sde_buf, sizeof sde_buf, "SOURCE_DATE_EPOCH=%s",
           all_digits(sde) ? sde : HM_DEFAULT_SOURCE_DATE_EPOCH);
  const char *defaults[] = {"PATH=" HM_DEFAULT_PATH, "HOME=" HM_HOME, "LANG=C.UTF-8", "TZ=UTC", sde_buf};
  for (size_t i = 0; i < HM_ARRAY_SIZE(defaults); i++)
    if (env_put(&env, defaults[i]) < 0)
      return hm_error_set(err, ENOMEM, "out of memory");
  for (size_t i = 0; cfg->env_pass && cfg->env_pass[i]; i++)
    if (env_put(&env, cfg->env_pass[i]) < 0)
      return hm_error_set(err, ENOMEM, "out of memory");
  for (size_t i = 0; cfg->env_set && cfg->env_set[i]; i++)
    if (env_put(&env, cfg->env_set[i]) < 0)
      return hm_error_set(err, ENOMEM, "out of memory");
  *out = steal_pointer(&env);
  return 0;
}
