/* Unit tests of the npm lockfile reader: real lockfiles written by npm 11 (v3, v3 without
 * `resolved`, v2, aliases and workspaces, rollup's per-platform packages), v1 refused,
 * npm's os/cpu/libc rules, every kind of entry that cannot be pinned, hostile names,
 * integrities and malformed JSON. TAP on stdout; argv[1] is the data/ directory. */
#include "readtest.h"

#define PLAN 60

/* Decoded from the fixture's integrity by node (Buffer.from(b64, "base64")). */
static const char CHALK_HEX[] = "a0a9db845c91217a54b9ecfc881326c846b89db8f820e432ba173fc32f6463bf"
                                "d654f73020ef5503aebc3eef1190eefed06efa48b44e7b2c3d0a9434eb58b898";
static const char SEMVER_HEX[] = "f65a52494e0c972de6aedaeec0bb3578b2bafa0cdbcea78117044d8c88c4fbd2"
                                 "ee0e959d61cb6b4254377a3d489608bb8249e9b134673e82cff03a421ea1c827";
static const char CHALK_NAMES[] =
    "ansi-styles chalk color-convert color-name commander has-flag semver supports-color";

static void test_real_v3(void) {
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  int r = read_data("v3-chalk.json", &LINUX_X64, &list, &err);
  tap_ok(r == 0 && names_are(&list, CHALK_NAMES), "npm v3 lockfile: its 8 packages, not the root");

  const struct hm_snap_entry *e = find(&list, "chalk", "4.1.2");
  _cleanup_free_ char *origin = data_path("v3-chalk.json:node_modules/chalk");
  tap_ok(e && e->algo == HM_SNAP_SHA512 && str_is(e->hex, CHALK_HEX) &&
             str_is(e->urls[0], "https://registry.npmjs.org/chalk/-/chalk-4.1.2.tgz") &&
             !e->urls[1] && str_is(e->purl, "pkg:npm/chalk@4.1.2") &&
             str_is(e->origins[0], origin) && !e->origins[1] && e->size == 0,
         "chalk@4.1.2: sha512 digest, url, purl and origin");
  e = find(&list, "semver", "7.8.6");
  tap_ok(e && e->algo == HM_SNAP_SHA512 && str_is(e->hex, SEMVER_HEX), "semver@7.8.6: digest");

  size_t len;
  _cleanup_free_ char *path = data_path("v3-chalk.json");
  _cleanup_free_ char *bytes = slurp(path, &len);
  unsigned char md[32];
  char want[65];
  EVP_Digest(bytes, len, md, NULL, EVP_sha256(), NULL);
  hm_hex(md, 32, want);
  tap_ok(list.n_inputs == 1 && str_is(list.inputs[0].path, path) &&
             str_is(list.inputs[0].kind, "npm-lockfile-v3") && str_is(list.inputs[0].sha256, want),
         "the input is recorded: path, kind and the sha256 of its bytes");
  tap_ok(str_is(list.platform, "linux-x64"), "the target platform is recorded as linux-x64");

  /* Read again into the same list: every digest is already there, so only origins grow. */
  r = read_data("v2-chalk.json", &LINUX_X64, &list, &err);
  e = find(&list, "chalk", NULL);
  _cleanup_free_ char *origin2 = data_path("v2-chalk.json:node_modules/chalk");
  tap_ok(r == 0 && list.n == 8 && list.n_inputs == 2 && e && str_is(e->origins[0], origin) &&
             str_is(e->origins[1], origin2) && !e->origins[2],
         "a second lockfile of the same packages: de-duplicated by digest, both origins kept");
  r = read_data("v3-chalk.json", &LINUX_ARM64_MUSL, &list, &err);
  tap_ok(r < 0 && strstr(err.msg, "linux-arm64-musl") && strstr(err.msg, "linux-x64"),
         "one list is for one platform: a lockfile read for another is refused");
  hm_snap_list_free(&list);

  /* The host's target: linux and some cpu; which one depends on the machine. */
  hm_snap_list_init(&list);
  r = read_data("v3-chalk.json", NULL, &list, &err);
  tap_ok(r == 0 && list.n == 8 && list.platform && strncmp(list.platform, "linux-", 6) == 0,
         "no options: the host's platform (%s)", list.platform ? list.platform : "none");
  hm_snap_list_free(&list);
}

