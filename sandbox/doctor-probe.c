/* hermetic doctor's probes: what this host lets a process do, found by doing it.
 *
 * Probes with side effects run in a forked child that reports through a shared anonymous
 * page, is reaped, and is killed if it outlives HM_DOCTOR_PROBE_TIMEOUT_MS. The forked
 * children call only what is safe after fork in a single-threaded process; hm_doctor_run()
 * is not meant for threaded callers (the CLI and the unit test are single-threaded).
 * A probe reports facts and the step that failed; doctor.c turns them into a status and
 * a fix. */
#include "sandbox.h"
#include "doctor-probe.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define HM_DOCTOR_PROBE_TIMEOUT_MS 5000
/* The uid the unprivileged probe drops to when doctor runs as root: "nobody" exists
 * everywhere and owns nothing, like the runner user as far as namespaces care. */
#define DOCTOR_NOBODY 65534u

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif

/* Our own copy of struct mount_attr: glibc < 2.36 lacks it. */
struct doctor_mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* ---- text -------------------------------------------------------------------------- */

void hm_doctor_vappend(char *buf, size_t size, const char *sep, const char *fmt, va_list ap) {
  size_t n = strnlen(buf, size);
  if (n + 1 >= size)
    return;
  if (n > 0 && sep)
    n += (size_t)snprintf(buf + n, size - n, "%s", sep);
  if (n + 1 < size)
    vsnprintf(buf + n, size - n, fmt, ap);
}

void hm_doctor_appendf(char *buf, size_t size, const char *sep, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hm_doctor_vappend(buf, size, sep, fmt, ap);
  va_end(ap);
}

const char *hm_doctor_errnm(int e, char *buf, size_t size) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *sym = strerrorname_np(e);
#else
  const char *sym = NULL;
#endif
  if (sym)
    snprintf(buf, size, "%s (%s)", sym, strerror(e));
  else
    snprintf(buf, size, "%s", strerror(e));
  return buf;
}

/* ---- probe children ---------------------------------------------------------------- */

/* A probe's own return value is ignored: what it found is in *out. Returning int lets
 * every step end in "return probe_fail(...)". */
typedef int (*probe_fn)(struct probe_out *out, const void *arg);

/* Record the failing step; returns -errno. */
__attribute__((format(printf, 3, 4))) static int probe_fail(struct probe_out *out, int err,
                                                            const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out->stage, sizeof out->stage, fmt, ap);
  va_end(ap);
  out->err = err > 0 ? err : EIO;
  out->done = 1;
  return -out->err;
}

static int probe_ok(struct probe_out *out) {
  out->err = 0;
  out->done = 1;
  return 0;
}

static void sleep_us(long us) {
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* waitpid with a deadline: past it the child is SIGKILLed and then reaped. */
static int reap_bounded(pid_t pid, int timeout_ms, int *status) {
  double deadline = hm_now_ms() + timeout_ms;
  long pause = 200;
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid)
      return 0;
    if (r < 0 && errno != EINTR)
      return -errno;
    if (hm_now_ms() >= deadline) {
      kill(pid, SIGKILL);
      while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
      return -ETIMEDOUT;
    }
    sleep_us(pause);
    if (pause < 20000)
      pause *= 2;
  }
}

/* Blocking reap inside a probe child; the child's own alarm bounds it. */
static int child_reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return status;
}

/* Run fn in a forked child and fill *res. The child (or its grandchild) reports in a
 * MAP_SHARED page, so a grandchild in a new PID namespace can report without another
 * pipe. res->done == 0 when no child could be started, or it died or hung before
 * reporting: res->stage then says which, as a sentence. A failed probe still yields its
 * row, so nothing here is an error for the caller. */
