/* The launcher: everything that happens outside the sandbox. It builds the seccomp
 * filter and the environment, creates the namespaces with one clone(), writes the uid and
 * gid maps, opens every mount source with its own credentials on the sandbox's copy of
 * the mount tree and hands them over, then waits: forwarding signals, enforcing
 * --timeout, and collecting what the sandbox observed and how the command ended. */
#include "internal.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)
#define DOCTOR_HINT " (run 'hermetic doctor' to check this host)"

/* Started as root, the build runs as a uid that may not reopen the caller's stdin, stdout
 * or stderr through /dev/std* (a pipe, socket or file owned by the caller: the usual case
 * on CI). Such streams are relayed through pipes owned by the build's uid. Terminals are
 * passed as they are: a relay would hide that they are terminals. */
struct relay {
  int from, to;   /* read end, write end; one of them is the caller's fd */
  int ours;       /* the other one: our pipe end, the only one we close */
  char *buf;      /* RELAY_BUF bytes, allocated with the relay: not on the stack, where
                     zeroing the run state would fault in 48 pages (~12 us each here)
                     that the init would then inherit */
  size_t len, off; /* bytes read from `from` not yet written to `to` */
  bool eof;
};

#define RELAY_BUF 65536

struct run_state {
  pid_t pid1;
  struct relay relays[3];
  int sock, sigfd;
  int pidfd;            /* readable when the init has exited; -1 where pidfd_open is
                           missing (valgrind 3.19 does not know it): SIGCHLD alone then */
  bool pid1_reaped, got_exit, timed_out, term_sent, kill_sent;
  int exit_status;      /* raw wait status of the command */
  int exec_errno;
  char error[1400];     /* setup error reported by the sandbox */
  json_object *observed, *report;
  json_object *launcher_timings; /* merged into the report's timings_ms */
  char uid_map[128], gid_map[128];
  double t_start;
};

static int write_proc(pid_t pid, const char *file, const char *data, hm_error *err) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hm_error_errno(err, errno, "opening %s", path);
  int r = hm_write_all(fd, data, strlen(data));
  if (r < 0)
    return hm_error_errno(err, -r, "writing '%.*s' to %s", (int)strcspn(data, "\n"), data, path);
  return 0;
}

static int write_maps(const struct hm_launch_ctx *ctx, pid_t pid, char *uid_map, char *gid_map,
                      size_t len, hm_error *err) {
  int r;
  if (ctx->root_mode) {
    /* Namespace root (used only for setup, by the sandbox's init) and the build's uid map
     * to two host ids that own nothing. Host root is not mapped at all. */
    snprintf(uid_map, len, "0 %u 1\n%u %u 1\n", HM_ROOT_MODE_HOST_ID - 1, HM_BUILD_UID, HM_ROOT_MODE_HOST_ID);
    snprintf(gid_map, len, "0 %u 1\n%u %u 1\n", HM_ROOT_MODE_HOST_ID - 1, HM_BUILD_GID, HM_ROOT_MODE_HOST_ID);
  } else {
    snprintf(uid_map, len, "%u %u 1\n", HM_BUILD_UID, (unsigned)geteuid());
    snprintf(gid_map, len, "%u %u 1\n", HM_BUILD_GID, (unsigned)getegid());
    if ((r = write_proc(pid, "setgroups", "deny", err)) < 0)
      return r;
  }
  if ((r = write_proc(pid, "uid_map", uid_map, err)) < 0 || (r = write_proc(pid, "gid_map", gid_map, err)) < 0)
    return r;
  return 0;
}

/* Open the mount sources through /proc/<pid1>/root: with the launcher's credentials (so
 * anything the invoker can read can be bound in) but on the sandbox's own copy of the
 * mount tree (a bind needs its source in the caller's mount namespace). */
