/* The vendor snapshot: lockfile readers, the fetcher, the content-addressed store and its
 * manifest. docs/snapshot.md describes the process and the manifest format.
 *
 * A snapshot directory DIR holds:
 *   DIR/blobs/<algo>/<hex>                         every artifact, named by its digest
 *   DIR/npm/_cacache/content-v2/<algo>/<xx>/<yy>/<rest of hex>   hard links to the same
 *                                                  blobs, where npm's cache reads by digest
 *   DIR/manifest.json                              what is in it and where each came from
 *   DIR/tmp/                                       partial downloads (never in blobs/)
 * A file appears under blobs/ only by an atomic rename after its digest matched. */
#ifndef HM_SNAPSHOT_H
#define HM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "hm-util.h"

enum hm_snap_algo { HM_SNAP_SHA1 = 1, HM_SNAP_SHA256, HM_SNAP_SHA512 };

/* "sha1", "sha256", "sha512". */
const char *hm_snap_algo_name(enum hm_snap_algo algo);
/* Digest length in bytes: 20, 32, 64. */
size_t hm_snap_algo_len(enum hm_snap_algo algo);
/* From a name as above; -EINVAL for anything else. */
int hm_snap_algo_parse(const char *name, enum hm_snap_algo *out);

/* One artifact to fetch. */
struct hm_snap_entry {
  char *name;     /* "@scope/pkg", or a generic manifest entry's name; never NULL */
  char *version;  /* NULL when unknown (generic manifest without one) */
  char *purl;     /* "pkg:npm/%40scope/pkg@1.2.3", a generic manifest's purl, or NULL */
  char **urls;    /* NULL-terminated, at least one; the first is the canonical one */
  enum hm_snap_algo algo;
  char hex[129];  /* lowercase hex digest, 2 * hm_snap_algo_len(algo) digits */
  char **origins; /* NULL-terminated: "package-lock.json:node_modules/foo" for every input
                     entry that resolved to this digest */
  uint64_t size;  /* bytes once fetched or found in the store; 0 before */
};

/* What one input file was. */
struct hm_snap_input {
  char *path;     /* as given */
  char *kind;     /* "npm-lockfile-v2", "npm-lockfile-v3", "hermetic-deps-v1" */
  char sha256[65];
};

/* The entries of every input, de-duplicated by (algo, digest). */
struct hm_snap_list {
  struct hm_snap_entry *v;
  size_t n, cap;
  struct hm_snap_input *inputs;
  size_t n_inputs;
  char *platform; /* "linux-x64", or "linux-x64-musl" when the libc is not glibc: the
                     target the npm entries were chosen for */
};

void hm_snap_list_init(struct hm_snap_list *list);
void hm_snap_list_free(struct hm_snap_list *list);
/* Take over *e (its strings move into the list; *e is zeroed). When an entry with the same
 * algo and digest exists, e's origins are appended to it and the rest of e is freed.
 * Returns 0 or -ENOMEM. */
int hm_snap_list_add(struct hm_snap_list *list, struct hm_snap_entry *e);
void hm_snap_entry_free(struct hm_snap_entry *e);
/* Sort by (purl or name, version, digest) so that the manifest is stable. */
void hm_snap_list_sort(struct hm_snap_list *list);

/* Reading inputs (lockfile-npm.c, deps-json.c). */
struct hm_snap_read_opts {
  const char *registry; /* base URL used to rebuild a missing `resolved`; NULL: npm's */
  const char *os;       /* target platform, npm's names: "linux"; NULL: the host's */
  const char *cpu;      /* "x64", "arm64", ...; NULL: the host's */
  const char *libc;     /* "glibc" or "musl"; NULL: the host's */
};
#define HM_SNAP_DEFAULT_REGISTRY "https://registry.npmjs.org"

/* Read one input, recognised by content: an npm package-lock.json (lockfileVersion 2 or 3;
 * 1 is refused with the reason) or a hermetic-deps.json. Appends to list and records
 * the input. Errors name the file and the entry. */
int hm_snap_read_input(const char *path, const struct hm_snap_read_opts *opts,
                       struct hm_snap_list *list, hm_error *err);
/* The same, from memory (the fuzz target and the unit tests); display_path names it. */
int hm_snap_read_buffer(const char *display_path, const char *data, size_t len,
                        const struct hm_snap_read_opts *opts, struct hm_snap_list *list,
                        hm_error *err);

