/* Unit tests of the snapshot manifest: the exact bytes written for a list (key order,
 * optional keys, determinism), the atomic replace, the checks against the store, the
 * strict load (schema, computed paths, hex, types, symlinks, non-regular files, size) and
 * the resolvedDependencies it yields. TAP on stdout. */
#include <dirent.h>
#include <fcntl.h>

#include "storeutil.h"

#define PLAN 51

static const char *const DATA_A = "left-pad 1.3.0 tarball bytes";
static const char *const DATA_B = "is-number 7.0.0";
static const char *const DATA_C = "a generic artifact without a version";
static const char *const LOCK = "{\"lockfileVersion\": 3}";

struct fixture {
  char *dir;
  struct hm_snap_list list;
};

/* Three entries: scoped npm sha512 with a mirror, sha1 with two origins, and a generic
 * sha256 one without version or purl. Not sorted: the manifest keeps the list's order. */
static void fixture_init(struct fixture *f, const char *tag, const char *platform) {
  f->dir = fs_tmpdir(tag);
  hm_snap_list_init(&f->list);
  st_add(&f->list, f->dir, "@scope/left-pad", "1.3.0", HM_SNAP_SHA512, DATA_A, strlen(DATA_A),
         "https://mirror.example/left-pad-1.3.0.tgz");
  size_t b = st_add(&f->list, f->dir, "is-number", "7.0.0", HM_SNAP_SHA1, DATA_B, strlen(DATA_B),
                    NULL);
  hm_strv_push(&f->list.v[b].origins, "web/package-lock.json:node_modules/is-number");
  st_add(&f->list, f->dir, "vendored-thing", NULL, HM_SNAP_SHA256, DATA_C, strlen(DATA_C), NULL);
  st_add_input(&f->list, "package-lock.json", "npm-lockfile-v3", LOCK);
  if (platform)
    f->list.platform = strdup(platform);
}

static void fixture_fini(struct fixture *f) {
  hm_snap_list_free(&f->list);
  fs_rm_rf(f->dir);
  free(f->dir);
}

/* The manifest as docs/snapshot.md specifies it, spelt out independently of manifest.c. */
static char *expected_entry(const struct hm_snap_entry *e, bool last) {
  const char *algo = e->algo == HM_SNAP_SHA1 ? "sha1" : e->algo == HM_SNAP_SHA256 ? "sha256" : "sha512";
  char *version = e->version ? st_fmt("      \"version\": \"%s\",\n", e->version) : strdup("");
  char *purl = e->purl ? st_fmt("      \"purl\": \"%s\",\n", e->purl) : strdup("");
  char *urls = e->urls[1] ? st_fmt("      \"urls\": [\n        \"%s\",\n        \"%s\"\n      ],\n",
                                   e->urls[0], e->urls[1])
                          : strdup("");
  char *origins = e->origins[1] ? st_fmt("        \"%s\",\n        \"%s\"\n", e->origins[0], e->origins[1])
                                : st_fmt("        \"%s\"\n", e->origins[0]);
  char *s = st_fmt("    {\n"
                   "      \"name\": \"%s\",\n%s%s"
                   "      \"url\": \"%s\",\n%s"
                   "      \"algo\": \"%s\",\n"
                   "      \"digest\": \"%s\",\n"
                   "      \"size\": %llu,\n"
                   "      \"blob\": \"blobs/%s/%s\",\n"
                   "      \"npm\": \"npm/_cacache/content-v2/%s/%.2s/%.2s/%s\",\n"
                   "      \"origins\": [\n%s      ]\n"
                   "    }%s\n",
                   e->name, version, purl, e->urls[0], urls, algo, e->hex,
                   (unsigned long long)e->size, algo, e->hex, algo, e->hex, e->hex + 2,
                   e->hex + 4, origins, last ? "" : ",");
  free(version);
  free(purl);
  free(urls);
  free(origins);
  return s;
}

