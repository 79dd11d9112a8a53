/* syscall_try NAME [ARG]: make one dangerous system call and print OK or the errno name.
 * Each attempt is harmless when it succeeds (it only touches objects the probe creates
 * and releases them), so the probe can be validated on a bare host, where every attempt
 * is expected to print OK as root. Names:
 *   keyctl add_key request_key bpf perf_event_open userfaultfd io_uring_setup
 *   mount umount fsopen open_tree move_mount pivot_root chroot
 *   unshare-user unshare-net unshare-mount clone-newuser clone3 setns
 *   ptrace-attach PID | ptrace-child | process_vm_readv | open_by_handle_at
 *   x32-getpid (the x32 ABI: kernels without it say ENOSYS, a filter kills the process)
 *   settimeofday sethostname swapon reboot syslog acct (host-wide state)
 *   init_module finit_module delete_module kexec_load kexec_file_load
 * The host-wide, module and kexec calls get arguments the kernel rejects only after its
 * privilege check (a NULL time, an over-long hostname, a missing path, no reboot magic,
 * an empty module image, a bad fd, an absent module, unknown kexec flags): OK means the
 * call got past that check, and nothing on the host changes even as root. */
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define X32_SYSCALL_BIT 0x40000000L

static long try_keyctl(void)
{
  return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1);
}

static long try_add_key(void)
{
  /* The process keyring dies with this process. */
  return syscall(SYS_add_key, "user", "hermetic-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
}

static long try_request_key(void)
{
  long r = syscall(SYS_request_key, "user", "hermetic-probe-absent", NULL, KEY_SPEC_PROCESS_KEYRING);
  /* ENOKEY means the call itself was allowed. */
  if (r < 0 && errno == ENOKEY)
    return 0;
  return r;
}

static long try_bpf(void)
{
  union bpf_attr attr = { 0 };
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long try_perf_event_open(void)
{
  struct perf_event_attr attr = { 0 };
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long try_userfaultfd(void)
{
  long fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long try_io_uring_setup(void)
{
  struct io_uring_params p = { 0 };
  long fd = syscall(SYS_io_uring_setup, 1, &p);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long try_mount(void)
{
  char dir[] = "/tmp/hermetic-probe-mnt.XXXXXX";
  if (!mkdtemp(dir))
    return -1;
  long r = mount("none", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=16k");
  int e = errno;
  if (r == 0)
    umount2(dir, MNT_DETACH);
  rmdir(dir);
  errno = e;
  return r;
}

static long try_umount(void)
{
  /* A path that does not exist: a kernel that runs the call looks it up and says ENOENT
   * (before any privilege check), a filter says EPERM. Nothing is ever unmounted. */
  long r = umount2("/nonexistent-hermetic-probe", 0);
  if (r < 0 && errno == ENOENT)
    return 0;
  return r;
}

static long try_fsopen(void)
{
  long fd = syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long try_open_tree(void)
{
  long fd = syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);
  if (fd >= 0)
    close(fd);
  return fd;
}

static long try_move_mount(void)
{
  /* Invalid on purpose (no source): a kernel that runs it says ENOENT/EINVAL, a filter
   * says EPERM before the kernel looks at the arguments. */
  long r = syscall(SYS_move_mount, -1, "", AT_FDCWD, "/tmp", 0);
  if (r < 0 && (errno == EBADF || errno == ENOENT || errno == EINVAL))
    return 0;
  return r;
}

static long try_pivot_root(void)
{
  /* Paths that do not exist: a kernel that runs the call says ENOENT (root) or EPERM
   * (unprivileged, checked first), so only ENOENT proves the call got through. */
  long r = syscall(SYS_pivot_root, "/nonexistent-hermetic", "/nonexistent-hermetic");
  if (r < 0 && errno == ENOENT)
    return 0;
  return r;
}

static long try_chroot(void)
{
  return chroot("/");
}

static long in_child(int flags)
{
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0)
    _exit(unshare(flags) == 0 ? 0 : (errno & 0xff));
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(st)) {
    errno = EINTR;
    return -1;
  }
  if (WEXITSTATUS(st) == 0)
    return 0;
  errno = WEXITSTATUS(st);
  return -1;
}

static long try_clone_newuser(void)
{
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0)
    _exit(0);
  if (pid > 0)
    waitpid(pid, NULL, 0);
  return pid;
}

static long try_clone3(void)
{
  struct clone_args args = { 0 };
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0)
    _exit(0);
  if (pid > 0)
    waitpid(pid, NULL, 0);
  return pid;
}

static long try_setns(void)
{
  int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  long r = setns(fd, CLONE_NEWNET);
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static long try_ptrace_attach(pid_t pid)
{
  long r = ptrace(PTRACE_ATTACH, pid, 0, 0);
  if (r == 0) {
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_DETACH, pid, 0, 0);
  }
  return r;
}

static long try_ptrace_child(void)
{
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    sleep(5);
    _exit(0);
  }
  long r = try_ptrace_attach(pid);
  int e = errno;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  errno = e;
  return r;
}

static long try_process_vm_readv(void)
{
  static char src[16] = "hermetic";
  char dst[16];
  struct iovec l = { dst, sizeof dst }, r = { src, sizeof src };
  return process_vm_readv(getpid(), &l, 1, &r, 1, 0);
}

static long try_open_by_handle_at(void)
{
  /* "Shocker": with CAP_DAC_READ_SEARCH a file handle opens any inode of the mount. */
  struct {
    struct file_handle fh;
    unsigned char buf[MAX_HANDLE_SZ];
  } h;
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  int mnt_id;
  if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mnt_id, 0) < 0)
    return -1;
  int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  long fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
  int e = errno;
  if (fd >= 0)
    close(fd);
  close(mfd);
  errno = e;
  return fd;
}