/* The v3 fixture minus its "resolved" lines: what npm writes with
 * omit-lockfile-registry-resolved. */
static char *without_resolved(const char *name) {
  _cleanup_free_ char *path = data_path(name);
  size_t len;
  char *text = slurp(path, &len), *out = text;
  for (char *line = text, *next; *line; line = next) {
    next = strchr(line, '\n');
    next = next ? next + 1 : line + strlen(line);
    if (!strstr(line, "\"resolved\":") || strstr(line, "\"resolved\":") > next) {
      memmove(out, line, (size_t)(next - line));
      out += next - line;
    }
  }
  *out = '\0';
  return text;
}

static bool same_urls(const struct hm_snap_list *a, const struct hm_snap_list *b) {
  if (a->n != b->n || a->n == 0)
    return false;
  for (size_t i = 0; i < a->n; i++) {
    const struct hm_snap_entry *o = find(b, a->v[i].name, a->v[i].version);
    if (!o || !str_is(a->v[i].urls[0], o->urls[0]) || strcmp(a->v[i].hex, o->hex) != 0)
      return false;
  }
  return true;
}

static void test_no_resolved(void) {
  struct hm_snap_list with, without;
  hm_snap_list_init(&with);
  hm_snap_list_init(&without);
  hm_error err = {0};
  int r = read_data("v3-chalk.json", &LINUX_X64, &with, &err);
  r |= read_data("v3-chalk-no-resolved.json", &LINUX_X64, &without, &err);
  tap_ok(r == 0 && same_urls(&with, &without),
         "npm's lockfile without resolved (written by npm): URLs rebuilt as npm wrote them");
  hm_snap_list_free(&with);
  hm_snap_list_free(&without);

  /* Scoped packages, for every platform rollup ships. */
  const struct hm_snap_read_opts *targets[] = {&LINUX_X64, &LINUX_ARM64_MUSL, &DARWIN_ARM64};
  _cleanup_free_ char *stripped = without_resolved("v3-rollup.json");
  bool ok = strstr(stripped, "resolved") == NULL;
  for (size_t i = 0; i < HM_ARRAY_SIZE(targets); i++) {
    hm_snap_list_init(&with);
    hm_snap_list_init(&without);
    ok = ok && read_data("v3-rollup.json", targets[i], &with, &err) == 0 &&
         read_text("stripped.json", stripped, targets[i], &without, &err) == 0 &&
         same_urls(&with, &without);
    hm_snap_list_free(&with);
    hm_snap_list_free(&without);
  }
  tap_ok(ok, "scoped packages without resolved: the same URLs as npm's (@scope/name/-/name-v.tgz)");

  struct hm_snap_read_opts mirror = LINUX_X64;
  mirror.registry = "http://127.0.0.1:4873/npm//";
  hm_snap_list_init(&without);
  r = read_data("v3-chalk-no-resolved.json", &mirror, &without, &err);
  const struct hm_snap_entry *e = find(&without, "chalk", NULL);
  tap_ok(r == 0 && e && str_is(e->urls[0], "http://127.0.0.1:4873/npm/chalk/-/chalk-4.1.2.tgz"),
         "opts->registry (trailing slashes dropped) rebuilds the URLs");
  hm_snap_list_free(&without);

  mirror.registry = "ftp://mirror.example/npm";
  hm_snap_list_init(&without);
  r = read_data("v3-chalk-no-resolved.json", &mirror, &without, &err);
  tap_ok(r < 0 && strstr(err.msg, "registry ftp://mirror.example/npm"),
         "a registry that is not http(s) is refused");
  hm_snap_list_free(&without);
}

