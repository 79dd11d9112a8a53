/* Snapshot stores for the tests, built with plain file writes that follow the layout in
 * snapshot.h (blobs/<algo>/<hex>, npm's cacache path as a hard link), so that what the
 * library reads was not made by the library. Aborts on a set-up failure. */
#ifndef HM_TEST_STOREUTIL_H
#define HM_TEST_STOREUTIL_H

#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

#include "../digest/fsutil.h"
#include "../unit/tap.h"
#include "snapshot-int.h"

/* What the tests print manifests and descriptors with: the manifest's own format. */
#define TEST_JSON_FLAGS \
  (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

static inline void st_hex(enum hm_snap_algo algo, const void *data, size_t len, char *hex) {
  const EVP_MD *md = algo == HM_SNAP_SHA1     ? EVP_sha1()
                     : algo == HM_SNAP_SHA256 ? EVP_sha256()
                                              : EVP_sha512();
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data, len, d, &n, md, NULL) != 1)
    fs_die("EVP_Digest", "");
  hm_hex(d, n, hex);
}

static inline char *st_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *st_fmt(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    fs_die("vasprintf", fmt);
  va_end(ap);
  return s;
}

/* Put data at DIR/blobs/<algo>/<hex> and hard-link npm's path to it. */
static inline void st_put_blob(const char *dir, enum hm_snap_algo algo, const char *hex,
                               const void *data, size_t len) {
  char rel[HM_SNAP_RELPATH_MAX], npm[HM_SNAP_RELPATH_MAX];
  hm_snap_blob_relpath(algo, hex, rel, sizeof rel);
  hm_snap_npm_relpath(algo, hex, npm, sizeof npm);
  fs_write(dir, rel, data, len);
  char *npmdir = strdup(npm);
  *strrchr(npmdir, '/') = '\0';
  fs_mkdirs(dir, npmdir);
  free(npmdir);
  char *from = fs_join(dir, rel), *to = fs_join(dir, npm);
  if (link(from, to) < 0)
    fs_die("link", to);
  free(from);
  free(to);
}

/* Add an entry for data to list and put its blob in the store. version NULL: no version
 * and no purl. url2: a mirror (may be NULL). Returns the entry's index. */
static inline size_t st_add(struct hm_snap_list *list, const char *dir, const char *name,
                            const char *version, enum hm_snap_algo algo, const void *data,
                            size_t len, const char *url2) {
  struct hm_snap_entry e = {0};
  e.name = strdup(name);
  if (version) {
    e.version = strdup(version);
    e.purl = st_fmt("pkg:npm/%s@%s", name, version);
  }
  e.algo = algo;
  st_hex(algo, data, len, e.hex);
  char *url = st_fmt("https://registry.example/%s/-/%s.tgz", name, e.hex);
  hm_strv_push(&e.urls, url);
  free(url);
  if (url2)
    hm_strv_push(&e.urls, url2);
  char *origin = st_fmt("package-lock.json:node_modules/%s", name);
  hm_strv_push(&e.origins, origin);
  free(origin);
  e.size = len;
  st_put_blob(dir, algo, e.hex, data, len);
  size_t before = list->n;
  if (hm_snap_list_add(list, &e) < 0 || list->n != before + 1)
    fs_die("hm_snap_list_add", name);
  return before;
}

static inline void st_add_input(struct hm_snap_list *list, const char *path, const char *kind,
                                const char *content) {
  struct hm_snap_input *v = realloc(list->inputs, (list->n_inputs + 1) * sizeof *v);
  if (!v)
    fs_die("realloc", path);
  list->inputs = v;
  struct hm_snap_input *in = &v[list->n_inputs++];
  in->path = strdup(path);
  in->kind = strdup(kind);
  st_hex(HM_SNAP_SHA256, content, strlen(content), in->sha256);
}

/* Open the store at dir (created), write the manifest for list, close. */
static inline int st_write_manifest(const char *dir, const struct hm_snap_list *list,
                                    hm_error *err) {
  struct hm_snap_store *store = NULL;
  int r = hm_snap_store_open(dir, true, &store, err);
  if (r < 0)
    return r;
  r = hm_snap_manifest_write(store, list, err);
  hm_snap_store_close(store);
  return r;
}

static inline char *st_read(const char *dir, const char *rel, size_t *len) {
  char *p = fs_join(dir, rel), *buf = NULL;
  hm_error err = {0};
  if (hm_read_file(p, &buf, len, &err) < 0) {
    free(p);
    return NULL;
  }
  free(p);
  return buf;
}

#endif
