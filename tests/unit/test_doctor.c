/* TAP unit test of hm_doctor_run(): every check has its row, statuses are valid, every
 * WARN/FAIL row says how to fix it, every probe child is reaped, and where the host allows
 * unprivileged user namespaces the user-namespace row is OK (the probe really works). */
#include <string.h>
#include <sys/wait.h>

#include "sandbox.h"
#include "tap.h"

/* Every check hm_doctor_run() promises (the names the CLI and users see). */
static const char *const expected[] = {
    "kernel",    "user namespaces", "seccomp",      "cgroup v2",
    "container", "idmapped mounts", "ptrace scope", "unprivileged bpf",
};

static const struct hm_check *find(const struct hm_check *checks, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(checks[i].name, name) == 0)
      return &checks[i];
  return NULL;
}

static bool terminated(const char *s, size_t size) {
  return memchr(s, '\0', size) != NULL;
}

static long sysctl_value(const char *path) {
  _cleanup_free_ char *buf = NULL;
  if (hm_read_file(path, &buf, NULL, NULL) < 0)
    return -1;
  return strtol(buf, NULL, 10);
}

/* Why this host might legitimately refuse unprivileged user namespaces, or NULL. */
static const char *userns_blocked_reason(void) {
  if (sysctl_value("/proc/sys/user/max_user_namespaces") == 0)
    return "user.max_user_namespaces=0";
  if (sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == 0)
    return "kernel.unprivileged_userns_clone=0";
  if (sysctl_value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
    return "kernel.apparmor_restrict_unprivileged_userns=1";
  _cleanup_free_ char *status = NULL;
  if (hm_read_file("/proc/self/status", &status, NULL, NULL) == 0 &&
      strstr(status, "\nSeccomp:\t2"))
    return "running under a seccomp filter (a container's) that may deny namespaces";
  return NULL;
}

/* Checks run per row by check_rows(), and outside it by main(). */
#define CHECKS_PER_ROW 4
#define CHECKS_FIXED (3 + (int)HM_ARRAY_SIZE(expected) + 2 + 1)

static void check_rows(const struct hm_check *checks, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const struct hm_check *c = &checks[i];
    bool strings = terminated(c->name, sizeof c->name) && terminated(c->detail, sizeof c->detail) &&
                   terminated(c->fix, sizeof c->fix);
    tap_ok(strings, "row %zu: strings are NUL-terminated", i);
    if (!strings) {
      for (int k = 1; k < CHECKS_PER_ROW; k++)
        tap_skip("row %zu: unterminated strings", i);
      continue;
    }
    tap_ok(c->status == HM_CHECK_OK || c->status == HM_CHECK_WARN || c->status == HM_CHECK_FAIL,
       "%s: status is OK, WARN or FAIL (%d)", c->name, (int)c->status);
    tap_ok(c->detail[0] != '\0', "%s: has a detail", c->name);
    if (c->status == HM_CHECK_OK)
      tap_ok(c->fix[0] == '\0', "%s: OK row has no fix", c->name);
    else
      tap_ok(c->fix[0] != '\0', "%s: %s row has a fix", c->name,
         c->status == HM_CHECK_WARN ? "WARN" : "FAIL");
    tap_diag("[%s] %s: %s",
           c->status == HM_CHECK_OK     ? " ok "
           : c->status == HM_CHECK_WARN ? "warn"
                                        : "FAIL",
           c->name, c->detail);
  }
}

int main(void) {
  double start = hm_now_ms();
  struct hm_check *checks = NULL;
  size_t n = 0;
  int r = hm_doctor_run(&checks, &n);
  double took = hm_now_ms() - start;
  /* The plan needs the row count, so the run comes first and is judged below. */
  int planned = CHECKS_FIXED + (r == 0 ? CHECKS_PER_ROW * (int)n : 0);
  tap_plan(planned);
  if (!tap_ok(r == 0 && checks != NULL, "hm_doctor_run returns 0 (%d)", r)) {
    printf("Bail out! hm_doctor_run failed\n");
    return 1;
  }
  /* No probe may outlive the run: waitpid finds no child at all. */
  errno = 0;
  tap_ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "every probe process was reaped");
  /* Probes are bounded at 5 s each; a healthy host needs well under a second. */
  tap_ok(took < 60000, "finished in %.0f ms", took);

  for (size_t i = 0; i < HM_ARRAY_SIZE(expected); i++)
    tap_ok(find(checks, n, expected[i]) != NULL, "row '%s' present", expected[i]);
  tap_ok(n == HM_ARRAY_SIZE(expected), "exactly %zu rows (%zu)", HM_ARRAY_SIZE(expected), n);
  bool unique = true;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp(checks[i].name, checks[j].name) == 0)
        unique = false;
  tap_ok(unique, "row names are unique");
  check_rows(checks, n);

  const struct hm_check *userns = find(checks, n, "user namespaces");
  const char *blocked = userns_blocked_reason();
  if (!userns)
    tap_ok(false, "user namespaces row exists");
  else if (blocked)
    tap_skip("user namespaces row OK: the host blocks them (%s)", blocked);
  else
    tap_ok(userns->status == HM_CHECK_OK, "user namespaces row is OK where the host allows them: %s",
           userns->detail);

  free(checks);
  return tap_exit_status(planned);
}
