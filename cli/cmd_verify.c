/* hermetic verify [POLICY] ATTESTATION: check DSSE signatures, the in-toto Statement
 * and the policy. All checking lives in provenance/verify.c; this file parses options,
 * loads inputs and formats the outcome. */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "provenance.h"

#define VERIFY_EXIT_OK 0
#define VERIFY_EXIT_REJECTED 1
#define VERIFY_EXIT_UNUSABLE 2
#define usage_error(...) hm_cli_usage_error("verify", VERIFY_EXIT_UNUSABLE, __VA_ARGS__)

static const char verify_usage[] =
    "Usage: hermetic verify --key PUB.pem [--key PUB.pem]... [POLICY] [--format text|json]\n"
    "                       ATTESTATION\n"
    "\n"
    "Verify an in-toto SLSA provenance attestation offline: a DSSE v1 signature by one of\n"
    "the given public keys, then the Statement it signs, then the policy.\n"
    "\n"
    "ATTESTATION (a path, or - for standard input) is one JSON envelope or JSON Lines\n"
    "(.intoto.jsonl), one envelope per non-empty line. Every line must be an envelope;\n"
    "the attestation is verified when at least one envelope passes every check, and\n"
    "otherwise each envelope's reason is reported.\n"
    "\n"
    "Checks, in order, for each envelope:\n"
    "  signature       some signature verifies with some --key over the DSSE PAE (a keyid\n"
    "                  is only a hint of which key to try first); ECDSA signatures in DER\n"
    "                  or raw r||s, payload and sig in standard or URL-safe base64\n"
    "  payloadType     application/vnd.in-toto+json\n"
    "  statement       the signed payload bytes (and nothing else) parse as a JSON object\n"
    "  _type           https://in-toto.io/Statement/v1\n"
    "  predicateType   https://slsa.dev/provenance/v1, with an object predicate\n"
    "  subjects        a non-empty array of {name, digest: {algorithm: lowercase hex}}\n"
    "then the policy checks given (every one is evaluated and reported).\n"
    "\n"
    "Keys:\n"
    "  -k, --key PUB.pem       PEM public key (SubjectPublicKeyInfo): ECDSA P-256, ECDSA\n"
    "                          P-384 or Ed25519 (repeatable; at least one required)\n"
    "Policy:\n"
    "  -a, --artifact FILE     FILE's sha256 (and sha512, when the subject has one) must\n"
    "                          equal a subject's digest (repeatable: each must match)\n"
    "      --builder-id URI    predicate.runDetails.builder.id must equal URI\n"
    "      --source-uri URI    predicate.buildDefinition.externalParameters.source.uri must\n"
    "                          match URI once both are normalised: a leading \"git+\", the\n"
    "                          scheme, a trailing \"@REF\" and \".git\" removed, so that\n"
    "                          github.com/o/r matches git+https://github.com/o/r@refs/heads/main\n"
    "      --require-hermetic  buildType https://hermetic.dev/buildtypes/sandboxed-build/v1\n"
    "                          and internalParameters.isolation claiming network policy\n"
    "                          \"none\", a network namespace, seccomp mode \"enforce\" with\n"
    "                          profile \"default\" or \"strict\"; and every resolvedDependencies\n"
    "                          entry pinned by a lowercase hex digest\n"
    "Output:\n"
    "      --format FORMAT     text (default) or json\n"
    "  -h, --help              show this help and exit\n"
    "\n"
    "Text output: on success one line on standard output,\n"
    "  verified: FILE: signature by KEYID, N subjects, builder ID\n"
    "on rejection the reason on standard error (per envelope when there are several).\n"
    "JSON output (standard output, also on rejection): one object with\n"
    "  verified    true or false\n"
    "  attestation the file\n"
    "  reason      why it was rejected, or null\n"
    "  line        line of the envelope reported (the one that verified, otherwise the\n"
    "              one that got furthest)\n"
    "  keyid       keyid of the key whose signature verified, or null\n"
    "  subjects    [{\"name\", \"digest\"}] of the verified statement ([] before that)\n"
    "  builder_id, build_type   from the predicate, or null\n"
    "  checks      [{\"name\", \"ok\", \"detail\"}], the checks that ran, in order\n"
    "  envelopes   [{\"line\", \"verified\", \"reason\", \"keyid\"}], one per envelope\n"
    "\n"
    "Exit status: 0 verified; 1 rejected (a signature does not verify, or the payload\n"
    "type, statement, subjects or policy are wrong); 2 unusable input or usage error\n"
    "(malformed JSON or base64, a truncated or unreadable file, no --key, an unsupported\n"
    "key type), with a message on standard error and no JSON.\n";

