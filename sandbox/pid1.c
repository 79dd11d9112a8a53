/* The sandbox's init (PID 1 of the new pid namespace). It finishes the setup that needs
 * capabilities in the new user namespace (network, mounts), starts the command in a new
 * session with nothing left (no capabilities, no_new_privs, seccomp, no inherited fds),
 * then reaps orphans and forwards SIGTERM/SIGINT/SIGHUP until the command exits. When it
 * exits, the kernel kills every other process of the namespace before the launcher's
 * waitpid() returns: nothing the build started outlives the build.
 *
 * Errors here have no caller to return to: they are sent to the launcher as one message
 * and the sandbox exits (bwrap's die_with_error). */
#include "internal.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>

/* Credential changes with the raw system calls. PID 1 is a clone() of the launcher, which
 * may have other threads (hermetic build's log): glibc's wrappers would then try to apply
 * the change to those threads too (setxid broadcast) and wait forever for threads that do
 * not exist in this process. The kernel's calls change exactly this process. */
static int raw_setgroups0(void) { return (int)syscall(SYS_setgroups, 0, NULL); }
static int raw_setresid(uid_t uid, gid_t gid) {
  if (syscall(SYS_setresgid, gid, gid, gid) < 0)
    return -1;
  return (int)syscall(SYS_setresuid, uid, uid, uid);
}

#define HM_HOSTNAME "hermetic"

__attribute__((noreturn, format(printf, 2, 3))) static void die(int sock, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  hm_msg_send(sock, HM_MSG_ERROR, 0, msg, strlen(msg));
  _exit(125);
}

__attribute__((noreturn)) static void die_err(int sock, const char *step, const hm_error *err) {
  die(sock, "%s: %s", step, err->msg);
}

/* The launcher's environment is still in this process's memory (it is what
 * /proc/1/environ shows): wipe it before anything else. */
static void scrub_environ(char **env) {
  for (size_t i = 0; env && env[i]; i++)
    memset(env[i], 0, strlen(env[i]));
}

/* Everything above stderr except our channel to the launcher. Async-signal-safe;
 * returns 0 or -errno (a kernel without close_range: the caller must not go on). */
static int close_inherited_fds(int keep) {
  if (keep > 3 && syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u) < 0)
    return -errno;
  if (syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) < 0)
    return -errno;
  return 0;
}

static void noop_handler(int sig) { (void)sig; }

/* What the command's process needs. It shares the init's memory until execve (a vfork),
 * so it reads this, writes only the failure fields, and calls nothing that allocates,
 * locks or formats: the init, resumed once the child has exec'd or exited, reports a
 * failed set-up step. */
struct spawn {
  struct hm_launch_ctx *ctx;
  uint64_t reset;           /* signals (bit s-1) ignored or caught: back to SIG_DFL */
  const char *failed_step;  /* set by the child when it gives up */
  int failed_errno;
};

/* execvpe() searches the caller's PATH, not the one in envp: search the build's own.
 * Async-signal-safe: the path is assembled by hand in a stack buffer. */
static int exec_in_path(char *const argv[], char *const envp[]) {
  const char *file = argv[0];
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    return errno;
  }
  const char *path = "/usr/local/bin:/usr/bin:/bin";
  for (size_t i = 0; envp[i]; i++)
    if (strncmp(envp[i], "PATH=", 5) == 0)
      path = envp[i] + 5;
  int saw_eacces = 0, last = ENOENT;
  size_t fl = strlen(file);
  char buf[4096];
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t dl = (size_t)(end - p);
    if (dl + 1 + fl >= sizeof buf) {
      last = ENAMETOOLONG;
    } else {
      /* an empty entry means the current directory */
      memcpy(buf, p, dl);
      if (dl)
        buf[dl++] = '/';
      memcpy(buf + dl, file, fl + 1);
      execve(buf, argv, envp);
      last = errno;
    }
    switch (last) {
    case EACCES:
      saw_eacces = 1;
      break;
    case ENOENT:
    case ENOTDIR:
    case ESTALE:
    case ELOOP:
    case ENAMETOOLONG:
      break;
    default:
      return last; /* ENOEXEC, E2BIG, ...: found but cannot run it */
    }
    if (!*end)
      break;
    p = end;
  }
  return saw_eacces ? EACCES : ENOENT;
}

