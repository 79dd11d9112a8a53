/* The seccomp profiles (default, strict, log): built with libseccomp in the launcher,
 * exported to classic BPF, installed by the command's process just before execve.
 *
 * Two programs, stacked. libseccomp lets an unconditional rule for a syscall override
 * every conditional rule for it (and folds always-true conditions into unconditional
 * ones), so an allowlist and argument checks cannot share one context:
 *   1. allowlist: default ERRNO(ENOSYS) so glibc/libuv fall back from syscalls we do not
 *      know; ALLOW for what builds use (modelled on Docker's default profile); explicit
 *      ERRNO(EPERM) for the dangerous calls.
 *   2. argument checks: default ALLOW; ERRNO for bad socket families/types, CLONE_NEW*
 *      flags, ioctl TIOCSTI/TIOCLINUX.
 * The kernel runs every stacked program and keeps the most severe action (ERRNO beats
 * ALLOW; on a tie the later program wins), so a call must pass both.
 *
 * Only the native architecture is in either program; libseccomp's exported BPF sends
 * other arches (i386 int $0x80) and, for x86_64, x32 numbers (nr >= 0x40000000, except
 * nr == -1) to the bad-arch action, which is KILL_PROCESS (checked by test_seccomp). */
#include "internal.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/netlink.h>
#include <openssl/evp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* Everything an ordinary build (gcc, make, node/npm, python, go, rust, java, git, tar,
 * coreutils, bash) calls on x86_64, after Docker's default allowlist minus what needs a
 * capability, minus ptrace/process_vm_* (denied below), plus the NUMA policy calls the
 * JVM makes. clone, unshare, ioctl, socket, socketpair are allowed here because their
 * argument checks live in program 2. */
static const char *const allowed_syscalls[] = {
  "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk",
  "cachestat", "capget", "capset", "chdir", "chmod", "chown", "clock_adjtime",
  "clock_getres", "clock_gettime", "clock_nanosleep", "clone", "close", "close_range",
  "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
  "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd",
  "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2",
  "fadvise64", "fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
  "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
  "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex",
  "futex_requeue", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_mempolicy",
  "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64",
  "getegid", "geteuid", "getgid", "getgroups", "getitimer", "getpeername", "getpgid",
  "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresuid",
  "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
  "gettimeofday", "getuid", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init",
  "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
  "io_pgetevents", "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "kill",
  "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
  "lgetxattr", "link", "linkat", "listen", "listxattr", "listxattrat", "llistxattr",
  "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "map_shadow_stack", "mbind",
  "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
  "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr",
  "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap",
  "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
  "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2",
  "pause", "personality", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
  "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "prctl", "pread64",
  "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pwrite64", "pwritev",
  "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recvfrom",
  "recvmmsg", "recvmsg", "remap_file_pages", "removexattr", "removexattrat", "rename",
  "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
  "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
  "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_get_priority_max",
  "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
  "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
  "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
  "semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto",
  "set_mempolicy", "set_mempolicy_home_node", "set_robust_list", "set_thread_area",
  "set_tid_address", "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer",
  "setpgid", "setpriority", "setregid", "setresgid", "setresuid", "setreuid", "setrlimit",
  "setsid", "setsockopt", "setuid", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt",
  "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socket", "socketpair",
  "splice", "stat", "statfs", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
  "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
  "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
  "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask", "uname",
  "unlink", "unlinkat", "unshare", "utime", "utimensat", "utimes", "vfork", "vmsplice",
  "wait4", "waitid", "write", "writev",
};

/* ERRNO(EPERM) in every profile: mounts and namespace entry (escape the view the
 * launcher built), kernel keyrings/bpf/perf/userfaultfd (kernel attack surface and
 * exploit primitives), tracing other processes, kernel modules and kexec, file-handle
 * opens (CVE-2014-3519 "shocker"), host-wide state (clock, swap, reboot, quota, acct,
 * syslog, hostname), and legacy x86 I/O privileges. */
