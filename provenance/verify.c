/* Verifying attestations: a DSSE signature by one of the given keys, then the in-toto
 * Statement v1 / SLSA provenance v1 it signs, then the caller's policy. The statement is
 * parsed from exactly the payload bytes whose signature verified, never from anything
 * else (the envelope is not parsed again after the signature check). */
#include <json-c/json.h>
#include <stdarg.h>
#include <string.h>

#include "dsse.h"

void hm_verify_outcome_clear(struct hm_verify_outcome *o) {
  for (size_t i = 0; i < o->n_checks; i++)
    free(o->checks[i].detail);
  free(o->checks);
  json_object_put(o->statement);
  memset(o, 0, sizeof *o);
}

void hm_verify_report_free(struct hm_verify_report *report) {
  for (size_t i = 0; i < report->n_outcomes; i++)
    hm_verify_outcome_clear(&report->outcomes[i]);
  free(report->outcomes);
  memset(report, 0, sizeof *report);
}

/* Record a check; the first failing one becomes the reason. */
__attribute__((format(printf, 4, 5))) static int add_check(struct hm_verify_outcome *o,
                                                           const char *name, bool ok,
                                                           const char *fmt, ...) {
  struct hm_verify_check *nc = realloc(o->checks, (o->n_checks + 1) * sizeof *nc);
  if (!nc)
    return -ENOMEM;
  o->checks = nc;
  char *detail = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&detail, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -ENOMEM;
  o->checks[o->n_checks++] = (struct hm_verify_check){.name = name, .ok = ok, .detail = detail};
  if (!ok && !o->reason)
    o->reason = detail;
  return 0;
}

/* Member lookups through nested objects: get(root, "a", "b", NULL) is root.a.b, or NULL
 * when a step is missing or not an object. */
static json_object *get(json_object *o, ...) {
  va_list ap;
  va_start(ap, o);
  const char *key;
  while (o && (key = va_arg(ap, const char *))) {
    json_object *next = NULL;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &next))
      next = NULL;
    o = next;
  }
  va_end(ap);
  return o;
}

/* The string value of v when it is a string without a NUL inside (a NUL would let
 * "…/v1\0junk" compare equal to ".../v1" as a C string), else NULL. */
static const char *str(json_object *v) {
  if (!json_object_is_type(v, json_type_string))
    return NULL;
  const char *s = json_object_get_string(v);
  if (strlen(s) != (size_t)json_object_get_string_len(v))
    return NULL;
  return s;
}

static bool str_is(json_object *v, const char *want) {
  const char *s = str(v);
  return s && strcmp(s, want) == 0;
}

/* s for a message on a terminal: printable ASCII (no escape sequences from an
 * attacker's statement), cut to fit, "..." when anything was cut. */
static const char *printable(const char *s, size_t slen, char *buf, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < slen && n + 4 < len; i++)
    buf[n++] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
  buf[n] = '\0';
  if (n < slen)
    snprintf(buf + n, len - n, "...");
  return buf;
}

/* A short, printable rendering of a found value for messages. */
static const char *shown(json_object *v, char *buf, size_t len) {
  if (!v)
    return "missing";
  if (json_object_is_type(v, json_type_string)) {
    const char *s = json_object_get_string(v);
    /* Stop at a NUL inside and mark the cut. */
    size_t n = strlen(s);
    printable(s, n, buf, len);
    if (n != (size_t)json_object_get_string_len(v) && !strstr(buf, "..."))
      snprintf(buf + strlen(buf), len - strlen(buf), "...");
    return buf;
  }
  snprintf(buf, len, "a JSON %s", json_type_to_name(json_object_get_type(v)));
  return buf;
}

static size_t expected_hex_len(const char *algo) {
  static const struct {
    const char *name;
    size_t len;
  } known[] = {{"sha1", 40}, {"sha224", 56}, {"sha256", 64}, {"sha384", 96}, {"sha512", 128},
               {"sha3_256", 64}, {"sha3_384", 96}, {"sha3_512", 128}, {"gitCommit", 0}};
  for (size_t i = 0; i < HM_ARRAY_SIZE(known); i++)
    if (strcmp(algo, known[i].name) == 0)
      return known[i].len;
  return 0;
}

/* A DigestSet (in-toto ResourceDescriptor.digest): a non-empty object whose values are
 * lowercase hex of the algorithm's length. On failure, why in buf. */
