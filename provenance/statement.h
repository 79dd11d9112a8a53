/* The in-toto Statement v1 with the SLSA v1 provenance predicate that `hermetic build`
 * writes, and the source it records. docs/buildtype.md is the specification. */
#ifndef HM_PROV_STATEMENT_H
#define HM_PROV_STATEMENT_H

#include <stdbool.h>
#include <time.h>
#include <json-c/json.h>

#include "hm-util.h"
#include "dsse.h" /* the type URIs */

/* builder.id when none is given and not on GitHub Actions: a self-asserted local run. */
#define HM_BUILDER_ID_LOCAL "https://hermetic.dev/builders/local/v1"

/* The source the build started from, read before the build ran (the build can rewrite
 * the workspace, .git included). */
struct hm_source {
  char *uri;    /* "git+https://github.com/o/r@refs/heads/main"; NULL: unknown */
  char *commit; /* 40 (or 64) lowercase hex; NULL: unknown */
};

/* From GITHUB_SERVER_URL/GITHUB_REPOSITORY/GITHUB_REF/GITHUB_SHA when GITHUB_ACTIONS is
 * set in envp; else from the workspace's .git (HEAD, refs, packed-refs, the origin URL),
 * read with no symlink followed and without running git (a checkout's config can run
 * commands). Finding nothing is not an error: both fields stay NULL. */
int hm_source_detect(const char *workspace, char *const *envp, struct hm_source *src, hm_error *err);
void hm_source_free(struct hm_source *src);

struct hm_prov_subject {
  const char *name;   /* relative to the workspace */
  const char *sha256; /* lowercase hex */
  const char *sha512; /* lowercase hex or NULL */
};

struct hm_prov_params {
  char *const *command;          /* argv */
  char *const *subject_patterns; /* --subject, as given */
  char *const *env_set;          /* --env NAME=VALUE */
  char *const *env_pass;         /* --pass-env NAME (names only: values are not recorded) */
  const struct hm_source *source;
  const char *builder_id;        /* NULL: $GITHUB_SERVER_URL/$GITHUB_WORKFLOW_REF on GitHub,
                                    else HM_BUILDER_ID_LOCAL */
  const char *version;           /* hermetic's version */
  json_object *isolation;        /* the sandbox's report (borrowed; copied in) */
  const char *hermetic_uri;      /* the running binary, file:// URI */
  const char *hermetic_sha256;
  const char *log_name;          /* byproduct: the build log */
  const char *log_sha256;
  struct timespec started, finished;
  char *const *envp;             /* GITHUB_* context */
  json_object *extra_dependencies; /* more resolvedDependencies (borrowed array; may be NULL) */
  const char *snapshot_sha256;   /* --snapshot: sha256 of its manifest.json; NULL: none */
  size_t snapshot_entries;       /* how many artifacts it lists */
  const struct hm_prov_subject *subjects;
  size_t n_subjects;
};

/* Build the Statement. *out is a new json object (json_object_put). */
int hm_statement_build(const struct hm_prov_params *p, json_object **out, hm_error *err);

/* The build log (buildlog.c): from start to finish, this process's stdout and stderr go
 * through pipes that a child process copies to the console and to a new file at `path`
 * (canonical; written like hm_write_file_atomic: visible only once complete), hashing
 * it. Call finish after every process that inherited fds 1 and 2 has exited. */
struct hm_build_log;
int hm_build_log_start(const char *path, struct hm_build_log **log, hm_error *err);
/* Restore the console, wait for the copy, commit the file; sha256 of its content. Frees log. */
int hm_build_log_finish(struct hm_build_log *log, char sha256_hex[65], hm_error *err);

/* RFC 3339 UTC, seconds: "2026-11-22T10:00:00Z" (buf >= 21 bytes). */
void hm_rfc3339(const struct timespec *ts, char *buf, size_t len);

#endif