static const char *const eperm_syscalls[] = {
  "mount", "umount2", "pivot_root", "open_tree", "open_tree_attr", "move_mount", "fsopen",
  "fsconfig", "fsmount", "fspick", "mount_setattr", "setns", "chroot", "keyctl",
  "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "ptrace",
  "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kexec_load",
  "kexec_file_load", "init_module", "finit_module", "delete_module", "open_by_handle_at",
  "lookup_dcookie", "quotactl", "quotactl_fd", "syslog", "acct", "swapon", "swapoff",
  "reboot", "settimeofday", "clock_settime", "sethostname", "setdomainname", "iopl",
  "ioperm", "uselib", "vhangup", "nfsservctl",
};

/* ERRNO(ENOSYS), i.e. simply absent from the allowlist: clone3 takes its flags in
 * memory BPF cannot read, so the CLONE_NEW* check would be bypassable (glibc falls back
 * to clone on ENOSYS); io_uring performs syscalls' work without syscalls seccomp sees
 * (libuv probes it and falls back). */
static const char *const enosys_syscalls[] = {
  "clone3", "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/* Strict additionally turns these allowlist entries into ERRNO(EPERM): unshare
 * entirely (no new namespaces of any kind, not even CLONE_FILES), secret memory, and
 * file handles (the first half of an open_by_handle_at attack). */
static const char *const strict_eperm_syscalls[] = {
  "unshare", "memfd_secret", "name_to_handle_at",
};

/* Numbers of x86_64 syscalls newer than the libseccomp we build against, so the
 * allowlist and deny list do not depend on its syscall table's age. */
static const struct {
  const char *name;
  int nr;
} x86_64_new_syscalls[] = {
  { "cachestat", 451 },   { "fchmodat2", 452 },     { "map_shadow_stack", 453 },
  { "futex_wake", 454 },  { "futex_wait", 455 },    { "futex_requeue", 456 },
  { "mseal", 462 },       { "setxattrat", 463 },    { "getxattrat", 464 },
  { "listxattrat", 465 }, { "removexattrat", 466 }, { "open_tree_attr", 467 },
};

/* The namespace flags refused to clone and unshare. CLONE_NEWTIME is 0x80, inside
 * clone()'s CSIGNAL byte (the exit signal), so it only means a namespace to unshare;
 * clone3 is ENOSYS. */
static const uint64_t namespace_flags[] = {
  CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
  CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

/* Sentences for hm_seccomp_describe, one per rule family of program 2. */
static const char *const default_argument_checks[] = {
  "ioctl: TIOCSTI and TIOCLINUX (low 32 bits of the request, CVE-2019-10063) -> EPERM",
  "clone: any CLONE_NEW* flag in the low 32 bits -> EPERM",
  "unshare: any CLONE_NEW* flag -> EPERM",
  ("socket, socketpair: families other than AF_UNIX, AF_INET, AF_INET6, AF_NETLINK "
   "(and any family with high bits set) -> EAFNOSUPPORT"),
  "socket, socketpair: AF_NETLINK with a protocol other than NETLINK_ROUTE -> EAFNOSUPPORT",
  "socket, socketpair: AF_INET/AF_INET6 with type SOCK_RAW or SOCK_PACKET -> EPERM",
};
static const char *const strict_argument_checks[] = {
  "ioctl: TIOCSTI and TIOCLINUX (low 32 bits of the request, CVE-2019-10063) -> EPERM",
  "ioctl: TIOCSETD (line disciplines, e.g. n_gsm CVE-2023-6546) -> EPERM",
  "clone: any CLONE_NEW* flag in the low 32 bits -> EPERM",
  ("socket, socketpair: AF_INET, AF_INET6, AF_NETLINK -> EPERM; any other family except "
   "AF_UNIX -> EAFNOSUPPORT"),
  "personality: anything but 0 (PER_LINUX) and 0xffffffff (query) -> EPERM",
};

/* One comparison of argument arg: datum_b is the value for MASKED_EQ (datum_a the
 * mask), unused otherwise. */
static struct scmp_arg_cmp arg_cmp(unsigned arg, enum scmp_compare op, uint64_t a, uint64_t b) {
  return (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a, .datum_b = b };
}

static void md_ctx_freep(EVP_MD_CTX **ctx) {
  if (*ctx)
    EVP_MD_CTX_free(*ctx);
}

const char *hm_seccomp_mode_name(enum hm_seccomp_mode mode) {
  switch (mode) {
  case HM_SECCOMP_DEFAULT:
    return "default";
  case HM_SECCOMP_STRICT:
    return "strict";
  case HM_SECCOMP_LOG:
    return "log";
  }
  return "unknown";
}

/* The native number of a syscall, or -1 when this architecture has no such call. */
static int resolve_syscall(const char *name) {
  int nr = seccomp_syscall_resolve_name(name);
  /* Negative: unknown to libseccomp (__NR_SCMP_ERROR), or one of its pseudo-numbers for
   * a call this arch lacks (socketcall on x86_64); neither belongs in a filter. */
  if (nr >= 0)
    return nr;
  if (seccomp_arch_native() == SCMP_ARCH_X86_64)
    for (size_t i = 0; i < HM_ARRAY_SIZE(x86_64_new_syscalls); i++)
      if (strcmp(x86_64_new_syscalls[i].name, name) == 0)
        return x86_64_new_syscalls[i].nr;
  return -1;
}

static bool name_in(const char *name, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i], name) == 0)
      return true;
  return false;
}

