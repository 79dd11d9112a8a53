/* hermetic build [SANDBOX] [PROV] -- CMD [ARG...]: run CMD as `hermetic run` does; when it
 * succeeds, digest the subjects, check the pins and write the provenance. Everything the
 * build could tamper with (pins, the signing key, the source's commit) is read before
 * the build starts; everything it produced is read after every process of it is dead. */
#include "cli.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "hm-fsio.h"
#include "provenance.h"
#include "snapshot.h"

extern char **environ;

static const char build_usage[] =
    "Usage: hermetic build [OPTIONS] --subject GLOB... -- CMD [ARG...]\n"
    "Run CMD exactly as 'hermetic run' does. When it exits 0, digest the files matching\n"
    "each --subject, check them against --expect, and write in-toto SLSA v1 provenance\n"
    "(a DSSE envelope, signed with --sign-key if given) with the isolation actually\n"
    "enforced. The build's stdout and stderr go to the console and to NAME.log.\n\n" HM_SANDBOX_OPTS_HELP
    "\nProvenance options:\n"
    "  --subject GLOB        a build output, relative to the workspace (repeatable; at least\n"
    "                        one). *, ?, [...] and ** (any depth); each must match a regular\n"
    "                        file inside the workspace\n"
    "  --expect FILE         sha256sum-format pins: fail (exit 1, no provenance) unless every\n"
    "                        subject matches its pin; read before the build starts\n"
    "  --sha512              also record each subject's sha512\n"
    "  --provenance FILE     the envelope, one JSON line (default: hermetic.intoto.jsonl);\n"
    "                        beside it NAME.statement.json (the payload's exact bytes),\n"
    "                        NAME.predicate.json, NAME.sha256 and NAME.log, where NAME is\n"
    "                        FILE without .intoto.jsonl; an earlier provenance there is\n"
    "                        removed before the build starts\n"
    "  --sign-key KEY.pem    sign the envelope (ECDSA P-256/P-384 or Ed25519); the key is\n"
    "                        read before the build and hidden from it\n"
    "  --builder-id URI      runDetails.builder.id (default: the GitHub workflow on GitHub\n"
    "                        Actions, else " HM_BUILDER_ID_LOCAL ")\n"
    "  --source-uri URI      the source, e.g. git+https://github.com/o/r@refs/heads/main\n"
    "  --source-digest gitCommit:HEX\n"
    "                        its commit (default for both: from GITHUB_* on GitHub Actions,\n"
    "                        else from the workspace's .git, read without running git)\n"
    "  -h, --help            show this help\n\n"
    "Exit status: CMD's own when it fails (no provenance is written); 1 when a subject\n"
    "is missing, unusable or does not match its pin; 124 on --timeout; 125 hermetic\n"
    "failed (bad option, sandbox setup, writing the provenance); 126/127 as for run.\n";

enum {
  OPT_SUBJECT = HM_OPT_SANDBOX_LAST + 1,
  OPT_EXPECT,
  OPT_SHA512,
  OPT_PROVENANCE,
  OPT_SIGN_KEY,
  OPT_BUILDER_ID,
  OPT_SOURCE_URI,
  OPT_SOURCE_DIGEST,
};

struct build_opts {
  char **subjects;
  const char *expect;
  bool sha512;
  const char *provenance;
  const char *sign_key;
  const char *builder_id;
  const char *source_uri;
  const char *source_commit;
};

/* Output paths, all canonical. */
struct outputs {
  char *provenance, *statement, *predicate, *sha256, *log;
  const char *log_name; /* basename of log */
};

static void outputs_free(struct outputs *o) {
  free(o->provenance);
  free(o->statement);
  free(o->predicate);
  free(o->sha256);
  free(o->log);
}

