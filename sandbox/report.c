/* The isolation report: what was enforced (from the configuration the launcher applied)
 * and what was observed inside (interfaces, routes, the mount table, as the sandbox's
 * init read them after setup). The provenance embeds it as its isolation claim. */
#include "internal.h"

#include <string.h>

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

static json_object *namespaces(const struct hm_launch_ctx *ctx) {
  json_object *o = json_object_new_object();
  static const char *const always[] = {"user", "mount", "pid", "net", "uts", "ipc"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(always); i++)
    json_object_object_add(o, always[i], json_object_new_boolean(1));
  json_object_object_add(o, "cgroup", json_object_new_boolean(ctx->have_cgroupns));
  return o;
}

static json_object *identity(const struct hm_launch_ctx *ctx, const char *uid_map, const char *gid_map) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "uid", json_object_new_int(HM_BUILD_UID));
  json_object_object_add(o, "gid", json_object_new_int(HM_BUILD_GID));
  json_object_object_add(o, "host_uid",
                         json_object_new_int64(ctx->root_mode ? HM_ROOT_MODE_HOST_ID : (int64_t)geteuid()));
  json_object_object_add(o, "host_gid",
                         json_object_new_int64(ctx->root_mode ? HM_ROOT_MODE_HOST_ID : (int64_t)getegid()));
  json_object_object_add(o, "mode", json_object_new_string(ctx->root_mode ? "root" : "unprivileged"));
  json_object_object_add(o, "uid_map", json_object_new_string(uid_map));
  json_object_object_add(o, "gid_map", json_object_new_string(gid_map));
  json_object_object_add(o, "workspace_idmapped", json_object_new_boolean(ctx->root_mode));
  return o;
}

static json_object *env_names(char **envp) {
  json_object *a = json_object_new_array();
  for (size_t i = 0; envp && envp[i]; i++) {
    size_t n = strcspn(envp[i], "=");
    json_object_array_add(a, json_object_new_string_len(envp[i], (int)n));
  }
  return a;
}

static json_object *binds(const struct hm_sandbox_config *cfg) {
  static const char *const kinds[] = {"ro", "rw", "tmpfs", "hide"};
  json_object *a = json_object_new_array();
  for (size_t i = 0; i < cfg->n_binds; i++) {
    json_object *b = json_object_new_object();
    json_object_object_add(b, "kind", json_object_new_string(kinds[cfg->binds[i].kind]));
    json_object_object_add(b, "path", json_object_new_string(cfg->binds[i].path));
    json_object_array_add(a, b);
  }
  return a;
}

json_object *hm_report_build(const struct hm_launch_ctx *ctx, const char *uid_map,
                             const char *gid_map, json_object *observed) {
  const struct hm_sandbox_config *cfg = ctx->cfg;
  json_object *r = json_object_new_object();
  json_object_object_add(r, "version", json_object_new_string(HERMETIC_VERSION));
  json_object_object_add(r, "namespaces", namespaces(ctx));
  json_object_object_add(r, "identity", identity(ctx, uid_map, gid_map));
  json_object *net = json_object_new_object();
  json_object_object_add(net, "policy", json_object_new_string("none"));
  json_object *observed_net = json_object_object_get(observed, "network");
  json_object *ifs = observed_net ? json_object_object_get(observed_net, "interfaces") : NULL;
  json_object *routes = observed_net ? json_object_object_get(observed_net, "routes") : NULL;
  json_object_object_add(net, "interfaces", ifs ? json_object_get(ifs) : json_object_new_array());
  json_object_object_add(net, "routes", routes ? json_object_get(routes) : json_object_new_array());
  json_object_object_add(r, "network", net);
  json_object_object_add(r, "seccomp", hm_seccomp_describe(&ctx->seccomp));
  json_object_object_add(r, "capabilities", hm_caps_describe_enforced());
  json_object_object_add(r, "no_new_privs", json_object_new_boolean(1));
  json_object_object_add(r, "new_session", json_object_new_boolean(1));
  json_object_object_add(r, "workspace", json_object_new_string(cfg->workspace));
  json_object_object_add(r, "rootfs", str_or_null(cfg->rootfs));
  json_object_object_add(r, "binds", binds(cfg));
  json_object *mounts = json_object_object_get(observed, "mounts");
  json_object_object_add(r, "mounts", mounts ? json_object_get(mounts) : json_object_new_array());
  json_object_object_add(r, "environment", env_names(ctx->envp));
  json_object_object_add(r, "limits", hm_limits_describe(cfg, &ctx->cgroup));
  json_object *t = json_object_object_get(observed, "timings_ms");
  json_object_object_add(r, "timings_ms", t ? json_object_get(t) : json_object_new_object());
  return r;
}

int hm_report_write_file(const char *path, json_object *report, hm_error *err) {
  const char *s = json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
  size_t len = strlen(s);
  _cleanup_free_ char *buf = malloc(len + 2);
  if (!buf)
    return hm_error_set(err, ENOMEM, "out of memory");
  memcpy(buf, s, len);
  buf[len] = '\n';
  int r = hm_write_file_atomic(path, buf, len + 1, 0644, err);
  if (r < 0)
    return hm_error_wrap(err, "--report");
  return 0;
}
