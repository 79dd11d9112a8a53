/* Verify a snapshot: re-hash every blob the manifest lists and every other file under
 * blobs/<algo>/, and check that npm's cache names the same files. The work is a flat array
 * of items that a pool of threads takes by an atomic index; results stay in the items and
 * are reported in a fixed order after the pool is done, so that the report is the same
 * whatever the number of threads, and the caller's callback never runs concurrently. */
#include "snapshot-int.h"
#include "hm-fsio.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>
#include <openssl/evp.h>

/* 256 KiB reads: as fast as 1 MiB and faster than mmap on cached files (measured for
 * provenance/digest.c); page-aligned so copies run on whole pages. */
#define READ_BUF_SIZE (256u * 1024u)
#define MAX_THREADS 64
/* openat2 fails with EAGAIN when a rename raced the RESOLVE_BENEATH walk. */
#define OPENAT2_RETRIES 16

enum verdict { V_OK = 0, V_MISSING, V_CORRUPT };

struct item {
  char *name; /* "name@version", or "blobs/<algo>/<file>" for a file the manifest omits */
  enum hm_snap_algo algo;
  char hex[129];
  uint64_t size; /* what the manifest says; 0: not recorded or not listed */
  bool listed;
  enum verdict blob, link; /* link: the npm cache link of a listed entry */
  char *blob_detail, *link_detail;
  uint64_t bytes; /* hashed */
};

struct items {
  struct item *v;
  size_t n, cap;
};

static void items_free(struct items *it) {
  for (size_t i = 0; i < it->n; i++) {
    free(it->v[i].name);
    free(it->v[i].blob_detail);
    free(it->v[i].link_detail);
  }
  free(it->v);
}

/* A new zeroed item named name (copied); NULL on allocation failure. */
static struct item *items_add(struct items *it, const char *name) {
  if (it->n == it->cap) {
    size_t cap = it->cap ? it->cap * 2 : 256;
    struct item *v = realloc(it->v, cap * sizeof *v);
    if (!v)
      return NULL;
    it->v = v;
    it->cap = cap;
  }
  struct item *e = &it->v[it->n];
  memset(e, 0, sizeof *e);
  if (!(e->name = strdup(name)))
    return NULL;
  it->n++;
  return e;
}

__attribute__((format(printf, 4, 5))) static void set_verdict(enum verdict *v, char **detail,
                                                              enum verdict what,
                                                              const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL; /* reported without a detail rather than not at all */
  va_end(ap);
  free(*detail);
  *detail = s;
  *v = what;
}

/* The manifest's entries, in its order (the load has checked every field). */
static int items_from_manifest(json_object *manifest, struct items *it) {
  json_object *entries, *v;
  json_object_object_get_ex(manifest, "entries", &entries);
  size_t n = json_object_array_length(entries);
  for (size_t i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(entries, i);
    const char *version = NULL;
    if (json_object_object_get_ex(e, "version", &v))
      version = json_object_get_string(v);
    json_object_object_get_ex(e, "name", &v);
    _cleanup_free_ char *label = NULL;
    if (asprintf(&label, "%s%s%s", json_object_get_string(v), version ? "@" : "",
                 version ? version : "") < 0)
      return -ENOMEM;
    struct item *item = items_add(it, label);
    if (!item)
      return -ENOMEM;
    item->listed = true;
    json_object_object_get_ex(e, "algo", &v);
    hm_snap_algo_parse(json_object_get_string(v), &item->algo);
    json_object_object_get_ex(e, "digest", &v);
    snprintf(item->hex, sizeof item->hex, "%s", json_object_get_string(v));
    json_object_object_get_ex(e, "size", &v);
    item->size = (uint64_t)json_object_get_int64(v);
  }
  return 0;
}

/* openat2 beneath DIR with no symlink at all; without openat2 (old kernel, valgrind, a
 * seccomp filter) the component walk, which refuses symlinks the same way. */
