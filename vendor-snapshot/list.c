/* The entry list every input is read into: de-duplicated by digest, sorted for a stable
 * manifest. Pure: no I/O. */
#include "snapshot.h"

#include <string.h>

const char *hm_snap_algo_name(enum hm_snap_algo algo) {
  switch (algo) {
  case HM_SNAP_SHA1:
    return "sha1";
  case HM_SNAP_SHA256:
    return "sha256";
  case HM_SNAP_SHA512:
    return "sha512";
  }
  return "?";
}

size_t hm_snap_algo_len(enum hm_snap_algo algo) {
  switch (algo) {
  case HM_SNAP_SHA1:
    return 20;
  case HM_SNAP_SHA256:
    return 32;
  case HM_SNAP_SHA512:
    return 64;
  }
  return 0;
}

int hm_snap_algo_parse(const char *name, enum hm_snap_algo *out) {
  static const enum hm_snap_algo all[] = {HM_SNAP_SHA1, HM_SNAP_SHA256, HM_SNAP_SHA512};
  for (size_t i = 0; i < HM_ARRAY_SIZE(all); i++)
    if (strcmp(name, hm_snap_algo_name(all[i])) == 0) {
      *out = all[i];
      return 0;
    }
  return -EINVAL;
}

void hm_snap_list_init(struct hm_snap_list *list) { memset(list, 0, sizeof(*list)); }

void hm_snap_entry_free(struct hm_snap_entry *e) {
  free(e->name);
  free(e->version);
  free(e->purl);
  hm_strv_free(e->urls);
  hm_strv_free(e->origins);
  memset(e, 0, sizeof(*e));
}

void hm_snap_list_free(struct hm_snap_list *list) {
  for (size_t i = 0; i < list->n; i++)
    hm_snap_entry_free(&list->v[i]);
  free(list->v);
  for (size_t i = 0; i < list->n_inputs; i++) {
    free(list->inputs[i].path);
    free(list->inputs[i].kind);
  }
  free(list->inputs);
  free(list->platform);
  memset(list, 0, sizeof(*list));
}

static struct hm_snap_entry *find_digest(struct hm_snap_list *list, enum hm_snap_algo algo,
                                         const char *hex) {
  /* Linear: lockfiles hold hundreds to a few thousand entries, and each is added once. A
   * project of 5,000 packages costs 12.5 M short compares, a few ms. */
  for (size_t i = 0; i < list->n; i++)
    if (list->v[i].algo == algo && strcmp(list->v[i].hex, hex) == 0)
      return &list->v[i];
  return NULL;
}

int hm_snap_list_add(struct hm_snap_list *list, struct hm_snap_entry *e) {
  struct hm_snap_entry *have = find_digest(list, e->algo, e->hex);
  if (have) {
    for (char **o = e->origins; o && *o; o++)
      if (hm_strv_push(&have->origins, *o) < 0)
        return -ENOMEM;
    hm_snap_entry_free(e);
    return 0;
  }
  if (list->n == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 64;
    struct hm_snap_entry *v = realloc(list->v, cap * sizeof(*v));
    if (!v)
      return -ENOMEM;
    list->v = v;
    list->cap = cap;
  }
  list->v[list->n++] = *e;
  memset(e, 0, sizeof(*e));
  return 0;
}

static int cmp_str(const char *a, const char *b) {
  if (!a || !b)
    return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

static int cmp_entry(const void *pa, const void *pb) {
  const struct hm_snap_entry *a = pa, *b = pb;
  int c = cmp_str(a->purl ? a->purl : a->name, b->purl ? b->purl : b->name);
  if (c == 0)
    c = cmp_str(a->version, b->version);
  if (c == 0)
    c = (int)a->algo - (int)b->algo;
  if (c == 0)
    c = strcmp(a->hex, b->hex);
  return c;
}

void hm_snap_list_sort(struct hm_snap_list *list) {
  if (list->n > 1)
    qsort(list->v, list->n, sizeof(list->v[0]), cmp_entry);
}