static bool digest_set_ok(json_object *d, char *why, size_t len) {
  if (!json_object_is_type(d, json_type_object)) {
    snprintf(why, len, "digest is %s, not an object", d ? json_type_to_name(json_object_get_type(d)) : "missing");
    return false;
  }
  if (json_object_object_length(d) == 0) {
    snprintf(why, len, "digest is empty");
    return false;
  }
  json_object_object_foreach(d, algo, val) {
    const char *hex = str(val);
    size_t want = expected_hex_len(algo);
    if (!hex || !hm_is_lower_hex(hex, strlen(hex)) || (want && strlen(hex) != want)) {
      char name[48];
      snprintf(why, len, "digest \"%s\" is not %s lowercase hex", printable(algo, strlen(algo), name, sizeof name),
               want ? "full-length" : "non-empty");
      return false;
    }
  }
  return true;
}

/* Statement v1 subjects: a non-empty array of {name: string, digest: DigestSet}. */
static bool subjects_ok(json_object *subjects, char *why, size_t len) {
  if (!json_object_is_type(subjects, json_type_array)) {
    snprintf(why, len, "\"subject\" is %s, not an array",
             subjects ? json_type_to_name(json_object_get_type(subjects)) : "missing");
    return false;
  }
  size_t n = json_object_array_length(subjects);
  if (n == 0) {
    snprintf(why, len, "\"subject\" is empty");
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    json_object *s = json_object_array_get_idx(subjects, i);
    char inner[160];
    if (!json_object_is_type(s, json_type_object)) {
      snprintf(why, len, "subject[%zu] is not an object", i);
      return false;
    }
    if (!str(get(s, "name", NULL))) {
      snprintf(why, len, "subject[%zu] has no string \"name\"", i);
      return false;
    }
    if (!digest_set_ok(get(s, "digest", NULL), inner, sizeof inner)) {
      snprintf(why, len, "subject[%zu]: %s", i, inner);
      return false;
    }
  }
  return true;
}

/* ---- policy ---------------------------------------------------------------------------- */

/* A subject matches an artifact when it has a sha256 or sha512 and every one it has
 * equals the artifact's. */
static json_object *matching_subject(json_object *subjects, const struct hm_artifact *a) {
  size_t n = json_object_array_length(subjects);
  for (size_t i = 0; i < n; i++) {
    json_object *s = json_object_array_get_idx(subjects, i);
    json_object *d256 = get(s, "digest", "sha256", NULL), *d512 = get(s, "digest", "sha512", NULL);
    if (!d256 && !d512)
      continue;
    if (d256 && !str_is(d256, a->sha256))
      continue;
    if (d512 && !str_is(d512, a->sha512))
      continue;
    return s;
  }
  return NULL;
}

static int check_artifacts(json_object *subjects, const struct hm_verify_policy *p,
                           struct hm_verify_outcome *o) {
  for (size_t i = 0; i < p->n_artifacts; i++) {
    const struct hm_artifact *a = &p->artifacts[i];
    json_object *s = matching_subject(subjects, a);
    char buf[200];
    int r = s ? add_check(o, "artifact", true, "artifact %s matches subject %s", a->path,
                          shown(get(s, "name", NULL), buf, sizeof buf))
              : add_check(o, "artifact", false, "artifact %s (sha256 %s) matches no subject", a->path,
                          a->sha256);
    if (r < 0)
      return r;
  }
  return 0;
}

static int check_builder_id(json_object *st, const char *want, struct hm_verify_outcome *o) {
  json_object *v = get(st, "predicate", "runDetails", "builder", "id", NULL);
  char buf[300];
  if (str_is(v, want))
    return add_check(o, "builder-id", true, "builder id is %s", want);
  return add_check(o, "builder-id", false,
                   "predicate.runDetails.builder.id is %s, expected %s (--builder-id)",
                   shown(v, buf, sizeof buf), want);
}

