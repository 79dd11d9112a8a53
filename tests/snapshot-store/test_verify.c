/* Unit tests of hm_snap_verify: a clean store, then one kind of damage at a time (a
 * flipped byte, a truncated, deleted or symlinked blob, a missing or foreign npm link, a
 * stray or misnamed file under blobs/), the same report whatever the number of threads,
 * and a store of 2,000 blobs. Every expected report line is computed here from the bytes
 * the test wrote. TAP on stdout. */
#include <fcntl.h>

#include "storeutil.h"

#define PLAN 25

struct vstore {
  char *dir;
  struct hm_snap_list list;
};

static const char *algo_str(enum hm_snap_algo a) {
  return a == HM_SNAP_SHA1 ? "sha1" : a == HM_SNAP_SHA256 ? "sha256" : "sha512";
}

static char *blob_rel(const struct hm_snap_entry *e) {
  return st_fmt("blobs/%s/%s", algo_str(e->algo), e->hex);
}

static char *npm_rel(const struct hm_snap_entry *e) {
  return st_fmt("npm/_cacache/content-v2/%s/%.2s/%.2s/%s", algo_str(e->algo), e->hex, e->hex + 2,
                e->hex + 4);
}

/* Six entries: a 600 KiB blob (several reads), sha1, sha256 without version, an empty
 * file, and two small sha512 ones. */
static void store_build(struct vstore *s, const char *tag) {
  static const struct {
    const char *name, *version;
    enum hm_snap_algo algo;
    size_t size;
  } spec[] = {
      {"alpha", "1.0.0", HM_SNAP_SHA512, 600 * 1024 + 7}, {"beta", "2.0.0", HM_SNAP_SHA512, 1000},
      {"gamma", "3.0.0", HM_SNAP_SHA1, 500},              {"delta", NULL, HM_SNAP_SHA256, 300},
      {"epsilon", "0.1.0", HM_SNAP_SHA512, 0},            {"zeta", "1.2.3", HM_SNAP_SHA512, 2048},
  };
  s->dir = fs_tmpdir(tag);
  hm_snap_list_init(&s->list);
  for (size_t i = 0; i < HM_ARRAY_SIZE(spec); i++) {
    unsigned char *buf = malloc(spec[i].size + 1);
    fs_fill(buf, spec[i].size, (unsigned)i + 1);
    st_add(&s->list, s->dir, spec[i].name, spec[i].version, spec[i].algo, buf, spec[i].size, NULL);
    free(buf);
  }
  hm_error err = {0};
  if (st_write_manifest(s->dir, &s->list, &err) < 0)
    fs_die("writing the manifest", err.msg);
}

static void store_free(struct vstore *s) {
  hm_snap_list_free(&s->list);
  fs_rm_rf(s->dir);
  free(s->dir);
}

/* Problems as "what|name|detail", in the order reported. */
struct report {
  char **lines;
  int r;
  struct hm_snap_verify_stats stats;
  hm_error err;
};

static void collect(const char *what, const char *name, const char *detail, void *data) {
  struct report *rep = data;
  char *line = st_fmt("%s|%s|%s", what, name, detail);
  hm_strv_push(&rep->lines, line);
  free(line);
}

static void run_verify(const char *dir, unsigned jobs, struct report *rep) {
  memset(rep, 0, sizeof *rep);
  rep->r = hm_snap_verify(dir, jobs, collect, rep, &rep->stats, &rep->err);
}

static void report_free(struct report *rep) { hm_strv_free(rep->lines); }

/* The report is exactly the lines given (NULL-terminated). */
static bool report_is(const struct report *rep, const char *const *want) {
  bool same = hm_strv_len(rep->lines) == hm_strv_len((char *const *)want);
  for (size_t i = 0; same && want[i]; i++)
    same = strcmp(rep->lines[i], want[i]) == 0;
  if (!same) {
    for (size_t i = 0; rep->lines && rep->lines[i]; i++)
      tap_diag("got  %s", rep->lines[i]);
    for (size_t i = 0; want[i]; i++)
      tap_diag("want %s", want[i]);
  }
  return same;
}

