/* Unit tests of subject resolution (what `hermetic build --subject` uses) and of the glob
 * walker, against a workspace built to be hostile: hidden files, symlinks inside and out,
 * a symlinked directory, a fifo, a socket, a directory, names with a newline and a
 * backslash, a tree deeper than the walk allows, and 10,000 files. TAP on stdout. */
#include <openssl/evp.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <linux/openat2.h>

#include "../unit/tap.h"
#include "digest.h"
#include "fsutil.h"

#define PLAN 41

static char *ws;
/* Without openat2 (old kernels, valgrind 3.19) the library follows no symlink at all. */
static bool have_openat2;

/* The names of a list joined with ',' (newlines quoted) for comparisons. */
static char *names_of(const struct hm_subject_list *l) {
  size_t cap = 64, len = 0;
  char *s = calloc(1, cap);
  for (size_t i = 0; i < l->n; i++) {
    char q[512];
    hm_name_quote(l->items[i].name, q, sizeof q);
    size_t need = len + strlen(q) + 2;
    if (need > cap) {
      while (cap < need)
        cap *= 2;
      s = realloc(s, cap);
    }
    len += (size_t)sprintf(s + len, "%s%s", i ? "," : "", q);
  }
  return s;
}

/* Resolve patterns (NULL-terminated) in ws; returns the status, fills names and err. */
static int resolve(hm_error *err, char **names, unsigned algos, struct hm_subject_list *out,
                   const char *first, ...) {
  const char *pats[16];
  size_t n = 0;
  va_list ap;
  va_start(ap, first);
  for (const char *p = first; p && n < 16; p = va_arg(ap, const char *))
    pats[n++] = p;
  va_end(ap);
  hm_error_clear(err);
  int r = hm_subjects_resolve(ws, (char *const *)pats, n, algos, out, err);
  if (names)
    *names = names_of(out);
  return r;
}

/* resolve() with the list freed, for checks that only look at names or the error. */
static int resolve_names(hm_error *err, char **names, const char *first, ...) {
  const char *pats[16];
  size_t n = 0;
  va_list ap;
  va_start(ap, first);
  for (const char *p = first; p && n < 16; p = va_arg(ap, const char *))
    pats[n++] = p;
  va_end(ap);
  struct hm_subject_list l;
  hm_error_clear(err);
  int r = hm_subjects_resolve(ws, (char *const *)pats, n, 0, &l, err);
  *names = names_of(&l);
  hm_subject_list_free(&l);
  return r;
}

static bool names_are(const char *got, const char *want, const hm_error *err) {
  if (strcmp(got, want) == 0)
    return true;
  tap_diag("got  [%s] (%s)", got, err->msg);
  tap_diag("want [%s]", want);
  return false;
}

static bool error_says(int r, const hm_error *err, const char *a, const char *b) {
  if (r < 0 && strstr(err->msg, a) && (!b || strstr(err->msg, b)))
    return true;
  tap_diag("status %d, message: %s", r, err->msg);
  return false;
}

static void build_workspace(const char *root) {
  fs_write_str(root, "ws/dist/app-1.0.tar.gz", "tarball");
  fs_write_str(root, "ws/dist/app-1.0.zip", "zip");
  fs_write_str(root, "ws/dist/.hidden.tar.gz", "hidden");
  fs_write_str(root, "ws/dist/sub/deep.tar.gz", "deep");
  fs_write_str(root, "ws/dist/a-b", "dash");
  fs_write_str(root, "ws/dist/a/b", "slash");
  fs_write_str(root, "ws/B.txt", "B");
  fs_write_str(root, "ws/_.txt", "_");
  fs_write_str(root, "ws/a.txt", "a");
  fs_write_str(root, "ws/.git/config.txt", "git");
  fs_write_str(root, "ws/real/file.bin", "real");
  fs_symlink(root, "ws/link-inside", "real/file.bin");
  fs_symlink(root, "ws/dist/up", "../real/file.bin");
  fs_symlink(root, "ws/linkdir", "real");
  fs_write_str(root, "outside.txt", "secret");
  fs_mkdirs(root, "ws/esc");
  fs_symlink(root, "ws/esc/out", "../../outside.txt");
  fs_symlink(root, "ws/esc/abs", "/etc/hostname");
  fs_symlink(root, "ws/esc/proc", "/proc/self/root/etc/hostname");
  fs_mkdirs(root, "ws/special");
  fs_mkfifo(root, "ws/special/fifo");
  fs_mkdirs(root, "ws/special/dir");
  fs_write_str(root, "ws/weird/new\nline", "n");
  fs_write_str(root, "ws/weird/back\\slash", "b");
  fs_write_str(root, "ws/lit/a*b", "star");
  fs_write_str(root, "ws/lit/axb", "x");
}