static void probe(probe_fn fn, const void *arg, struct probe_out *res) {
  memset(res, 0, sizeof *res);
  struct probe_out *shared =
      mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    res->err = errno;
    snprintf(res->stage, sizeof res->stage, "the probe could not start: mmap: %s", ERRNM(res->err));
    return;
  }
  memset(shared, 0, sizeof *shared);
  pid_t pid = fork();
  if (pid < 0) {
    res->err = errno;
    munmap(shared, sizeof *shared);
    snprintf(res->stage, sizeof res->stage, "the probe could not start: fork: %s", ERRNM(res->err));
    return;
  }
  if (pid == 0) {
    /* Bounded even if the doctor itself dies: the alarm ends us, the death signal
     * covers the window before the parent's own deadline. */
    signal(SIGALRM, SIG_DFL);
    alarm(HM_DOCTOR_PROBE_TIMEOUT_MS / 1000 + 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    (void)fn(shared, arg);
    _exit(0);
  }
  int status = 0;
  int r = reap_bounded(pid, HM_DOCTOR_PROBE_TIMEOUT_MS, &status);
  *res = *shared;
  munmap(shared, sizeof *shared);
  res->stage[sizeof res->stage - 1] = '\0';
  res->info[sizeof res->info - 1] = '\0';
  if (r == -ETIMEDOUT) {
    res->done = 0;
    res->err = ETIMEDOUT;
    snprintf(res->stage, sizeof res->stage, "the probe hung for %d ms and was killed",
             HM_DOCTOR_PROBE_TIMEOUT_MS);
  } else if (r < 0) {
    res->done = 0;
    res->err = -r;
    snprintf(res->stage, sizeof res->stage, "waiting for the probe: %s", ERRNM(-r));
  } else if (!res->done) {
    res->err = EIO;
    if (WIFSIGNALED(status))
      snprintf(res->stage, sizeof res->stage, "the probe was killed by signal %d (%s)",
               WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
      snprintf(res->stage, sizeof res->stage, "the probe exited with status %d before reporting",
               WEXITSTATUS(status));
  }
}

static int write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int r = hm_write_all(fd, text, strlen(text));
  close(fd);
  return r;
}

/* Map root in the caller's fresh user namespace to its own uid/gid: the one mapping an
 * unprivileged process may write for itself. */
static int map_self(uid_t uid, gid_t gid, struct probe_out *out) {
  char map[64];
  int r = write_text("/proc/self/setgroups", "deny");
  if (r < 0 && r != -ENOENT) /* ENOENT: kernel < 3.19, no setgroups gate */
    return probe_fail(out, -r, "writing /proc/self/setgroups");
  snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
  if ((r = write_text("/proc/self/uid_map", map)) < 0)
    return probe_fail(out, -r, "writing /proc/self/uid_map (\"0 %u 1\")", (unsigned)uid);
  snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
  if ((r = write_text("/proc/self/gid_map", map)) < 0)
    return probe_fail(out, -r, "writing /proc/self/gid_map (\"0 %u 1\")", (unsigned)gid);
  return 0;
}

/* Fork a process that becomes PID 1 of the PID namespace the caller unshared, run
 * fn there, and reap it. */
static int in_new_pidns(struct probe_out *out, int (*fn)(struct probe_out *)) {
  pid_t pid = fork();
  if (pid < 0)
    return probe_fail(out, errno, "fork() into the new PID namespace");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getpid() != 1)
      probe_fail(out, EINVAL, "first process of the new PID namespace has pid %d, not 1",
                 (int)getpid());
    else
      (void)fn(out);
    _exit(0);
  }
  int status = child_reap(pid);
  if (!out->done)
    return probe_fail(out, EIO,
                      "process in the new PID namespace ended without reporting "
                      "(status 0x%x)",
                      (unsigned)status);
  return -out->err;
}

/* ---- container hints (shared by several checks) ------------------------------------ */

static void hint_add(struct container_hints *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void hint_add(struct container_hints *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hm_doctor_vappend(h->hints, sizeof h->hints, ", ", fmt, ap);
  va_end(ap);
  h->in_container = true;
}

static void pid1_container_env(struct container_hints *h) {
  _cleanup_free_ char *env = NULL;
  size_t len = 0;
  if (hm_read_file("/proc/1/environ", &env, &len, NULL) < 0)
    return; /* not ours to read unless root */
  for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
    if (strncmp(env + i, "container=", 10) == 0) {
      hint_add(h, "PID 1 has %.40s", env + i);
      return;
    }
  }
}

