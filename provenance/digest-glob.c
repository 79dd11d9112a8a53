/* Glob expansion by directory walk: one fnmatch(3) per path component, from a directory
 * fd with openat, so that in the build's mode (HM_GLOB_BENEATH) no symlink is ever followed
 * while walking and the walk cannot leave the workspace. */
#include "digest.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>

struct strvec {
  char **v;
  size_t n, cap;
};

static void strvec_free(struct strvec *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  memset(s, 0, sizeof *s);
}

/* Takes ownership of str. */
static int strvec_push(struct strvec *s, char *str) {
  if (!str)
    return -ENOMEM;
  if (s->n + 1 >= s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    char **v = realloc(s->v, cap * sizeof *v);
    if (!v) {
      free(str);
      return -ENOMEM;
    }
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = str;
  s->v[s->n] = NULL;
  return 0;
}

/* A set of strings (open addressing, FNV-1a), for the walk states already visited. */
struct strset {
  char **slot;
  size_t cap, n;
};

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void strset_free(struct strset *s) {
  for (size_t i = 0; i < s->cap; i++)
    free(s->slot[i]);
  free(s->slot);
  memset(s, 0, sizeof *s);
}

/* 1 when key was added, 0 when it was there already, -ENOMEM. */
static int strset_add(struct strset *s, const char *key) {
  if (2 * (s->n + 1) > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    char **slot = calloc(cap, sizeof *slot);
    if (!slot)
      return -ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slot[i])
        continue;
      size_t j = fnv1a(s->slot[i]) & (cap - 1);
      while (slot[j])
        j = (j + 1) & (cap - 1);
      slot[j] = s->slot[i];
    }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
  }
  size_t j = fnv1a(key) & (s->cap - 1);
  for (; s->slot[j]; j = (j + 1) & (s->cap - 1))
    if (strcmp(s->slot[j], key) == 0)
      return 0;
  if (!(s->slot[j] = strdup(key)))
    return -ENOMEM;
  s->n++;
  return 1;
}

struct walk {
  const char *pattern; /* for messages */
  char **comps;        /* the pattern's components */
  size_t ncomps;
  unsigned flags;
  bool memo; /* more than one "**": the same state can be reached twice */
  struct strset seen;
  struct strvec *out;
  hm_error *err;
};

static bool is_globstar(const char *c) { return strcmp(c, "**") == 0; }

bool hm_glob_is_pattern(const char *s) { return strpbrk(s, "*?[\\") != NULL; }

static char *join(const char *prefix, const char *name) {
  size_t lp = strlen(prefix), ln = strlen(name);
  bool slash = lp > 0 && prefix[lp - 1] != '/';
  char *s = malloc(lp + slash + ln + 1);
  if (!s)
    return NULL;
  memcpy(s, prefix, lp);
  if (slash)
    s[lp] = '/';
  memcpy(s + lp + slash, name, ln + 1);
  return s;
}

static int walk_error(struct walk *w, int code, const char *what, const char *path) {
  char q[512];
  return hm_error_errno(w->err, code, "pattern '%s': %s '%s'", w->pattern, what,
                        hm_name_quote(*path ? path : ".", q, sizeof q));
}

static int add_match(struct walk *w, const char *prefix, const char *name) {
  if (strvec_push(w->out, join(prefix, name)) < 0)
    return hm_error_set(w->err, ENOMEM, "pattern '%s': out of memory", w->pattern);
  return 0;
}

/* The type of entry name in dfd without following a symlink. */
static int entry_type(int dfd, const struct dirent *de, unsigned char *type) {
  if (de->d_type != DT_UNKNOWN) {
    *type = de->d_type;
    return 0;
  }
  struct stat st;
  if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -errno;
  *type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
  return 0;
}

/* Open subdirectory name of dfd. Returns the fd, -1 when it is not a directory we may
 * enter (gone, not a directory, a symlink in BENEATH mode), or < -1 with the error set. */
static int open_subdir(struct walk *w, int dfd, const char *name, const char *path, bool follow) {
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  int fd;
  do
    fd = openat(dfd, name, flags);
  while (fd < 0 && errno == EINTR);
  if (fd >= 0)
    return fd;
  if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
    return -1;
  int r = walk_error(w, errno, "opening directory", path);
  return r < -1 ? r : -EIO;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, size_t i, unsigned depth);

static int walk_all(struct walk *w, int dfd, const char *prefix, unsigned depth);

/* Enter directory `name` one level below depth: -1 when it is not a directory to walk,
 * < -1 on error, else its fd, with its path in *path. */
static int open_child(struct walk *w, int dfd, const char *prefix, const char *name, unsigned depth,
                      bool follow, char **path) {
  *path = join(prefix, name);
  if (!*path)
    return hm_error_set(w->err, ENOMEM, "pattern '%s': out of memory", w->pattern);
  if (depth + 1 > HM_GLOB_MAX_DEPTH) {
    char q[256];
    return hm_error_set(w->err, ELOOP,
                        "pattern '%s': directory '%s' is nested deeper than %d levels", w->pattern,
                        hm_name_quote(*path, q, sizeof q), HM_GLOB_MAX_DEPTH);
  }
  return open_subdir(w, dfd, name, *path, follow);
}