static const char step_workspace[] = "entering the workspace";

__attribute__((noreturn)) static void child_fail(struct spawn *sp, const char *step, int e) {
  sp->failed_step = step;
  sp->failed_errno = e;
  _exit(125);
}

/* In the command's process, between clone and execve: the process is already without
 * capabilities, as the build's uid, with no_new_privs (the init dropped everything before
 * the spawn). Not instrumented by ASan: it runs on a borrowed stack that ASan does not
 * know, and must not call into its runtime's allocator either. */
__attribute__((no_sanitize_address)) static int command_main(void *arg) {
  struct spawn *sp = arg;
  const struct hm_sandbox_config *cfg = sp->ctx->cfg;
  /* A new session: no controlling terminal, so no TIOCSTI into the caller's terminal even
   * without seccomp (CVE-2017-5226). */
  if (setsid() < 0)
    child_fail(sp, "setsid", errno);
  /* The init's handlers must never run here, and ignored signals stay ignored across
   * execve: both go back to the default. The init blocked every signal for the clone. */
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int s = 1; s < NSIG && s <= 64; s++)
    if (sp->reset & (1ull << (s - 1)) && s != SIGKILL && s != SIGSTOP)
      sigaction(s, &dfl, NULL); /* glibc's own signals refuse: execve resets those */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
    child_fail(sp, "PR_SET_PDEATHSIG", errno);
  if (chdir(cfg->workspace) < 0)
    child_fail(sp, step_workspace, errno);
  int r = hm_limits_apply_rlimits(cfg, &sp->ctx->cgroup, NULL);
  if (r < 0)
    child_fail(sp, "setting the --pids/--memory limits", -r);
  /* Every fd above stderr but our channel to the launcher (O_CLOEXEC), for exec errors. */
  int sock = sp->ctx->sock;
  if ((r = close_inherited_fds(sock)) < 0)
    child_fail(sp, "closing inherited file descriptors", -r);
  r = hm_seccomp_install(&sp->ctx->seccomp);
  if (r < 0)
    child_fail(sp, "installing the seccomp filter", -r);
  int e = exec_in_path(cfg->argv, sp->ctx->envp);
  /* Sent from here (sendmsg is async-signal-safe), not left to the init: under valgrind,
   * which runs a vfork as a fork, the init does not see this memory. */
  hm_msg_send(sock, HM_MSG_EXEC_FAILED, e, cfg->argv[0], strlen(cfg->argv[0]));
  _exit(e == ENOENT ? 127 : 126);
}

/* Signals this process ignores or catches, from /proc/self/status (SigIgn, SigCgt): one
 * read instead of a sigaction() per signal. All of them when it cannot be read. */
static uint64_t non_default_signals(void) {
  _cleanup_free_ char *status = NULL;
  if (hm_read_file("/proc/self/status", &status, NULL, NULL) < 0)
    return ~0ull;
  uint64_t mask = 0;
  int found = 0;
  static const char *const fields[] = {"\nSigIgn:", "\nSigCgt:"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(fields); i++) {
    const char *p = strstr(status, fields[i]);
    char *end;
    if (!p)
      continue;
    errno = 0;
    unsigned long long v = strtoull(p + strlen(fields[i]), &end, 16);
    if (errno || end == p + strlen(fields[i]))
      continue;
    mask |= v;
    found++;
  }
  return found == 2 ? mask : ~0ull;
}

/* Start the command with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no copy of
 * the init's page tables (a fork costs about a millisecond here) and the init sleeps until
 * the child has exec'd. Every signal is blocked across the clone so that none of the
 * init's handlers runs in the child; the child unblocks them once they are reset. */
