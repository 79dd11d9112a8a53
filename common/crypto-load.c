/* The OpenSSL functions hermetic calls, forwarded to libcrypto loaded with dlopen (see
 * hm-crypto.h for why). The table's types come from OpenSSL's own declarations
 * (__typeof__), and each wrapper below is checked by the compiler against the header's
 * prototype, so a mismatch with the installed OpenSSL does not build. */
#include "hm-crypto.h"
#include "hm-dl.h"

#include <pthread.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define HM_STR_(x) #x
#define HM_STR(x) HM_STR_(x)
/* OpenSSL 3's soname follows its major version: the ABI these headers describe. */
#define LIBCRYPTO_SONAME "libcrypto.so." HM_STR(OPENSSL_VERSION_MAJOR)

#define HM_CRYPTO_FUNCS(X)                                                                     \
  X(BIO_free) X(BIO_new_mem_buf) X(BN_bin2bn) X(BN_bn2binpad) X(BN_free) X(BN_is_negative)      \
  X(BN_num_bits) X(CRYPTO_free) X(ECDSA_SIG_free) X(ECDSA_SIG_get0) X(ECDSA_SIG_new)            \
  X(ECDSA_SIG_set0) X(ERR_clear_error) X(ERR_error_string_n) X(ERR_peek_last_error)            \
  X(EVP_Digest) X(EVP_DigestFinal_ex) X(EVP_DigestInit_ex) X(EVP_DigestSign)                   \
  X(EVP_DigestSignInit_ex) X(EVP_DigestUpdate) X(EVP_DigestVerify) X(EVP_DigestVerifyInit_ex)  \
  X(EVP_MD_CTX_copy_ex) X(EVP_MD_CTX_free) X(EVP_MD_CTX_new) X(EVP_MD_fetch) X(EVP_MD_free)    \
  X(EVP_PKEY_free) X(EVP_PKEY_get0_type_name) X(EVP_PKEY_get_utf8_string_param)                 \
  X(EVP_PKEY_is_a) X(EVP_sha1) X(EVP_sha256) X(EVP_sha512) X(OPENSSL_cleanse)                   \
  X(PEM_read_bio_PUBKEY_ex) X(PEM_read_bio_PrivateKey_ex) X(d2i_ECDSA_SIG) X(i2d_ECDSA_SIG)    \
  X(i2d_PUBKEY)

static struct crypto_api {
#define X(f) __typeof__(f) *f;
  HM_CRYPTO_FUNCS(X)
#undef X
} api;
static const struct crypto_api *loaded;
static char load_error[600];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  static const struct hm_dl_sym syms[] = {
#define X(f) {#f, offsetof(struct crypto_api, f)},
      HM_CRYPTO_FUNCS(X)
#undef X
  };
  if (hm_dl_load(LIBCRYPTO_SONAME, syms, HM_ARRAY_SIZE(syms), &api, sizeof api, "OpenSSL's libcrypto", "libssl3",
                 "OpenSSL " HM_STR(OPENSSL_VERSION_MAJOR) ".x", load_error, sizeof load_error) == 0)
    loaded = &api;
}

static const struct crypto_api *crypto(void) {
  pthread_once(&once, load);
  return loaded;
}

int hm_crypto_load(hm_error *err) {
  if (crypto())
    return 0;
  return hm_error_set(err, ELIBACC, "%s", load_error);
}

/* Each wrapper: libcrypto's function, or OpenSSL's own failure value when it is absent.
 * Failures of this kind leave nothing on OpenSSL's error queue (there is none), so
 * callers' messages fall back to their own text. */
#define FWD(fail, f, ...)                                                                       \
  do {                                                                                          \
    const struct crypto_api *a_ = crypto();                                                     \
    return a_ ? a_->f(__VA_ARGS__) : (fail);                                                    \
  } while (0)
#define FWD_VOID(f, ...)                                                                        \
  do {                                                                                          \
    const struct crypto_api *a_ = crypto();                                                     \
    if (a_)                                                                                     \
      a_->f(__VA_ARGS__);                                                                       \
  } while (0)

