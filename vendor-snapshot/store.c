/* The content-addressed store: DIR/blobs/<algo>/<hex>, npm's cacache content layout as
 * hard links to the same files, and DIR/tmp for downloads under way. A blob gets its name
 * only by a rename from tmp/ after its digest matched (store-admit below), so every name
 * under blobs/ is a verified file. Nothing here follows a symlink: DIR is opened with
 * O_NOFOLLOW and everything below it relative to that fd. */
#include "snapshot-int.h"
#include "store-int.h"
#include "hm-fsio.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

void hm_snap_blob_relpath(enum hm_snap_algo algo, const char *hex, char *buf, size_t len) {
  snprintf(buf, len, "blobs/%s/%s", hm_snap_algo_name(algo), hex);
}

void hm_snap_npm_relpath(enum hm_snap_algo algo, const char *hex, char *buf, size_t len) {
  snprintf(buf, len, "npm/_cacache/content-v2/%s/%.2s/%.2s/%s", hm_snap_algo_name(algo), hex,
           hex + 2, hex + 4);
}

void hm_snap_part_relpath(enum hm_snap_algo algo, const char *hex, char *buf, size_t len) {
  snprintf(buf, len, "tmp/%s-%s.part", hm_snap_algo_name(algo), hex);
}

/* mkdir -p of relpath under dirfd, component by component; a symlink or non-directory on
 * the way is refused (hm_mkdir_beneath opens each component with O_NOFOLLOW). */
static int ensure_dir(struct hm_snap_store *s, const char *relpath, hm_error *err) {
  int fd = hm_mkdir_beneath(s->dirfd, relpath, 0755, err);
  if (fd < 0)
    return hm_error_wrap(err, "%s", s->path);
  close(fd);
  return 0;
}

