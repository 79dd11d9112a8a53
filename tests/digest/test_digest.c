/* Unit tests of the digest library's hashing, sha256sum format, base64 and pins:
 * known vectors, files against OpenSSL's one-shot, the parallel pool, per-file errors,
 * coreutils' name escaping, and pin checking with every kind of issue. TAP on stdout. */
#include <openssl/evp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "../unit/tap.h"
#include "digest.h"
#include "fsutil.h"
#include "hm-base64.h"

#define PLAN 48

static const char *SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char *SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char *SHA512_EMPTY =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
static const char *SHA512_ABC =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

static bool hex_is(const unsigned char *d, size_t len, const char *want) {
  char hex[2 * HM_DIGEST_MAX_LEN + 1];
  hm_hex(d, len, hex);
  if (strcmp(hex, want) != 0) {
    tap_diag("got  %s", hex);
    tap_diag("want %s", want);
    return false;
  }
  return true;
}

static void oneshot(const EVP_MD *md, const void *data, size_t len, unsigned char *out) {
  unsigned int n;
  EVP_Digest(data, len, out, &n, md, NULL);
}

static void test_vectors(void) {
  unsigned char d[HM_DIGEST_MAX_LEN];
  hm_error err = {0};
  hm_digest_buffer(HM_DIGEST_SHA256, "", 0, d, &err);
  tap_ok(hex_is(d, 32, SHA256_EMPTY), "sha256 of \"\"");
  hm_digest_buffer(HM_DIGEST_SHA256, "abc", 3, d, &err);
  tap_ok(hex_is(d, 32, SHA256_ABC), "sha256 of \"abc\"");
  hm_digest_buffer(HM_DIGEST_SHA512, "", 0, d, &err);
  tap_ok(hex_is(d, 64, SHA512_EMPTY), "sha512 of \"\"");
  hm_digest_buffer(HM_DIGEST_SHA512, "abc", 3, d, &err);
  tap_ok(hex_is(d, 64, SHA512_ABC), "sha512 of \"abc\"");

  unsigned algo = 0;
  bool names = hm_digest_algo_parse("sha256", &algo) == 0 && algo == HM_DIGEST_SHA256 &&
               hm_digest_algo_parse("sha512", &algo) == 0 && algo == HM_DIGEST_SHA512 &&
               hm_digest_algo_parse("md5", &algo) == -EINVAL &&
               strcmp(hm_digest_algo_name(HM_DIGEST_SHA512), "sha512") == 0 &&
               hm_digest_algo_name(HM_DIGEST_ALL) == NULL && hm_digest_len(HM_DIGEST_SHA256) == 32;
  tap_ok(names, "algorithm names parse and print");
  struct hm_digest_job job = {.path = "x", .fd = -1};
  tap_ok(hm_digest_files(AT_FDCWD, &job, 1, 4, 0, &err) == -EINVAL, "unknown algo flags refused");
}

static void test_files(const char *dir) {
  fs_write(dir, "empty", "", 0);
  fs_write_str(dir, "abc", "abc");
  size_t big_len = 3u * 1024 * 1024 + 123;
  unsigned char *big = malloc(big_len);
  fs_fill(big, big_len, 3);
  fs_write(dir, "big", big, big_len);

  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct hm_digest_job jobs[3] = {
      {.path = "empty", .fd = -1}, {.path = "abc", .fd = -1}, {.path = "big", .fd = -1}};
  hm_error err = {0};
  int r = hm_digest_files(dfd, jobs, 3, HM_DIGEST_ALL, 0, &err);
  tap_ok(r == 0 && !jobs[0].error && !jobs[1].error && !jobs[2].error, "three files digested: %s",
         err.msg);
  tap_ok(hex_is(jobs[0].sha256, 32, SHA256_EMPTY), "file \"\" sha256");
  tap_ok(hex_is(jobs[0].sha512, 64, SHA512_EMPTY), "file \"\" sha512");
  tap_ok(hex_is(jobs[1].sha256, 32, SHA256_ABC), "file \"abc\" sha256");
  tap_ok(hex_is(jobs[1].sha512, 64, SHA512_ABC), "file \"abc\" sha512");
  unsigned char want[HM_DIGEST_MAX_LEN];
  oneshot(EVP_sha256(), big, big_len, want);
  tap_ok(memcmp(want, jobs[2].sha256, 32) == 0, "3 MiB file: sha256 equals OpenSSL's one-shot");
  oneshot(EVP_sha512(), big, big_len, want);
  tap_ok(memcmp(want, jobs[2].sha512, 64) == 0, "3 MiB file: sha512 equals OpenSSL's one-shot");
  tap_ok(jobs[0].size == 0 && jobs[1].size == 3 && jobs[2].size == big_len, "sizes 0, 3, %zu",
         big_len);
  hm_digest_jobs_clear(jobs, 3);
  free(big);
  close(dfd);
}

