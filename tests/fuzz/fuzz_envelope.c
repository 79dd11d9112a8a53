/* libFuzzer targets over everything verify reads from an attacker: the attestation file
 * (JSON Lines of envelopes), base64, the statement payload and the policy evaluation.
 * FUZZ_STATEMENT selects the second target, which feeds the bytes as a signed payload
 * directly (the envelope target cannot forge signatures, so it reaches the statement
 * only through the direct call below). Invariants checked, besides memory safety:
 * serialise(parse(x)) parses to the same envelope; base64 and ECDSA DER round-trip. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "dsse.h"
#include "hm-base64.h"

/* The DSSE spec's test-vector key (corpus/envelope/spec-vector.json) and the Ed25519 key
 * that signed the other seed envelopes (its private half was not kept). */
static const char spec_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                               "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr\n"
                               "CrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==\n"
                               "-----END PUBLIC KEY-----\n";
static const char ed_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                             "MCowBQYDK2VwAyEABopKQQVA6nu/uvSQOMNEGl91mnrwlnogJXFQH9tjpTE=\n"
                             "-----END PUBLIC KEY-----\n";

/* A throwaway key that only this fuzz target uses, to sign whatever the fuzzer makes
 * and check that the result always verifies. */
static const char sign_priv[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MC4CAQAwBQYDK2VwBCIEICi2FuO2o6EU27UsHHNY3E+5Ap6mq+Fam+E+QDonteVt\n"
                                "-----END PRIVATE KEY-----\n";

static const struct hm_key *keys[2];
static struct hm_key *signer;

static const struct hm_verify_policy *policy(void) {
  static struct hm_artifact art = {.path = "dist/app.tar.gz"};
  static struct hm_verify_policy p;
  if (!art.sha256[0]) {
    memset(art.sha256, 'a', 64);
    memset(art.sha512, 'b', 128);
    p = (struct hm_verify_policy){.artifacts = &art, .n_artifacts = 1,
                                  .builder_id = "https://hermetic.dev/builders/local/v1",
                                  .source_uri = "github.com/o/r", .require_hermetic = true};
  }
  return &p;
}

static void init(void) {
  static bool done;
  if (done)
    return;
  done = true;
  struct hm_key *k;
  hm_error err;
  if (hm_key_from_pem(spec_pub, strlen(spec_pub), false, "spec", &k, &err) < 0 ||
      (keys[0] = k, hm_key_from_pem(ed_pub, strlen(ed_pub), false, "ed", &k, &err) < 0)) {
    fprintf(stderr, "fuzz init: %s\n", err.msg);
    abort();
  }
  keys[1] = k;
  if (hm_key_from_pem(sign_priv, strlen(sign_priv), true, "signer", &signer, &err) < 0) {
    fprintf(stderr, "fuzz init: %s\n", err.msg);
    abort();
  }
}

/* Whatever hm_dsse_sign_document accepts, its output parses back to as many envelopes,
 * each of which the signing key verifies. */
__attribute__((unused)) static void sign_and_check(const char *text, size_t size) {
  _cleanup_free_ char *out = NULL;
  size_t len;
  hm_error err;
  if (hm_dsse_sign_document(text, size, "fuzz", signer, &out, &len, &err) < 0)
    return;
  CHECK(len > 0 && out[len - 1] == '\n');
  struct hm_dsse_envelope **envs;
  size_t n;
  CHECK(hm_dsse_parse_envelopes(out, len, "signed", &envs, &n, &err) == 0);
  const struct hm_key *k[] = {signer};
  for (size_t i = 0; i < n; i++) {
    struct hm_verify_outcome o;
    CHECK(hm_verify_envelope(envs[i], k, 1, NULL, &o, &err) == 0);
    CHECK(o.n_checks > 0 && o.checks[0].ok && strcmp(o.keyid, hm_key_id(signer)) == 0);
    hm_verify_outcome_clear(&o);
  }
  hm_dsse_envelopes_free(envs, n);
}

static void statement(const char *type, size_t type_len, const unsigned char *payload, size_t len) {
  struct hm_verify_outcome o = {0};
  hm_error err;
  if (hm_verify_statement(type, type_len, payload, len, policy(), &o, &err) == 0) {
    CHECK(o.verified == (o.reason == NULL));
    CHECK(o.n_checks > 0);
  }
  hm_verify_outcome_clear(&o);
}

static void envelope_roundtrip(const struct hm_dsse_envelope *env) {
  _cleanup_free_ char *line = hm_dsse_envelope_serialize(env);
  CHECK(line && !strchr(line, '\n'));
  struct hm_dsse_envelope *again = NULL;
  hm_error err;
  CHECK(hm_dsse_envelope_parse(line, strlen(line), "reserialised", &again, &err) == 0);
  size_t a, b;
  const char *ta = hm_dsse_envelope_payload_type(env, &a), *tb = hm_dsse_envelope_payload_type(again, &b);
  CHECK(a == b && memcmp(ta, tb, a) == 0);
  const unsigned char *pa = hm_dsse_envelope_payload(env, &a), *pb = hm_dsse_envelope_payload(again, &b);
  CHECK(a == b && memcmp(pa, pb, a) == 0);
  size_t n = hm_dsse_envelope_n_signatures(env);
  CHECK(n == hm_dsse_envelope_n_signatures(again));
  for (size_t i = 0; i < n; i++) {
    const unsigned char *sa = hm_dsse_envelope_signature(env, i, &a), *sb = hm_dsse_envelope_signature(again, i, &b);
    CHECK(a == b && memcmp(sa, sb, a) == 0);
    const char *ka = hm_dsse_envelope_keyid(env, i), *kb = hm_dsse_envelope_keyid(again, i);
    CHECK((!ka && !kb) || (ka && kb && strcmp(ka, kb) == 0));
  }
  hm_dsse_envelope_free(again);
}

__attribute__((unused)) static void fuzz_envelopes(const char *text, size_t size) {
  struct hm_verify_report rep;
  hm_error err;
  if (hm_verify_attestation(text, size, "fuzz", keys, 2, policy(), &rep, &err) == 0) {
    CHECK(rep.n_outcomes > 0);
    hm_verify_report_free(&rep);
  }
  struct hm_dsse_envelope **envs;
  size_t n;
  if (hm_dsse_parse_envelopes(text, size, "fuzz", &envs, &n, &err) == 0) {
    for (size_t i = 0; i < n; i++) {
      size_t tl, pl;
      const char *t = hm_dsse_envelope_payload_type(envs[i], &tl);
      const unsigned char *p = hm_dsse_envelope_payload(envs[i], &pl);
      statement(t, tl, p, pl);
      envelope_roundtrip(envs[i]);
    }
    hm_dsse_envelopes_free(envs, n);
  }
}

__attribute__((unused)) static void fuzz_codecs(const char *text, size_t size) {
  size_t n;
  _cleanup_free_ unsigned char *dec = hm_base64_decode(text, size, &n);
  if (dec) {
    size_t m;
    _cleanup_free_ char *enc = hm_base64_encode(dec, n, &m);
    CHECK(enc);
    size_t k;
    _cleanup_free_ unsigned char *again = hm_base64_decode(enc, m, &k);
    CHECK(again && k == n && memcmp(again, dec, n) == 0);
  }
  for (size_t flen = 32; flen <= 48; flen += 16) {
    _cleanup_free_ unsigned char *raw = NULL;
    if (hm_ecdsa_sig_der_to_raw((const unsigned char *)text, size, flen, &raw, NULL) == 0) {
      _cleanup_free_ unsigned char *der = NULL;
      size_t der_len;
      CHECK(hm_ecdsa_sig_raw_to_der(raw, 2 * flen, &der, &der_len, NULL) == 0);
      CHECK(der_len == size && memcmp(der, text, size) == 0);
    }
  }
  _cleanup_free_ char *uri = strndup(text, size);
  if (uri) {
    _cleanup_free_ char *norm = hm_source_uri_normalize(uri);
    CHECK(norm);
    _cleanup_free_ char *twice = hm_source_uri_normalize(norm);
    (void)twice; /* not idempotent in general ("a/b.git.git"); only memory safety here */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init();
  /* A private copy without a trailing NUL, so reading past size is an ASan report. */
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
#ifdef FUZZ_STATEMENT
  statement(HM_DSSE_PAYLOAD_TYPE_INTOTO, strlen(HM_DSSE_PAYLOAD_TYPE_INTOTO), (unsigned char *)text, size);
  fuzz_codecs(text, size);
#else
  fuzz_envelopes(text, size);
  if (size <= 4096)
    sign_and_check(text, size);
#endif
  free(text);
  return 0;
}
