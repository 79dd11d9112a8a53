/* The DSSE specification's test vector (protocol.md; ../shared/fixtures/dsse/README.md):
 * its PAE bytes, its envelope verifying with its key (a raw r||s ECDSA P-256 signature),
 * and no single flipped byte of payload, payloadType or sig verifying. */
#include <string.h>
#include <sys/stat.h>

#include "../unit/tap.h"
#include "dsse.h"
#include "hm-base64.h"

static hm_error err;

static char *fixture(const char *dir, const char *name, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char *text = NULL;
  if (hm_dsse_read_file(path, 1 << 20, &text, len, &err) < 0) {
    tap_diag("%s", err.msg);
    return NULL;
  }
  return text;
}

/* Verify (type, payload, sig) with key through the library's PAE. */
static bool verifies(const struct hm_key *key, const char *type, size_t tl, const unsigned char *p, size_t pl,
                     const unsigned char *sig, size_t sl) {
  _cleanup_free_ unsigned char *pae = NULL;
  size_t n;
  return hm_dsse_pae(type, tl, p, pl, &pae, &n, &err) == 0 && hm_key_verify(key, pae, n, sig, sl) == 1;
}

int main(void) {
  const char *dir = getenv("HM_DSSE_FIXTURES");
  struct stat st;
  if (!dir || stat(dir, &st) < 0)
    tap_skip_all("the DSSE spec fixtures (%s) are absent", dir ? dir : "$HM_DSSE_FIXTURES unset");
  tap_plan(9);

  size_t pae_len, env_len, pem_len;
  _cleanup_free_ char *pae_want = fixture(dir, "spec-vector.pae.bin", &pae_len);
  _cleanup_free_ char *env_text = fixture(dir, "spec-vector.envelope.json", &env_len);
  _cleanup_free_ char *pem = fixture(dir, "spec-vector.pub.pem", &pem_len);
  _cleanup_free_ unsigned char *pae = NULL;
  size_t n = 0;
  hm_dsse_pae("http://example.com/HelloWorld", 29, "hello world", 11, &pae, &n, &err);
  tap_ok(pae_want && n == pae_len && memcmp(pae, pae_want, n) == 0, "PAE equals spec-vector.pae.bin");

  _cleanup_key_ struct hm_key *key = NULL;
  _cleanup_envelope_ struct hm_dsse_envelope *env = NULL;
  bool loaded = pem && env_text && hm_key_from_pem(pem, pem_len, false, "spec-vector.pub.pem", &key, &err) == 0 &&
                hm_dsse_envelope_parse(env_text, env_len, "spec-vector.envelope.json", &env, &err) == 0;
  if (!loaded)
    tap_diag("%s", err.msg);
  tap_ok(loaded && hm_key_get_type(key) == HM_KEY_ECDSA_P256, "the envelope parses and the key is ECDSA P-256");
  if (!loaded)
    return tap_exit_status(9);

  size_t tl, pl, sl;
  const char *type = hm_dsse_envelope_payload_type(env, &tl);
  const unsigned char *payload = hm_dsse_envelope_payload(env, &pl);
  const unsigned char *sig = hm_dsse_envelope_signature(env, 0, &sl);
  tap_ok(sl == 64 && sig[0] != 0x30, "its signature is raw r||s, 64 bytes");

  const struct hm_key *keys[] = {key};
  struct hm_verify_outcome o = {0};
  tap_ok(hm_verify_envelope(env, keys, 1, NULL, &o, &err) == 0 && o.n_checks >= 1 && o.checks[0].ok &&
             strcmp(o.keyid, hm_key_id(key)) == 0,
         "the spec's envelope verifies with the spec's key");
  tap_ok(!o.verified && o.reason && strstr(o.reason, "payloadType is http://example.com/HelloWorld"),
         "and is then rejected as an attestation: its payloadType is not in-toto");
  hm_verify_outcome_clear(&o);

  unsigned char *p2 = malloc(pl), *s2 = malloc(sl);
  char *t2 = malloc(tl);
  bool any = false;
  for (size_t i = 0; i < pl; i++) {
    memcpy(p2, payload, pl);
    p2[i] ^= 0x01;
    any |= verifies(key, type, tl, p2, pl, sig, sl);
  }
  tap_ok(!any, "no payload with one flipped byte verifies (%zu tried)", pl);
  any = false;
  for (size_t i = 0; i < tl; i++) {
    memcpy(t2, type, tl);
    t2[i] ^= 0x01;
    any |= verifies(key, t2, tl, payload, pl, sig, sl);
  }
  tap_ok(!any, "no payloadType with one flipped byte verifies (%zu tried)", tl);
  any = false;
  for (size_t i = 0; i < sl; i++) {
    memcpy(s2, sig, sl);
    s2[i] ^= 0x80;
    any |= verifies(key, type, tl, payload, pl, s2, sl);
  }
  tap_ok(!any, "no sig with one flipped byte verifies (%zu tried)", sl);
  /* The same signature as DER verifies as well. */
  _cleanup_free_ unsigned char *der = NULL;
  size_t dl;
  tap_ok(hm_ecdsa_sig_raw_to_der(sig, sl, &der, &dl, &err) == 0 && verifies(key, type, tl, payload, pl, der, dl),
         "the signature converted to DER verifies too");
  free(p2);
  free(s2);
  free(t2);
  return tap_exit_status(9);
}
