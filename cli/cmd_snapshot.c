/* hermetic snapshot fetch|verify: the vendor snapshot (vendor-snapshot/snapshot.h). This
 * file parses options and prints; the library reads, fetches, stores and verifies. */
#include <getopt.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "snapshot.h"

#define SNAP_EXIT_FAILED 1
#define SNAP_EXIT_USAGE 2

/* Milliseconds with one decimal, printed as such (not 0.69999999999999996). */
static json_object *json_ms(double ms) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f", ms);
  /* The double nearest the printed decimal: what a reader of the JSON gets. */
  return json_object_new_double_s(strtod(buf, NULL), buf);
}

static const char snapshot_usage[] =
    "Usage: hermetic snapshot fetch --into DIR [OPTIONS] LOCKFILE|MANIFEST...\n"
    "       hermetic snapshot verify [--jobs N] [--json] [--quiet] DIR\n"
    "\n"
    "fetch downloads every artifact pinned in npm package-lock.json files (lockfileVersion\n"
    "2 or 3) and hermetic-deps.json manifests, checks each against its pinned digest while\n"
    "it streams, and stores it in DIR by digest: DIR/blobs/<algo>/<hex>, hard-linked where\n"
    "npm's cache reads by digest (DIR/npm, for 'npm ci --offline --cache DIR/npm').\n"
    "DIR/manifest.json lists every artifact once all are stored. A second run downloads\n"
    "only what is missing; an interrupted download resumes. The user's npm configuration\n"
    "is never read.\n"
    "\n"
    "verify re-hashes everything in DIR and names each missing or corrupt artifact.\n"
    "\n"
    "Options (fetch):\n"
    "      --into DIR              the snapshot directory (created if missing)\n"
    "  -j, --jobs N                parallel downloads (default 16; verify: one per CPU)\n"
    "      --registry URL          fetch what the lockfiles say comes from\n"
    "                              https://registry.npmjs.org from this mirror instead\n"
    "      --platform OS-CPU[-LIBC]  choose npm's platform-specific packages for this\n"
    "                              target, e.g. linux-arm64 or linux-x64-musl\n"
    "                              (default: this host)\n"
    "      --retries N             further attempts after a connection error, a cut or\n"
    "                              stalled transfer, HTTP 5xx or 429 (default 4)\n"
    "      --retry-delay SECONDS   first delay before a retry, doubled each time (0.25)\n"
    "      --connect-timeout SECONDS  (default 10)\n"
    "      --stall-timeout SECONDS    give up an attempt after this long without data (30)\n"
    "      --json                  print a JSON summary on stdout\n"
    "  -q, --quiet                 print only errors\n"
    "  -h, --help                  show this help and exit\n"
    "\n"
    "Exit status: 0 when everything is stored (fetch) or intact (verify); 1 when an\n"
    "artifact could not be fetched or did not match its pin (fetch: each is named, and no\n"
    "manifest is written) or is missing or corrupt (verify); 2 on a usage error, an\n"
    "unusable input (the message names the file and entry) or a DIR that cannot be used\n"
    "(not a directory, or being written by another fetch).\n";

enum {
  OPT_INTO = 0x100,
  OPT_REGISTRY,
  OPT_PLATFORM,
  OPT_RETRIES,
  OPT_RETRY_DELAY,
  OPT_CONNECT_TIMEOUT,
  OPT_STALL_TIMEOUT,
  OPT_JSON,
};

struct fetch_cli {
  const char *into;
  struct hm_snap_fetch_opts fo;
  struct hm_snap_read_opts ro;
  char *platform_buf;
  bool json, quiet, tty;
  json_object *failures;
};

#define usage_error(...) hm_cli_usage_error("snapshot", SNAP_EXIT_USAGE, __VA_ARGS__)

/* SECONDS as a decimal ("0.5"), into ms; > 0 and at most a day. */
static int parse_seconds(const char *opt, const char *arg, long *ms) {
  char *end = NULL;
  errno = 0;
  double s = strtod(arg, &end);
  if (errno || end == arg || *end || !isfinite(s) || s <= 0 || s > 86400)
    return usage_error("option '%s' takes a number of seconds > 0, not '%s'", opt, arg);
  long v = (long)(s * 1000 + 0.5); /* 0 < s <= 86400: no overflow, rounds half up */
  *ms = v > 0 ? v : 1;
  return 0;
}

