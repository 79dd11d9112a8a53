/* Signing keys through OpenSSL 3's EVP_PKEY: loading PEM, keyids, raw sign/verify over
 * bytes (the PAE), and the two ECDSA signature encodings. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "dsse.h"

#ifndef _cleanup_
#define _cleanup_(f) __attribute__((cleanup(f)))
#endif

/* A PEM key file is a few hundred bytes; anything near this is not one. */
#define KEY_FILE_MAX (1u << 20)

struct hm_key {
  EVP_PKEY *pkey;
  enum hm_key_type type;
  char keyid[65];
};

static void evp_pkey_freep(EVP_PKEY **p) { EVP_PKEY_free(*p); }
static void bio_freep(BIO **b) { BIO_free(*b); }
static void md_ctx_freep(EVP_MD_CTX **c) { EVP_MD_CTX_free(*c); }
static void ecdsa_sig_freep(ECDSA_SIG **s) { ECDSA_SIG_free(*s); }
static void openssl_freep(unsigned char **p) { OPENSSL_free(*p); }

/* The most recent OpenSSL error as text, and an empty queue afterwards. */
static const char *openssl_reason(char *buf, size_t len) {
  unsigned long e = ERR_peek_last_error();
  if (e == 0)
    snprintf(buf, len, "no detail from OpenSSL");
  else
    ERR_error_string_n(e, buf, len);
  ERR_clear_error();
  return buf;
}

void hm_key_free(struct hm_key *key) {
  if (!key)
    return;
  EVP_PKEY_free(key->pkey);
  free(key);
}

const char *hm_key_id(const struct hm_key *key) { return key->keyid; }
enum hm_key_type hm_key_get_type(const struct hm_key *key) { return key->type; }

const char *hm_key_type_name(enum hm_key_type type) {
  switch (type) {
  case HM_KEY_ECDSA_P256:
    return "ecdsa-p256";
  case HM_KEY_ECDSA_P384:
    return "ecdsa-p384";
  case HM_KEY_ED25519:
    return "ed25519";
  }
  return "unknown";
}

static size_t field_len(enum hm_key_type type) {
  return type == HM_KEY_ECDSA_P256 ? 32 : type == HM_KEY_ECDSA_P384 ? 48 : 0;
}

static const char *digest_name(enum hm_key_type type) {
  return type == HM_KEY_ECDSA_P256 ? "SHA256" : type == HM_KEY_ECDSA_P384 ? "SHA384" : NULL;
}

static int classify(EVP_PKEY *pkey, const char *name, enum hm_key_type *type, hm_error *err) {
  static const char supported[] = "supported: ECDSA P-256, ECDSA P-384, Ed25519";
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    *type = HM_KEY_ED25519;
    return 0;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[80], encoding[32] = "";
    size_t glen = 0;
    /* RFC 5480 requires the named-curve form; explicit parameters are how curve
     * spoofing works (CVE-2020-0601), so they are refused even when OpenSSL recognises
     * them as a named curve. */
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof encoding, &glen) &&
        strcmp(encoding, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 0)
      return hm_error_set(err, EOPNOTSUPP,
                          "unsupported key type EC with explicit curve parameters in %s (%s; "
                          "RFC 5480 requires a named curve)",
                          name, supported);
    ERR_clear_error();
    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen)) {
      ERR_clear_error();
      return hm_error_set(err, EOPNOTSUPP,
                          "unsupported key type EC with explicit curve parameters in %s (%s)", name,
                          supported);
    }
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
      *type = HM_KEY_ECDSA_P256;
      return 0;
    }
    if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
      *type = HM_KEY_ECDSA_P384;
      return 0;
    }
    return hm_error_set(err, EOPNOTSUPP, "unsupported key type EC on curve %s in %s (%s)", group,
                        name, supported);
  }
  const char *tn = EVP_PKEY_get0_type_name(pkey);
  return hm_error_set(err, EOPNOTSUPP, "unsupported key type %s in %s (%s)", tn ? tn : "(unknown)",
                      name, supported);
}

/* keyid: lowercase hex sha256 of the SubjectPublicKeyInfo DER (what securesystemslib and
 * cosign compute from the same bytes, so ids are comparable across tools). */
static int compute_keyid(EVP_PKEY *pkey, char out[65], const char *name, hm_error *err) {
  _cleanup_(openssl_freep) unsigned char *der = NULL;
  int n = i2d_PUBKEY(pkey, &der);
  if (n <= 0) {
    char buf[256];
    return hm_error_set(err, EINVAL, "encoding the public key of %s: %s", name,
                        openssl_reason(buf, sizeof buf));
  }
  unsigned char md[32];
  unsigned int mdlen = 0;
  if (!EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof md) {
    ERR_clear_error();
    return hm_error_set(err, EIO, "hashing the public key of %s", name);
  }
  hm_hex(md, sizeof md, out);
  return 0;
}