static void flip_byte(const char *dir, const char *rel, off_t at) {
  char *p = fs_join(dir, rel);
  int fd = open(p, O_RDWR | O_CLOEXEC);
  unsigned char c;
  if (fd < 0 || pread(fd, &c, 1, at) != 1)
    fs_die("reading", p);
  c ^= 0x20;
  if (pwrite(fd, &c, 1, at) != 1)
    fs_die("writing", p);
  close(fd);
  free(p);
}

/* The hex digest of the file now at rel, for the "got" in a mismatch. */
static void file_hex(const char *dir, const char *rel, enum hm_snap_algo algo, char *hex) {
  size_t len = 0;
  char *data = st_read(dir, rel, &len);
  if (!data)
    fs_die("reading", rel);
  st_hex(algo, data, len, hex);
  free(data);
}

static void test_clean(void) {
  struct vstore s;
  store_build(&s, "snap-verify-clean");
  uint64_t total = 0;
  for (size_t i = 0; i < s.list.n; i++)
    total += s.list.v[i].size;
  /* Library code prints nothing: capture fds 1 and 2 while it runs. */
  fflush(stdout);
  fflush(stderr);
  FILE *cap = tmpfile();
  int out = dup(1), errfd = dup(2);
  dup2(fileno(cap), 1);
  dup2(fileno(cap), 2);
  struct report rep;
  run_verify(s.dir, 0, &rep);
  dup2(out, 1);
  dup2(errfd, 2);
  close(out);
  close(errfd);
  struct stat st;
  fstat(fileno(cap), &st);
  fclose(cap);
  tap_ok(rep.r == 0 && !rep.lines, "a clean store verifies: %s", rep.err.msg);
  tap_ok(rep.stats.checked == s.list.n && rep.stats.missing == 0 && rep.stats.corrupt == 0,
         "checked %zu of %zu, no problem counted", rep.stats.checked, s.list.n);
  tap_ok(rep.stats.bytes == total, "hashed %llu bytes, the sum of the blobs (%llu)",
         (unsigned long long)rep.stats.bytes, (unsigned long long)total);
  tap_ok(st.st_size == 0, "nothing printed on stdout or stderr");
  report_free(&rep);

  run_verify(s.dir, 1, &rep);
  tap_ok(rep.r == 0 && rep.stats.checked == s.list.n, "and with one thread");
  report_free(&rep);
  store_free(&s);
}

static void test_flipped_and_truncated(void) {
  struct vstore s;
  store_build(&s, "snap-verify-flip");
  const struct hm_snap_entry *alpha = &s.list.v[0], *beta = &s.list.v[1];
  char *beta_rel = blob_rel(beta), *alpha_rel = blob_rel(alpha), got[129];
  flip_byte(s.dir, beta_rel, 500);
  file_hex(s.dir, beta_rel, HM_SNAP_SHA512, got);
  struct report rep;
  run_verify(s.dir, 0, &rep);
  char *want = st_fmt("corrupt|beta@2.0.0|sha512 mismatch: expected %s, got %s", beta->hex, got);
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const[]){want, NULL}),
         "a flipped byte: corrupt, naming the package and both digests");
  tap_ok(rep.stats.corrupt == 1 && rep.stats.missing == 0 && rep.stats.checked == s.list.n,
         "counted as one corrupt blob");
  report_free(&rep);
  free(want);

  char *p = fs_join(s.dir, alpha_rel);
  if (truncate(p, (off_t)(alpha->size / 2)) < 0)
    fs_die("truncate", p);
  run_verify(s.dir, 0, &rep);
  char *want_a = st_fmt("corrupt|alpha@1.0.0|size mismatch: expected %llu bytes, got %llu",
                        (unsigned long long)alpha->size, (unsigned long long)(alpha->size / 2));
  want = st_fmt("corrupt|beta@2.0.0|sha512 mismatch: expected %s, got %s", beta->hex, got);
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const[]){want_a, want, NULL}),
         "a truncated blob: corrupt, reported in manifest order");
  report_free(&rep);
  free(want);
  free(want_a);
  free(p);
  free(beta_rel);
  free(alpha_rel);
  store_free(&s);
}