static int parse_count(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out) {
  uint64_t v;
  if (hm_parse_u64(arg, &v) < 0 || v < min || v > max) {
    char range[64];
    snprintf(range, sizeof(range), "%u to %u", min, max);
    fprintf(stderr, "hermetic snapshot: option '%s' takes a whole number from %s, not '%s'\n"
                    "Try 'hermetic snapshot --help'.\n", opt, range, arg);
    return SNAP_EXIT_USAGE;
  }
  *out = (unsigned)v;
  return 0;
}

/* "linux-x64" or "linux-x64-musl" into the read options (pointing into buf). */
static int parse_platform(struct fetch_cli *c, const char *arg) {
  c->platform_buf = strdup(arg);
  if (!c->platform_buf)
    return SNAP_EXIT_USAGE;
  char *os = c->platform_buf, *cpu = strchr(os, '-'), *libc = NULL;
  if (cpu) {
    *cpu++ = '\0';
    libc = strchr(cpu, '-');
    if (libc)
      *libc++ = '\0';
  }
  if (!cpu || !*os || !*cpu || (libc && strcmp(libc, "glibc") != 0 && strcmp(libc, "musl") != 0))
    return usage_error("option '%s' takes OS-CPU or OS-CPU-LIBC (linux-x64, linux-arm64-musl), "
                       "not '%s'", "--platform", arg);
  c->ro.os = os;
  c->ro.cpu = cpu;
  c->ro.libc = libc;
  return 0;
}

static void human_bytes(uint64_t b, char *buf, size_t len) {
  if (b >= 1024 * 1024)
    snprintf(buf, len, "%.1f MiB", (double)b / (1024 * 1024));
  else if (b >= 1024)
    snprintf(buf, len, "%.1f KiB", (double)b / 1024);
  else
    snprintf(buf, len, "%llu B", (unsigned long long)b);
}

static void on_progress(const struct hm_snap_progress *p, void *data) {
  struct fetch_cli *c = data;
  if (!c->tty)
    return;
  size_t settled = p->done + p->cached + p->failed;
  int width = 30, filled = p->total ? (int)(settled * (size_t)width / p->total) : width;
  char bytes[32];
  human_bytes(p->bytes, bytes, sizeof(bytes));
  fprintf(stderr, "\r[%.*s%*s] %zu/%zu  %s  %u active%s\033[K", filled,
          "##############################", width - filled, "", settled, p->total, bytes,
          p->active, p->failed ? "  (some failed)" : "");
  if (settled == p->total)
    fputc('\n', stderr);
}

static void on_failure(const struct hm_snap_entry *e, const char *msg, void *data) {
  struct fetch_cli *c = data;
  if (c->tty)
    fputs("\r\033[K", stderr);
  fprintf(stderr, "hermetic snapshot fetch: %s%s%s (%s): %s\n", e->name, e->version ? "@" : "",
          e->version ? e->version : "", e->origins && e->origins[0] ? e->origins[0] : "?", msg);
  json_object *f = json_object_new_object();
  json_object_object_add(f, "name", json_object_new_string(e->name));
  json_object_object_add(f, "version", e->version ? json_object_new_string(e->version) : NULL);
  json_object_object_add(f, "origin", json_object_new_string(e->origins && e->origins[0]
                                                                 ? e->origins[0] : ""));
  json_object_object_add(f, "error", json_object_new_string(msg));
  json_object_array_add(c->failures, f);
}

static int fetch_summary(struct fetch_cli *c, const struct hm_snap_fetch_stats *st,
                         const char *manifest) {
  if (c->json) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "total", json_object_new_uint64(st->total));
    json_object_object_add(o, "fetched", json_object_new_uint64(st->fetched));
    json_object_object_add(o, "cached", json_object_new_uint64(st->cached));
    json_object_object_add(o, "failed", json_object_new_uint64(st->failed));
    json_object_object_add(o, "bytes", json_object_new_uint64(st->bytes));
    json_object_object_add(o, "retries", json_object_new_uint64(st->retries));
    json_object_object_add(o, "ms", json_ms(st->ms));
    json_object_object_add(o, "manifest", manifest ? json_object_new_string(manifest) : NULL);
    json_object_object_add(o, "failures", json_object_get(c->failures));
    hm_cli_print_json(o);
    json_object_put(o);
  } else if (!c->quiet) {
    char bytes[32];
    human_bytes(st->bytes, bytes, sizeof(bytes));
    fprintf(stderr,
            "hermetic snapshot fetch: %zu artifacts in %s: %zu fetched (%s), %zu already stored, "
            "%zu failed, %u retries (%.2f s)\n",
            st->total, c->into, st->fetched, bytes, st->cached, st->failed, st->retries,
            st->ms / 1000);
  }
  return st->failed ? SNAP_EXIT_FAILED : 0;
}