static void test_v2_and_v1(void) {
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  int r = read_data("v2-chalk.json", &LINUX_X64, &list, &err);
  const struct hm_snap_entry *e = find(&list, "chalk", "4.1.2");
  tap_ok(r == 0 && names_are(&list, CHALK_NAMES) && e && str_is(e->hex, CHALK_HEX) &&
             str_is(list.inputs[0].kind, "npm-lockfile-v2"),
         "npm v2 lockfile: read from packages, kind npm-lockfile-v2");
  hm_snap_list_free(&list);

  hm_snap_list_init(&list);
  _cleanup_free_ char *path = data_path("v1-has-flag.json");
  r = hm_snap_read_input(path, &LINUX_X64, &list, &err);
  tap_ok(r == -EINVAL && strstr(err.msg, path) &&
             strstr(err.msg, "lockfileVersion 1 lacks the os/cpu fields and makes npm fetch "
                             "metadata; regenerate it with npm 7 or later: npm install "
                             "--package-lock-only") &&
             list.n == 0 && list.n_inputs == 0,
         "lockfileVersion 1 refused with the reason and the fix");
  tap_diag("%s", err.msg);
  hm_snap_list_free(&list);

  tap_ok(fails_with("{\"lockfileVersion\": 4, \"packages\": {}}", &LINUX_X64,
                    "lockfileVersion 4 is not supported", NULL) &&
             fails_with("{\"lockfileVersion\": \"3\", \"packages\": {}}", &LINUX_X64,
                        "not an integer", NULL) &&
             fails_with("{\"lockfileVersion\": 3}", &LINUX_X64, "no \"packages\" object", NULL),
         "other lockfileVersions, a string version and no packages: refused");
}

static void test_alias_workspace(void) {
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  int r = read_data("v3-alias-workspace.json", &LINUX_X64, &list, &err);
  tap_ok(r == 0 && names_are(&list, "@types/estree has-flag has-flag"),
         "aliases, workspace links and their source skipped; 3 tarballs");
  const struct hm_snap_entry *e4 = find(&list, "has-flag", "4.0.0");
  _cleanup_free_ char *o1 = data_path("v3-alias-workspace.json:node_modules/flag-alias");
  _cleanup_free_ char *o2 = data_path("v3-alias-workspace.json:node_modules/has-flag");
  tap_ok(e4 && str_is(e4->purl, "pkg:npm/has-flag@4.0.0") && str_is(e4->origins[0], o1) &&
             str_is(e4->origins[1], o2) && !e4->origins[2],
         "an alias is named by the real package; with has-flag itself: one entry, two origins");
  const struct hm_snap_entry *e3 = find(&list, "has-flag", "3.0.0");
  _cleanup_free_ char *o3 =
      data_path("v3-alias-workspace.json:packages/ws-a/node_modules/has-flag");
  tap_ok(e3 && str_is(e3->origins[0], o3), "a workspace's own dependency is read");
  const struct hm_snap_entry *s = find(&list, "@types/estree", NULL);
  tap_ok(s && str_is(s->purl, "pkg:npm/%40types/estree@1.0.6") &&
             str_is(s->urls[0], "https://registry.npmjs.org/@types/estree/-/estree-1.0.6.tgz"),
         "a scoped package: purl with %%40 namespace, its URL");
  hm_snap_list_free(&list);

  _cleanup_free_ char *bundled = good_entry("parent/node_modules/inner", "\"inBundle\": true");
  _cleanup_free_ char *no_pin = npm_entry("parent/node_modules/inner2", "\"inBundle\": true");
  _cleanup_free_ char *link = npm_entry("linked", "\"resolved\": \"../linked\", \"link\": true");
  _cleanup_free_ char *parent = good_entry("parent", "");
  _cleanup_free_ char *entries = NULL;
  if (asprintf(&entries, "%s, %s, %s, %s", bundled, no_pin, link, parent) < 0)
    abort();
  _cleanup_free_ char *text = lock3(entries);
  hm_snap_list_init(&list);
  r = read_text("package-lock.json", text, &LINUX_X64, &list, &err);
  tap_ok(r == 0 && names_are(&list, "parent"),
         "inBundle and link entries skipped, even without integrity (%s)", r ? err.msg : "");
  hm_snap_list_free(&list);
}