static int open_in_snapshot(int dirfd, const char *rel, int flags) {
  /* Once openat2 is known to be missing, skip it: verify opens two paths per entry. */
  static atomic_bool no_openat2;
  struct open_how how = {
      .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  for (int tries = 0; !atomic_load_explicit(&no_openat2, memory_order_relaxed); tries++) {
    long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    if (fd >= 0)
      return (int)fd;
    if (errno == EINTR || (errno == EAGAIN && tries < OPENAT2_RETRIES))
      continue;
    if (errno != ENOSYS && errno != EPERM)
      return -errno;
    atomic_store_explicit(&no_openat2, true, memory_order_relaxed);
  }
  hm_error e;
  return hm_open_beneath(dirfd, rel, flags, &e);
}

/* A directory beneath DIR, readable. With O_DIRECTORY the kernel reports a symlink as
 * ENOTDIR; open it as a path first so that a symlink is told apart (-ELOOP). */
static int open_dir_in_snapshot(int dirfd, const char *rel) {
  _cleanup_close_ int fd = open_in_snapshot(dirfd, rel, O_PATH);
  if (fd < 0)
    return fd;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return -errno;
  if (S_ISLNK(st.st_mode))
    return -ELOOP;
  if (!S_ISDIR(st.st_mode))
    return -ENOTDIR;
  int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return d < 0 ? -errno : d;
}

/* ---- finding the files the manifest does not list ---- */

struct digest_key {
  enum hm_snap_algo algo;
  const char *hex;
};

static int cmp_key(const void *pa, const void *pb) {
  const struct digest_key *a = pa, *b = pb;
  if (a->algo != b->algo)
    return (int)a->algo - (int)b->algo;
  return strcmp(a->hex, b->hex);
}

/* A finding of the walk itself (a stray name), reported as corrupt without hashing. */
__attribute__((format(printf, 3, 4))) static int add_stray(struct items *it, const char *rel,
                                                           const char *fmt, ...) {
  struct item *item = items_add(it, rel);
  if (!item)
    return -ENOMEM;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&item->blob_detail, fmt, ap) < 0)
    item->blob_detail = NULL;
  va_end(ap);
  item->blob = V_CORRUPT;
  return 0;
}

/* Every name in blobs/<algo>/ that is not listed: hashed if it is named like a digest
 * (an intact extra blob is harmless), corrupt if not. */
static int walk_algo_dir(int dirfd, enum hm_snap_algo algo, const struct digest_key *listed,
                         size_t n_listed, struct items *it, hm_error *err) {
  char rel[64];
  snprintf(rel, sizeof rel, "blobs/%s", hm_snap_algo_name(algo));
  int fd = open_dir_in_snapshot(dirfd, rel);
  if (fd == -ENOENT)
    return 0;
  if (fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR)
    return add_stray(it, rel, "%s: %s, refused", rel,
                     fd == -ENOTDIR ? "not a directory" : "a symlink") < 0
               ? hm_error_set(err, ENOMEM, "out of memory")
               : 0;
  if (fd < 0)
    return hm_error_errno(err, -fd, "%s", rel);
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return hm_error_errno(err, errno, "%s", rel);
  }
  size_t hexlen = 2 * hm_snap_algo_len(algo);
  struct dirent *de;
  while ((errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct digest_key key = {algo, de->d_name};
    if (bsearch(&key, listed, n_listed, sizeof *listed, cmp_key))
      continue;
    char frel[HM_SNAP_RELPATH_MAX + 256];
    snprintf(frel, sizeof frel, "%s/%s", rel, de->d_name);
    int r;
    if (strlen(de->d_name) != hexlen || !hm_is_lower_hex(de->d_name, hexlen)) {
      r = add_stray(it, frel, "%s: not named by a %s digest", frel, hm_snap_algo_name(algo));
    } else {
      struct item *item = items_add(it, frel);
      r = item ? 0 : -ENOMEM;
      if (item) {
        item->algo = algo;
        snprintf(item->hex, sizeof item->hex, "%s", de->d_name);
      }
    }
    if (r < 0)
      return hm_error_set(err, ENOMEM, "out of memory");
  }
  if (errno != 0)
    return hm_error_errno(err, errno, "reading %s", rel);
  return 0;
}