static int make_socket(const char *root, const char *rel) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  char *p = fs_join(root, rel);
  if (strlen(p) >= sizeof sa.sun_path) {
    free(p);
    return -1;
  }
  strcpy(sa.sun_path, p);
  free(p);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return -1;
  return fd;
}

static void test_globs(void) {
  hm_error err;
  char *names = NULL;
  int r;
#define NAMES(want, what, ...)                                                                    \
  do {                                                                                            \
    r = resolve_names(&err, &names, __VA_ARGS__, NULL);                                           \
    tap_ok(r == 0 && names_are(names, want, &err), what);                                         \
    free(names);                                                                                  \
  } while (0)
  NAMES("dist/app-1.0.tar.gz", "'dist/*.tar.gz': '*' skips the hidden file and the subdirectory",
        "dist/*.tar.gz");
  NAMES("dist/.hidden.tar.gz", "'dist/.*.tar.gz': a leading '.' in the pattern matches hidden files",
        "dist/.*.tar.gz");
  NAMES("dist/app-1.0.tar.gz,dist/sub/deep.tar.gz", "'**/*.tar.gz': any depth, hidden skipped",
        "**/*.tar.gz");
  NAMES("dist/app-1.0.tar.gz", "'dist/**/app-1.0.tar.gz': '**' matches zero directories",
        "dist/**/app-1.0.tar.gz");
  NAMES("dist/sub/deep.tar.gz", "'dist/**/deep.tar.gz': '**' matches one directory",
        "dist/**/deep.tar.gz");
  NAMES("dist/sub/deep.tar.gz", "'dist/sub/**': a trailing '**' is every file below",
        "dist/sub/**");
  NAMES("B.txt,_.txt,a.txt", "'**/*.txt': not inside .git; sorted bytewise (B < _ < a)",
        "**/*.txt");
  NAMES("dist/app-1.0.tar.gz", "three patterns matching one file give one subject",
        "dist/*.tar.gz", "dist/app-1.0.tar.gz", "**/app-*.tar.gz");
  NAMES("dist/a-b,dist/a/b", "sorted with strcmp: 'dist/a-b' before 'dist/a/b'", "dist/a/b",
        "dist/a-b");
  NAMES("dist/app-1.0.tar.gz,dist/app-1.0.zip", "'?', '[...]' and './' work",
        "./dist/app-1.0.???", "dist//app-1.0.[tz]ar.gz");
  NAMES("lit/a*b", "'lit/a\\*b': an escaped '*' matches only itself", "lit/a\\*b");
#undef NAMES

  r = resolve_names(&err, &names, "dist/*.tar.gz", "dist/*.rpm", NULL);
  tap_ok(error_says(r, &err, "'dist/*.rpm'", "matches no file") && strcmp(names, "") == 0,
         "a pattern that matches nothing is an error naming it: %s", err.msg);
  free(names);
  r = resolve_names(&err, &names, "/etc/hostname", NULL);
  tap_ok(error_says(r, &err, "'/etc/hostname'", "absolute"), "an absolute pattern is refused: %s",
         err.msg);
  free(names);
  r = resolve_names(&err, &names, "a.txt", "dist/../a.txt", NULL);
  tap_ok(error_says(r, &err, "'dist/../a.txt'", "'..'"), "a '..' component is refused: %s",
         err.msg);
  free(names);
  r = resolve_names(&err, &names, "../outside.txt", NULL);
  tap_ok(error_says(r, &err, "'../outside.txt'", NULL), "'../outside.txt' is refused");
  free(names);
  r = resolve_names(&err, &names, "dist/", NULL);
  tap_ok(error_says(r, &err, "'dist/'", "files"), "a pattern naming a directory is refused: %s",
         err.msg);
  free(names);
  struct hm_subject_list l;
  r = hm_subjects_resolve(ws, NULL, 0, 0, &l, &err);
  tap_ok(r == 0 && l.n == 0 && l.algos == HM_DIGEST_SHA256, "no patterns: no subjects");
  hm_subject_list_free(&l);
  r = hm_subjects_resolve("/nonexistent/ws", (char *[]){"x"}, 1, 0, &l, &err);
  tap_ok(error_says(r, &err, "/nonexistent/ws", NULL), "a missing workspace is named: %s", err.msg);
}