enum { OPT_BUILDER_ID = 0x100, OPT_SOURCE_URI, OPT_REQUIRE_HERMETIC, OPT_FORMAT };

struct verify_opts {
  char **keys;
  char **artifacts;
  const char *builder_id, *source_uri;
  bool require_hermetic, json;
  const char *attestation;
};

static void free_keys(struct hm_key **keys, size_t n) {
  for (size_t i = 0; i < n; i++)
    hm_key_free(keys[i]);
  free(keys);
}


/* Returns -1 when parsing went fine, else the exit status. */
static int parse_options(int argc, char **argv, struct verify_opts *o) {
  static const struct option opts[] = {
      {"key", required_argument, NULL, 'k'},
      {"artifact", required_argument, NULL, 'a'},
      {"builder-id", required_argument, NULL, OPT_BUILDER_ID},
      {"source-uri", required_argument, NULL, OPT_SOURCE_URI},
      {"require-hermetic", no_argument, NULL, OPT_REQUIRE_HERMETIC},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+:k:a:h", opts, NULL)) != -1) {
    switch (c) {
    case 'k':
      if (hm_strv_push(&o->keys, optarg) < 0)
        return usage_error("%s", "out of memory");
      break;
    case 'a':
      if (hm_strv_push(&o->artifacts, optarg) < 0)
        return usage_error("%s", "out of memory");
      break;
    case OPT_BUILDER_ID:
      o->builder_id = optarg;
      break;
    case OPT_SOURCE_URI:
      o->source_uri = optarg;
      break;
    case OPT_REQUIRE_HERMETIC:
      o->require_hermetic = true;
      break;
    case OPT_FORMAT:
      if (strcmp(optarg, "json") == 0)
        o->json = true;
      else if (strcmp(optarg, "text") == 0)
        o->json = false;
      else
        return usage_error("--format '%s': expected text or json", optarg);
      break;
    case 'h':
      fputs(verify_usage, stdout);
      return VERIFY_EXIT_OK;
    default:
      return hm_cli_option_error("verify", VERIFY_EXIT_UNUSABLE, argv, c);
    }
  }
  if (argc - optind != 1)
    return usage_error("%s", argc - optind == 0 ? "no ATTESTATION given" : "more than one ATTESTATION given");
  o->attestation = argv[optind];
  if (hm_strv_len(o->keys) == 0)
    return usage_error("%s", "missing --key PUB.pem: a public key to verify with is required");
  if (hm_strv_len(o->keys) > HM_DSSE_MAX_KEYS)
    return usage_error("%s", "too many --key options");
  if (hm_cli_need_crypto("verify", VERIFY_EXIT_UNUSABLE))
    return VERIFY_EXIT_UNUSABLE;
  return -1;
}

/* The outcome to describe: the one that verified, else the one that got furthest. */
static const struct hm_verify_outcome *primary(const struct hm_verify_report *rep) {
  if (rep->verified)
    return &rep->outcomes[rep->verified_index];
  const struct hm_verify_outcome *best = &rep->outcomes[0];
  for (size_t i = 1; i < rep->n_outcomes; i++)
    if (rep->outcomes[i].n_checks > best->n_checks)
      best = &rep->outcomes[i];
  return best;
}