/* blobs/ holds one directory per algorithm and nothing else. */
static int walk_blobs_top(int dirfd, struct items *it, hm_error *err) {
  int fd = open_dir_in_snapshot(dirfd, "blobs");
  if (fd == -ENOENT)
    return 0;
  if (fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR)
    return add_stray(it, "blobs", "blobs: %s, refused",
                     fd == -ENOTDIR ? "not a directory" : "a symlink") < 0
               ? hm_error_set(err, ENOMEM, "out of memory")
               : 0;
  if (fd < 0)
    return hm_error_errno(err, -fd, "blobs");
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return hm_error_errno(err, errno, "blobs");
  }
  struct dirent *de;
  enum hm_snap_algo algo;
  while ((errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
        hm_snap_algo_parse(de->d_name, &algo) == 0)
      continue;
    char rel[300];
    snprintf(rel, sizeof rel, "blobs/%s", de->d_name);
    if (add_stray(it, rel, "%s: not a digest algorithm's directory", rel) < 0)
      return hm_error_set(err, ENOMEM, "out of memory");
  }
  if (errno != 0)
    return hm_error_errno(err, errno, "reading blobs");
  return 0;
}

static int cmp_item_name(const void *pa, const void *pb) {
  return strcmp(((const struct item *)pa)->name, ((const struct item *)pb)->name);
}

/* Append the unlisted files after the listed ones, sorted by path (readdir's order is the
 * file system's, and the report must not depend on it). They are gathered apart, so that
 * the keys keep pointing into the listed items while the walk grows its own array. */
static int walk_blobs(int dirfd, struct items *it, hm_error *err) {
  _cleanup_free_ struct digest_key *keys = calloc(it->n ? it->n : 1, sizeof *keys);
  if (!keys)
    return hm_error_set(err, ENOMEM, "out of memory");
  for (size_t i = 0; i < it->n; i++)
    keys[i] = (struct digest_key){it->v[i].algo, it->v[i].hex};
  qsort(keys, it->n, sizeof *keys, cmp_key);
  static const enum hm_snap_algo algos[] = {HM_SNAP_SHA1, HM_SNAP_SHA256, HM_SNAP_SHA512};
  struct items extra = {0};
  int r = walk_blobs_top(dirfd, &extra, err);
  for (size_t a = 0; r == 0 && a < HM_ARRAY_SIZE(algos); a++)
    r = walk_algo_dir(dirfd, algos[a], keys, it->n, &extra, err);
  if (r == 0 && extra.n > 0) {
    qsort(extra.v, extra.n, sizeof *extra.v, cmp_item_name);
    struct item *v = realloc(it->v, (it->n + extra.n) * sizeof *v);
    if (!v) {
      r = hm_error_set(err, ENOMEM, "out of memory");
    } else {
      memcpy(v + it->n, extra.v, extra.n * sizeof *v);
      it->v = v;
      it->n = it->cap = it->n + extra.n;
      free(extra.v);
      extra = (struct items){0};
    }
  }
  items_free(&extra);
  return r;
}

/* ---- hashing ---- */

struct pool {
  int dirfd;
  EVP_MD *md[4]; /* indexed by enum hm_snap_algo */
  struct items *items;
  size_t *order; /* indices into items, largest first */
  atomic_size_t next;
};

struct worker {
  struct pool *pool;
  EVP_MD_CTX *ctx;
  unsigned char *buf;
  pthread_t thread;
  bool started;
};

/* Hash fd to EOF; -errno on a read failure. */
/* Hash the `size` bytes fstat reported (and checked against the manifest), with no extra
 * read to find the end: one system call less per blob. A blob rewritten while it is read
 * is a race no verify can win; this one checks what was there when it was opened. */
static int hash_fd(struct worker *w, const EVP_MD *md, int fd, uint64_t size, unsigned char *out,
                   uint64_t *total) {
  if (EVP_DigestInit_ex(w->ctx, md, NULL) != 1)
    return -EIO;
  *total = 0;
  while (*total < size) {
    ssize_t n = read(fd, w->buf, READ_BUF_SIZE);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      break;
    if (EVP_DigestUpdate(w->ctx, w->buf, (size_t)n) != 1)
      return -EIO;
    *total += (uint64_t)n;
  }
  unsigned int len;
  return EVP_DigestFinal_ex(w->ctx, out, &len) == 1 ? 0 : -EIO;
}

/* The npm cache link of a listed entry must be the blob itself (same inode): npm reads
 * it by digest, offline, and never checks it again. */
