/* Digests of files: sha256/sha512 over OpenSSL, hashed in parallel; the build's subjects
 * (patterns resolved inside a workspace that the build could have made hostile); the
 * sha256sum line format, its base64, and pins ("subject pinning": --expect FILE).
 *
 * Library rules: functions return 0 or -errno and fill `hm_error *err` with a message
 * naming what failed; nothing here prints or exits. */
#ifndef HM_PROV_DIGEST_H
#define HM_PROV_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hm-util.h"

/* ---- algorithms ------------------------------------------------------------------- */

/* Bit flags, so that a caller can ask for several at once. */
#define HM_DIGEST_SHA256 1u
#define HM_DIGEST_SHA512 2u
#define HM_DIGEST_ALL (HM_DIGEST_SHA256 | HM_DIGEST_SHA512)

#define HM_SHA256_LEN 32
#define HM_SHA512_LEN 64
#define HM_DIGEST_MAX_LEN 64

/* "sha256", "sha512", or NULL when algo is not exactly one known algorithm. */
const char *hm_digest_algo_name(unsigned algo);
/* "sha256" / "sha512" -> flag; -EINVAL for anything else. */
int hm_digest_algo_parse(const char *name, unsigned *algo);
/* Digest length in bytes (32, 64), 0 for an unknown algo. */
size_t hm_digest_len(unsigned algo);

/* One-shot digest of a buffer into out (hm_digest_len(algo) bytes). */
int hm_digest_buffer(unsigned algo, const void *data, size_t len, unsigned char *out, hm_error *err);

/* ---- files, in parallel ----------------------------------------------------------- */

/* One file to digest. The caller fills path (or fd) and zeroes the rest; results are
 * filled in place, so the output order is the caller's order whatever the scheduling. */
struct hm_digest_job {
  const char *path; /* opened relative to the dirfd given to hm_digest_files() */
  int fd;           /* >= 0: read this fd instead (stdin): not opened, checked or closed */
  uint64_t size;    /* out: bytes digested */
  unsigned char sha256[HM_SHA256_LEN];
  unsigned char sha512[HM_SHA512_LEN];
  int error;     /* out: 0, or a positive errno when the file could not be digested */
  char *message; /* out, with error: why, without the path ("Is a directory",
                  * "symlink leads outside the workspace"), or NULL (out of memory: use
                  * strerror(error)); freed by hm_digest_jobs_clear() */
};

/* Open with openat2(dirfd, path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): symlinks are
 * followed only while they stay beneath dirfd (relative targets). Without the flag, paths
 * are opened with openat() and symlinks followed anywhere, as sha256sum does. */
#define HM_DIGEST_BENEATH 1u

/* Digest every job with `algos` (HM_DIGEST_* flags), on a pool of threads as large as the
 * CPUs this process may run on; each file is one job, taken in turn by whichever thread is
 * free. Files are opened O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC (a fifo cannot block us),
 * fstat'ed, refused unless regular, and read from that same fd to EOF.
 * Per-file failures go to job->error / job->message; the return value is < 0 only when the
 * pool itself could not run (memory, threads, unknown algos). */
int hm_digest_files(int dirfd, struct hm_digest_job *jobs, size_t n, unsigned algos,
                    unsigned flags, hm_error *err);
/* Free the messages of n jobs (the jobs array itself is the caller's). */
void hm_digest_jobs_clear(struct hm_digest_job *jobs, size_t n);

/* ---- globs ------------------------------------------------------------------------ */

/* Globs are expanded by us, one path component at a time with fnmatch(3): '*', '?',
 * '[...]' and '\' escapes within a component, and a component that is exactly "**"
 * matching zero or more directories (a trailing "**": every file at any depth below). A
 * wildcard does not match a leading '.' unless the pattern component starts with one;
 * "**" neither enters hidden directories nor, trailing, matches hidden files. Matches are
 * sorted bytewise (strcmp), without duplicates. */
#define HM_GLOB_MAX_DEPTH 256 /* directories deeper than this are an error, not a hang */

/* HM_GLOB_BENEATH is the build's mode: the pattern must be relative with no ".."
 * component and no trailing '/', and no symlink is followed while walking directories (a
 * symlinked directory is not descended; a symlink in the last component is matched and
 * left to hm_digest_files(HM_DIGEST_BENEATH)). Without it (the CLI): absolute patterns and
 * ".." are fine and symlinked directories are followed, except by "**". */
#define HM_GLOB_BENEATH 1u

/* True when s has a glob character ('*', '?', '[' or '\'). */
bool hm_glob_is_pattern(const char *s);
/* Expand pattern beneath dirfd (AT_FDCWD allowed). *out is a NULL-terminated vector (free
 * with hm_strv_free) of matched names, spelled as the pattern spells its directories
 * ("./src/?.c" gives "./src/a.c"; BENEATH drops "." and empty components). Zero
 * matches is not an error here (*n_out == 0). */
int hm_glob(int dirfd, const char *pattern, unsigned flags, char ***out, size_t *n_out,
            hm_error *err);

/* ---- subjects (hermetic build) ------------------------------------------------------ */

struct hm_subject {
  char *name; /* relative to the workspace, normalized ("dist/a.tar.gz") */
  uint64_t size;
  unsigned char sha256[HM_SHA256_LEN];
  unsigned char sha512[HM_SHA512_LEN]; /* when list->algos has HM_DIGEST_SHA512 */
};