static int send_sources(const struct hm_launch_ctx *ctx, pid_t pid, hm_error *err) {
  const struct hm_sandbox_config *cfg = ctx->cfg;
  char root_path[64];
  snprintf(root_path, sizeof root_path, "/proc/%d/root", pid);
  _cleanup_close_ int root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return hm_error_errno(err, errno, "opening %s", root_path);
  int fds[HM_MAX_FDS_PER_MSG];
  int32_t idx[HM_MAX_FDS_PER_MSG];
  size_t n = 0;
  int r = 0;
  for (size_t i = 0; i < ctx->n_sources && r == 0; i++) {
    const char *path = NULL;
    bool optional = false;
    switch (i) {
    case HM_SRC_ROOT: path = cfg->rootfs ? cfg->rootfs : "/"; break;
    case HM_SRC_WORKSPACE: path = cfg->workspace; break;
    case HM_SRC_DEV_NULL: path = "/dev/null"; break;
    case HM_SRC_DEV_ZERO: path = "/dev/zero"; break;
    case HM_SRC_DEV_FULL: path = "/dev/full"; break;
    case HM_SRC_DEV_RANDOM: path = "/dev/random"; break;
    case HM_SRC_DEV_URANDOM: path = "/dev/urandom"; break;
    case HM_SRC_DEV_TTY: path = "/dev/tty"; optional = true; break;
    default: {
      const struct hm_bind *b = &cfg->binds[i - HM_SRC_FIXED_COUNT];
      if (b->kind == HM_BIND_RO || b->kind == HM_BIND_RW)
        path = b->path;
    }
    }
    if (!path)
      continue;
    int fd = hm_open_beneath(root, path + 1, O_PATH, err);
    if (fd < 0) {
      if (optional)
        continue;
      r = hm_error_wrap(err, "opening the mount source %s", path);
      break;
    }
    fds[n] = fd;
    idx[n] = (int32_t)i;
    n++;
  }
  for (size_t i = 0; i < ctx->n_sources && r == 0; i++) {
    if (ctx->idmapped_fds[i] < 0)
      continue;
    fds[n] = fcntl(ctx->idmapped_fds[i], F_DUPFD_CLOEXEC, 3);
    if (fds[n] < 0) {
      r = hm_error_errno(err, errno, "dup");
      break;
    }
    idx[n] = (int32_t)(ctx->n_sources + i);
    n++;
  }
  if (r == 0) {
    r = hm_msg_send_fds(ctx->sock, HM_MSG_GO, 0, idx, n * sizeof(int32_t), fds, n);
    if (r < 0)
      hm_error_errno(err, -r, "handing the mount sources to the sandbox");
  }
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
  return r;
}

static void status_event(int fd, json_object *ev) {
  if (fd >= 0) {
    const char *s = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
    hm_write_all(fd, s, strlen(s));
    hm_write_all(fd, "\n", 1);
  }
  json_object_put(ev);
}

/* The sandbox is set up and says what it observed: the report is complete now, before
 * the command runs. */
static void announce_ready(struct run_state *st, const struct hm_launch_ctx *ctx) {
  if (!st->observed || st->report)
    return;
  json_object *timings = json_object_object_get(st->observed, "timings_ms");
  if (timings && st->launcher_timings) {
    json_object_object_foreach(st->launcher_timings, k, v)
      json_object_object_add(timings, k, json_object_get(v));
  }
  st->report = hm_report_build(ctx, st->uid_map, st->gid_map, st->observed);
  json_object *ev = json_object_new_object();
  json_object_object_add(ev, "event", json_object_new_string("ready"));
  json_object_object_add(ev, "report", json_object_get(st->report));
  status_event(ctx->cfg->status_fd, ev);
}

static void handle_message(struct run_state *st, const struct hm_launch_ctx *ctx) {
  struct hm_msg_hdr hdr;
  static char payload[HM_MSG_MAX + 1];
  size_t len = 0;
  int r = hm_msg_recv(st->sock, &hdr, payload, sizeof payload, &len, NULL, 0, NULL);
  if (r <= 0) {
    close(st->sock);
    st->sock = -1;
    return;
  }
  switch (hdr.type) {
  case HM_MSG_ERROR:
    snprintf(st->error, sizeof st->error, "%.1300s", payload);
    break;
  case HM_MSG_OBSERVED:
    json_object_put(st->observed);
    st->observed = json_tokener_parse(payload);
    /* With --status-fd the report is announced now, before the command runs. Otherwise
     * it is built once the build is over: right now the sandbox's init is starting the
     * command, and the scheduler tends to run a woken launcher on the init's CPU. */
    if (ctx->cfg->status_fd >= 0)
      announce_ready(st, ctx);
    break;
  case HM_MSG_EXEC_FAILED:
    st->exec_errno = hdr.value ? hdr.value : ENOENT;
    break;
  case HM_MSG_EXIT:
    st->got_exit = true;
    st->exit_status = hdr.value;
    break;
  default:
    break;
  }
}