/* Many files of many sizes: each result lands in its own slot whatever thread took it. */
static void test_parallel(const char *dir) {
  enum { N = 300 };
  char *names[N];
  unsigned char want[N][32];
  unsigned char *buf = malloc(300 * 1024);
  for (int i = 0; i < N; i++) {
    size_t len = (size_t)(i * 997) % (300 * 1024);
    fs_fill(buf, len, (unsigned)i + 100);
    if (asprintf(&names[i], "par/f%03d", i) < 0)
      abort();
    fs_write(dir, names[i], buf, len);
    oneshot(EVP_sha256(), buf, len, want[i]);
  }
  free(buf);
  struct hm_digest_job *jobs = calloc(N, sizeof *jobs);
  for (int i = 0; i < N; i++)
    jobs[i] = (struct hm_digest_job){.path = names[i], .fd = -1};
  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  hm_error err = {0};
  int r = hm_digest_files(dfd, jobs, N, HM_DIGEST_SHA256, HM_DIGEST_BENEATH, &err);
  int bad = 0;
  for (int i = 0; i < N; i++)
    if (jobs[i].error || memcmp(jobs[i].sha256, want[i], 32) != 0)
      bad++;
  tap_ok(r == 0 && bad == 0, "%d files in parallel match one-shot digests, in order (%d wrong)", N,
         bad);
  hm_digest_jobs_clear(jobs, N);
  free(jobs);
  for (int i = 0; i < N; i++)
    free(names[i]);
  close(dfd);
}

static void test_file_errors(const char *dir) {
  fs_mkdirs(dir, "adir");
  fs_mkfifo(dir, "afifo");
  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct hm_digest_job jobs[4] = {{.path = "missing", .fd = -1},
                                  {.path = "adir", .fd = -1},
                                  {.path = "afifo", .fd = -1},
                                  {.path = "abc", .fd = -1}};
  hm_error err = {0};
  /* A fifo opened for reading without O_NONBLOCK would wait for a writer forever. */
  alarm(20);
  int r = hm_digest_files(dfd, jobs, 4, HM_DIGEST_SHA256, 0, &err);
  alarm(0);
  tap_ok(r == 0 && jobs[0].error == ENOENT, "a missing file: ENOENT (%s)",
         jobs[0].message ? jobs[0].message : "-");
  tap_ok(jobs[1].error == EISDIR, "a directory: EISDIR (%s)", jobs[1].message ? jobs[1].message : "-");
  tap_ok(jobs[2].error && jobs[2].message && strstr(jobs[2].message, "fifo"),
         "a fifo: refused without blocking (%s)", jobs[2].message ? jobs[2].message : "-");
  tap_ok(jobs[3].error == 0 && hex_is(jobs[3].sha256, 32, SHA256_ABC),
         "the other files are still digested");
  hm_digest_jobs_clear(jobs, 4);
  close(dfd);

  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    fs_die("pipe", "");
  if (write(p[1], "abc", 3) != 3)
    fs_die("write", "pipe");
  close(p[1]);
  struct hm_digest_job job = {.path = "-", .fd = p[0]};
  r = hm_digest_files(AT_FDCWD, &job, 1, HM_DIGEST_SHA256, 0, &err);
  tap_ok(r == 0 && job.error == 0 && job.size == 3 && hex_is(job.sha256, 32, SHA256_ABC),
         "a given fd (a pipe, as stdin) is read as it is");
  close(p[0]);
}