static int check_source_uri(json_object *st, const char *want, struct hm_verify_outcome *o) {
  json_object *v = get(st, "predicate", "buildDefinition", "externalParameters", "source", "uri", NULL);
  const char *got = str(v);
  char buf[300];
  if (!got)
    return add_check(o, "source-uri", false,
                     "predicate.buildDefinition.externalParameters.source.uri is %s, expected %s "
                     "(--source-uri)",
                     shown(v, buf, sizeof buf), want);
  _cleanup_free_ char *a = hm_source_uri_normalize(got);
  _cleanup_free_ char *b = hm_source_uri_normalize(want);
  if (!a || !b)
    return -ENOMEM;
  if (strcmp(a, b) == 0)
    return add_check(o, "source-uri", true, "source %s matches %s", shown(v, buf, sizeof buf), want);
  char norm[300];
  return add_check(o, "source-uri", false,
                   "source uri %s (%s) does not match --source-uri %s (%s)", shown(v, buf, sizeof buf),
                   printable(a, strlen(a), norm, sizeof norm), want, b);
}

static int check_dependencies(json_object *deps, struct hm_verify_outcome *o) {
  const char *name = "hermetic:resolvedDependencies";
  if (!deps)
    return add_check(o, name, true, "no resolvedDependencies (nothing unpinned)");
  if (!json_object_is_type(deps, json_type_array))
    return add_check(o, name, false, "predicate.buildDefinition.resolvedDependencies is not an array");
  size_t n = json_object_array_length(deps);
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(deps, i);
    char why[200], buf[200];
    if (!digest_set_ok(get(d, "digest", NULL), why, sizeof why))
      return add_check(o, name, false, "resolvedDependencies[%zu] (%s) is not pinned: %s", i,
                       shown(get(d, "uri", NULL), buf, sizeof buf), why);
  }
  return add_check(o, name, true, "all %zu resolvedDependencies pinned by digest", n);
}

/* --require-hermetic: our buildType and the sandbox's isolation claim; every condition
 * that fails is reported under its own name. */
static int check_hermetic(json_object *st, struct hm_verify_outcome *o) {
  json_object *bd = get(st, "predicate", "buildDefinition", NULL);
  json_object *bt = get(bd, "buildType", NULL);
  char buf[300];
  int r = str_is(bt, HM_BUILDTYPE_SANDBOXED_V1)
              ? add_check(o, "hermetic:buildType", true, "buildType is %s", HM_BUILDTYPE_SANDBOXED_V1)
              : add_check(o, "hermetic:buildType", false, "buildType is %s, expected %s",
                          shown(bt, buf, sizeof buf), HM_BUILDTYPE_SANDBOXED_V1);
  if (r < 0)
    return r;
  json_object *iso = get(bd, "internalParameters", "isolation", NULL);
  if (!json_object_is_type(iso, json_type_object)) {
    r = add_check(o, "hermetic:isolation", false,
                  "predicate.buildDefinition.internalParameters.isolation is %s, expected the "
                  "sandbox's isolation report",
                  iso ? "not an object" : "missing");
  } else {
    json_object *net = get(iso, "network", "policy", NULL);
    json_object *ns = get(iso, "namespaces", "net", NULL);
    json_object *mode = get(iso, "seccomp", "mode", NULL);
    json_object *prof = get(iso, "seccomp", "profile", NULL);
    bool ns_ok = json_object_is_type(ns, json_type_boolean) && json_object_get_boolean(ns);
    bool prof_ok = str_is(prof, "default") || str_is(prof, "strict");
    if ((r = add_check(o, "hermetic:network", str_is(net, "none"), "isolation.network.policy is %s%s",
                       shown(net, buf, sizeof buf), str_is(net, "none") ? "" : ", expected \"none\"")) < 0 ||
        (r = add_check(o, "hermetic:namespaces.net", ns_ok, "isolation.namespaces.net is %s%s",
                       ns_ok ? "true" : shown(ns, buf, sizeof buf), ns_ok ? "" : ", expected true")) < 0 ||
        (r = add_check(o, "hermetic:seccomp.mode", str_is(mode, "enforce"),
                       "isolation.seccomp.mode is %s%s", shown(mode, buf, sizeof buf),
                       str_is(mode, "enforce") ? "" : ", expected \"enforce\"")) < 0 ||
        (r = add_check(o, "hermetic:seccomp.profile", prof_ok, "isolation.seccomp.profile is %s%s",
                       shown(prof, buf, sizeof buf), prof_ok ? "" : ", expected \"default\" or \"strict\"")) < 0)
      return r;
  }
  if (r < 0)
    return r;
  return check_dependencies(get(bd, "resolvedDependencies", NULL), o);
}