static int setup_relays(struct hm_launch_ctx *ctx, struct run_state *st, hm_error *err) {
  for (int fd = 0; fd < 3; fd++) {
    ctx->relay_w[fd] = -1;
    st->relays[fd] = (struct relay){.from = -1, .to = -1, .ours = -1};
  }
  if (!ctx->root_mode)
    return 0;
  for (int fd = 0; fd <= 2; fd++) {
    struct stat sb;
    if (fstat(fd, &sb) < 0 || isatty(fd) || S_ISCHR(sb.st_mode))
      continue; /* closed, a terminal, or /dev/null-like: nothing to reopen */
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
      return hm_error_errno(err, errno, "creating the stdio relay");
    int ours = fd == 0 ? p[1] : p[0], theirs = fd == 0 ? p[0] : p[1];
    if (!(st->relays[fd].buf = malloc(RELAY_BUF))) {
      close(p[0]);
      close(p[1]);
      return hm_error_set(err, ENOMEM, "out of memory");
    }
    if (fchown(theirs, HM_ROOT_MODE_HOST_ID, HM_ROOT_MODE_HOST_ID) < 0 ||
        fcntl(ours, F_SETFL, O_NONBLOCK) < 0) {
      int e = errno;
      close(p[0]);
      close(p[1]);
      return hm_error_errno(err, e, "handing the stdio relay to the build's uid");
    }
    /* stdin flows from the caller's fd into our pipe; stdout and stderr the other way. */
    st->relays[fd].from = fd == 0 ? fd : ours;
    st->relays[fd].to = fd == 0 ? ours : fd;
    st->relays[fd].ours = ours;
    ctx->relay_w[fd] = theirs;
  }
  return 0;
}

static void close_relay(struct relay *r) {
  if (r->ours >= 0)
    close(r->ours); /* never the caller's fd */
  r->from = r->to = r->ours = -1;
}

