/* Unit tests of sandbox/seccomp.c, two ways:
 *  - against the kernel: a forked child sets no_new_privs, installs the profile and
 *    makes the call; the parent stays unfiltered and compares errno or the signal;
 *  - against a cBPF interpreter that replays the exported programs with the kernel's
 *    stacking rule, for inputs the kernel test cannot produce or tell apart (i386 and
 *    x32 numbers, every socket family, high argument bits, every personality bit).
 * Arguments in kernel tests are chosen to be harmless if the filter were missing
 * (mount on a path that does not exist, TIOCSTI on /dev/null, ...). */
#include "internal.h"
#include "tap.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#define X32_BIT 0x40000000L
#define I386_GETPID 20
#define HIGH32 (1ul << 32)

static struct hm_seccomp_set def, strict, logset;

/* ---- kernel probes ------------------------------------------------------------ */

struct outcome {
  bool killed;
  int sig;   /* when killed */
  int err;   /* errno, 0 for success */
  bool weird; /* the probe itself could not run */
};

typedef int (*probe_fn)(const void *arg); /* 0 or -errno; -1000 for "probe broken" */

static struct outcome run_probe(const struct hm_seccomp_set *set, probe_fn fn, const void *arg) {
  struct outcome o = { .weird = true };
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    return o;
  if (pid == 0) {
    if (set) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || hm_seccomp_install(set) < 0)
        _exit(200);
    }
    int r = fn(arg);
    _exit(r == -1000 ? 201 : r < 0 ? -r : 0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return o;
  if (WIFSIGNALED(status)) {
    o.weird = false;
    o.killed = true;
    o.sig = WTERMSIG(status);
  } else if (WEXITSTATUS(status) < 200) {
    o.weird = false;
    o.err = WEXITSTATUS(status);
  }
  return o;
}

static const char *outcome_str(struct outcome o, char *buf, size_t n) {
  if (o.weird)
    snprintf(buf, n, "probe failed to run");
  else if (o.killed)
    snprintf(buf, n, "killed by signal %d", o.sig);
  else if (o.err)
    snprintf(buf, n, "errno %d (%s)", o.err, strerror(o.err));
  else
    snprintf(buf, n, "success");
  return buf;
}

struct call {
  long nr;
  unsigned long a[6];
};

static int do_call(const void *p) {
  const struct call *c = p;
  long r = syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
  if (r == 0 && c->nr == SYS_clone)
    _exit(0); /* the clone child */
  return r < 0 ? -errno : 0;
}

/* Expect errno expect (0: success) from the call under set. A denial is only checked
 * where the call exists unfiltered (valgrind, for one, answers ENOSYS to calls it does
 * not emulate); where the kernel alone would give the same answer, say so. */
static void check_call(const struct hm_seccomp_set *set, const char *desc, int expect, long nr,
                       unsigned long a0, unsigned long a1, unsigned long a2, unsigned long a3) {
  struct call c = { nr, { a0, a1, a2, a3, 0, 0 } };
  char buf[128];
  if (expect != 0) {
    struct outcome base = run_probe(NULL, do_call, &c);
    if (!base.weird && !base.killed && base.err == ENOSYS && expect != ENOSYS) {
      tap_skip("%s: the call is ENOSYS here even without a filter", desc);
      return;
    }
    if (!base.weird && !base.killed && base.err == expect)
      tap_diag("%s: the kernel alone also answers %s here", desc, strerror(expect));
  }
  struct outcome o = run_probe(set, do_call, &c);
  tap_ok(!o.weird && !o.killed && o.err == expect, "%s -> %s (got %s)", desc,
         expect ? strerror(expect) : "success", outcome_str(o, buf, sizeof buf));
}

static int do_ioctl_devnull(const void *p) {
  const unsigned long *req = p;
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return -1000;
  char c = 'x';
  long r = syscall(SYS_ioctl, fd, *req, &c);
  return r < 0 ? -errno : 0;
}

static void check_ioctl(const struct hm_seccomp_set *set, const char *desc, unsigned long req,
                        int expect) {
  struct outcome o = run_probe(set, do_ioctl_devnull, &req);
  char buf[128];
  tap_ok(!o.weird && !o.killed && o.err == expect, "%s -> %s (got %s)", desc, strerror(expect),
         outcome_str(o, buf, sizeof buf));
}

static int do_int80_getpid(const void *p) {
  long ret = I386_GETPID;
  /* Without an i386 entry the kernel answers #GP: die of it quietly, not in ASan's
   * handler. */
  signal(SIGSEGV, SIG_DFL);
  __asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
  if (ret < 0)
    return (int)ret;
  return ret == getpid() ? 0 : -1000;
}

static int do_x32_getpid(const void *p) {
  long r = syscall(X32_BIT | SYS_getpid);
  return r < 0 ? -errno : 0;
}

static void *thread_main(void *arg) { return arg; }

