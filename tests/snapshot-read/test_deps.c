/* Unit tests of hermetic-deps.json, npm purls, and how input files are opened (no
 * symlink, no FIFO, a size cap). TAP on stdout; argv[1] is the data/ directory. */
#include "readtest.h"

#define PLAN 14

static const char ZLIB_SHA256[] =
    "9a93b2b7dfdac77ceba5a558a580e74667dd6fede4585b91eefb60f03b72df23";

static void test_deps_json(void) {
  char h512[129];
  _cleanup_free_ char *unused = sri_of(HM_SNAP_SHA512, 0xab, 64, h512);
  char text[4096];
  snprintf(text, sizeof text,
           "{\"version\": 1, \"artifacts\": ["
           "{\"name\": \"zlib\", \"url\": \"https://zlib.net/zlib-1.3.tar.gz\", \"sha256\": \"%s\","
           " \"purl\": \"pkg:generic/zlib@1.3\", \"version\": \"1.3\"},"
           "{\"urls\": [\"https://a.example/dl/tool_2.1+x.tar.xz?raw=1\","
           " \"http://b.example/tool.tar.xz\", \"https://a.example/dl/tool_2.1+x.tar.xz?raw=1\"],"
           " \"sha512\": \"%s\"}]}",
           ZLIB_SHA256, h512);
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  int r = read_text("hermetic-deps.json", text, NULL, &list, &err);
  const struct hm_snap_entry *z = find(&list, "zlib", "1.3");
  tap_ok(r == 0 && list.n == 2 && z && z->algo == HM_SNAP_SHA256 && str_is(z->hex, ZLIB_SHA256) &&
             str_is(z->purl, "pkg:generic/zlib@1.3") &&
             str_is(z->urls[0], "https://zlib.net/zlib-1.3.tar.gz") && !z->urls[1] &&
             str_is(z->origins[0], "hermetic-deps.json:artifacts[0]"),
         "hermetic-deps.json: name, url, sha256, purl, version (%s)", r ? err.msg : "");
  const struct hm_snap_entry *t = find(&list, "tool_2.1+x.tar.xz", NULL);
  tap_ok(t && !t->version && !t->purl && t->algo == HM_SNAP_SHA512 && str_is(t->hex, h512) &&
             str_is(t->urls[1], "http://b.example/tool.tar.xz") && !t->urls[2] &&
             str_is(t->origins[0], "hermetic-deps.json:artifacts[1]"),
         "urls (a repeat dropped), sha512, the name from the first URL's last segment");
  tap_ok(list.n_inputs == 1 && str_is(list.inputs[0].kind, "hermetic-deps-v1") && !list.platform,
         "the input is recorded as hermetic-deps-v1, with no platform");

  /* The same digest from a lockfile and from the manifest: one entry, both origins. */
  _cleanup_free_ char *sri = sri_of(HM_SNAP_SHA512, 0xab, 64, NULL);
  _cleanup_free_ char *fields = NULL;
  if (asprintf(&fields,
               "\"resolved\": \"https://registry.npmjs.org/t/-/t-1.0.0.tgz\", "
               "\"integrity\": \"%s\"",
               sri) < 0)
    abort();
  _cleanup_free_ char *e = npm_entry("t", fields);
  _cleanup_free_ char *lock = lock3(e);
  r = read_text("package-lock.json", lock, &LINUX_X64, &list, &err);
  t = find(&list, "tool_2.1+x.tar.xz", NULL);
  tap_ok(r == 0 && list.n == 2 && t && str_is(t->origins[1], "package-lock.json:node_modules/t"),
         "a lockfile entry with a manifest entry's digest: merged, both origins kept");
  hm_snap_list_free(&list);

  snprintf(text, sizeof text,
           "{\"version\": 1, \"artifacts\": [{\"url\": \"https://x.example/a.tgz\", "
           "\"sha256\": \"%s\", \"sha512\": \"%s\"}]}",
           ZLIB_SHA256, h512);
  hm_snap_list_init(&list);
  r = read_text("hermetic-deps.json", text, NULL, &list, &err);
  tap_ok(r == 0 && list.n == 1 && list.v[0].algo == HM_SNAP_SHA512 && str_is(list.v[0].hex, h512) &&
             str_is(list.v[0].name, "a.tgz"),
         "both hashes: sha512 is the pin");
  hm_snap_list_free(&list);
}