static pid_t spawn_command(struct hm_launch_ctx *ctx) {
  struct spawn sp = {.ctx = ctx, .reset = non_default_signals()};
  /* The child's stack: ours, below which we do not go while it runs (we sleep). */
  char stack[128 * 1024] __attribute__((aligned(16)));
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(command_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
  int e = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (pid < 0)
    die(ctx->sock, "starting the command: clone: %s", strerror(e));
  if (sp.failed_step == step_workspace)
    die(ctx->sock, "%s %s: %s", step_workspace, ctx->cfg->workspace, strerror(sp.failed_errno));
  if (sp.failed_step)
    die(ctx->sock, "%s: %s", sp.failed_step, strerror(sp.failed_errno));
  return pid;
}

/* The GO message: index i < n_sources is the O_PATH source i; n_sources + i is the
 * idmapped (detached) mount for source i. */
static void receive_sources(struct hm_launch_ctx *ctx, int *src_fds, int *idmapped_fds) {
  struct hm_msg_hdr hdr;
  int32_t idx[HM_MAX_FDS_PER_MSG];
  int fds[HM_MAX_FDS_PER_MSG];
  size_t len = 0, n_fds = 0;
  char payload[sizeof idx + 1];
  int r = hm_msg_recv(ctx->sock, &hdr, payload, sizeof payload, &len, fds, HM_MAX_FDS_PER_MSG, &n_fds);
  if (r <= 0)
    _exit(125); /* the launcher is gone */
  if (hdr.type != HM_MSG_GO || len != n_fds * sizeof(int32_t))
    die(ctx->sock, "internal error: unexpected message from the launcher");
  memcpy(idx, payload, len);
  for (size_t i = 0; i < ctx->n_sources; i++)
    src_fds[i] = idmapped_fds[i] = -1;
  for (size_t i = 0; i < n_fds; i++) {
    if (idx[i] < 0 || (size_t)idx[i] >= 2 * ctx->n_sources)
      die(ctx->sock, "internal error: bad source index");
    if ((size_t)idx[i] < ctx->n_sources)
      src_fds[idx[i]] = fds[i];
    else
      idmapped_fds[idx[i] - ctx->n_sources] = fds[i];
  }
}

static void send_observed(struct hm_launch_ctx *ctx, json_object *net, json_object *mounts,
                          json_object *timings) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "network", net);
  json_object_object_add(o, "mounts", mounts);
  json_object_object_add(o, "timings_ms", timings);
  const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
  int r = hm_msg_send(ctx->sock, HM_MSG_OBSERVED, 0, s, strlen(s));
  json_object_put(o);
  if (r < 0)
    _exit(125);
}

static void add_timing(json_object *t, const char *name, double start) {
  if (t) /* NULL: no report is wanted */
    json_object_object_add(t, name, json_object_new_double(hm_now_ms() - start));
}

/* Everything the command must not have, dropped by the init for itself before it starts
 * the command, which inherits it: no window in which the init is more privileged than the
 * build it runs, and one drop instead of two. */
static void drop_privileges(struct hm_launch_ctx *ctx) {
  hm_error err;
  if (hm_caps_drop_bounding(&err) < 0)
    die_err(ctx->sock, "capabilities", &err);
  /* Raw calls (see raw_setresid). Started as root: the same uid as the build, so the init
   * may forward signals without CAP_KILL. */
  if (ctx->root_mode && raw_setgroups0() < 0)
    die(ctx->sock, "setgroups: %s", strerror(errno));
  if (raw_setresid(HM_BUILD_UID, HM_BUILD_GID) < 0)
    die(ctx->sock, "switching to the build user %d: %s", HM_BUILD_UID, strerror(errno));
  if (hm_caps_clear(&err) < 0 || hm_caps_verify_empty(&err) < 0)
    die_err(ctx->sock, "capabilities", &err);
  /* A credential change resets these two. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    die(ctx->sock, "init prctl: %s", strerror(errno));
}

__attribute__((noreturn)) static void supervise(struct hm_launch_ctx *ctx, pid_t cmd, const sigset_t *set) {
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(set, &si);
    if (sig < 0)
      continue;
    if (sig != SIGCHLD) {
      kill(cmd, sig);
      continue;
    }
    for (;;) {
      int status;
      pid_t p = waitpid(-1, &status, WNOHANG);
      if (p <= 0)
        break;
      if (p == cmd) {
        hm_msg_send(ctx->sock, HM_MSG_EXIT, status, NULL, 0);
        /* Exiting kills the rest of the namespace. */
        _exit(0);
      }
    }
  }
}

