/* hermetic doctor: can this host run the sandbox, and if not, the exact fix.
 *
 * Every check runs a real probe, not just a sysctl read: the kernel's answer is the only
 * one that counts (AppArmor's userns restriction, a container's seccomp profile or a
 * masked /proc all leave the sysctls looking fine). The probes are in doctor-probe.c;
 * this file turns what they found into rows: a status, the facts, and the commands that
 * fix it. The probes fork, so hm_doctor_run() is not meant for threaded callers (the CLI
 * and the unit test are single-threaded). */
#include "sandbox.h"
#include "doctor-probe.h"
#include "internal.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif

/* ---- rows ------------------------------------------------------------------------ */

static void row_init(struct hm_check *c, const char *name) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", name);
  c->status = HM_CHECK_OK;
}

__attribute__((format(printf, 2, 3))) static void detail_add(struct hm_check *c, const char *fmt,
                                                             ...) {
  va_list ap;
  va_start(ap, fmt);
  hm_doctor_vappend(c->detail, sizeof c->detail, "; ", fmt, ap);
  va_end(ap);
}

/* One fix line: a command to paste, or a '#' comment introducing the next ones. A line
 * that does not fit is left out whole: half a command is worse than none. */
__attribute__((format(printf, 2, 3))) static void fix_add(struct hm_check *c, const char *fmt,
                                                          ...) {
  char line[sizeof c->fix];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  size_t used = strnlen(c->fix, sizeof c->fix);
  if (len < 0 || used + (used ? 1 : 0) + (size_t)len >= sizeof c->fix)
    return;
  hm_doctor_appendf(c->fix, sizeof c->fix, "\n", "%s", line);
}

static void row_worsen(struct hm_check *c, enum hm_check_status s) {
  if (s > c->status)
    c->status = s;
}

/* ---- small readers ----------------------------------------------------------------- */

/* The integer in a /proc/sys file; -1 when absent or unreadable. */
static long read_sysctl(const char *path) {
  _cleanup_free_ char *buf = NULL;
  if (hm_read_file(path, &buf, NULL, NULL) < 0)
    return -1;
  char *end;
  errno = 0;
  long v = strtol(buf, &end, 10);
  if (errno || end == buf)
    return -1;
  return v;
}

/* The value of "Key:" in /proc/self/status, or "" when absent. */
static void status_field(const char *key, char *out, size_t size) {
  _cleanup_free_ char *buf = NULL;
  out[0] = '\0';
  if (hm_read_file("/proc/self/status", &buf, NULL, NULL) < 0)
    return;
  size_t klen = strlen(key);
  for (const char *line = buf; *line;) {
    size_t len = strcspn(line, "\n");
    if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == ':') {
      const char *v = line + klen + 1;
      size_t skip = strspn(v, " \t");
      snprintf(out, size, "%.*s", (int)(len - klen - 1 - skip), v + skip);
      return;
    }
    line += len + (line[len] == '\n');
  }
}

/* The real path of the running binary, for the AppArmor profile to attach to. A path
 * that would need escaping in both the shell and the profile language gets a placeholder
 * rather than a subtly wrong profile. */
static void self_exe(char *out, size_t size) {
  ssize_t n = readlink("/proc/self/exe", out, size - 1);
  out[n > 0 ? n : 0] = '\0';
  if (n <= 0 || (size_t)n >= size - 1 || strpbrk(out, "'\"\\ \t\n") != NULL)
    snprintf(out, size, "/usr/local/bin/hermetic");
}

/* ---- probe results ----------------------------------------------------------------- */

/* "unshare(...) failed: EPERM (...)", or for a probe that never reported, why not. */
static const char *probe_what(const struct probe_out *p, char *buf, size_t size) {
  if (p->done)
    snprintf(buf, size, "%s failed: %s", p->stage, ERRNM(p->err));
  else
    snprintf(buf, size, "%s", p->stage);
  return buf;
}
#define PROBE_WHAT(p) probe_what((p), (char[256]){0}, 256)

/* A probe that hung or crashed says nothing about the host: ask for a rerun. */
static void fix_probe_broken(struct hm_check *c) {
  fix_add(c, "# the probe did not finish; run 'hermetic doctor' again, and if it repeats, "
             "check 'dmesg' for what the kernel or a security module did to it");
}

