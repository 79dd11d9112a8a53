/* provenance/verify.c and policy.c: the statement checks in order, every policy check
 * passing and failing with a reason that names it, source-URI normalisation, artifact
 * digests and attestation files with several envelopes. */
#include <json-c/json.h>
#include <stdarg.h>

#include "../unit/tap.h"
#include "dsse.h"
#include "testlib.h"

static hm_error err;

#define SHA256_APP "a4dc5df3ab0c1a7d9abb2e5a4bd5ed8ec60e7ea6a7aa7e79d4f9ae6c8ec8f2a5"

static const char base_statement[] =
    "{\"_type\":\"https://in-toto.io/Statement/v1\","
    "\"subject\":[{\"name\":\"dist/app.tar.gz\",\"digest\":{\"sha256\":\"" SHA256_APP "\"}},"
    "{\"name\":\"dist/app.sig\",\"digest\":{\"sha256\":\"" SHA256_APP "\",\"sha512\":\"" SHA256_APP SHA256_APP "\"}}],"
    "\"predicateType\":\"https://slsa.dev/provenance/v1\","
    "\"predicate\":{\"buildDefinition\":{\"buildType\":\"https://hermetic.dev/buildtypes/sandboxed-build/v1\","
    "\"externalParameters\":{\"command\":[\"make\"],\"source\":{\"uri\":\"git+https://github.com/o/r@refs/heads/main\","
    "\"digest\":{\"gitCommit\":\"1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c\"}}},"
    "\"internalParameters\":{\"isolation\":{\"namespaces\":{\"user\":true,\"net\":true},"
    "\"network\":{\"policy\":\"none\",\"interfaces\":[]},\"seccomp\":{\"profile\":\"default\",\"mode\":\"enforce\"}}},"
    "\"resolvedDependencies\":[{\"uri\":\"git+https://github.com/o/r@refs/heads/main\","
    "\"digest\":{\"gitCommit\":\"1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c\"}}]},"
    "\"runDetails\":{\"builder\":{\"id\":\"https://hermetic.dev/builders/local/v1\"},"
    "\"metadata\":{\"invocationId\":\"x\"}}}}";

/* The base statement with edits: "path=json" sets, "-path" deletes ("a.b.0.c"). */
static char *edited(const char *first, ...) {
  json_object *root = json_tokener_parse(base_statement);
  va_list ap;
  va_start(ap, first);
  for (const char *e = first; e; e = va_arg(ap, const char *)) {
    bool del = e[0] == '-';
    char path[256];
    snprintf(path, sizeof path, "%s", del ? e + 1 : e);
    char *value = del ? NULL : strchr(path, '=');
    if (value)
      *value++ = '\0';
    json_object *cur = root;
    char *save = NULL, *key = strtok_r(path, ".", &save), *next;
    while ((next = strtok_r(NULL, ".", &save))) {
      cur = json_object_is_type(cur, json_type_array) ? json_object_array_get_idx(cur, (size_t)atoi(key))
                                                      : json_object_object_get(cur, key);
      key = next;
    }
    if (del)
      json_object_object_del(cur, key);
    else if (json_object_is_type(cur, json_type_array))
      json_object_array_put_idx(cur, (size_t)atoi(key), json_tokener_parse(value));
    else
      json_object_object_add(cur, key, json_tokener_parse(value));
  }
  va_end(ap);
  char *s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
  json_object_put(root);
  return s;
}

static struct hm_artifact app = {.path = "app.tar.gz", .sha256 = SHA256_APP};
static struct hm_verify_policy full = {.artifacts = &app, .n_artifacts = 1,
                                       .builder_id = "https://hermetic.dev/builders/local/v1",
                                       .source_uri = "github.com/o/r", .require_hermetic = true};

static struct hm_verify_outcome run(const char *payload, const struct hm_verify_policy *p) {
  struct hm_verify_outcome o = {0};
  if (hm_verify_statement(HM_DSSE_PAYLOAD_TYPE_INTOTO, strlen(HM_DSSE_PAYLOAD_TYPE_INTOTO),
                          (const unsigned char *)payload, strlen(payload), p, &o, &err) < 0)
    tap_diag("hm_verify_statement: %s", err.msg);
  return o;
}