/* "@256U" stands for the sha256 in capitals, "@256" and "@512" for good digests. */
static void expand_digests(const char *src, const char *h512, char *out) {
  char upper[65];
  for (size_t k = 0; k < 65; k++)
    upper[k] = (char)(ZLIB_SHA256[k] >= 'a' ? ZLIB_SHA256[k] - 32 : ZLIB_SHA256[k]);
  while (*src) {
    if (strncmp(src, "@256U", 5) == 0) {
      out = stpcpy(out, upper);
      src += 5;
    } else if (strncmp(src, "@256", 4) == 0) {
      out = stpcpy(out, ZLIB_SHA256);
      src += 4;
    } else if (strncmp(src, "@512", 4) == 0) {
      out = stpcpy(out, h512);
      src += 4;
    } else {
      *out++ = *src++;
    }
  }
  *out = '\0';
}

static void test_deps_json_errors(void) {
  char h512[129], text[4096];
  _cleanup_free_ char *unused = sri_of(HM_SNAP_SHA512, 0xab, 64, h512);
  static const struct {
    const char *art, *why;
  } bad[] = {
      {"{\"url\": \"https://x.example/a.tgz\", \"sha256\": \"@256\", \"sha265\": \"@256\"}",
       "artifacts[0]: unknown key \"sha265\""},
      {"{\"sha256\": \"@256\"}", "artifacts[0]: no \"url\" or \"urls\""},
      {"{\"urls\": [], \"sha256\": \"@256\"}", "artifacts[0]: no \"url\" or \"urls\""},
      {"{\"url\": \"ftp://x.example/a.tgz\", \"sha256\": \"@256\"}", "not an http(s) URL"},
      {"{\"urls\": [\"https://x.example/a.tgz\", \"file:///etc/passwd\"], \"sha256\": \"@256\"}",
       "\"file:///etc/passwd\": not an http(s) URL"},
      {"{\"url\": \"https://x.example/a.tgz\"}", "no \"sha256\" or \"sha512\""},
      {"{\"url\": \"https://x.example/a.tgz\", \"sha256\": \"@256U\"}",
       "\"sha256\" is not 64 lowercase hex digits"},
      {"{\"url\": \"https://x.example/a.tgz\", \"sha256\": \"abc\"}",
       "\"sha256\" is not 64 lowercase hex digits"},
      {"{\"url\": \"https://x.example/a.tgz\", \"sha256\": \"@256\", \"sha512\": \"@256\"}",
       "\"sha512\" is not 128 lowercase hex digits"},
      {"{\"url\": \"https://x.example/a.tgz\", \"sha256\": \"abc\", \"sha512\": \"@512\"}",
       "\"sha256\" is not 64 lowercase hex digits"},
      {"{\"url\": \"https://x.example/dl/\", \"sha256\": \"@256\"}", "no \"name\""},
      {"{\"url\": \"https://x.example/dl/..\", \"sha256\": \"@256\"}", "no \"name\""},
      {"{\"url\": \"https://x.example/a%2f..\", \"sha256\": \"@256\"}", "no \"name\""},
      {"{\"name\": \"\", \"url\": \"https://x.example/a.tgz\", \"sha256\": \"@256\"}",
       "\"name\" is empty"},
      {"{\"url\": \"https://x.example/a.tgz\", \"sha256\": \"@256\", \"purl\": \"zlib\"}",
       "purl \"zlib\" is not a package URL"},
      {"[\"https://x.example/a.tgz\"]", "artifacts[0]: not an object"},
  };
  bool ok = true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(bad); i++) {
    char art[512];
    expand_digests(bad[i].art, h512, art);
    snprintf(text, sizeof text, "{\"version\": 1, \"artifacts\": [%s]}", art);
    ok = fails_with(text, NULL, "package-lock.json: artifacts[0]", NULL) &&
         fails_with(text, NULL, bad[i].why, NULL) && ok;
  }
  tap_ok(ok,
         "%zu bad artifacts: unknown key, no url, non-http url, bad hex, both hashes with one "
         "bad, no usable name, bad purl: each an error naming the entry",
         HM_ARRAY_SIZE(bad));
  tap_ok(
      fails_with("{\"version\": 1, \"artifacts\": [], \"comment\": 1}", NULL,
                 "unknown key \"comment\"", NULL) &&
          fails_with("{\"version\": 2, \"artifacts\": []}", NULL, "\"version\" is not 1", NULL) &&
          fails_with("{\"artifacts\": []}", NULL, "no \"version\"", NULL) &&
          fails_with("{\"version\": 1, \"artifacts\": {}}", NULL, "not an array", NULL),
      "top level: unknown key, version 2, no version, artifacts not an array");
}

