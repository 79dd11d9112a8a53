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

#endif
