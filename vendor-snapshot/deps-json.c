/* hermetic-deps.json, the generic manifest (docs/snapshot.md):
 *   {"version": 1, "artifacts": [{"name", "url" | "urls", "sha256" | "sha512", "purl",
 *                                 "version"}, ...]}
 * Every key is known: a misspelt "sha256" must not leave an artifact unpinned, so an
 * unknown key is an error rather than ignored. Pure: reads only the parsed JSON. */
#include "snapshot-int.h"

#include <string.h>

#define TEXT_MAX 1024
#define FILE_NAME_MAX 255

struct artifact_ctx {
  const char *display;
  size_t index;
  hm_error *err;
};

__attribute__((format(printf, 2, 3))) static int artifact_fail(const struct artifact_ctx *c,
                                                               const char *fmt, ...) {
  char where[40];
  snprintf(where, sizeof where, "artifacts[%zu]", c->index);
  va_list ap;
  va_start(ap, fmt);
  int r = hm_snap_input_error(c->err, c->display, where, fmt, ap);
  va_end(ap);
  return r;
}

/* Free text for names, versions and purls: printable, no control characters. */
static bool plain_text(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > TEXT_MAX)
    return false;
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  return true;
}

static const char *text_field(const struct artifact_ctx *c, json_object *a, const char *key,
                              int *r) {
  json_object *v;
  *r = 0;
  if (!json_object_object_get_ex(a, key, &v))
    return NULL;
  if (!json_object_is_type(v, json_type_string))
    *r = artifact_fail(c, "\"%s\" is not a string", key);
  else if (!plain_text(json_object_get_string(v)) ||
           strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
    *r = artifact_fail(c, "\"%s\" is empty, longer than %d bytes or holds control characters", key,
                       TEXT_MAX);
  return *r < 0 ? NULL : json_object_get_string(v);
}

static int check_keys(const struct artifact_ctx *c, json_object *a) {
  static const char *const known[] = {"name", "url", "urls", "sha256", "sha512", "purl", "version"};
  json_object_object_foreach(a, key, val) {
    (void)val;
    bool ok = false;
    for (size_t i = 0; i < HM_ARRAY_SIZE(known); i++)
      ok = ok || strcmp(key, known[i]) == 0;
    if (!ok)
      return artifact_fail(c,
                           "unknown key \"%.64s\" (known: name, url, urls, sha256, sha512, purl, "
                           "version)",
                           key);
  }
  return 0;
}

static int push_url(const struct artifact_ctx *c, json_object *v, char ***urls) {
  if (!json_object_is_type(v, json_type_string))
    return artifact_fail(c, "a URL that is not a string");
  const char *url = json_object_get_string(v);
  const char *why = strlen(url) != (size_t)json_object_get_string_len(v) ? "a NUL character"
                                                                         : hm_snap_url_problem(url);
  if (why)
    return artifact_fail(c, "URL \"%.200s\": %s", url, why);
  for (char **u = *urls; u && *u; u++)
    if (strcmp(*u, url) == 0)
      return 0;
  if (hm_strv_push(urls, url) < 0)
    return hm_error_set(c->err, ENOMEM, "%s: out of memory", c->display);
  return 0;
}

/* "url" first (the canonical one), then "urls" in order, each once. */
static int read_urls(const struct artifact_ctx *c, json_object *a, char ***urls) {
  json_object *v;
  int r;
  if (json_object_object_get_ex(a, "url", &v) && (r = push_url(c, v, urls)) < 0)
    return r;
  if (json_object_object_get_ex(a, "urls", &v)) {
    if (!json_object_is_type(v, json_type_array))
      return artifact_fail(c, "\"urls\" is not an array");
    for (size_t i = 0; i < json_object_array_length(v); i++)
      if ((r = push_url(c, json_object_array_get_idx(v, i), urls)) < 0)
        return r;
  }
  if (!*urls)
    return artifact_fail(c, "no \"url\" or \"urls\"");
  return 0;
}

static int read_hex(const struct artifact_ctx *c, json_object *a, enum hm_snap_algo algo,
                    bool *present, char hex[129]) {
  const char *key = hm_snap_algo_name(algo);
  json_object *v;
  *present = json_object_object_get_ex(a, key, &v);
  if (!*present)
    return 0;
  size_t want = 2 * hm_snap_algo_len(algo);
  const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
  if (!s || strlen(s) != want || !hm_is_lower_hex(s, want))
    return artifact_fail(c, "\"%s\" is not %zu lowercase hex digits", key, want);
  memcpy(hex, s, want + 1);
  return 0;
}

/* sha512 wins when both are given; sha256 must then still be well-formed, since a
 * malformed value is a sign the pin was not written with care. */
static int read_digest(const struct artifact_ctx *c, json_object *a, struct hm_snap_entry *e) {
  bool has256, has512;
  char hex256[129];
  int r;
  if ((r = read_hex(c, a, HM_SNAP_SHA256, &has256, hex256)) < 0 ||
      (r = read_hex(c, a, HM_SNAP_SHA512, &has512, e->hex)) < 0)
    return r;
  if (has512) {
    e->algo = HM_SNAP_SHA512;
  } else if (has256) {
    e->algo = HM_SNAP_SHA256;
    memcpy(e->hex, hex256, sizeof hex256);
  } else {
    return artifact_fail(c, "no \"sha256\" or \"sha512\"");
  }
  return 0;
}

/* The last path segment of url, when it is a plain file name. */
static char *name_from_url(const char *url) {
  const char *path = strstr(url, "://");
  path = path ? path + 3 : url;
  size_t end = strcspn(path, "?#");
  const char *seg = path;
  for (size_t i = 0; i < end; i++)
    if (path[i] == '/')
      seg = path + i + 1;
  size_t n = (size_t)(path + end - seg);
  bool dots = seg[0] == '.' && (n == 1 || (n == 2 && seg[1] == '.'));
  if (seg == path || n == 0 || n > FILE_NAME_MAX || dots)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    char ch = seg[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          strchr("._+-~", ch)))
      return NULL;
  }
  return strndup(seg, n);
}

