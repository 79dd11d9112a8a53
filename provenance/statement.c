/* The in-toto Statement v1 + SLSA v1 predicate of a hermetic build (docs/buildtype.md),
 * and the source it was built from. */
#include "statement.h"

#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "hm-fsio.h"

static const char *env_get(char *const *envp, const char *name) {
  size_t n = strlen(name);
  for (; envp && *envp; envp++)
    if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
      return *envp + n + 1;
  return NULL;
}

static bool env_nonempty(char *const *envp, const char *name) {
  const char *v = env_get(envp, name);
  return v && *v;
}

void hm_rfc3339(const struct timespec *ts, char *buf, size_t len) {
  struct tm tm;
  time_t t = ts->tv_sec;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void hm_source_free(struct hm_source *src) {
  free(src->uri);
  free(src->commit);
  src->uri = src->commit = NULL;
}

/* ---- reading a checkout's .git without git ---- */

#define GIT_FILE_MAX (1u << 20)

/* Read a small file beneath dirfd (no symlink followed) into a NUL-terminated buffer. */
static int read_beneath(int dirfd, const char *rel, char **out, hm_error *err) {
  _cleanup_close_ int fd = hm_open_beneath(dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, err);
  if (fd < 0)
    return fd;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hm_error_errno(err, errno, "reading .git/%s", rel);
  if (!S_ISREG(st.st_mode) || st.st_size > GIT_FILE_MAX)
    return hm_error_set(err, EINVAL, ".git/%s: not a small regular file", rel);
  size_t len;
  return hm_read_fd(fd, out, &len, err);
}

/* A commit id at the start of s: 40 (SHA-1) or 64 (SHA-256) lowercase hex, then end/space. */
static char *commit_at(const char *s) {
  for (size_t n = 64; n >= 40; n -= 24)
    if (strlen(s) >= n && hm_is_lower_hex(s, n) && (s[n] == '\0' || isspace((unsigned char)s[n])))
      return strndup(s, n);
  return NULL;
}

/* refs/... names we follow: conservative (git check-ref-format is stricter still). */
static bool ref_name_ok(const char *ref) {
  if (strncmp(ref, "refs/", 5) != 0 || strstr(ref, "..") || strstr(ref, "//"))
    return false;
  for (const char *p = ref; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("._/-+", *p))
      return false;
  return ref[strlen(ref) - 1] != '/';
}

static char *resolve_ref(int gitfd, const char *ref) {
  _cleanup_free_ char *loose = NULL;
  hm_error ignored;
  if (read_beneath(gitfd, ref, &loose, &ignored) == 0)
    return commit_at(loose);
  _cleanup_free_ char *packed = NULL;
  if (read_beneath(gitfd, "packed-refs", &packed, &ignored) < 0)
    return NULL;
  size_t rl = strlen(ref);
  for (char *line = strtok(packed, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#' || line[0] == '^')
      continue;
    char *sp = strchr(line, ' ');
    if (sp && strncmp(sp + 1, ref, rl) == 0 && sp[1 + rl] == '\0')
      return commit_at(line);
  }
  return NULL;
}

/* The url of [remote "origin"] in .git/config; a minimal reader of git's INI syntax. */
static char *origin_url(int gitfd) {
  _cleanup_free_ char *config = NULL;
  hm_error ignored;
  if (read_beneath(gitfd, "config", &config, &ignored) < 0)
    return NULL;
  bool in_origin = false;
  for (char *line = strtok(config, "\n"); line; line = strtok(NULL, "\n")) {
    while (isspace((unsigned char)*line))
      line++;
    if (*line == '[') {
      in_origin = strncmp(line, "[remote \"origin\"]", 17) == 0;
      continue;
    }
    if (!in_origin || strncasecmp(line, "url", 3) != 0)
      continue;
    char *p = line + 3;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p != '=')
      continue;
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    char *end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1]))
      *--end = '\0';
    return *p ? strdup(p) : NULL;
  }
  return NULL;
}

/* A remote URL as an SPDX-style "git+<scheme>://host/path" with any user info removed
 * (a URL may carry a token: "https://x-access-token:TOKEN@github.com/o/r"). */
