/* The snapshot manifest, DIR/manifest.json: written from the list in a fixed shape (same
 * list, same bytes), read back with every field checked, and turned into the provenance's
 * resolvedDependencies. Loading is strict because what it returns decides which files
 * verify reads and which digests provenance records: a blob or npm path must be exactly
 * what the digest names, so no manifest can point outside DIR. */
#include "snapshot-int.h"
#include "hm-fsio.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#define MANIFEST_NAME "manifest.json"
/* A manifest of 100,000 entries is about 60 MiB; anything larger is not ours. */
#define MANIFEST_MAX ((size_t)64 << 20)
/* Two-space indentation, "key": value, and URLs without json-c's "\/". */
#define MANIFEST_JSON_FLAGS \
  (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- writing ---- */

static int add_string(json_object *obj, const char *key, const char *value) {
  json_object *s = json_object_new_string(value);
  if (!s || json_object_object_add(obj, key, s) < 0) {
    json_object_put(s);
    return -ENOMEM;
  }
  return 0;
}

static int add_object(json_object *obj, const char *key, json_object *value) {
  if (!value || json_object_object_add(obj, key, value) < 0) {
    json_object_put(value);
    return -ENOMEM;
  }
  return 0;
}

/* Append v (which may be NULL after a failed allocation) to the array a; takes v. */
static int append(json_object *a, json_object *v) {
  if (!v || json_object_array_add(a, v) < 0) {
    json_object_put(v);
    return -ENOMEM;
  }
  return 0;
}

static json_object *strv_to_json(char *const *v) {
  json_object *a = json_object_new_array();
  for (size_t i = 0; a && v && v[i]; i++)
    if (append(a, json_object_new_string(v[i])) < 0) {
      json_object_put(a);
      return NULL;
    }
  return a;
}

/* Key order as docs/snapshot.md shows it; version and purl only when known, urls only
 * when there are mirrors beyond the canonical url. */
static json_object *entry_to_json(const struct hm_snap_entry *e) {
  char blob[HM_SNAP_RELPATH_MAX], npm[HM_SNAP_RELPATH_MAX];
  hm_snap_blob_relpath(e->algo, e->hex, blob, sizeof blob);
  hm_snap_npm_relpath(e->algo, e->hex, npm, sizeof npm);
  json_object *o = json_object_new_object();
  int r = o ? 0 : -ENOMEM;
  if (r == 0)
    r = add_string(o, "name", e->name);
  if (r == 0 && e->version)
    r = add_string(o, "version", e->version);
  if (r == 0 && e->purl)
    r = add_string(o, "purl", e->purl);
  if (r == 0)
    r = add_string(o, "url", e->urls[0]);
  if (r == 0 && hm_strv_len(e->urls) > 1)
    r = add_object(o, "urls", strv_to_json(e->urls));
  if (r == 0)
    r = add_string(o, "algo", hm_snap_algo_name(e->algo));
  if (r == 0)
    r = add_string(o, "digest", e->hex);
  if (r == 0)
    r = add_object(o, "size", json_object_new_int64((int64_t)e->size));
  if (r == 0)
    r = add_string(o, "blob", blob);
  if (r == 0)
    r = add_string(o, "npm", npm);
  if (r == 0)
    r = add_object(o, "origins", strv_to_json(e->origins));
  if (r < 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

static json_object *input_to_json(const struct hm_snap_input *in) {
  json_object *o = json_object_new_object();
  if (!o || add_string(o, "path", in->path) < 0 || add_string(o, "kind", in->kind) < 0 ||
      add_string(o, "sha256", in->sha256) < 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

static json_object *list_to_json(const struct hm_snap_list *list) {
  json_object *root = json_object_new_object();
  json_object *inputs = json_object_new_array(), *entries = json_object_new_array();
  int r = root && inputs && entries ? 0 : -ENOMEM;
  for (size_t i = 0; r == 0 && i < list->n_inputs; i++)
    r = append(inputs, input_to_json(&list->inputs[i]));
  for (size_t i = 0; r == 0 && i < list->n; i++)
    r = append(entries, entry_to_json(&list->v[i]));
  if (r == 0)
    r = add_string(root, "schema", HM_SNAP_MANIFEST_SCHEMA);
  if (r == 0 && list->platform)
    r = add_string(root, "platform", list->platform);
  if (r == 0)
    r = add_object(root, "inputs", steal_pointer(&inputs));
  if (r == 0)
    r = add_object(root, "entries", steal_pointer(&entries));
  json_object_put(inputs);
  json_object_put(entries);
  if (r < 0) {
    json_object_put(root);
    return NULL;
  }
  return root;
}

static void label_entry(const struct hm_snap_entry *e, char *buf, size_t len) {
  snprintf(buf, len, "%s%s%s", e->name, e->version ? "@" : "", e->version ? e->version : "");
}

/* What the manifest says about an entry must already be true of the store. */
static int check_entry_in_store(struct hm_snap_store *store, const struct hm_snap_entry *e,
                                size_t i, int algo_fds[4], hm_error *err) {
  char label[300], rel[HM_SNAP_RELPATH_MAX];
  label_entry(e, label, sizeof label);
  size_t hexlen = 2 * hm_snap_algo_len(e->algo);
  if (hexlen == 0 || strlen(e->hex) != hexlen || !hm_is_lower_hex(e->hex, hexlen))
    return hm_error_set(err, EINVAL, "%s/" MANIFEST_NAME ": entries[%zu] (%s): not a %s digest: %s",
                        store->path, i, label, hm_snap_algo_name(e->algo), e->hex);
  if (!e->urls || !e->urls[0])
    return hm_error_set(err, EINVAL, "%s/" MANIFEST_NAME ": entries[%zu] (%s): no url",
                        store->path, i, label);
  hm_snap_blob_relpath(e->algo, e->hex, rel, sizeof rel);
  int *dfd = &algo_fds[e->algo];
  if (*dfd < 0) {
    char dir[64];
    snprintf(dir, sizeof dir, "blobs/%s", hm_snap_algo_name(e->algo));
    *dfd = hm_open_beneath(store->dirfd, dir, O_PATH | O_DIRECTORY, err);
    if (*dfd < 0)
      return hm_error_wrap(err, "%s/" MANIFEST_NAME ": entries[%zu] (%s)", store->path, i, label);
  }
  struct stat st;
  if (fstatat(*dfd, e->hex, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return hm_error_errno(err, errno, "%s/" MANIFEST_NAME ": entries[%zu] (%s): %s", store->path,
                          i, label, rel);
  if (!S_ISREG(st.st_mode))
    return hm_error_set(err, EINVAL, "%s/" MANIFEST_NAME ": entries[%zu] (%s): %s is not a regular file",
                        store->path, i, label, rel);
  if (e->size != 0 && (uint64_t)st.st_size != e->size)
    return hm_error_set(err, EINVAL,
                        "%s/" MANIFEST_NAME ": entries[%zu] (%s): %s has %llu bytes, expected %llu",
                        store->path, i, label, rel, (unsigned long long)st.st_size,
                        (unsigned long long)e->size);
  return 0;
}

static int check_list_in_store(struct hm_snap_store *store, const struct hm_snap_list *list,
                               hm_error *err) {
  int fds[4] = {-1, -1, -1, -1}; /* indexed by enum hm_snap_algo */
  int r = 0;
  for (size_t i = 0; r == 0 && i < list->n; i++)
    r = check_entry_in_store(store, &list->v[i], i, fds, err);
  for (size_t i = 0; i < HM_ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  return r;
}

/* Like hm_write_file_atomic, but relative to the store's fd (DIR may be reached through
 * a symlinked parent the user chose; only what is below DIR must not be followed). The
 * store is locked, so a named O_EXCL temporary file cannot collide with another writer;
 * rename replaces a symlink planted at manifest.json rather than writing through it. */
static int write_at_store(struct hm_snap_store *store, const char *data, size_t len,
                          hm_error *err) {
  char tmp[64];
  _cleanup_close_ int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    snprintf(tmp, sizeof tmp, "." MANIFEST_NAME ".tmp.%d.%d", (int)getpid(), attempt);
    fd = openat(store->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
      return hm_error_errno(err, errno, "%s/%s", store->path, tmp);
  }
  if (fd < 0)
    return hm_error_set(err, EEXIST, "%s/%s: too many stale temporary files", store->path, tmp);
  int r = hm_write_all(fd, data, len);
  if (r == 0 && fsync(fd) < 0)
    r = -errno;
  if (r == 0 && close(steal_fd(&fd)) < 0)
    r = -errno;
  if (r == 0 && renameat(store->dirfd, tmp, store->dirfd, MANIFEST_NAME) < 0)
    r = -errno;
  if (r < 0) {
    unlinkat(store->dirfd, tmp, 0);
    return hm_error_errno(err, -r, "writing %s/" MANIFEST_NAME, store->path);
  }
  /* The rename itself reaches the disk only with the directory (opened again: the
   * store's fd may be an O_PATH one, which fsync refuses). */
  _cleanup_close_ int dfd = openat(store->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) < 0)
    return hm_error_errno(err, errno, "syncing %s", store->path);
  return 0;
}

int hm_snap_manifest_write(struct hm_snap_store *store, const struct hm_snap_list *list,
                           hm_error *err) {
  int r = check_list_in_store(store, list, err);
  if (r < 0)
    return r;
  json_object *root = list_to_json(list);
  if (!root)
    return hm_error_set(err, ENOMEM, "%s/" MANIFEST_NAME ": out of memory", store->path);
  size_t len = 0;
  const char *text = json_object_to_json_string_length(root, MANIFEST_JSON_FLAGS, &len);
  _cleanup_free_ char *data = text ? malloc(len + 2) : NULL;
  if (data) {
    memcpy(data, text, len);
    data[len++] = '\n';
  }
  json_object_put(root);
  if (!data)
    return hm_error_set(err, ENOMEM, "%s/" MANIFEST_NAME ": out of memory", store->path);
  return write_at_store(store, data, len, err);
}

/* ---- loading ---- */

/* Where a check is: the manifest's path and, inside an entry, "entries[3] (name@1.0.0)". */
struct where {
  const char *path;
  char label[320];
  hm_error *err;
};

__attribute__((format(printf, 2, 3))) static int bad(const struct where *w, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (w->label[0])
    return hm_error_set(w->err, EINVAL, "%s: %s: %s", w->path, w->label, msg);
  return hm_error_set(w->err, EINVAL, "%s: %s", w->path, msg);
}

static bool key_in(const char *key, const char *const *allowed) {
  for (; *allowed; allowed++)
    if (strcmp(key, *allowed) == 0)
      return true;
  return false;
}

/* Refuse keys outside the v1 schema: a misspelt or foreign key is an error, not ignored. */
static int only_keys(const struct where *w, json_object *obj, const char *const *allowed) {
  json_object_object_foreach(obj, key, val) {
    (void)val;
    if (!key_in(key, allowed))
      return bad(w, "unknown key \"%s\"", key);
  }
  return 0;
}

/* *out: the string at key, or NULL when absent and optional. */
static int get_string(const struct where *w, json_object *obj, const char *key, bool required,
                      const char **out) {
  json_object *v = NULL;
  *out = NULL;
  if (!json_object_object_get_ex(obj, key, &v)) {
    if (required)
      return bad(w, "no \"%s\"", key);
    return 0;
  }
  if (!json_object_is_type(v, json_type_string))
    return bad(w, "\"%s\" must be a string", key);
  *out = json_object_get_string(v);
  if (strlen(*out) != (size_t)json_object_get_string_len(v))
    return bad(w, "\"%s\" contains a NUL character", key);
  return 0;
}

static int get_array(const struct where *w, json_object *obj, const char *key, bool required,
                     json_object **out) {
  *out = NULL;
  if (!json_object_object_get_ex(obj, key, out)) {
    if (required)
      return bad(w, "no \"%s\"", key);
    return 0;
  }
  if (!json_object_is_type(*out, json_type_array))
    return bad(w, "\"%s\" must be an array", key);
  return 0;
}

static int check_string_array(const struct where *w, json_object *obj, const char *key,
                              bool required, size_t min) {
  json_object *a;
  int r = get_array(w, obj, key, required, &a);
  if (r < 0 || !a)
    return r;
  size_t n = json_object_array_length(a);
  if (n < min)
    return bad(w, "\"%s\" must hold at least %zu strings", key, min);
  for (size_t i = 0; i < n; i++)
    if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string))
      return bad(w, "\"%s\"[%zu] must be a string", key, i);
  return 0;
}

/* The digest names the blob, and the blob and npm paths are computed, never trusted. */
static int check_entry_paths(const struct where *w, json_object *e) {
  const char *algo_name, *digest, *blob, *npm;
  enum hm_snap_algo algo;
  int r;
  if ((r = get_string(w, e, "algo", true, &algo_name)) < 0 ||
      (r = get_string(w, e, "digest", true, &digest)) < 0 ||
      (r = get_string(w, e, "blob", true, &blob)) < 0 ||
      (r = get_string(w, e, "npm", true, &npm)) < 0)
    return r;
  if (hm_snap_algo_parse(algo_name, &algo) < 0)
    return bad(w, "unknown algo \"%.40s\"", algo_name);
  size_t hexlen = 2 * hm_snap_algo_len(algo);
  if (strlen(digest) != hexlen || !hm_is_lower_hex(digest, hexlen))
    return bad(w, "digest is not %zu lowercase hex digits of %s", hexlen, algo_name);
  char want[HM_SNAP_RELPATH_MAX];
  hm_snap_blob_relpath(algo, digest, want, sizeof want);
  if (strcmp(blob, want) != 0)
    return bad(w, "blob is \"%.200s\", expected \"%s\"", blob, want);
  hm_snap_npm_relpath(algo, digest, want, sizeof want);
  if (strcmp(npm, want) != 0)
    return bad(w, "npm is \"%.200s\", expected \"%s\"", npm, want);
  return 0;
}

static int check_entry(struct where *w, json_object *e, size_t i) {
  static const char *const keys[] = {"name", "version", "purl", "url", "urls", "algo",
                                     "digest", "size", "blob", "npm", "origins", NULL};
  snprintf(w->label, sizeof w->label, "entries[%zu]", i);
  if (!json_object_is_type(e, json_type_object))
    return bad(w, "not an object");
  const char *name, *version, *purl, *url;
  int r;
  if ((r = get_string(w, e, "name", true, &name)) < 0 ||
      (r = get_string(w, e, "version", false, &version)) < 0)
    return r;
  snprintf(w->label, sizeof w->label, "entries[%zu] (%.150s%s%.100s)", i, name,
           version ? "@" : "", version ? version : "");
  if ((r = only_keys(w, e, keys)) < 0 || (r = get_string(w, e, "purl", false, &purl)) < 0 ||
      (r = get_string(w, e, "url", true, &url)) < 0 ||
      (r = check_string_array(w, e, "urls", false, 1)) < 0 ||
      (r = check_string_array(w, e, "origins", true, 0)) < 0 ||
      (r = check_entry_paths(w, e)) < 0)
    return r;
  json_object *urls, *size;
  if (json_object_object_get_ex(e, "urls", &urls) &&
      strcmp(json_object_get_string(json_object_array_get_idx(urls, 0)), url) != 0)
    return bad(w, "urls[0] is not url");
  if (!json_object_object_get_ex(e, "size", &size) || !json_object_is_type(size, json_type_int) ||
      json_object_get_int64(size) < 0)
    return bad(w, "\"size\" must be a non-negative integer");
  return 0;
}

static int check_input(struct where *w, json_object *in, size_t i) {
  static const char *const keys[] = {"path", "kind", "sha256", NULL};
  snprintf(w->label, sizeof w->label, "inputs[%zu]", i);
  if (!json_object_is_type(in, json_type_object))
    return bad(w, "not an object");
  const char *s;
  int r;
  if ((r = only_keys(w, in, keys)) < 0 || (r = get_string(w, in, "path", true, &s)) < 0 ||
      (r = get_string(w, in, "kind", true, &s)) < 0 ||
      (r = get_string(w, in, "sha256", true, &s)) < 0)
    return r;
  if (strlen(s) != 64 || !hm_is_lower_hex(s, 64))
    return bad(w, "sha256 is not 64 lowercase hex digits");
  return 0;
}

static int check_manifest(const char *path, json_object *root, hm_error *err) {
  static const char *const keys[] = {"schema", "platform", "inputs", "entries", NULL};
  struct where w = {.path = path, .err = err};
  if (!json_object_is_type(root, json_type_object))
    return bad(&w, "not a JSON object");
  const char *schema, *platform;
  json_object *inputs, *entries;
  int r;
  if ((r = get_string(&w, root, "schema", true, &schema)) < 0)
    return r;
  if (strcmp(schema, HM_SNAP_MANIFEST_SCHEMA) != 0)
    return bad(&w, "schema is \"%.200s\", expected \"%s\"", schema, HM_SNAP_MANIFEST_SCHEMA);
  if ((r = only_keys(&w, root, keys)) < 0 ||
      (r = get_string(&w, root, "platform", false, &platform)) < 0 ||
      (r = get_array(&w, root, "inputs", true, &inputs)) < 0 ||
      (r = get_array(&w, root, "entries", true, &entries)) < 0)
    return r;
  for (size_t i = 0; i < json_object_array_length(inputs); i++)
    if ((r = check_input(&w, json_object_array_get_idx(inputs, i), i)) < 0)
      return r;
  for (size_t i = 0; i < json_object_array_length(entries); i++)
    if ((r = check_entry(&w, json_object_array_get_idx(entries, i), i)) < 0)
      return r;
  return 0;
}

/* JSON_TOKENER_STRICT: RFC 8259 only (no comments, no single quotes, no trailing text). */
static int parse_json(const char *path, const char *buf, size_t len, json_object **out,
                      hm_error *err) {
  if (strlen(buf) != len)
    return hm_error_set(err, EINVAL, "%s: contains a NUL byte", path);
  json_tokener *tok = json_tokener_new();
  if (!tok)
    return hm_error_set(err, ENOMEM, "%s: out of memory", path);
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  json_tokener_free(tok);
  if (!obj || jerr != json_tokener_success || end != len) {
    json_object_put(obj);
    return hm_error_set(err, EINVAL, "%s: malformed JSON near byte %zu: %s", path, end,
                        jerr == json_tokener_success ? "unexpected end"
                                                     : json_tokener_error_desc(jerr));
  }
  *out = obj;
  return 0;
}

int hm_snap_open_dir(const char *dir, hm_error *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0)
    return fd;
  int e = errno;
  struct stat st;
  /* With O_DIRECTORY, Linux reports a symlink at the last component as ENOTDIR. */
  if ((e == ENOTDIR || e == ELOOP) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
    return hm_error_set(err, ELOOP, "opening the snapshot directory %s: a symlink, refused "
                        "(give the real path)", dir);
  return hm_error_errno(err, e, "opening the snapshot directory %s", dir);
}

static int read_manifest(const char *dir, const char *path, char **buf, size_t *len,
                         hm_error *err) {
  _cleanup_close_ int dfd = hm_snap_open_dir(dir, err);
  if (dfd < 0)
    return dfd;
  /* O_NONBLOCK: a fifo planted at the name must not hang the open. */
  _cleanup_close_ int fd =
      openat(dfd, MANIFEST_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP)
    return hm_error_set(err, ELOOP, "%s: a symlink, refused", path);
  if (fd < 0)
    return hm_error_errno(err, errno, "%s", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hm_error_errno(err, errno, "%s", path);
  if (!S_ISREG(st.st_mode))
    return hm_error_set(err, EINVAL, "%s: not a regular file", path);
  if ((uint64_t)st.st_size > MANIFEST_MAX)
    return hm_error_set(err, EFBIG, "%s: %llu bytes, more than the limit of %zu", path,
                        (unsigned long long)st.st_size, MANIFEST_MAX);
  int r = hm_read_fd_max(fd, MANIFEST_MAX, buf, len, err);
  if (r < 0)
    return hm_error_wrap(err, "%s", path);
  return 0;
}

int hm_snap_manifest_load(const char *dir, json_object **manifest, char sha256_hex[65],
                          hm_error *err) {
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/" MANIFEST_NAME, dir) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  int r = read_manifest(dir, path, &buf, &len, err);
  if (r < 0)
    return r;
  json_object *root = NULL;
  if ((r = parse_json(path, buf, len, &root, err)) < 0)
    return r;
  if ((r = check_manifest(path, root, err)) < 0) {
    json_object_put(root);
    return r;
  }
  /* NULL: the caller (verify) has no use for the digest; a 5,000-entry manifest is 3 MiB. */
  if (sha256_hex) {
    unsigned char md[32];
    unsigned int md_len = 0;
    if (EVP_Digest(buf, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != sizeof md) {
      json_object_put(root);
      return hm_error_set(err, EIO, "%s: computing sha256: OpenSSL failed", path);
    }
    hm_hex(md, sizeof md, sha256_hex);
  }
  *manifest = root;
  return 0;
}

/* ---- provenance ---- */

static const char *string_at(json_object *obj, const char *key) {
  json_object *v;
  if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

/* One in-toto v1 ResourceDescriptor (resource_descriptor.md): uri, digest, name,
 * downloadLocation. */
static int entry_descriptor(json_object *e, json_object **out) {
  const char *purl = string_at(e, "purl"), *url = string_at(e, "url");
  const char *name = string_at(e, "name"), *algo = string_at(e, "algo");
  const char *digest = string_at(e, "digest");
  if (!url || !name || !algo || !digest)
    return -EINVAL;
  json_object *d = json_object_new_object(), *digests = json_object_new_object();
  if (!d || !digests || add_string(d, "uri", purl ? purl : url) < 0 ||
      add_string(digests, algo, digest) < 0 || add_object(d, "digest", steal_pointer(&digests)) < 0 ||
      add_string(d, "name", name) < 0 || add_string(d, "downloadLocation", url) < 0) {
    json_object_put(digests);
    json_object_put(d);
    return -ENOMEM;
  }
  *out = d;
  return 0;
}

int hm_snap_manifest_dependencies(json_object *manifest, json_object **deps, hm_error *err) {
  json_object *entries;
  if (!json_object_object_get_ex(manifest, "entries", &entries) ||
      !json_object_is_type(entries, json_type_array))
    return hm_error_set(err, EINVAL, "snapshot manifest: no \"entries\" array");
  json_object *out = json_object_new_array();
  if (!out)
    return hm_error_set(err, ENOMEM, "out of memory");
  size_t n = json_object_array_length(entries);
  for (size_t i = 0; i < n; i++) {
    json_object *d = NULL;
    int r = entry_descriptor(json_object_array_get_idx(entries, i), &d);
    if (r == 0)
      r = append(out, d);
    if (r < 0) {
      json_object_put(out);
      if (r == -ENOMEM)
        return hm_error_set(err, ENOMEM, "out of memory");
      return hm_error_set(err, EINVAL,
                          "snapshot manifest: entries[%zu]: no url, name, algo or digest "
                          "(not a manifest from hm_snap_manifest_load)", i);
    }
  }
  *deps = out;
  return 0;
}