/* OpenSSL asks for a passphrase only for an encrypted key: note it and refuse, so that
 * nothing ever prompts on a terminal in the middle of a CI job. */
static int refuse_passphrase(char *buf, int size, int rwflag, void *u) {
  *(bool *)u = true;
  return -1;
}

int hm_key_from_pem(const char *pem, size_t len, bool private_key, const char *name,
                    struct hm_key **out, hm_error *err) {
  *out = NULL;
  if (len > KEY_FILE_MAX || len > INT32_MAX)
    return hm_error_set(err, EFBIG, "%s: too large for a PEM key", name);
  _cleanup_(bio_freep) BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio)
    return hm_error_set(err, ENOMEM, "reading %s: out of memory", name);
  bool asked = false;
  _cleanup_(evp_pkey_freep) EVP_PKEY *pkey = NULL;
  if (private_key)
    pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, refuse_passphrase, &asked, NULL, NULL);
  else
    pkey = PEM_read_bio_PUBKEY_ex(bio, NULL, refuse_passphrase, &asked, NULL, NULL);
  bool encrypted = asked || memmem(pem, len, "ENCRYPTED", 9) != NULL;
  if (!pkey) {
    char buf[256];
    openssl_reason(buf, sizeof buf);
    if (private_key && encrypted)
      return hm_error_set(err, EINVAL,
                          "%s is an encrypted private key; hermetic does not prompt for "
                          "passphrases: decrypt it first (openssl pkey -in %s -out plain.pem)",
                          name, name);
    if (private_key)
      return hm_error_set(err, EINVAL,
                          "no PEM private key in %s (expected 'PRIVATE KEY' or 'EC PRIVATE KEY'): %s",
                          name, buf);
    if (memmem(pem, len, "PRIVATE KEY-----", 16))
      return hm_error_set(err, EINVAL,
                          "%s holds a private key; give its public key (openssl pkey -in %s -pubout)",
                          name, name);
    return hm_error_set(err, EINVAL, "no PEM public key in %s (expected 'PUBLIC KEY'): %s", name, buf);
  }
  ERR_clear_error();
  _cleanup_free_ struct hm_key *key = calloc(1, sizeof *key);
  if (!key)
    return hm_error_set(err, ENOMEM, "loading %s: out of memory", name);
  int r = classify(pkey, name, &key->type, err);
  if (r < 0)
    return r;
  if ((r = compute_keyid(pkey, key->keyid, name, err)) < 0)
    return r;
  key->pkey = steal_pointer(&pkey);
  *out = steal_pointer(&key);
  return 0;
}

static int load(const char *path, bool private_key, struct hm_key **out, hm_error *err) {
  char *pem = NULL;
  size_t len = 0;
  int r = hm_dsse_read_file(path, KEY_FILE_MAX, &pem, &len, err);
  if (r < 0)
    return r;
  r = hm_key_from_pem(pem, len, private_key, path, out, err);
  OPENSSL_cleanse(pem, len);
  free(pem);
  return r;
}

int hm_key_load_private(const char *path, struct hm_key **out, hm_error *err) {
  return load(path, true, out, err);
}

int hm_key_load_public(const char *path, struct hm_key **out, hm_error *err) {
  return load(path, false, out, err);
}

int hm_key_sign(const struct hm_key *key, const void *msg, size_t len, unsigned char **sig,
                size_t *sig_len, hm_error *err) {
  char buf[256];
  _cleanup_(md_ctx_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx)
    return hm_error_set(err, ENOMEM, "signing: out of memory");
  /* Ed25519 is pure: no digest name, OpenSSL hashes the message itself (RFC 8032). */
  if (EVP_DigestSignInit_ex(ctx, NULL, digest_name(key->type), NULL, NULL, key->pkey, NULL) != 1)
    return hm_error_set(err, EINVAL, "signing with key %s: %s (is it a private key?)", key->keyid,
                        openssl_reason(buf, sizeof buf));
  size_t n = 0;
  if (EVP_DigestSign(ctx, NULL, &n, msg, len) != 1)
    return hm_error_set(err, EIO, "signing with key %s: %s", key->keyid, openssl_reason(buf, sizeof buf));
  _cleanup_free_ unsigned char *out = malloc(n ? n : 1);
  if (!out)
    return hm_error_set(err, ENOMEM, "signing: out of memory");
  if (EVP_DigestSign(ctx, out, &n, msg, len) != 1)
    return hm_error_set(err, EIO, "signing with key %s: %s", key->keyid, openssl_reason(buf, sizeof buf));
  *sig = steal_pointer(&out);
  *sig_len = n;
  return 0;
}

static int verify_encoded(const struct hm_key *key, const void *msg, size_t len,
                          const unsigned char *sig, size_t sig_len) {
  _cleanup_(md_ctx_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx)
    return -ENOMEM;
  int ok = EVP_DigestVerifyInit_ex(ctx, NULL, digest_name(key->type), NULL, NULL, key->pkey, NULL) == 1 &&
           EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
  ERR_clear_error();
  return ok ? 1 : 0;
}

