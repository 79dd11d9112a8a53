/* provenance/dsse.c, keys.c, json-strict.c: PAE, strict JSON, envelope parsing and
 * serialising, PEM keys and keyids, the ECDSA encodings, sign/verify round trips. The
 * plan is printed at the end (TAP allows it there). */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <json-c/json.h>

#include "../unit/tap.h"
#include "dsse.h"
#include "hm-base64.h"
#include "testlib.h"

static hm_error err;

static bool has(const char *msg, const char *needle) {
  bool ok = strstr(msg, needle) != NULL;
  if (!ok)
    tap_diag("message was: %s", msg);
  return ok;
}

static bool pae_is(const char *type, const void *body, size_t body_len, const char *want, size_t want_len) {
  _cleanup_free_ unsigned char *out = NULL;
  size_t n = 0;
  return hm_dsse_pae(type, strlen(type), body, body_len, &out, &n, &err) == 0 && n == want_len &&
         memcmp(out, want, n) == 0;
}

static void test_pae(void) {
  static const char spec[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
  tap_ok(pae_is("http://example.com/HelloWorld", "hello world", 11, spec, sizeof spec - 1),
         "PAE of the spec's example");
  tap_ok(pae_is("", "", 0, "DSSEv1 0  0 ", 12), "PAE of an empty type and body: lengths 0, no padding");
  char body[100];
  memset(body, 'x', sizeof body);
  char want[200];
  int n = snprintf(want, sizeof want, "DSSEv1 10 0123456789 100 %.100s", body);
  tap_ok(pae_is("0123456789", body, 100, want, (size_t)n), "PAE lengths 10 and 100, decimal, no leading zeros");
  tap_ok(pae_is("t", "a\0b", 3, "DSSEv1 1 t 3 a\0b", 16), "PAE keeps a NUL in the body, counted in bytes");
  tap_ok(pae_is("\xc3\xa9", "", 0, "DSSEv1 2 \xc3\xa9 0 ", 14), "PAE counts the type's UTF-8 bytes, not characters");
}

static bool json_refused(const char *text, size_t len, const char *needle) {
  json_object *o = NULL;
  int r = hm_json_parse_strict(text, len, "t.json", &o, &err);
  json_object_put(o);
  return r == -EINVAL && has(err.msg, needle) && has(err.msg, "t.json");
}

static bool json_ok(const char *text) {
  json_object *o = NULL;
  int r = hm_json_parse_strict(text, strlen(text), "t.json", &o, &err);
  json_object_put(o);
  if (r < 0)
    tap_diag("%s", err.msg);
  return r == 0;
}

static void test_json(void) {
#define REFUSE(lit, needle) json_refused(lit, sizeof lit - 1, needle)
  tap_ok(REFUSE("{\"a\":1,\"a\":2}", "duplicate key \"a\""), "duplicate key refused, named");
  tap_ok(REFUSE("{\"x\":[{\"b\":1,\"c\":{},\"b\":2}]}", "duplicate key \"b\""), "nested duplicate refused");
  tap_ok(REFUSE("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\""), "duplicate after unescaping refused");
  tap_ok(REFUSE("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", "duplicate key"),
         "duplicate: surrogate pair vs UTF-8 of the same character");
  tap_ok(json_ok("{\"a\":1,\"\\u0062\":2,\"A\":3,\"a\\u0000\":4}"), "distinct keys accepted");
  tap_ok(REFUSE("{\"a\":\"\xff\"}", "UTF-8"), "invalid UTF-8 byte refused");
  tap_ok(REFUSE("{\"a\":\"\xc0\xaf\"}", "UTF-8"), "overlong UTF-8 refused");
  tap_ok(REFUSE("{\"a\":\"\xed\xa0\x80\"}", "UTF-8"), "UTF-8-encoded surrogate refused");
  tap_ok(REFUSE("{\"a\":\"\\ud800\"}", "surrogate"), "lone high surrogate escape refused");
  tap_ok(REFUSE("{\"a\":\"\\udc00x\"}", "surrogate"), "lone low surrogate escape refused");
  tap_ok(REFUSE("{\"a\":\"x\ny\"}", "control character"), "raw newline in a string refused");
  tap_ok(REFUSE("{\"a\":1}x", "trailing data"), "trailing data refused");
  tap_ok(REFUSE("{\"a\":1,}", "expected a string key"), "trailing comma refused");
  tap_ok(REFUSE("{'a':1}", "expected a string key"), "single quotes refused");
  tap_ok(REFUSE("[01]", "expected ',' or ']'"), "leading zero refused");
  tap_ok(REFUSE("{\"a\":\"x", "unterminated string"), "truncated string refused");
  tap_ok(REFUSE("{\"a\":[1,2", "truncated array"), "truncated array refused");
  tap_ok(REFUSE("  \n ", "empty"), "empty input refused");
  tap_ok(json_ok(" \r\n{\"a\":[1,-0.5e+3,true,false,null,\"\\\"\\/\\b\\f\\n\\r\\t\\u00e9\"]}\n "),
         "every JSON form accepted, whitespace around");
  char deep[300];
  for (int depth = 64; depth <= 65; depth++) {
    memset(deep, '[', (size_t)depth);
    memset(deep + depth, ']', (size_t)depth);
    deep[2 * depth] = '\0';
    json_object *o = NULL;
    int r = hm_json_parse_strict(deep, strlen(deep), "deep", &o, &err);
    json_object_put(o);
    tap_ok(depth == 64 ? r == 0 : r == -EINVAL && has(err.msg, "deeper"), "nesting depth %d %s", depth,
           depth == 64 ? "accepted" : "refused");
  }
  json_object *o = (json_object *)1;
  tap_ok(hm_json_parse_strict("null", 4, "n", &o, &err) == 0 && o == NULL, "top-level null: success, NULL object");
  tap_ok(hm_json_parse_strict("42", 2, "n", &o, &err) == 0 && json_object_get_int(o) == 42,
         "top-level number parsed to its end");
  json_object_put(o);
#undef REFUSE
}

static bool env_refused(const char *text, const char *needle) {
  struct hm_dsse_envelope *env = NULL;
  int r = hm_dsse_envelope_parse(text, strlen(text), "e.json", &env, &err);
  hm_dsse_envelope_free(env);
  return r < 0 && has(err.msg, needle) && has(err.msg, "e.json");
}

static void test_envelope_parse(void) {
  tap_ok(env_refused("{\"payloadType\":\"t\",\"signatures\":[]}", "no \"payload\" field"), "missing payload");
  tap_ok(env_refused("{\"payload\":\"\",\"signatures\":[]}", "no \"payloadType\" field"), "missing payloadType");
  tap_ok(env_refused("{\"payload\":\"\",\"payloadType\":\"t\"}", "no \"signatures\" field"), "missing signatures");
  tap_ok(env_refused("{\"payload\":\"\",\"payloadType\":7,\"signatures\":[]}",
                     "\"payloadType\" must be a string, not int"), "payloadType wrong type");
  tap_ok(env_refused("{\"payload\":null,\"payloadType\":\"t\",\"signatures\":[]}",
                     "\"payload\" must be a string"), "payload null");
  tap_ok(env_refused("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":{}}",
                     "\"signatures\" must be an array, not object"), "signatures wrong type");
  tap_ok(env_refused("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[\"x\"]}",
                     "\"signatures[0]\" must be an object"), "signature entry wrong type");
  tap_ok(env_refused("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"k\"}]}",
                     "\"signatures[0].sig\""), "signature without sig");
  tap_ok(env_refused("{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\"},{\"sig\":\"\",\"keyid\":1}]}",
                     "\"signatures[1].keyid\" must be a string"), "keyid wrong type");
  tap_ok(env_refused("{\"payload\":\"e30\",\"payloadType\":\"t\",\"payloadType\":\"u\",\"signatures\":[]}",
                     "duplicate key \"payloadType\""), "duplicate payloadType");
  tap_ok(env_refused("{\"payload\":\"e30*\",\"payloadType\":\"t\",\"signatures\":[]}",
                     "\"payload\" is not valid base64"), "payload bad base64");
  tap_ok(env_refused("{\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA=A\"}]}",
                     "\"signatures[0].sig\" is not valid base64"), "sig bad base64");
  tap_ok(env_refused("[]", "a DSSE envelope is a JSON object, not array"), "top level not an object");
  tap_ok(env_refused("{\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":[]", "truncated object"),
         "truncated envelope");

  /* URL-safe, unpadded payload; unknown fields kept; empty keyid means none. */
  static const char text[] = "{\"payload\":\"-_8\",\"payloadType\":\"a/b\",\"x-extra\":{\"k\":[1.50,\"/\"]},"
                             "\"signatures\":[{\"keyid\":\"\",\"sig\":\"AAAA\",\"note\":true}]}";
  _cleanup_envelope_ struct hm_dsse_envelope *env = NULL;
  int r = hm_dsse_envelope_parse(text, strlen(text), "e.json", &env, &err);
  size_t n = 0;
  const unsigned char *p = r == 0 ? hm_dsse_envelope_payload(env, &n) : NULL;
  tap_ok(p && n == 2 && p[0] == 0xfb && p[1] == 0xff, "URL-safe unpadded payload decoded");
  tap_ok(r == 0 && hm_dsse_envelope_n_signatures(env) == 1 && !hm_dsse_envelope_keyid(env, 0),
         "empty keyid is no keyid");
  _cleanup_free_ char *line = r == 0 ? hm_dsse_envelope_serialize(env) : NULL;
  tap_ok(line && strcmp(line, text) == 0, "serialising a parsed envelope gives it back as it was");
  if (line && strcmp(line, text))
    tap_diag("got %s", line);
}

/* An envelope line with n signatures. */
static char *envelope_with_sigs(size_t n) {
  char *s = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&s, &len);
  fputs("{\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":[", f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s{\"sig\":\"AAAA\"}", i ? "," : "");
  fputs("]}\n", f);
  fclose(f);
  return s;
}

static void test_limits(void) {
  _cleanup_free_ char *max = envelope_with_sigs(HM_DSSE_MAX_SIGNATURES);
  _cleanup_free_ char *over = envelope_with_sigs(HM_DSSE_MAX_SIGNATURES + 1);
  _cleanup_envelope_ struct hm_dsse_envelope *env = NULL;
  tap_ok(hm_dsse_envelope_parse(max, strlen(max), "m", &env, &err) == 0, "%d signatures in an envelope accepted",
         HM_DSSE_MAX_SIGNATURES);
  struct hm_dsse_envelope *e2 = NULL;
  tap_ok(hm_dsse_envelope_parse(over, strlen(over), "o", &e2, &err) == -E2BIG && has(err.msg, "more than the limit"),
         "%d signatures in an envelope refused", HM_DSSE_MAX_SIGNATURES + 1);
  size_t lines = HM_DSSE_MAX_FILE_SIGNATURES / HM_DSSE_MAX_SIGNATURES + 1, one = strlen(max);
  _cleanup_free_ char *file = malloc(lines * one + 1);
  for (size_t i = 0; i < lines; i++)
    memcpy(file + i * one, max, one);
  file[lines * one] = '\0';
  struct hm_dsse_envelope **envs = NULL;
  size_t n = 0;
  tap_ok(hm_dsse_parse_envelopes(file, lines * one, "many.jsonl", &envs, &n, &err) == -E2BIG &&
             has(err.msg, "many.jsonl line 17: more than 4096 signatures in the file"),
         "more than %d signatures in one file refused", HM_DSSE_MAX_FILE_SIGNATURES);
  tap_ok(hm_dsse_parse_envelopes(file, (lines - 1) * one, "ok.jsonl", &envs, &n, &err) == 0 && n == lines - 1,
         "exactly %d signatures in one file accepted", HM_DSSE_MAX_FILE_SIGNATURES);
  hm_dsse_envelopes_free(envs, n);
}

static char *independent_keyid(const char *pub_pem) {
  /* The PEM body is the SPKI DER: decode it without OpenSSL's help and hash it. */
  const char *b = strstr(pub_pem, "-----\n") + 6, *e = strstr(pub_pem, "\n-----END");
  char body[4096];
  size_t n = 0;
  for (const char *q = b; q < e; q++)
    if (*q != '\n')
      body[n++] = *q;
  size_t der_len;
  _cleanup_free_ unsigned char *der = hm_base64_decode(body, n, &der_len);
  unsigned char md[32];
  unsigned int ml;
  EVP_Digest(der, der_len, md, &ml, EVP_sha256(), NULL);
  char *hex = malloc(65);
  hm_hex(md, 32, hex);
  return hex;
}

static bool load_fails(const char *pem, bool private_key, const char *needle) {
  struct hm_key *k = NULL;
  int r = hm_key_from_pem(pem, strlen(pem), private_key, "k.pem", &k, &err);
  hm_key_free(k);
  return pem && r < 0 && has(err.msg, needle) && has(err.msg, "k.pem");
}

static void test_keys(void) {
  static const struct {
    const char *spec, *name;
    enum hm_key_type type;
  } types[] = {{"EC:P-256", "ecdsa-p256", HM_KEY_ECDSA_P256},
               {"EC:P-384", "ecdsa-p384", HM_KEY_ECDSA_P384},
               {"ED25519", "ed25519", HM_KEY_ED25519}};
  for (size_t i = 0; i < HM_ARRAY_SIZE(types); i++) {
    EVP_PKEY *k = gen_key(types[i].spec);
    _cleanup_free_ char *priv = to_pem(k, PEM_PKCS8);
    _cleanup_free_ char *pub = to_pem(k, PEM_PUBLIC);
    _cleanup_key_ struct hm_key *a = NULL, *b = NULL;
    bool ok = hm_key_from_pem(priv, strlen(priv), true, "p", &a, &err) == 0 &&
              hm_key_from_pem(pub, strlen(pub), false, "q", &b, &err) == 0;
    _cleanup_free_ char *want = independent_keyid(pub);
    tap_ok(ok && hm_key_get_type(a) == types[i].type && strcmp(hm_key_type_name(hm_key_get_type(b)), types[i].name) == 0,
           "%s: PKCS#8 private and SPKI public keys load", types[i].name);
    tap_ok(ok && strcmp(hm_key_id(a), want) == 0 && strcmp(hm_key_id(b), want) == 0,
           "%s: keyid = sha256(SPKI DER) for both halves", types[i].name);
    if (types[i].type != HM_KEY_ED25519) {
      _cleanup_free_ char *trad = to_pem(k, PEM_TRADITIONAL);
      _cleanup_key_ struct hm_key *c = NULL;
      tap_ok(trad && strstr(trad, "BEGIN EC PRIVATE KEY") &&
                 hm_key_from_pem(trad, strlen(trad), true, "t", &c, &err) == 0 && strcmp(hm_key_id(c), want) == 0,
             "%s: traditional 'EC PRIVATE KEY' loads", types[i].name);
      _cleanup_free_ char *enc2 = to_pem(k, PEM_ENCRYPTED_TRADITIONAL);
      tap_ok(load_fails(enc2, true, "encrypted private key"), "%s: encrypted traditional key refused",
             types[i].name);
    }
    _cleanup_free_ char *enc = to_pem(k, PEM_ENCRYPTED_PKCS8);
    tap_ok(load_fails(enc, true, "encrypted private key"), "%s: encrypted PKCS#8 key refused, not prompted",
           types[i].name);
    tap_ok(load_fails(priv, false, "holds a private key"), "%s: private key given as public: told so",
           types[i].name);
    tap_ok(load_fails(pub, true, "no PEM private key"), "%s: public key given as private: refused",
           types[i].name);
    EVP_PKEY_free(k);
  }
  static const struct {
    const char *spec, *needle;
  } unsupported[] = {{"RSA", "unsupported key type RSA"},
                     {"EC:P-521", "unsupported key type EC on curve secp521r1"},
                     {"EC:secp256k1", "unsupported key type EC on curve secp256k1"},
                     {"ED448", "unsupported key type ED448"}};
  for (size_t i = 0; i < HM_ARRAY_SIZE(unsupported); i++) {
    EVP_PKEY *k = gen_key(unsupported[i].spec);
    _cleanup_free_ char *priv = k ? to_pem(k, PEM_PKCS8) : NULL;
    _cleanup_free_ char *pub = k ? to_pem(k, PEM_PUBLIC) : NULL;
    tap_ok(load_fails(priv, true, unsupported[i].needle) && load_fails(pub, false, unsupported[i].needle),
           "%s refused as private and public key: \"%s ... in k.pem\"", unsupported[i].spec,
           unsupported[i].needle);
    EVP_PKEY_free(k);
  }
  tap_ok(load_fails("not a key\n", false, "no PEM public key"), "garbage refused");
  tap_ok(load_fails("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", false, "no PEM public key"),
         "a truncated PEM body refused");
  struct hm_key *k = NULL;
  tap_ok(hm_key_load_public("/nonexistent/k.pem", &k, &err) == -ENOENT && has(err.msg, "/nonexistent/k.pem"),
         "a missing key file is named");
}

static void test_ecdsa_encodings(void) {
  unsigned char raw[96];
  bool ok = true;
  for (int round = 0; round < 200 && ok; round++) {
    size_t flen = round % 2 ? 48 : 32;
    RAND_bytes(raw, (int)(2 * flen));
    /* Exercise DER's edge cases: leading zero bytes (shorter INTEGERs) and the high bit
     * (a 0x00 prefix in DER). */
    if (round % 5 == 0)
      memset(raw, 0, 3);
    if (round % 7 == 0)
      raw[flen] |= 0x80;
    raw[0] |= round % 3 == 0 ? 0 : 1; /* keep r non-zero most of the time */
    raw[flen + flen - 1] |= 1;
    _cleanup_free_ unsigned char *der = NULL, *back = NULL;
    size_t der_len = 0;
    ok = hm_ecdsa_sig_raw_to_der(raw, 2 * flen, &der, &der_len, &err) == 0 && der[0] == 0x30 &&
         hm_ecdsa_sig_der_to_raw(der, der_len, flen, &back, &err) == 0 && memcmp(back, raw, 2 * flen) == 0;
  }
  tap_ok(ok, "raw r||s -> DER -> raw is the identity (P-256 and P-384 sizes, edge values)");
  /* r = 1, s = 0x80: 30 07 02 01 01 02 02 00 80 */
  unsigned char small[64] = {0};
  small[31] = 1;
  small[63] = 0x80;
  _cleanup_free_ unsigned char *der = NULL;
  size_t der_len;
  static const unsigned char want[] = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80};
  tap_ok(hm_ecdsa_sig_raw_to_der(small, 64, &der, &der_len, &err) == 0 && der_len == sizeof want &&
             memcmp(der, want, sizeof want) == 0,
         "minimal DER for r=1, s=0x80 (0x00 prefix for the high bit)");
  unsigned char *out = NULL;
  static const unsigned char padded[] = {0x30, 0x08, 0x02, 0x02, 0x00, 0x01, 0x02, 0x02, 0x00, 0x80};
  tap_ok(hm_ecdsa_sig_der_to_raw(padded, sizeof padded, 32, &out, &err) < 0, "non-minimal INTEGER refused");
  unsigned char trailing[sizeof want + 1];
  memcpy(trailing, want, sizeof want);
  trailing[sizeof want] = 0;
  tap_ok(hm_ecdsa_sig_der_to_raw(trailing, sizeof trailing, 32, &out, &err) < 0, "trailing byte refused");
  static const unsigned char negative[] = {0x30, 0x06, 0x02, 0x01, 0xff, 0x02, 0x01, 0x01};
  tap_ok(hm_ecdsa_sig_der_to_raw(negative, sizeof negative, 32, &out, &err) < 0, "negative r refused");
  unsigned char big[96];
  memset(big, 0x7f, sizeof big);
  _cleanup_free_ unsigned char *der384 = NULL;
  size_t l384;
  tap_ok(hm_ecdsa_sig_raw_to_der(big, 96, &der384, &l384, &err) == 0 &&
             hm_ecdsa_sig_der_to_raw(der384, l384, 32, &out, &err) < 0 && has(err.msg, "do not fit"),
         "P-384-sized values do not fit P-256's raw form");
  tap_ok(hm_ecdsa_sig_raw_to_der(big, 65, &der384, &l384, &err) < 0, "raw of 65 bytes refused");
}