/* Where a fix needs the container's cooperation, say exactly what to ask of it. */
static void fix_container(struct hm_check *c) {
  fix_add(c, "# Docker: allow namespaces and an unmasked /proc for this container:");
  fix_add(c, "docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined "
             "--security-opt systempaths=unconfined ...");
  fix_add(
      c,
      "# Podman: podman run --security-opt seccomp=unconfined --security-opt apparmor=unconfined "
      "--security-opt unmask=ALL ...");
  fix_add(c, "# Kubernetes: spec.hostUsers: false, and in the container's securityContext: "
             "procMount: Unmasked, seccompProfile: {type: Unconfined}, appArmorProfile: {type: "
             "Unconfined}");
}

struct doctor_ctx {
  uid_t euid;
  struct container_hints container;
  char exe[256]; /* fits the AppArmor fix; longer paths get a placeholder */
};

/* ---- 1. kernel ------------------------------------------------------------------- */

static void kernel_namespaces(struct hm_check *c, const struct doctor_ctx *ctx) {
  struct probe_out all, one;
  hm_probe_namespaces(&all);
  if (all.done && all.err == 0) {
    detail_add(c, "unshare(user|mount|pid|net|uts|ipc|cgroup) and a PID 1 inside work");
    return;
  }
  row_worsen(c, HM_CHECK_FAIL);
  detail_add(c, "%s", PROBE_WHAT(&all));
  if (!all.done) {
    fix_probe_broken(c);
    return;
  }
  const struct ns_kind *k = hm_probe_ns_culprit(&one);
  if (k && k->flag == CLONE_NEWCGROUP && one.done && one.err == EINVAL) {
    /* Cgroup namespaces are "where possible": on EINVAL the launcher clones without. */
    c->status = HM_CHECK_WARN;
    detail_add(c, "only the cgroup namespace fails (%s); the sandbox runs without it",
               ERRNM(one.err));
    fix_add(c, "# optional: boot a kernel with CONFIG_CGROUPS=y (grep CONFIG_CGROUPS "
               "/boot/config-$(uname -r))");
    return;
  }
  if (k)
    detail_add(c, "first failing alone: %s namespace: %s", k->name, PROBE_WHAT(&one));
  if (k && !one.done) {
    fix_probe_broken(c);
  } else if (k && k->flag == CLONE_NEWUSER) {
    fix_add(c, "# user namespaces are blocked: apply the fix of the 'user namespaces' row");
  } else if (k && (one.err == EPERM || one.err == EACCES) && ctx->container.in_container) {
    fix_container(c);
  } else if (k) {
    fix_add(c, "# the kernel lacks %s=y: check with: grep %s /boot/config-$(uname -r)", k->config,
            k->config);
    fix_add(c, "# then boot a distribution kernel (they all enable it)");
  } else {
    fix_add(c, "# every namespace works alone but not all together: check the limits with:");
    fix_add(c, "sysctl user.max_user_namespaces user.max_mnt_namespaces user.max_pid_namespaces "
               "user.max_net_namespaces");
  }
}

static void check_kernel(struct hm_check *c, const struct doctor_ctx *ctx) {
  row_init(c, "kernel");
  struct utsname u;
  unsigned major = 0, minor = 0;
  if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2)
    detail_add(c, "Linux %s", u.release);
  else
    detail_add(c, "kernel version unknown");
  char lacking[96] = "";
  if (major < 5 || (major == 5 && minor < 12))
    hm_doctor_appendf(lacking, sizeof lacking, ", ", "older than 5.12");
  if (!hm_probe_syscall_present(SYS_open_tree))
    hm_doctor_appendf(lacking, sizeof lacking, ", ", "no open_tree(2)");
  if (!hm_probe_syscall_present(SYS_mount_setattr))
    hm_doctor_appendf(lacking, sizeof lacking, ", ", "no mount_setattr(2)");
  if (!lacking[0]) {
    detail_add(c, "open_tree and mount_setattr present");
  } else {
    row_worsen(c, HM_CHECK_WARN);
    detail_add(c, "%s: no idmapped mounts, which root mode needs for the workspace", lacking);
    fix_add(c, "# upgrade to Linux >= 5.12 (Ubuntu 22.04+, Debian 12, RHEL 9, Fedora), "
               "or run hermetic as a normal user");
  }
  kernel_namespaces(c, ctx);
}