static char *expected_manifest(const struct hm_snap_list *list) {
  char *entries = strdup("");
  for (size_t i = 0; i < list->n; i++) {
    char *e = expected_entry(&list->v[i], i + 1 == list->n), *joined = st_fmt("%s%s", entries, e);
    free(e);
    free(entries);
    entries = joined;
  }
  char *platform = list->platform ? st_fmt("  \"platform\": \"%s\",\n", list->platform) : strdup("");
  char *s = st_fmt("{\n"
                   "  \"schema\": \"https://hermetic.dev/snapshot/manifest/v1\",\n%s"
                   "  \"inputs\": [\n"
                   "    {\n"
                   "      \"path\": \"%s\",\n"
                   "      \"kind\": \"%s\",\n"
                   "      \"sha256\": \"%s\"\n"
                   "    }\n"
                   "  ],\n"
                   "  \"entries\": [\n%s  ]\n"
                   "}\n",
                   platform, list->inputs[0].path, list->inputs[0].kind, list->inputs[0].sha256,
                   entries);
  free(entries);
  free(platform);
  return s;
}

static bool same_text(const char *got, const char *want) {
  if (got && want && strcmp(got, want) == 0)
    return true;
  tap_diag("got:\n%s", got ? got : "(null)");
  tap_diag("want:\n%s", want ? want : "(null)");
  return false;
}

static bool no_temporary_left(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  bool clean = d != NULL;
  while (d && (de = readdir(d)))
    if (strstr(de->d_name, ".tmp"))
      clean = false;
  if (d)
    closedir(d);
  return clean;
}

static void test_write_exact(void) {
  struct fixture f;
  fixture_init(&f, "snap-manifest", "linux-x64");
  hm_error err = {0};
  int r = st_write_manifest(f.dir, &f.list, &err);
  tap_ok(r == 0, "manifest written for three entries: %s", err.msg);
  size_t len = 0;
  char *first = st_read(f.dir, "manifest.json", &len);
  char *want = expected_manifest(&f.list);
  tap_ok(same_text(first, want), "bytes are exactly the documented shape and order");
  tap_ok(first && strlen(first) == len, "no NUL byte in the manifest");

  r = st_write_manifest(f.dir, &f.list, &err);
  char *second = st_read(f.dir, "manifest.json", NULL);
  tap_ok(r == 0 && first && second && strcmp(first, second) == 0,
         "writing the same list again gives the same bytes");
  tap_ok(no_temporary_left(f.dir), "no temporary file left beside manifest.json");

  json_object *m = NULL;
  char sha[65] = "", want_sha[65];
  r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  tap_ok(r == 0 && m, "the manifest loads: %s", err.msg);
  st_hex(HM_SNAP_SHA256, first ? first : "", first ? len : 0, want_sha);
  tap_ok(strcmp(sha, want_sha) == 0, "load reports the sha256 of the exact bytes");
  char *again = m ? st_fmt("%s\n", json_object_to_json_string_ext(m, TEST_JSON_FLAGS)) : NULL;
  tap_ok(same_text(again, first), "loaded and printed again: byte for byte the same");
  json_object_put(m);
  free(first);
  free(second);
  free(want);
  free(again);

  free(f.list.platform);
  f.list.platform = NULL;
  r = st_write_manifest(f.dir, &f.list, &err);
  char *noplat = st_read(f.dir, "manifest.json", NULL);
  want = expected_manifest(&f.list);
  tap_ok(r == 0 && same_text(noplat, want) && !strstr(noplat, "platform"),
         "without a platform the key is omitted");
  free(noplat);
  free(want);
  fixture_fini(&f);
}