static bool strict_denies(enum hm_seccomp_mode mode, const char *name) {
  return mode == HM_SECCOMP_STRICT &&
         name_in(name, strict_eperm_syscalls, HM_ARRAY_SIZE(strict_eperm_syscalls));
}

/* What a denial does in this mode: the errno, or (log mode) let it through and log it. */
static uint32_t deny_action(enum hm_seccomp_mode mode, int errnum) {
  return mode == HM_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_ERRNO((uint32_t)errnum);
}

struct filter {
  scmp_filter_ctx ctx;
  uint32_t default_action;
  const char *what; /* for error messages */
};

static void filter_releasep(struct filter *f) {
  if (f->ctx)
    seccomp_release(f->ctx);
}

static int filter_init(struct filter *f, uint32_t default_action, const char *what,
                       hm_error *err) {
  f->what = what;
  f->default_action = default_action;
  f->ctx = seccomp_init(default_action);
  if (!f->ctx)
    return hm_error_set(err, EINVAL, "creating the seccomp %s: libseccomp refused its default "
                        "action (out of memory, or a kernel without it)", what);
  /* Other arches (i386 via int $0x80) and x32 numbers kill the process: a task that
   * switches ABI is attacking the filter, not building. */
  int r = seccomp_attr_set(f->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (r < 0)
    return hm_error_errno(err, -r, "setting the bad-arch action of the seccomp %s", what);
  /* The sandbox sets no_new_privs itself, earlier, and checks it; the filter is only
   * exported, never loaded here, but keep libseccomp from assuming anything. */
  r = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r == 0)
    r = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_TSYNC, 0);
  if (r < 0)
    return hm_error_errno(err, -r, "setting attributes of the seccomp %s", what);
  return 0;
}

/* Add one rule; a rule whose action is the default is implied and skipped (libseccomp
 * rejects it), as is a syscall this architecture does not have. */
static int filter_add(struct filter *f, uint32_t action, const char *name, unsigned n_cmp,
                      const struct scmp_arg_cmp *cmp, hm_error *err) {
  if (action == f->default_action)
    return 0;
  int nr = resolve_syscall(name);
  if (nr < 0)
    return 0;
  int r = seccomp_rule_add_array(f->ctx, action, nr, n_cmp, cmp);
  if (r < 0)
    return hm_error_errno(err, -r, "adding the rule for %s to the seccomp %s", name, f->what);
  return 0;
}