static void test_purl(void) {
  static const struct {
    const char *name, *version, *want;
  } cases[] = {
      {"@scope/name", "1.0.0", "pkg:npm/%40scope/name@1.0.0"},
      {"left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"},
      {"JSONStream", "1.3.5", "pkg:npm/JSONStream@1.3.5"},
      {"@angular/core", "17.0.0-rc.1+sha.5114f85",
       "pkg:npm/%40angular/core@17.0.0-rc.1%2Bsha.5114f85"},
      {"it's(ok)!", "1.0.0", "pkg:npm/it%27s%28ok%29%21@1.0.0"},
      {"lodash.merge", NULL, "pkg:npm/lodash.merge"},
  };
  bool ok = true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(cases); i++) {
    _cleanup_free_ char *p = hm_snap_npm_purl(cases[i].name, cases[i].version);
    ok = str_is(p, cases[i].want) && ok;
  }
  tap_ok(ok, "purls: %%40 scope, reserved characters percent-encoded in name and version");
  errno = 0;
  char *p = hm_snap_npm_purl("../x", "1.0.0");
  int e1 = errno;
  char *q = hm_snap_npm_purl("@s/a/b", "1.0.0");
  tap_ok(!p && e1 == EINVAL && !q, "no purl for a name that is not an npm name");
}

static void test_input_files(void) {
  char *dir = fs_tmpdir("snapshot-read");
  _cleanup_free_ char *good = data_path("v3-chalk.json");
  fs_symlink(dir, "link.json", good);
  fs_mkdirs(dir, "a-dir");
  fs_mkfifo(dir, "fifo.json");
  static const struct {
    const char *name, *why;
  } cases[] = {
      {"link.json", "is a symbolic link"},
      {"a-dir", "not a regular file"},
      {"fifo.json", "not a regular file"},
      {"missing.json", "No such file"},
  };
  for (size_t i = 0; i < HM_ARRAY_SIZE(cases); i++) {
    struct hm_snap_list list;
    hm_snap_list_init(&list);
    hm_error err = {0};
    _cleanup_free_ char *path = fs_join(dir, cases[i].name);
    int r = hm_snap_read_input(path, &LINUX_X64, &list, &err);
    tap_ok(r < 0 && strstr(err.msg, path) && strstr(err.msg, cases[i].why) && list.n_inputs == 0,
           "%s: refused (%s)", cases[i].name, err.msg);
    hm_snap_list_free(&list);
  }

  /* A sparse file over the 256 MiB cap: refused from its size, without reading it. */
  _cleanup_free_ char *big = fs_join(dir, "big.json");
  int fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, ((off_t)256 << 20) + 1) < 0)
    fs_die("creating", big);
  close(fd);
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  double t0 = hm_now_ms();
  int r = hm_snap_read_input(big, &LINUX_X64, &list, &err);
  tap_ok(r == -EFBIG && strstr(err.msg, "more than the limit") && hm_now_ms() - t0 < 1000,
         "a file over 256 MiB: refused (%s)", err.msg);
  hm_snap_list_free(&list);
  fs_rm_rf(dir);
  free(dir);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    printf("Bail out! usage: test_deps DATA_DIR\n");
    return 1;
  }
  data_dir = argv[1];
  tap_plan(PLAN);
  test_deps_json();
  test_deps_json_errors();
  test_purl();
  test_input_files();
  return tap_exit_status(PLAN);
}