static void check_npm_link(struct pool *p, struct item *item, const struct stat *blob) {
  char rel[HM_SNAP_RELPATH_MAX];
  hm_snap_npm_relpath(item->algo, item->hex, rel, sizeof rel);
  /* One fstatat, not an open: the link is sound exactly when it is the blob's inode,
   * whatever path leads there (npm reads those very bytes). */
  struct stat st = {0};
  if (fstatat(p->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    set_verdict(&item->link, &item->link_detail, V_MISSING, "npm cache link %s: %s", rel,
                strerror(errno));
    return;
  }
  if (st.st_dev != blob->st_dev || st.st_ino != blob->st_ino) {
    char blobrel[HM_SNAP_RELPATH_MAX];
    hm_snap_blob_relpath(item->algo, item->hex, blobrel, sizeof blobrel);
    set_verdict(&item->link, &item->link_detail, V_MISSING, "npm cache link %s: %s, not %s", rel,
                S_ISLNK(st.st_mode) ? "a symlink" : "another file", blobrel);
  }
}

static void check_item(struct worker *w, struct item *item) {
  struct pool *p = w->pool;
  if (item->blob != V_OK)
    return; /* a stray name the walk has judged */
  char rel[HM_SNAP_RELPATH_MAX];
  hm_snap_blob_relpath(item->algo, item->hex, rel, sizeof rel);
  _cleanup_close_ int fd = open_in_snapshot(p->dirfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (fd == -ENOENT)
      set_verdict(&item->blob, &item->blob_detail, V_MISSING, "%s: %s", rel, strerror(ENOENT));
    else
      set_verdict(&item->blob, &item->blob_detail, V_CORRUPT, "%s: %s", rel,
                  fd == -ELOOP || fd == -EXDEV ? "a symlink, refused" : strerror(-fd));
    return;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    set_verdict(&item->blob, &item->blob_detail, V_CORRUPT, "%s: not a regular file", rel);
    return;
  }
  if (item->listed)
    check_npm_link(p, item, &st);
  if (item->size != 0 && (uint64_t)st.st_size != item->size) {
    set_verdict(&item->blob, &item->blob_detail, V_CORRUPT,
                "size mismatch: expected %llu bytes, got %llu", (unsigned long long)item->size,
                (unsigned long long)st.st_size);
    return;
  }
  if (st.st_size > (off_t)READ_BUF_SIZE)
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  unsigned char md[EVP_MAX_MD_SIZE];
  int r = hash_fd(w, p->md[item->algo], fd, (uint64_t)st.st_size, md, &item->bytes);
  if (r < 0) {
    set_verdict(&item->blob, &item->blob_detail, V_CORRUPT, "%s: reading: %s", rel, strerror(-r));
    return;
  }
  char got[129];
  hm_hex(md, hm_snap_algo_len(item->algo), got);
  if (strcmp(got, item->hex) != 0)
    set_verdict(&item->blob, &item->blob_detail, V_CORRUPT, "%s mismatch: expected %s, got %s",
                hm_snap_algo_name(item->algo), item->hex, got);
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  struct items *it = w->pool->items;
  for (;;) {
    size_t i = atomic_fetch_add_explicit(&w->pool->next, 1, memory_order_relaxed);
    if (i >= it->n)
      break;
    check_item(w, &it->v[w->pool->order[i]]);
  }
  return NULL;
}

static int larger_first(const void *a, const void *b, void *items) {
  const struct items *it = items;
  uint64_t sa = it->v[*(const size_t *)a].size, sb = it->v[*(const size_t *)b].size;
  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* Largest first (longest-processing-time order): one big tarball taken last would leave
 * the other threads idle while it is hashed (webpack is 40% of a 159-package store). */
static size_t *order_by_size(const struct items *it) {
  size_t *order = malloc((it->n ? it->n : 1) * sizeof *order);
  if (!order)
    return NULL;
  for (size_t i = 0; i < it->n; i++)
    order[i] = i;
  qsort_r(order, it->n, sizeof *order, larger_first, (void *)it);
  return order;
}

static int fetch_digests(EVP_MD *md[4], hm_error *err) {
  static const char *const names[4] = {NULL, "SHA1", "SHA256", "SHA512"};
  for (size_t a = 1; a < 4; a++)
    if (!(md[a] = EVP_MD_fetch(NULL, names[a], NULL)))
      return hm_error_set(err, ENOSYS, "OpenSSL has no %s", names[a]);
  return 0;
}

/* Worker 0 is this thread; a thread that fails to start only means fewer helpers. */
static int run_pool(struct pool *p, unsigned jobs, hm_error *err) {
  size_t n = jobs ? jobs : hm_cpu_count();
  if (n > p->items->n)
    n = p->items->n;
  if (n > MAX_THREADS)
    n = MAX_THREADS;
  if (n == 0)
    return 0;
  _cleanup_free_ struct worker *w = calloc(n, sizeof *w);
  if (!w)
    return hm_error_set(err, ENOMEM, "out of memory");
  int r = 0;
  size_t ready = 0;
  for (; ready < n; ready++) {
    w[ready].pool = p;
    if (!(w[ready].ctx = EVP_MD_CTX_new()) ||
        posix_memalign((void **)&w[ready].buf, 4096, READ_BUF_SIZE) != 0) {
      w[ready].buf = NULL;
      ready++;
      r = hm_error_set(err, ENOMEM, "out of memory");
      goto out;
    }
  }
  for (size_t i = 1; i < n; i++)
    w[i].started = pthread_create(&w[i].thread, NULL, worker_main, &w[i]) == 0;
  worker_main(&w[0]);
  for (size_t i = 1; i < n; i++)
    if (w[i].started)
      pthread_join(w[i].thread, NULL);
out:
  for (size_t i = 0; i < ready; i++) {
    EVP_MD_CTX_free(w[i].ctx);
    free(w[i].buf);
  }
  return r;
}

static void report(const struct items *it, hm_snap_problem_fn problem, void *data,
                   struct hm_snap_verify_stats *stats) {
  static const char *const what[] = {NULL, "missing", "corrupt"};
  for (size_t i = 0; i < it->n; i++) {
    const struct item *item = &it->v[i];
    stats->bytes += item->bytes;
    const enum verdict v[2] = {item->blob, item->link};
    const char *detail[2] = {item->blob_detail, item->link_detail};
    for (int k = 0; k < 2; k++) {
      if (v[k] == V_OK)
        continue;
      if (v[k] == V_MISSING)
        stats->missing++;
      else
        stats->corrupt++;
      if (problem)
        problem(what[v[k]], item->name, detail[k] ? detail[k] : "(out of memory)", data);
    }
  }
  stats->checked = it->n;
}

static void md_free(EVP_MD *(*md)[4]) {
  for (size_t a = 0; a < 4; a++)
    EVP_MD_free((*md)[a]);
}

int hm_snap_verify(const char *dir, unsigned jobs, hm_snap_problem_fn problem, void *data,
                   struct hm_snap_verify_stats *stats, hm_error *err) {
  double start = hm_now_ms();
  struct hm_snap_verify_stats local;
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  json_object *manifest = NULL;
  int r = hm_snap_manifest_load(dir, &manifest, NULL, err);
  if (r < 0)
    return r;
  /* The load has refused a symlink here; one swapped in since fails O_NOFOLLOW. */
  _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0) {
    json_object_put(manifest);
    return hm_error_errno(err, errno, "opening the snapshot directory %s", dir);
  }
  struct items it = {0};
  struct pool pool = {.dirfd = dirfd, .items = &it};
  atomic_init(&pool.next, 0);
  __attribute__((cleanup(md_free))) EVP_MD *md[4] = {NULL, NULL, NULL, NULL};
  r = items_from_manifest(manifest, &it);
  json_object_put(manifest);
  if (r < 0)
    r = hm_error_set(err, ENOMEM, "out of memory");
  if (r == 0 && (r = walk_blobs(dirfd, &it, err)) < 0)
    hm_error_wrap(err, "verifying %s", dir);
  if (r == 0)
    r = fetch_digests(md, err);
  memcpy(pool.md, md, sizeof md);
  _cleanup_free_ size_t *order = NULL;
  if (r == 0 && !(order = pool.order = order_by_size(&it)))
    r = hm_error_set(err, ENOMEM, "out of memory");
  if (r == 0)
    r = run_pool(&pool, jobs, err);
  if (r == 0)
    report(&it, problem, data, stats);
  items_free(&it);
  stats->ms = hm_now_ms() - start;
  if (r < 0)
    return r;
  return stats->missing + stats->corrupt > 0 ? 1 : 0;
}