/* Rejected, by a failing check named `check` whose detail contains `needle`. */
static bool rejected_by(struct hm_verify_outcome *o, const char *check, const char *needle) {
  bool found = false;
  for (size_t i = 0; i < o->n_checks; i++)
    if (!o->checks[i].ok && strcmp(o->checks[i].name, check) == 0 && strstr(o->checks[i].detail, needle))
      found = true;
  bool ok = !o->verified && o->reason && found;
  if (!ok)
    tap_diag("verified=%d reason=%s", o->verified, o->reason ? o->reason : "(none)");
  return ok;
}

static bool expect(const char *payload, const struct hm_verify_policy *p, const char *check, const char *needle) {
  struct hm_verify_outcome o = run(payload, p);
  bool ok = rejected_by(&o, check, needle);
  hm_verify_outcome_clear(&o);
  return ok;
}

#define EXPECT(desc, check, needle, ...)                                                           \
  do {                                                                                             \
    _cleanup_free_ char *s_ = edited(__VA_ARGS__, NULL);                                           \
    tap_ok(expect(s_, &full, check, needle), "%s", desc);                                          \
  } while (0)

static void test_statement(void) {
  struct hm_verify_outcome o = run(base_statement, &full);
  static const char *const order[] = {"payloadType", "statement", "_type", "predicateType", "subjects",
                                      "artifact", "builder-id", "source-uri", "hermetic:buildType",
                                      "hermetic:network", "hermetic:namespaces.net", "hermetic:seccomp.mode",
                                      "hermetic:seccomp.profile", "hermetic:resolvedDependencies"};
  bool in_order = o.n_checks == HM_ARRAY_SIZE(order);
  for (size_t i = 0; in_order && i < o.n_checks; i++)
    in_order = strcmp(o.checks[i].name, order[i]) == 0 && o.checks[i].ok;
  tap_ok(o.verified && !o.reason && in_order, "a hermetic statement passes every check, in order");
  tap_ok(o.builder_id && strcmp(o.builder_id, "https://hermetic.dev/builders/local/v1") == 0 && o.build_type &&
             json_object_array_length(o.subjects) == 2,
         "builder id, build type and subjects reported");
  hm_verify_outcome_clear(&o);

  o = (struct hm_verify_outcome){0};
  hm_verify_statement("text/plain", 10, (const unsigned char *)base_statement, strlen(base_statement), &full, &o, &err);
  tap_ok(rejected_by(&o, "payloadType", "payloadType is text/plain, expected application/vnd.in-toto+json") &&
             o.n_checks == 1,
         "wrong payloadType: rejected before the payload is parsed");
  hm_verify_outcome_clear(&o);

  tap_ok(expect("{\"_type\":", &full, "statement", "not a JSON object"), "payload not JSON: rejected");
  tap_ok(expect("[1]", &full, "statement", "not a JSON object"), "payload a JSON array: rejected");
  tap_ok(expect("{\"a\":1,\"a\":2}", &full, "statement", "duplicate key"), "payload with a duplicate key: rejected");
  EXPECT("_type v0.1 rejected", "_type", "_type is https://in-toto.io/Statement/v0.1", "_type=\"https://in-toto.io/Statement/v0.1\"");
  EXPECT("_type missing rejected", "_type", "_type is missing", "-_type");
  EXPECT("_type with a NUL after the right value rejected", "_type", "_type is https://in-toto.io/Statement/v1...",
         "_type=\"https://in-toto.io/Statement/v1\\u0000x\"");
  EXPECT("predicateType wrong rejected", "predicateType", "predicateType is https://slsa.dev/provenance/v0.2",
         "predicateType=\"https://slsa.dev/provenance/v0.2\"");
  EXPECT("predicate missing rejected", "predicateType", "predicate is missing, expected an object", "-predicate");
  EXPECT("predicate an array rejected", "predicateType", "predicate is array, expected an object", "predicate=[]");
  EXPECT("subject missing", "subjects", "\"subject\" is missing", "-subject");
  EXPECT("subject empty", "subjects", "\"subject\" is empty", "subject=[]");
  EXPECT("subject an object", "subjects", "not an array", "subject={}");
  EXPECT("subject entry not an object", "subjects", "subject[1] is not an object", "subject.1=\"x\"");
  EXPECT("subject without name", "subjects", "subject[0] has no string \"name\"", "-subject.0.name");
  EXPECT("subject with empty digest", "subjects", "subject[0]: digest is empty", "subject.0.digest={}");
  EXPECT("subject digest uppercase", "subjects", "is not full-length lowercase hex",
         "subject.0.digest={\"sha256\":\"A4DC5DF3AB0C1A7D9ABB2E5A4BD5ED8EC60E7EA6A7AA7E79D4F9AE6C8EC8F2A5\"}");
  EXPECT("subject digest short", "subjects", "\"sha256\" is not full-length", "subject.0.digest={\"sha256\":\"abcd\"}");
  EXPECT("subject digest a number", "subjects", "digest \"sha256\"", "subject.0.digest={\"sha256\":1}");
}