/* ---- 2. user namespaces ------------------------------------------------------------ */

struct userns_sysctls {
  long clone;       /* kernel.unprivileged_userns_clone: Debian/Ubuntu patch, -1 absent */
  long max;         /* user.max_user_namespaces */
  long aa_restrict; /* kernel.apparmor_restrict_unprivileged_userns, -1 absent */
};

enum userns_block {
  UNS_OK,
  UNS_BROKEN,       /* the probe hung or crashed */
  UNS_MAX_ZERO,     /* user.max_user_namespaces=0 */
  UNS_CLONE_SYSCTL, /* kernel.unprivileged_userns_clone=0 */
  UNS_APPARMOR,     /* kernel.apparmor_restrict_unprivileged_userns=1 */
  UNS_CONTAINER,    /* a container's seccomp/LSM profile */
  UNS_OTHER,
};

static enum userns_block userns_classify(const struct probe_out *p, const struct userns_sysctls *s,
                                         bool in_container) {
  if (p->done && p->err == 0)
    return UNS_OK;
  if (!p->done)
    return UNS_BROKEN;
  bool after_unshare = p->step >= 1;
  bool denied = p->err == EPERM || p->err == EACCES;
  if (strstr(p->info, "unprivileged_userns") || (after_unshare && denied && s->aa_restrict == 1))
    return UNS_APPARMOR;
  if (!after_unshare && (p->err == ENOSPC || s->max == 0))
    return UNS_MAX_ZERO;
  if (!after_unshare && denied && s->clone == 0)
    return UNS_CLONE_SYSCTL;
  if (denied && in_container)
    return UNS_CONTAINER;
  return UNS_OTHER;
}

static void fix_sysctl(struct hm_check *c, const char *key, const char *value) {
  fix_add(c, "sudo sysctl -w %s=%s", key, value);
  fix_add(c, "echo '%s = %s' | sudo tee /etc/sysctl.d/99-hermetic-userns.conf", key, value);
}

static void userns_fix(struct hm_check *c, enum userns_block why, const struct probe_out *p,
                       const struct doctor_ctx *ctx) {
  switch (why) {
  case UNS_OK:
    break;
  case UNS_BROKEN:
    fix_probe_broken(c);
    break;
  case UNS_MAX_ZERO:
    fix_sysctl(c, "user.max_user_namespaces", "15000");
    break;
  case UNS_CLONE_SYSCTL:
    fix_sysctl(c, "kernel.unprivileged_userns_clone", "1");
    break;
  case UNS_APPARMOR:
    fix_sysctl(c, "kernel.apparmor_restrict_unprivileged_userns", "0");
    fix_add(c, "# or keep the restriction and allow only this binary (AppArmor profile):");
    fix_add(c,
            "printf '%%s\\n' 'abi <abi/4.0>,' 'include <tunables/global>' "
            "'profile hermetic %s flags=(unconfined) {' '  userns,' "
            "'  include if exists <local/hermetic>' '}' | sudo tee /etc/apparmor.d/hermetic",
            ctx->exe);
    fix_add(c, "sudo apparmor_parser -r /etc/apparmor.d/hermetic");
    break;
  case UNS_CONTAINER:
    fix_container(c);
    break;
  case UNS_OTHER:
    fix_add(c, "# %s: check that the kernel has user namespaces and they are not capped:",
            PROBE_WHAT(p));
    fix_add(c, "grep CONFIG_USER_NS /boot/config-$(uname -r); sysctl user.max_user_namespaces");
    break;
  }
}

static void userns_sysctl_detail(struct hm_check *c, const struct userns_sysctls *s) {
  if (s->max >= 0)
    detail_add(c, "user.max_user_namespaces=%ld", s->max);
  if (s->clone >= 0)
    detail_add(c, "kernel.unprivileged_userns_clone=%ld", s->clone);
  if (s->aa_restrict >= 0)
    detail_add(c, "kernel.apparmor_restrict_unprivileged_userns=%ld", s->aa_restrict);
}

static void probe_failure_detail(struct hm_check *c, const char *who, const struct probe_out *p) {
  detail_add(c, "%s: %s", who, PROBE_WHAT(p));
  if (p->info[0])
    hm_doctor_appendf(c->detail, sizeof c->detail, " ", "(%s)", p->info);
}