/* Continue with component i (SIZE_MAX: a trailing "**") inside directory name. */
static int descend(struct walk *w, int dfd, const char *prefix, const char *name, size_t i,
                   unsigned depth, bool follow) {
  _cleanup_free_ char *path = NULL;
  _cleanup_close_ int sub = open_child(w, dfd, prefix, name, depth, follow, &path);
  if (sub < -1)
    return sub;
  if (sub == -1)
    return 0;
  return i == SIZE_MAX ? walk_all(w, sub, path, depth + 1) : walk_dir(w, sub, path, i, depth + 1);
}

/* A literal component: no directory listing, the name is looked up directly. */
static int walk_literal(struct walk *w, int dfd, const char *prefix, size_t i, unsigned depth) {
  const char *comp = w->comps[i];
  if (i + 1 == w->ncomps) {
    struct stat st;
    if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0)
      return add_match(w, prefix, comp);
    if (errno == ENOENT || errno == ENOTDIR)
      return 0;
    _cleanup_free_ char *path = join(prefix, comp);
    return walk_error(w, errno, "looking up", path ? path : comp);
  }
  bool follow = !(w->flags & HM_GLOB_BENEATH);
  /* "." and ".." (allowed only outside BENEATH) do not count as depth. */
  if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
    _cleanup_free_ char *path = join(prefix, comp);
    if (!path)
      return hm_error_set(w->err, ENOMEM, "pattern '%s': out of memory", w->pattern);
    _cleanup_close_ int sub = open_subdir(w, dfd, comp, path, true);
    if (sub < 0)
      return sub < -1 ? sub : 0;
    return walk_dir(w, sub, path, i + 1, depth);
  }
  return descend(w, dfd, prefix, comp, i + 1, depth, follow);
}

static int list_dir(struct walk *w, int dfd, const char *prefix, DIR **out) {
  int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return walk_error(w, errno, "opening directory", prefix);
  *out = fdopendir(fd);
  if (!*out) {
    int e = errno;
    close(fd);
    return walk_error(w, e, "listing directory", prefix);
  }
  return 0;
}

/* The next entry of d other than "." and "..": 1, 0 at the end, < 0 on error. */
static int next_entry(struct walk *w, DIR *d, const char *prefix, struct dirent **de) {
  for (;;) {
    errno = 0;
    *de = readdir(d);
    if (!*de)
      return errno ? walk_error(w, errno, "reading directory", prefix) : 0;
    if (strcmp((*de)->d_name, ".") != 0 && strcmp((*de)->d_name, "..") != 0)
      return 1;
  }
}

static int walk_entries(struct walk *w, int dfd, const char *prefix, size_t i, unsigned depth) {
  const char *comp = w->comps[i];
  bool globstar = is_globstar(comp), last = i + 1 == w->ncomps;
  bool follow = !(w->flags & HM_GLOB_BENEATH);
  _cleanup_closedir_ DIR *d = NULL;
  int r = list_dir(w, dfd, prefix, &d);
  if (r < 0)
    return r;
  struct dirent *de;
  while ((r = next_entry(w, d, prefix, &de)) > 0) {
    const char *name = de->d_name;
    if (globstar) {
      /* Non-trailing "**" descends into real, non-hidden directories only. */
      unsigned char type;
      if (name[0] == '.' || entry_type(dirfd(d), de, &type) < 0 || type != DT_DIR)
        continue;
      r = descend(w, dirfd(d), prefix, name, i, depth, false);
    } else {
      int m = fnmatch(comp, name, FNM_PERIOD);
      if (m == FNM_NOMATCH)
        continue;
      if (m != 0)
        return hm_error_set(w->err, EINVAL, "pattern '%s': bad component '%s'", w->pattern, comp);
      if (last) {
        r = add_match(w, prefix, name);
      } else {
        unsigned char type;
        if (entry_type(dirfd(d), de, &type) < 0)
          continue;
        if (type != DT_DIR && !(follow && type == DT_LNK))
          continue;
        r = descend(w, dirfd(d), prefix, name, i + 1, depth, follow);
      }
    }
    if (r < 0)
      return r;
  }
  return r;
}