static void test_policy(void) {
  struct hm_artifact other = {.path = "other.bin"};
  memset(other.sha256, 'e', 64);
  memset(other.sha512, 'f', 128);
  struct hm_verify_policy p = {.artifacts = &other, .n_artifacts = 1};
  tap_ok(expect(base_statement, &p, "artifact", "artifact other.bin (sha256 eeee"),
         "--artifact matching no subject: rejected, file and digest named");
  /* The second subject has a sha512 too: it must match as well. */
  _cleanup_free_ char *only2 = edited("subject.0.digest={\"sha256\":\"" SHA256_APP "\",\"sha512\":\"" SHA256_APP SHA256_APP "\"}", NULL);
  p.artifacts = &app;
  tap_ok(expect(only2, &p, "artifact", "matches no subject"), "--artifact whose sha512 differs from the subject's: rejected");
  struct hm_artifact both = app;
  memcpy(both.sha512, SHA256_APP SHA256_APP, 128);
  p.artifacts = &both;
  struct hm_verify_outcome o = run(only2, &p);
  tap_ok(o.verified, "--artifact matching sha256 and sha512: verified");
  hm_verify_outcome_clear(&o);
  _cleanup_free_ char *only512 = edited("subject.0.digest={\"sha512\":\"" SHA256_APP SHA256_APP "\"}", "subject.1.name=\"x\"",
                                        "subject.1.digest={\"sha512\":\"" SHA256_APP SHA256_APP "\"}", NULL);
  o = run(only512, &p);
  tap_ok(o.verified, "a subject with only sha512 matches on sha512");
  hm_verify_outcome_clear(&o);
  struct hm_artifact two[] = {app, other};
  p = (struct hm_verify_policy){.artifacts = two, .n_artifacts = 2};
  tap_ok(expect(base_statement, &p, "artifact", "other.bin"), "two --artifact: each must match");

  p = (struct hm_verify_policy){.builder_id = "https://evil.example/builder"};
  tap_ok(expect(base_statement, &p, "builder-id",
                "predicate.runDetails.builder.id is https://hermetic.dev/builders/local/v1, expected https://evil.example/builder"),
         "--builder-id mismatch rejected");
  _cleanup_free_ char *nob = edited("-predicate.runDetails.builder", NULL);
  p.builder_id = "https://hermetic.dev/builders/local/v1";
  tap_ok(expect(nob, &p, "builder-id", "is missing"), "--builder-id with no builder in the statement rejected");
  p.builder_id = "https://hermetic.dev/builders/local/v1/";
  tap_ok(expect(base_statement, &p, "builder-id", "expected"), "--builder-id is exact: a trailing slash differs");

  static const char *const same[] = {"github.com/o/r", "https://github.com/o/r", "https://github.com/o/r.git",
                                     "git+https://github.com/o/r@refs/heads/main", "github.com/o/r/",
                                     "git+https://github.com/o/r.git@v1.2"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(same); i++) {
    p = (struct hm_verify_policy){.source_uri = same[i]};
    o = run(base_statement, &p);
    tap_ok(o.verified, "--source-uri %s matches git+https://github.com/o/r@refs/heads/main", same[i]);
    hm_verify_outcome_clear(&o);
  }
  static const char *const differ[] = {"github.com/o/r2", "github.com/o", "gitlab.com/o/r", "github.com/o/r/sub"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(differ); i++) {
    p = (struct hm_verify_policy){.source_uri = differ[i]};
    tap_ok(expect(base_statement, &p, "source-uri", "does not match --source-uri"), "--source-uri %s rejected", differ[i]);
  }
  _cleanup_free_ char *nosrc = edited("-predicate.buildDefinition.externalParameters.source", NULL);
  p.source_uri = "github.com/o/r";
  tap_ok(expect(nosrc, &p, "source-uri", "externalParameters.source.uri is missing"), "--source-uri with no source rejected");
}