static void test_rollup_platforms(void) {
  /* Expected sets: npm-install-checks' checkPlatform over the same fixture. */
  static const struct {
    const struct hm_snap_read_opts *opts;
    const char *platform, *names;
  } cases[] = {
      {&LINUX_X64, "linux-x64", "@rollup/rollup-linux-x64-gnu @types/estree rollup"},
      {&LINUX_ARM64_MUSL, "linux-arm64-musl",
       "@rollup/rollup-linux-arm64-musl @types/estree rollup"},
      {&DARWIN_ARM64, "darwin-arm64", "@rollup/rollup-darwin-arm64 @types/estree fsevents rollup"},
      {&WIN32_IA32, "win32-ia32", "@rollup/rollup-win32-ia32-msvc @types/estree rollup"},
  };
  for (size_t i = 0; i < HM_ARRAY_SIZE(cases); i++) {
    struct hm_snap_list list;
    hm_snap_list_init(&list);
    hm_error err = {0};
    int r = read_data("v3-rollup.json", cases[i].opts, &list, &err);
    tap_ok(r == 0 && names_are(&list, cases[i].names) && str_is(list.platform, cases[i].platform),
           "rollup's lockfile for %s: only that platform's optional binary", cases[i].platform);
    hm_snap_list_free(&list);
  }
}

static void test_platform_rules(void) {
  /* Expected sets: npm-install-checks' checkPlatform over data/platform-synthetic.json. */
  static const struct {
    const struct hm_snap_read_opts *opts;
    const char *names;
  } cases[] = {
      {&LINUX_X64, "plain not-win linux-string x64-only linux-x64-but-not-arm64 glibc-only "
                   "not-musl any-os empty-os"},
      {&LINUX_ARM64_MUSL, "plain not-win linux-string arm64-only neither-x64-nor-ia32 any-os "
                          "empty-os"},
      {&DARWIN_ARM64, "plain not-win not-linux arm64-only neither-x64-nor-ia32 any-os empty-os "
                      "darwin-only"},
      {&WIN32_IA32, "plain not-linux any-os empty-os"},
  };
  for (size_t i = 0; i < HM_ARRAY_SIZE(cases); i++) {
    struct hm_snap_list list;
    hm_snap_list_init(&list);
    hm_error err = {0};
    int r = read_data("platform-synthetic.json", cases[i].opts, &list, &err);
    tap_ok(r == 0 && names_are(&list, cases[i].names),
           "os/cpu/libc lists with \"!\" exclusions, strings, \"any\" and []: %s-%s%s%s",
           cases[i].opts->os, cases[i].opts->cpu, cases[i].opts->libc ? "-" : "",
           cases[i].opts->libc ? cases[i].opts->libc : "");
    hm_snap_list_free(&list);
  }

  _cleanup_free_ char *bad = good_entry("odd", "\"os\": [\"linux\", 3]");
  _cleanup_free_ char *text = lock3(bad);
  tap_ok(fails_with(text, &LINUX_X64, "node_modules/odd: \"os\" is neither", NULL),
         "an os list holding a number: an error naming the entry");
  struct hm_snap_read_opts weird = {.os = "Linux!", .cpu = "x64"};
  tap_ok(fails_with(text, &weird, "platform Linux!-x64", NULL), "a malformed target is refused");
}

static void test_unpinnable(void) {
  tap_ok(entry_fails(
             "fsevents-like",
             "\"resolved\": \"https://registry.npmjs.org/x/-/x-1.0.0.tgz\", \"optional\": true",
             "package-lock.json: node_modules/fsevents-like: ",
             "fsevents-like@1.0.0 has no integrity"),
         "an optional entry for this platform without integrity: an error naming it");
  _cleanup_free_ char *opt = npm_entry("fsevents-like", "\"os\": [\"darwin\"], \"optional\": true");
  _cleanup_free_ char *text = lock3(opt);
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  tap_ok(read_text("package-lock.json", text, &LINUX_X64, &list, &err) == 0 && list.n == 0,
         "the same for another platform: skipped, as npm does");
  hm_snap_list_free(&list);

  static const char *const git[] = {
      "git+ssh://git@github.com/o/r.git#6b8a3c1f0e5d4c3b2a1908f7e6d5c4b3a2910f8e",
      "git+https://github.com/o/r.git#6b8a3c1f0e5d4c3b2a1908f7e6d5c4b3a2910f8e",
      "git://github.com/o/r.git#v1.0.0",
      "github:o/r#6b8a3c1f0e5d4c3b2a1908f7e6d5c4b3a2910f8e",
      "https://codeload.github.com/o/r/tar.gz/6b8a3c1f0e5d4c3b2a1908f7e6d5c4b3a2910f8e",
      "https://example.com/r.tgz#6b8a3c1f0e5d4c3b2a1908f7e6d5c4b3a2910f8e",
  };
  bool ok = true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(git); i++) {
    _cleanup_free_ char *fields = NULL;
    if (asprintf(&fields, "\"resolved\": \"%s\"", git[i]) < 0)
      abort();
    ok = entry_fails("from-git", fields, "node_modules/from-git: a git dependency", git[i]) && ok;
  }
  tap_ok(ok, "git dependencies (git+ssh, git+https, git, github:, codeload, #commit): errors "
             "naming the entry");
}