static long try_x32_getpid(void)
{
  return syscall(X32_SYSCALL_BIT | SYS_getpid);
}

/* errno values that mean "the kernel ran the call past its privilege check". */
static long past_privilege_check(long r, int e1, int e2)
{
  if (r < 0 && (errno == e1 || errno == e2))
    return 0;
  return r;
}

static long try_settimeofday(void)
{
  /* Neither a time nor a zone: CAP_SYS_TIME is checked, then nothing is set. */
  return syscall(SYS_settimeofday, NULL, NULL);
}

static long try_sethostname(void)
{
  /* The length is checked after CAP_SYS_ADMIN: too long, so nothing is renamed. */
  static const char name[] = "hermetic-probe";
  return past_privilege_check(syscall(SYS_sethostname, name, 1000), EINVAL, EINVAL);
}

static long try_swapon(void)
{
  return past_privilege_check(syscall(SYS_swapon, "/nonexistent-hermetic-probe", 0), ENOENT, ENOENT);
}

static long try_reboot(void)
{
  /* CAP_SYS_BOOT first, then the magic numbers: without them nothing reboots. */
  return past_privilege_check(syscall(SYS_reboot, 0, 0, 0, NULL), EINVAL, EINVAL);
}

static long try_syslog(void)
{
  /* SYSLOG_ACTION_SIZE_BUFFER: reads the size of the kernel log buffer. */
  return syscall(SYS_syslog, 10, NULL, 0);
}

static long try_acct(void)
{
  /* The file is opened before accounting is switched: a missing one changes nothing. */
  return past_privilege_check(syscall(SYS_acct, "/nonexistent-hermetic-probe"), ENOENT, ENOENT);
}

static long try_init_module(void)
{
  /* An image shorter than an ELF header is refused after CAP_SYS_MODULE. */
  return past_privilege_check(syscall(SYS_init_module, NULL, 0, ""), ENOEXEC, EFAULT);
}

static long try_finit_module(void)
{
  return past_privilege_check(syscall(SYS_finit_module, -1, "", 0), EBADF, EBADF);
}