static void check_userns(struct hm_check *c, const struct doctor_ctx *ctx) {
  row_init(c, "user namespaces");
  struct userns_sysctls s = {
      .clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone"),
      .max = read_sysctl("/proc/sys/user/max_user_namespaces"),
      .aa_restrict = read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
  };
  bool as_root = ctx->euid == 0;
  struct probe_out root_p = {.done = 1}, user_p;
  if (as_root)
    hm_probe_userns(false, &root_p);
  /* As root, test what the runner's user will meet by dropping to nobody. */
  hm_probe_userns(as_root, &user_p);
  enum userns_block root_why = userns_classify(&root_p, &s, ctx->container.in_container);
  enum userns_block user_why = userns_classify(&user_p, &s, ctx->container.in_container);

  if (as_root && root_why == UNS_OK && user_p.done && user_p.step < 0) {
    row_worsen(c, HM_CHECK_WARN);
    detail_add(c, "root mode works; could not test an unprivileged user: %s", PROBE_WHAT(&user_p));
    fix_add(c, "# run the doctor as the user that will run builds, e.g.: sudo -u runner %s doctor",
            ctx->exe);
  } else if (root_why != UNS_OK) {
    row_worsen(c, HM_CHECK_FAIL);
    probe_failure_detail(c, "even as root", &root_p);
    userns_fix(c, root_why, &root_p, ctx);
  } else if (user_why != UNS_OK) {
    row_worsen(c, as_root ? HM_CHECK_WARN : HM_CHECK_FAIL);
    if (as_root)
      detail_add(c, "root mode works; unprivileged users do not (runners usually invoke hermetic "
                    "as the runner user)");
    probe_failure_detail(c, as_root ? "as uid 65534" : "unprivileged", &user_p);
    if (user_why == UNS_APPARMOR)
      detail_add(c, "blocked by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1)");
    userns_fix(c, user_why, &user_p, ctx);
  } else if (as_root) {
    detail_add(c, "unshare, uid_map and a mount inside work as root and as an unprivileged user "
                  "(tested as uid 65534); root mode works regardless, but runners usually invoke "
                  "hermetic as the runner user");
  } else {
    detail_add(c, "unprivileged: unshare, uid_map and a mount inside work");
  }
  if (s.aa_restrict == 1 && user_why == UNS_OK)
    detail_add(c, "AppArmor restricts user namespaces, but this binary is allowed");
  userns_sysctl_detail(c, &s);
}

/* ---- 3. seccomp -------------------------------------------------------------------- */

/* The actions the sandbox's profiles return: ERRNO (denied calls), KILL_PROCESS (foreign
 * ABIs), LOG (--seccomp log). */
static void seccomp_actions(struct hm_check *c) {
  static const struct {
    uint32_t action;
    const char *name;
    const char *used_for;
  } actions[] = {
      {SECCOMP_RET_ERRNO, "errno", "denying calls"},
      {SECCOMP_RET_KILL_PROCESS, "kill_process", "killing i386/x32 callers"},
      {SECCOMP_RET_LOG, "log", "--seccomp log"},
  };
  char missing[128] = "";
  for (size_t i = 0; i < HM_ARRAY_SIZE(actions); i++) {
    int r = hm_probe_seccomp_action(actions[i].action);
    if (r == 0)
      continue;
    if (r != -EOPNOTSUPP) { /* EINVAL: kernel < 4.14; EPERM: a parent filter */
      detail_add(c, "cannot query seccomp actions: %s", ERRNM(-r));
      return;
    }
    hm_doctor_appendf(missing, sizeof missing, ", ", "%s (%s)", actions[i].name,
                      actions[i].used_for);
  }
  if (missing[0]) {
    row_worsen(c, HM_CHECK_WARN);
    detail_add(c, "missing seccomp actions: %s", missing);
    fix_add(c, "# upgrade to Linux >= 4.14 for SECCOMP_RET_KILL_PROCESS and SECCOMP_RET_LOG");
  } else {
    detail_add(c, "actions errno, kill_process and log available");
  }
}