static void test_bad_fields(void) {
  _cleanup_free_ char *sri = sri_of(HM_SNAP_SHA512, 1, 64, NULL);
  static const struct {
    const char *resolved, *why;
  } bad[] = {
      {"file:vendor/local-1.0.0.tgz", "a file: dependency"},
      {"ftp://example.com/x.tgz", "not an http(s) URL"},
      {"https://user:token@example.com/x.tgz", "credentials"},
      {"https:///x.tgz", "no host"},
      {"https://example.com/a b.tgz", "a space"},
      {"https://example.com/a.tgz\\u0000.evil", "holds a NUL"},
  };
  bool ok = true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(bad); i++) {
    _cleanup_free_ char *fields = NULL;
    if (asprintf(&fields, "\"resolved\": \"%s\", \"integrity\": \"%s\"", bad[i].resolved, sri) < 0)
      abort();
    ok = entry_fails("odd", fields, "node_modules/odd: ", bad[i].why) && ok;
  }
  tap_ok(ok, "file:, ftp:, credentials, no host, a space, a NUL in resolved: errors naming the "
             "entry");

  tap_ok(entry_fails("plain", "\"resolved\": \"https://registry.npmjs.org/p/-/p-1.0.0.tgz\"",
                     "node_modules/plain: plain@1.0.0 has no integrity", NULL),
         "a registry entry without integrity");
  /* npm_entry writes "version" first; a later key wins, as in JSON.parse. */
  tap_ok(entry_fails("nov", "\"version\": null", "node_modules/nov: \"version\" is not a string",
                     NULL),
         "a version that is not a string");
  tap_ok(entry_fails("v", "\"version\": \"1.0.0/../../../x\"",
                     "node_modules/v: version \"1.0.0/../../../x\"", NULL),
         "a version with a path in it");
  _cleanup_free_ char *text = lock3("\"node_modules/x\": [1]");
  tap_ok(fails_with(text, &LINUX_X64, "node_modules/x: not an object", NULL),
         "an entry that is not an object");
  _cleanup_free_ char *text2 =
      lock3("\"node_modules/nov\": {\"integrity\": \"sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}");
  tap_ok(fails_with(text2, &LINUX_X64, "node_modules/nov: no version", NULL), "no version");
}

/* Read one entry whose integrity is sri: its algo and hex, or the error. */
static int read_integrity(const char *sri, enum hm_snap_algo *algo, char *hex, hm_error *err) {
  _cleanup_free_ char *fields = NULL;
  if (asprintf(&fields,
               "\"resolved\": \"https://registry.npmjs.org/i/-/i-1.0.0.tgz\", "
               "\"integrity\": \"%s\"",
               sri) < 0)
    abort();
  _cleanup_free_ char *e = npm_entry("i", fields);
  _cleanup_free_ char *t = lock3(e);
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  int r = read_text("package-lock.json", t, &LINUX_X64, &list, err);
  if (r == 0 && list.n == 1) {
    *algo = list.v[0].algo;
    strcpy(hex, list.v[0].hex);
  }
  hm_snap_list_free(&list);
  return r;
}

