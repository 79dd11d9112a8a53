/* Helpers shared by the dsse C tests: keys generated on the fly, as PEM. */
#ifndef HM_TEST_DSSE_LIB_H
#define HM_TEST_DSSE_LIB_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include "dsse.h"

static inline char *bio_text(BIO *b) {
  char *data = NULL;
  long n = BIO_get_mem_data(b, &data);
  char *s = n >= 0 ? strndup(data, (size_t)n) : NULL;
  BIO_free(b);
  return s;
}

/* "EC:P-256", "EC:P-384", "EC:P-521", "EC:secp256k1", "ED25519", "RSA" */
static inline EVP_PKEY *gen_key(const char *spec) {
  if (strncmp(spec, "EC:", 3) == 0)
    return EVP_EC_gen(spec + 3);
  if (strcmp(spec, "RSA") == 0)
    return EVP_RSA_gen(1024);
  return EVP_PKEY_Q_keygen(NULL, NULL, spec);
}

enum pem_form { PEM_PKCS8, PEM_TRADITIONAL, PEM_ENCRYPTED_PKCS8, PEM_ENCRYPTED_TRADITIONAL, PEM_PUBLIC };

static inline char *to_pem(EVP_PKEY *k, enum pem_form form) {
  BIO *b = BIO_new(BIO_s_mem());
  int ok = 0;
  switch (form) {
  case PEM_PKCS8:
    ok = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    break;
  case PEM_TRADITIONAL:
    ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
    break;
  case PEM_ENCRYPTED_PKCS8:
    ok = PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_128_cbc(), "secret", 6, NULL, NULL);
    break;
  case PEM_ENCRYPTED_TRADITIONAL:
    ok = PEM_write_bio_PrivateKey_traditional(b, k, EVP_aes_128_cbc(), (unsigned char *)"secret", 6,
                                              NULL, NULL);
    break;
  case PEM_PUBLIC:
    ok = PEM_write_bio_PUBKEY(b, k);
    break;
  }
  if (!ok) {
    BIO_free(b);
    return NULL;
  }
  return bio_text(b);
}

/* A key pair of a supported type, loaded through the library's PEM readers. */
static inline bool load_pair(const char *spec, struct hm_key **priv, struct hm_key **pub) {
  EVP_PKEY *k = gen_key(spec);
  char *a = k ? to_pem(k, PEM_PKCS8) : NULL, *b = k ? to_pem(k, PEM_PUBLIC) : NULL;
  hm_error err;
  bool ok = a && b && hm_key_from_pem(a, strlen(a), true, spec, priv, &err) == 0 &&
            hm_key_from_pem(b, strlen(b), false, spec, pub, &err) == 0;
  free(a);
  free(b);
  EVP_PKEY_free(k);
  return ok;
}

#endif
