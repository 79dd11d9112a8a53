/* Resource limits. --pids and --memory are enforced with rlimits in the command's
 * process: since Linux 5.14 RLIMIT_NPROC is counted per user namespace, and the build has
 * its own, so the count covers exactly the build's processes (plus the sandbox's init,
 * which runs as the same uid, hence the +1). RLIMIT_AS bounds each process's address
 * space, not the build's total: the report says so. */
#include "internal.h"

#include <sys/resource.h>

int hm_limits_apply_rlimits(const struct hm_sandbox_config *cfg, hm_error *err) {
  if (cfg->pids) {
    struct rlimit rl = {.rlim_cur = cfg->pids + 1, .rlim_max = cfg->pids + 1};
    if (setrlimit(RLIMIT_NPROC, &rl) < 0)
      return hm_error_errno(err, errno, "setting RLIMIT_NPROC for --pids");
  }
  if (cfg->memory_bytes) {
    struct rlimit rl = {.rlim_cur = cfg->memory_bytes, .rlim_max = cfg->memory_bytes};
    if (setrlimit(RLIMIT_AS, &rl) < 0)
      return hm_error_errno(err, errno, "setting RLIMIT_AS for --memory");
  }
  return 0;
}

json_object *hm_limits_describe(const struct hm_sandbox_config *cfg) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "timeout_sec",
                         cfg->timeout_sec ? json_object_new_int64((int64_t)cfg->timeout_sec) : NULL);
  json_object *pids = NULL, *mem = NULL;
  if (cfg->pids) {
    pids = json_object_new_object();
    json_object_object_add(pids, "limit", json_object_new_int64((int64_t)cfg->pids));
    json_object_object_add(pids, "mechanism", json_object_new_string("rlimit"));
    json_object_object_add(pids, "scope", json_object_new_string("processes of the build's user namespace"));
  }
  if (cfg->memory_bytes) {
    mem = json_object_new_object();
    json_object_object_add(mem, "limit", json_object_new_int64((int64_t)cfg->memory_bytes));
    json_object_object_add(mem, "mechanism", json_object_new_string("rlimit-as"));
    json_object_object_add(mem, "scope", json_object_new_string("address space of each process"));
  }
  json_object_object_add(o, "pids", pids);
  json_object_object_add(o, "memory", mem);
  return o;
}