static const char statement_json[] =
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":"
    "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"}}],\"predicateType\":"
    "\"https://slsa.dev/provenance/v1\",\"predicate\":{\"runDetails\":{\"builder\":{\"id\":\"b\"}}}}\n";

static void test_round_trips(void) {
  static const char *const specs[] = {"EC:P-256", "EC:P-384", "ED25519"};
  struct hm_key *priv[3] = {0}, *pub[3] = {0};
  for (size_t i = 0; i < 3; i++) {
    bool ok = load_pair(specs[i], &priv[i], &pub[i]);
    _cleanup_envelope_ struct hm_dsse_envelope *env = NULL, *back = NULL;
    ok = ok && hm_dsse_envelope_new(HM_DSSE_PAYLOAD_TYPE_INTOTO, statement_json, strlen(statement_json), &env, &err) == 0 &&
         hm_dsse_sign(env, priv[i], &err) == 0;
    _cleanup_free_ char *line = ok ? hm_dsse_envelope_serialize(env) : NULL;
    ok = line && !strchr(line, '\n') && hm_dsse_envelope_parse(line, strlen(line), "rt", &back, &err) == 0;
    struct hm_verify_outcome o = {0};
    const struct hm_key *keys[] = {pub[i]};
    ok = ok && hm_verify_envelope(back, keys, 1, NULL, &o, &err) == 0;
    tap_ok(ok && o.verified && strcmp(o.keyid, hm_key_id(pub[i])) == 0, "%s: sign, serialise, parse, verify", specs[i]);
    hm_verify_outcome_clear(&o);
    size_t sl = 0;
    const unsigned char *sig = back ? hm_dsse_envelope_signature(back, 0, &sl) : NULL;
    if (i < 2) {
      size_t flen = i == 0 ? 32 : 48;
      _cleanup_free_ unsigned char *raw = NULL;
      tap_ok(sig && sig[0] == 0x30 && hm_ecdsa_sig_der_to_raw(sig, sl, flen, &raw, &err) == 0,
             "%s: the signature is DER", specs[i]);
      _cleanup_free_ unsigned char *pae = NULL;
      size_t pl = 0;
      hm_dsse_pae(HM_DSSE_PAYLOAD_TYPE_INTOTO, strlen(HM_DSSE_PAYLOAD_TYPE_INTOTO), statement_json,
                  strlen(statement_json), &pae, &pl, &err);
      tap_ok(raw && hm_key_verify(pub[i], pae, pl, raw, 2 * flen) == 1, "%s: the same signature as raw r||s verifies",
             specs[i]);
      if (raw)
        raw[5] ^= 1;
      tap_ok(raw && hm_key_verify(pub[i], pae, pl, raw, 2 * flen) == 0, "%s: a flipped raw bit does not", specs[i]);
    } else {
      tap_ok(sig && sl == 64, "ed25519: the signature is the raw 64 bytes");
    }
    tap_ok(back && hm_dsse_envelope_keyid(back, 0) && strcmp(hm_dsse_envelope_keyid(back, 0), hm_key_id(priv[i])) == 0,
           "%s: keyid recorded", specs[i]);
  }
  /* Wrong key; keyid as a hint only; idempotent signing; appending. */
  _cleanup_envelope_ struct hm_dsse_envelope *env = NULL;
  hm_dsse_envelope_new(HM_DSSE_PAYLOAD_TYPE_INTOTO, statement_json, strlen(statement_json), &env, &err);
  hm_dsse_sign(env, priv[0], &err);
  struct hm_verify_outcome o = {0};
  const struct hm_key *wrong[] = {pub[1], pub[2]};
  tap_ok(hm_verify_envelope(env, wrong, 2, NULL, &o, &err) == 0 && !o.verified && o.n_checks == 1 &&
             strcmp(o.checks[0].name, "signature") == 0 && has(o.reason, "verifies with the 2 keys"),
         "signed by another key: rejected at the signature check");
  hm_verify_outcome_clear(&o);
  tap_ok(hm_dsse_sign(env, priv[0], &err) == 0 && hm_dsse_envelope_n_signatures(env) == 1,
         "signing again with the same key adds nothing");
  tap_ok(hm_dsse_sign(env, priv[2], &err) == 0 && hm_dsse_sign(env, priv[1], &err) == 0 &&
             hm_dsse_envelope_n_signatures(env) == 3 &&
             strcmp(hm_dsse_envelope_keyid(env, 0), hm_key_id(pub[0])) == 0 &&
             strcmp(hm_dsse_envelope_keyid(env, 2), hm_key_id(pub[1])) == 0,
         "more keys append signatures in order");
  for (size_t i = 0; i < 3; i++) {
    const struct hm_key *one[] = {pub[i]};
    tap_ok(hm_verify_envelope(env, one, 1, NULL, &o, &err) == 0 && o.verified &&
               strcmp(o.keyid, hm_key_id(pub[i])) == 0,
           "each of the three keys alone verifies the envelope (%s)", specs[i]);
    hm_verify_outcome_clear(&o);
  }
  /* A keyid naming key B on a signature made by key A: still verified by A, never by B. */
  _cleanup_free_ char *line = hm_dsse_envelope_serialize(env);
  char *id0 = strstr(line, hm_key_id(pub[0]));
  memcpy(id0, hm_key_id(pub[2]), 64);
  _cleanup_envelope_ struct hm_dsse_envelope *lying = NULL;
  hm_dsse_envelope_parse(line, strlen(line), "lying", &lying, &err);
  const struct hm_key *both[] = {pub[2], pub[0]};
  tap_ok(lying && hm_verify_envelope(lying, both, 2, NULL, &o, &err) == 0 && o.verified,
         "a keyid naming the wrong key is only a hint");
  hm_verify_outcome_clear(&o);
  for (size_t i = 0; i < 3; i++) {
    hm_key_free(priv[i]);
    hm_key_free(pub[i]);
  }
}