static int derive_outputs(const struct hm_sandbox_config *cfg, const char *provenance, struct outputs *o,
                          hm_error *err) {
  int r = hm_sandbox_config_output(cfg, "--provenance", provenance, &o->provenance, err);
  if (r < 0)
    return r;
  size_t n = strlen(o->provenance);
  static const char suffix[] = ".intoto.jsonl";
  size_t sl = sizeof suffix - 1;
  int stem = (int)(n > sl && strcmp(o->provenance + n - sl, suffix) == 0 ? n - sl : n);
  if (asprintf(&o->statement, "%.*s.statement.json", stem, o->provenance) < 0 ||
      asprintf(&o->predicate, "%.*s.predicate.json", stem, o->provenance) < 0 ||
      asprintf(&o->sha256, "%.*s.sha256", stem, o->provenance) < 0 ||
      asprintf(&o->log, "%.*s.log", stem, o->provenance) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  o->log_name = strrchr(o->log, '/') + 1;
  return 0;
}

static bool path_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return strcmp(dir, "/") == 0 || (strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

/* Would the build see this host path? (The workspace and --ro/--rw binds; the host's
 * root, read-only, except the directories the sandbox replaces with an empty tmpfs.) */
static bool visible_in_sandbox(const struct hm_sandbox_config *cfg, const char *path) {
  if (path_under(path, cfg->workspace))
    return true;
  for (size_t i = 0; i < cfg->n_binds; i++)
    if ((cfg->binds[i].kind == HM_BIND_RO || cfg->binds[i].kind == HM_BIND_RW) &&
        path_under(path, cfg->binds[i].path))
      return true;
  if (cfg->rootfs)
    return false;
  static const char *const private_dirs[] = {"/home", "/root", "/run", "/tmp", "/var/tmp",
                                             "/mnt", "/media", "/dev/shm", "/proc", "/sys", "/dev"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(private_dirs); i++)
    if (path_under(path, private_dirs[i]))
      return false;
  return true;
}

/* sha256 of the running binary, for builderDependencies. */
static int self_digest(char **uri, char hex[65], hm_error *err) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0)
    return hm_error_errno(err, errno, "reading /proc/self/exe");
  exe[n] = '\0';
  if (asprintf(uri, "file://%s", exe) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  struct hm_digest_job job = {.path = "/proc/self/exe", .fd = -1};
  int r = hm_digest_files(AT_FDCWD, &job, 1, HM_DIGEST_SHA256, 0, err);
  if (r < 0)
    return hm_error_wrap(err, "hashing the hermetic binary");
  if (job.error) {
    r = hm_error_set(err, job.error, "hashing the hermetic binary %s: %s", exe,
                     job.message ? job.message : strerror(job.error));
    hm_digest_jobs_clear(&job, 1);
    return r;
  }
  hm_hex(job.sha256, HM_SHA256_LEN, hex);
  return 0;
}

static int parse_source_digest(const char *arg, const char **commit, hm_error *err) {
  static const char prefix[] = "gitCommit:";
  if (strncmp(arg, prefix, sizeof prefix - 1) != 0)
    return hm_error_set(err, EINVAL, "--source-digest '%s': expected gitCommit:HEX", arg);
  const char *hex = arg + sizeof prefix - 1;
  size_t n = strlen(hex);
  if (n != 40 && n != 64)
    return hm_error_set(err, EINVAL, "--source-digest '%s': expected 40 or 64 hex digits", arg);
  if (!hm_is_lower_hex(hex, n))
    return hm_error_set(err, EINVAL, "--source-digest '%s': expected lowercase hex digits", arg);
  *commit = hex;
  return 0;
}

static int build_option(void *ctx, int c, const char *arg, hm_error *err) {
  struct build_opts *o = ctx;
  switch (c) {
  case OPT_SUBJECT:
    if (!*arg)
      return hm_error_set(err, EINVAL, "--subject: empty pattern");
    return hm_strv_push(&o->subjects, arg) < 0 ? hm_error_set(err, ENOMEM, "out of memory") : 0;
  case OPT_EXPECT: o->expect = arg; return 0;
  case OPT_SHA512: o->sha512 = true; return 0;
  case OPT_PROVENANCE:
    if (!*arg)
      return hm_error_set(err, EINVAL, "--provenance: empty path");
    o->provenance = arg;
    return 0;
  case OPT_SIGN_KEY: o->sign_key = arg; return 0;
  case OPT_BUILDER_ID:
    if (!strstr(arg, ":"))
      return hm_error_set(err, EINVAL, "--builder-id '%s': expected a URI", arg);
    o->builder_id = arg;
    return 0;
  case OPT_SOURCE_URI:
    if (!strstr(arg, ":"))
      return hm_error_set(err, EINVAL, "--source-uri '%s': expected a URI", arg);
    o->source_uri = arg;
    return 0;
  case OPT_SOURCE_DIGEST: return parse_source_digest(arg, &o->source_commit, err);
  }
  return hm_error_set(err, EINVAL, "unknown option");
}

/* What is read before the build starts. */
struct pre_build {
  struct hm_key *key;
  struct hm_pin_list pins;
  bool have_pins;
  struct hm_source source;
  char *self_uri;
  char self_sha256[65];
  struct hm_cli_snapshot snap; /* --snapshot: its manifest, read before the build */
  json_object *snap_deps;      /* one resolvedDependency per snapshot entry */
};

static void pre_build_free(struct pre_build *p) {
  hm_key_free(p->key);
  hm_pin_list_free(&p->pins);
  hm_source_free(&p->source);
  free(p->self_uri);
  hm_cli_snapshot_free(&p->snap);
  json_object_put(p->snap_deps);
}

static int prepare(struct hm_sandbox_config *cfg, const struct build_opts *o, struct pre_build *pre,
                   hm_error *err) {
  int r;
  if (o->expect) {
    if ((r = hm_pins_load(o->expect, &pre->pins, err)) < 0)
      return hm_error_wrap(err, "--expect");
    pre->have_pins = true;
  }
  if (o->sign_key) {
    if ((r = hm_key_load_private(o->sign_key, &pre->key, err)) < 0)
      return hm_error_wrap(err, "--sign-key");
    /* The build must not read the key: cover it when the sandbox would show it. */
    _cleanup_free_ char *key_path = realpath(o->sign_key, NULL);
    if (!key_path)
      return hm_error_errno(err, errno, "--sign-key %s", o->sign_key);
    if (visible_in_sandbox(cfg, key_path)) {
      if ((r = hm_sandbox_config_add_bind(cfg, HM_BIND_HIDE, key_path, err)) < 0 ||
          (r = hm_sandbox_config_finish(cfg, err)) < 0)
        return hm_error_wrap(err, "hiding --sign-key %s from the build", o->sign_key);
    }
  }
  if (pre->snap.manifest && (r = hm_snap_manifest_dependencies(pre->snap.manifest, &pre->snap_deps, err)) < 0)
    return hm_error_wrap(err, "--snapshot %s", pre->snap.dir);
  if (o->source_uri) {
    if (!(pre->source.uri = strdup(o->source_uri)) ||
        (o->source_commit && !(pre->source.commit = strdup(o->source_commit))))
      return hm_error_set(err, ENOMEM, "out of memory");
  } else if ((r = hm_source_detect(cfg->workspace, environ, &pre->source, err)) < 0) {
    return r;
  } else if (o->source_commit) {
    free(pre->source.commit);
    if (!(pre->source.commit = strdup(o->source_commit)))
      return hm_error_set(err, ENOMEM, "out of memory");
  }
  return self_digest(&pre->self_uri, pre->self_sha256, err);
}

static char *json_text(json_object *o, int flags, size_t *len) {
  size_t n;
  const char *t = json_object_to_json_string_length(o, flags | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
  char *copy = t ? strndup(t, n) : NULL;
  if (len)
    *len = n;
  return copy;
}

/* The statement, its envelope and the companions, written provenance last: once the
 * provenance exists, everything beside it is complete. */
static int write_provenance(const struct outputs *out, json_object *statement, const struct hm_key *key,
                            const char *sha256_lines, hm_error *err) {
  size_t plen;
  _cleanup_free_ char *payload = json_text(statement, JSON_C_TO_STRING_PLAIN, &plen);
  json_object *pred = json_object_object_get(statement, "predicate");
  _cleanup_free_ char *predicate = json_text(pred, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED, NULL);
  if (!payload || !predicate)
    return hm_error_set(err, ENOMEM, "out of memory");
  struct hm_dsse_envelope *env = NULL;
  int r = hm_dsse_envelope_new(HM_DSSE_PAYLOAD_TYPE_INTOTO, payload, plen, &env, err);
  if (r < 0)
    return r;
  if (key && (r = hm_dsse_sign(env, key, err)) < 0) {
    hm_dsse_envelope_free(env);
    return r;
  }
  _cleanup_free_ char *line = hm_dsse_envelope_serialize(env);
  hm_dsse_envelope_free(env);
  _cleanup_free_ char *jsonl = NULL;
  if (!line || asprintf(&jsonl, "%s\n", line) < 0)
    return hm_error_set(err, ENOMEM, "out of memory");
  size_t predlen = strlen(predicate);
  predicate[predlen++] = '\n'; /* replaces the NUL: written by length */
  if ((r = hm_write_file_atomic(out->sha256, sha256_lines, strlen(sha256_lines), 0644, err)) < 0 ||
      (r = hm_write_file_atomic(out->statement, payload, plen, 0644, err)) < 0 ||
      (r = hm_write_file_atomic(out->predicate, predicate, predlen, 0644, err)) < 0 ||
      (r = hm_write_file_atomic(out->provenance, jsonl, strlen(jsonl), 0644, err)) < 0)
    return r;
  return 0;
}

/* Subject pinning: every subject has a pin and matches it; every pin names a subject. */
static bool pins_ok(const struct hm_subject_list *subjects, const struct hm_pin_list *pins) {
  hm_error err = {0};
  struct hm_pin_report rep = {0};
  if (hm_pins_check(subjects, pins, &rep, &err) < 0) {
    hm_cli_error("build", &err);
    return false;
  }
  for (size_t i = 0; i < rep.n; i++) {
    _cleanup_free_ char *line = hm_pin_issue_describe(&rep.items[i], pins->source);
    fprintf(stderr, "hermetic build: %s\n", line ? line : "out of memory");
  }
  bool ok = rep.n == 0;
  if (!ok)
    fprintf(stderr, "hermetic build: the subjects do not match --expect %s; no provenance written\n", pins->source);
  hm_pin_report_free(&rep);
  return ok;
}

/* After a successful command: subjects, pins, statement, files. Returns the exit code. */
static int finish_build(const struct hm_sandbox_config *cfg, const struct build_opts *o,
                        const struct outputs *out, const struct pre_build *pre, json_object *report,
                        const char *log_sha256, struct timespec started, struct timespec finished) {
  hm_error err = {0};
  struct hm_subject_list subjects = {0};
  _cleanup_free_ struct hm_prov_subject *ps = NULL;
  _cleanup_free_ char *hex = NULL, *lines = NULL;
  int code = 1;
  unsigned algos = HM_DIGEST_SHA256 | (o->sha512 ? HM_DIGEST_SHA512 : 0) | (pre->have_pins ? pre->pins.algos : 0);
  if (hm_subjects_resolve(cfg->workspace, o->subjects, hm_strv_len(o->subjects), algos, &subjects, &err) < 0) {
    hm_cli_error("build", &err);
    fputs("hermetic build: no provenance written\n", stderr);
    goto out;
  }
  if (pre->have_pins && !pins_ok(&subjects, &pre->pins))
    goto out;
  code = 125;
  ps = calloc(subjects.n ? subjects.n : 1, sizeof *ps);
  hex = calloc(subjects.n ? subjects.n : 1, 65 + 129);
  if (!ps || !hex) {
    fputs("hermetic build: out of memory\n", stderr);
    goto out;
  }
  for (size_t i = 0; i < subjects.n; i++) {
    char *h256 = hex + i * (65 + 129), *h512 = h256 + 65;
    hm_hex(subjects.items[i].sha256, 32, h256);
    ps[i].name = subjects.items[i].name;
    ps[i].sha256 = h256;
    if (o->sha512) {
      hm_hex(subjects.items[i].sha512, 64, h512);
      ps[i].sha512 = h512;
    }
  }
  struct hm_prov_params p = {
      .command = cfg->argv,
      .subject_patterns = o->subjects,
      .env_set = cfg->env_set,
      .env_pass = cfg->env_pass,
      .source = &pre->source,
      .builder_id = o->builder_id,
      .version = HERMETIC_VERSION,
      .isolation = report,
      .hermetic_uri = pre->self_uri,
      .hermetic_sha256 = pre->self_sha256,
      .log_name = out->log_name,
      .log_sha256 = log_sha256,
      .started = started,
      .finished = finished,
      .envp = environ,
      .extra_dependencies = pre->snap_deps,
      .snapshot_sha256 = pre->snap.manifest ? pre->snap.sha256 : NULL,
      .snapshot_entries = pre->snap_deps ? json_object_array_length(pre->snap_deps) : 0,
      .subjects = ps,
      .n_subjects = subjects.n,
  };
  json_object *statement = NULL;
  lines = hm_subjects_sumlines(&subjects, HM_DIGEST_SHA256, NULL);
  if (!lines || hm_statement_build(&p, &statement, &err) < 0 ||
      write_provenance(out, statement, pre->key, lines, &err) < 0) {
    if (!err.msg[0])
      hm_error_set(&err, ENOMEM, "out of memory");
    hm_cli_error("build", &err);
    fputs("hermetic build: no provenance written\n", stderr);
  } else {
    fprintf(stderr, "hermetic build: %zu subject%s; provenance %s (%s)\n", subjects.n, subjects.n == 1 ? "" : "s",
            out->provenance, pre->key ? "signed" : "unsigned");
    code = 0;
  }
  json_object_put(statement);
out:
  hm_subject_list_free(&subjects);
  return code;
}

/* A provenance left by an earlier build must not sit beside this build's outputs as if it
 * described them: remove it (and its companions) before the build starts. unlink()
 * removes a symlink itself, never its target. */
static int remove_stale_outputs(const struct outputs *out, hm_error *err) {
  /* Every output lies in the provenance's directory (derive_outputs). */
  const char *paths[] = {out->provenance, out->statement, out->predicate, out->sha256};
  const char *slash = strrchr(out->provenance, '/');
  _cleanup_free_ char *dir = strndup(out->provenance, (size_t)(slash - out->provenance));
  if (!dir)
    return hm_error_set(err, ENOMEM, "out of memory");
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return hm_error_errno(err, errno, "opening /");
  _cleanup_close_ int dfd = hm_open_beneath(root, dir, O_PATH | O_DIRECTORY, err);
  if (dfd < 0)
    return hm_error_wrap(err, "removing the earlier %s", out->provenance);
  for (size_t i = 0; i < HM_ARRAY_SIZE(paths); i++)
    if (unlinkat(dfd, strrchr(paths[i], '/') + 1, 0) < 0 && errno != ENOENT)
      return hm_error_errno(err, errno, "removing the earlier %s", paths[i]);
  return 0;
}

static int run_and_write(const struct hm_sandbox_config *cfg, const struct build_opts *o,
                         const struct outputs *out, const struct pre_build *pre) {
  hm_error err = {0};
  struct hm_build_log *log = NULL;
  if (remove_stale_outputs(out, &err) < 0) {
    hm_cli_error("build", &err);
    return 125;
  }
  if (hm_build_log_start(out->log, &log, &err) < 0) {
    hm_cli_error("build", &err);
    return 125;
  }
  struct timespec started, finished;
  clock_gettime(CLOCK_REALTIME, &started);
  struct hm_sandbox_result res;
  int r = hm_sandbox_run(cfg, &res, &err);
  clock_gettime(CLOCK_REALTIME, &finished);
  hm_error log_err = {0};
  char log_sha256[65];
  /* Every process of the build is dead once hm_sandbox_run returns. */
  int lr = hm_build_log_finish(log, log_sha256, &log_err);
  int code = res.exit_code;
  if (r < 0) {
    hm_cli_error("build", &err);
    code = 125;
  } else if (res.exec_errno) {
    fprintf(stderr, "hermetic build: %s: %s\n", cfg->argv[0], strerror(res.exec_errno));
  } else if (lr < 0) {
    hm_cli_error("build", &log_err);
    code = 125;
  } else if (res.exit_code != 0) {
    fprintf(stderr, "hermetic build: the command %s (exit %d); no provenance written\n",
            res.timed_out ? "timed out" : "failed", res.exit_code);
  } else {
    code = finish_build(cfg, o, out, pre, res.report, log_sha256, started, finished);
  }
  hm_sandbox_result_free(&res);
  return code;
}


int hm_cmd_build(int argc, char **argv) {
  static const struct option longopts[] = {HM_SANDBOX_LONG_OPTIONS,
                                           {"subject", required_argument, NULL, OPT_SUBJECT},
                                           {"expect", required_argument, NULL, OPT_EXPECT},
                                           {"sha512", no_argument, NULL, OPT_SHA512},
                                           {"provenance", required_argument, NULL, OPT_PROVENANCE},
                                           {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
                                           {"builder-id", required_argument, NULL, OPT_BUILDER_ID},
                                           {"source-uri", required_argument, NULL, OPT_SOURCE_URI},
                                           {"source-digest", required_argument, NULL, OPT_SOURCE_DIGEST},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  struct hm_sandbox_config cfg;
  hm_sandbox_config_init(&cfg);
  struct build_opts o = {.provenance = "hermetic.intoto.jsonl"};
  struct outputs out = {0};
  struct pre_build pre = {0};
  hm_error err = {0};
  int code = 125;
  int p = hm_cli_sandbox_args("build", build_usage, argc, argv, longopts, &cfg, &pre.snap, build_option, &o);
  if (p != 0) {
    code = p > 0 ? 0 : 125;
    goto out;
  }
  if (!o.subjects) {
    fputs("hermetic build: no --subject given: name the build's outputs (e.g. --subject 'dist/*')\n", stderr);
    goto out;
  }
  if (hm_cli_need_crypto("build", 125))
    goto out;
  if (hm_sandbox_config_finish(&cfg, &err) < 0 || derive_outputs(&cfg, o.provenance, &out, &err) < 0 ||
      prepare(&cfg, &o, &pre, &err) < 0) {
    hm_cli_error("build", &err);
    goto out;
  }
  cfg.want_report = true; /* the provenance's isolation claim */
  code = run_and_write(&cfg, &o, &out, &pre);
out:
  pre_build_free(&pre);
  outputs_free(&out);
  hm_strv_free(o.subjects);
  hm_sandbox_config_free(&cfg);
  return code;
}