/* Move what can be moved without blocking on our end. Returns false when done. */
static bool relay_step(struct relay *r) {
  if (r->len == r->off && !r->eof) {
    ssize_t n = read(r->from, r->buf, RELAY_BUF);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      return true;
    if (n <= 0)
      r->eof = true;
    else {
      r->len = (size_t)n;
      r->off = 0;
    }
  }
  while (r->off < r->len) {
    ssize_t n = write(r->to, r->buf + r->off, r->len - r->off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true; /* the build is not reading its stdin now */
    if (n < 0) {
      /* The reader is gone. If that is the build closing its stdin, stop; if it is the
       * caller's end of an output, keep draining the build's writes so it never stalls. */
      r->off = r->len;
      if (r->to == r->ours)
        return false;
      break;
    }
    r->off += (size_t)n;
  }
  return !(r->eof && r->off == r->len);
}

static void drain_relays(struct run_state *st) {
  for (int fd = 1; fd <= 2; fd++) {
    if (st->relays[fd].from >= 0)
      fcntl(st->relays[fd].from, F_SETFL, 0); /* every writer is dead: read to EOF */
    while (st->relays[fd].from >= 0 && relay_step(&st->relays[fd]))
      ;
  }
  for (int fd = 0; fd <= 2; fd++)
    close_relay(&st->relays[fd]);
}

static void reap_pid1(struct run_state *st) {
  int status;
  if (!st->pid1_reaped && waitpid(st->pid1, &status, WNOHANG) == st->pid1)
    st->pid1_reaped = true;
}

static void handle_signal(struct run_state *st) {
  struct signalfd_siginfo si;
  while (read(st->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      reap_pid1(st);
    } else {
      /* SIGTERM/SIGINT/SIGHUP to us: the sandbox's init passes it to the command. */
      kill(st->pid1, (int)si.ssi_signo);
    }
  }
}

static int wait_loop(struct run_state *st, const struct hm_launch_ctx *ctx) {
  const struct hm_sandbox_config *cfg = ctx->cfg;
  double deadline = cfg->timeout_sec ? st->t_start + (double)cfg->timeout_sec * 1000.0 : 0;
  double kill_at = 0;
  while (!st->pid1_reaped) {
    /* A negative fd is ignored by poll(). */
    struct pollfd p[6] = {{.fd = st->sigfd, .events = POLLIN}, {.fd = st->sock, .events = POLLIN}};
    p[5] = (struct pollfd){.fd = st->pidfd, .events = POLLIN};
    for (int fd = 0; fd <= 2; fd++) {
      struct relay *rl = &st->relays[fd];
      bool pending = rl->off < rl->len;
      /* Wait for input when the buffer is empty, for room when it is not. */
      p[2 + fd] = (struct pollfd){.fd = rl->from < 0 ? -1 : pending ? rl->to : rl->from,
                                  .events = pending ? POLLOUT : POLLIN};
    }
    int timeout = -1;
    double now = hm_now_ms();
    if (deadline && !st->term_sent) {
      if (now >= deadline) {
        st->timed_out = st->term_sent = true;
        kill(st->pid1, SIGTERM);
        kill_at = now + HM_TIMEOUT_GRACE_MS;
      } else {
        timeout = (int)(deadline - now) + 1;
      }
    }
    if (st->term_sent && !st->kill_sent) {
      if (now >= kill_at) {
        st->kill_sent = true;
        kill(st->pid1, SIGKILL);
      } else {
        timeout = (int)(kill_at - now) + 1;
      }
    }
    int n = poll(p, 6, timeout);
    if (n < 0 && errno != EINTR)
      return -errno;
    if (n <= 0)
      continue;
    for (int fd = 0; fd <= 2; fd++)
      if (p[2 + fd].revents && !relay_step(&st->relays[fd]))
        close_relay(&st->relays[fd]);
    if (st->sock >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
      handle_message(st, ctx);
    if (p[0].revents & POLLIN)
      handle_signal(st);
    if (p[5].revents & POLLIN)
      reap_pid1(st);
  }
  /* Every writer is dead now: what is left in the relays ends in EOF. */
  drain_relays(st);
  /* Messages sent just before the init exited. */
  while (st->sock >= 0) {
    struct pollfd p = {.fd = st->sock, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
      break;
    handle_message(st, ctx);
  }
  return 0;
}

static int prepare_idmaps(struct hm_launch_ctx *ctx, hm_error *err) {
  const struct hm_sandbox_config *cfg = ctx->cfg;
  for (size_t i = 0; i < ctx->n_sources; i++) {
    const char *path = NULL;
    if (i == HM_SRC_WORKSPACE)
      path = cfg->workspace;
    else if (i >= HM_SRC_FIXED_COUNT && cfg->binds[i - HM_SRC_FIXED_COUNT].kind == HM_BIND_RW)
      path = cfg->binds[i - HM_SRC_FIXED_COUNT].path;
    if (!path || !ctx->root_mode)
      continue;
    struct stat st;
    if (stat(path, &st) < 0)
      return hm_error_errno(err, errno, "%s", path);
    int fd = hm_idmap_clone(path, st.st_uid, st.st_gid, HM_ROOT_MODE_HOST_ID, HM_ROOT_MODE_HOST_ID, err);
    if (fd < 0)
      return fd;
    ctx->idmapped_fds[i] = fd;
  }
  return 0;
}

/* The topmost ancestor of path that a uid owning nothing on the host cannot search. */
static int find_opaque_ancestor(const char *path, char ***out) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *slash = strchr(buf + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    struct stat sb;
    bool opaque = stat(buf, &sb) == 0 && !(sb.st_mode & S_IXOTH);
    if (opaque)
      return hm_strv_push(out, buf);
    *slash = '/';
  }
  return 0;
}

static int find_opaque_dirs(struct hm_launch_ctx *ctx, hm_error *err) {
  const struct hm_sandbox_config *cfg = ctx->cfg;
  if (!ctx->root_mode || cfg->rootfs)
    return 0;
  int r = find_opaque_ancestor(cfg->workspace, &ctx->opaque_dirs);
  for (size_t i = 0; r == 0 && i < cfg->n_binds; i++)
    if (cfg->binds[i].kind == HM_BIND_RW || cfg->binds[i].kind == HM_BIND_RO)
      r = find_opaque_ancestor(cfg->binds[i].path, &ctx->opaque_dirs);
  return r < 0 ? hm_error_set(err, -r, "out of memory") : 0;
}

static void free_ctx(struct hm_launch_ctx *ctx) {
  hm_strv_free(ctx->opaque_dirs);
  for (size_t i = 0; ctx->idmapped_fds && i < ctx->n_sources; i++)
    if (ctx->idmapped_fds[i] >= 0)
      close(ctx->idmapped_fds[i]);
  free(ctx->idmapped_fds);
  hm_strv_free(ctx->envp);
  hm_seccomp_free(&ctx->seccomp);
  hm_cgroup_destroy(&ctx->cgroup);
}

static int map_exit(struct run_state *st, struct hm_sandbox_result *res, hm_error *err) {
  if (st->error[0]) {
    res->setup_failed = true;
    res->exit_code = 125;
    return hm_error_set(err, EPERM, "setting up the sandbox failed: %s%s", st->error, DOCTOR_HINT);
  }
  if (st->timed_out) {
    res->timed_out = true;
    res->exit_code = 124;
  } else if (st->exec_errno) {
    res->exec_errno = st->exec_errno;
    res->exit_code = st->exec_errno == ENOENT ? 127 : 126;
  } else if (st->got_exit) {
    if (WIFEXITED(st->exit_status))
      res->exit_code = WEXITSTATUS(st->exit_status);
    else if (WIFSIGNALED(st->exit_status))
      res->exit_code = 128 + WTERMSIG(st->exit_status);
    else
      res->exit_code = 125;
  } else {
    res->setup_failed = true;
    res->exit_code = 125;
    return hm_error_set(err, EIO, "the sandbox's init died before the command finished%s", DOCTOR_HINT);
  }
  return 0;
}

int hm_sandbox_run(const struct hm_sandbox_config *cfg, struct hm_sandbox_result *res, hm_error *err) {
  memset(res, 0, sizeof *res);
  res->exit_code = 125;
  struct run_state st;
  memset(&st, 0, sizeof st);
  st.pid1 = st.sock = st.sigfd = st.pidfd = -1;
  st.t_start = hm_now_ms();
  for (int fd = 0; fd <= 2; fd++)
    st.relays[fd].from = st.relays[fd].to = st.relays[fd].ours = -1;
  struct hm_launch_ctx ctx = {.cfg = cfg, .root_mode = geteuid() == 0, .launcher_environ = environ,
                              .relay_w = {-1, -1, -1}, .cgroup = {.dir_fd = -1, .parent_fd = -1},
                              .observe = cfg->want_report || cfg->report_path || cfg->status_fd >= 0};
  ctx.inner_setup_uid = ctx.root_mode ? 0 : HM_BUILD_UID;
  ctx.n_sources = HM_SRC_FIXED_COUNT + cfg->n_binds;
  int r;
  int sv[2] = {-1, -1};
  sigset_t mask, old;
  bool mask_set = false, pipe_set = false;
  struct sigaction old_pipe;
  /* One GO message carries a source fd and possibly an idmapped mount per bind. */
  if (cfg->n_binds > HM_MAX_BINDS) {
    r = hm_error_set(err, E2BIG, "too many --ro/--rw/--tmpfs/--hide options (at most %d)", HM_MAX_BINDS);
    goto out;
  }
  ctx.idmapped_fds = malloc(ctx.n_sources * sizeof(int));
  if (!ctx.idmapped_fds) {
    r = hm_error_set(err, ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < ctx.n_sources; i++)
    ctx.idmapped_fds[i] = -1;
  double t = hm_now_ms();
  if ((r = hm_env_build(cfg, &ctx.envp, err)) < 0 || (r = hm_seccomp_precompiled(cfg->seccomp, &ctx.seccomp, err)) < 0)
    goto out;
  double t_seccomp = hm_now_ms() - t;
  if ((r = find_opaque_dirs(&ctx, err)) < 0)
    goto out;
  t = hm_now_ms();
  hm_cgroup_create(cfg, ctx.root_mode, &ctx.cgroup);
  double t_cgroup = hm_now_ms() - t;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    r = hm_error_errno(err, errno, "socketpair");
    goto out;
  }
  /* A closed stdout or status fd must not kill the launcher and orphan the build. */
  sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &old_pipe);
  pipe_set = true;
  if ((r = setup_relays(&ctx, &st, err)) < 0)
    goto out;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, &old);
  mask_set = true;
  st.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (st.sigfd < 0) {
    r = hm_error_errno(err, errno, "signalfd");
    goto out;
  }
  ctx.have_cgroupns = true;
  ctx.cgroupns_late = ctx.cgroup.dir_fd >= 0;
  t = hm_now_ms();
  pid_t pid = (pid_t)syscall(SYS_clone, NS_FLAGS | (ctx.cgroupns_late ? 0 : CLONE_NEWCGROUP) | SIGCHLD,
                             NULL, NULL, NULL, NULL);
  if (pid < 0 && errno == EINVAL && !ctx.cgroupns_late) {
    ctx.have_cgroupns = false;
    pid = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, NULL);
  }
  if (pid < 0) {
    r = hm_error_errno(err, errno, "creating the namespaces (clone)");
    if (errno == EPERM || errno == ENOSPC || errno == EACCES)
      hm_error_wrap(err, "user namespaces are not available to this user%s", DOCTOR_HINT);
    goto out;
  }
  if (pid == 0) {
    close(sv[0]);
    close(st.sigfd);
    ctx.sock = sv[1];
    hm_pid1_main(&ctx);
  }
  double t_clone = hm_now_ms() - t;
  st.pid1 = pid;
  /* The init's exit is seen through a pidfd: SIGCHLD alone can be lost to a caller's
   * other thread that does not block it (the signalfd only sees signals left pending),
   * which hung the launcher with the init a zombie. The pid cannot be reused before we
   * reap it, so opening the pidfd after clone() is race-free. */
  st.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  for (int fd = 0; fd <= 2; fd++)
    if (ctx.relay_w[fd] >= 0) {
      close(ctx.relay_w[fd]);
      ctx.relay_w[fd] = -1;
    }
  close(sv[1]);
  sv[1] = -1;
  st.sock = sv[0];
  sv[0] = -1;
  ctx.sock = st.sock;
  t = hm_now_ms();
  /* While the sandbox brings up its network: its cgroup, maps, idmapped mounts, sources. */
  if ((ctx.cgroupns_late && (r = hm_cgroup_enter(&ctx.cgroup, pid, err)) < 0) ||
      (r = write_maps(&ctx, pid, st.uid_map, st.gid_map, sizeof st.uid_map, err)) < 0 ||
      (r = prepare_idmaps(&ctx, err)) < 0 || (r = send_sources(&ctx, pid, err)) < 0) {
    hm_error_wrap(err, "setting up the sandbox%s", DOCTOR_HINT);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    goto out;
  }
  double t_maps = hm_now_ms() - t;
  json_object *ev = json_object_new_object();
  json_object_object_add(ev, "event", json_object_new_string("started"));
  json_object_object_add(ev, "pid", json_object_new_int(pid));
  status_event(cfg->status_fd, ev);

  st.launcher_timings = json_object_new_object();
  json_object_object_add(st.launcher_timings, "seccomp_load", json_object_new_double(t_seccomp));
  json_object_object_add(st.launcher_timings, "clone", json_object_new_double(t_clone));
  if (cfg->pids || cfg->memory_bytes)
    json_object_object_add(st.launcher_timings, "cgroup", json_object_new_double(t_cgroup));
  json_object_object_add(st.launcher_timings, "maps_idmaps_sources", json_object_new_double(t_maps));
  if ((r = wait_loop(&st, &ctx)) < 0) {
    hm_error_errno(err, -r, "waiting for the sandbox");
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    goto out;
  }
  if (!st.error[0]) {
    announce_ready(&st, &ctx);
    hm_cgroup_observe(&ctx.cgroup, json_object_object_get(st.report, "limits"));
    res->report = json_object_get(st.report);
  }
  r = map_exit(&st, res, err);
  ev = json_object_new_object();
  json_object_object_add(ev, "event", json_object_new_string("exited"));
  json_object_object_add(ev, "exit_code", json_object_new_int(res->exit_code));
  json_object_object_add(ev, "timed_out", json_object_new_boolean(res->timed_out));
  status_event(cfg->status_fd, ev);
  if (r == 0 && cfg->report_path && res->report)
    r = hm_report_write_file(cfg->report_path, res->report, err);
out:
  for (int fd = 0; fd <= 2; fd++) {
    close_relay(&st.relays[fd]);
    free(st.relays[fd].buf);
    if (ctx.relay_w[fd] >= 0)
      close(ctx.relay_w[fd]);
  }
  if (mask_set)
    sigprocmask(SIG_SETMASK, &old, NULL);
  if (pipe_set)
    sigaction(SIGPIPE, &old_pipe, NULL);
  if (st.sigfd >= 0)
    close(st.sigfd);
  if (st.pidfd >= 0)
    close(st.pidfd);
  if (st.sock >= 0)
    close(st.sock);
  if (sv[0] >= 0)
    close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  json_object_put(st.observed);
  json_object_put(st.report);
  json_object_put(st.launcher_timings);
  free_ctx(&ctx);
  if (r < 0 && !res->exit_code)
    res->exit_code = 125;
  return r;
}

void hm_sandbox_result_free(struct hm_sandbox_result *res) {
  json_object_put(res->report);
  res->report = NULL;
}
