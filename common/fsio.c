/* Path helpers for setting up mounts: every component is opened with O_NOFOLLOW, so a
 * symlink planted anywhere on a path (for instance by an earlier build in its workspace)
 * is refused instead of followed to somewhere else. openat2(RESOLVE_NO_SYMLINKS) would do
 * the same in one call, but valgrind does not know it; this walk works everywhere. */
#include "hm-fsio.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

void hm_fd_path(char *buf, size_t len, const char *proc_prefix, int fd) {
  snprintf(buf, len, "%s/proc/self/fd/%d", proc_prefix, fd);
}

/* Next component of *p (skipping slashes) into comp; returns false at the end. */
static bool next_component(const char **p, char *comp, size_t len) {
  const char *s = *p;
  while (*s == '/')
    s++;
  if (!*s)
    return false;
  size_t n = strcspn(s, "/");
  if (n >= len)
    n = len - 1;
  memcpy(comp, s, n);
  comp[n] = '\0';
  *p = s + strcspn(s, "/");
  return true;
}

static bool is_last(const char *p) {
  while (*p == '/')
    p++;
  return *p == '\0';
}

enum walk_create { WALK_OPEN, WALK_MKDIR, WALK_MKFILE };

static int walk(int dirfd, const char *relpath, int final_flags, enum walk_create create,
                mode_t mode, hm_error *err) {
  _cleanup_close_ int cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return hm_error_errno(err, errno, "opening the directory %s is beneath", relpath);
  const char *p = relpath;
  char comp[256];
  while (next_component(&p, comp, sizeof comp)) {
    bool last = is_last(p);
    if (strcmp(comp, "..") == 0)
      return hm_error_set(err, EINVAL, "%s: '..' is not allowed in this path", relpath);
    if (strcmp(comp, ".") == 0)
      continue;
    int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    if (last)
      flags = (final_flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(cur, comp, flags);
    if (fd < 0 && errno == ENOENT && create != WALK_OPEN) {
      int r;
      if (last && create == WALK_MKFILE) {
        r = mknodat(cur, comp, S_IFREG | 0644, 0);
      } else {
        r = mkdirat(cur, comp, mode);
      }
      if (r < 0 && errno != EEXIST)
        return hm_error_errno(err, errno, "creating %s (component '%s')", relpath, comp);
      fd = openat(cur, comp, flags);
    }
    if (fd < 0) {
      if (errno == ELOOP)
        return hm_error_set(err, ELOOP, "%s: component '%s' is a symlink, refused", relpath, comp);
      return hm_error_errno(err, errno, "opening %s (component '%s')", relpath, comp);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
      int e = errno;
      close(fd);
      return hm_error_errno(err, e, "stat %s", relpath);
    }
    /* O_PATH|O_NOFOLLOW opens a symlink itself rather than failing: check explicitly. */
    if (S_ISLNK(st.st_mode)) {
      close(fd);
      return hm_error_set(err, ELOOP, "%s: component '%s' is a symlink, refused", relpath, comp);
    }
    if (!last && !S_ISDIR(st.st_mode)) {
      close(fd);
      return hm_error_set(err, ENOTDIR, "%s: component '%s' is not a directory", relpath, comp);
    }
    close(cur);
    cur = fd;
  }
  return steal_fd(&cur);
}

int hm_open_beneath(int dirfd, const char *relpath, int flags, hm_error *err) {
  return walk(dirfd, relpath, flags, WALK_OPEN, 0, err);
}

int hm_mkdir_beneath(int dirfd, const char *relpath, mode_t mode, hm_error *err) {
  return walk(dirfd, relpath, O_PATH | O_DIRECTORY, WALK_MKDIR, mode, err);
}

int hm_mkfile_beneath(int dirfd, const char *relpath, hm_error *err) {
  return walk(dirfd, relpath, O_PATH, WALK_MKFILE, 0755, err);
}

int hm_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, hm_error *err) {
  if (!path || path[0] != '/')
    return hm_error_set(err, EINVAL, "%s: expected an absolute path", path ? path : "(null)");
  const char *slash = strrchr(path, '/');
  const char *name = slash + 1;
  if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return hm_error_set(err, EINVAL, "%s: not a file name", path);
  char dir[4096];
  size_t dl = (size_t)(slash - path);
  if (dl >= sizeof dir)
    return hm_error_set(err, ENAMETOOLONG, "%s: path too long", path);
  memcpy(dir, path, dl);
  dir[dl] = '\0';
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return hm_error_errno(err, errno, "opening /");
  _cleanup_close_ int dfd = hm_open_beneath(root, dir, O_PATH | O_DIRECTORY, err);
  if (dfd < 0)
    return hm_error_wrap(err, "writing %s", path);
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
    return hm_error_set(err, EISDIR, "writing %s: a directory is in the way", path);
  char tmp[300];
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    snprintf(tmp, sizeof tmp, ".%.200s.tmp.%d.%d", name, (int)getpid(), attempt);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST)
      return hm_error_errno(err, errno, "creating a temporary file beside %s", path);
  }
  if (fd < 0)
    return hm_error_set(err, EEXIST, "creating a temporary file beside %s: too many stale ones", path);
  int r = hm_write_all(fd, data, len);
  if (r == 0 && fsync(fd) < 0)
    r = -errno;
  if (close(fd) < 0 && r == 0)
    r = -errno;
  if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
    r = -errno;
  if (r < 0) {
    unlinkat(dfd, tmp, 0);
    return hm_error_errno(err, -r, "writing %s", path);
  }
  return 0;
}