static void test_integrity(void) {
  char h1[129], h256[129], h512[129], h512b[129], got[129] = "";
  _cleanup_free_ char *s1 = sri_of(HM_SNAP_SHA1, 0x11, 20, h1);
  _cleanup_free_ char *s256 = sri_of(HM_SNAP_SHA256, 0x22, 32, h256);
  _cleanup_free_ char *s512 = sri_of(HM_SNAP_SHA512, 0x55, 64, h512);
  _cleanup_free_ char *s512b = sri_of(HM_SNAP_SHA512, 0x56, 64, h512b);
  enum hm_snap_algo algo = 0;
  hm_error err = {0};
  char sri[1024];

  snprintf(sri, sizeof sri, "%s %s", s1, s512);
  int r = read_integrity(sri, &algo, got, &err);
  tap_ok(r == 0 && algo == HM_SNAP_SHA512 && str_is(got, h512), "\"sha1-… sha512-…\": sha512");
  snprintf(sri, sizeof sri, "%s\t%s", s256, s1);
  r = read_integrity(sri, &algo, got, &err);
  tap_ok(r == 0 && algo == HM_SNAP_SHA256 && str_is(got, h256), "\"sha256-… sha1-…\": sha256");
  r = read_integrity(s1, &algo, got, &err);
  tap_ok(r == 0 && algo == HM_SNAP_SHA1 && str_is(got, h1), "sha1 alone: taken, as npm does");
  snprintf(sri, sizeof sri, "sha384-%.64s %s?opt-a %s", s512 + 7, s512, s512);
  r = read_integrity(sri, &algo, got, &err);
  tap_ok(r == 0 && algo == HM_SNAP_SHA512 && str_is(got, h512),
         "an unknown algorithm ignored, ?options dropped, the same digest twice accepted");

  r = read_integrity("md5-XrY7u+Ae7tCTyyK7j1rNww==", &algo, got, &err);
  tap_ok(r < 0 && strstr(err.msg, "node_modules/i: integrity") &&
             strstr(err.msg, "no sha512, sha256 or sha1"),
         "no known algorithm: refused");
  snprintf(sri, sizeof sri, "%s %s", s512, s512b);
  r = read_integrity(sri, &algo, got, &err);
  tap_ok(r < 0 && strstr(err.msg, "two different sha512 digests"),
         "two different sha512 digests: refused (no single pin)");
  r = read_integrity("sha512-not*base64", &algo, got, &err);
  tap_ok(r < 0 &&
             strstr(err.msg, "node_modules/i: integrity: the sha512 digest is not valid base64"),
         "bad base64: refused");
  _cleanup_free_ char *short512 = sri_of(HM_SNAP_SHA512, 0x55, 32, NULL);
  r = read_integrity(short512, &algo, got, &err);
  tap_ok(r < 0 && strstr(err.msg, "the sha512 digest is 32 bytes, not 64"),
         "a sha512 of 32 bytes: refused");
  _cleanup_free_ char *long256 = sri_of(HM_SNAP_SHA256, 0x55, 64, NULL);
  snprintf(sri, sizeof sri, "%s %s", s512, long256);
  r = read_integrity(sri, &algo, got, &err);
  tap_ok(r < 0 && strstr(err.msg, "the sha256 digest is 64 bytes, not 32"),
         "a malformed weaker hash next to a good sha512: refused");
  r = read_integrity("", &algo, got, &err);
  tap_ok(r < 0 && strstr(err.msg, "has no integrity"), "an empty integrity: refused");
}