static void test_format(const char *dir) {
  unsigned char abc[32], empty[32];
  hm_digest_buffer(HM_DIGEST_SHA256, "abc", 3, abc, NULL);
  hm_digest_buffer(HM_DIGEST_SHA256, "", 0, empty, NULL);
  char line[512], want[512];
  size_t n = hm_sumline_format(line, sizeof line, HM_DIGEST_SHA256, abc, "a.txt");
  snprintf(want, sizeof want, "%s  a.txt\n", SHA256_ABC);
  tap_ok(n == strlen(want) && strcmp(line, want) == 0, "plain line: '<hex>  a.txt\\n'");
  hm_sumline_format(line, sizeof line, HM_DIGEST_SHA256, abc, "new\nline");
  snprintf(want, sizeof want, "\\%s  new\\nline\n", SHA256_ABC);
  tap_ok(strcmp(line, want) == 0, "a newline in the name: leading '\\' and \\n");
  hm_sumline_format(line, sizeof line, HM_DIGEST_SHA256, abc, "back\\slash");
  snprintf(want, sizeof want, "\\%s  back\\\\slash\n", SHA256_ABC);
  tap_ok(strcmp(line, want) == 0, "a backslash in the name: leading '\\' and \\\\");
  char small[10];
  n = hm_sumline_format(small, sizeof small, HM_DIGEST_SHA256, abc, "a.txt");
  tap_ok(n == 64 + 2 + 5 + 1 && strlen(small) == 9, "truncates like snprintf, returns the length");

  /* The same bytes as coreutils' own sha256sum, when it is there. */
  fs_write_str(dir, "fmt/new\nline", "abc");
  fs_write_str(dir, "fmt/back\\slash", "");
  fs_write_str(dir, "fmt/plain", "abc");
  char *cmd = NULL;
  if (asprintf(&cmd, "cd '%s/fmt' && sha256sum 'back\\slash' \"$(printf 'new\\nline')\" plain 2>/dev/null",
               dir) < 0)
    abort();
  FILE *f = popen(cmd, "r");
  char got[1024] = "";
  size_t got_len = f ? fread(got, 1, sizeof got - 1, f) : 0;
  int st = f ? pclose(f) : -1;
  free(cmd);
  got[got_len] = '\0';
  if (st != 0) {
    tap_skip("sha256sum (coreutils) is not available to compare with");
  } else {
    size_t pos = 0;
    pos += hm_sumline_format(want + pos, sizeof want - pos, HM_DIGEST_SHA256, empty, "back\\slash");
    pos += hm_sumline_format(want + pos, sizeof want - pos, HM_DIGEST_SHA256, abc, "new\nline");
    hm_sumline_format(want + pos, sizeof want - pos, HM_DIGEST_SHA256, abc, "plain");
    if (!tap_ok(strcmp(got, want) == 0, "lines are byte for byte what sha256sum prints"))
      tap_diag("sha256sum printed: %s", got);
  }

  struct hm_subject items[2] = {{.name = (char *)"a.txt"}, {.name = (char *)"empty"}};
  memcpy(items[0].sha256, abc, 32);
  memcpy(items[1].sha256, empty, 32);
  struct hm_subject_list list = {.items = items, .n = 2, .algos = HM_DIGEST_SHA256};
  char *b64 = hm_subjects_base64(&list, HM_DIGEST_SHA256);
  /* `sha256sum a.txt empty | base64 -w0` for a.txt = "abc" and an empty file. */
  const char *want_b64 =
      "YmE3ODE2YmY4ZjAxY2ZlYTQxNDE0MGRlNWRhZTIyMjNiMDAzNjFhMzk2MTc3YTljYjQxMGZmNjFmMjAwMTVhZC"
      "AgYS50eHQKZTNiMGM0NDI5OGZjMWMxNDlhZmJmNGM4OTk2ZmI5MjQyN2FlNDFlNDY0OWI5MzRjYTQ5NTk5MWI3"
      "ODUyYjg1NSAgZW1wdHkK";
  tap_ok(b64 && strcmp(b64, want_b64) == 0, "base64-subjects equals base64 of sha256sum output");
  free(b64);
  errno = 0;
  b64 = hm_subjects_base64(&list, HM_DIGEST_SHA512);
  tap_ok(!b64 && errno == EINVAL, "base64 of an algo that was not computed: EINVAL");
  free(b64);

  char q[64];
  tap_ok(strcmp(hm_name_quote("a\nb\x1b\\c", q, sizeof q), "a\\nb\\x1b\\\\c") == 0,
         "names are quoted for messages: %s", q);
  char tiny[8];
  hm_name_quote("abcdefghijkl", tiny, sizeof tiny);
  tap_ok(strcmp(tiny, "abcd...") == 0, "a long name is cut with '...': %s", tiny);
}

/* ---- pins ---------------------------------------------------------------------------- */

static struct hm_subject_list subjects3(void) {
  static struct hm_subject items[3];
  memset(items, 0, sizeof items);
  const char *names[3] = {"dist/a.tgz", "dist/b.tgz", "weird\nname"};
  const char *data[3] = {"abc", "", "xyz"};
  for (int i = 0; i < 3; i++) {
    items[i].name = (char *)names[i];
    hm_digest_buffer(HM_DIGEST_SHA256, data[i], strlen(data[i]), items[i].sha256, NULL);
    hm_digest_buffer(HM_DIGEST_SHA512, data[i], strlen(data[i]), items[i].sha512, NULL);
  }
  return (struct hm_subject_list){.items = items, .n = 3, .algos = HM_DIGEST_ALL};
}