static json_object *str_or_null(const char *s) { return s && *s ? json_object_new_string(s) : NULL; }

static json_object *subjects_json(const struct hm_verify_outcome *o) {
  json_object *arr = json_object_new_array();
  size_t n = o->subjects ? json_object_array_length(o->subjects) : 0;
  for (size_t i = 0; arr && i < n; i++) {
    json_object *s = json_object_array_get_idx(o->subjects, i), *name = NULL, *digest = NULL;
    json_object_object_get_ex(s, "name", &name);
    json_object_object_get_ex(s, "digest", &digest);
    json_object *e = json_object_new_object();
    json_object_object_add(e, "name", json_object_get(name));
    json_object_object_add(e, "digest", json_object_get(digest));
    json_object_array_add(arr, e);
  }
  return arr;
}

static int print_json(const char *file, const struct hm_verify_report *rep, const char *reason) {
  const struct hm_verify_outcome *p = primary(rep);
  json_object *root = json_object_new_object();
  if (!root)
    return -ENOMEM;
  json_object_object_add(root, "verified", json_object_new_boolean(rep->verified));
  json_object_object_add(root, "attestation", json_object_new_string(file));
  json_object_object_add(root, "reason", str_or_null(reason));
  json_object_object_add(root, "line", json_object_new_int((int)p->line));
  json_object_object_add(root, "keyid", str_or_null(p->keyid));
  json_object_object_add(root, "subjects", subjects_json(p));
  json_object_object_add(root, "builder_id", str_or_null(p->builder_id));
  json_object_object_add(root, "build_type", str_or_null(p->build_type));
  json_object *checks = json_object_new_array();
  for (size_t i = 0; checks && i < p->n_checks; i++) {
    json_object *c = json_object_new_object();
    json_object_object_add(c, "name", json_object_new_string(p->checks[i].name));
    json_object_object_add(c, "ok", json_object_new_boolean(p->checks[i].ok));
    json_object_object_add(c, "detail", json_object_new_string(p->checks[i].detail));
    json_object_array_add(checks, c);
  }
  json_object_object_add(root, "checks", checks);
  json_object *envs = json_object_new_array();
  for (size_t i = 0; envs && i < rep->n_outcomes; i++) {
    const struct hm_verify_outcome *o = &rep->outcomes[i];
    json_object *e = json_object_new_object();
    json_object_object_add(e, "line", json_object_new_int((int)o->line));
    json_object_object_add(e, "verified", json_object_new_boolean(o->verified));
    json_object_object_add(e, "reason", str_or_null(o->reason));
    json_object_object_add(e, "keyid", str_or_null(o->keyid));
    json_object_array_add(envs, e);
  }
  json_object_object_add(root, "envelopes", envs);
  int r = hm_cli_print_json(root);
  json_object_put(root);
  return r;
}

static void print_text(const char *file, const struct hm_verify_report *rep) {
  if (rep->verified) {
    const struct hm_verify_outcome *o = &rep->outcomes[rep->verified_index];
    size_t n = o->subjects ? json_object_array_length(o->subjects) : 0;
    printf("verified: %s", file);
    if (rep->n_outcomes > 1)
      printf(" line %u", o->line);
    /* The builder id comes from the statement: no control characters onto the terminal. */
    char builder[256] = "(none)";
    for (size_t i = 0; o->builder_id && i + 1 < sizeof builder; i++) {
      unsigned char ch = (unsigned char)o->builder_id[i];
      builder[i] = ch >= 0x20 && ch < 0x7F ? (char)ch : '?';
      builder[i + 1] = '\0';
      if (!ch) {
        builder[i] = '\0';
        break;
      }
    }
    printf(": signature by %s, %zu subject%s, builder %s\n", o->keyid, n, n == 1 ? "" : "s", builder);
    return;
  }
  if (rep->n_outcomes == 1) {
    fprintf(stderr, "hermetic verify: rejected: %s: %s\n", file, rep->outcomes[0].reason);
    return;
  }
  fprintf(stderr, "hermetic verify: rejected: %s: none of its %zu envelopes verifies\n", file,
          rep->n_outcomes);
  for (size_t i = 0; i < rep->n_outcomes; i++)
    fprintf(stderr, "  line %u: %s\n", rep->outcomes[i].line, rep->outcomes[i].reason);
}

