/* Resource limits. --pids and --memory are enforced by the build's own cgroup v2 where
 * cgroup.c could make one (every task and all the memory of the build together), else
 * with rlimits in the command's process: since Linux 5.14 RLIMIT_NPROC is counted per
 * user namespace, and the build has its own, so the count covers exactly the build's
 * processes; RLIMIT_AS bounds each process's address space, not the build's total. Both
 * ways count the sandbox's init too (the +1), and the report says which was used. */
#include "internal.h"

#include <sys/resource.h>

int hm_limits_apply_rlimits(const struct hm_sandbox_config *cfg, const struct hm_cgroup *cg, hm_error *err) {
  bool in_cgroup = cg->dir_fd >= 0;
  if (cfg->pids && !in_cgroup) {
    struct rlimit rl = {.rlim_cur = cfg->pids + 1, .rlim_max = cfg->pids + 1};
    if (setrlimit(RLIMIT_NPROC, &rl) < 0)
      return hm_error_errno(err, errno, "setting RLIMIT_NPROC for --pids");
  }
  if (cfg->memory_bytes && !in_cgroup) {
    struct rlimit rl = {.rlim_cur = cfg->memory_bytes, .rlim_max = cfg->memory_bytes};
    if (setrlimit(RLIMIT_AS, &rl) < 0)
      return hm_error_errno(err, errno, "setting RLIMIT_AS for --memory");
  }
  return 0;
}

static json_object *limit(uint64_t value, const struct hm_cgroup *cg, const char *rlimit,
                          const char *rlimit_scope, const char *cgroup_scope) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "limit", json_object_new_int64((int64_t)value));
  bool in_cgroup = cg->dir_fd >= 0;
  json_object_object_add(o, "mechanism", json_object_new_string(in_cgroup ? "cgroup2" : rlimit));
  json_object_object_add(o, "scope", json_object_new_string(in_cgroup ? cgroup_scope : rlimit_scope));
  if (in_cgroup)
    json_object_object_add(o, "cgroup", json_object_new_string(cg->path));
  else
    json_object_object_add(o, "cgroup_unavailable", json_object_new_string(cg->why_not));
  return o;
}

json_object *hm_limits_describe(const struct hm_sandbox_config *cfg, const struct hm_cgroup *cg) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "timeout_sec",
                         cfg->timeout_sec ? json_object_new_int64((int64_t)cfg->timeout_sec) : NULL);
  json_object_object_add(o, "pids",
                         cfg->pids ? limit(cfg->pids, cg, "rlimit", "processes of the build's user namespace",
                                           "tasks of the build's cgroup")
                                   : NULL);
  json_object_object_add(o, "memory",
                         cfg->memory_bytes
                             ? limit(cfg->memory_bytes, cg, "rlimit-as", "address space of each process",
                                     cg->swap_off ? "memory of the build's cgroup, swap off"
                                                  : "memory of the build's cgroup")
                             : NULL);
  return o;
}