static void test_hermetic(void) {
  struct hm_verify_policy p = {.require_hermetic = true};
#define H(desc, check, needle, ...)                                                                \
  do {                                                                                             \
    _cleanup_free_ char *s_ = edited(__VA_ARGS__, NULL);                                           \
    tap_ok(expect(s_, &p, check, needle), "--require-hermetic: %s", desc);                         \
  } while (0)
  H("another buildType", "hermetic:buildType", "buildType is https://example.com/other",
    "predicate.buildDefinition.buildType=\"https://example.com/other\"");
  H("no isolation claim", "hermetic:isolation", "internalParameters.isolation is missing",
    "-predicate.buildDefinition.internalParameters.isolation");
  H("network policy host", "hermetic:network", "isolation.network.policy is host, expected \"none\"",
    "predicate.buildDefinition.internalParameters.isolation.network.policy=\"host\"");
  H("no network namespace", "hermetic:namespaces.net", "isolation.namespaces.net is a JSON boolean, expected true",
    "predicate.buildDefinition.internalParameters.isolation.namespaces.net=false");
  H("net namespace \"true\" as a string", "hermetic:namespaces.net", "expected true",
    "predicate.buildDefinition.internalParameters.isolation.namespaces.net=\"true\"");
  H("seccomp in log mode", "hermetic:seccomp.mode", "isolation.seccomp.mode is log, expected \"enforce\"",
    "predicate.buildDefinition.internalParameters.isolation.seccomp.mode=\"log\"");
  H("seccomp profile custom", "hermetic:seccomp.profile", "isolation.seccomp.profile is custom",
    "predicate.buildDefinition.internalParameters.isolation.seccomp.profile=\"custom\"");
  H("a dependency without digest", "hermetic:resolvedDependencies",
    "resolvedDependencies[0] (git+https://github.com/o/r@refs/heads/main) is not pinned: digest is missing",
    "-predicate.buildDefinition.resolvedDependencies.0.digest");
  H("a dependency with an empty digest", "hermetic:resolvedDependencies", "digest is empty",
    "predicate.buildDefinition.resolvedDependencies.0.digest={}");
  H("a dependency with a non-hex digest", "hermetic:resolvedDependencies", "not non-empty lowercase hex",
    "predicate.buildDefinition.resolvedDependencies.0.digest={\"gitCommit\":\"main\"}");
  H("a dependency with an empty digest value", "hermetic:resolvedDependencies", "lowercase hex",
    "predicate.buildDefinition.resolvedDependencies.0.digest={\"gitCommit\":\"\"}");
  H("resolvedDependencies not an array", "hermetic:resolvedDependencies", "not an array",
    "predicate.buildDefinition.resolvedDependencies={}");
#undef H
  _cleanup_free_ char *many = edited("predicate.buildDefinition.internalParameters.isolation.network.policy=\"host\"",
                                     "predicate.buildDefinition.internalParameters.isolation.seccomp.mode=\"log\"",
                                     "predicate.buildDefinition.buildType=\"x\"", NULL);
  struct hm_verify_outcome o = run(many, &p);
  size_t failed = 0;
  for (size_t i = 0; i < o.n_checks; i++)
    failed += !o.checks[i].ok;
  tap_ok(failed == 3 && o.reason && strstr(o.reason, "buildType is x"),
         "three failed conditions: each reported, the first is the reason");
  hm_verify_outcome_clear(&o);
  _cleanup_free_ char *nodeps = edited("-predicate.buildDefinition.resolvedDependencies", NULL);
  o = run(nodeps, &p);
  tap_ok(o.verified, "no resolvedDependencies at all: nothing unpinned");
  hm_verify_outcome_clear(&o);
  _cleanup_free_ char *strict = edited("predicate.buildDefinition.internalParameters.isolation.seccomp.profile=\"strict\"", NULL);
  o = run(strict, &p);
  tap_ok(o.verified, "seccomp profile strict accepted");
  hm_verify_outcome_clear(&o);
}

