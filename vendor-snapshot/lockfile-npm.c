/* npm package-lock.json (and npm-shrinkwrap.json), lockfileVersion 2 and 3: every entry of
 * `packages` that npm would fetch for the target platform, with its tarball URL and the
 * strongest digest of its integrity. Reads only the parsed JSON and, to learn the host's
 * libc, the names in /lib. */
#include "snapshot-int.h"

#include <fcntl.h>
#include <string.h>
#include <strings.h>

#include "hm-base64.h"

#define VERSION_MAX 256

/* The platform npm-install-checks compares an entry's os/cpu/libc with. */
struct target {
  const char *os, *cpu, *libc; /* libc NULL off Linux, as npm has it */
};

/* One packages entry, for messages: "package-lock.json: node_modules/foo: ...". */
struct entry_ctx {
  const char *display, *key;
  hm_error *err;
};

__attribute__((format(printf, 2, 3))) static int entry_fail(const struct entry_ctx *c,
                                                            const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = hm_snap_input_error(c->err, c->display, c->key, fmt, ap);
  va_end(ap);
  return r;
}

/* process.arch of a node built like this binary. */
static const char *host_cpu(void) {
#if defined(__x86_64__)
  return "x64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "ia32";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__powerpc__)
  return "ppc";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__s390__)
  return "s390";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loong64";
#elif defined(__mips__) && defined(__MIPSEL__)
  return "mipsel";
#elif defined(__mips__)
  return "mips";
#else
  return "unknown";
#endif
}

/* musl's dynamic loader is /lib/ld-musl-<arch>.so.1; glibc's never is. */
static const char *host_libc(void) {
  int fd = open("/lib", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return "glibc";
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return "glibc";
  }
  for (struct dirent *de; (de = readdir(d));)
    if (strncmp(de->d_name, "ld-musl-", 8) == 0)
      return "musl";
  return "glibc";
}

static bool platform_word(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 32)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

static int resolve_target(const struct hm_snap_read_opts *opts, struct target *t, hm_error *err) {
  t->os = opts->os ? opts->os : "linux";
  t->cpu = opts->cpu ? opts->cpu : host_cpu();
  t->libc = opts->libc ? opts->libc : strcmp(t->os, "linux") == 0 ? host_libc() : NULL;
  if (!platform_word(t->os) || !platform_word(t->cpu) || (t->libc && !platform_word(t->libc)))
    return hm_error_set(err, EINVAL,
                        "platform %s-%s%s%s: each part must be a lowercase npm name such as "
                        "linux, x64, glibc",
                        t->os, t->cpu, t->libc ? "-" : "", t->libc ? t->libc : "");
  return 0;
}

/* "linux-x64", with the libc only when it is not the usual one: "linux-x64-musl". */
static int set_platform(struct hm_snap_list *list, const struct target *t, const char *display,
                        hm_error *err) {
  _cleanup_free_ char *p = NULL;
  bool show_libc = t->libc && strcmp(t->libc, "glibc") != 0;
  if (asprintf(&p, "%s-%s%s%s", t->os, t->cpu, show_libc ? "-" : "", show_libc ? t->libc : "") <
      0) {
    p = NULL;
    return hm_error_set(err, ENOMEM, "%s: out of memory", display);
  }
  if (list->platform && strcmp(list->platform, p) != 0)
    return hm_error_set(err, EINVAL, "%s: read for %s, but earlier lockfiles were read for %s",
                        display, p, list->platform);
  if (!list->platform)
    list->platform = steal_pointer(&p);
  return 0;
}

/* npm-install-checks checkList: no "!value" may match, and one plain value must when any
 * is given; ["any"] allows all. 1 allowed, 0 not, -EINVAL when the field is malformed. */
