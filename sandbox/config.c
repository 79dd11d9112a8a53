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
  free(cfg->report_path);
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

/* Make path absolute (against cwd) and lexically normal into `lexical`. */
static int absolute(const char *opt, const char *path, char *lexical, size_t len, hm_error *err) {
  char abs[PATH_MAX];
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
      return hm_error_errno(err, errno, "%s %s: getting the current directory", opt, path);
    if ((size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= sizeof abs)
      return hm_error_set(err, ENAMETOOLONG, "%s %s: path too long", opt, path);
  } else {
    snprintf(abs, sizeof abs, "%s", path);
  }
  if (normalise(abs, lexical, len) < 0)
    return hm_error_set(err, EINVAL, "%s %s: not a usable path", opt, path);
  return 0;
}

/* Replace *path by its canonical form. must_exist: resolve symlinks with realpath (the
 * host's own links such as /var/run are legitimate; what the sandbox later opens is
 * checked again component by component with O_NOFOLLOW); else only lexically. The
 * lexical form is left in `lexical` for check_workspace_symlinks(). */
static int canonicalise(const char *opt, char **path, bool must_exist, char *lexical, size_t len,
                        hm_error *err) {
  int r = absolute(opt, *path, lexical, len, err);
  if (r < 0)
    return r;
  char *c = must_exist ? realpath(lexical, NULL) : strdup(lexical);
  if (!c)
    return must_exist ? hm_error_errno(err, errno, "%s %s", opt, *path) : hm_error_set(err, ENOMEM, "out of memory");
  free(*path);
  *path = c;
  return 0;
}

static bool under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (strcmp(dir, "/") == 0)
    return true;
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The part of a path below the workspace must resolve to itself: a symlink there was
 * planted by a build (the workspace is the build's) and would redirect a bind mount or
 * the report, written as the invoker, to anywhere on the host. */
static int check_workspace_symlinks(const char *opt, const char *lexical, const char *canonical,
                                    const char *ws_lexical, const char *ws, hm_error *err) {
  const char *rest = NULL;
  if (under(lexical, ws_lexical))
    rest = lexical + strlen(ws_lexical);
  else if (under(lexical, ws))
    rest = lexical + strlen(ws);
  if (!rest)
    return 0;
  char expected[PATH_MAX];
  snprintf(expected, sizeof expected, "%s%s", ws, rest);
  if (strcmp(expected, canonical) != 0)
    return hm_error_set(err, ELOOP, "%s %s: resolves through a symlink inside the workspace (to %s); "
                        "the build controls the workspace, so this is refused", opt, lexical, canonical);
  return 0;
}

/* An output file: its directory must exist and is made canonical; the name itself is
 * replaced atomically at write time (never followed). */
static int canonicalise_output(const char *opt, char **path, const char *ws_lexical, const char *ws,
                               hm_error *err) {
  char lexical[PATH_MAX];
  int r = absolute(opt, *path, lexical, sizeof lexical, err);
  if (r < 0)
    return r;
  char *slash = strrchr(lexical, '/');
  const char *name = slash + 1;
  if (!*name)
    return hm_error_set(err, EINVAL, "%s %s: not a file name", opt, *path);
  *slash = '\0';
  const char *dir_lexical = slash == lexical ? "/" : lexical;
  _cleanup_free_ char *dir = realpath(dir_lexical, NULL);
  if (!dir)
    return hm_error_errno(err, errno, "%s %s: its directory", opt, *path);
  if ((r = check_workspace_symlinks(opt, dir_lexical, dir, ws_lexical, ws, err)) < 0)
    return r;
  char *res;
  if (asprintf(&res, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  free(*path);
  *path = res;
  return 0;
}

int hm_sandbox_config_output(const struct hm_sandbox_config *cfg, const char *opt, const char *path,
                             char **out, hm_error *err) {
  char *p = strdup(path);
  if (!p)
    return hm_error_set(err, ENOMEM, "out of memory");
  int r = canonicalise_output(opt, &p, cfg->workspace, cfg->workspace, err);
  if (r < 0) {
    free(p);
    return r;
  }
  *out = p;
  return 0;
}

int hm_sandbox_config_finish(struct hm_sandbox_config *cfg, hm_error *err) {
  if (!cfg->argv || !cfg->argv[0])
    return hm_error_set(err, EINVAL, "no command given (usage: hermetic run [OPTIONS] -- CMD [ARG...])");
  if (!cfg->workspace) {
    cfg->workspace = strdup(".");
    if (!cfg->workspace)
      return hm_error_set(err, ENOMEM, "out of memory");
  }
  char ws_lexical[PATH_MAX], lexical[PATH_MAX];
  int r = canonicalise("--workspace", &cfg->workspace, true, ws_lexical, sizeof ws_lexical, err);
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
    r = canonicalise("--rootfs", &cfg->rootfs, true, lexical, sizeof lexical, err);
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
    r = canonicalise(bind_option(b->kind), &b->path, must_exist, lexical, sizeof lexical, err);
    if (r == 0)
      r = check_workspace_symlinks(bind_option(b->kind), lexical, b->path, ws_lexical, cfg->workspace, err);
    if (r < 0)
      return r;
    if (strcmp(b->path, "/") == 0)
      return hm_error_set(err, EINVAL, "%s /: refusing to replace the whole root", bind_option(b->kind));
    if (b->kind == HM_BIND_RW && (under(b->path, "/proc") || under(b->path, "/sys") || under(b->path, "/dev")))
      return hm_error_set(err, EINVAL, "--rw %s: refusing a read-write bind of kernel interfaces", b->path);
  }
  if (cfg->report_path && (r = canonicalise_output("--report", &cfg->report_path, ws_lexical,
                                                   cfg->workspace, err)) < 0)
    return r;
  if (cfg->status_fd == 0)
    return hm_error_set(err, EINVAL, "--status-fd %d: must not be stdin", cfg->status_fd);
  return 0;
}