static void test_links_and_types(void) {
  hm_error err;
  char *names = NULL;
  struct hm_subject_list l;
  unsigned char real[32];
  hm_digest_buffer(HM_DIGEST_SHA256, "real", 4, real, NULL);

  int r = resolve(&err, &names, 0, &l, "link-inside", "dist/up", NULL);
  if (!have_openat2)
    tap_skip("no openat2 here: symlinks inside the workspace are refused too (%s)", err.msg);
  else
    tap_ok(r == 0 && names_are(names, "dist/up,link-inside", &err) &&
               memcmp(l.items[0].sha256, real, 32) == 0 && memcmp(l.items[1].sha256, real, 32) == 0,
           "symlinks that stay inside the workspace are followed (one via '..')");
  free(names);
  hm_subject_list_free(&l);

  const char *why = have_openat2 ? ": symlink leads outside the workspace" : ": a symlink, refused";
  char want[128];
  snprintf(want, sizeof want, "subject 'esc/out'%s", why);
  r = resolve(&err, &names, 0, &l, "esc/out", NULL);
  tap_ok(error_says(r, &err, want, NULL) && l.n == 0,
         "a relative symlink out of the workspace is refused: %s", err.msg);
  free(names);
  snprintf(want, sizeof want, "subject 'esc/abs'%s", why);
  r = resolve(&err, &names, 0, &l, "esc/abs", NULL);
  tap_ok(error_says(r, &err, want, NULL), "an absolute symlink is refused: %s", err.msg);
  free(names);
  r = resolve(&err, &names, 0, &l, "esc/proc", NULL);
  tap_ok(error_says(r, &err, "subject 'esc/proc'", NULL), "a symlink into /proc is refused: %s",
         err.msg);
  free(names);

  r = resolve_names(&err, &names, "linkdir/*", NULL);
  tap_ok(error_says(r, &err, "'linkdir/*'", "'linkdir' is a symlink"),
         "a symlinked directory is not descended: %s", err.msg);
  free(names);
  r = resolve_names(&err, &names, "**/file.bin", NULL);
  tap_ok(r == 0 && names_are(names, "real/file.bin", &err), "'**' does not descend a symlinked directory");
  free(names);

  alarm(20); /* a fifo opened without O_NONBLOCK would hang here */
  r = resolve_names(&err, &names, "special/fifo", NULL);
  alarm(0);
  tap_ok(error_says(r, &err, "subject 'special/fifo'", "fifo"), "a fifo is refused, no hang: %s",
         err.msg);
  free(names);
  r = resolve_names(&err, &names, "special/d*", NULL);
  tap_ok(error_says(r, &err, "subject 'special/dir'", "directory"), "a directory is refused: %s",
         err.msg);
  free(names);
  int sock = make_socket(ws, "special/sock");
  if (sock < 0) {
    tap_skip("cannot bind a unix socket in %s", ws);
  } else {
    r = resolve_names(&err, &names, "special/sock", NULL);
    tap_ok(error_says(r, &err, "subject 'special/sock'", "not a regular file"),
           "a socket is refused: %s", err.msg);
    free(names);
    close(sock);
  }
  r = resolve_names(&err, &names, "special/*", NULL);
  tap_ok(error_says(r, &err, "subject 'special/dir'", "more subjects failed"),
         "several bad matches: the first by name, and a count: %s", err.msg);
  free(names);
}

