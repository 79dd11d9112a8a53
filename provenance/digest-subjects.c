/* The build's subjects: patterns resolved inside the workspace, every match a regular file
 * reached without leaving it, digested from the fd that proved it. */
#include "digest.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void hm_subject_list_free(struct hm_subject_list *list) {
  if (!list)
    return;
  for (size_t i = 0; i < list->n; i++)
    free(list->items[i].name);
  free(list->items);
  memset(list, 0, sizeof *list);
}

/* When a pattern matches nothing because one of its leading literal directories is a
 * symlink (which the walk does not follow), say so: the fix is not obvious otherwise. */
static void symlink_hint(int ws_fd, const char *pattern, char *hint, size_t len) {
  hint[0] = '\0';
  _cleanup_free_ char *path = strdup(pattern);
  if (!path)
    return;
  for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (hm_glob_is_pattern(path))
      return;
    struct stat st;
    if (fstatat(ws_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return;
    if (S_ISLNK(st.st_mode)) {
      char q[256];
      snprintf(hint, len, " ('%s' is a symlink; subject patterns do not follow symlinked "
               "directories)", hm_name_quote(path, q, sizeof q));
      return;
    }
    *slash = '/';
  }
}

/* Every pattern's matches, merged, sorted and deduplicated into *names. */
static int collect(int ws_fd, char *const *patterns, size_t n_patterns, char ***names,
                   size_t *n_names, hm_error *err) {
  char **all = NULL;
  size_t n = 0;
  int r = 0;
  for (size_t p = 0; p < n_patterns; p++) {
    char **m = NULL;
    size_t k = 0;
    r = hm_glob(ws_fd, patterns[p], HM_GLOB_BENEATH, &m, &k, err);
    if (r < 0)
      goto fail;
    if (k == 0) {
      free(m);
      char hint[512];
      symlink_hint(ws_fd, patterns[p], hint, sizeof hint);
      r = hm_error_set(err, ENOENT, "subject pattern '%s' matches no file in the workspace%s",
                       patterns[p], hint);
      goto fail;
    }
    char **grown = realloc(all, (n + k + 1) * sizeof *grown);
    if (!grown) {
      hm_strv_free(m);
      r = hm_error_set(err, ENOMEM, "subjects: out of memory");
      goto fail;
    }
    all = grown;
    memcpy(all + n, m, k * sizeof *m);
    n += k;
    all[n] = NULL;
    free(m); /* the strings moved to all */
  }
  if (n > 1) {
    qsort(all, n, sizeof *all, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < n; i++) {
      if (strcmp(all[i], all[k - 1]) == 0)
        free(all[i]);
      else
        all[k++] = all[i];
    }
    n = k;
    all[n] = NULL;
  }
  *names = all;
  *n_names = n;
  return 0;
fail:
  if (all)
    hm_strv_free(all);
  return r;
}

/* The same refusals as hm_glob(HM_GLOB_BENEATH), checked for every pattern up front so
 * that a bad pattern is reported even when an earlier one fails to match. */
static int validate_pattern(const char *pat, size_t index, hm_error *err) {
  if (!pat || !*pat)
    return hm_error_set(err, EINVAL, "subject pattern %zu is empty", index + 1);
  if (pat[0] == '/')
    return hm_error_set(err, EINVAL,
                        "subject pattern '%s' is absolute; it must be relative to the workspace",
                        pat);
  for (const char *c = pat; *c;) {
    size_t len = strcspn(c, "/");
    if (len == 2 && c[0] == '.' && c[1] == '.')
      return hm_error_set(err, EINVAL,
                          "subject pattern '%s' has a '..' component; it must stay inside the "
                          "workspace",
                          pat);
    c += len;
    while (*c == '/')
      c++;
  }
  return 0;
}

/* The first failed job (in name order) as the error, with a count of the others. */
static int first_failure(const struct hm_digest_job *jobs, size_t n, hm_error *err) {
  size_t failed = 0, first = 0;
  for (size_t i = 0; i < n; i++)
    if (jobs[i].error && failed++ == 0)
      first = i;
  if (failed == 0)
    return 0;
  const struct hm_digest_job *j = &jobs[first];
  char q[512], more[64] = "";
  if (failed > 1)
    snprintf(more, sizeof more, " (and %zu more subjects failed)", failed - 1);
  return hm_error_set(err, j->error, "subject '%s': %s%s", hm_name_quote(j->path, q, sizeof q),
                      j->message ? j->message : strerror(j->error), more);
}

int hm_subjects_resolve(const char *workspace, char *const *patterns, size_t n_patterns,
                        unsigned algos, struct hm_subject_list *out, hm_error *err) {
  memset(out, 0, sizeof *out);
  algos |= HM_DIGEST_SHA256;
  if (algos & ~HM_DIGEST_ALL)
    return hm_error_set(err, EINVAL, "subjects: unknown digest algorithms %#x", algos);
  /* Refuse bad patterns before touching the file system, all of them named in order. */
  for (size_t p = 0; p < n_patterns; p++) {
    int r = validate_pattern(patterns[p], p, err);
    if (r < 0)
      return r;
  }
  _cleanup_close_ int ws_fd = open(workspace, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ws_fd < 0)
    return hm_error_errno(err, errno, "opening the workspace %s", workspace);
  if (n_patterns == 0) {
    out->algos = algos;
    return 0;
  }

  _cleanup_strv_ char **names = NULL;
  size_t n = 0;
  int r = collect(ws_fd, patterns, n_patterns, &names, &n, err);
  if (r < 0)
    return r;

  _cleanup_free_ struct hm_digest_job *jobs = calloc(n, sizeof *jobs);
  if (!jobs)
    return hm_error_set(err, ENOMEM, "subjects: out of memory for %zu files", n);
  for (size_t i = 0; i < n; i++) {
    jobs[i].path = names[i];
    jobs[i].fd = -1;
  }
  r = hm_digest_files(ws_fd, jobs, n, algos, HM_DIGEST_BENEATH, err);
  if (r == 0)
    r = first_failure(jobs, n, err);
  hm_digest_jobs_clear(jobs, n);
  if (r < 0)
    return r;

  struct hm_subject *items = calloc(n, sizeof *items);
  if (!items)
    return hm_error_set(err, ENOMEM, "subjects: out of memory for %zu files", n);
  for (size_t i = 0; i < n; i++) {
    items[i].name = steal_pointer(&names[i]);
    items[i].size = jobs[i].size;
    memcpy(items[i].sha256, jobs[i].sha256, HM_SHA256_LEN);
    if (algos & HM_DIGEST_SHA512)
      memcpy(items[i].sha512, jobs[i].sha512, HM_SHA512_LEN);
  }
  out->items = items;
  out->n = n;
  out->algos = algos;
  return 0;
}