static int check_policy(json_object *st, const struct hm_verify_policy *p, struct hm_verify_outcome *o) {
  int r = 0;
  if (!p)
    return 0;
  if (p->n_artifacts && (r = check_artifacts(o->subjects, p, o)) < 0)
    return r;
  if (p->builder_id && (r = check_builder_id(st, p->builder_id, o)) < 0)
    return r;
  if (p->source_uri && (r = check_source_uri(st, p->source_uri, o)) < 0)
    return r;
  if (p->require_hermetic && (r = check_hermetic(st, o)) < 0)
    return r;
  return 0;
}

/* ---- statement ------------------------------------------------------------------------- */

static int nomem(hm_error *err) { return hm_error_set(err, ENOMEM, "verifying: out of memory"); }

int hm_verify_statement(const char *payload_type, size_t type_len, const unsigned char *payload,
                        size_t payload_len, const struct hm_verify_policy *policy,
                        struct hm_verify_outcome *o, hm_error *err) {
  static const char want_type[] = HM_DSSE_PAYLOAD_TYPE_INTOTO;
  o->verified = false;
  if (type_len != strlen(want_type) || memcmp(payload_type, want_type, type_len) != 0) {
    json_object *t = json_object_new_string_len(payload_type, (int)(type_len > 4096 ? 4096 : type_len));
    char buf[300];
    int r = add_check(o, "payloadType", false, "payloadType is %s, expected %s",
                      t ? shown(t, buf, sizeof buf) : "?", want_type);
    json_object_put(t);
    return r < 0 ? nomem(err) : 0;
  }
  if (add_check(o, "payloadType", true, "%s", want_type) < 0)
    return nomem(err);

  json_object *st = NULL;
  hm_error perr = {0};
  int r = hm_json_parse_strict((const char *)payload, payload_len, "payload", &st, &perr);
  if (r == -ENOMEM)
    return nomem(err);
  if (r < 0 || !json_object_is_type(st, json_type_object)) {
    json_object_put(st);
    return add_check(o, "statement", false, "the signed payload is not a JSON object: %s",
                     r < 0 ? perr.msg : "another JSON value") < 0 ? nomem(err) : 0;
  }
  o->statement = st;
  char buf[300];
  if (add_check(o, "statement", true, "payload is a JSON object") < 0)
    return nomem(err);

  json_object *t = get(st, "_type", NULL);
  if (!str_is(t, HM_INTOTO_STATEMENT_V1))
    return add_check(o, "_type", false, "_type is %s, expected %s", shown(t, buf, sizeof buf),
                     HM_INTOTO_STATEMENT_V1) < 0 ? nomem(err) : 0;
  if (add_check(o, "_type", true, "%s", HM_INTOTO_STATEMENT_V1) < 0)
    return nomem(err);

  json_object *pt = get(st, "predicateType", NULL);
  json_object *pred = get(st, "predicate", NULL);
  if (!str_is(pt, HM_SLSA_PROVENANCE_V1))
    return add_check(o, "predicateType", false, "predicateType is %s, expected %s",
                     shown(pt, buf, sizeof buf), HM_SLSA_PROVENANCE_V1) < 0 ? nomem(err) : 0;
  if (!json_object_is_type(pred, json_type_object))
    return add_check(o, "predicateType", false, "predicate is %s, expected an object",
                     pred ? json_type_to_name(json_object_get_type(pred)) : "missing") < 0 ? nomem(err) : 0;
  if (add_check(o, "predicateType", true, "%s", HM_SLSA_PROVENANCE_V1) < 0)
    return nomem(err);

  json_object *subjects = get(st, "subject", NULL);
  char why[300];
  if (!subjects_ok(subjects, why, sizeof why))
    return add_check(o, "subjects", false, "%s", why) < 0 ? nomem(err) : 0;
  o->subjects = subjects;
  o->builder_id = str(get(pred, "runDetails", "builder", "id", NULL));
  o->build_type = str(get(pred, "buildDefinition", "buildType", NULL));
  size_t n = json_object_array_length(subjects);
  if (add_check(o, "subjects", true, "%zu subject%s", n, n == 1 ? "" : "s") < 0)
    return nomem(err);

  if (check_policy(st, policy, o) < 0)
    return nomem(err);
  o->verified = o->reason == NULL;
  return 0;
}

/* ---- signatures ------------------------------------------------------------------------ */

/* Which key verifies signature i: the one its keyid names first (a hint, never trusted
 * on its own), then every other. */