static void test_normalize(void) {
  static const struct {
    const char *in, *out;
  } v[] = {{"git+https://github.com/o/r@refs/heads/main", "github.com/o/r"},
           {"https://github.com/o/r.git", "github.com/o/r"},
           {"github.com/o/r", "github.com/o/r"},
           {"git+ssh://git@github.com/o/r.git@v1", "git@github.com/o/r"},
           {"http://h/p/", "h/p"},
           {"", ""},
           {"://x", "://x"},
           {"git+", ""},
           {"h/a.git/", "h/a"}};
  for (size_t i = 0; i < HM_ARRAY_SIZE(v); i++) {
    _cleanup_free_ char *n = hm_source_uri_normalize(v[i].in);
    tap_ok(n && strcmp(n, v[i].out) == 0, "normalise \"%s\" -> \"%s\" (got \"%s\")", v[i].in, v[i].out, n ? n : "NULL");
  }
}

static void test_artifact(void) {
  char path[] = "/tmp/hm-dsse-artifact-XXXXXX";
  int fd = mkstemp(path);
  bool ok = fd >= 0 && write(fd, "abc", 3) == 3;
  close(fd);
  struct hm_artifact a;
  tap_ok(ok && hm_artifact_digest(path, &a, &err) == 0 &&
             strcmp(a.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0 &&
             strncmp(a.sha512, "ddaf35a193617abacc417349ae204131", 32) == 0,
         "artifact digests: sha256 and sha512 of \"abc\"");
  unlink(path);
  tap_ok(hm_artifact_digest(path, &a, &err) == -ENOENT && strstr(err.msg, path), "a missing artifact is named");
  tap_ok(hm_artifact_digest("/", &a, &err) == -EISDIR, "a directory is not an artifact");
}

static void test_attestation(void) {
  struct hm_key *priv = NULL, *pub = NULL, *priv2 = NULL, *pub2 = NULL;
  load_pair("EC:P-256", &priv, &pub);
  load_pair("ED25519", &priv2, &pub2);
  _cleanup_free_ char *good = NULL, *other = NULL;
  size_t gl, ol;
  hm_dsse_sign_document(base_statement, strlen(base_statement), "s", priv, &good, &gl, &err);
  hm_dsse_sign_document(base_statement, strlen(base_statement), "s", priv2, &other, &ol, &err);
  char two[16384];
  snprintf(two, sizeof two, "%s\n%s", other, good);
  const struct hm_key *keys[] = {pub};
  struct hm_verify_report rep;
  tap_ok(hm_verify_attestation(two, strlen(two), "a.jsonl", keys, 1, &full, &rep, &err) == 0 && rep.verified &&
             rep.verified_index == 1 && rep.n_outcomes == 2 && !rep.outcomes[0].verified &&
             rep.outcomes[1].line == 3 && strcmp(rep.outcomes[1].keyid, hm_key_id(pub)) == 0,
         "JSON Lines: verified by its second envelope (line 3), the first one's reason kept");
  hm_verify_report_free(&rep);
  struct hm_verify_policy wrong = {.builder_id = "x"};
  tap_ok(hm_verify_attestation(two, strlen(two), "a.jsonl", keys, 1, &wrong, &rep, &err) == 0 && !rep.verified &&
             rep.n_outcomes == 2 && strstr(rep.outcomes[0].reason, "signature") && strstr(rep.outcomes[1].reason, "builder"),
         "no envelope passes: a reason for each");
  hm_verify_report_free(&rep);
  char bad[16384];
  snprintf(bad, sizeof bad, "%s{\"payload\":\"%%%%\",\"payloadType\":\"t\",\"signatures\":[]}\n", good);
  tap_ok(hm_verify_attestation(bad, strlen(bad), "a.jsonl", keys, 1, &full, &rep, &err) == -EINVAL &&
             strstr(err.msg, "a.jsonl line 2") && strstr(err.msg, "base64"),
         "a line with bad base64 makes the file unusable, named by line");
  tap_ok(hm_verify_attestation(good, gl, "a.jsonl", keys, 0, &full, &rep, &err) == -EINVAL && strstr(err.msg, "--key"),
         "no key: unusable");
  hm_key_free(priv);
  hm_key_free(pub);
  hm_key_free(priv2);
  hm_key_free(pub2);
}

int main(void) {
  test_statement();
  test_policy();
  test_hermetic();
  test_normalize();
  test_artifact();
  test_attestation();
  tap_plan(tap_count);
  return tap_exit_status(tap_count);
}