static int read_artifact(const struct artifact_ctx *c, json_object *a, struct hm_snap_entry *e) {
  if (!json_object_is_type(a, json_type_object))
    return artifact_fail(c, "not an object");
  int r = check_keys(c, a);
  if (r < 0)
    return r;
  const char *name = text_field(c, a, "name", &r);
  if (r < 0)
    return r;
  const char *purl = text_field(c, a, "purl", &r);
  if (r < 0)
    return r;
  const char *version = text_field(c, a, "version", &r);
  if (r < 0 || (r = read_urls(c, a, &e->urls)) < 0 || (r = read_digest(c, a, e)) < 0)
    return r;
  if (purl && (strncmp(purl, "pkg:", 4) != 0 || strpbrk(purl, " \t")))
    return artifact_fail(c, "purl \"%.200s\" is not a package URL (pkg:type/name@version)", purl);
  e->name = name ? strdup(name) : name_from_url(e->urls[0]);
  if (!e->name && !name)
    return artifact_fail(c, "no \"name\", and the URL's last path segment is not a plain file name "
                            "to use instead");
  _cleanup_free_ char *origin = NULL;
  if (asprintf(&origin, "%s:artifacts[%zu]", c->display, c->index) < 0)
    origin = NULL;
  if (!e->name || (purl && !(e->purl = strdup(purl))) ||
      (version && !(e->version = strdup(version))) || !origin ||
      hm_strv_push(&e->origins, origin) < 0)
    return hm_error_set(c->err, ENOMEM, "%s: out of memory", c->display);
  return 0;
}

static int check_top(const char *display, json_object *root, hm_error *err) {
  json_object_object_foreach(root, key, val) {
    (void)val;
    if (strcmp(key, "version") != 0 && strcmp(key, "artifacts") != 0)
      return hm_error_set(err, EINVAL, "%s: unknown key \"%.64s\" (known: version, artifacts)",
                          display, key);
  }
  json_object *v;
  if (!json_object_object_get_ex(root, "version", &v))
    return hm_error_set(err, EINVAL, "%s: no \"version\" (hermetic-deps.json needs \"version\": 1)",
                        display);
  if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1)
    return hm_error_set(err, EINVAL, "%s: \"version\" is not 1, the only version there is",
                        display);
  return 0;
}

int hm_snap_read_deps(const char *display, json_object *root, struct hm_snap_list *list,
                      const char **kind, hm_error *err) {
  int r = check_top(display, root, err);
  if (r < 0)
    return r;
  *kind = "hermetic-deps-v1";
  json_object *arts = json_object_object_get(root, "artifacts");
  if (!json_object_is_type(arts, json_type_array))
    return hm_error_set(err, EINVAL, "%s: \"artifacts\" is not an array", display);
  for (size_t i = 0; i < json_object_array_length(arts); i++) {
    struct artifact_ctx c = {.display = display, .index = i, .err = err};
    struct hm_snap_entry e = {0};
    r = read_artifact(&c, json_object_array_get_idx(arts, i), &e);
    if (r == 0 && hm_snap_list_add(list, &e) < 0)
      r = hm_error_set(err, ENOMEM, "%s: out of memory", display);
    hm_snap_entry_free(&e);
    if (r < 0)
      return r;
  }
  return 0;
}