static void check_seccomp(struct hm_check *c, const struct doctor_ctx *ctx) {
  row_init(c, "seccomp");
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
    row_worsen(c, HM_CHECK_FAIL);
    detail_add(c, "prctl(PR_GET_SECCOMP) fails with EINVAL: the kernel has no seccomp");
    fix_add(c, "# boot a kernel with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y "
               "(grep SECCOMP /boot/config-$(uname -r)); every distribution kernel has them");
    return;
  }
  char mode[32], filters[32];
  status_field("Seccomp", mode, sizeof mode);
  status_field("Seccomp_filters", filters, sizeof filters);
  struct probe_out p;
  hm_probe_seccomp(&p);
  if (p.done && p.err == 0) {
    detail_add(c, "filter mode works (no_new_privs + an allow-all filter installed in a child)");
  } else {
    row_worsen(c, HM_CHECK_FAIL);
    detail_add(c, "%s", PROBE_WHAT(&p));
    bool denied = p.err == EPERM || p.err == EACCES;
    if (!p.done)
      fix_probe_broken(c);
    else if (denied && (ctx->container.in_container || strcmp(mode, "2") == 0))
      fix_container(c); /* a parent's filter or LSM forbids filters of our own */
    else
      fix_add(
          c,
          "# boot a kernel with CONFIG_SECCOMP_FILTER=y (grep SECCOMP /boot/config-$(uname -r))");
  }
  if (strcmp(mode, "2") == 0)
    detail_add(c,
               "doctor already runs under %s seccomp filter(s) from its parent (a container or "
               "service manager); the sandbox's filter stacks on top",
               filters[0] ? filters : "some");
  else if (mode[0])
    detail_add(c, "/proc/self/status Seccomp: %s", mode);
  seccomp_actions(c);
}

/* ---- 4. cgroup v2 delegation ------------------------------------------------------- */

/* The systemd unit we run in, from a path like /system.slice/actions.runner.x.service/... */
static bool service_unit(const char *cgpath, char *out, size_t size) {
  const char *p = strstr(cgpath, "/system.slice/");
  if (!p)
    return false;
  p += strlen("/system.slice/");
  size_t len = strcspn(p, "/");
  if (len < 9 || len >= size || strncmp(p + len - 8, ".service", 8) != 0)
    return false;
  snprintf(out, size, "%.*s", (int)len, p);
  return true;
}

static void fix_cgroup_delegate(struct hm_check *c, const char *cgpath, uid_t euid) {
  char unit[256];
  if (service_unit(cgpath, unit, sizeof unit)) {
    fix_add(c, "# delegate a cgroup subtree to %s (the service this runs in):", unit);
  } else {
    fix_add(c, "# run hermetic in a delegated scope:");
    fix_add(c, "systemd-run %s--scope -p Delegate=yes -- hermetic run ...",
            euid == 0 ? "" : "--user ");
    fix_add(c, "# or, for a self-hosted runner service, delegate in its unit:");
    snprintf(unit, sizeof unit, "actions.runner.OWNER-REPO.RUNNER.service");
  }
  fix_add(c,
          "sudo mkdir -p /etc/systemd/system/%s.d && printf '[Service]\\nDelegate=yes\\n' | "
          "sudo tee /etc/systemd/system/%s.d/hermetic-delegate.conf",
          unit, unit);
  fix_add(c, "sudo systemctl daemon-reload && sudo systemctl restart %s", unit);
}

static void fix_cgroup_unified(struct hm_check *c) {
  fix_add(c, "# boot with the unified cgroup v2 hierarchy, then reboot:");
  fix_add(c, "sudo sed -i 's/^GRUB_CMDLINE_LINUX=\"/&systemd.unified_cgroup_hierarchy=1 /' "
             "/etc/default/grub && sudo update-grub   # Debian/Ubuntu");
  fix_add(
      c,
      "sudo grubby --update-kernel=ALL --args=systemd.unified_cgroup_hierarchy=1   # Fedora/RHEL");
}

/* The same code `run` uses for --pids/--memory, on a probe configuration: the cgroup it
 * would make is made and removed, and its reason for making none is the one reported. */
