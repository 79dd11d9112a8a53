/* libFuzzer target over the vendor-snapshot readers: the bytes as a package-lock.json or
 * hermetic-deps.json, read for the host's platform and for darwin-arm64 (so that entries
 * the host would skip are read too), twice into one list (de-duplication). Invariants,
 * besides memory safety and no leak: a failure fills the error and records no input; every
 * entry has a name, an http(s) URL, a lowercase digest of its algorithm's length and an
 * origin; a purl, when there is one, starts "pkg:". */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "snapshot.h"

static void check_entry(const struct hm_snap_entry *e) {
  CHECK(e->name && e->name[0]);
  CHECK(e->urls && e->urls[0]);
  for (char **u = e->urls; *u; u++)
    CHECK(strncasecmp(*u, "https://", 8) == 0 || strncasecmp(*u, "http://", 7) == 0);
  size_t want = 2 * hm_snap_algo_len(e->algo);
  CHECK(want > 0 && strlen(e->hex) == want && hm_is_lower_hex(e->hex, want));
  CHECK(e->origins && e->origins[0]);
  CHECK(!e->purl || strncmp(e->purl, "pkg:", 4) == 0);
  CHECK(e->size == 0);
}

static void read_for(const char *text, size_t size, const struct hm_snap_read_opts *opts) {
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  for (int round = 0; round < 2; round++) {
    hm_error err = {0};
    size_t inputs = list.n_inputs, n = list.n;
    int r = hm_snap_read_buffer("fuzz.json", text, size, opts, &list, &err);
    if (r < 0) {
      CHECK(err.code == -r && strncmp(err.msg, "fuzz.json: ", 11) == 0);
      CHECK(list.n_inputs == inputs);
      break;
    }
    CHECK(list.n_inputs == inputs + 1);
    CHECK(round == 0 || list.n == n); /* the same digests again: nothing new */
  }
  for (size_t i = 0; i < list.n; i++)
    check_entry(&list.v[i]);
  hm_snap_list_sort(&list);
  hm_snap_list_free(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const struct hm_snap_read_opts other = {.os = "darwin", .cpu = "arm64"};
  /* A private copy without a trailing NUL, so reading past size is an ASan report. */
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  read_for(text, size, NULL);
  read_for(text, size, &other);
  free(text);
  return 0;
}