static int find_signer(const struct hm_dsse_envelope *env, size_t i, const unsigned char *pae,
                       size_t pae_len, const struct hm_key *const *keys, size_t n_keys,
                       const struct hm_key **signer) {
  size_t sig_len;
  const unsigned char *sig = hm_dsse_envelope_signature(env, i, &sig_len);
  const char *hint = hm_dsse_envelope_keyid(env, i);
  size_t first = n_keys;
  for (size_t k = 0; hint && k < n_keys; k++)
    if (strcmp(hint, hm_key_id(keys[k])) == 0) {
      first = k;
      break;
    }
  for (size_t step = 0; step <= n_keys; step++) {
    size_t k = step == 0 ? first : step - 1;
    if (k >= n_keys || (step > 0 && k == first))
      continue;
    int r = hm_key_verify(keys[k], pae, pae_len, sig, sig_len);
    if (r < 0)
      return r;
    if (r == 1) {
      *signer = keys[k];
      return 1;
    }
  }
  return 0;
}

int hm_verify_envelope(const struct hm_dsse_envelope *env, const struct hm_key *const *keys,
                       size_t n_keys, const struct hm_verify_policy *policy,
                       struct hm_verify_outcome *o, hm_error *err) {
  memset(o, 0, sizeof *o);
  o->line = hm_dsse_envelope_line(env);
  if (n_keys == 0)
    return hm_error_set(err, EINVAL, "no public key to verify with (give --key PUB.pem)");
  size_t type_len, payload_len;
  const char *type = hm_dsse_envelope_payload_type(env, &type_len);
  const unsigned char *payload = hm_dsse_envelope_payload(env, &payload_len);
  size_t n_sigs = hm_dsse_envelope_n_signatures(env);
  if (n_sigs == 0)
    return add_check(o, "signature", false, "the envelope has no signatures (unsigned)") < 0 ? nomem(err) : 0;

  _cleanup_free_ unsigned char *pae = NULL;
  size_t pae_len;
  int r = hm_dsse_pae(type, type_len, payload, payload_len, &pae, &pae_len, err);
  if (r < 0)
    return r;
  const struct hm_key *signer = NULL;
  size_t i;
  for (i = 0; i < n_sigs && !signer; i++)
    if ((r = find_signer(env, i, pae, pae_len, keys, n_keys, &signer)) < 0)
      return nomem(err);
  if (!signer)
    return add_check(o, "signature", false, "none of the envelope's %zu signature%s verifies with the %zu key%s given",
                     n_sigs, n_sigs == 1 ? "" : "s", n_keys, n_keys == 1 ? "" : "s") < 0
               ? nomem(err)
               : 0;
  snprintf(o->keyid, sizeof o->keyid, "%s", hm_key_id(signer));
  if (add_check(o, "signature", true, "signature %zu verifies with %s key %s", i - 1,
                hm_key_type_name(hm_key_get_type(signer)), o->keyid) < 0)
    return nomem(err);
  /* From here on only the bytes the signature covers. */
  return hm_verify_statement(type, type_len, payload, payload_len, policy, o, err);
}

int hm_verify_attestation(const char *text, size_t len, const char *name,
                          const struct hm_key *const *keys, size_t n_keys,
                          const struct hm_verify_policy *policy, struct hm_verify_report *report,
                          hm_error *err) {
  memset(report, 0, sizeof *report);
  if (n_keys == 0)
    return hm_error_set(err, EINVAL, "no public key to verify with (give --key PUB.pem)");
  struct hm_dsse_envelope **envs = NULL;
  size_t n = 0;
  int r = hm_dsse_parse_envelopes(text, len, name, &envs, &n, err);
  if (r < 0)
    return r;
  report->outcomes = calloc(n, sizeof *report->outcomes);
  if (!report->outcomes) {
    hm_dsse_envelopes_free(envs, n);
    return nomem(err);
  }
  for (size_t i = 0; i < n; i++) {
    r = hm_verify_envelope(envs[i], keys, n_keys, policy, &report->outcomes[i], err);
    report->n_outcomes = i + 1;
    if (r < 0)
      break;
    if (report->outcomes[i].verified && !report->verified) {
      report->verified = true;
      report->verified_index = i;
    }
  }
  hm_dsse_envelopes_free(envs, n);
  if (r < 0)
    hm_verify_report_free(report);
  return r;
}