static void test_missing(void) {
  struct vstore s;
  store_build(&s, "snap-verify-missing");
  const struct hm_snap_entry *gamma = &s.list.v[2], *delta = &s.list.v[3], *zeta = &s.list.v[5];
  char *gamma_rel = blob_rel(gamma), *delta_npm = npm_rel(delta), *zeta_npm = npm_rel(zeta);
  char *zeta_blob = blob_rel(zeta);
  char *p = fs_join(s.dir, gamma_rel);
  unlink(p);
  free(p);
  p = fs_join(s.dir, delta_npm);
  unlink(p);
  free(p);
  /* zeta's npm path: the same bytes, but a copy, not the blob. */
  size_t len;
  char *data = st_read(s.dir, zeta_blob, &len);
  p = fs_join(s.dir, zeta_npm);
  unlink(p);
  fs_write(s.dir, zeta_npm, data, len);
  free(data);
  free(p);

  struct report rep;
  run_verify(s.dir, 0, &rep);
  char *w1 = st_fmt("missing|gamma@3.0.0|%s: No such file or directory", gamma_rel);
  char *w2 = st_fmt("missing|delta|npm cache link %s: No such file or directory", delta_npm);
  char *w3 = st_fmt("missing|zeta@1.2.3|npm cache link %s: another file, not %s", zeta_npm, zeta_blob);
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const[]){w1, w2, w3, NULL}),
         "a deleted blob, a deleted npm link and an npm copy: each missing");
  tap_ok(rep.stats.missing == 3 && rep.stats.corrupt == 0, "counted as three missing");
  report_free(&rep);
  free(w1);
  free(w2);
  free(w3);
  free(gamma_rel);
  free(delta_npm);
  free(zeta_npm);
  free(zeta_blob);
  store_free(&s);
}

static void test_symlinks(void) {
  struct vstore s;
  store_build(&s, "snap-verify-symlink");
  const struct hm_snap_entry *beta = &s.list.v[1];
  char *rel = blob_rel(beta), *p = fs_join(s.dir, rel), *outside = st_fmt("%s.outside", s.dir);
  /* The identical bytes, outside DIR: only the symlink is wrong. */
  if (rename(p, outside) < 0 || symlink(outside, p) < 0)
    fs_die("symlink", p);
  struct report rep;
  run_verify(s.dir, 0, &rep);
  char *want = st_fmt("corrupt|beta@2.0.0|%s: a symlink, refused", rel);
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const[]){want, NULL}),
         "a blob replaced by a symlink to an identical file outside: corrupt");
  report_free(&rep);
  free(want);
  unlink(p);
  if (rename(outside, p) < 0)
    fs_die("rename", outside);

  /* blobs/sha512 itself a symlink to a faithful copy: every sha512 entry is refused. */
  char *algo_dir = fs_join(s.dir, "blobs/sha512"), *copy = st_fmt("%s.copy", s.dir);
  if (rename(algo_dir, copy) < 0 || symlink(copy, algo_dir) < 0)
    fs_die("symlink", algo_dir);
  run_verify(s.dir, 0, &rep);
  size_t sha512_entries = 0;
  for (size_t i = 0; i < s.list.n; i++)
    sha512_entries += s.list.v[i].algo == HM_SNAP_SHA512;
  bool all_symlink = rep.lines != NULL;
  for (size_t i = 0; rep.lines && rep.lines[i]; i++)
    all_symlink = all_symlink && strncmp(rep.lines[i], "corrupt|", 8) == 0 &&
                  strstr(rep.lines[i], "a symlink, refused");
  tap_ok(rep.r == 1 && all_symlink && rep.stats.corrupt == sha512_entries + 1,
         "a symlinked blobs/sha512: its %zu entries and the directory are corrupt (%zu)",
         sha512_entries, rep.stats.corrupt);
  report_free(&rep);
  fs_rm_rf(copy);
  free(algo_dir);
  free(copy);
  free(rel);
  free(p);
  free(outside);
  store_free(&s);
}