/* "line 1: why; line 3: why" for JSON, when several envelopes all failed. */
static char *combined_reason(const struct hm_verify_report *rep) {
  if (rep->verified)
    return NULL;
  if (rep->n_outcomes == 1)
    return strdup(rep->outcomes[0].reason);
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  if (!f)
    return NULL;
  fprintf(f, "none of the %zu envelopes verifies", rep->n_outcomes);
  for (size_t i = 0; i < rep->n_outcomes; i++)
    fprintf(f, "; line %u: %s", rep->outcomes[i].line, rep->outcomes[i].reason);
  fclose(f);
  return s;
}

static int run_verify(const struct verify_opts *o) {
  hm_error err = {0};
  size_t n_keys = hm_strv_len(o->keys), n_art = hm_strv_len(o->artifacts);
  struct hm_key **keys = calloc(n_keys, sizeof *keys);
  _cleanup_free_ struct hm_artifact *arts = calloc(n_art ? n_art : 1, sizeof *arts);
  if (!keys || !arts) {
    free(keys);
    fputs("hermetic verify: out of memory\n", stderr);
    return VERIFY_EXIT_UNUSABLE;
  }
  int status = VERIFY_EXIT_UNUSABLE;
  size_t loaded = 0, len = 0;
  _cleanup_free_ char *text = NULL;
  for (; loaded < n_keys; loaded++)
    if (hm_key_load_public(o->keys[loaded], &keys[loaded], &err) < 0)
      goto out;
  for (size_t i = 0; i < n_art; i++)
    if (hm_artifact_digest(o->artifacts[i], &arts[i], &err) < 0)
      goto out;
  if (hm_dsse_read_file(o->attestation, HM_DSSE_MAX_FILE, &text, &len, &err) < 0)
    goto out;
  const char *name = strcmp(o->attestation, "-") == 0 ? "standard input" : o->attestation;
  struct hm_verify_policy policy = {.artifacts = arts, .n_artifacts = n_art, .builder_id = o->builder_id,
                                    .source_uri = o->source_uri, .require_hermetic = o->require_hermetic};
  struct hm_verify_report rep;
  if (hm_verify_attestation(text, len, name, (const struct hm_key *const *)keys, n_keys, &policy, &rep,
                            &err) < 0)
    goto out;
  status = rep.verified ? VERIFY_EXIT_OK : VERIFY_EXIT_REJECTED;
  if (o->json) {
    _cleanup_free_ char *reason = combined_reason(&rep);
    if (print_json(name, &rep, reason) < 0) {
      hm_error_set(&err, ENOMEM, "writing JSON: out of memory");
      status = VERIFY_EXIT_UNUSABLE;
    }
  } else {
    print_text(name, &rep);
  }
  hm_verify_report_free(&rep);
  if (status != VERIFY_EXIT_UNUSABLE && fflush(stdout) != 0) {
    hm_error_errno(&err, errno, "writing the result");
    status = VERIFY_EXIT_UNUSABLE;
  }
out:
  if (status == VERIFY_EXIT_UNUSABLE)
    hm_cli_error("verify", &err);
  free_keys(keys, loaded);
  return status;
}

int hm_cmd_verify(int argc, char **argv) {
  struct verify_opts o = {0};
  int r = parse_options(argc, argv, &o);
  if (r < 0)
    r = run_verify(&o);
  hm_strv_free(o.keys);
  hm_strv_free(o.artifacts);
  return r;
}