static int fetch_run(struct fetch_cli *c, int nin, char **inputs) {
  struct hm_snap_list list;
  hm_snap_list_init(&list);
  struct hm_snap_store *store = NULL;
  struct hm_snap_fetch_stats st = {0};
  hm_error err = {0};
  int status = 0;
  if (hm_cli_need_crypto("snapshot fetch", SNAP_EXIT_USAGE))
    return SNAP_EXIT_USAGE;
  for (int i = 0; i < nin && status == 0; i++)
    if (hm_snap_read_input(inputs[i], &c->ro, &list, &err) < 0) {
      hm_cli_error("snapshot fetch", &err);
      status = err.code == ENOMEM ? SNAP_EXIT_FAILED : SNAP_EXIT_USAGE;
    }
  if (status == 0) {
    hm_snap_list_sort(&list);
    c->fo.progress = on_progress;
    c->fo.progress_data = c;
    c->fo.failure = on_failure;
    c->fo.failure_data = c;
    if (hm_snap_store_open(c->into, true, &store, &err) < 0) {
      hm_cli_error("snapshot fetch", &err);
      status = SNAP_EXIT_USAGE;
    }
  }
  char *manifest = NULL;
  if (status == 0) {
    int r = hm_snap_fetch(store, &list, &c->fo, &st, &err);
    if (r < 0 && r != -EIO) {
      hm_cli_error("snapshot fetch", &err);
      status = SNAP_EXIT_FAILED;
    } else if (r == 0) {
      if (hm_snap_manifest_write(store, &list, &err) < 0) {
        hm_cli_error("snapshot fetch", &err);
        status = SNAP_EXIT_FAILED;
      } else if (asprintf(&manifest, "%s/manifest.json", c->into) < 0) {
        manifest = NULL;
      }
    }
    if (status == 0)
      status = fetch_summary(c, &st, manifest);
  }
  free(manifest);
  hm_snap_store_close(store);
  hm_snap_list_free(&list);
  return status;
}