static char *git_uri(const char *url) {
  const char *scheme_end = strstr(url, "://");
  _cleanup_free_ char *scheme = NULL;
  const char *rest;
  if (scheme_end) {
    scheme = strndup(url, (size_t)(scheme_end - url));
    rest = scheme_end + 3;
  } else if (url[0] == '/') {
    scheme = strdup("file");
    rest = url;
  } else {
    /* scp-like "user@host:path" */
    const char *colon = strchr(url, ':');
    if (!colon || strchr(url, '/') < colon)
      return NULL;
    const char *at = memchr(url, '@', (size_t)(colon - url));
    const char *host = at ? at + 1 : url;
    char *out;
    if (asprintf(&out, "git+ssh://%.*s/%s", (int)(colon - host), host, colon + 1) < 0)
      return NULL;
    return out;
  }
  if (!scheme)
    return NULL;
  const char *path = strchr(rest, '/');
  const char *at = memchr(rest, '@', path ? (size_t)(path - rest) : strlen(rest));
  if (at)
    rest = at + 1;
  char *out;
  if (asprintf(&out, "%s%s://%s", strncmp(scheme, "git+", 4) == 0 ? "" : "git+", scheme, rest) < 0)
    return NULL;
  return out;
}

static int source_from_git(const char *workspace, struct hm_source *src, hm_error *err) {
  _cleanup_close_ int ws = open(workspace, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ws < 0)
    return hm_error_errno(err, errno, "opening the workspace %s", workspace);
  hm_error ignored;
  /* A worktree or submodule (.git is a file) is not followed: the source is unknown. */
  _cleanup_close_ int git = hm_open_beneath(ws, ".git", O_PATH | O_DIRECTORY, &ignored);
  if (git < 0)
    return 0;
  _cleanup_free_ char *head = NULL;
  if (read_beneath(git, "HEAD", &head, &ignored) < 0)
    return 0;
  _cleanup_free_ char *ref = NULL;
  if (strncmp(head, "ref: ", 5) == 0) {
    char *r = head + 5;
    r[strcspn(r, "\r\n")] = '\0';
    if (ref_name_ok(r)) {
      ref = strdup(r);
      src->commit = resolve_ref(git, r);
    }
  } else {
    src->commit = commit_at(head);
  }
  _cleanup_free_ char *url = origin_url(git);
  _cleanup_free_ char *base = NULL;
  if (url)
    base = git_uri(url);
  if (!base && asprintf(&base, "git+file://%s", workspace) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  if (ref ? asprintf(&src->uri, "%s@%s", base, ref) < 0 : !(src->uri = strdup(base)))
    return hm_error_set(err, ENOMEM, "out of memory");
  return 0;
}

int hm_source_detect(const char *workspace, char *const *envp, struct hm_source *src, hm_error *err) {
  src->uri = src->commit = NULL;
  if (env_nonempty(envp, "GITHUB_ACTIONS") && env_nonempty(envp, "GITHUB_REPOSITORY")) {
    const char *server = env_get(envp, "GITHUB_SERVER_URL");
    const char *ref = env_get(envp, "GITHUB_REF");
    const char *sha = env_get(envp, "GITHUB_SHA");
    if (asprintf(&src->uri, "git+%s/%s%s%s", server && *server ? server : "https://github.com",
                 env_get(envp, "GITHUB_REPOSITORY"), ref && *ref ? "@" : "", ref ? ref : "") < 0) {
      src->uri = NULL;
      return hm_error_set(err, ENOMEM, "out of memory");
    }
    if (sha && (src->commit = commit_at(sha)) == NULL && *sha)
      return hm_error_set(err, EINVAL, "GITHUB_SHA '%s' is not a commit id", sha);
    return 0;
  }
  return source_from_git(workspace, src, err);
}

/* ---- the Statement ---- */

static json_object *str_array(char *const *v) {
  json_object *a = json_object_new_array();
  for (; v && *v; v++)
    json_object_array_add(a, json_object_new_string(*v));
  return a;
}

static json_object *digest1(const char *algo, const char *hex) {
  json_object *d = json_object_new_object();
  json_object_object_add(d, algo, json_object_new_string(hex));
  return d;
}

static void add_str(json_object *o, const char *key, const char *v) {
  if (v && *v)
    json_object_object_add(o, key, json_object_new_string(v));
}

static void uuid4(char out[37]) {
  unsigned char b[16];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (size_t i = 0; i < sizeof b; i++)
      b[i] = (unsigned char)((uint64_t)ts.tv_nsec >> (i % 8 * 8) ^ (uint64_t)getpid() >> (i % 4 * 8));
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* externalParameters.workflow and internalParameters.github as GitHub's own workflow
 * buildType (https://actions.github.io/buildtypes/workflow/v1) fills them. */
static void github_parameters(char *const *envp, json_object *external, json_object *internal) {
  const char *wref = env_get(envp, "GITHUB_WORKFLOW_REF"); /* owner/repo/.github/workflows/f.yml@ref */
  const char *repo = env_get(envp, "GITHUB_REPOSITORY");
  const char *server = env_get(envp, "GITHUB_SERVER_URL");
  json_object *wf = json_object_new_object();
  if (wref && repo) {
    size_t rl = strlen(repo);
    const char *at = strrchr(wref, '@');
    if (strncmp(wref, repo, rl) == 0 && wref[rl] == '/' && at && at > wref + rl) {
      _cleanup_free_ char *path = strndup(wref + rl + 1, (size_t)(at - wref - rl - 1));
      add_str(wf, "ref", at + 1);
      _cleanup_free_ char *url = NULL;
      if (asprintf(&url, "%s/%s", server && *server ? server : "https://github.com", repo) >= 0)
        add_str(wf, "repository", url);
      add_str(wf, "path", path);
    }
  }
  json_object_object_add(external, "workflow", wf);
  json_object *gh = json_object_new_object();
  add_str(gh, "event_name", env_get(envp, "GITHUB_EVENT_NAME"));
  add_str(gh, "repository_id", env_get(envp, "GITHUB_REPOSITORY_ID"));
  add_str(gh, "repository_owner_id", env_get(envp, "GITHUB_REPOSITORY_OWNER_ID"));
  add_str(gh, "runner_environment", env_get(envp, "RUNNER_ENVIRONMENT"));
  json_object_object_add(internal, "github", gh);
}

static json_object *build_definition(const struct hm_prov_params *p, bool on_github) {
  json_object *bd = json_object_new_object();
  json_object_object_add(bd, "buildType", json_object_new_string(HM_BUILDTYPE_SANDBOXED_V1));

  json_object *ext = json_object_new_object();
  json_object_object_add(ext, "command", str_array(p->command));
  json_object_object_add(ext, "subjects", str_array(p->subject_patterns));
  if (p->source && p->source->uri) {
    json_object *s = json_object_new_object();
    add_str(s, "uri", p->source->uri);
    if (p->source->commit)
      json_object_object_add(s, "digest", digest1("gitCommit", p->source->commit));
    json_object_object_add(ext, "source", s);
  }
  if (p->snapshot_sha256) {
    json_object *snap = json_object_new_object();
    json_object_object_add(snap, "digest", digest1("sha256", p->snapshot_sha256));
    json_object_object_add(snap, "entries", json_object_new_uint64(p->snapshot_entries));
    json_object_object_add(ext, "snapshot", snap);
  }
  json_object *env = json_object_new_object();
  for (char *const *e = p->env_set; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    _cleanup_free_ char *name = strndup(*e, eq ? (size_t)(eq - *e) : strlen(*e));
    json_object_object_add(env, name, json_object_new_string(eq ? eq + 1 : ""));
  }
  json_object_object_add(ext, "env", env);
  json_object *pass = json_object_new_array();
  for (char *const *e = p->env_pass; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    _cleanup_free_ char *name = strndup(*e, eq ? (size_t)(eq - *e) : strlen(*e));
    json_object_array_add(pass, json_object_new_string(name));
  }
  json_object_object_add(ext, "passEnv", pass);

  json_object *internal = json_object_new_object();
  json_object *iso = NULL;
  if (p->isolation && json_object_deep_copy(p->isolation, &iso, NULL) == 0) {
    /* Setup timings differ on every run and claim nothing. */
    json_object_object_del(iso, "timings_ms");
    json_object_object_add(internal, "isolation", iso);
  }
  if (on_github)
    github_parameters(p->envp, ext, internal);
  json_object_object_add(bd, "externalParameters", ext);
  json_object_object_add(bd, "internalParameters", internal);

  json_object *deps = json_object_new_array();
  if (p->source && p->source->uri) {
    json_object *d = json_object_new_object();
    add_str(d, "uri", p->source->uri);
    if (p->source->commit)
      json_object_object_add(d, "digest", digest1("gitCommit", p->source->commit));
    json_object_array_add(deps, d);
  }
  size_t n = p->extra_dependencies ? json_object_array_length(p->extra_dependencies) : 0;
  for (size_t i = 0; i < n; i++)
    json_object_array_add(deps, json_object_get(json_object_array_get_idx(p->extra_dependencies, i)));
  json_object_object_add(bd, "resolvedDependencies", deps);
  return bd;
}

static int run_details(const struct hm_prov_params *p, bool on_github, json_object **out, hm_error *err) {
  json_object *rd = json_object_new_object();
  json_object *builder = json_object_new_object();
  _cleanup_free_ char *gh_id = NULL;
  const char *id = p->builder_id;
  if (!id && on_github && env_nonempty(p->envp, "GITHUB_WORKFLOW_REF")) {
    const char *server = env_get(p->envp, "GITHUB_SERVER_URL");
    if (asprintf(&gh_id, "%s/%s", server && *server ? server : "https://github.com",
                 env_get(p->envp, "GITHUB_WORKFLOW_REF")) < 0) {
      json_object_put(rd);
      json_object_put(builder);
      return hm_error_set(err, ENOMEM, "out of memory");
    }
    id = gh_id;
  }
  json_object_object_add(builder, "id", json_object_new_string(id ? id : HM_BUILDER_ID_LOCAL));
  json_object *version = json_object_new_object();
  add_str(version, "hermetic", p->version);
  json_object_object_add(builder, "version", version);
  json_object *bdeps = json_object_new_array();
  if (p->hermetic_sha256) {
    json_object *d = json_object_new_object();
    add_str(d, "name", "hermetic");
    add_str(d, "uri", p->hermetic_uri);
    json_object_object_add(d, "digest", digest1("sha256", p->hermetic_sha256));
    json_object_array_add(bdeps, d);
  }
  json_object_object_add(builder, "builderDependencies", bdeps);
  json_object_object_add(rd, "builder", builder);

  json_object *meta = json_object_new_object();
  char buf[64];
  if (on_github && env_nonempty(p->envp, "GITHUB_RUN_ID") && env_nonempty(p->envp, "GITHUB_REPOSITORY")) {
    const char *server = env_get(p->envp, "GITHUB_SERVER_URL");
    const char *attempt = env_get(p->envp, "GITHUB_RUN_ATTEMPT");
    _cleanup_free_ char *inv = NULL;
    if (asprintf(&inv, "%s/%s/actions/runs/%s/attempts/%s", server && *server ? server : "https://github.com",
                 env_get(p->envp, "GITHUB_REPOSITORY"), env_get(p->envp, "GITHUB_RUN_ID"),
                 attempt && *attempt ? attempt : "1") >= 0)
      add_str(meta, "invocationId", inv);
  } else {
    char uuid[37];
    uuid4(uuid);
    add_str(meta, "invocationId", uuid);
  }
  hm_rfc3339(&p->started, buf, sizeof buf);
  add_str(meta, "startedOn", buf);
  hm_rfc3339(&p->finished, buf, sizeof buf);
  add_str(meta, "finishedOn", buf);
  json_object_object_add(rd, "metadata", meta);

  json_object *by = json_object_new_array();
  if (p->log_sha256) {
    json_object *l = json_object_new_object();
    add_str(l, "name", p->log_name ? p->log_name : "build.log");
    json_object_object_add(l, "digest", digest1("sha256", p->log_sha256));
    add_str(l, "mediaType", "text/plain");
    json_object_array_add(by, l);
  }
  json_object_object_add(rd, "byproducts", by);
  *out = rd;
  return 0;
}

int hm_statement_build(const struct hm_prov_params *p, json_object **out, hm_error *err) {
  bool on_github = env_nonempty(p->envp, "GITHUB_ACTIONS");
  json_object *st = json_object_new_object();
  if (!st)
    return hm_error_set(err, ENOMEM, "out of memory");
  json_object_object_add(st, "_type", json_object_new_string(HM_INTOTO_STATEMENT_V1));
  json_object *subjects = json_object_new_array_ext((int)p->n_subjects);
  for (size_t i = 0; i < p->n_subjects; i++) {
    json_object *s = json_object_new_object();
    json_object_object_add(s, "name", json_object_new_string(p->subjects[i].name));
    json_object *d = digest1("sha256", p->subjects[i].sha256);
    if (p->subjects[i].sha512)
      json_object_object_add(d, "sha512", json_object_new_string(p->subjects[i].sha512));
    json_object_object_add(s, "digest", d);
    json_object_array_add(subjects, s);
  }
  json_object_object_add(st, "subject", subjects);
  json_object_object_add(st, "predicateType", json_object_new_string(HM_SLSA_PROVENANCE_V1));
  json_object *pred = json_object_new_object();
  json_object_object_add(pred, "buildDefinition", build_definition(p, on_github));
  json_object *rd = NULL;
  int r = run_details(p, on_github, &rd, err);
  if (r < 0) {
    json_object_put(pred);
    json_object_put(st);
    return r;
  }
  json_object_object_add(pred, "runDetails", rd);
  json_object_object_add(st, "predicate", pred);
  *out = st;
  return 0;
}