struct hm_subject_list {
  struct hm_subject *items; /* sorted by name with strcmp, no duplicates */
  size_t n;
  unsigned algos; /* what was computed: always includes HM_DIGEST_SHA256 */
};

/* Resolve subject patterns (hm_glob with HM_GLOB_BENEATH, from an O_PATH fd of workspace)
 * and digest the matches (hm_digest_files with HM_DIGEST_BENEATH), sha256 always plus
 * whatever `algos` adds. Fails, naming the pattern or subject, when a pattern is absolute
 * or has "..", a pattern matches no file, a match is not a regular file (directory, fifo,
 * socket, device), a symlink leads outside the workspace, the tree is deeper than
 * HM_GLOB_MAX_DEPTH, or a file cannot be read. On failure *out is left empty. */
int hm_subjects_resolve(const char *workspace, char *const *patterns, size_t n_patterns,
                        unsigned algos, struct hm_subject_list *out, hm_error *err);
void hm_subject_list_free(struct hm_subject_list *list);

/* ---- the sha256sum format ----------------------------------------------------------- */

/* One line as GNU sha256sum/sha512sum print it: "<hex>  <name>\n". A name with '\\',
 * '\n' or '\r' is escaped as coreutils does: the line starts with '\' and those bytes
 * become "\\\\", "\\n", "\\r". Writes at most cap bytes (NUL-terminated when cap > 0) and
 * returns the full length without the NUL, like snprintf; out may be NULL with cap 0. */
size_t hm_sumline_format(char *out, size_t cap, unsigned algo, const unsigned char *digest,
                         const char *name);
/* All lines of a subject list for one algo (must be in list->algos), as one heap string;
 * NULL with errno ENOMEM or EINVAL. */
char *hm_subjects_sumlines(const struct hm_subject_list *list, unsigned algo, size_t *len);
/* The base64 of those lines: slsa-github-generator's `base64-subjects`. */
char *hm_subjects_base64(const struct hm_subject_list *list, unsigned algo);
/* name quoted for a one-line message: '\\', control bytes and DEL escaped ("\\n",
 * "\\x1b"); truncated to cap. Returns buf. */
const char *hm_name_quote(const char *name, char *buf, size_t cap);

/* ---- pins (--expect FILE) ----------------------------------------------------------- */

struct hm_pin {
  char *name;
  unsigned algo; /* from the digest's length: 64 hex digits sha256, 128 sha512 */
  unsigned char digest[HM_DIGEST_MAX_LEN];
  size_t line; /* 1-based line in the source */
};

struct hm_pin_list {
  struct hm_pin *items; /* sorted by name, then algo */
  size_t n;
  unsigned algos; /* union of the pins' algos: digest the subjects with at least these */
  char *source;   /* the file name, for messages */
};

/* Parse sha256sum/sha512sum output: "<hex>  <name>" or "<hex> *<name>", optionally
 * '\'-escaped as above, hex in either case, CRLF tolerated, blank lines and lines starting
 * with '#' skipped (as coreutils does). Anything else, and two pins for the same name and
 * algo, is an error naming SOURCE:LINE. */
int hm_pins_parse(const char *text, size_t len, const char *source, struct hm_pin_list *out,
                  hm_error *err);
int hm_pins_load(const char *path, struct hm_pin_list *out, hm_error *err);
void hm_pin_list_free(struct hm_pin_list *pins);

enum hm_pin_issue_kind {
  HM_PIN_MISMATCH, /* the subject's digest differs from its pin */
  HM_PIN_MISSING,  /* a subject with no pin */
  HM_PIN_STRAY,    /* a pin that names no subject */
};

struct hm_pin_issue {
  enum hm_pin_issue_kind kind;
  const char *name;              /* borrowed from the subject or pin list */
  unsigned algo;                 /* MISMATCH, STRAY */
  const unsigned char *expected; /* MISMATCH, STRAY: the pin (borrowed) */
  const unsigned char *got;      /* MISMATCH: the subject's digest (borrowed) */
  size_t line;                   /* MISMATCH, STRAY: the pin's line */
};

struct hm_pin_report {
  struct hm_pin_issue *items; /* subjects' order; stray pins last, in line order */
  size_t n;                   /* 0: every subject has a pin and matches all its pins */
};

/* Check subjects against pins. Returns 0 when the check ran (it passed iff out->n == 0),
 * -EINVAL when a pin uses an algo the subjects were not digested with (pass pins->algos
 * to hm_subjects_resolve), -ENOMEM. */
int hm_pins_check(const struct hm_subject_list *subjects, const struct hm_pin_list *pins,
                  struct hm_pin_report *out, hm_error *err);
/* One line for an issue, no newline, names quoted with hm_name_quote():
 *   subject 'x': expected <hex>, got <hex> (sha256 pin, FILE:LINE)
 *   subject 'x' has no pin in FILE
 *   pin for 'y' matches no subject (FILE:LINE)
 * Heap string, NULL on ENOMEM. */
char *hm_pin_issue_describe(const struct hm_pin_issue *issue, const char *source);
void hm_pin_report_free(struct hm_pin_report *report);

#endif