static int platform_allows(json_object *field, const char *value) {
  size_t n = 1;
  bool array = json_object_is_type(field, json_type_array);
  if (array)
    n = json_object_array_length(field);
  else if (!json_object_is_type(field, json_type_string))
    return -EINVAL;
  size_t negated = 0;
  bool match = false;
  for (size_t i = 0; i < n; i++) {
    json_object *item = array ? json_object_array_get_idx(field, i) : field;
    if (!json_object_is_type(item, json_type_string))
      return -EINVAL;
    const char *s = json_object_get_string(item);
    if (n == 1 && strcmp(s, "any") == 0)
      return 1;
    if (s[0] == '!') {
      negated++;
      if (value && strcmp(value, s + 1) == 0)
        return 0;
    } else if (value && strcmp(value, s) == 0) {
      match = true;
    }
  }
  return match || negated == n;
}

/* 1 when the entry is for the target, 0 when npm would skip it there. */
static int entry_applies(const struct entry_ctx *c, json_object *entry, const struct target *t) {
  static const char *const fields[] = {"os", "cpu", "libc"};
  const char *values[] = {t->os, t->cpu, t->libc};
  for (size_t i = 0; i < HM_ARRAY_SIZE(fields); i++) {
    json_object *f;
    if (!json_object_object_get_ex(entry, fields[i], &f))
      continue;
    int r = platform_allows(f, values[i]);
    if (r < 0)
      return entry_fail(c, "\"%s\" is neither a string nor an array of strings", fields[i]);
    /* npm: an entry limited to some libc never installs where there is none (off Linux). */
    if (r == 0 || (i == 2 && !values[i]))
      return 0;
  }
  return 1;
}

static bool field_true(json_object *entry, const char *key) {
  json_object *v;
  return json_object_object_get_ex(entry, key, &v) && json_object_is_type(v, json_type_boolean) &&
         json_object_get_boolean(v);
}

/* A string field, NULL when absent; -EINVAL when present with another type. */
static int field_string(const struct entry_ctx *c, json_object *entry, const char *key,
                        const char **out) {
  json_object *v;
  *out = NULL;
  if (!json_object_object_get_ex(entry, key, &v))
    return 0;
  if (!json_object_is_type(v, json_type_string))
    return entry_fail(c, "\"%s\" is not a string", key);
  *out = json_object_get_string(v);
  if (strlen(*out) != (size_t)json_object_get_string_len(v))
    return entry_fail(c, "\"%s\" holds a NUL character", key);
  return 0;
}

/* The folder name npm installed the entry under: after the last "node_modules/". NULL for
 * keys of no node_modules (the root, workspaces, link targets: the project's own source). */
static const char *name_from_key(const char *key) {
  const char *name = strncmp(key, "node_modules/", 13) == 0 ? key + 13 : NULL;
  for (const char *p = key; (p = strstr(p, "/node_modules/")); p++)
    name = p + 14;
  return name;
}

static bool semver_chars(const char *v) {
  size_t n = strlen(v);
  if (n == 0 || n > VERSION_MAX)
    return false;
  for (; *v; v++)
    if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
          *v == '.' || *v == '-' || *v == '+'))
      return false;
  return true;
}

/* One SRI hash "alg-base64[?options]" of a known algorithm, decoded into hex. */
static int sri_decode(const struct entry_ctx *c, enum hm_snap_algo algo, const char *b64, size_t n,
                      char hex[129]) {
  size_t opts = strcspn(b64, "?");
  if (opts < n)
    n = opts;
  size_t len = 0;
  _cleanup_free_ unsigned char *raw = hm_base64_decode(b64, n, &len);
  if (!raw && errno == ENOMEM)
    return hm_error_set(c->err, ENOMEM, "%s: out of memory", c->display);
  if (!raw)
    return entry_fail(c, "integrity: the %s digest is not valid base64", hm_snap_algo_name(algo));
  if (len != hm_snap_algo_len(algo))
    return entry_fail(c, "integrity: the %s digest is %zu bytes, not %zu", hm_snap_algo_name(algo),
                      len, hm_snap_algo_len(algo));
  hm_hex(raw, len, hex);
  return 0;
}

/* The strongest of sha512 > sha256 > sha1 in an SRI string; other algorithms are ignored,
 * as the SRI spec says. Every hash of a known algorithm must be well-formed, and two
 * different digests of the chosen one leave no single pin to check. */