static void test_names(void) {
  static const char *const evil[] = {
      "../x",  "..",         ".",         "a/b/c", "@s/../x", "@s/x/y",   "@s/",
      "@/x",   "@s",         "na%6de",    "a b",   "x\\\\y",  "_private", ".hidden",
      "@s/.x", "caf\\u00e9", "a\\u0000b", "x?y",   "x#y",     "x:y",
  };
  bool ok = true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(evil); i++) {
    _cleanup_free_ char *extra = NULL;
    if (asprintf(&extra, "\"name\": \"%s\"", evil[i]) < 0)
      abort();
    _cleanup_free_ char *e = good_entry("alias", extra);
    _cleanup_free_ char *t = lock3(e);
    ok = fails_with(t, &LINUX_X64, "node_modules/alias: ", "name") && ok;
  }
  tap_ok(ok, "%zu hostile names in \"name\": each refused, naming the entry", HM_ARRAY_SIZE(evil));

  /* The same through the key, where the name comes from the folder. */
  static const char *const evil_keys[] = {"..", "a/node_modules/..", "@s/..", "x%2fy", "@s/a/b"};
  ok = true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(evil_keys); i++) {
    _cleanup_free_ char *e = good_entry(evil_keys[i], "");
    _cleanup_free_ char *t = lock3(e);
    ok = fails_with(t, &LINUX_X64, "package name", evil_keys[i]) && ok;
  }
  tap_ok(ok, "hostile names in the key: refused");

  static const char *const fine[] = {"JSONStream", "@babel/core", "lodash.merge",
                                     "a_b",        "x-1",         "@s/_x"};
  ok = true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(fine); i++) {
    _cleanup_free_ char *e = good_entry(fine[i], "");
    _cleanup_free_ char *t = lock3(e);
    struct hm_snap_list list;
    hm_snap_list_init(&list);
    hm_error err = {0};
    if (read_text("package-lock.json", t, &LINUX_X64, &list, &err) != 0 || list.n != 1 ||
        strcmp(list.v[0].name, fine[i]) != 0) {
      tap_diag("%s: %s", fine[i], err.msg);
      ok = false;
    }
    hm_snap_list_free(&list);
  }
  tap_ok(ok, "legacy capitals, scopes, dots, underscores inside: accepted");
}

static void test_malformed(void) {
  tap_ok(fails_with("{\"lockfileVersion\": 3, \"packages\": {", &LINUX_X64,
                    "package-lock.json: malformed JSON", NULL),
         "truncated JSON: an error naming the file");
  tap_ok(fails_with("{\"lockfileVersion\": 3, \"packages\": {},}", &LINUX_X64,
                    "package-lock.json: malformed JSON", NULL),
         "a trailing comma (JSON.parse refuses it too)");
  tap_ok(fails_with("{\"lockfileVersion\": 3, \"packages\": {}} {}", &LINUX_X64,
                    "package-lock.json: malformed JSON", NULL),
         "data after the value");
  {
    static const char nul[] = "{\"lockfileVersion\": 3, \"packages\": {}}\0{}";
    struct hm_snap_list list;
    hm_snap_list_init(&list);
    hm_error err = {0};
    int r = hm_snap_read_buffer("package-lock.json", nul, sizeof nul - 1, &LINUX_X64, &list, &err);
    tap_ok(r < 0 && strstr(err.msg, "package-lock.json: malformed JSON: data after the value"),
           "a NUL byte and more after the value: refused (%s)", err.msg);
    hm_snap_list_free(&list);
  }
  tap_ok(fails_with(" \n", &LINUX_X64, "package-lock.json: empty", NULL), "an empty file");
  tap_ok(fails_with("[1, 2]", &LINUX_X64, "package-lock.json: neither an npm", NULL) &&
             fails_with("{\"name\": \"x\"}", &LINUX_X64, "package-lock.json: neither an npm", NULL),
         "JSON that is neither kind of input");
  tap_ok(fails_with("{\"lockfileVersion\": 3, \"packages\": {\"\xff\": 1}}", &LINUX_X64,
                    "package-lock.json: malformed JSON", NULL),
         "invalid UTF-8");

  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  _cleanup_free_ char *e = good_entry("bom", "");
  _cleanup_free_ char *t = lock3(e);
  _cleanup_free_ char *with_bom = NULL;
  if (asprintf(&with_bom, "\xEF\xBB\xBF%s\n", t) < 0)
    abort();
  tap_ok(read_text("package-lock.json", with_bom, &LINUX_X64, &list, &err) == 0 && list.n == 1,
         "a byte order mark is skipped, as npm does");
  hm_snap_list_free(&list);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    printf("Bail out! usage: test_read DATA_DIR\n");
    return 1;
  }
  data_dir = argv[1];
  tap_plan(PLAN);
  test_real_v3();
  test_no_resolved();
  test_v2_and_v1();
  test_alias_workspace();
  test_rollup_platforms();
  test_platform_rules();
  test_unpinnable();
  test_bad_fields();
  test_integrity();
  test_names();
  test_malformed();
  return tap_exit_status(PLAN);
}