static int add_allowlist_rules(struct filter *f, enum hm_seccomp_mode mode, hm_error *err) {
  int r;
  for (size_t i = 0; i < HM_ARRAY_SIZE(allowed_syscalls); i++) {
    const char *name = allowed_syscalls[i];
    uint32_t action = strict_denies(mode, name) ? deny_action(mode, EPERM) : SCMP_ACT_ALLOW;
    if ((r = filter_add(f, action, name, 0, NULL, err)) < 0)
      return r;
  }
  for (size_t i = 0; i < HM_ARRAY_SIZE(eperm_syscalls); i++)
    if ((r = filter_add(f, deny_action(mode, EPERM), eperm_syscalls[i], 0, NULL, err)) < 0)
      return r;
  for (size_t i = 0; i < HM_ARRAY_SIZE(enosys_syscalls); i++)
    if ((r = filter_add(f, deny_action(mode, ENOSYS), enosys_syscalls[i], 0, NULL, err)) < 0)
      return r;
  return 0;
}

/* ioctl(fd, cmd, arg): the kernel takes cmd as unsigned int, so compare the low 32 bits
 * only; a full 64-bit compare is bypassed by setting high bits (CVE-2019-10063). */
static int add_ioctl_rules(struct filter *f, enum hm_seccomp_mode mode, hm_error *err) {
  static const unsigned long denied_default[] = { TIOCSTI, TIOCLINUX };
  static const unsigned long denied_strict[] = { TIOCSTI, TIOCLINUX, TIOCSETD };
  const unsigned long *cmds = mode == HM_SECCOMP_STRICT ? denied_strict : denied_default;
  size_t n = mode == HM_SECCOMP_STRICT ? HM_ARRAY_SIZE(denied_strict)
                                       : HM_ARRAY_SIZE(denied_default);
  for (size_t i = 0; i < n; i++) {
    struct scmp_arg_cmp cmp = arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffu, cmds[i]);
    int r = filter_add(f, deny_action(mode, EPERM), "ioctl", 1, &cmp, err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* One rule per flag: a rule is a conjunction, the rules of a syscall a disjunction.
 * MASKED_EQ with a mask in the low word matches whatever the high word holds; clone
 * and unshare ignore it (clone truncates, unshare refuses unknown bits). */
static int add_namespace_rules(struct filter *f, enum hm_seccomp_mode mode, hm_error *err) {
  for (size_t i = 0; i < HM_ARRAY_SIZE(namespace_flags); i++) {
    uint64_t flag = namespace_flags[i];
    struct scmp_arg_cmp cmp = arg_cmp(0, SCMP_CMP_MASKED_EQ, flag, flag);
    int r;
    if (flag != CLONE_NEWTIME &&
        (r = filter_add(f, deny_action(mode, EPERM), "clone", 1, &cmp, err)) < 0)
      return r;
    /* Strict denies unshare outright in program 1. */
    if (mode != HM_SECCOMP_STRICT &&
        (r = filter_add(f, deny_action(mode, EPERM), "unshare", 1, &cmp, err)) < 0)
      return r;
  }
  return 0;
}

static bool family_allowed(enum hm_seccomp_mode mode, int family) {
  if (family == AF_UNIX)
    return true;
  return mode != HM_SECCOMP_STRICT &&
         (family == AF_INET || family == AF_INET6 || family == AF_NETLINK);
}

/* socket(family, type, protocol) and socketpair(family, type, protocol, sv): an
 * explicit EQ rule for every family below AF_MAX that is not allowed, plus one GE
 * AF_MAX rule. The kernel truncates family to int, so any high bit set must be denied
 * too; the 64-bit GE comparison does that (a deny-list of EQ rules alone would let
 * AF_VSOCK | 1 << 32 through). */
static int add_socket_rules(struct filter *f, const char *call, enum hm_seccomp_mode mode,
                            hm_error *err) {
  int r;
  for (int family = 0; family < AF_MAX; family++) {
    if (family_allowed(mode, family))
      continue;
    bool policy = family == AF_INET || family == AF_INET6 || family == AF_NETLINK;
    struct scmp_arg_cmp cmp = arg_cmp(0, SCMP_CMP_EQ, (uint64_t)family, 0);
    if ((r = filter_add(f, deny_action(mode, policy ? EPERM : EAFNOSUPPORT), call, 1, &cmp,
                        err)) < 0)
      return r;
  }
  struct scmp_arg_cmp high = arg_cmp(0, SCMP_CMP_GE, AF_MAX, 0);
  if ((r = filter_add(f, deny_action(mode, EAFNOSUPPORT), call, 1, &high, err)) < 0)
    return r;
  if (mode == HM_SECCOMP_STRICT)
    return 0;

  /* Netlink is for the interface/route dump of rtnetlink only: other protocols reach
   * audit, netfilter, xfrm, generic netlink families. A protocol with high bits set is
   * != NETLINK_ROUTE in 64 bits and so denied: fail closed. */
  struct scmp_arg_cmp netlink[] = { arg_cmp(0, SCMP_CMP_EQ, AF_NETLINK, 0),
                                    arg_cmp(2, SCMP_CMP_NE, NETLINK_ROUTE, 0) };
  if ((r = filter_add(f, deny_action(mode, EAFNOSUPPORT), call, 2, netlink, err)) < 0)
    return r;

  /* Raw IP sockets craft arbitrary packets; (AF_INET, SOCK_PACKET) is the obsolete
   * spelling of AF_PACKET. The type's low nibble is the kind, the rest flags. */
  static const int inet[] = { AF_INET, AF_INET6 };
  static const int raw_types[] = { SOCK_RAW, SOCK_PACKET };
  for (size_t i = 0; i < HM_ARRAY_SIZE(inet); i++)
    for (size_t j = 0; j < HM_ARRAY_SIZE(raw_types); j++) {
      struct scmp_arg_cmp cmp[] = { arg_cmp(0, SCMP_CMP_EQ, (uint64_t)inet[i], 0),
                                    arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xf, (uint64_t)raw_types[j]) };
      if ((r = filter_add(f, deny_action(mode, EPERM), call, 2, cmp, err)) < 0)
        return r;
    }
  return 0;
}

/* Strict: personality only with 0 (PER_LINUX) or 0xffffffff (query). libseccomp takes
 * one comparison per argument per rule, so "!= 0 and != 0xffffffff" is spelled as: some
 * bit i is set and bit i+1 (cyclically) is clear; a 32-bit word has such a pair exactly
 * when it is neither all zeros nor all ones. The kernel takes the low 32 bits only. */
static int add_personality_rules(struct filter *f, enum hm_seccomp_mode mode, hm_error *err) {
  for (unsigned bit = 0; bit < 32; bit++) {
    uint64_t set = 1ull << bit, clear = 1ull << ((bit + 1) % 32);
    struct scmp_arg_cmp cmp = arg_cmp(0, SCMP_CMP_MASKED_EQ, set | clear, set);
    int r = filter_add(f, deny_action(mode, EPERM), "personality", 1, &cmp, err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int add_argument_rules(struct filter *f, enum hm_seccomp_mode mode, hm_error *err) {
  int r;
  if ((r = add_ioctl_rules(f, mode, err)) < 0 || (r = add_namespace_rules(f, mode, err)) < 0 ||
      (r = add_socket_rules(f, "socket", mode, err)) < 0 ||
      (r = add_socket_rules(f, "socketpair", mode, err)) < 0)
    return r;
  if (mode == HM_SECCOMP_STRICT && (r = add_personality_rules(f, mode, err)) < 0)
    return r;
  return 0;
}

/* libseccomp 2.5 exports only to an fd: export into a memfd and read it back. */
static int export_program(const struct filter *f, struct sock_fprog *out, hm_error *err) {
  _cleanup_close_ int fd = memfd_create("hermetic-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return hm_error_errno(err, errno, "creating a memfd for the seccomp %s", f->what);
  int r = seccomp_export_bpf(f->ctx, fd);
  if (r < 0)
    return hm_error_errno(err, -r, "exporting the seccomp %s", f->what);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hm_error_errno(err, errno, "reading back the seccomp %s", f->what);
  size_t len = (size_t)st.st_size, n = len / sizeof(struct sock_filter);
  if (n == 0 || len % sizeof(struct sock_filter) != 0 || n > BPF_MAXINSNS)
    return hm_error_set(err, EINVAL, "the exported seccomp %s has %zu bytes, not 1..%d "
                        "instructions", f->what, len, BPF_MAXINSNS);
  _cleanup_free_ struct sock_filter *insns = malloc(len);
  if (!insns)
    return hm_error_errno(err, ENOMEM, "reading back the seccomp %s", f->what);
  if (lseek(fd, 0, SEEK_SET) < 0)
    return hm_error_errno(err, errno, "reading back the seccomp %s", f->what);
  ssize_t got = hm_read_all(fd, insns, len);
  if (got < 0)
    return hm_error_errno(err, (int)-got, "reading back the seccomp %s", f->what);
  if ((size_t)got != len)
    return hm_error_set(err, EIO, "reading back the seccomp %s: short read", f->what);
  out->len = (unsigned short)n;
  out->filter = steal_pointer(&insns);
  return 0;
}

static int hash_programs(struct hm_seccomp_set *set, hm_error *err) {
  __attribute__((cleanup(md_ctx_freep))) EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
    return hm_error_set(err, ENOMEM, "hashing the seccomp filter: OpenSSL SHA-256 unavailable");
  set->n_insns = 0;
  for (size_t i = 0; i < set->n_progs; i++) {
    const struct sock_fprog *p = &set->progs[i];
    if (EVP_DigestUpdate(md, p->filter, p->len * sizeof(struct sock_filter)) != 1)
      return hm_error_set(err, EIO, "hashing the seccomp filter: EVP_DigestUpdate failed");
    set->n_insns += p->len;
  }
  if (EVP_DigestFinal_ex(md, digest, &digest_len) != 1 || digest_len != 32)
    return hm_error_set(err, EIO, "hashing the seccomp filter: EVP_DigestFinal failed");
  hm_hex(digest, digest_len, set->sha256_hex);
  return 0;
}

static int build_program(enum hm_seccomp_mode mode, bool allowlist, struct sock_fprog *out,
                         hm_error *err) {
  __attribute__((cleanup(filter_releasep))) struct filter f = { 0 };
  int r = allowlist ? filter_init(&f, deny_action(mode, ENOSYS), "allowlist", err)
                    : filter_init(&f, SCMP_ACT_ALLOW, "argument checks", err);
  if (r < 0)
    return r;
  r = allowlist ? add_allowlist_rules(&f, mode, err) : add_argument_rules(&f, mode, err);
  if (r < 0)
    return r;
  return export_program(&f, out, err);
}

int hm_seccomp_build(enum hm_seccomp_mode mode, struct hm_seccomp_set *out, hm_error *err) {
  memset(out, 0, sizeof *out);
  out->mode = mode;
  if (mode != HM_SECCOMP_DEFAULT && mode != HM_SECCOMP_STRICT && mode != HM_SECCOMP_LOG)
    return hm_error_set(err, EINVAL, "building the seccomp filter: unknown mode %d", (int)mode);
  /* Install order: the allowlist, then the argument checks (whose installation the
   * allowlist must permit: seccomp is on it). */
  int r = build_program(mode, true, &out->progs[0], err);
  if (r >= 0) {
    out->n_progs = 1;
    r = build_program(mode, false, &out->progs[1], err);
  }
  if (r >= 0) {
    out->n_progs = 2;
    r = hash_programs(out, err);
  }
  if (r < 0) {
    hm_seccomp_free(out);
    return r;
  }
  return 0;
}

/* Runs between fork and execve: no allocation, no stdio, errno only. A failure after
 * the first program leaves the task half-filtered; the caller must not exec then. */
int hm_seccomp_install(const struct hm_seccomp_set *set) {
  if (set->n_progs == 0)
    return -EINVAL;
  for (size_t i = 0; i < set->n_progs; i++) {
    struct sock_fprog prog = set->progs[i];
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
      continue;
    int e = errno;
    /* seccomp(2) is 3.17; prctl's equivalent is 3.5. */
    if (e == ENOSYS && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
      continue;
    if (e == ENOSYS)
      e = errno;
    return -e;
  }
  return 0;
}

void hm_seccomp_free(struct hm_seccomp_set *set) {
  if (!set)
    return;
  for (size_t i = 0; i < HM_ARRAY_SIZE(set->progs); i++) {
    free(set->progs[i].filter);
    set->progs[i].filter = NULL;
    set->progs[i].len = 0;
  }
  set->n_progs = 0;
  set->n_insns = 0;
  set->sha256_hex[0] = '\0';
}

static int add_string(json_object *array, const char *s) {
  json_object *v = json_object_new_string(s);
  if (!v || json_object_array_add(array, v) < 0) {
    json_object_put(v);
    return -ENOMEM;
  }
  return 0;
}

static int add_names(json_object *array, enum hm_seccomp_mode mode, const char *const *names,
                     size_t n, bool only_strict_denied) {
  for (size_t i = 0; i < n; i++) {
    if (only_strict_denied && !strict_denies(mode, names[i]))
      continue;
    if (resolve_syscall(names[i]) >= 0 && add_string(array, names[i]) < 0)
      return -ENOMEM;
  }
  return 0;
}

static int set_key(json_object *obj, const char *key, json_object *v) {
  if (!v)
    return -ENOMEM;
  if (json_object_object_add(obj, key, v) < 0) {
    json_object_put(v);
    return -ENOMEM;
  }
  return 0;
}

static int describe_into(json_object *o, const struct hm_seccomp_set *set) {
  bool log = set->mode == HM_SECCOMP_LOG;
  json_object *arch, *denied, *enosys, *checks;
  const char *arch_name = seccomp_arch_native() == SCMP_ARCH_X86_64 ? "x86_64" : "native";
  /* Each new object is owned by o as soon as it exists, so one put frees everything. */
  if (set_key(o, "profile", json_object_new_string(hm_seccomp_mode_name(set->mode))) < 0 ||
      set_key(o, "mode", json_object_new_string(log ? "log" : "enforce")) < 0 ||
      set_key(o, "action_on_denied", json_object_new_string(log ? "log" : "errno")) < 0 ||
      set_key(o, "arch", arch = json_object_new_array()) < 0 ||
      set_key(o, "default_action", json_object_new_string(log ? "log" : "errno(ENOSYS)")) < 0 ||
      set_key(o, "bad_arch_action", json_object_new_string("kill_process")) < 0 ||
      set_key(o, "bpf_sha256", json_object_new_string(set->sha256_hex)) < 0 ||
      set_key(o, "instructions", json_object_new_int64((int64_t)set->n_insns)) < 0 ||
      set_key(o, "filters", json_object_new_int64((int64_t)set->n_progs)) < 0 ||
      set_key(o, "denied", denied = json_object_new_array()) < 0 ||
      set_key(o, "enosys", enosys = json_object_new_array()) < 0 ||
      set_key(o, "argument_checks", checks = json_object_new_array()) < 0 ||
      add_string(arch, arch_name) < 0)
    return -ENOMEM;
  if (add_names(denied, set->mode, eperm_syscalls, HM_ARRAY_SIZE(eperm_syscalls), false) < 0 ||
      add_names(denied, set->mode, strict_eperm_syscalls, HM_ARRAY_SIZE(strict_eperm_syscalls),
                true) < 0 ||
      add_names(enosys, set->mode, enosys_syscalls, HM_ARRAY_SIZE(enosys_syscalls), false) < 0)
    return -ENOMEM;
  const char *const *lines = set->mode == HM_SECCOMP_STRICT ? strict_argument_checks
                                                            : default_argument_checks;
  size_t n = set->mode == HM_SECCOMP_STRICT ? HM_ARRAY_SIZE(strict_argument_checks)
                                            : HM_ARRAY_SIZE(default_argument_checks);
  for (size_t i = 0; i < n; i++)
    if (add_string(checks, lines[i]) < 0)
      return -ENOMEM;
  return 0;
}

json_object *hm_seccomp_describe(const struct hm_seccomp_set *set) {
  json_object *o = json_object_new_object();
  if (!o)
    return NULL;
  if (describe_into(o, set) < 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
}