int hm_snap_store_open(const char *dir, bool create, struct hm_snap_store **out, hm_error *err) {
  static const char *const subdirs[] = {
      "blobs/sha1", "blobs/sha256", "blobs/sha512", "npm/_cacache/content-v2/sha1",
      "npm/_cacache/content-v2/sha256", "npm/_cacache/content-v2/sha512", "tmp"};
  _cleanup_free_ struct hm_snap_store *s = calloc(1, sizeof(*s));
  if (!s)
    return hm_error_set(err, ENOMEM, "out of memory");
  s->dirfd = s->lock_fd = -1;
  if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
    return hm_error_errno(err, errno, "creating the snapshot directory %s", dir);
  s->dirfd = hm_snap_open_dir(dir, err);
  if (s->dirfd < 0)
    return s->dirfd;
  s->path = strdup(dir);
  if (!s->path) {
    close(s->dirfd);
    return hm_error_set(err, ENOMEM, "out of memory");
  }
  int r = 0;
  for (size_t i = 0; i < HM_ARRAY_SIZE(subdirs) && r == 0; i++)
    r = ensure_dir(s, subdirs[i], err);
  if (r == 0) {
    s->lock_fd = openat(s->dirfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (s->lock_fd < 0)
      r = hm_error_errno(err, errno, "%s/.lock", dir);
    else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
      r = hm_error_errno(err, errno == EWOULDBLOCK ? EBUSY : errno,
                         "%s is being written by another hermetic snapshot fetch", dir);
  }
  if (r < 0) {
    hm_snap_store_close(steal_pointer(&s));
    return r;
  }
  *out = steal_pointer(&s);
  return 0;
}

void hm_snap_store_close(struct hm_snap_store *s) {
  if (!s)
    return;
  if (s->lock_fd >= 0)
    close(s->lock_fd);
  if (s->dirfd >= 0)
    close(s->dirfd);
  free(s->path);
  free(s);
}

/* Make npm/... a hard link to the blob: created when missing, replaced (through a
 * temporary name and a rename) when it is some other file. */
static int link_npm(struct hm_snap_store *s, enum hm_snap_algo algo, const char *hex,
                    const struct stat *blob, hm_error *err) {
  char blobrel[HM_SNAP_RELPATH_MAX], npmrel[HM_SNAP_RELPATH_MAX], dirrel[HM_SNAP_RELPATH_MAX];
  hm_snap_blob_relpath(algo, hex, blobrel, sizeof(blobrel));
  hm_snap_npm_relpath(algo, hex, npmrel, sizeof(npmrel));
  struct stat st;
  if (fstatat(s->dirfd, npmrel, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == blob->st_ino &&
      st.st_dev == blob->st_dev)
    return 0;
  if (linkat(s->dirfd, blobrel, s->dirfd, npmrel, 0) == 0)
    return 0;
  if (errno == ENOENT) {
    /* The <xx>/<yy> directories: two mkdirat below the content-v2/<algo> that
     * hm_snap_store_open made, not a walk from DIR for every blob. */
    snprintf(dirrel, sizeof(dirrel), "%s", npmrel);
    char *slash = strrchr(dirrel, '/');
    *slash = '\0';
    char *mid = strrchr(dirrel, '/');
    *mid = '\0';
    if (mkdirat(s->dirfd, dirrel, 0755) < 0 && errno != EEXIST)
      return hm_error_errno(err, errno, "%s/%s", s->path, dirrel);
    *mid = '/';
    if (mkdirat(s->dirfd, dirrel, 0755) < 0 && errno != EEXIST)
      return hm_error_errno(err, errno, "%s/%s", s->path, dirrel);
    if (linkat(s->dirfd, blobrel, s->dirfd, npmrel, 0) == 0)
      return 0;
  }
  if (errno != EEXIST)
    return hm_error_errno(err, errno, "%s/%s", s->path, npmrel);
  char tmprel[HM_SNAP_RELPATH_MAX];
  snprintf(tmprel, sizeof(tmprel), "tmp/%s-%s.link", hm_snap_algo_name(algo), hex);
  unlinkat(s->dirfd, tmprel, 0);
  if (linkat(s->dirfd, blobrel, s->dirfd, tmprel, 0) < 0)
    return hm_error_errno(err, errno, "%s/%s", s->path, tmprel);
  if (renameat(s->dirfd, tmprel, s->dirfd, npmrel) < 0) {
    int r = hm_error_errno(err, errno, "%s/%s", s->path, npmrel);
    unlinkat(s->dirfd, tmprel, 0);
    return r;
  }
  return 0;
}

int hm_snap_store_has(struct hm_snap_store *s, struct hm_snap_entry *e, hm_error *err) {
  char rel[HM_SNAP_RELPATH_MAX];
  hm_snap_blob_relpath(e->algo, e->hex, rel, sizeof(rel));
  struct stat st;
  if (fstatat(s->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return hm_error_errno(err, errno, "%s/%s", s->path, rel);
  }
  if (!S_ISREG(st.st_mode))
    return hm_error_set(err, EINVAL, "%s/%s is not a regular file; run 'hermetic snapshot verify'",
                        s->path, rel);
  e->size = (uint64_t)st.st_size;
  int r = link_npm(s, e->algo, e->hex, &st, err);
  return r < 0 ? r : 1;
}

int hm_snap_store_part_open(struct hm_snap_store *s, const struct hm_snap_entry *e, hm_error *err) {
  char rel[HM_SNAP_RELPATH_MAX];
  hm_snap_part_relpath(e->algo, e->hex, rel, sizeof(rel));
  int fd = openat(s->dirfd, rel, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0)
    return hm_error_errno(err, errno, "%s/%s", s->path, rel);
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return hm_error_set(err, EINVAL, "%s/%s is not a regular file", s->path, rel);
  }
  return fd;
}

void hm_snap_store_part_discard(struct hm_snap_store *s, const struct hm_snap_entry *e) {
  char rel[HM_SNAP_RELPATH_MAX];
  hm_snap_part_relpath(e->algo, e->hex, rel, sizeof(rel));
  unlinkat(s->dirfd, rel, 0);
}

int hm_snap_store_admit(struct hm_snap_store *s, struct hm_snap_entry *e, hm_error *err) {
  char part[HM_SNAP_RELPATH_MAX], blob[HM_SNAP_RELPATH_MAX];
  hm_snap_part_relpath(e->algo, e->hex, part, sizeof(part));
  hm_snap_blob_relpath(e->algo, e->hex, blob, sizeof(blob));
  struct stat st;
  if (fstatat(s->dirfd, part, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return hm_error_errno(err, errno, "%s/%s", s->path, part);
  if (!S_ISREG(st.st_mode))
    return hm_error_set(err, EINVAL, "%s/%s is not a regular file", s->path, part);
  if (renameat(s->dirfd, part, s->dirfd, blob) < 0)
    return hm_error_errno(err, errno, "%s/%s", s->path, blob);
  e->size = (uint64_t)st.st_size;
  return link_npm(s, e->algo, e->hex, &st, err);
}

int hm_snap_store_sync(struct hm_snap_store *s, hm_error *err) {
  if (syncfs(s->dirfd) < 0)
    return hm_error_errno(err, errno, "syncing %s", s->path);
  return 0;
}