static void test_dependencies(void) {
  struct fixture f;
  fixture_init(&f, "snap-deps", "linux-x64");
  hm_error err = {0};
  json_object *m = NULL, *deps = NULL;
  char sha[65];
  int r = st_write_manifest(f.dir, &f.list, &err);
  if (r == 0)
    r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  if (r == 0)
    r = hm_snap_manifest_dependencies(m, &deps, &err);
  tap_ok(r == 0 && deps, "dependencies from a loaded manifest: %s", err.msg);
  const struct hm_snap_entry *a = &f.list.v[0], *b = &f.list.v[1], *c = &f.list.v[2];
  char *want = st_fmt(
      "[{\"uri\":\"%s\",\"digest\":{\"sha512\":\"%s\"},\"name\":\"%s\",\"downloadLocation\":\"%s\"},"
      "{\"uri\":\"%s\",\"digest\":{\"sha1\":\"%s\"},\"name\":\"%s\",\"downloadLocation\":\"%s\"},"
      "{\"uri\":\"%s\",\"digest\":{\"sha256\":\"%s\"},\"name\":\"%s\",\"downloadLocation\":\"%s\"}]",
      a->purl, a->hex, a->name, a->urls[0], b->purl, b->hex, b->name, b->urls[0], c->urls[0],
      c->hex, c->name, c->urls[0]);
  const char *got = deps ? json_object_to_json_string_ext(deps, JSON_C_TO_STRING_PLAIN |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE)
                         : NULL;
  tap_ok(same_text(got, want), "one ResourceDescriptor per entry; the url stands in for a missing purl");
  json_object_put(deps);
  free(want);

  json_object *bad = json_tokener_parse("{\"entries\": [{\"name\": \"x\"}]}");
  deps = NULL;
  r = hm_snap_manifest_dependencies(bad, &deps, &err);
  tap_ok(r == -EINVAL && !deps && strstr(err.msg, "entries[0]"),
         "an unchecked entry without url or digest is refused: %s", err.msg);
  json_object_put(bad);
  json_object_put(m);
  fixture_fini(&f);
}

static void test_write_refusals(void) {
  struct fixture f;
  fixture_init(&f, "snap-write", NULL);
  hm_error err = {0};
  const struct hm_snap_entry *b = &f.list.v[1];
  char *blob = st_fmt("%s/blobs/sha1/%s", f.dir, b->hex), *aside = st_fmt("%s.aside", blob);
  rename(blob, aside);
  int r = st_write_manifest(f.dir, &f.list, &err);
  tap_ok(r == -ENOENT && strstr(err.msg, "entries[1] (is-number@7.0.0)") &&
             strstr(err.msg, b->hex),
         "a missing blob is refused, naming the entry and the blob: %s", err.msg);
  char *m = fs_join(f.dir, "manifest.json");
  struct stat st;
  tap_ok(lstat(m, &st) < 0 && errno == ENOENT, "and no manifest was written");

  if (symlink(aside, blob) < 0)
    fs_die("symlink", blob);
  r = st_write_manifest(f.dir, &f.list, &err);
  tap_ok(r == -EINVAL && strstr(err.msg, "not a regular file"),
         "a blob that is a symlink is refused: %s", err.msg);
  unlink(blob);
  rename(aside, blob);

  f.list.v[1].size += 1;
  r = st_write_manifest(f.dir, &f.list, &err);
  tap_ok(r == -EINVAL && strstr(err.msg, "is-number@7.0.0") && strstr(err.msg, "bytes"),
         "a blob whose size differs from the entry's is refused: %s", err.msg);
  f.list.v[1].size = 0;
  hm_error_clear(&err);
  r = st_write_manifest(f.dir, &f.list, &err);
  tap_ok(r == 0, "size 0 (not known yet) is not compared: %s", err.msg);

  /* A symlink planted at manifest.json is replaced, never written through. */
  char *outside = st_fmt("%s.outside", f.dir);
  fs_write_str("/", outside + 1, "precious");
  unlink(m);
  if (symlink(outside, m) < 0)
    fs_die("symlink", m);
  r = st_write_manifest(f.dir, &f.list, &err);
  char *kept = st_read("/", outside + 1, NULL);
  tap_ok(r == 0 && lstat(m, &st) == 0 && S_ISREG(st.st_mode) && kept &&
             strcmp(kept, "precious") == 0,
         "a symlink at manifest.json is replaced; its target is untouched");
  unlink(outside);
  free(kept);
  free(outside);
  free(m);
  free(blob);
  free(aside);
  fixture_fini(&f);
}

/* ---- load ---- */

