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

static int named_temp(int dfd, struct hm_atomic_file *f, hm_error *err) {
  for (int attempt = 0; attempt < 100 && f->fd < 0; attempt++) {
    snprintf(f->tmp, sizeof f->tmp, ".%.200s.tmp.%d.%d", f->name, (int)getpid(), attempt);
    f->fd = openat(dfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, f->mode);
    if (f->fd < 0 && errno != EEXIST)
      return hm_error_errno(err, errno, "creating a temporary file beside %s", f->path);
  }
  if (f->fd < 0)
    return hm_error_set(err, EEXIST, "creating a temporary file beside %s: too many stale ones", f->path);
  return 0;
}

/* Create the temporary file unnamed (O_TMPFILE) where the file system allows it: while a
 * build runs, the build can rename or replace any name in the workspace, and commit must
 * not rename the build's file into place. Only at commit, when nothing of the build is
 * left, does the file get a name. Elsewhere: a named O_EXCL temporary file. */
int hm_atomic_file_open(struct hm_atomic_file *f, const char *path, mode_t mode, hm_error *err) {
  f->dirfd = f->fd = -1;
  f->tmp[0] = '\0';
  f->mode = mode;
  if (!path || path[0] != '/')
    return hm_error_set(err, EINVAL, "%s: expected an absolute path", path ? path : "(null)");
  const char *slash = strrchr(path, '/');
  const char *name = slash + 1;
  if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return hm_error_set(err, EINVAL, "%s: not a file name", path);
  if (strlen(name) >= sizeof f->name || strlen(path) >= sizeof f->path)
    return hm_error_set(err, ENAMETOOLONG, "%s: path too long", path);
  snprintf(f->path, sizeof f->path, "%s", path);
  snprintf(f->name, sizeof f->name, "%s", name);
  char dir[4096];
  size_t dl = (size_t)(slash - path);
  memcpy(dir, path, dl);
  dir[dl] = '\0';
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return hm_error_errno(err, errno, "opening /");
  /* O_PATH is not enough for O_TMPFILE: open the directory itself (still no symlink). */
  _cleanup_close_ int dfd = hm_open_beneath(root, dir, O_RDONLY | O_DIRECTORY, err);
  if (dfd == -EACCES) /* searchable but not readable: no O_TMPFILE, a named file still works */
    dfd = hm_open_beneath(root, dir, O_PATH | O_DIRECTORY, err);
  if (dfd < 0)
    return hm_error_wrap(err, "writing %s", path);
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
    return hm_error_set(err, EISDIR, "writing %s: a directory is in the way", path);
  f->fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (f->fd >= 0) {
    f->dirfd = steal_fd(&dfd);
    return 0;
  }
  /* EBADF: dfd is an O_PATH fd (above). */
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != EBADF)
    return hm_error_errno(err, errno, "creating a temporary file beside %s", path);
  int r = named_temp(dfd, f, err);
  if (r < 0)
    return r;
  f->dirfd = steal_fd(&dfd);
  return 0;
}

int hm_atomic_file_commit(struct hm_atomic_file *f, hm_error *err) {
  if (f->fd < 0)
    return hm_error_set(err, EBADF, "writing %s: not open", f->path);
  int r = 0;
  if (fsync(f->fd) < 0)
    r = -errno;
  if (r == 0 && !f->tmp[0]) {
    /* Give the unnamed file a fresh temporary name, then rename it over the target. */
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    for (int attempt = 0; attempt < 100; attempt++) {
      snprintf(f->tmp, sizeof f->tmp, ".%.200s.tmp.%d.%d", f->name, (int)getpid(), attempt);
      if (linkat(AT_FDCWD, proc, f->dirfd, f->tmp, AT_SYMLINK_FOLLOW) == 0)
        break;
      r = -errno;
      f->tmp[0] = '\0';
      if (r != -EEXIST)
        break;
    }
    if (!f->tmp[0] && r == 0)
      r = -EEXIST;
  }
  if (close(f->fd) < 0 && r == 0)
    r = -errno;
  f->fd = -1;
  if (r == 0 && renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0)
    r = -errno;
  if (r < 0) {
    hm_atomic_file_abort(f);
    return hm_error_errno(err, -r, "writing %s", f->path);
  }
  close(f->dirfd);
  f->dirfd = -1;
  return 0;
}

void hm_atomic_file_abort(struct hm_atomic_file *f) {
  if (f->fd >= 0)
    close(f->fd);
  if (f->dirfd >= 0) {
    if (f->tmp[0])
      unlinkat(f->dirfd, f->tmp, 0);
    close(f->dirfd);
  }
  f->fd = f->dirfd = -1;
}

int hm_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, hm_error *err) {
  struct hm_atomic_file f;
  int r = hm_atomic_file_open(&f, path, mode, err);
  if (r < 0)
    return r;
  if ((r = hm_write_all(f.fd, data, len)) < 0) {
    hm_atomic_file_abort(&f);
    return hm_error_errno(err, -r, "writing %s", path);
  }
  return hm_atomic_file_commit(&f, err);
}
