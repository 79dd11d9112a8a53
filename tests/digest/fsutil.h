/* Scratch trees for the digest tests: a fresh directory, files and links in it, and
 * removal of the whole tree (without following symlinks). Aborts on a set-up failure:
 * a test that cannot build its tree has nothing to say. */
#ifndef HM_TEST_FSUTIL_H
#define HM_TEST_FSUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((noreturn)) static inline void fs_die(const char *what, const char *path) {
  printf("Bail out! %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static inline char *fs_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  char *path = NULL;
  if (asprintf(&path, "%s/hm-%s.XXXXXX", base && *base ? base : "/tmp", tag) < 0)
    fs_die("asprintf", tag);
  if (!mkdtemp(path))
    fs_die("mkdtemp", path);
  return path;
}

/* "root/rel" in a static-free heap string. */
static inline char *fs_join(const char *root, const char *rel) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s", root, rel) < 0)
    fs_die("asprintf", rel);
  return p;
}

static inline void fs_mkdirs(const char *root, const char *rel) {
  char *p = fs_join(root, rel);
  for (char *s = p + strlen(root) + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
      fs_die("mkdir", p);
    *s = '/';
  }
  if (mkdir(p, 0755) < 0 && errno != EEXIST)
    fs_die("mkdir", p);
  free(p);
}

/* Parent directories of rel are created. */
static inline void fs_write(const char *root, const char *rel, const void *data, size_t len) {
  char *dir = strdup(rel), *slash = strrchr(dir, '/');
  if (slash) {
    *slash = '\0';
    fs_mkdirs(root, dir);
  }
  free(dir);
  char *p = fs_join(root, rel);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    fs_die("creating", p);
  const char *c = data;
  while (len > 0) {
    ssize_t n = write(fd, c, len);
    if (n < 0)
      fs_die("writing", p);
    c += n;
    len -= (size_t)n;
  }
  close(fd);
  free(p);
}

static inline void fs_write_str(const char *root, const char *rel, const char *s) {
  fs_write(root, rel, s, strlen(s));
}

static inline void fs_symlink(const char *root, const char *rel, const char *target) {
  char *p = fs_join(root, rel);
  if (symlink(target, p) < 0)
    fs_die("symlink", p);
  free(p);
}

static inline void fs_mkfifo(const char *root, const char *rel) {
  char *p = fs_join(root, rel);
  if (mkfifo(p, 0644) < 0)
    fs_die("mkfifo", p);
  free(p);
}

static inline int fs_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (type == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

static inline void fs_rm_rf(const char *path) {
  nftw(path, fs_rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

/* Deterministic bytes (xorshift), so a failure reproduces. */
static inline void fs_fill(unsigned char *buf, size_t len, unsigned seed) {
  unsigned x = seed * 2654435761u + 1;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (unsigned char)x;
  }
}

#endif