static void check_cgroup(struct hm_check *c, const struct doctor_ctx *ctx) {
  row_init(c, "cgroup v2");
  bool hybrid;
  const char *mnt = hm_cgroup2_mount(&hybrid);
  char cgpath[2048] = "?";
  if (!mnt || hm_cgroup_own_path(cgpath, sizeof cgpath) < 0) {
    row_worsen(c, HM_CHECK_WARN);
    detail_add(c, "no cgroup2 hierarchy (cgroup v1 only): --memory and --pids use rlimits");
    fix_cgroup_unified(c);
    return;
  }
  struct hm_sandbox_config probe = {.pids = 1, .memory_bytes = 1 << 30};
  struct hm_cgroup cg;
  hm_cgroup_create(&probe, ctx->euid == 0, &cg);
  if (cg.dir_fd >= 0) {
    detail_add(c, "cgroup2 at %s; --pids and --memory get a cgroup of the build's own (made and removed %s%.1500s)",
               mnt, mnt, cg.path);
    hm_cgroup_destroy(&cg);
    return;
  }
  hm_cgroup_destroy(&cg);
  row_worsen(c, HM_CHECK_WARN);
  detail_add(c, "cgroup2 at %s%s; our cgroup %s; --memory and --pids use rlimits: %s", mnt,
             hybrid ? " (hybrid: v1 controllers at /sys/fs/cgroup too)" : "", cgpath, cg.why_not);
  if (hybrid)
    fix_cgroup_unified(c);
  else
    fix_cgroup_delegate(c, cgpath, ctx->euid);
}

/* ---- 5. nested in a container: a fresh /proc ----------------------------------------- */

static void check_container(struct hm_check *c, const struct doctor_ctx *ctx) {
  row_init(c, "container");
  const struct container_hints *h = &ctx->container;
  if (h->hints[0])
    detail_add(c, "inside a container (%s)", h->hints);
  else if (!h->in_container)
    detail_add(c, "no sign of a container");
  if (h->n_overmounts > 0)
    detail_add(c, "/proc has %d over-mount(s): %s", h->n_overmounts, h->overmounts);
  struct probe_out p;
  hm_probe_fresh_proc(&p);
  if (p.done && p.err == 0) {
    detail_add(c, "a fresh /proc mounts in new user+pid+mount namespaces");
    return;
  }
  detail_add(c, "%s", PROBE_WHAT(&p));
  if (!p.done) {
    row_worsen(c, HM_CHECK_WARN);
    fix_probe_broken(c);
    return;
  }
  if (p.step == 0) {
    /* Never got to the mount: the namespaces themselves are the problem. */
    row_worsen(c, HM_CHECK_WARN);
    detail_add(c, "could not reach the /proc mount");
    fix_add(c, "# fix the 'user namespaces' and 'kernel' rows first, then run the doctor again");
    if (h->in_container && (p.err == EPERM || p.err == EACCES))
      fix_container(c);
    return;
  }
  row_worsen(c, HM_CHECK_FAIL);
  if (p.err == EPERM && h->n_overmounts > 0)
    detail_add(c, "the kernel refuses a new proc while the existing one is partly masked");
  fix_container(c);
}

/* ---- 6. idmapped mounts ------------------------------------------------------------ */

static const char *fs_name(uint32_t type) {
  static const struct {
    uint32_t magic;
    const char *name;
  } names[] = {
      {0xEF53, "ext4"},         {0x58465342, "xfs"},       {0x9123683E, "btrfs"},
      {0x01021994, "tmpfs"},    {0x794c7630, "overlayfs"}, {0x6969, "nfs"},
      {0x65735546, "fuse"},     {0x2fc12fc1, "zfs"},       {0x01021997, "9p"},
      {0x73717368, "squashfs"}, {0xF2F52010, "f2fs"},      {0xFF534D42, "cifs"},
  };
  for (size_t i = 0; i < HM_ARRAY_SIZE(names); i++)
    if (names[i].magic == type)
      return names[i].name;
  return NULL;
}