static void pid1_cgroup_hints(struct container_hints *h) {
  static const char *const words[] = {"docker", "kubepods", "containerd",
                                      "libpod", "lxc",      "garden"};
  _cleanup_free_ char *cg = NULL;
  if (hm_read_file("/proc/1/cgroup", &cg, NULL, NULL) < 0)
    return;
  for (size_t i = 0; i < HM_ARRAY_SIZE(words); i++) {
    if (strstr(cg, words[i])) {
      hint_add(h, "/proc/1/cgroup mentions %s", words[i]);
      return;
    }
  }
}

/* Mounts on top of something inside /proc (Docker masks /proc/kcore, /proc/keys,
 * /proc/timer_list... with /dev/null binds and makes /proc/sys read-only). The kernel
 * allows a fresh proc in a user namespace only where an existing one is fully visible
 * (fs/namespace.c mnt_already_visible: locked mounts on anything but empty directories
 * hide something), so these usually block the sandbox's /proc; hm_probe_fresh_proc()
 * says whether they do here. binfmt_misc sits on an empty directory. */
static void proc_overmounts(struct container_hints *h) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char target[1024];
    /* id parent major:minor root target ... */
    if (sscanf(line, "%*s %*s %*s %*s %1023s", target) != 1)
      continue;
    if (strncmp(target, "/proc/", 6) != 0 || strcmp(target, "/proc/sys/fs/binfmt_misc") == 0)
      continue;
    h->n_overmounts++;
    hm_doctor_appendf(h->overmounts, sizeof h->overmounts, ", ", "%s", target);
  }
}

static bool path_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

void hm_probe_container(struct container_hints *h) {
  memset(h, 0, sizeof *h);
  if (path_exists("/.dockerenv"))
    hint_add(h, "/.dockerenv exists");
  if (path_exists("/run/.containerenv"))
    hint_add(h, "/run/.containerenv exists");
  pid1_container_env(h);
  pid1_cgroup_hints(h);
  proc_overmounts(h);
  if (h->n_overmounts > 0)
    h->in_container = true;
}

/* ---- kernel ------------------------------------------------------------------------ */

static const struct ns_kind ns_kinds[] = {
    {CLONE_NEWUSER, "user", "CONFIG_USER_NS"},     {CLONE_NEWNS, "mount", "CONFIG_NAMESPACES"},
    {CLONE_NEWPID, "pid", "CONFIG_PID_NS"},        {CLONE_NEWNET, "net", "CONFIG_NET_NS"},
    {CLONE_NEWUTS, "uts", "CONFIG_UTS_NS"},        {CLONE_NEWIPC, "ipc", "CONFIG_IPC_NS"},
    {CLONE_NEWCGROUP, "cgroup", "CONFIG_CGROUPS"},
};
#define ALL_NS_FLAGS                                                                               \
  (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC |       \
   CLONE_NEWCGROUP)

static void ns_names(int flags, char *out, size_t size) {
  out[0] = '\0';
  for (size_t i = 0; i < HM_ARRAY_SIZE(ns_kinds); i++)
    if (flags & ns_kinds[i].flag)
      hm_doctor_appendf(out, size, "|", "%s", ns_kinds[i].name);
}

static int report_ok_in_pidns(struct probe_out *out) {
  return probe_ok(out);
}

/* unshare() the given namespaces (always with a user namespace, as the sandbox does)
 * and, for a PID namespace, start its first process. */
static int probe_unshare(struct probe_out *out, const void *arg) {
  int flags = *(const int *)arg;
  if (unshare(flags) < 0) {
    char names[96];
    ns_names(flags, names, sizeof names);
    return probe_fail(out, errno, "unshare(%s)", names);
  }
  out->step = 1;
  if (flags & CLONE_NEWPID)
    return in_new_pidns(out, report_ok_in_pidns);
  return probe_ok(out);
}

void hm_probe_namespaces(struct probe_out *res) {
  int flags = ALL_NS_FLAGS;
  probe(probe_unshare, &flags, res);
}

/* Which single namespace fails when all together do: each with a user namespace, in
 * ns_kinds order, so every one before the culprit is known to work. */
