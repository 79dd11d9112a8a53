/* hermetic digest [--algo sha256|sha512] [--base64] PATH|GLOB...: sha256sum-compatible
 * lines in argument order, globs expanded here, files hashed in parallel. The expansion
 * and hashing are provenance/digest*.c; this file parses options and prints. */
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "hm-base64.h"
#include "provenance.h"

/* The status every read-only subcommand (verify, doctor) uses for a usage error. */
#define DIGEST_EXIT_USAGE 2
#define usage_error(...) hm_cli_usage_error("digest", DIGEST_EXIT_USAGE, __VA_ARGS__)

static const char digest_usage[] =
    "Usage: hermetic digest [--algo sha256|sha512] [--base64] PATH|GLOB...\n"
    "\n"
    "Print the digest of each file as sha256sum (or sha512sum) does, one line a file,\n"
    "\"<hex>  <name>\", in the order of the arguments; 'sha256sum -c' accepts the output.\n"
    "Files are hashed in parallel, one thread per CPU.\n"
    "\n"
    "A PATH that exists is taken as it is. Otherwise an argument with *, ?, [...] or \\\n"
    "is a glob that hermetic expands itself (quote it: 'dist/*.tar.gz'), one path\n"
    "component at a time; \"**\" matches zero or more directories. A wildcard does not\n"
    "match a leading '.', and matches of one glob are printed sorted bytewise.\n"
    "Symlinks are followed. Directories, fifos, sockets and devices are errors.\n"
    "\"-\" reads standard input.\n"
    "\n"
    "Options:\n"
    "      --algo ALGO   sha256 (default) or sha512\n"
    "      --base64      print one line instead: the base64 of all the lines (what\n"
    "                    slsa-github-generator's base64-subjects takes); nothing is\n"
    "                    printed if any file failed\n"
    "  -h, --help        show this help and exit\n"
    "\n"
    "Exit status: 0 when every file was digested, 1 when a file could not be read or a\n"
    "glob matched nothing (the others are still printed), 2 on a usage error.\n";

enum { OPT_ALGO = 0x100, OPT_BASE64 };

/* One output position: a file to digest (job index) or an error known before hashing. */
struct item {
  size_t job; /* SIZE_MAX: none */
  char *error;
};

struct plan {
  struct item *items;
  size_t n_items, cap_items;
  struct hm_digest_job *jobs;
  size_t n_jobs, cap_jobs;
  char ***globs; /* the expansions, owning the names the jobs point to */
  size_t n_globs, cap_globs;
};

static void plan_free(struct plan *p) {
  for (size_t i = 0; i < p->n_items; i++)
    free(p->items[i].error);
  free(p->items);
  hm_digest_jobs_clear(p->jobs, p->n_jobs);
  free(p->jobs);
  for (size_t i = 0; i < p->n_globs; i++)
    hm_strv_free(p->globs[i]);
  free(p->globs);
}

static int grow(void **v, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return 0;
  size_t c = *cap ? *cap * 2 : 16;
  while (c < need)
    c *= 2;
  void *nv = realloc(*v, c * size);
  if (!nv)
    return -ENOMEM;
  *v = nv;
  *cap = c;
  return 0;
}

static int plan_file(struct plan *p, const char *path, int fd) {
  if (grow((void **)&p->jobs, &p->cap_jobs, p->n_jobs + 1, sizeof *p->jobs) < 0 ||
      grow((void **)&p->items, &p->cap_items, p->n_items + 1, sizeof *p->items) < 0)
    return -ENOMEM;
  p->jobs[p->n_jobs] = (struct hm_digest_job){.path = path, .fd = fd};
  p->items[p->n_items++] = (struct item){.job = p->n_jobs++};
  return 0;
}

static int plan_error(struct plan *p, char *msg) {
  if (!msg || grow((void **)&p->items, &p->cap_items, p->n_items + 1, sizeof *p->items) < 0) {
    free(msg);
    return -ENOMEM;
  }
  p->items[p->n_items++] = (struct item){.job = SIZE_MAX, .error = msg};
  return 0;
}

/* An operand: "-" is stdin; an existing path is itself (even with glob characters);
 * else a glob is expanded here and a plain path is left for open() to report. */
static int plan_operand(struct plan *p, const char *arg) {
  struct stat st;
  if (strcmp(arg, "-") == 0)
    return plan_file(p, arg, STDIN_FILENO);
  if (!hm_glob_is_pattern(arg) || lstat(arg, &st) == 0)
    return plan_file(p, arg, -1);
  char **matches = NULL;
  size_t n = 0;
  hm_error err = {0};
  char *msg = NULL;
  if (hm_glob(AT_FDCWD, arg, 0, &matches, &n, &err) < 0) {
    if (err.code == ENOMEM)
      return -ENOMEM;
    return plan_error(p, strdup(err.msg));
  }
  if (n == 0) {
    hm_strv_free(matches);
    if (asprintf(&msg, "pattern '%s' matches no file", arg) < 0)
      msg = NULL;
    return plan_error(p, msg);
  }
  if (grow((void **)&p->globs, &p->cap_globs, p->n_globs + 1, sizeof *p->globs) < 0) {
    hm_strv_free(matches);
    return -ENOMEM;
  }
  p->globs[p->n_globs++] = matches;
  for (size_t i = 0; i < n; i++)
    if (plan_file(p, matches[i], -1) < 0)
      return -ENOMEM;
  return 0;
}