int BIO_free(BIO *a) { FWD(0, BIO_free, a); }
BIO *BIO_new_mem_buf(const void *buf, int len) { FWD(NULL, BIO_new_mem_buf, buf, len); }
BIGNUM *BN_bin2bn(const unsigned char *s, int len, BIGNUM *ret) { FWD(NULL, BN_bin2bn, s, len, ret); }
int BN_bn2binpad(const BIGNUM *a, unsigned char *to, int tolen) { FWD(-1, BN_bn2binpad, a, to, tolen); }
void BN_free(BIGNUM *a) { FWD_VOID(BN_free, a); }
int BN_is_negative(const BIGNUM *b) { FWD(0, BN_is_negative, b); }
int BN_num_bits(const BIGNUM *a) { FWD(0, BN_num_bits, a); }
void CRYPTO_free(void *ptr, const char *file, int line) { FWD_VOID(CRYPTO_free, ptr, file, line); }
void ECDSA_SIG_free(ECDSA_SIG *sig) { FWD_VOID(ECDSA_SIG_free, sig); }
void ECDSA_SIG_get0(const ECDSA_SIG *sig, const BIGNUM **pr, const BIGNUM **ps) {
  const struct crypto_api *a = crypto();
  if (a) {
    a->ECDSA_SIG_get0(sig, pr, ps);
    return;
  }
  if (pr)
    *pr = NULL;
  if (ps)
    *ps = NULL;
}
ECDSA_SIG *ECDSA_SIG_new(void) { FWD(NULL, ECDSA_SIG_new); }
int ECDSA_SIG_set0(ECDSA_SIG *sig, BIGNUM *r, BIGNUM *s) { FWD(0, ECDSA_SIG_set0, sig, r, s); }
void ERR_clear_error(void) { FWD_VOID(ERR_clear_error); }
void ERR_error_string_n(unsigned long e, char *buf, size_t len) {
  const struct crypto_api *a = crypto();
  if (a)
    a->ERR_error_string_n(e, buf, len);
  else if (len)
    snprintf(buf, len, "%s", load_error);
}
unsigned long ERR_peek_last_error(void) { FWD(0, ERR_peek_last_error); }
int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,
               ENGINE *impl) {
  FWD(0, EVP_Digest, data, count, md, size, type, impl);
}
int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s) {
  FWD(0, EVP_DigestFinal_ex, ctx, md, s);
}
int EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl) {
  FWD(0, EVP_DigestInit_ex, ctx, type, impl);
}
int EVP_DigestSign(EVP_MD_CTX *ctx, unsigned char *sigret, size_t *siglen, const unsigned char *tbs,
                   size_t tbslen) {
  FWD(0, EVP_DigestSign, ctx, sigret, siglen, tbs, tbslen);
}
int EVP_DigestSignInit_ex(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const char *mdname, OSSL_LIB_CTX *libctx,
                          const char *props, EVP_PKEY *pkey, const OSSL_PARAM params[]) {
  FWD(0, EVP_DigestSignInit_ex, ctx, pctx, mdname, libctx, props, pkey, params);
}
int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t cnt) { FWD(0, EVP_DigestUpdate, ctx, d, cnt); }
int EVP_DigestVerify(EVP_MD_CTX *ctx, const unsigned char *sigret, size_t siglen, const unsigned char *tbs,
                     size_t tbslen) {
  /* 0 is "does not verify" and -1 "could not check": without libcrypto, the latter. */
  FWD(-1, EVP_DigestVerify, ctx, sigret, siglen, tbs, tbslen);
}
int EVP_DigestVerifyInit_ex(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const char *mdname,
                            OSSL_LIB_CTX *libctx, const char *props, EVP_PKEY *pkey,
                            const OSSL_PARAM params[]) {
  FWD(0, EVP_DigestVerifyInit_ex, ctx, pctx, mdname, libctx, props, pkey, params);
}
int EVP_MD_CTX_copy_ex(EVP_MD_CTX *out, const EVP_MD_CTX *in) { FWD(0, EVP_MD_CTX_copy_ex, out, in); }
void EVP_MD_CTX_free(EVP_MD_CTX *ctx) { FWD_VOID(EVP_MD_CTX_free, ctx); }
EVP_MD_CTX *EVP_MD_CTX_new(void) { FWD(NULL, EVP_MD_CTX_new); }
EVP_MD *EVP_MD_fetch(OSSL_LIB_CTX *ctx, const char *algorithm, const char *properties) {
  FWD(NULL, EVP_MD_fetch, ctx, algorithm, properties);
}
void EVP_MD_free(EVP_MD *md) { FWD_VOID(EVP_MD_free, md); }
void EVP_PKEY_free(EVP_PKEY *pkey) { FWD_VOID(EVP_PKEY_free, pkey); }
const char *EVP_PKEY_get0_type_name(const EVP_PKEY *key) { FWD(NULL, EVP_PKEY_get0_type_name, key); }
int EVP_PKEY_get_utf8_string_param(const EVP_PKEY *pkey, const char *key_name, char *str, size_t max_buf_sz,
                                   size_t *out_sz) {
  FWD(0, EVP_PKEY_get_utf8_string_param, pkey, key_name, str, max_buf_sz, out_sz);
}
int EVP_PKEY_is_a(const EVP_PKEY *pkey, const char *name) { FWD(0, EVP_PKEY_is_a, pkey, name); }
const EVP_MD *EVP_sha1(void) { FWD(NULL, EVP_sha1); }
const EVP_MD *EVP_sha256(void) { FWD(NULL, EVP_sha256); }
const EVP_MD *EVP_sha512(void) { FWD(NULL, EVP_sha512); }
void OPENSSL_cleanse(void *ptr, size_t len) {
  /* Secrets are wiped whether or not libcrypto is here. */
  const struct crypto_api *a = crypto();
  if (a)
    a->OPENSSL_cleanse(ptr, len);
  else
    explicit_bzero(ptr, len);
}
EVP_PKEY *PEM_read_bio_PUBKEY_ex(BIO *out, EVP_PKEY **x, pem_password_cb *cb, void *u, OSSL_LIB_CTX *libctx,
                                 const char *propq) {
  FWD(NULL, PEM_read_bio_PUBKEY_ex, out, x, cb, u, libctx, propq);
}
EVP_PKEY *PEM_read_bio_PrivateKey_ex(BIO *out, EVP_PKEY **x, pem_password_cb *cb, void *u,
                                     OSSL_LIB_CTX *libctx, const char *propq) {
  FWD(NULL, PEM_read_bio_PrivateKey_ex, out, x, cb, u, libctx, propq);
}
ECDSA_SIG *d2i_ECDSA_SIG(ECDSA_SIG **a, const unsigned char **in, long len) {
  FWD(NULL, d2i_ECDSA_SIG, a, in, len);
}
int i2d_ECDSA_SIG(const ECDSA_SIG *a, unsigned char **out) { FWD(-1, i2d_ECDSA_SIG, a, out); }
int i2d_PUBKEY(const EVP_PKEY *a, unsigned char **pp) { FWD(-1, i2d_PUBKEY, a, pp); }