const struct ns_kind *hm_probe_ns_culprit(struct probe_out *p) {
  for (size_t i = 0; i < HM_ARRAY_SIZE(ns_kinds); i++) {
    int flags = CLONE_NEWUSER | ns_kinds[i].flag;
    probe(probe_unshare, &flags, p);
    if (!p->done || p->err)
      return &ns_kinds[i];
  }
  return NULL;
}

/* ENOSYS means the kernel lacks the call; anything else (EBADF/EINVAL/EFAULT for our
 * bogus arguments, EPERM from a container's filter) means it has it. */
bool hm_probe_syscall_present(long nr) {
  errno = 0;
  long r = syscall(nr, -1, NULL, 0, NULL, 0);
  if (r >= 0)
    close((int)r);
  return !(r < 0 && errno == ENOSYS);
}

/* ---- user namespaces --------------------------------------------------------------- */

/* Become an ordinary user, as a runner's user is. setresuid makes the process
 * non-dumpable, which would leave /proc/self/uid_map owned by root and unwritable. */
static int drop_to_nobody(struct probe_out *out) {
  if (setgroups(0, NULL) < 0)
    return probe_fail(out, errno, "setgroups(0) before dropping to uid %u", DOCTOR_NOBODY);
  if (setresgid(DOCTOR_NOBODY, DOCTOR_NOBODY, DOCTOR_NOBODY) < 0 ||
      setresuid(DOCTOR_NOBODY, DOCTOR_NOBODY, DOCTOR_NOBODY) < 0)
    return probe_fail(out, errno, "dropping to uid %u", DOCTOR_NOBODY);
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
    return probe_fail(out, errno, "prctl(PR_SET_DUMPABLE)");
  return 0;
}

/* Ubuntu's restriction moves a process that creates a user namespace without
 * CAP_SYS_ADMIN into the "unprivileged_userns" profile, which denies every capability:
 * the label is the proof. */
static void note_apparmor_label(struct probe_out *out) {
  _cleanup_free_ char *label = NULL;
  if (hm_read_file("/proc/self/attr/apparmor/current", &label, NULL, NULL) < 0)
    return;
  label[strcspn(label, "\n")] = '\0';
  snprintf(out->info, sizeof out->info, "AppArmor label after unshare: %.200s", label);
}

/* The whole path the sandbox takes: a user namespace, an id map, then a capability
 * used inside (a mount). AppArmor's restriction lets unshare succeed and denies the rest,
 * so stopping at unshare would miss exactly the case that matters. */
static int probe_userns(struct probe_out *out, const void *arg) {
  bool drop = *(const bool *)arg;
  if (drop && drop_to_nobody(out) < 0) {
    out->step = -1; /* says nothing about user namespaces */
    return -out->err;
  }
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER) < 0)
    return probe_fail(out, errno, "unshare(CLONE_NEWUSER)");
  out->step = 1;
  note_apparmor_label(out);
  if (map_self(uid, gid, out) < 0)
    return -out->err;
  if (unshare(CLONE_NEWNS) < 0)
    return probe_fail(out, errno, "unshare(CLONE_NEWNS) inside the new user namespace");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return probe_fail(out, errno, "making / private inside the new user namespace");
  if (mount("tmpfs", "/", "tmpfs", MS_NOSUID | MS_NODEV, "size=16k") < 0)
    return probe_fail(out, errno, "mounting a tmpfs inside the new user namespace");
  return probe_ok(out);
}

void hm_probe_userns(bool as_nobody, struct probe_out *res) {
  probe(probe_userns, &as_nobody, res);
}

/* ---- seccomp ----------------------------------------------------------------------- */

