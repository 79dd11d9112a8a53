/* Shared by the reader tests: the fixtures directory, fixed targets, building small
 * lockfiles and SRI strings, and checks on the entry list. Aborts on a set-up failure. */
#ifndef HM_TEST_READTEST_H
#define HM_TEST_READTEST_H

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "../digest/fsutil.h"
#include "../unit/tap.h"
#include "hm-base64.h"
#include "snapshot.h"

static const char *data_dir;

/* Explicit targets, so that results do not depend on the machine running the test. */
static const struct hm_snap_read_opts LINUX_X64 = {.os = "linux", .cpu = "x64", .libc = "glibc"};
static const struct hm_snap_read_opts LINUX_ARM64_MUSL = {
    .os = "linux", .cpu = "arm64", .libc = "musl"};
static const struct hm_snap_read_opts DARWIN_ARM64 = {.os = "darwin", .cpu = "arm64"};
static const struct hm_snap_read_opts WIN32_IA32 = {.os = "win32", .cpu = "ia32"};

static inline char *data_path(const char *name) { return fs_join(data_dir, name); }

static inline char *slurp(const char *path, size_t *len) {
  char *text = NULL;
  hm_error err = {0};
  if (hm_read_file(path, &text, len, &err) < 0) {
    printf("Bail out! %s\n", err.msg);
    exit(1);
  }
  return text;
}

static inline int read_data(const char *name, const struct hm_snap_read_opts *opts,
                            struct hm_snap_list *list, hm_error *err) {
  _cleanup_free_ char *path = data_path(name);
  int r = hm_snap_read_input(path, opts, list, err);
  if (r < 0)
    tap_diag("%s", err->msg);
  return r;
}

static inline int read_text(const char *display, const char *text,
                            const struct hm_snap_read_opts *opts, struct hm_snap_list *list,
                            hm_error *err) {
  return hm_snap_read_buffer(display, text, strlen(text), opts, list, err);
}

static inline const struct hm_snap_entry *find(const struct hm_snap_list *list, const char *name,
                                               const char *version) {
  for (size_t i = 0; i < list->n; i++)
    if (strcmp(list->v[i].name, name) == 0 &&
        (!version || (list->v[i].version && strcmp(list->v[i].version, version) == 0)))
      return &list->v[i];
  return NULL;
}

/* The list holds exactly the space-separated names in want. */
static inline bool names_are(const struct hm_snap_list *list, const char *want) {
  _cleanup_free_ char *copy = strdup(want);
  size_t n = 0;
  bool ok = true;
  for (char *save, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
    if (!find(list, w, NULL)) {
      tap_diag("missing %s", w);
      ok = false;
    }
  if (n != list->n) {
    tap_diag("%zu entries, want %zu:", list->n, n);
    for (size_t i = 0; i < list->n; i++)
      tap_diag("  %s@%s", list->v[i].name, list->v[i].version);
    ok = false;
  }
  return ok;
}

static inline bool str_is(const char *got, const char *want) {
  if (got && want && strcmp(got, want) == 0)
    return true;
  tap_diag("got  %s", got ? got : "(null)");
  tap_diag("want %s", want ? want : "(null)");
  return false;
}

/* Reading text into a fresh list fails, and the message holds every needle. */
static inline bool fails_with(const char *text, const struct hm_snap_read_opts *opts,
                              const char *needle1, const char *needle2) {
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  hm_error err = {0};
  int r = read_text("package-lock.json", text, opts, &list, &err);
  bool ok = r < 0 && strstr(err.msg, needle1) && (!needle2 || strstr(err.msg, needle2)) &&
            list.n_inputs == 0;
  if (!ok)
    tap_diag("r=%d msg=\"%s\" (want \"%s\"%s%s)", r, err.msg, needle1, needle2 ? ", " : "",
             needle2 ? needle2 : "");
  hm_snap_list_free(&list);
  return ok;
}

/* A v3 lockfile of the given `packages` entries (after the root). */
static inline char *lock3(const char *entries) {
  char *s;
  if (asprintf(&s, "{\"lockfileVersion\": 3, \"packages\": {\"\": {\"name\": \"t\"}%s%s}}",
               *entries ? ", " : "", entries) < 0)
    abort();
  return s;
}

/* "sha512-<base64 of 64 bytes of fill>", and the hex those bytes are, computed by encoding
 * rather than by the decoder under test. */
static inline char *sri_of(enum hm_snap_algo algo, unsigned char fill, size_t len, char *hex) {
  unsigned char raw[64];
  memset(raw, fill, sizeof raw);
  _cleanup_free_ char *b64 = hm_base64_encode(raw, len, NULL);
  if (hex)
    hm_hex(raw, len, hex);
  char *s;
  if (asprintf(&s, "%s-%s", hm_snap_algo_name(algo), b64) < 0)
    abort();
  return s;
}

static inline char *npm_entry(const char *key, const char *fields) {
  char *s;
  if (asprintf(&s, "\"node_modules/%s\": {\"version\": \"1.0.0\"%s%s}", key, *fields ? ", " : "",
               fields) < 0)
    abort();
  return s;
}

/* One entry with a good resolved and integrity, plus extra fields. */
static inline char *good_entry(const char *key, const char *extra) {
  _cleanup_free_ char *sri = sri_of(HM_SNAP_SHA512, 7, 64, NULL);
  _cleanup_free_ char *fields = NULL;
  if (asprintf(&fields,
               "\"resolved\": \"https://registry.npmjs.org/x/-/x-1.0.0.tgz\", "
               "\"integrity\": \"%s\"%s%s",
               sri, *extra ? ", " : "", extra) < 0)
    abort();
  return npm_entry(key, fields);
}

/* A lockfile of one entry (npm_entry(key, fields)) fails with both needles. */
static inline bool entry_fails(const char *key, const char *fields, const char *needle1,
                               const char *needle2) {
  _cleanup_free_ char *e = npm_entry(key, fields);
  _cleanup_free_ char *t = lock3(e);
  return fails_with(t, &LINUX_X64, needle1, needle2);
}

#endif