/* Print in argument order; returns the number of failures. */
static size_t print_results(const struct plan *p, unsigned algo, bool base64, char **text,
                            size_t *text_len) {
  size_t failed = 0, len = 0, cap = 0;
  char q[1024];
  for (size_t i = 0; i < p->n_items; i++) {
    const struct item *it = &p->items[i];
    const struct hm_digest_job *job = it->job == SIZE_MAX ? NULL : &p->jobs[it->job];
    if (!job || job->error) {
      failed++;
      /* Keep the streams in order for a reader of both (2>&1). */
      fflush(stdout);
      if (!job)
        fprintf(stderr, "hermetic digest: %s\n", it->error);
      else
        fprintf(stderr, "hermetic digest: %s: %s\n", hm_name_quote(job->path, q, sizeof q),
                job->message ? job->message : strerror(job->error));
      continue;
    }
    const unsigned char *d = algo == HM_DIGEST_SHA512 ? job->sha512 : job->sha256;
    size_t need = hm_sumline_format(NULL, 0, algo, d, job->path);
    if (!base64) {
      char line[512];
      if (need < sizeof line) {
        hm_sumline_format(line, sizeof line, algo, d, job->path);
        fwrite(line, 1, need, stdout);
      } else {
        _cleanup_free_ char *big = malloc(need + 1);
        if (big) {
          hm_sumline_format(big, need + 1, algo, d, job->path);
          fwrite(big, 1, need, stdout);
        } else {
          failed++;
        }
      }
      continue;
    }
    if (grow((void **)text, &cap, len + need + 1, 1) < 0) {
      fprintf(stderr, "hermetic digest: out of memory\n");
      return failed + 1;
    }
    len += hm_sumline_format(*text + len, cap - len, algo, d, job->path);
  }
  *text_len = len;
  return failed;
}

int hm_cmd_digest(int argc, char **argv) {
  static const struct option opts[] = {
      {"algo", required_argument, NULL, OPT_ALGO},
      {"base64", no_argument, NULL, OPT_BASE64},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  unsigned algo = HM_DIGEST_SHA256;
  bool base64 = false;
  int c;
  optind = 1;
  opterr = 0; /* we name the bad option ourselves */
  /* Leading ':' so that a missing argument is told apart from an unknown option. Options
   * may follow operands, as with sha256sum; "--" ends them. */
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_ALGO:
      if (hm_digest_algo_parse(optarg, &algo) < 0)
        return usage_error("--algo: unknown algorithm '%s' (expected sha256 or sha512)", optarg);
      break;
    case OPT_BASE64:
      base64 = true;
      break;
    case 'h':
      fputs(digest_usage, stdout);
      return 0;
    default:
      return hm_cli_option_error("digest", DIGEST_EXIT_USAGE, argv, c);
    }
  }
  if (optind >= argc)
    return usage_error("no PATH or GLOB given");
  if (hm_cli_need_crypto("digest", DIGEST_EXIT_USAGE))
    return DIGEST_EXIT_USAGE;

  struct plan plan = {0};
  int status = 0;
  for (int i = optind; i < argc; i++) {
    if (plan_operand(&plan, argv[i]) < 0) {
      fprintf(stderr, "hermetic digest: out of memory\n");
      plan_free(&plan);
      return 1;
    }
  }
  hm_error err = {0};
  if (hm_digest_files(AT_FDCWD, plan.jobs, plan.n_jobs, algo, 0, &err) < 0) {
    hm_cli_error("digest", &err);
    plan_free(&plan);
    return 1;
  }
  _cleanup_free_ char *text = NULL;
  size_t text_len = 0;
  size_t failed = print_results(&plan, algo, base64, &text, &text_len);
  plan_free(&plan);
  if (failed)
    status = 1;
  if (base64 && failed) {
    fprintf(stderr, "hermetic digest: --base64: nothing printed, %zu of the inputs failed\n",
            failed);
  } else if (base64) {
    _cleanup_free_ char *b64 = hm_base64_encode(text ? text : "", text_len, NULL);
    if (!b64) {
      fprintf(stderr, "hermetic digest: out of memory\n");
      return 1;
    }
    printf("%s\n", b64);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "hermetic digest: writing to standard output: %s\n", strerror(errno));
    return 1;
  }
  return status;
}