static void check_idmap(struct hm_check *c, const struct doctor_ctx *ctx) {
  row_init(c, "idmapped mounts");
  if (ctx->euid != 0) {
    detail_add(c,
               "not needed: only root mode idmaps the workspace; as uid %u the build's files "
               "are yours anyway",
               (unsigned)ctx->euid);
    return;
  }
  char cwd[1024] = "?", fstype[32] = "unknown filesystem";
  if (!getcwd(cwd, sizeof cwd))
    snprintf(cwd, sizeof cwd, "?");
  struct statfs sfs;
  if (statfs(".", &sfs) == 0) {
    const char *name = fs_name((uint32_t)sfs.f_type);
    if (name)
      snprintf(fstype, sizeof fstype, "%s", name);
    else
      snprintf(fstype, sizeof fstype, "fs magic 0x%lx", (unsigned long)(uint32_t)sfs.f_type);
  }
  struct probe_out p;
  hm_probe_idmap(&p);
  if (p.done && p.err == 0) {
    detail_add(c,
               "the current directory %s (%s) can be idmapped (open_tree + mount_setattr "
               "MOUNT_ATTR_IDMAP)",
               cwd, fstype);
    return;
  }
  row_worsen(c, HM_CHECK_WARN);
  detail_add(c, "idmapping the current directory %s (%s): %s", cwd, fstype, PROBE_WHAT(&p));
  if (!p.done) {
    fix_probe_broken(c);
  } else if (p.err == ENOSYS) {
    fix_add(c,
            "# upgrade to Linux >= 5.12, or run hermetic as a normal user (no idmapping needed)");
  } else if (p.step == 1) {
    fix_add(c, "# the idmapping needs a user namespace: fix the 'user namespaces' row first");
  } else if ((p.err == EPERM || p.err == EACCES) && ctx->container.in_container) {
    fix_container(c);
  } else {
    fix_add(c, "# as root the workspace must be on a filesystem with idmapped mounts (ext4, xfs, "
               "btrfs, f2fs on >= 5.12; tmpfs >= 6.3; overlayfs >= 5.19), e.g.:");
    fix_add(c, "hermetic run --workspace /path/on/ext4 ...");
    fix_add(c, "# or run hermetic as a normal user (unprivileged mode needs no idmapping)");
  }
}

/* ---- 7. informational ------------------------------------------------------------ */

static void check_ptrace(struct hm_check *c, const struct doctor_ctx *ctx) {
  (void)ctx;
  static const char *const meaning[] = {"classic: any same-uid process",
                                        "restricted to descendants", "admin only", "no attach"};
  row_init(c, "ptrace scope");
  long v = read_sysctl("/proc/sys/kernel/yama/ptrace_scope");
  if (v >= 0 && v < (long)HM_ARRAY_SIZE(meaning))
    detail_add(c, "kernel.yama.ptrace_scope=%ld (%s)", v, meaning[v]);
  else if (v >= 0)
    detail_add(c, "kernel.yama.ptrace_scope=%ld", v);
  else
    detail_add(c, "Yama not enabled: same-uid processes may ptrace each other on the host");
  detail_add(c, "the sandbox denies ptrace by seccomp and a PID namespace regardless");
}

static void check_bpf(struct hm_check *c, const struct doctor_ctx *ctx) {
  (void)ctx;
  static const char *const meaning[] = {"allowed", "disabled until reboot",
                                        "disabled, an admin may re-enable it"};
  row_init(c, "unprivileged bpf");
  long v = read_sysctl("/proc/sys/kernel/unprivileged_bpf_disabled");
  if (v >= 0 && v < (long)HM_ARRAY_SIZE(meaning))
    detail_add(c, "kernel.unprivileged_bpf_disabled=%ld (%s)", v, meaning[v]);
  else if (v >= 0)
    detail_add(c, "kernel.unprivileged_bpf_disabled=%ld", v);
  else
    detail_add(c, "no kernel.unprivileged_bpf_disabled (kernel without bpf(2))");
  detail_add(c, "the sandbox denies bpf(2) by seccomp regardless");
}

/* ---- entry point ------------------------------------------------------------------- */

int hm_doctor_run(struct hm_check **checks, size_t *n) {
  static void (*const run[])(struct hm_check *, const struct doctor_ctx *) = {
      check_kernel,    check_userns, check_seccomp, check_cgroup,
      check_container, check_idmap,  check_ptrace,  check_bpf,
  };
  struct hm_check *rows = calloc(HM_ARRAY_SIZE(run), sizeof *rows);
  if (!rows)
    return -ENOMEM;
  struct doctor_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    free(rows);
    return -ENOMEM;
  }
  ctx->euid = geteuid();
  hm_probe_container(&ctx->container);
  self_exe(ctx->exe, sizeof ctx->exe);
  for (size_t i = 0; i < HM_ARRAY_SIZE(run); i++)
    run[i](&rows[i], ctx);
  free(ctx);
  *checks = rows;
  *n = HM_ARRAY_SIZE(run);
  return 0;
}