static int cmd_fetch(int argc, char **argv) {
  static const struct option longopts[] = {
      {"into", required_argument, NULL, OPT_INTO},
      {"jobs", required_argument, NULL, 'j'},
      {"registry", required_argument, NULL, OPT_REGISTRY},
      {"platform", required_argument, NULL, OPT_PLATFORM},
      {"retries", required_argument, NULL, OPT_RETRIES},
      {"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
      {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
      {"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT},
      {"json", no_argument, NULL, OPT_JSON},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  struct fetch_cli c = {.tty = isatty(STDERR_FILENO)};
  hm_snap_fetch_opts_init(&c.fo);
  int opt, r = 0;
  opterr = 0;
  optind = 1;
  while (r == 0 && (opt = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
    switch (opt) {
    case OPT_INTO:
      c.into = optarg;
      break;
    case 'j':
      r = parse_count("--jobs", optarg, 1, 256, &c.fo.jobs);
      break;
    case OPT_REGISTRY:
      if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
        r = usage_error("option '%s' takes an http:// or https:// URL, not '%s'", "--registry",
                        optarg);
      c.fo.registry = optarg;
      c.ro.registry = optarg;
      break;
    case OPT_PLATFORM:
      free(c.platform_buf);
      r = parse_platform(&c, optarg);
      break;
    case OPT_RETRIES:
      r = parse_count("--retries", optarg, 0, 100, &c.fo.retries);
      break;
    case OPT_RETRY_DELAY:
      r = parse_seconds("--retry-delay", optarg, &c.fo.backoff_ms);
      break;
    case OPT_CONNECT_TIMEOUT:
      r = parse_seconds("--connect-timeout", optarg, &c.fo.connect_timeout_ms);
      break;
    case OPT_STALL_TIMEOUT:
      r = parse_seconds("--stall-timeout", optarg, &c.fo.stall_timeout_ms);
      break;
    case OPT_JSON:
      c.json = true;
      break;
    case 'q':
      c.quiet = true;
      break;
    case 'h':
      fputs(snapshot_usage, stdout);
      free(c.platform_buf);
      return 0;
    default:
      r = hm_cli_option_error("snapshot", SNAP_EXIT_USAGE, argv, opt);
    }
  }
  if (r == 0 && !c.into)
    r = hm_cli_usage_error("snapshot", SNAP_EXIT_USAGE, "fetch needs --into DIR");
  if (r == 0 && optind >= argc)
    r = hm_cli_usage_error("snapshot", SNAP_EXIT_USAGE, "fetch needs a lockfile or manifest");
  if (r == 0) {
    c.tty = c.tty && !c.quiet && !c.json;
    c.failures = json_object_new_array();
    r = fetch_run(&c, argc - optind, argv + optind);
    json_object_put(c.failures);
  }
  free(c.platform_buf);
  return r;
}

struct verify_cli {
  json_object *problems;
  bool json;
};

static void on_problem(const char *what, const char *name, const char *detail, void *data) {
  struct verify_cli *v = data;
  fprintf(stderr, "hermetic snapshot verify: %s: %s: %s\n", what, name, detail);
  json_object *p = json_object_new_object();
  json_object_object_add(p, "what", json_object_new_string(what));
  json_object_object_add(p, "name", json_object_new_string(name));
  json_object_object_add(p, "detail", json_object_new_string(detail));
  json_object_array_add(v->problems, p);
}

static int cmd_verify(int argc, char **argv) {
  static const struct option longopts[] = {
      {"jobs", required_argument, NULL, 'j'},
      {"json", no_argument, NULL, OPT_JSON},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  unsigned jobs = 0;
  bool quiet = false;
  struct verify_cli v = {0};
  int opt, r = 0;
  opterr = 0;
  optind = 1;
  while (r == 0 && (opt = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
    switch (opt) {
    case 'j':
      r = parse_count("--jobs", optarg, 1, 256, &jobs);
      break;
    case OPT_JSON:
      v.json = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      fputs(snapshot_usage, stdout);
      return 0;
    default:
      r = hm_cli_option_error("snapshot", SNAP_EXIT_USAGE, argv, opt);
    }
  }
  if (r)
    return r;
  if (optind + 1 != argc)
    return hm_cli_usage_error("snapshot", SNAP_EXIT_USAGE, "verify takes exactly one DIR");
  const char *dir = argv[optind];
  if (hm_cli_need_crypto("snapshot verify", SNAP_EXIT_USAGE))
    return SNAP_EXIT_USAGE;
  v.problems = json_object_new_array();
  struct hm_snap_verify_stats st = {0};
  hm_error err = {0};
  int res = hm_snap_verify(dir, jobs, on_problem, &v, &st, &err);
  if (res < 0) {
    hm_cli_error("snapshot verify", &err);
    json_object_put(v.problems);
    return SNAP_EXIT_USAGE;
  }
  if (v.json) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "checked", json_object_new_uint64(st.checked));
    json_object_object_add(o, "missing", json_object_new_uint64(st.missing));
    json_object_object_add(o, "corrupt", json_object_new_uint64(st.corrupt));
    json_object_object_add(o, "bytes", json_object_new_uint64(st.bytes));
    json_object_object_add(o, "ms", json_ms(st.ms));
    json_object_object_add(o, "problems", json_object_get(v.problems));
    hm_cli_print_json(o);
    json_object_put(o);
  } else if (!quiet) {
    char bytes[32];
    human_bytes(st.bytes, bytes, sizeof(bytes));
    fprintf(stderr, "hermetic snapshot verify: %s: %zu artifacts checked (%s): %zu missing, "
                    "%zu corrupt (%.2f s)\n",
            dir, st.checked, bytes, st.missing, st.corrupt, st.ms / 1000);
  }
  json_object_put(v.problems);
  return res == 0 ? 0 : SNAP_EXIT_FAILED;
}

int hm_cmd_snapshot(int argc, char **argv) {
  if (argc < 2)
    return hm_cli_usage_error("snapshot", SNAP_EXIT_USAGE, "missing subcommand: fetch or verify");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(snapshot_usage, stdout);
    return 0;
  }
  if (strcmp(argv[1], "fetch") == 0)
    return cmd_fetch(argc - 1, argv + 1);
  if (strcmp(argv[1], "verify") == 0)
    return cmd_verify(argc - 1, argv + 1);
  return usage_error("unknown subcommand '%s': fetch or verify", argv[1]);
}