/* Trailing "**": every non-hidden entry below that is not a directory. */
static int walk_all(struct walk *w, int dfd, const char *prefix, unsigned depth) {
  _cleanup_closedir_ DIR *d = NULL;
  int r = list_dir(w, dfd, prefix, &d);
  if (r < 0)
    return r;
  struct dirent *de;
  while ((r = next_entry(w, d, prefix, &de)) > 0) {
    if (de->d_name[0] == '.')
      continue;
    unsigned char type;
    if (entry_type(dirfd(d), de, &type) < 0)
      continue;
    r = type != DT_DIR ? add_match(w, prefix, de->d_name)
                       : descend(w, dirfd(d), prefix, de->d_name, SIZE_MAX, depth, false);
    if (r < 0)
      return r;
  }
  return r;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, size_t i, unsigned depth) {
  const char *comp = w->comps[i];
  if (is_globstar(comp)) {
    if (i + 1 == w->ncomps)
      return walk_all(w, dfd, prefix, depth);
    if (w->memo) {
      char key[32];
      snprintf(key, sizeof key, "%zu:", i);
      _cleanup_free_ char *k = join(key, prefix);
      int added = k ? strset_add(&w->seen, k) : -ENOMEM;
      if (added < 0)
        return hm_error_set(w->err, ENOMEM, "pattern '%s': out of memory", w->pattern);
      if (added == 0)
        return 0;
    }
    /* Zero directories, then one more level of "**". */
    int r = walk_dir(w, dfd, prefix, i + 1, depth);
    if (r < 0)
      return r;
    return walk_entries(w, dfd, prefix, i, depth);
  }
  if (!hm_glob_is_pattern(comp))
    return walk_literal(w, dfd, prefix, i, depth);
  return walk_entries(w, dfd, prefix, i, depth);
}

/* Split pattern into components. BENEATH: refuse absolute and "..", drop "." and empty
 * components. Consecutive "**" collapse into one. */
static int split_pattern(const char *pattern, unsigned flags, struct strvec *comps,
                         hm_error *err) {
  bool beneath = flags & HM_GLOB_BENEATH;
  if (!*pattern)
    return hm_error_set(err, EINVAL, "empty pattern");
  if (beneath && pattern[0] == '/')
    return hm_error_set(err, EINVAL, "pattern '%s' is absolute; it must be relative to the workspace",
                        pattern);
  size_t plen = strlen(pattern);
  if (beneath && pattern[plen - 1] == '/')
    return hm_error_set(err, EINVAL,
                        "pattern '%s' names directories; subjects are files (use '%s**')",
                        pattern, pattern);
  for (const char *p = pattern; *p;) {
    size_t n = strcspn(p, "/");
    if (n > 0) {
      char *c = strndup(p, n);
      if (!c)
        return hm_error_set(err, ENOMEM, "out of memory");
      bool keep = true;
      if (beneath && strcmp(c, "..") == 0) {
        free(c);
        return hm_error_set(err, EINVAL,
                            "pattern '%s' has a '..' component; it must stay inside the workspace",
                            pattern);
      }
      if (beneath && strcmp(c, ".") == 0)
        keep = false;
      if (comps->n > 0 && is_globstar(c) && is_globstar(comps->v[comps->n - 1]))
        keep = false;
      if (!keep)
        free(c);
      else if (strvec_push(comps, c) < 0)
        return hm_error_set(err, ENOMEM, "out of memory");
    }
    p += n;
    while (*p == '/')
      p++;
  }
  if (comps->n == 0)
    return hm_error_set(err, EINVAL, "pattern '%s' names the directory itself, not files", pattern);
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int hm_glob(int dirfd, const char *pattern, unsigned flags, char ***out, size_t *n_out,
            hm_error *err) {
  *out = NULL;
  *n_out = 0;
  struct strvec comps = {0}, matches = {0};
  struct walk w = {.pattern = pattern, .flags = flags, .out = &matches, .err = err};
  _cleanup_close_ int start = -1;
  int r = split_pattern(pattern, flags, &comps, err);
  if (r < 0)
    goto out;
  w.comps = comps.v;
  w.ncomps = comps.n;
  size_t stars = 0;
  for (size_t i = 0; i < comps.n; i++)
    stars += is_globstar(comps.v[i]);
  w.memo = stars > 1;

  bool absolute = pattern[0] == '/';
  start = openat(absolute ? AT_FDCWD : dirfd, absolute ? "/" : ".",
                                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (start < 0) {
    r = hm_error_errno(err, errno, "pattern '%s': opening the directory it starts from", pattern);
    goto out;
  }
  r = walk_dir(&w, start, absolute ? "/" : "", 0, 0);
  if (r < 0)
    goto out;
  if (matches.n > 1) {
    qsort(matches.v, matches.n, sizeof *matches.v, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < matches.n; i++) {
      if (strcmp(matches.v[i], matches.v[k - 1]) == 0)
        free(matches.v[i]);
      else
        matches.v[k++] = matches.v[i];
    }
    matches.n = k;
    matches.v[k] = NULL;
  }
  *out = matches.v;
  *n_out = matches.n;
  memset(&matches, 0, sizeof matches);
  if (!*out) {
    /* An empty, NULL-terminated vector rather than NULL. */
    *out = calloc(1, sizeof **out);
    if (!*out)
      r = hm_error_set(err, ENOMEM, "out of memory");
  }
out:
  strvec_free(&matches);
  strvec_free(&comps);
  strset_free(&w.seen);
  return r;
}
