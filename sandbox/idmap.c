/* Idmapped workspace for root mode. Started as root, the build runs as an unprivileged
 * host uid that owns nothing; its workspace is bound through an idmapped mount so that
 * the files it writes land on disk owned by the workspace's owner (a runner can clean up)
 * and the owner's files there look like the build's own. Needs CAP_SYS_ADMIN in the
 * initial user namespace (so only the launcher can do it) and a filesystem that supports
 * idmapped mounts (ext4, xfs, btrfs, tmpfs >= 6.3, overlayfs >= 5.19). */
#include "internal.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/mount.h>

static int write_file(const char *path, const char *data) {
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  return hm_write_all(fd, data, strlen(data));
}

/* The helper only has to exist, in its new user namespace, while we write its maps and
 * open its namespace. It shares our memory (CLONE_VM: unlike a fork, no copy of the
 * launcher's page tables to make and tear down) and waits for EOF on the pipe. With every
 * signal blocked and raw system calls, it never writes errno or runs a handler here. */
__attribute__((no_sanitize_address)) static int helper_main(void *arg) {
  const int *pipefd = arg;
  char c;
  syscall(SYS_close, pipefd[1]);
  syscall(SYS_read, pipefd[0], &c, 1);
  return 0;
}

/* valgrind runs fork-, vfork- and thread-like clones only and exits on any other; under
 * it (its preload library is in LD_PRELOAD) the helper is a plain fork. */
static bool under_valgrind(void) {
  const char *p = getenv("LD_PRELOAD");
  return p && strstr(p, "vgpreload");
}

/* A user namespace fd whose maps say: id owner <-> host id. */
static int make_userns(uid_t owner_uid, gid_t owner_gid, uid_t host_uid, gid_t host_gid,
                       hm_error *err) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return hm_error_errno(err, errno, "creating a pipe");
  /* Its stack: in this frame, which outlives it (we reap it before returning). */
  char stack[16 * 1024] __attribute__((aligned(16)));
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  int flags = (under_valgrind() ? 0 : CLONE_VM) | CLONE_NEWUSER | SIGCHLD;
  pid_t pid = clone(helper_main, stack + sizeof stack, flags, pipefd);
  int e = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return hm_error_errno(err, e, "creating the user namespace for the idmapped workspace");
  }
  close(pipefd[0]);
  char path[64], map[96];
  int r = 0, fd = -1;
  snprintf(map, sizeof map, "%u %u 1\n", owner_uid, host_uid);
  snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
  if ((r = write_file(path, map)) < 0)
    goto out;
  snprintf(map, sizeof map, "%u %u 1\n", owner_gid, host_gid);
  snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
  if ((r = write_file(path, map)) < 0)
    goto out;
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    r = -errno;
out:
  close(pipefd[1]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return hm_error_errno(err, -r, "writing the idmap user namespace's maps");
  return fd;
}

int hm_idmap_clone(const char *path, uid_t owner_uid, gid_t owner_gid, uid_t host_uid,
                   gid_t host_gid, hm_error *err) {
  _cleanup_close_ int userns = make_userns(owner_uid, owner_gid, host_uid, host_gid, err);
  if (userns < 0)
    return userns;
  _cleanup_close_ int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path,
                                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
  if (tree < 0)
    return hm_error_errno(err, errno, "cloning %s for an idmapped mount (open_tree)", path);
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
      .userns_fd = (uint64_t)userns,
  };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return hm_error_errno(err, errno,
                          "idmapping %s (mount_setattr): its filesystem may not support idmapped "
                          "mounts; started as root, hermetic needs them so the build never runs as "
                          "the workspace's owner", path);
  return steal_fd(&tree);
}