static int load_text(const char *dir, const char *text, size_t len, hm_error *err) {
  char *p = fs_join(dir, "manifest.json");
  unlink(p);
  free(p);
  fs_write(dir, "manifest.json", text, len);
  json_object *m = NULL;
  char sha[65];
  hm_error_clear(err);
  int r = hm_snap_manifest_load(dir, &m, sha, err);
  json_object_put(m);
  return r;
}

/* good with the first `from` replaced by `to`. */
static char *replaced(const char *good, const char *from, const char *to) {
  const char *at = strstr(good, from);
  if (!at)
    fs_die("replaced: not found", from);
  return st_fmt("%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
}

static void expect_refused(const char *dir, const char *text, int code, const char *what,
                           const char *in_msg, const char *in_msg2) {
  hm_error err = {0};
  int r = load_text(dir, text, strlen(text), &err);
  tap_ok(r == -code && strstr(err.msg, "manifest.json") && strstr(err.msg, in_msg) &&
             (!in_msg2 || strstr(err.msg, in_msg2)),
         "load refuses %s: %s", what, err.msg);
}

static void expect_text_refused(const char *dir, const char *good, const char *from,
                                const char *to, const char *what, const char *in_msg,
                                const char *in_msg2) {
  char *text = replaced(good, from, to);
  expect_refused(dir, text, EINVAL, what, in_msg, in_msg2);
  free(text);
}

/* The good manifest with one change made through json-c. */
typedef void (*json_edit)(json_object *root);
static void expect_edit_refused(const char *dir, const char *good, json_edit edit,
                                const char *what, const char *in_msg, const char *in_msg2) {
  json_object *root = json_tokener_parse(good);
  edit(root);
  char *text = strdup(json_object_to_json_string_ext(root, TEST_JSON_FLAGS));
  json_object_put(root);
  expect_refused(dir, text, EINVAL, what, in_msg, in_msg2);
  free(text);
}

static json_object *entry(json_object *root, size_t i) {
  json_object *entries;
  json_object_object_get_ex(root, "entries", &entries);
  return json_object_array_get_idx(entries, i);
}

static void del_url(json_object *root) { json_object_object_del(entry(root, 2), "url"); }
static void del_origins(json_object *root) { json_object_object_del(entry(root, 0), "origins"); }
static void size_negative(json_object *root) {
  json_object_object_add(entry(root, 1), "size", json_object_new_int(-1));
}
static void size_string(json_object *root) {
  json_object_object_add(entry(root, 1), "size", json_object_new_string("15"));
}
static void size_double(json_object *root) {
  json_object_object_add(entry(root, 1), "size", json_object_new_double(15.0));
}
static void name_number(json_object *root) {
  json_object_object_add(entry(root, 0), "name", json_object_new_int(7));
}
static void entries_object(json_object *root) {
  json_object_object_add(root, "entries", json_object_new_object());
}
static void entry_number(json_object *root) {
  json_object *entries;
  json_object_object_get_ex(root, "entries", &entries);
  json_object_array_put_idx(entries, 1, json_object_new_int(5));
}
static void extra_key(json_object *root) {
  json_object_object_add(entry(root, 2), "script", json_object_new_string("curl | sh"));
}
static void extra_top_key(json_object *root) {
  json_object_object_add(root, "trusted", json_object_new_boolean(1));
}
static void urls_differ(json_object *root) {
  json_object *urls;
  json_object_object_get_ex(entry(root, 0), "urls", &urls);
  json_object_array_put_idx(urls, 0, json_object_new_string("https://evil.example/x.tgz"));
}
static void origin_number(json_object *root) {
  json_object *o;
  json_object_object_get_ex(entry(root, 1), "origins", &o);
  json_object_array_add(o, json_object_new_int(3));
}
static void no_schema(json_object *root) { json_object_object_del(root, "schema"); }

static void test_load_content(void) {
  struct fixture f;
  fixture_init(&f, "snap-load", "linux-x64");
  hm_error err = {0};
  if (st_write_manifest(f.dir, &f.list, &err) < 0)
    fs_die("writing the manifest", err.msg);
  char *good = st_read(f.dir, "manifest.json", NULL);
  const struct hm_snap_entry *a = &f.list.v[0], *b = &f.list.v[1], *c = &f.list.v[2];
  tap_ok(load_text(f.dir, good, strlen(good), &err) == 0, "the unchanged text loads");

  expect_text_refused(f.dir, good, HM_SNAP_MANIFEST_SCHEMA, "https://hermetic.dev/snapshot/manifest/v2",
                      "another schema", "schema", "v2");
  expect_edit_refused(f.dir, good, no_schema, "a missing schema", "no \"schema\"", NULL);
  char *blob = st_fmt("\"blobs/sha512/%s\"", a->hex);
  expect_text_refused(f.dir, good, blob, "\"../../etc/passwd\"", "a blob path outside DIR",
                      "entries[0] (@scope/left-pad@1.3.0)", "../../etc/passwd");
  free(blob);
  char *other = st_fmt("\"blobs/sha1/%s\",", b->hex), *swapped = st_fmt("\"blobs/sha1/%s\",", a->hex);
  expect_text_refused(f.dir, good, other, swapped, "a blob path naming another digest",
                      "entries[1] (is-number@7.0.0)", "blob");
  free(other);
  free(swapped);
  char *npm = st_fmt("\"npm/_cacache/content-v2/sha256/%.2s/", c->hex);
  expect_text_refused(f.dir, good, npm, "\"npm/_cacache/content-v2/sha256/../../../../x/",
                      "an npm path not computed from the digest", "entries[2] (vendored-thing)",
                      "npm is");
  free(npm);
  char *digest = st_fmt("\"digest\": \"%s\"", c->hex), *upper = strdup(digest);
  for (char *p = upper + strlen("\"digest\": \""); *p; p++)
    if (*p >= 'a' && *p <= 'f')
      *p = (char)(*p - 'a' + 'A');
  expect_text_refused(f.dir, good, digest, upper, "an uppercase digest", "entries[2]",
                      "lowercase hex");
  free(digest);
  free(upper);
  char *sha1 = st_fmt("\"digest\": \"%s\"", b->hex), *shorter = st_fmt("\"digest\": \"%.39s\"", b->hex);
  expect_text_refused(f.dir, good, sha1, shorter, "a digest one digit short", "entries[1]",
                      "40 lowercase hex");
  free(sha1);
  free(shorter);
  expect_text_refused(f.dir, good, "\"algo\": \"sha1\"", "\"algo\": \"md5\"", "an unknown algo",
                      "entries[1]", "unknown algo \"md5\"");
  expect_text_refused(f.dir, good, "\"algo\": \"sha1\"", "\"algo\": \"sha256\"",
                      "a digest of the wrong length for its algo", "entries[1]", "64 lowercase");
  char *input = st_fmt("\"sha256\": \"%s\"", f.list.inputs[0].sha256);
  expect_text_refused(f.dir, good, input, "\"sha256\": \"abc\"", "an input's short sha256",
                      "inputs[0]", "sha256");
  free(input);
  free(good);
  fixture_fini(&f);
}

static void test_load_types(void) {
  struct fixture f;
  fixture_init(&f, "snap-load-types", "linux-x64");
  hm_error err = {0};
  if (st_write_manifest(f.dir, &f.list, &err) < 0)
    fs_die("writing the manifest", err.msg);
  char *good = st_read(f.dir, "manifest.json", NULL);
  expect_edit_refused(f.dir, good, del_url, "an entry without url", "entries[2] (vendored-thing)",
                      "no \"url\"");
  expect_edit_refused(f.dir, good, del_origins, "an entry without origins", "entries[0]",
                      "no \"origins\"");
  expect_edit_refused(f.dir, good, size_negative, "a negative size", "entries[1]", "size");
  expect_edit_refused(f.dir, good, size_string, "a size given as a string", "entries[1]", "size");
  expect_edit_refused(f.dir, good, size_double, "a size given as a double", "entries[1]", "size");
  expect_edit_refused(f.dir, good, name_number, "a name that is not a string", "entries[0]",
                      "\"name\" must be a string");
  expect_edit_refused(f.dir, good, entries_object, "entries that are not an array", "entries",
                      "must be an array");
  expect_edit_refused(f.dir, good, entry_number, "an entry that is not an object", "entries[1]",
                      "not an object");
  expect_edit_refused(f.dir, good, extra_key, "an unknown key in an entry", "entries[2]",
                      "unknown key \"script\"");
  expect_edit_refused(f.dir, good, extra_top_key, "an unknown top-level key", "trusted", NULL);
  expect_edit_refused(f.dir, good, urls_differ, "urls whose first is not url", "entries[0]",
                      "urls[0]");
  expect_edit_refused(f.dir, good, origin_number, "an origin that is not a string", "entries[1]",
                      "origins");

  char *trailing = st_fmt("%s{}", good);
  expect_refused(f.dir, trailing, EINVAL, "text after the object", "malformed JSON", NULL);
  free(trailing);
  char *comment = st_fmt("/* hi */%s", good);
  expect_refused(f.dir, comment, EINVAL, "a comment (not RFC 8259)", "malformed JSON", NULL);
  free(comment);
  size_t len = strlen(good);
  char *nul = strdup(good);
  nul[len / 2] = '\0';
  int r = load_text(f.dir, nul, len, &err);
  tap_ok(r == -EINVAL && strstr(err.msg, "NUL"), "load refuses a NUL byte: %s", err.msg);
  free(nul);
  free(good);
  fixture_fini(&f);
}

static void test_load_files(void) {
  struct fixture f;
  fixture_init(&f, "snap-loadf", "linux-x64");
  hm_error err = {0};
  if (st_write_manifest(f.dir, &f.list, &err) < 0)
    fs_die("writing the manifest", err.msg);
  json_object *m = NULL;
  char sha[65];
  char *path = fs_join(f.dir, "manifest.json"), *real = fs_join(f.dir, "real.json");
  if (rename(path, real) < 0 || symlink("real.json", path) < 0)
    fs_die("symlink", path);
  int r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  tap_ok(r == -ELOOP && !m && strstr(err.msg, "manifest.json: a symlink"),
         "a symlinked manifest.json is refused: %s", err.msg);
  unlink(path);

  if (mkfifo(path, 0644) < 0)
    fs_die("mkfifo", path);
  r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  tap_ok(r == -EINVAL && strstr(err.msg, "not a regular file"),
         "a fifo is refused without blocking: %s", err.msg);
  unlink(path);

  if (mkdir(path, 0755) < 0)
    fs_die("mkdir", path);
  r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  tap_ok(r == -EINVAL && strstr(err.msg, "not a regular file"), "a directory is refused: %s",
         err.msg);
  rmdir(path);

  r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  tap_ok(r == -ENOENT && strstr(err.msg, "manifest.json"), "a missing manifest: %s", err.msg);

  /* A sparse file one byte over the cap: refused from its size, before reading 64 MiB. */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, ((off_t)64 << 20) + 1) < 0)
    fs_die("ftruncate", path);
  close(fd);
  r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  tap_ok(r == -EFBIG, "a manifest over 64 MiB is refused: %s", err.msg);
  unlink(path);

  rename(real, path);
  char *link = st_fmt("%s.link", f.dir);
  if (symlink(f.dir, link) < 0)
    fs_die("symlink", link);
  r = hm_snap_manifest_load(link, &m, sha, &err);
  tap_ok(r == -ELOOP && !m && strstr(err.msg, "symlink"), "a symlinked snapshot directory is refused: %s",
         err.msg);
  unlink(link);
  r = hm_snap_manifest_load(f.dir, &m, sha, &err);
  tap_ok(r == 0 && m, "once put back, it loads");
  json_object_put(m);
  free(link);
  free(path);
  free(real);
  fixture_fini(&f);
}

int main(void) {
  tap_plan(PLAN);
  test_write_exact();
  test_dependencies();
  test_write_refusals();
  test_load_content();
  test_load_types();
  test_load_files();
  return tap_exit_status(PLAN);
}