/* "pkg:npm/%40scope/name@1.2.3" (purl-spec: the scope's "@" percent-encoded as the
 * namespace); "pkg:npm/name" when version is NULL. NULL with errno EINVAL for a name that
 * is not an npm package name, ENOMEM on allocation failure. */
char *hm_snap_npm_purl(const char *name, const char *version);

/* The store (store.c). Opening takes an exclusive lock on DIR for as long as it is open,
 * so two fetches never write the same snapshot at once. */
struct hm_snap_store;
int hm_snap_store_open(const char *dir, bool create, struct hm_snap_store **out, hm_error *err);
void hm_snap_store_close(struct hm_snap_store *store);
/* Is e's blob present? Fills e->size. Does not re-hash (verify does). 1 yes, 0 no, -errno. */
int hm_snap_store_has(struct hm_snap_store *store, struct hm_snap_entry *e, hm_error *err);

/* The fetcher (fetch.c): libcurl's multi interface. */
struct hm_snap_progress {
  size_t total, done, cached, failed;
  uint64_t bytes;      /* downloaded so far */
  unsigned active;     /* transfers under way */
};
/* Set every field by hm_snap_fetch_opts_init(), then change what differs. */
struct hm_snap_fetch_opts {
  unsigned jobs;             /* parallel transfers (16) */
  const char *registry;      /* mirror: URLs under HM_SNAP_DEFAULT_REGISTRY are fetched
                                from here instead; NULL: none */
  long connect_timeout_ms;   /* (10000) */
  long stall_timeout_ms;     /* no byte for this long aborts an attempt (30000) */
  unsigned retries;          /* further attempts after a failure that may pass (4) */
  long backoff_ms;           /* first retry delay, doubled each time (250) */
  /* Called at most every 100 ms and once at the end (may be NULL). */
  void (*progress)(const struct hm_snap_progress *p, void *data);
  void *progress_data;
  /* Called once per entry that failed for good (may be NULL); msg names it and why. */
  void (*failure)(const struct hm_snap_entry *e, const char *msg, void *data);
  void *failure_data;
};
void hm_snap_fetch_opts_init(struct hm_snap_fetch_opts *opts);
struct hm_snap_fetch_stats {
  size_t total, cached, fetched, failed;
  uint64_t bytes;          /* downloaded */
  unsigned retries;        /* attempts repeated */
  double ms;               /* wall time */
};
/* Fetch every entry not in the store yet, verifying each while it streams, and admit it.
 * An earlier manifest.json is removed first: a snapshot has a manifest only while its last
 * fetch is complete (hm_snap_manifest_write after this returned 0).
 * Returns 0 when every entry is in the store, -EIO when some failed (each reported through
 * opts->failure; err names the first), other -errno for setup failures. */
int hm_snap_fetch(struct hm_snap_store *store, struct hm_snap_list *list,
                  const struct hm_snap_fetch_opts *opts, struct hm_snap_fetch_stats *stats,
                  hm_error *err);

/* The manifest (manifest.c). */
#define HM_SNAP_MANIFEST_SCHEMA "https://hermetic.dev/snapshot/manifest/v1"
/* Write DIR/manifest.json for list (all entries must be in the store), atomically. */
int hm_snap_manifest_write(struct hm_snap_store *store, const struct hm_snap_list *list,
                           hm_error *err);
/* Read and check DIR/manifest.json (no symlink followed). *manifest: new object;
 * sha256_hex: the digest of its exact bytes (what provenance records), or NULL not to
 * compute it. */
int hm_snap_manifest_load(const char *dir, json_object **manifest, char sha256_hex[65],
                          hm_error *err);
/* resolvedDependencies for the provenance: one ResourceDescriptor per entry
 * {uri: purl (or the url), digest: {algo: hex}, downloadLocation: url, name}. */
int hm_snap_manifest_dependencies(json_object *manifest, json_object **deps, hm_error *err);

/* Verify (verify.c): re-hash every blob the manifest lists and every file under blobs/,
 * in parallel, and check the npm links. */
struct hm_snap_verify_stats {
  size_t checked, missing, corrupt;
  uint64_t bytes;
  double ms;
};
/* Called once per problem found: what is "missing" or "corrupt"; name names the entry. */
typedef void (*hm_snap_problem_fn)(const char *what, const char *name, const char *detail,
                                   void *data);
/* Returns 0 when all is well, 1 when problems were found (each reported), -errno when the
 * snapshot cannot be read at all. */
int hm_snap_verify(const char *dir, unsigned jobs, hm_snap_problem_fn problem, void *data,
                   struct hm_snap_verify_stats *stats, hm_error *err);

#endif