static bool parse_fails(const char *text, const char *needle, hm_error *err) {
  struct hm_pin_list pins;
  int r = hm_pins_parse(text, strlen(text), "pins.sha256", &pins, err);
  hm_pin_list_free(&pins);
  if (r == 0)
    return false;
  if (!strstr(err->msg, needle)) {
    tap_diag("message: %s (wanted '%s')", err->msg, needle);
    return false;
  }
  return true;
}

static void test_pins_parse(void) {
  char text[2048];
  hm_error err = {0};
  struct hm_pin_list pins;
  /* Two spaces, '*' (binary), escaped name, CRLF, a blank line, a comment, upper-case hex,
   * and a sha512 pin. */
  snprintf(text, sizeof text,
           "%s  dist/a.tgz\n"
           "\n"
           "# a comment\n"
           "%s *dist/b.tgz\r\n"
           "\\%s  weird\\nname\n"
           "%s  dist/a.tgz",
           SHA256_ABC, SHA256_EMPTY, SHA256_ABC, SHA512_ABC);
  for (char *p = strstr(text, SHA256_EMPTY); p && *p != ' '; p++)
    if (*p >= 'a' && *p <= 'f')
      *p = (char)(*p - 'a' + 'A');
  int r = hm_pins_parse(text, strlen(text), "pins.sha256", &pins, &err);
  tap_ok(r == 0 && pins.n == 4, "a valid pins file parses: %s", err.msg);
  bool names = r == 0 && strcmp(pins.items[0].name, "dist/a.tgz") == 0 &&
               pins.items[0].algo == HM_DIGEST_SHA256 && pins.items[1].algo == HM_DIGEST_SHA512 &&
               strcmp(pins.items[2].name, "dist/b.tgz") == 0 &&
               strcmp(pins.items[3].name, "weird\nname") == 0 && pins.items[3].line == 5;
  tap_ok(names, "names unescaped, CR stripped, '*' accepted, sorted by name then algo");
  tap_ok(r == 0 && pins.algos == HM_DIGEST_ALL && hex_is(pins.items[2].digest, 32, SHA256_EMPTY),
         "upper-case hex accepted; algos = sha256|sha512");
  hm_pin_list_free(&pins);

  snprintf(text, sizeof text, "%s  a\n\nnot a pin line\n", SHA256_ABC);
  tap_ok(parse_fails(text, "pins.sha256:3:", &err), "a malformed line is named FILE:LINE: %s",
         err.msg);
  snprintf(text, sizeof text, "%.60s  a\n", SHA256_ABC);
  tap_ok(parse_fails(text, "pins.sha256:1:", &err), "a short digest is refused");
  snprintf(text, sizeof text, "%s a\n", SHA256_ABC);
  tap_ok(parse_fails(text, "pins.sha256:1:", &err), "one space before the name is refused");
  snprintf(text, sizeof text, "%s  \n", SHA256_ABC);
  tap_ok(parse_fails(text, "pins.sha256:1:", &err), "an empty name is refused");
  snprintf(text, sizeof text, "\\%s  a\\tb\n", SHA256_ABC);
  tap_ok(parse_fails(text, "bad escape", &err), "an escape other than \\\\ \\n \\r is refused");
  snprintf(text, sizeof text, "%s  a\n%s  a\n", SHA256_ABC, SHA256_EMPTY);
  tap_ok(parse_fails(text, "pins.sha256:2: a second sha256 pin for 'a' (the first is on line 1)",
                     &err),
         "two pins for one name: %s", err.msg);
  snprintf(text, sizeof text, "%s  a", SHA256_ABC);
  text[66] = '\0'; /* "<hex>  " then a NUL inside the name */
  r = hm_pins_parse(text, strlen(SHA256_ABC) + 3, "pins.sha256", &pins, &err);
  hm_pin_list_free(&pins);
  tap_ok(r < 0 && strstr(err.msg, "NUL"), "a NUL byte is refused");
  r = hm_pins_load("/nonexistent/pins.sha256", &pins, &err);
  tap_ok(r == -ENOENT && strstr(err.msg, "/nonexistent/pins.sha256"),
         "a missing pins file is named: %s", err.msg);
}