static int do_pthread(const void *p) {
  pthread_t t;
  void *ret = NULL;
  int r = pthread_create(&t, NULL, thread_main, (void *)0x1234);
  if (r)
    return -r;
  if ((r = pthread_join(t, &ret)))
    return -r;
  return ret == (void *)0x1234 ? 0 : -1000;
}

static int do_getpid(const void *p) {
  return getpid() > 0 && syscall(SYS_getpid) == getpid() ? 0 : -1000;
}

/* Run argv (quietly) under the filter; 0 when it exits 0. */
static int do_exec(const void *p) {
  char *const *argv = p;
  pid_t pid = fork();
  if (pid < 0)
    return -errno;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC); /* dup2 clears it on 1 and 2 */
    if (null >= 0 && !getenv("TEST_SECCOMP_VERBOSE")) {
      dup2(null, 1);
      dup2(null, 2);
    }
    execv(argv[0], argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -errno;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFSIGNALED(status))
    return -EINTR; /* reported as "Interrupted system call": the program was killed */
  return -EPROTO;
}

static void check_program(const struct hm_seccomp_set *set, const char *desc, char *const *argv) {
  if (access(argv[0], X_OK) != 0) {
    tap_skip("%s: %s not installed", desc, argv[0]);
    return;
  }
  struct outcome base = run_probe(NULL, do_exec, argv);
  if (base.weird || base.killed || base.err) {
    tap_skip("%s: fails even without the filter", desc);
    return;
  }
  struct outcome o = run_probe(set, do_exec, argv);
  char buf[128];
  tap_ok(!o.weird && !o.killed && o.err == 0, "%s under the filter (got %s)", desc,
         outcome_str(o, buf, sizeof buf));
}

/* ---- cBPF interpreter ---------------------------------------------------------- */

#define BPF_BROKEN 0xdeadbeefu

static uint32_t bpf_run(const struct sock_fprog *prog, const struct seccomp_data *d) {
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
  for (size_t pc = 0; pc < prog->len; pc++) {
    const struct sock_filter *f = &prog->filter[pc];
    uint32_t k = f->k;
    switch (f->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (k % 4 || k + 4 > sizeof *d)
        return BPF_BROKEN;
      memcpy(&A, (const char *)d + k, 4);
      break;
    case BPF_LD | BPF_IMM: A = k; break;
    case BPF_LDX | BPF_IMM: X = k; break;
    case BPF_LD | BPF_MEM: A = M[k % BPF_MEMWORDS]; break;
    case BPF_LDX | BPF_MEM: X = M[k % BPF_MEMWORDS]; break;
    case BPF_ST: M[k % BPF_MEMWORDS] = A; break;
    case BPF_STX: M[k % BPF_MEMWORDS] = X; break;
    case BPF_MISC | BPF_TAX: X = A; break;
    case BPF_MISC | BPF_TXA: A = X; break;
    case BPF_ALU | BPF_AND | BPF_K: A &= k; break;
    case BPF_ALU | BPF_OR | BPF_K: A |= k; break;
    case BPF_ALU | BPF_ADD | BPF_K: A += k; break;
    case BPF_ALU | BPF_SUB | BPF_K: A -= k; break;
    case BPF_ALU | BPF_RSH | BPF_K: A >>= k; break;
    case BPF_ALU | BPF_LSH | BPF_K: A <<= k; break;
    case BPF_ALU | BPF_AND | BPF_X: A &= X; break;
    case BPF_JMP | BPF_JA: pc += k; break;
    case BPF_JMP | BPF_JEQ | BPF_K: pc += A == k ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JGT | BPF_K: pc += A > k ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JGE | BPF_K: pc += A >= k ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JSET | BPF_K: pc += (A & k) ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JEQ | BPF_X: pc += A == X ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JGT | BPF_X: pc += A > X ? f->jt : f->jf; break;
    case BPF_JMP | BPF_JGE | BPF_X: pc += A >= X ? f->jt : f->jf; break;
    case BPF_RET | BPF_K: return k;
    case BPF_RET | BPF_A: return A;
    default: return BPF_BROKEN;
    }
  }
  return BPF_BROKEN; /* fell off the end */
}

/* The kernel's rule (seccomp_run_filters): every program runs, newest first, and the
 * action with the lowest signed value wins; on a tie the newer program's data stays. */
static uint32_t set_run(const struct hm_seccomp_set *set, uint32_t arch, long nr, uint64_t a0,
                        uint64_t a1, uint64_t a2) {
  struct seccomp_data d = { .nr = (int)nr, .arch = arch, .args = { a0, a1, a2 } };
  uint32_t ret = SECCOMP_RET_ALLOW;
  for (size_t i = set->n_progs; i-- > 0;) {
    uint32_t cur = bpf_run(&set->progs[i], &d);
    if (cur == BPF_BROKEN)
      return BPF_BROKEN;
    if ((int32_t)(cur & SECCOMP_RET_ACTION_FULL) < (int32_t)(ret & SECCOMP_RET_ACTION_FULL))
      ret = cur;
  }
  return ret;
}