static void test_names_and_digests(void) {
  hm_error err;
  char *names = NULL;
  struct hm_subject_list l;
  int r = resolve(&err, &names, HM_DIGEST_SHA512, &l, "weird/*", "dist/app-1.0.tar.gz", NULL);
  tap_ok(r == 0 && names_are(names, "dist/app-1.0.tar.gz,weird/back\\\\slash,weird/new\\nline", &err),
         "names with a backslash and a newline are subjects");
  free(names);
  unsigned char d256[32], d512[64], b[32], n[32];
  hm_digest_buffer(HM_DIGEST_SHA256, "tarball", 7, d256, NULL);
  hm_digest_buffer(HM_DIGEST_SHA512, "tarball", 7, d512, NULL);
  tap_ok(r == 0 && l.algos == HM_DIGEST_ALL && l.items[0].size == 7 &&
             memcmp(l.items[0].sha256, d256, 32) == 0 && memcmp(l.items[0].sha512, d512, 64) == 0,
         "size, sha256 and sha512 of a subject are right");
  hm_digest_buffer(HM_DIGEST_SHA256, "b", 1, b, NULL);
  hm_digest_buffer(HM_DIGEST_SHA256, "n", 1, n, NULL);
  char want[1024], hb[65], hn[65], ht[65];
  hm_hex(b, 32, hb);
  hm_hex(n, 32, hn);
  hm_hex(d256, 32, ht);
  snprintf(want, sizeof want, "%s  dist/app-1.0.tar.gz\n\\%s  weird/back\\\\slash\n\\%s  weird/new\\nline\n",
           ht, hb, hn);
  char *lines = r == 0 ? hm_subjects_sumlines(&l, HM_DIGEST_SHA256, NULL) : NULL;
  tap_ok(lines && strcmp(lines, want) == 0, "sha256sum lines escape those names as coreutils does");
  /* And they read back as pins that match. */
  struct hm_pin_list pins;
  struct hm_pin_report rep = {0};
  int pr = lines ? hm_pins_parse(lines, strlen(lines), "x.sha256", &pins, &err) : -1;
  if (pr == 0)
    pr = hm_pins_check(&l, &pins, &rep, &err);
  tap_ok(pr == 0 && rep.n == 0, "the lines parse back as pins that all match");
  if (lines)
    hm_pin_list_free(&pins);
  hm_pin_report_free(&rep);
  free(lines);
  hm_subject_list_free(&l);
}

static void test_depth(void) {
  hm_error err;
  char *names = NULL;
  /* 300 nested directories "d" with a file at the bottom, and 200 with one too. */
  size_t plen = 300 * 2 + 16;
  char *deep = calloc(1, plen), *ok = calloc(1, plen);
  strcpy(deep, "deep");
  strcpy(ok, "ok");
  for (int i = 0; i < 300; i++)
    strcat(deep, "/d");
  for (int i = 0; i < 200; i++)
    strcat(ok, "/d");
  strcat(deep, "/leaf");
  strcat(ok, "/leaf");
  fs_write_str(ws, deep, "deep");
  fs_write_str(ws, ok, "ok");
  int r = resolve_names(&err, &names, "deep/**", NULL);
  tap_ok(error_says(r, &err, "'deep/**'", "deeper than 256"), "a tree deeper than 256 is an error: %.120s",
         err.msg);
  free(names);
  r = resolve_names(&err, &names, "ok/**/leaf", NULL);
  tap_ok(r == 0 && strlen(names) == strlen(ok), "200 levels are walked: %s", err.msg);
  free(names);
  /* Two "**" can reach one directory many ways; each state is walked once. */
  double t0 = hm_now_ms();
  r = resolve_names(&err, &names, "ok/**/d/**/d/**/leaf", NULL);
  double ms = hm_now_ms() - t0;
  tap_ok(r == 0 && strlen(names) == strlen(ok) && ms < 10000,
         "'ok/**/d/**/d/**/leaf' over 200 levels: one match in %.0f ms", ms);
  free(names);
  free(deep);
  free(ok);
  /* Any later "**" from the top would meet the 300 levels too. */
  char *d = fs_join(ws, "deep");
  fs_rm_rf(d);
  free(d);
}

