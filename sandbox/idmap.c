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

/* A user namespace fd whose maps say: id owner <-> host id. */
static int make_userns(uid_t owner_uid, gid_t owner_gid, uid_t host_uid, gid_t host_gid,
                       hm_error *err) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return hm_error_errno(err, errno, "creating a pipe");
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) {
    int e = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    return hm_error_errno(err, e, "creating the user namespace for the idmapped workspace");
  }
  if (pid == 0) {
    char c;
    close(pipefd[1]);
    while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
      ;
    _exit(0);
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
