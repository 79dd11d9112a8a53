/* Base64 (RFC 4648), pure: no allocation beyond the returned buffer, no side effects. */
#ifndef HM_BASE64_H
#define HM_BASE64_H

#include <stddef.h>

/* Standard alphabet with '=' padding. Returns a NUL-terminated heap string (len in
 * *out_len if non-NULL), or NULL with errno ENOMEM when it cannot be allocated. */
char *hm_base64_encode(const void *data, size_t len, size_t *out_len);

/* Decode standard ("+/") or URL-safe ("-_") base64, padded or not (DSSE allows both).
 * Refuses mixed alphabets, characters outside them, whitespace, misplaced padding and
 * non-zero trailing bits. Returns a heap buffer (NUL-terminated for convenience, the
 * NUL not counted in *out_len), or NULL with errno EINVAL (bad input) or ENOMEM. */
unsigned char *hm_base64_decode(const char *text, size_t text_len, size_t *out_len);

#endif