static int probe_seccomp(struct probe_out *out, const void *arg) {
  (void)arg;
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {.len = 1, .filter = &allow};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return probe_fail(out, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  out->step = 1;
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  if (r < 0 && errno == ENOSYS) /* seccomp(2) is 3.17+; the prctl form is older */
    r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  if (r < 0)
    return probe_fail(out, errno, "installing an allow-all seccomp filter");
  int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  if (mode != SECCOMP_MODE_FILTER)
    return probe_fail(out, EINVAL, "PR_GET_SECCOMP reports mode %d after installing a filter",
                      mode);
  return probe_ok(out);
}

void hm_probe_seccomp(struct probe_out *res) {
  probe(probe_seccomp, NULL, res);
}

int hm_probe_seccomp_action(uint32_t action) {
  return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0 ? 0 : -errno;
}

/* ---- cgroup v2 delegation ---------------------------------------------------------- */

/* ---- nested in a container: a fresh /proc ------------------------------------------ */

static int mount_fresh_proc(struct probe_out *out) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return probe_fail(out, errno, "making / private in the new mount namespace");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return probe_fail(out, errno, "mounting a fresh proc in new user+pid+mount namespaces");
  out->step = 2;
  char self[32] = "";
  ssize_t n = readlink("/proc/self", self, sizeof self - 1);
  if (n > 0)
    self[n] = '\0';
  if (strcmp(self, "1") != 0)
    return probe_fail(out, EINVAL, "the fresh /proc shows /proc/self -> %s, not 1", self);
  return probe_ok(out);
}

static int probe_fresh_proc(struct probe_out *out, const void *arg) {
  (void)arg;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0)
    return probe_fail(out, errno, "unshare(user|mount|pid)");
  if (map_self(uid, gid, out) < 0)
    return -out->err;
  out->step = 1;
  return in_new_pidns(out, mount_fresh_proc);
}

void hm_probe_fresh_proc(struct probe_out *res) {
  probe(probe_fresh_proc, NULL, res);
}

/* ---- idmapped mounts --------------------------------------------------------------- */

/* A user namespace with a mapping, held by a helper that exits when we close its pipe. */
static int userns_fd_with_map(struct probe_out *out) {
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) < 0)
    return probe_fail(out, errno, "pipe2");
  if (pipe2(hold, O_CLOEXEC) < 0) {
    int e = errno;
    close(ready[0]);
    close(ready[1]);
    return probe_fail(out, e, "pipe2");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(ready[0]);
    close(ready[1]);
    close(hold[0]);
    close(hold[1]);
    return probe_fail(out, e, "fork() for a user namespace");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    close(ready[0]);
    close(hold[1]);
    unsigned char b = unshare(CLONE_NEWUSER) == 0 ? 0 : (unsigned char)errno;
    if (write(ready[1], &b, 1) == 1)
      while (read(hold[0], &b, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  unsigned char b = EIO;
  int fd = -1, r;
  char path[64], map[64];
  if (hm_read_all(ready[0], &b, 1) != 1 || b != 0) {
    probe_fail(out, b, "unshare(CLONE_NEWUSER) for the idmapping");
    goto out;
  }
  snprintf(map, sizeof map, "%u %u 1\n", HM_BUILD_UID, HM_ROOT_MODE_HOST_ID);
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
  r = write_text(path, map);
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
  if (r == 0)
    r = write_text(path, map);
  if (r < 0) {
    probe_fail(out, -r, "writing the idmapping's uid_map/gid_map");
    goto out;
  }
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    probe_fail(out, errno, "opening %s", path);
out:
  close(ready[0]);
  close(hold[1]); /* lets the helper exit */
  child_reap(pid);
  return fd;
}

/* What the sandbox does to the workspace in root mode, on a detached copy of the
 * current directory's mount: nothing is attached, so the host never sees it. */
static int probe_idmap(struct probe_out *out, const void *arg) {
  (void)arg;
  _cleanup_close_ int tree =
      (int)syscall(SYS_open_tree, AT_FDCWD, ".", OPEN_TREE_CLONE | O_CLOEXEC);
  if (tree < 0)
    return probe_fail(out, errno, "open_tree(\".\", OPEN_TREE_CLONE)");
  out->step = 1;
  _cleanup_close_ int userns = userns_fd_with_map(out);
  if (userns < 0)
    return -out->err;
  out->step = 2;
  struct doctor_mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return probe_fail(out, errno, "mount_setattr(MOUNT_ATTR_IDMAP)");
  return probe_ok(out);
}

void hm_probe_idmap(struct probe_out *res) {
  probe(probe_idmap, NULL, res);
}