static long try_delete_module(void)
{
  return past_privilege_check(syscall(SYS_delete_module, "hermetic_probe_absent", O_NONBLOCK),
                              ENOENT, ENOENT);
}

static long try_kexec_load(void)
{
  /* Unknown flags and too many segments (KEXEC_SEGMENT_MAX is 16), both checked after
   * CAP_SYS_BOOT; never zero segments, which would unload a loaded image. */
  return past_privilege_check(syscall(SYS_kexec_load, 0, 17, NULL, 0x8000ul), EINVAL, EINVAL);
}

static long try_kexec_file_load(void)
{
  /* Unknown flags (neither KEXEC_FILE_UNLOAD nor ON_CRASH), checked after CAP_SYS_BOOT. */
  return past_privilege_check(syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0x8000ul), EINVAL,
                              EINVAL);
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: syscall_try NAME [ARG]\n");
    return 2;
  }
  const char *n = argv[1];
  long r;
  errno = 0;
  if (!strcmp(n, "keyctl")) r = try_keyctl();
  else if (!strcmp(n, "add_key")) r = try_add_key();
  else if (!strcmp(n, "request_key")) r = try_request_key();
  else if (!strcmp(n, "bpf")) r = try_bpf();
  else if (!strcmp(n, "perf_event_open")) r = try_perf_event_open();
  else if (!strcmp(n, "userfaultfd")) r = try_userfaultfd();
  else if (!strcmp(n, "io_uring_setup")) r = try_io_uring_setup();
  else if (!strcmp(n, "mount")) r = try_mount();
  else if (!strcmp(n, "umount")) r = try_umount();
  else if (!strcmp(n, "fsopen")) r = try_fsopen();
  else if (!strcmp(n, "open_tree")) r = try_open_tree();
  else if (!strcmp(n, "move_mount")) r = try_move_mount();
  else if (!strcmp(n, "pivot_root")) r = try_pivot_root();
  else if (!strcmp(n, "chroot")) r = try_chroot();
  else if (!strcmp(n, "unshare-user")) r = in_child(CLONE_NEWUSER);
  else if (!strcmp(n, "unshare-net")) r = in_child(CLONE_NEWNET);
  else if (!strcmp(n, "unshare-mount")) r = in_child(CLONE_NEWNS);
  else if (!strcmp(n, "clone-newuser")) r = try_clone_newuser();
  else if (!strcmp(n, "clone3")) r = try_clone3();
  else if (!strcmp(n, "setns")) r = try_setns();
  else if (!strcmp(n, "ptrace-attach") && argc > 2) r = try_ptrace_attach(atoi(argv[2]));
  else if (!strcmp(n, "ptrace-child")) r = try_ptrace_child();
  else if (!strcmp(n, "process_vm_readv")) r = try_process_vm_readv();
  else if (!strcmp(n, "open_by_handle_at")) r = try_open_by_handle_at();
  else if (!strcmp(n, "x32-getpid")) r = try_x32_getpid();
  else if (!strcmp(n, "settimeofday")) r = try_settimeofday();
  else if (!strcmp(n, "sethostname")) r = try_sethostname();
  else if (!strcmp(n, "swapon")) r = try_swapon();
  else if (!strcmp(n, "reboot")) r = try_reboot();
  else if (!strcmp(n, "syslog")) r = try_syslog();
  else if (!strcmp(n, "acct")) r = try_acct();
  else if (!strcmp(n, "init_module")) r = try_init_module();
  else if (!strcmp(n, "finit_module")) r = try_finit_module();
  else if (!strcmp(n, "delete_module")) r = try_delete_module();
  else if (!strcmp(n, "kexec_load")) r = try_kexec_load();
  else if (!strcmp(n, "kexec_file_load")) r = try_kexec_file_load();
  else {
    fprintf(stderr, "syscall_try: unknown name %s\n", n);
    return 2;
  }
  probe_report(NULL, r, errno);
  return r < 0 ? 1 : 0;
}
