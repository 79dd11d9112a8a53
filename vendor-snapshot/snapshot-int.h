/* Shared between the files of the vendor-snapshot library only (not its users). */
#ifndef HM_SNAPSHOT_INT_H
#define HM_SNAPSHOT_INT_H

#include "snapshot.h"

struct hm_snap_store {
  char *path;   /* DIR as given, for messages */
  int dirfd;    /* DIR, O_DIRECTORY, opened without following a symlink at its last component */
  int lock_fd;  /* DIR/.lock, flock(LOCK_EX) while open */
};

/* Open DIR itself (O_DIRECTORY, not following a symlink there: the message says so). */
int hm_snap_open_dir(const char *dir, hm_error *err);

/* Paths relative to DIR. buf >= HM_SNAP_RELPATH_MAX. */
#define HM_SNAP_RELPATH_MAX 256
/* "blobs/<algo>/<hex>" */
void hm_snap_blob_relpath(enum hm_snap_algo algo, const char *hex, char *buf, size_t len);
/* "npm/_cacache/content-v2/<algo>/<hex[0:2]>/<hex[2:4]>/<hex[4:]>" (cacache's layout) */
void hm_snap_npm_relpath(enum hm_snap_algo algo, const char *hex, char *buf, size_t len);

/* Shared by the readers (read.c, lockfile-npm.c, deps-json.c, purl.c). Each appends the
 * entries of one parsed input; *kind names what it was ("npm-lockfile-v3"). */
int hm_snap_read_npm(const char *display, json_object *root, const struct hm_snap_read_opts *opts,
                     struct hm_snap_list *list, const char **kind, hm_error *err);
int hm_snap_read_deps(const char *display, json_object *root, struct hm_snap_list *list,
                      const char **kind, hm_error *err);
/* An input entry that cannot be used: "DISPLAY: WHERE: <message>" into err; -EINVAL. */
int hm_snap_input_error(hm_error *err, const char *display, const char *where, const char *fmt,
                        va_list ap) __attribute__((format(printf, 4, 0)));
/* NULL when url may be handed to the fetcher, else why not. */
const char *hm_snap_url_problem(const char *url);
/* NULL when name is an npm package name, else why not. */
const char *hm_snap_npm_name_problem(const char *name);

#endif