static int parse_integrity(const struct entry_ctx *c, const char *sri, enum hm_snap_algo *algo,
                           char hex[129]) {
  *algo = 0;
  for (const char *p = sri; *p;) {
    p += strspn(p, " \t\r\n\f");
    size_t n = strcspn(p, " \t\r\n\f");
    if (n == 0)
      break;
    const char *dash = memchr(p, '-', n);
    _cleanup_free_ char *name = dash ? strndup(p, (size_t)(dash - p)) : NULL;
    enum hm_snap_algo a;
    if (name && hm_snap_algo_parse(name, &a) == 0) {
      char h[129];
      int r = sri_decode(c, a, dash + 1, n - (size_t)(dash + 1 - p), h);
      if (r < 0)
        return r;
      if (a > *algo) {
        *algo = a;
        memcpy(hex, h, sizeof h);
      } else if (a == *algo && strcmp(hex, h) != 0) {
        return entry_fail(c, "integrity: two different %s digests", hm_snap_algo_name(a));
      }
    }
    p += n;
  }
  if (*algo == 0)
    return entry_fail(c, "integrity \"%.80s\" has no sha512, sha256 or sha1 digest", sri);
  return 0;
}

static bool starts_with(const char *s, const char *prefix) {
  return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int check_resolved(const struct entry_ctx *c, const char *resolved) {
  static const char *const git[] = {"git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:"};
  bool is_git =
      strchr(resolved, '#') != NULL || starts_with(resolved, "https://codeload.github.com/");
  for (size_t i = 0; i < HM_ARRAY_SIZE(git); i++)
    is_git = is_git || starts_with(resolved, git[i]);
  if (is_git)
    return entry_fail(c,
                      "a git dependency (%.200s): npm checks out git sources without a pinned "
                      "digest, so they cannot be snapshotted; depend on a published version",
                      resolved);
  if (starts_with(resolved, "file:"))
    return entry_fail(c,
                      "a file: dependency (%.200s): a local tarball is part of the source, not "
                      "something to fetch; vendor it in the repository as a workspace instead",
                      resolved);
  const char *why = hm_snap_url_problem(resolved);
  if (why)
    return entry_fail(c, "resolved \"%.200s\": %s", resolved, why);
  return 0;
}

/* npm's own layout, used when the lockfile omits it (omit-lockfile-registry-resolved):
 * <registry>/<name>/-/<name without scope>-<version>.tgz */
static char *registry_url(const char *registry, const char *name, const char *version) {
  size_t rlen = strlen(registry);
  while (rlen > 0 && registry[rlen - 1] == '/')
    rlen--;
  const char *slash = name[0] == '@' ? strchr(name, '/') : NULL;
  const char *base = slash ? slash + 1 : name;
  char *url;
  if (asprintf(&url, "%.*s/%s/-/%s-%s.tgz", (int)rlen, registry, name, base, version) < 0)
    return NULL;
  return url;
}

/* Takes url. */
static int add_entry(const struct entry_ctx *c, const char *name, const char *version, char *url,
                     enum hm_snap_algo algo, const char *hex, struct hm_snap_list *list) {
  struct hm_snap_entry e = {.algo = algo};
  memcpy(e.hex, hex, 2 * hm_snap_algo_len(algo) + 1);
  _cleanup_free_ char *origin = NULL;
  int r = -ENOMEM;
  e.urls = calloc(2, sizeof(char *));
  if (!e.urls)
    free(url);
  else
    e.urls[0] = url;
  e.name = strdup(name);
  e.version = strdup(version);
  e.purl = hm_snap_npm_purl(name, version);
  if (asprintf(&origin, "%s:%s", c->display, c->key) < 0)
    origin = NULL;
  if (e.urls && e.name && e.version && e.purl && origin && hm_strv_push(&e.origins, origin) == 0)
    r = hm_snap_list_add(list, &e);
  hm_snap_entry_free(&e); /* zeroed by a successful add */
  if (r < 0)
    return hm_error_set(c->err, ENOMEM, "%s: out of memory", c->display);
  return 0;
}

/* One packages entry: skipped (0), added (0), or an error naming it. */
static int read_entry(const struct entry_ctx *c, json_object *entry, const struct target *t,
                      const char *registry, struct hm_snap_list *list) {
  if (!json_object_is_type(entry, json_type_object))
    return entry_fail(c, "not an object");
  /* Links point into the project's source; bundled packages come inside their parent. */
  if (field_true(entry, "link") || field_true(entry, "inBundle"))
    return 0;
  int r = entry_applies(c, entry, t);
  if (r <= 0)
    return r;
  const char *name, *version, *resolved, *integrity;
  if ((r = field_string(c, entry, "name", &name)) < 0 ||
      (r = field_string(c, entry, "version", &version)) < 0 ||
      (r = field_string(c, entry, "resolved", &resolved)) < 0 ||
      (r = field_string(c, entry, "integrity", &integrity)) < 0)
    return r;
  if (!name) /* an alias keeps the real name in "name"; others are named by their folder */
    name = name_from_key(c->key);
  const char *why = hm_snap_npm_name_problem(name);
  if (why)
    return entry_fail(c, "package name \"%.214s\": %s", name, why);
  if (!version)
    return entry_fail(c, "no version");
  if (!semver_chars(version))
    return entry_fail(c, "version \"%.80s\" is not a semver version", version);
  if (resolved && (r = check_resolved(c, resolved)) < 0)
    return r;
  if (!integrity || !*integrity)
    return entry_fail(
        c, "%s@%s has no integrity, so nothing pins what would be fetched%s", name, version,
        field_true(entry, "optional") ? " (optional, but it applies to this platform)" : "");
  enum hm_snap_algo algo;
  char hex[129];
  if ((r = parse_integrity(c, integrity, &algo, hex)) < 0)
    return r;
  char *url = resolved ? strdup(resolved) : registry_url(registry, name, version);
  if (!url)
    return hm_error_set(c->err, ENOMEM, "%s: out of memory", c->display);
  return add_entry(c, name, version, url, algo, hex, list);
}

static int lockfile_version(const char *display, json_object *root, int *out, hm_error *err) {
  json_object *v = json_object_object_get(root, "lockfileVersion");
  if (!json_object_is_type(v, json_type_int))
    return hm_error_set(err, EINVAL, "%s: \"lockfileVersion\" is not an integer", display);
  int64_t n = json_object_get_int64(v);
  if (n == 1)
    return hm_error_set(err, EINVAL,
                        "%s: lockfileVersion 1 lacks the os/cpu fields and makes npm fetch "
                        "metadata; regenerate it with npm 7 or later: npm install "
                        "--package-lock-only",
                        display);
  if (n != 2 && n != 3)
    return hm_error_set(err, EINVAL, "%s: lockfileVersion %jd is not supported (2 and 3 are)",
                        display, (intmax_t)n);
  *out = (int)n;
  return 0;
}

int hm_snap_read_npm(const char *display, json_object *root, const struct hm_snap_read_opts *opts,
                     struct hm_snap_list *list, const char **kind, hm_error *err) {
  int version = 0, r;
  if ((r = lockfile_version(display, root, &version, err)) < 0)
    return r;
  *kind = version == 2 ? "npm-lockfile-v2" : "npm-lockfile-v3";
  const char *registry = opts->registry ? opts->registry : HM_SNAP_DEFAULT_REGISTRY;
  const char *why = hm_snap_url_problem(registry);
  if (!why && strchr(registry, '?'))
    why = "a query (the tarball path is appended to it)";
  if (why)
    return hm_error_set(err, EINVAL, "registry %s: %s", registry, why);
  struct target t;
  if ((r = resolve_target(opts, &t, err)) < 0 || (r = set_platform(list, &t, display, err)) < 0)
    return r;
  json_object *packages;
  if (!json_object_object_get_ex(root, "packages", &packages) ||
      !json_object_is_type(packages, json_type_object))
    return hm_error_set(err, EINVAL, "%s: no \"packages\" object (lockfileVersion %d)", display,
                        version);
  json_object_object_foreach(packages, key, entry) {
    if (!name_from_key(key))
      continue;
    struct entry_ctx c = {.display = display, .key = key, .err = err};
    if ((r = read_entry(&c, entry, &t, registry, list)) < 0)
      return r;
  }
  return 0;
}