static struct hm_pin_list pins_of(const char *text) {
  struct hm_pin_list pins;
  hm_error err = {0};
  if (hm_pins_parse(text, strlen(text), "pins.sha256", &pins, &err) < 0) {
    printf("Bail out! pins did not parse: %s\n", err.msg);
    exit(1);
  }
  return pins;
}

static char *describe(const struct hm_pin_report *rep, size_t i) {
  return i < rep->n ? hm_pin_issue_describe(&rep->items[i], "pins.sha256") : strdup("(none)");
}

static void test_pins_check(void) {
  struct hm_subject_list subj = subjects3();
  size_t len;
  char *lines = hm_subjects_sumlines(&subj, HM_DIGEST_SHA256, &len);
  struct hm_pin_list pins = pins_of(lines);
  struct hm_pin_report rep;
  hm_error err = {0};
  int r = hm_pins_check(&subj, &pins, &rep, &err);
  tap_ok(r == 0 && rep.n == 0, "our own lines, parsed back (escaped name included), all match");
  hm_pin_report_free(&rep);
  hm_pin_list_free(&pins);
  free(lines);

  char text[2048];
  /* dist/a.tgz pinned to the wrong digest, dist/b.tgz right, weird\nname missing,
   * stray.tgz pinned to nothing. */
  snprintf(text, sizeof text, "%s  dist/a.tgz\n%s  dist/b.tgz\n%s  stray.tgz\n", SHA256_EMPTY,
           SHA256_EMPTY, SHA256_ABC);
  pins = pins_of(text);
  r = hm_pins_check(&subj, &pins, &rep, &err);
  tap_ok(r == 0 && rep.n == 3 && rep.items[0].kind == HM_PIN_MISMATCH &&
             rep.items[1].kind == HM_PIN_MISSING && rep.items[2].kind == HM_PIN_STRAY,
         "mismatch, missing pin, stray pin: three issues in that order");
  char *m = describe(&rep, 0);
  char want[512];
  snprintf(want, sizeof want, "subject 'dist/a.tgz': expected %s, got %s (sha256 pin, pins.sha256:1)",
           SHA256_EMPTY, SHA256_ABC);
  tap_ok(m && strcmp(m, want) == 0, "mismatch: %s", m);
  free(m);
  m = describe(&rep, 1);
  tap_ok(m && strcmp(m, "subject 'weird\\nname' has no pin in pins.sha256") == 0, "missing: %s", m);
  free(m);
  m = describe(&rep, 2);
  tap_ok(m && strcmp(m, "pin for 'stray.tgz' matches no subject (pins.sha256:3)") == 0, "stray: %s",
         m);
  free(m);
  hm_pin_report_free(&rep);
  hm_pin_list_free(&pins);

  /* sha512 pins: checked when the subjects have sha512, refused when they do not. */
  snprintf(text, sizeof text, "%s  dist/a.tgz\n%s  dist/a.tgz\n%s *dist/b.tgz\n\\%s  weird\\nname\n",
           SHA256_ABC, SHA512_ABC, SHA512_EMPTY, SHA512_ABC);
  pins = pins_of(text);
  r = hm_pins_check(&subj, &pins, &rep, &err);
  tap_ok(r == 0 && rep.n == 1 && rep.items[0].kind == HM_PIN_MISMATCH &&
             rep.items[0].algo == HM_DIGEST_SHA512 && strcmp(rep.items[0].name, "weird\nname") == 0,
         "sha512 pins: both pins of a subject checked, the wrong one reported");
  hm_pin_report_free(&rep);
  subj.algos = HM_DIGEST_SHA256;
  r = hm_pins_check(&subj, &pins, &rep, &err);
  tap_ok(r == -EINVAL && strstr(err.msg, "sha512"),
         "sha512 pins against sha256-only subjects: refused (%s)", err.msg);
  hm_pin_list_free(&pins);

  pins = pins_of("");
  subj.algos = HM_DIGEST_ALL;
  r = hm_pins_check(&subj, &pins, &rep, &err);
  tap_ok(r == 0 && rep.n == 3 && rep.items[2].kind == HM_PIN_MISSING,
         "an empty pins file: every subject is missing its pin");
  hm_pin_report_free(&rep);
  hm_pin_list_free(&pins);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  tap_plan(PLAN);
  char *dir = fs_tmpdir("digest");
  test_vectors();
  test_files(dir);
  test_parallel(dir);
  test_file_errors(dir);
  test_format(dir);
  test_pins_parse();
  test_pins_check();
  fs_rm_rf(dir);
  free(dir);
  return tap_exit_status(PLAN);
}