static long maxrss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* 10,000 subjects must stay cheap for `hermetic build`: memory and time beyond hashing. */
static void test_many(void) {
  char name[64], body[64];
  for (int i = 0; i < 10000; i++) {
    snprintf(name, sizeof name, "many/%02d/f%05d.out", i % 100, i);
    snprintf(body, sizeof body, "file %d\n", i);
    fs_write_str(ws, name, body);
  }
  hm_error err;
  struct hm_subject_list l;
  long rss0 = maxrss_kib();
  double t0 = hm_now_ms();
  int r = resolve(&err, NULL, 0, &l, "many/**/*.out", NULL);
  double ms = hm_now_ms() - t0;
  long rss1 = maxrss_kib();
  tap_diag("10,000 subjects: %.0f ms, peak RSS %ld KiB (grew %ld KiB)", ms, rss1, rss1 - rss0);
  tap_ok(r == 0 && l.n == 10000 && strcmp(l.items[0].name, "many/00/f00000.out") == 0 &&
             strcmp(l.items[9999].name, "many/99/f09999.out") == 0,
         "10,000 subjects resolved and sorted: %s", err.msg);
#if defined(__SANITIZE_ADDRESS__)
  tap_skip("peak RSS is not meaningful under AddressSanitizer");
#else
  const char *preload = getenv("LD_PRELOAD");
  if (preload && strstr(preload, "vgpreload"))
    tap_skip("time and RSS are not meaningful under valgrind");
  else
    tap_ok(rss1 < 64 * 1024 && ms < 5000, "10,000 subjects in %.0f ms, peak RSS %ld KiB (< 64 MiB)",
           ms, rss1);
#endif
  hm_subject_list_free(&l);
}

/* The CLI's mode: symlinked directories followed (not by "**"), absolute patterns. */
static void test_glob_cli_mode(void) {
  hm_error err = {0};
  char **m = NULL;
  size_t n = 0;
  int wfd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r = hm_glob(wfd, "linkdir/*.bin", 0, &m, &n, &err);
  tap_ok(r == 0 && n == 1 && strcmp(m[0], "linkdir/file.bin") == 0,
         "CLI mode: a symlinked directory is followed by a component");
  hm_strv_free(m);
  r = hm_glob(wfd, "**/file.bin", 0, &m, &n, &err);
  tap_ok(r == 0 && n == 1 && strcmp(m[0], "real/file.bin") == 0,
         "CLI mode: '**' still does not follow symlinked directories");
  hm_strv_free(m);
  char *abs = fs_join(ws, "dist/*.zip"), *want = fs_join(ws, "dist/app-1.0.zip");
  r = hm_glob(wfd, abs, 0, &m, &n, &err);
  tap_ok(r == 0 && n == 1 && strcmp(m[0], want) == 0, "CLI mode: an absolute pattern, spelled as given");
  hm_strv_free(m);
  free(abs);
  free(want);
  r = hm_glob(wfd, "./dist/../dist/*.zip", 0, &m, &n, &err);
  tap_ok(r == 0 && n == 1 && strcmp(m[0], "./dist/../dist/app-1.0.zip") == 0,
         "CLI mode: '.' and '..' are kept as written");
  hm_strv_free(m);
  close(wfd);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  tap_plan(PLAN);
  struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
  long probe = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
  have_openat2 = probe >= 0;
  if (probe >= 0)
    close((int)probe);
  else
    tap_diag("openat2 is not available (%s): expecting the no-symlink fallback", strerror(errno));
  char *root = fs_tmpdir("subjects");
  build_workspace(root);
  ws = fs_join(root, "ws");
  test_globs();
  test_links_and_types();
  test_names_and_digests();
  test_depth();
  test_glob_cli_mode();
  test_many();
  fs_rm_rf(root);
  free(root);
  free(ws);
  return tap_exit_status(PLAN);
}
