/* The store's side for the fetcher (store.c): partial downloads under DIR/tmp and their
 * admission into blobs/. Internal to the vendor-snapshot library. */
#ifndef HM_SNAPSHOT_STORE_INT_H
#define HM_SNAPSHOT_STORE_INT_H

#include "snapshot-int.h"

/* "tmp/<algo>-<hex>.part" */
void hm_snap_part_relpath(enum hm_snap_algo algo, const char *hex, char *buf, size_t len);
/* Open (or create) e's partial download, read-write, not truncated: what an earlier run
 * left there is resumed. Returns an fd or -errno. */
int hm_snap_store_part_open(struct hm_snap_store *s, const struct hm_snap_entry *e, hm_error *err);
/* Remove e's partial download (after a failure that makes its bytes worthless). */
void hm_snap_store_part_discard(struct hm_snap_store *s, const struct hm_snap_entry *e);
/* e's partial download has been hashed and matched, and synced to disk
 * (hm_snap_store_sync): rename it to its blob name, link it into npm's layout, set
 * e->size. */
int hm_snap_store_admit(struct hm_snap_store *s, struct hm_snap_entry *e, hm_error *err);
/* syncfs() of the store's file system (before the manifest is written). */
int hm_snap_store_sync(struct hm_snap_store *s, hm_error *err);

#endif