static void test_unlisted(void) {
  struct vstore s;
  store_build(&s, "snap-verify-unlisted");
  const char *intact = "an extra blob an earlier fetch left", *named = "the bytes its name is of";
  const char *actual = "other bytes entirely";
  char hex_intact[129], hex_named[129], hex_actual[129];
  st_hex(HM_SNAP_SHA512, intact, strlen(intact), hex_intact);
  st_hex(HM_SNAP_SHA256, named, strlen(named), hex_named);
  st_hex(HM_SNAP_SHA256, actual, strlen(actual), hex_actual);
  char *rel_intact = st_fmt("blobs/sha512/%s", hex_intact);
  char *rel_named = st_fmt("blobs/sha256/%s", hex_named);
  fs_write_str(s.dir, rel_intact, intact);
  fs_write_str(s.dir, rel_named, actual);
  struct report rep;
  run_verify(s.dir, 0, &rep);
  char *want = st_fmt("corrupt|%s|sha256 mismatch: expected %s, got %s", rel_named, hex_named,
                      hex_actual);
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const[]){want, NULL}),
         "an unlisted blob whose content is not its name: corrupt; an intact one: fine");
  tap_ok(rep.stats.checked == s.list.n + 2, "unlisted files are checked too (%zu)",
         rep.stats.checked);
  report_free(&rep);
  free(want);

  char *upper = st_fmt("blobs/sha512/%s", hex_intact);
  for (char *c = upper + strlen("blobs/sha512/"); *c; c++)
    if (*c >= 'a' && *c <= 'f')
      *c = (char)(*c - 'a' + 'A');
  fs_write_str(s.dir, upper, intact);
  fs_write_str(s.dir, "blobs/sha1/README", "notes");
  fs_mkdirs(s.dir, "blobs/md5");
  run_verify(s.dir, 0, &rep);
  char *w_md5 = strdup("corrupt|blobs/md5|blobs/md5: not a digest algorithm's directory");
  char *w_readme = strdup("corrupt|blobs/sha1/README|blobs/sha1/README: not named by a sha1 digest");
  char *w_upper = st_fmt("corrupt|%s|%s: not named by a sha512 digest", upper, upper);
  want = st_fmt("corrupt|%s|sha256 mismatch: expected %s, got %s", rel_named, hex_named, hex_actual);
  /* Unlisted findings come after the listed entries, sorted by path. */
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const[]){w_md5, w_readme, want, w_upper, NULL}),
         "names that are not digests, and a foreign directory under blobs/: corrupt, by path");
  report_free(&rep);
  free(w_md5);
  free(w_readme);
  free(w_upper);
  free(want);
  free(upper);
  free(rel_intact);
  free(rel_named);
  store_free(&s);
}

static void test_jobs_agree(void) {
  struct vstore s;
  store_build(&s, "snap-verify-jobs");
  char *beta = blob_rel(&s.list.v[1]), *gamma = blob_rel(&s.list.v[2]);
  char *delta_npm = npm_rel(&s.list.v[3]);
  flip_byte(s.dir, beta, 0);
  char *p = fs_join(s.dir, gamma);
  unlink(p);
  free(p);
  p = fs_join(s.dir, delta_npm);
  unlink(p);
  free(p);
  fs_write_str(s.dir, "blobs/sha512/0123", "stray");
  struct report one, four, all;
  run_verify(s.dir, 1, &one);
  run_verify(s.dir, 4, &four);
  run_verify(s.dir, 0, &all);
  tap_ok(one.r == 1 && hm_strv_len(one.lines) == 4, "four problems found with one thread");
  tap_ok(four.r == 1 && report_is(&four, (const char *const *)one.lines),
         "four threads report the same, in the same order");
  tap_ok(all.r == 1 && report_is(&all, (const char *const *)one.lines) &&
             all.stats.checked == one.stats.checked && all.stats.bytes == one.stats.bytes,
         "as many threads as CPUs: the same report and stats");
  report_free(&one);
  report_free(&four);
  report_free(&all);
  free(beta);
  free(gamma);
  free(delta_npm);
  store_free(&s);
}

