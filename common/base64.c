/* Base64 per RFC 4648 sections 4 (standard) and 5 (URL-safe). */
#include "hm-base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static const char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *hm_base64_encode(const void *data, size_t len, size_t *out_len) {
  const unsigned char *in = data;
  if (len > (SIZE_MAX - 1) / 4 * 3 - 3) {
    errno = ENOMEM; /* the output could not be allocated anyway */
    return NULL;
  }
  size_t n = (len + 2) / 3 * 4;
  char *out = malloc(n + 1);
  if (!out)
    return NULL;
  size_t o = 0, i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = std_alphabet[v >> 18];
    out[o++] = std_alphabet[(v >> 12) & 63];
    out[o++] = std_alphabet[(v >> 6) & 63];
    out[o++] = std_alphabet[v & 63];
  }
  if (len - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = std_alphabet[v >> 18];
    out[o++] = std_alphabet[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (len - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = std_alphabet[v >> 18];
    out[o++] = std_alphabet[(v >> 12) & 63];
    out[o++] = std_alphabet[(v >> 6) & 63];
    out[o++] = '=';
  }
  out[o] = '\0';
  if (out_len)
    *out_len = o;
  return out;
}

/* 0..63, or -1 for a character outside both alphabets. *kind: 1 standard-only ("+/"),
 * 2 URL-safe-only ("-_"), 0 shared. */
static int sextet(unsigned char c, int *kind) {
  *kind = 0;
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  switch (c) {
  case '+': *kind = 1; return 62;
  case '/': *kind = 1; return 63;
  case '-': *kind = 2; return 62;
  case '_': *kind = 2; return 63;
  default: return -1;
  }
}

unsigned char *hm_base64_decode(const char *text, size_t text_len, size_t *out_len) {
  size_t n = text_len;
  size_t pad = 0;
  while (n > 0 && text[n - 1] == '=' && pad < 2) {
    n--;
    pad++;
  }
  /* Padding, when present, must complete a 4-character group. */
  if (pad && (n + pad) % 4 != 0)
    goto bad;
  if (n % 4 == 1)
    goto bad;
  unsigned char *out = malloc(n / 4 * 3 + 3);
  if (!out)
    return NULL;
  int alphabet = 0;
  uint32_t acc = 0;
  size_t bits = 0, o = 0;
  for (size_t i = 0; i < n; i++) {
    int kind;
    int v = sextet((unsigned char)text[i], &kind);
    if (v < 0 || (kind && alphabet && kind != alphabet)) {
      free(out);
      goto bad;
    }
    if (kind)
      alphabet = kind;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  /* Leftover bits must be zero (canonical encoding), as RFC 4648 section 3.5 allows
   * decoders to require. */
  if (acc != 0) {
    free(out);
    goto bad;
  }
  out[o] = '\0';
  if (out_len)
    *out_len = o;
  return out;
bad:
  errno = EINVAL;
  return NULL;
}
