/* The sandbox configuration: filled by option parsing, then canonicalised once. */
#include "internal.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>

void hm_sandbox_config_init(struct hm_sandbox_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->seccomp = HM_SECCOMP_DEFAULT;
  cfg->status_fd = -1;
}

void hm_sandbox_config_free(struct hm_sandbox_config *cfg) {
  free(cfg->workspace);
  free(cfg->rootfs);
  for (size_t i = 0; i < cfg->n_binds; i++)
    free(cfg->binds[i].path);
  free(cfg->binds);
  hm_strv_free(cfg->env_set);
  hm_strv_free(cfg->env_pass);
  memset(cfg, 0, sizeof *cfg);
  cfg->status_fd = -1;
}

static const char *bind_option(enum hm_bind_kind k) {
  switch (k) {
  case HM_BIND_RO: return "--ro";
  case HM_BIND_RW: return "--rw";
  case HM_BIND_TMPFS: return "--tmpfs";
  case HM_BIND_HIDE: return "--hide";
  }
  return "?";
}

int hm_sandbox_config_add_bind(struct hm_sandbox_config *cfg, enum hm_bind_kind kind,
                               const char *path, hm_error *err) {
  if (!path || !*path)
    return hm_error_set(err, EINVAL, "%s: empty path", bind_option(kind));
  struct hm_bind *nb = realloc(cfg->binds, (cfg->n_binds + 1) * sizeof *nb);
  if (!nb)
    return hm_error_set(err, ENOMEM, "out of memory");
  cfg->binds = nb;
  char *copy = strdup(path);
  if (!copy)
    return hm_error_set(err, ENOMEM, "out of memory");
  cfg->binds[cfg->n_binds++] = (struct hm_bind){.kind = kind, .path = copy};
  return 0;
}

/* Lexically normalise an absolute path: collapse //, /./ and resolve /../ textually. */
static int normalise(const char *in, char *out, size_t len) {
  if (in[0] != '/' || strlen(in) >= len)
    return -EINVAL;
  size_t o = 0;
  const char *p = in;
  out[o++] = '/';
  while (*p) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    size_t n = strcspn(p, "/");
    if (n == 1 && p[0] == '.') {
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (o > 1) {
        o--;
        while (o > 1 && out[o - 1] != '/')
          o--;
        if (o > 1)
          o--;
      }
    } else {
      if (o > 1)
        out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p += n;
  }
  out[o] = '\0';
  return 0;
}

/* Make path absolute (against cwd) and canonical. must_exist: resolve symlinks with
 * realpath (the host's own links such as /var/run are legitimate here; what the sandbox
 * later opens is checked again component by component with O_NOFOLLOW). */
static int canonicalise(const char *opt, char **path, bool must_exist, hm_error *err) {
  char abs[PATH_MAX], norm[PATH_MAX];
  if ((*path)[0] != '/') {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
      return hm_error_errno(err, errno, "%s %s: getting the current directory", opt, *path);
    if ((size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, *path) >= sizeof abs)
      return hm_error_set(err, ENAMETOOLONG, "%s %s: path too long", opt, *path);
  } else {
    snprintf(abs, sizeof abs, "%s", *path);
  }
  if (must_exist) {
    char *r = realpath(abs, NULL);
    if (!r)
      return hm_error_errno(err, errno, "%s %s", opt, *path);
    free(*path);
    *path = r;
    return 0;
  }
  if (normalise(abs, norm, sizeof norm) < 0)
    return hm_error_set(err, EINVAL, "%s %s: not a usable path", opt, *path);
  char *copy = strdup(norm);
  if (!copy)
    return hm_error_set(err, ENOMEM, "out of memory");
  free(*path);
  *path = copy;
  return 0;
}

static bool under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int hm_sandbox_config_finish(struct hm_sandbox_config *cfg, hm_error *err) {
  if (!cfg->argv || !cfg->argv[0])
    return hm_error_set(err, EINVAL, "no command given (usage: hermetic run [OPTIONS] -- CMD [ARG...])");
  if (!cfg->workspace) {
    cfg->workspace = strdup(".");
    if (!cfg->workspace)
      return hm_error_set(err, ENOMEM, "out of memory");
  }
  int r = canonicalise("--workspace", &cfg->workspace, true, err);
  if (r < 0)
    return r;
  struct stat st;
  if (stat(cfg->workspace, &st) < 0 || !S_ISDIR(st.st_mode))
    return hm_error_set(err, ENOTDIR, "--workspace %s: not a directory", cfg->workspace);
  /* The workspace is writable by the build: refuse places where that means the host. */
  static const char *const refused[] = {"/proc", "/sys", "/dev"};
  if (strcmp(cfg->workspace, "/") == 0)
    return hm_error_set(err, EINVAL, "--workspace /: refusing to let the build write the host's root");
  for (size_t i = 0; i < HM_ARRAY_SIZE(refused); i++)
    if (under(cfg->workspace, refused[i]))
      return hm_error_set(err, EINVAL, "--workspace %s: refusing a workspace under %s", cfg->workspace,
                          refused[i]);
  if (cfg->rootfs) {
    r = canonicalise("--rootfs", &cfg->rootfs, true, err);
    if (r < 0)
      return r;
    if (stat(cfg->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
      return hm_error_set(err, ENOTDIR, "--rootfs %s: not a directory", cfg->rootfs);
    if (strcmp(cfg->rootfs, "/") == 0) {
      free(cfg->rootfs);
      cfg->rootfs = NULL;
    }
  }
  for (size_t i = 0; i < cfg->n_binds; i++) {
    struct hm_bind *b = &cfg->binds[i];
    bool must_exist = b->kind == HM_BIND_RO || b->kind == HM_BIND_RW || b->kind == HM_BIND_HIDE;
    r = canonicalise(bind_option(b->kind), &b->path, must_exist, err);
    if (r < 0)
      return r;
    if (strcmp(b->path, "/") == 0)
      return hm_error_set(err, EINVAL, "%s /: refusing to replace the whole root", bind_option(b->kind));
    if (b->kind == HM_BIND_RW && (under(b->path, "/proc") || under(b->path, "/sys") || under(b->path, "/dev")))
      return hm_error_set(err, EINVAL, "--rw %s: refusing a read-write bind of kernel interfaces", b->path);
  }
  if (cfg->status_fd == 0)
    return hm_error_set(err, EINVAL, "--status-fd %d: must not be stdin", cfg->status_fd);
  return 0;
}