int hm_key_verify(const struct hm_key *key, const void *msg, size_t len, const unsigned char *sig,
                  size_t sig_len) {
  if (key->type == HM_KEY_ED25519)
    return sig_len == 64 ? verify_encoded(key, msg, len, sig, sig_len) : 0;
  /* ECDSA: DER (what OpenSSL, cosign and securesystemslib write), or raw r||s (the DSSE
   * spec's own test vector, and Web Crypto). A 64- or 96-byte string could be read
   * either way; trying both accepts nothing a forger could not already produce. */
  if (sig_len > 0 && sig[0] == 0x30) {
    int r = verify_encoded(key, msg, len, sig, sig_len);
    if (r != 0)
      return r;
  }
  if (sig_len != 2 * field_len(key->type))
    return 0;
  _cleanup_free_ unsigned char *der = NULL;
  size_t der_len = 0;
  int r = hm_ecdsa_sig_raw_to_der(sig, sig_len, &der, &der_len, NULL);
  if (r < 0)
    return r == -ENOMEM ? r : 0;
  return verify_encoded(key, msg, len, der, der_len);
}

int hm_ecdsa_sig_raw_to_der(const unsigned char *raw, size_t raw_len, unsigned char **der,
                            size_t *der_len, hm_error *err) {
  if (raw_len != 64 && raw_len != 96)
    return hm_error_set(err, EINVAL, "a raw ECDSA signature is 64 (P-256) or 96 (P-384) bytes, not %zu",
                        raw_len);
  size_t half = raw_len / 2;
  _cleanup_(ecdsa_sig_freep) ECDSA_SIG *s = ECDSA_SIG_new();
  BIGNUM *br = BN_bin2bn(raw, (int)half, NULL);
  BIGNUM *bs = BN_bin2bn(raw + half, (int)half, NULL);
  if (!s || !br || !bs || ECDSA_SIG_set0(s, br, bs) != 1) {
    BN_free(br);
    BN_free(bs);
    ERR_clear_error();
    return hm_error_set(err, ENOMEM, "converting an ECDSA signature: out of memory");
  }
  _cleanup_(openssl_freep) unsigned char *enc = NULL;
  int n = i2d_ECDSA_SIG(s, &enc);
  if (n <= 0) {
    ERR_clear_error();
    return hm_error_set(err, ENOMEM, "encoding an ECDSA signature: out of memory");
  }
  unsigned char *out = malloc((size_t)n);
  if (!out)
    return hm_error_set(err, ENOMEM, "converting an ECDSA signature: out of memory");
  memcpy(out, enc, (size_t)n);
  *der = out;
  *der_len = (size_t)n;
  return 0;
}

int hm_ecdsa_sig_der_to_raw(const unsigned char *der, size_t der_len, size_t flen,
                            unsigned char **raw, hm_error *err) {
  if (flen != 32 && flen != 48)
    return hm_error_set(err, EINVAL, "ECDSA field size %zu: expected 32 or 48", flen);
  if (der_len > 1024)
    return hm_error_set(err, EINVAL, "not a DER ECDSA signature (%zu bytes)", der_len);
  const unsigned char *p = der;
  _cleanup_(ecdsa_sig_freep) ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
  if (!s || p != der + der_len) {
    ERR_clear_error();
    return hm_error_set(err, EINVAL, "not a DER ECDSA signature");
  }
  /* Only the canonical encoding: re-encoding must give the same bytes. */
  _cleanup_(openssl_freep) unsigned char *enc = NULL;
  int n = i2d_ECDSA_SIG(s, &enc);
  if (n <= 0 || (size_t)n != der_len || memcmp(enc, der, der_len) != 0) {
    ERR_clear_error();
    return hm_error_set(err, EINVAL, "not a canonical DER ECDSA signature");
  }
  const BIGNUM *r = NULL, *sv = NULL;
  ECDSA_SIG_get0(s, &r, &sv);
  if (BN_is_negative(r) || BN_is_negative(sv) || BN_num_bytes(r) > (int)flen ||
      BN_num_bytes(sv) > (int)flen)
    return hm_error_set(err, EINVAL, "ECDSA signature values do not fit %zu bytes", flen);
  _cleanup_free_ unsigned char *out = malloc(2 * flen);
  if (!out)
    return hm_error_set(err, ENOMEM, "converting an ECDSA signature: out of memory");
  if (BN_bn2binpad(r, out, (int)flen) != (int)flen || BN_bn2binpad(sv, out + flen, (int)flen) != (int)flen) {
    ERR_clear_error();
    return hm_error_set(err, EINVAL, "ECDSA signature values do not fit %zu bytes", flen);
  }
  *raw = steal_pointer(&out);
  return 0;
}