#define ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))
#define ALLOW SECCOMP_RET_ALLOW
#define KILL SECCOMP_RET_KILL_PROCESS
#define LOG SECCOMP_RET_LOG

static int emu_failures;

static void emu_expect(const struct hm_seccomp_set *set, const char *what, uint32_t arch, long nr,
                       uint64_t a0, uint64_t a1, uint64_t a2, uint32_t expect) {
  uint32_t got = set_run(set, arch, nr, a0, a1, a2);
  if (got != expect) {
    emu_failures++;
    if (emu_failures <= 20)
      tap_diag("%s: nr=%ld a0=%#llx a1=%#llx a2=%#llx: want %#x got %#x", what, nr,
               (unsigned long long)a0, (unsigned long long)a1, (unsigned long long)a2, expect, got);
  }
}

#define EMU(set, nr, a0, a1, a2, expect) \
  emu_expect(set, #nr, AUDIT_ARCH_X86_64, nr, a0, a1, a2, expect)

static bool emu_done(const char *desc) {
  bool pass = emu_failures == 0;
  tap_ok(pass, "BPF: %s", desc);
  emu_failures = 0;
  return pass;
}

/* The contract's list (docs: "EPERM for ..."), restated here independently. */
static const long eperm_nrs[] = {
  SYS_mount, SYS_umount2, SYS_pivot_root, SYS_open_tree, SYS_move_mount, SYS_fsopen,
  SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr, SYS_setns, SYS_keyctl,
  SYS_add_key, SYS_request_key, SYS_bpf, SYS_perf_event_open, SYS_userfaultfd, SYS_ptrace,
  SYS_process_vm_readv, SYS_process_vm_writev, SYS_kexec_load, SYS_kexec_file_load,
  SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_chroot, SYS_open_by_handle_at,
  SYS_lookup_dcookie, SYS_quotactl, SYS_syslog, SYS_acct, SYS_swapon, SYS_swapoff,
  SYS_reboot, SYS_settimeofday, SYS_clock_settime, SYS_iopl, SYS_ioperm, SYS_uselib,
  SYS_vhangup, SYS_pidfd_getfd, 467 /* open_tree_attr */,
};
static const unsigned long ns_flags[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC,
                                          CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                                          CLONE_NEWCGROUP };

static void emu_tests(void) {
  /* Architecture handling. */
  EMU(&def, SYS_getpid, 0, 0, 0, ALLOW);
  emu_expect(&def, "i386 getpid", AUDIT_ARCH_I386, I386_GETPID, 0, 0, 0, KILL);
  emu_expect(&def, "x32 getpid", AUDIT_ARCH_X86_64, X32_BIT | SYS_getpid, 0, 0, 0, KILL);
  emu_expect(&def, "x32 read", AUDIT_ARCH_X86_64, X32_BIT | 0, 0, 0, 0, KILL);
  emu_expect(&logset, "log: i386", AUDIT_ARCH_I386, I386_GETPID, 0, 0, 0, KILL);
  emu_expect(&logset, "log: x32", AUDIT_ARCH_X86_64, X32_BIT | SYS_getpid, 0, 0, 0, KILL);
  emu_expect(&strict, "strict: x32", AUDIT_ARCH_X86_64, X32_BIT | SYS_getpid, 0, 0, 0, KILL);
  emu_expect(&def, "nr -1 (tracer skip)", AUDIT_ARCH_X86_64, -1, 0, 0, 0, ERRNO(ENOSYS));
  emu_expect(&def, "unknown nr 1000", AUDIT_ARCH_X86_64, 1000, 0, 0, 0, ERRNO(ENOSYS));
  emu_done("i386 and x32 numbers kill the process in every mode; unknown syscalls ENOSYS");

  for (size_t i = 0; i < HM_ARRAY_SIZE(eperm_nrs); i++) {
    EMU(&def, eperm_nrs[i], 0, 0, 0, ERRNO(EPERM));
    EMU(&strict, eperm_nrs[i], 0, 0, 0, ERRNO(EPERM));
    EMU(&logset, eperm_nrs[i], 0, 0, 0, LOG);
  }
  emu_done("mount API, setns, keyrings, bpf, perf, userfaultfd, ptrace, modules... EPERM "
           "(log: LOG)");

  static const long enosys_nrs[] = { SYS_clone3, SYS_io_uring_setup, 426, 427 };
  for (size_t i = 0; i < HM_ARRAY_SIZE(enosys_nrs); i++) {
    EMU(&def, enosys_nrs[i], 0, 0, 0, ERRNO(ENOSYS));
    EMU(&strict, enosys_nrs[i], 0, 0, 0, ERRNO(ENOSYS));
  }
  emu_done("clone3 and io_uring_{setup,enter,register} ENOSYS");

  for (size_t i = 0; i < HM_ARRAY_SIZE(ns_flags); i++) {
    unsigned long f = ns_flags[i];
    EMU(&def, SYS_clone, f | SIGCHLD, 0, 0, ERRNO(EPERM));
    EMU(&def, SYS_clone, f | CLONE_VM | CLONE_FILES | 0xdead00000000ul, 0, 0, ERRNO(EPERM));
    EMU(&def, SYS_unshare, f, 0, 0, ERRNO(EPERM));
    EMU(&def, SYS_unshare, f | CLONE_FILES | HIGH32, 0, 0, ERRNO(EPERM));
    EMU(&logset, SYS_unshare, f, 0, 0, LOG);
    EMU(&strict, SYS_clone, f | SIGCHLD, 0, 0, ERRNO(EPERM));
  }
  EMU(&def, SYS_unshare, CLONE_NEWTIME, 0, 0, ERRNO(EPERM));
  EMU(&def, SYS_clone, SIGCHLD, 0, 0, ALLOW);
  EMU(&def, SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                           CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                           CLONE_CHILD_CLEARTID, 0, 0, ALLOW);
  EMU(&def, SYS_unshare, CLONE_FILES | CLONE_FS | CLONE_SYSVSEM, 0, 0, ALLOW);
  EMU(&strict, SYS_unshare, CLONE_FILES, 0, 0, ERRNO(EPERM));
  emu_done("clone/unshare: every CLONE_NEW* flag EPERM whatever else is set; plain ones allowed");

  for (long fam = 0; fam < 64; fam++) {
    bool ok = fam == AF_UNIX || fam == AF_INET || fam == AF_INET6 || fam == AF_NETLINK;
    uint32_t want = ok ? ALLOW : ERRNO(EAFNOSUPPORT);
    EMU(&def, SYS_socket, fam, SOCK_STREAM, 0, want);
    EMU(&def, SYS_socketpair, fam, SOCK_STREAM, 0, want);
    EMU(&logset, SYS_socket, fam, SOCK_STREAM, 0, ok ? ALLOW : LOG);
    EMU(&def, SYS_socket, fam | HIGH32, SOCK_STREAM, 0, ERRNO(EAFNOSUPPORT));
    EMU(&def, SYS_socket, fam | 0xffffffff00000000ul, SOCK_STREAM, 0, ERRNO(EAFNOSUPPORT));
    bool policy = fam == AF_INET || fam == AF_INET6 || fam == AF_NETLINK;
    uint32_t swant = fam == AF_UNIX ? ALLOW : policy ? ERRNO(EPERM) : ERRNO(EAFNOSUPPORT);
    EMU(&strict, SYS_socket, fam, SOCK_STREAM, 0, swant);
  }
  EMU(&def, SYS_socket, 0xffffffff, SOCK_STREAM, 0, ERRNO(EAFNOSUPPORT));
  EMU(&def, SYS_socket, 0x7fffffff, SOCK_STREAM, 0, ERRNO(EAFNOSUPPORT));
  emu_done("socket/socketpair families: only UNIX, INET, INET6, NETLINK; high bits denied");

  static const int inet[] = { AF_INET, AF_INET6 };
  for (size_t i = 0; i < 2; i++) {
    EMU(&def, SYS_socket, inet[i], SOCK_RAW, IPPROTO_ICMP, ERRNO(EPERM));
    EMU(&def, SYS_socket, inet[i], SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 255, ERRNO(EPERM));
    EMU(&def, SYS_socket, inet[i], SOCK_RAW | HIGH32, 0, ERRNO(EPERM));
    EMU(&def, SYS_socket, inet[i], SOCK_PACKET, 0, ERRNO(EPERM));
    EMU(&def, SYS_socketpair, inet[i], SOCK_RAW, 0, ERRNO(EPERM));
    EMU(&def, SYS_socket, inet[i], SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP, ALLOW);
    EMU(&def, SYS_socket, inet[i], SOCK_STREAM | SOCK_NONBLOCK, 0, ALLOW);
    EMU(&def, SYS_socket, inet[i], SOCK_SEQPACKET, 0, ALLOW);
  }
  EMU(&def, SYS_socket, AF_UNIX, SOCK_RAW, 0, ALLOW); /* kernel says ESOCKTNOSUPPORT */
  EMU(&def, SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, ALLOW);
  EMU(&def, SYS_socket, AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE, ALLOW);
  for (long proto = 1; proto < 32; proto++)
    EMU(&def, SYS_socket, AF_NETLINK, SOCK_RAW, proto, ERRNO(EAFNOSUPPORT));
  EMU(&def, SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE | HIGH32, ERRNO(EAFNOSUPPORT));
  emu_done("socket types/protocols: raw and SOCK_PACKET INET EPERM; netlink only NETLINK_ROUTE");

  static const unsigned long tty[] = { TIOCSTI, TIOCLINUX };
  for (size_t i = 0; i < 2; i++) {
    EMU(&def, SYS_ioctl, 0, tty[i], 0, ERRNO(EPERM));
    EMU(&def, SYS_ioctl, 0, tty[i] | HIGH32, 0, ERRNO(EPERM));
    EMU(&def, SYS_ioctl, 0, tty[i] | 0xffffffff00000000ul, 0, ERRNO(EPERM));
    EMU(&strict, SYS_ioctl, 0, tty[i] | HIGH32, 0, ERRNO(EPERM));
    EMU(&logset, SYS_ioctl, 0, tty[i] | HIGH32, 0, LOG);
  }
  EMU(&def, SYS_ioctl, 0, TIOCSTI + 1, 0, ALLOW);
  EMU(&def, SYS_ioctl, 0, TCGETS, 0, ALLOW);
  EMU(&def, SYS_ioctl, 0, FIONREAD, 0, ALLOW);
  EMU(&def, SYS_ioctl, 0, TIOCSETD, 0, ALLOW);
  EMU(&strict, SYS_ioctl, 0, TIOCSETD | HIGH32, 0, ERRNO(EPERM));
  emu_done("ioctl: TIOCSTI/TIOCLINUX denied on the low 32 bits (CVE-2019-10063)");

  EMU(&def, SYS_personality, PER_LINUX32, 0, 0, ALLOW);
  EMU(&def, SYS_personality, ADDR_NO_RANDOMIZE, 0, 0, ALLOW);
  EMU(&strict, SYS_personality, 0, 0, 0, ALLOW);
  EMU(&strict, SYS_personality, 0xffffffff, 0, 0, ALLOW);
  EMU(&strict, SYS_personality, 0xffffffffffffffff, 0, 0, ALLOW); /* kernel: query */
  EMU(&strict, SYS_personality, HIGH32, 0, 0, ALLOW);              /* kernel: 0 */
  for (int bit = 0; bit < 32; bit++) {
    EMU(&strict, SYS_personality, 1ul << bit, 0, 0, ERRNO(EPERM));
    EMU(&strict, SYS_personality, 0xfffffffful & ~(1ul << bit), 0, 0, ERRNO(EPERM));
    EMU(&strict, SYS_personality, (1ul << bit) | 0xabc00000000ul, 0, 0, ERRNO(EPERM));
  }
  EMU(&strict, SYS_personality, 0x7fffffff, 0, 0, ERRNO(EPERM));
  EMU(&strict, SYS_personality, 0x80000000, 0, 0, ERRNO(EPERM));
  EMU(&strict, SYS_personality, 0x55555555, 0, 0, ERRNO(EPERM));
  emu_done("personality: free in default; strict allows only 0 and 0xffffffff");

  EMU(&strict, SYS_memfd_create, 0, 0, 0, ALLOW);
  EMU(&strict, SYS_name_to_handle_at, 0, 0, 0, ERRNO(EPERM));
  EMU(&def, SYS_name_to_handle_at, 0, 0, 0, ALLOW);
  EMU(&strict, SYS_memfd_secret, 0, 0, 0, ERRNO(EPERM));
  EMU(&logset, SYS_clone3, 0, 0, 0, LOG);
  EMU(&logset, SYS_getpid, 0, 0, 0, ALLOW);
  emu_done("strict extras; log mode logs instead of denying and still allows the allowlist");
}

/* ---- checks of the API --------------------------------------------------------- */

static bool json_array_has(json_object *arr, const char *s) {
  for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
    if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
      return true;
  return false;
}

static const char *json_str(json_object *o, const char *key) {
  json_object *v;
  return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static json_object *json_get(json_object *o, const char *key) {
  json_object *v;
  return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void api_tests(void) {
  struct hm_seccomp_set again;
  hm_error err = { 0 };
  int r = hm_seccomp_build(HM_SECCOMP_DEFAULT, &again, &err);
  tap_ok(r == 0 && strcmp(again.sha256_hex, def.sha256_hex) == 0 && again.n_insns == def.n_insns,
         "two builds of the default profile hash alike (%s, %zu instructions)", def.sha256_hex,
         def.n_insns);
  hm_seccomp_free(&again);
  tap_ok(again.n_progs == 0 && again.progs[0].filter == NULL, "hm_seccomp_free empties the set");
  hm_seccomp_free(&again); /* idempotent */

  tap_ok(strcmp(def.sha256_hex, strict.sha256_hex) != 0 &&
             strcmp(def.sha256_hex, logset.sha256_hex) != 0 &&
             strcmp(strict.sha256_hex, logset.sha256_hex) != 0 && strlen(def.sha256_hex) == 64,
         "default, strict and log profiles hash differently");

  size_t sum = 0;
  for (size_t i = 0; i < def.n_progs; i++)
    sum += def.progs[i].len;
  tap_ok(def.n_progs == 2 && sum == def.n_insns && def.n_insns <= 2 * BPF_MAXINSNS,
         "default set: 2 programs, n_insns is their total (%zu + %zu)", (size_t)def.progs[0].len,
         (size_t)def.progs[1].len);

  json_object *j = hm_seccomp_describe(&def);
  json_object *arch = j ? json_get(j, "arch") : NULL;
  json_object *insns = j ? json_get(j, "instructions") : NULL;
  tap_ok(j && strcmp(json_str(j, "profile"), "default") == 0 &&
             strcmp(json_str(j, "mode"), "enforce") == 0 &&
             strcmp(json_str(j, "bpf_sha256"), def.sha256_hex) == 0 &&
             strcmp(json_str(j, "default_action"), "errno(ENOSYS)") == 0 && insns &&
             (size_t)json_object_get_int64(insns) == def.n_insns &&
             json_array_has(arch, "x86_64") && json_object_array_length(arch) == 1 &&
             json_array_has(json_get(j, "denied"), "mount") &&
             json_array_has(json_get(j, "denied"), "ptrace") &&
             !json_array_has(json_get(j, "denied"), "unshare") &&
             json_array_has(json_get(j, "enosys"), "clone3") &&
             json_object_array_length(json_get(j, "argument_checks")) > 0,
         "describe(default): profile, mode, sha, instructions, arch, denied, enosys");
  json_object_put(j);

  j = hm_seccomp_describe(&strict);
  tap_ok(j && strcmp(json_str(j, "profile"), "strict") == 0 &&
             json_array_has(json_get(j, "denied"), "unshare"),
         "describe(strict) lists unshare as denied");
  json_object_put(j);
  j = hm_seccomp_describe(&logset);
  tap_ok(j && strcmp(json_str(j, "profile"), "log") == 0 && strcmp(json_str(j, "mode"), "log") == 0,
         "describe(log): mode log");
  json_object_put(j);

  struct hm_seccomp_set empty = { 0 };
  tap_ok(hm_seccomp_install(&empty) == -EINVAL, "installing an empty set fails closed (-EINVAL)");
  tap_ok(hm_seccomp_build((enum hm_seccomp_mode)42, &again, &err) == -EINVAL &&
             err.code == EINVAL && again.n_progs == 0,
         "unknown mode refused: %s", err.msg);
  tap_ok(strcmp(hm_seccomp_mode_name(HM_SECCOMP_DEFAULT), "default") == 0 &&
             strcmp(hm_seccomp_mode_name(HM_SECCOMP_STRICT), "strict") == 0 &&
             strcmp(hm_seccomp_mode_name(HM_SECCOMP_LOG), "log") == 0,
         "mode names");
}

/* ---- kernel tests -------------------------------------------------------------- */

static void kernel_tests_default(void) {
  struct outcome o;
  char buf[128];

  o = run_probe(&def, do_getpid, NULL);
  tap_ok(!o.weird && !o.killed && o.err == 0, "default: getpid works (got %s)",
         outcome_str(o, buf, sizeof buf));
  o = run_probe(&def, do_pthread, NULL);
  tap_ok(!o.weird && !o.killed && o.err == 0,
         "default: pthread_create works (glibc falls back from clone3) (got %s)",
         outcome_str(o, buf, sizeof buf));

  check_call(&def, "default: socket(AF_INET, SOCK_STREAM)", 0, SYS_socket, AF_INET, SOCK_STREAM,
             0, 0);
  check_call(&def, "default: socket(AF_INET6, SOCK_DGRAM)", 0, SYS_socket, AF_INET6, SOCK_DGRAM,
             0, 0);
  check_call(&def, "default: socket(AF_NETLINK, NETLINK_ROUTE)", 0, SYS_socket, AF_NETLINK,
             SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, 0);
  int sv[2];
  check_call(&def, "default: socketpair(AF_UNIX)", 0, SYS_socketpair, AF_UNIX, SOCK_STREAM, 0,
             (unsigned long)sv);
  check_call(&def, "default: socket(AF_VSOCK)", EAFNOSUPPORT, SYS_socket, AF_VSOCK, SOCK_STREAM,
             0, 0);
  check_call(&def, "default: socket(AF_PACKET, SOCK_RAW)", EAFNOSUPPORT, SYS_socket, AF_PACKET,
             SOCK_RAW, 0, 0);
  check_call(&def, "default: socket(AF_VSOCK | 1<<32) raw syscall", EAFNOSUPPORT, SYS_socket,
             AF_VSOCK | HIGH32, SOCK_STREAM, 0, 0);
  check_call(&def, "default: socket(AF_INET, SOCK_RAW, ICMP)", EPERM, SYS_socket, AF_INET,
             SOCK_RAW, IPPROTO_ICMP, 0);
  check_call(&def, "default: socket(AF_INET6, SOCK_RAW|SOCK_CLOEXEC)", EPERM, SYS_socket, AF_INET6,
             SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6, 0);
  check_call(&def, "default: socket(AF_INET, SOCK_PACKET)", EPERM, SYS_socket, AF_INET, SOCK_PACKET,
             0, 0);
  check_call(&def, "default: socket(AF_NETLINK, NETLINK_AUDIT)", EAFNOSUPPORT, SYS_socket,
             AF_NETLINK, SOCK_RAW, NETLINK_AUDIT, 0);

  check_call(&def, "default: unshare(CLONE_NEWUSER)", EPERM, SYS_unshare, CLONE_NEWUSER, 0, 0, 0);
  check_call(&def, "default: unshare(CLONE_NEWNS|CLONE_FILES|1<<32)", EPERM, SYS_unshare,
             CLONE_NEWNS | CLONE_FILES | HIGH32, 0, 0, 0);
  check_call(&def, "default: unshare(CLONE_FILES)", 0, SYS_unshare, CLONE_FILES, 0, 0, 0);
  check_call(&def, "default: clone(CLONE_NEWPID|SIGCHLD)", EPERM, SYS_clone,
             CLONE_NEWPID | SIGCHLD, 0, 0, 0);
  check_call(&def, "default: clone3", ENOSYS, SYS_clone3, 0, 0, 0, 0);
  check_call(&def, "default: io_uring_setup", ENOSYS, SYS_io_uring_setup, 1, 0, 0, 0);
  check_call(&def, "default: keyctl(KEYCTL_GET_KEYRING_ID)", EPERM, SYS_keyctl, 0, -1ul, 0, 0);
  check_call(&def, "default: bpf", EPERM, SYS_bpf, -1ul, 0, 0, 0);
  static char perf_attr[128]; /* zeroed: valgrind reads attr->size before the call */
  check_call(&def, "default: perf_event_open", EPERM, SYS_perf_event_open,
             (unsigned long)perf_attr, -1ul, -1ul, -1ul);
  check_call(&def, "default: userfaultfd", EPERM, SYS_userfaultfd, O_CLOEXEC, 0, 0, 0);
  static long peek;
  check_call(&def, "default: ptrace(PTRACE_PEEKDATA, pid 0)", EPERM, SYS_ptrace, 2, 0,
             (unsigned long)&peek, (unsigned long)&peek);
  check_call(&def, "default: mount on a missing path", EPERM, SYS_mount, 0,
             (unsigned long)"/nonexistent/hermetic-test", (unsigned long)"tmpfs", 0);
  check_call(&def, "default: kcmp (not on the allowlist)", ENOSYS, SYS_kcmp, 0, 0, 99, 0);
  check_call(&def, "default: personality(0xffffffff)", 0, SYS_personality, 0xffffffff, 0, 0, 0);

  check_ioctl(&def, "default: ioctl(/dev/null, TIOCSTI)", TIOCSTI, EPERM);
  check_ioctl(&def, "default: ioctl(/dev/null, 1<<32 | TIOCSTI) raw", HIGH32 | TIOCSTI, EPERM);
  check_ioctl(&def, "default: ioctl(/dev/null, TIOCLINUX)", TIOCLINUX, EPERM);
  check_ioctl(&def, "default: ioctl(/dev/null, TCGETS) reaches the driver", TCGETS, ENOTTY);

  struct outcome base = run_probe(NULL, do_int80_getpid, NULL);
  if (base.weird || base.killed || base.err) {
    tap_skip("default: int $0x80: the kernel has no working i386 entry here (%s)",
             outcome_str(base, buf, sizeof buf));
  } else {
    o = run_probe(&def, do_int80_getpid, NULL);
    tap_ok(o.killed && o.sig == SIGSYS, "default: i386 int $0x80 getpid kills with SIGSYS (got %s)",
           outcome_str(o, buf, sizeof buf));
  }
  o = run_probe(&def, do_x32_getpid, NULL);
  tap_ok(!o.weird && ((o.killed && o.sig == SIGSYS) || (!o.killed && o.err == ENOSYS)),
         "default: x32 getpid does not succeed (got %s)", outcome_str(o, buf, sizeof buf));

  char *sh[] = { "/bin/sh", "-c", "x=$(echo hi | cat); [ \"$x\" = hi ] && ls / >/dev/null", NULL };
  check_program(&def, "default: /bin/sh pipeline", sh);
  char *py[] = { "/usr/bin/python3", "-c",
                 "import subprocess, threading, tempfile, socket, os\n"
                 "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
                 "assert subprocess.run(['true']).returncode == 0\n"
                 "socket.socket().close()\n"
                 "with tempfile.TemporaryDirectory() as d:\n"
                 "    open(os.path.join(d, 'f'), 'w').write('x')\n",
                 NULL };
  check_program(&def, "default: python3 threads/subprocess/tempfile", py);
  char *node[] = { "/usr/bin/node", "-e",
                   "const fs=require('fs'),cp=require('child_process'),os=require('os');"
                   "const {Worker}=require('worker_threads');"
                   "const d=fs.mkdtempSync(os.tmpdir()+'/hm-');fs.writeFileSync(d+'/f','x');"
                   "fs.rmSync(d,{recursive:true});"
                   "if(cp.spawnSync('true').status!==0)process.exit(3);"
                   "new Worker('1',{eval:true}).on('exit',c=>process.exit(c));",
                   NULL };
  check_program(&def, "default: node fs/child_process/worker_threads", node);
  char *gcc[] = { "/bin/sh", "-c",
                  "d=$(mktemp -d) && printf 'int main(void){return 0;}\\n' >$d/a.c && "
                  "gcc -O2 -o $d/a $d/a.c && $d/a && cd $d && "
                  "printf 'all:\\n\\ttrue\\n' >Makefile && make -s && "
                  "git init -q r && git -C r -c user.email=a@b -c user.name=a commit -q "
                  "--allow-empty -m m && tar -cf t.tar r && rm -rf $d",
                  NULL };
  check_program(&def, "default: gcc, make, git, tar", gcc);
  char *java[] = { "/usr/bin/java", "-XX:-UsePerfData", "-version", NULL }; /* no /tmp/hsperfdata_* */
  check_program(&def, "default: java -version", java);
}

static void kernel_tests_strict_log(void) {
  check_call(&strict, "strict: socket(AF_UNIX)", 0, SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0);
  check_call(&strict, "strict: socket(AF_INET)", EPERM, SYS_socket, AF_INET, SOCK_STREAM, 0, 0);
  check_call(&strict, "strict: socket(AF_NETLINK, NETLINK_ROUTE)", EPERM, SYS_socket, AF_NETLINK,
             SOCK_RAW, NETLINK_ROUTE, 0);
  check_call(&strict, "strict: unshare(CLONE_FILES)", EPERM, SYS_unshare, CLONE_FILES, 0, 0, 0);
  check_call(&strict, "strict: personality(PER_LINUX32)", EPERM, SYS_personality, PER_LINUX32,
             0, 0, 0);
  check_call(&strict, "strict: personality(0xffffffff)", 0, SYS_personality, 0xffffffff, 0, 0, 0);
  check_call(&strict, "strict: memfd_create", 0, SYS_memfd_create, (unsigned long)"x",
             MFD_CLOEXEC, 0, 0);
  check_ioctl(&strict, "strict: ioctl(/dev/null, TIOCSETD)", TIOCSETD, EPERM);
  char *node[] = { "/usr/bin/node", "-e", "require('fs').readdirSync('/')", NULL };
  check_program(&strict, "strict: node starts", node);

  /* Log mode: the call reaches the kernel. CLONE_NEWUSER | 1 has an invalid bit the
   * kernel refuses with EINVAL, so this tells "reached the kernel" from "denied"
   * whether or not this machine allows user namespaces. */
  check_call(&logset, "log: unshare(CLONE_NEWUSER|1) reaches the kernel", EINVAL, SYS_unshare,
             CLONE_NEWUSER | 1, 0, 0, 0);
  struct call c = { SYS_unshare, { CLONE_NEWUSER } };
  struct outcome base = run_probe(NULL, do_call, &c), o = run_probe(&logset, do_call, &c);
  char b1[128], b2[128];
  tap_ok(!o.weird && !o.killed && o.err == base.err,
         "log: unshare(CLONE_NEWUSER) behaves as without a filter (got %s, unfiltered %s)",
         outcome_str(o, b1, sizeof b1), outcome_str(base, b2, sizeof b2));
  o = run_probe(&logset, do_x32_getpid, NULL);
  tap_ok(!o.weird && ((o.killed && o.sig == SIGSYS) || (!o.killed && o.err == ENOSYS)),
         "log: x32 getpid still does not succeed (got %s)", outcome_str(o, b1, sizeof b1));
}

#define N_TESTS 72

int main(void) {
  hm_error err = { 0 };
  if (prctl(PR_GET_SECCOMP) != 0)
    tap_skip_all("this process already runs under a seccomp filter");
  /* valgrind does not implement seccomp(2), so libseccomp's probes of the kernel's
   * actions fail; tell it the level this kernel has (4.14+: KILL_PROCESS, LOG). */
  uint32_t action = SECCOMP_RET_KILL_PROCESS;
  if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0 && errno == ENOSYS) {
    tap_diag("seccomp(2) is ENOSYS here (valgrind?): forcing libseccomp API level 3");
    seccomp_api_set(3);
  }
  tap_plan(N_TESTS);
  double t0 = hm_now_ms();
  int r1 = hm_seccomp_build(HM_SECCOMP_DEFAULT, &def, &err);
  double t1 = hm_now_ms();
  bool built = tap_ok(r1 == 0, "build default: %s (%.2f ms)", r1 == 0 ? "ok" : err.msg, t1 - t0);
  int r2 = hm_seccomp_build(HM_SECCOMP_STRICT, &strict, &err);
  built &= tap_ok(r2 == 0, "build strict: %s", r2 == 0 ? "ok" : err.msg);
  int r3 = hm_seccomp_build(HM_SECCOMP_LOG, &logset, &err);
  built &= tap_ok(r3 == 0, "build log: %s", r3 == 0 ? "ok" : err.msg);
  if (!built) {
    tap_diag("cannot build the profiles; stopping");
    return 1;
  }
  tap_diag("instructions: default %zu, strict %zu, log %zu", def.n_insns, strict.n_insns,
           logset.n_insns);
  api_tests();
  emu_tests();
  kernel_tests_default();
  kernel_tests_strict_log();
  hm_seccomp_free(&def);
  hm_seccomp_free(&strict);
  hm_seccomp_free(&logset);
  return tap_exit_status(N_TESTS);
}