static void test_sign_document(void) {
  struct hm_key *priv = NULL, *pub = NULL;
  load_pair("ED25519", &priv, &pub);
  _cleanup_free_ char *out = NULL;
  size_t len = 0;
  tap_ok(hm_dsse_sign_document(statement_json, strlen(statement_json), "s.json", priv, &out, &len, &err) == 0 &&
             len == strlen(out) && out[len - 1] == '\n' && !memchr(out, '\n', len - 1),
         "a statement becomes one signed envelope line");
  _cleanup_envelope_ struct hm_dsse_envelope *env = NULL;
  size_t pl = 0;
  const unsigned char *p = out && hm_dsse_envelope_parse(out, len, "o", &env, &err) == 0
                               ? hm_dsse_envelope_payload(env, &pl) : NULL;
  size_t tl = 0;
  tap_ok(p && pl == strlen(statement_json) && memcmp(p, statement_json, pl) == 0 &&
             strcmp(hm_dsse_envelope_payload_type(env, &tl), HM_DSSE_PAYLOAD_TYPE_INTOTO) == 0,
         "the payload is the statement's exact bytes, final newline included");
  /* Two envelopes as JSON Lines, with a blank line between: each signed again. */
  struct hm_key *priv2 = NULL, *pub2 = NULL;
  load_pair("EC:P-256", &priv2, &pub2);
  char two[8192];
  snprintf(two, sizeof two, "%s\n%s", out, out);
  _cleanup_free_ char *out2 = NULL;
  size_t len2 = 0;
  int r = hm_dsse_sign_document(two, strlen(two), "two.jsonl", priv2, &out2, &len2, &err);
  struct hm_dsse_envelope **envs = NULL;
  size_t n = 0;
  tap_ok(r == 0 && hm_dsse_parse_envelopes(out2, len2, "o2", &envs, &n, &err) == 0 && n == 2 &&
             hm_dsse_envelope_n_signatures(envs[0]) == 2 && hm_dsse_envelope_n_signatures(envs[1]) == 2 &&
             hm_dsse_envelope_line(envs[1]) == 2,
         "JSON Lines: every envelope gets the signature");
  /* The first signature's JSON value is kept exactly. */
  const char *sig0 = strstr(out, "\"sig\":\"");
  size_t sig0_len = strcspn(sig0 + 7, "\"") + 8;
  tap_ok(out2 && memmem(out2, len2, sig0, sig0_len) && strstr(out2, hm_key_id(pub2)),
         "existing signatures kept byte for byte, the new one appended");
  hm_dsse_envelopes_free(envs, n);
  _cleanup_free_ char *o3 = NULL;
  static const char neither[] = "{\"hello\":1}";
  tap_ok(hm_dsse_sign_document(neither, strlen(neither), "n.json", priv, &o3, &len, &err) < 0 &&
             has(err.msg, "neither a DSSE envelope"),
         "a JSON object that is neither is refused");
  char bad[8192];
  snprintf(bad, sizeof bad, "%s{\"payload\":\"e30=\"}\n", out);
  tap_ok(hm_dsse_sign_document(bad, strlen(bad), "b.jsonl", priv, &o3, &len, &err) < 0 &&
             has(err.msg, "b.jsonl line 2") && has(err.msg, "payloadType"),
         "JSON Lines: a bad second line is named by its number");
  tap_ok(hm_dsse_sign_document("", 0, "e.jsonl", priv, &o3, &len, &err) < 0 && has(err.msg, "empty"),
         "an empty file is refused");
  hm_key_free(priv);
  hm_key_free(pub);
  hm_key_free(priv2);
  hm_key_free(pub2);
}

int main(void) {
  test_pae();
  test_json();
  test_envelope_parse();
  test_limits();
  test_keys();
  test_ecdsa_encodings();
  test_round_trips();
  test_sign_document();
  tap_plan(tap_count);
  return tap_exit_status(tap_count);
}
