/* File-system helpers with side effects, for code that touches paths a build could have
 * influenced: nothing here follows a symlink. */
#ifndef HM_FSIO_H
#define HM_FSIO_H

#include <sys/types.h>

#include "hm-util.h"

/* Open relpath beneath dirfd one component at a time with O_NOFOLLOW; refuses "..",
 * symlinks and non-directories in the middle. flags apply to the last component (add
 * O_DIRECTORY to require a directory). Returns an O_CLOEXEC fd or -errno. */
int hm_open_beneath(int dirfd, const char *relpath, int flags, hm_error *err);
/* Like hm_open_beneath(O_PATH|O_DIRECTORY), creating missing directories with mode. */
int hm_mkdir_beneath(int dirfd, const char *relpath, mode_t mode, hm_error *err);
/* Open, or create as an empty regular file, relpath beneath dirfd (O_PATH fd). */
int hm_mkfile_beneath(int dirfd, const char *relpath, hm_error *err);
/* "<proc_prefix>/proc/self/fd/N". */
void hm_fd_path(char *buf, size_t len, const char *proc_prefix, int fd);

/* Write data to the absolute path `path` atomically and without following a symlink
 * anywhere: the directory is opened component by component from / with O_NOFOLLOW, the
 * data goes to a fresh O_EXCL temporary file there, is fsync'ed, and renamed over the
 * name (rename replaces a planted symlink or file, never writes through it; a planted
 * directory makes it fail). `path` must be canonical (no symlink components). */
int hm_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, hm_error *err);

/* The same, streamed: open a fresh temporary file in `path`'s directory (same rules;
 * unnamed, O_TMPFILE, where the file system allows), write to f->fd, then commit (fsync,
 * name it, rename over `path`) or abort. Nothing is visible at `path` until the commit,
 * and with O_TMPFILE nothing has a name before it either, so a process that can write the
 * directory meanwhile cannot swap the file. */
struct hm_atomic_file {
  int dirfd, fd;
  mode_t mode;
  char path[4096], name[256], tmp[300]; /* tmp: "" while unnamed */
};
int hm_atomic_file_open(struct hm_atomic_file *f, const char *path, mode_t mode, hm_error *err);
int hm_atomic_file_commit(struct hm_atomic_file *f, hm_error *err);
void hm_atomic_file_abort(struct hm_atomic_file *f);

#endif