static void test_many(void) {
  enum { N = 2000 };
  struct vstore s = {.dir = fs_tmpdir("snap-verify-many")};
  hm_snap_list_init(&s.list);
  unsigned char buf[4096];
  for (unsigned i = 0; i < N; i++) {
    size_t len = 64 + (i * 37) % 4000;
    fs_fill(buf, len, i + 100);
    char name[32];
    snprintf(name, sizeof name, "pkg-%04u", i);
    st_add(&s.list, s.dir, name, "1.0.0", i % 7 == 0 ? HM_SNAP_SHA256 : HM_SNAP_SHA512, buf, len,
           NULL);
  }
  hm_error err = {0};
  tap_ok(st_write_manifest(s.dir, &s.list, &err) == 0, "a manifest of %d entries: %s", N, err.msg);
  struct report rep;
  run_verify(s.dir, 0, &rep);
  tap_ok(rep.r == 0 && !rep.lines && rep.stats.checked == N, "%d blobs verify clean (%zu checked, %.0f ms)",
         N, rep.stats.checked, rep.stats.ms);
  report_free(&rep);

  static const size_t bad[] = {17, 1000, 1999};
  char *want[4] = {NULL};
  for (size_t k = 0; k < HM_ARRAY_SIZE(bad); k++) {
    const struct hm_snap_entry *e = &s.list.v[bad[k]];
    char *rel = blob_rel(e), got[129];
    flip_byte(s.dir, rel, 10);
    file_hex(s.dir, rel, e->algo, got);
    want[k] = st_fmt("corrupt|%s@1.0.0|%s mismatch: expected %s, got %s", e->name,
                     algo_str(e->algo), e->hex, got);
    free(rel);
  }
  run_verify(s.dir, 0, &rep);
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const *)want) && rep.stats.corrupt == 3,
         "three damaged blobs among %d: exactly those three", N);
  report_free(&rep);
  run_verify(s.dir, 2, &rep);
  tap_ok(rep.r == 1 && report_is(&rep, (const char *const *)want), "the same with two threads");
  report_free(&rep);
  for (size_t k = 0; k < HM_ARRAY_SIZE(bad); k++)
    free(want[k]);
  store_free(&s);
}

static void test_unreadable(void) {
  struct vstore s;
  store_build(&s, "snap-verify-nomanifest");
  bool called = false;
  struct report rep;
  char *m = fs_join(s.dir, "manifest.json");
  unlink(m);
  run_verify(s.dir, 0, &rep);
  called = rep.lines != NULL;
  tap_ok(rep.r == -ENOENT && !called && strstr(rep.err.msg, "manifest.json"),
         "no manifest: an error, not a report: %s", rep.err.msg);
  report_free(&rep);
  fs_write_str(s.dir, "manifest.json", "{\"schema\": \"https://hermetic.dev/snapshot/manifest/v1\"}");
  run_verify(s.dir, 0, &rep);
  tap_ok(rep.r == -EINVAL && !rep.lines && strstr(rep.err.msg, "no \"inputs\""),
         "an invalid manifest: an error: %s", rep.err.msg);
  report_free(&rep);
  fs_write_str(s.dir, "manifest.json",
               "{\"schema\": \"https://hermetic.dev/snapshot/manifest/v1\", \"inputs\": [], "
               "\"entries\": []}");
  run_verify(s.dir, 0, &rep);
  tap_ok(rep.r == 0 && !rep.lines && rep.stats.checked == s.list.n,
         "an empty manifest over intact blobs: clean, each checked as unlisted");
  report_free(&rep);
  free(m);
  store_free(&s);
}

int main(void) {
  tap_plan(PLAN);
  test_clean();
  test_flipped_and_truncated();
  test_missing();
  test_symlinks();
  test_unlisted();
  test_jobs_agree();
  test_many();
  test_unreadable();
  return tap_exit_status(PLAN);
}