void hm_pid1_main(struct hm_launch_ctx *ctx) {
  double t0 = hm_now_ms();
  scrub_environ(ctx->launcher_environ);
  int sock = ctx->sock;
  hm_error err = {0};
  /* The launcher's fds to its cgroups: not ours. The numbers stay as they are, since
   * dir_fd >= 0 is what tells the command that the cgroup, not rlimits, holds the limits. */
  if (ctx->cgroup.dir_fd >= 0)
    close(ctx->cgroup.dir_fd);
  if (ctx->cgroup.parent_fd >= 0)
    close(ctx->cgroup.parent_fd);
  json_object *timings = ctx->observe ? json_object_new_object() : NULL;
  for (int fd = 0; fd <= 2; fd++)
    if (ctx->relay_w[fd] >= 0 && dup2(ctx->relay_w[fd], fd) < 0)
      die(sock, "connecting the output relay: %s", strerror(errno));

  /* CAP_NET_ADMIN and CAP_SYS_ADMIN over the new namespaces hold from the moment of
   * clone, before any uid map: do the network while the launcher writes the maps. */
  if (sethostname(HM_HOSTNAME, strlen(HM_HOSTNAME)) < 0)
    die(sock, "sethostname: %s", strerror(errno));
  double t = hm_now_ms();
  json_object *net = NULL;
  if (hm_netns_setup(ctx->observe ? &net : NULL, &err) < 0)
    die_err(sock, "network namespace", &err);
  add_timing(timings, "network", t);

  int src_fds[HM_MAX_FDS_PER_MSG], idmapped_fds[HM_MAX_FDS_PER_MSG];
  t = hm_now_ms();
  receive_sources(ctx, src_fds, idmapped_fds);
  add_timing(timings, "wait_for_launcher", t);
  /* The launcher has moved us into the build's cgroup: root the namespace there. */
  if (ctx->cgroupns_late && unshare(CLONE_NEWCGROUP) < 0)
    die(sock, "creating the cgroup namespace: %s", strerror(errno));

  /* Setup identity: uid 0 of the namespace (an unprivileged host uid) when started as
   * root, else the build's uid (the invoker). Never host root. */
  uid_t id = ctx->inner_setup_uid;
  if (ctx->root_mode && raw_setgroups0() < 0)
    die(sock, "dropping supplementary groups: %s", strerror(errno));
  if (raw_setresid(id, id) < 0)
    die(sock, "switching to uid %u in the sandbox: %s (check the uid map)", id, strerror(errno));
  /* After the credential change, which clears both: die with the launcher, and close
   * /proc/1/{mem,environ,...} to the build (which may run as this same uid) now that the
   * launcher no longer needs /proc/<pid>/root. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    die(sock, "PR_SET_PDEATHSIG/PR_SET_DUMPABLE: %s", strerror(errno));
  struct pollfd pfd = {.fd = sock, .events = POLLIN};
  if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
    _exit(125);

  t = hm_now_ms();
  if (hm_mounts_setup(ctx->cfg, src_fds, idmapped_fds, ctx->n_sources, ctx->opaque_dirs, &err) < 0)
    die_err(sock, "mounts", &err);
  for (size_t i = 0; i < ctx->n_sources; i++) {
    if (src_fds[i] >= 0)
      close(src_fds[i]);
    if (idmapped_fds[i] >= 0)
      close(idmapped_fds[i]);
  }
  add_timing(timings, "mounts", t);
  if (ctx->observe) {
    json_object *mounts = NULL;
    if (hm_mounts_describe(&mounts, &err) < 0)
      die_err(sock, "reading the mount table", &err);
    add_timing(timings, "init_total", t0);
    send_observed(ctx, net, mounts, timings);
  }

  /* Signals: the kernel drops signals with the default disposition sent to a namespace's
   * init, even from the launcher, so install handlers, then take them synchronously. */
  sigset_t set;
  sigemptyset(&set);
  int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
  struct sigaction sa = {.sa_handler = noop_handler};
  for (size_t i = 0; i < HM_ARRAY_SIZE(forwarded); i++) {
    sigaddset(&set, forwarded[i]);
    sigaction(forwarded[i], &sa, NULL);
  }
  sigprocmask(SIG_BLOCK, &set, NULL);

  drop_privileges(ctx);
  pid_t cmd = spawn_command(ctx);
  if (close_inherited_fds(sock) < 0)
    die(sock, "closing inherited file descriptors: %s", strerror(errno));
  hm_msg_send(sock, HM_MSG_STARTED, cmd, NULL, 0);
  supervise(ctx, cmd, &set);
}
