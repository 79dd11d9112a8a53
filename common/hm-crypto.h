/* libcrypto, loaded on first use rather than linked. Linked (even statically), its
 * ~18,000 relocations dirtied 89 pages before main() in every hermetic process: 1.8 ms of
 * `hermetic run`'s start-up, which never calls it (bench/RESULTS.md). Code keeps calling
 * OpenSSL by its own names: common/crypto-load.c defines the functions hermetic uses and
 * forwards them to libcrypto.so.<major> opened with dlopen. Until it is loaded, or when it
 * cannot be, those functions fail the way OpenSSL reports failure (NULL, 0 or -1), so no
 * caller proceeds on a missing library. */
#ifndef HM_CRYPTO_H
#define HM_CRYPTO_H

#include "hm-util.h"

/* Load libcrypto once (thread-safe); later calls return the same result. 0, or -ELIBACC
 * with err naming the library, why it failed and the package to install. Commands call
 * this before their work so that the reason reaches the user rather than a bare
 * "EVP_DigestInit failed". */
int hm_crypto_load(hm_error *err);

#endif
