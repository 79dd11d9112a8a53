/* common/base64.c: RFC 4648 section 10 vectors, the URL-safe alphabet, unpadded input,
 * and every malformed input the decoder must refuse. */
#include <errno.h>
#include <string.h>

#include "../unit/tap.h"
#include "hm-base64.h"
#include "hm-util.h"

static bool decodes_to(const char *text, const char *want, size_t want_len) {
  size_t n = 12345;
  _cleanup_free_ unsigned char *out = hm_base64_decode(text, strlen(text), &n);
  return out && n == want_len && memcmp(out, want, n) == 0 && out[n] == '\0';
}

static bool refused(const char *text, size_t len) {
  errno = 0;
  size_t n;
  unsigned char *out = hm_base64_decode(text, len, &n);
  free(out);
  return !out && errno == EINVAL;
}

int main(void) {
  static const struct {
    const char *plain, *b64, *unpadded;
  } rfc[] = {
      {"", "", ""},           {"f", "Zg==", "Zg"},         {"fo", "Zm8=", "Zm8"},
      {"foo", "Zm9v", "Zm9v"}, {"foob", "Zm9vYg==", "Zm9vYg"}, {"fooba", "Zm9vYmE=", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
  };
  static const char *const bad[] = {
      "Zg=",      /* padding that does not complete a group */
      "Zg===",    /* three pad characters */
      "Z===",     /* */
      "Zm9v=",    /* padding after a full group */
      "Zm8==",    /* */
      "====",     /* only padding */
      "=",        /* */
      "Z",        /* one character: 6 bits cannot be a byte */
      "Zm9vY",    /* 4k+1 characters */
      "Zg=a",     /* padding in the middle */
      "Z=g=",     /* */
      "Zm 9v",    /* whitespace */
      "Zm9v\n",   /* trailing newline */
      "Zm9*",     /* outside both alphabets */
      "Zm9v.A==", /* */
      "+_8=",     /* mixed alphabets: '+' standard, '_' URL-safe */
      "-/8=",     /* */
      "Zh==",     /* non-canonical: 'h' leaves non-zero trailing bits */
      "Zm9=",     /* non-canonical: '9' leaves non-zero trailing bits */
      "Zm9",      /* the same, unpadded */
  };
  int planned = (int)(HM_ARRAY_SIZE(rfc) * 3 + HM_ARRAY_SIZE(bad)) + 8;
  tap_plan(planned);

  for (size_t i = 0; i < HM_ARRAY_SIZE(rfc); i++) {
    size_t len = 99;
    _cleanup_free_ char *enc = hm_base64_encode(rfc[i].plain, strlen(rfc[i].plain), &len);
    tap_ok(enc && strcmp(enc, rfc[i].b64) == 0 && len == strlen(rfc[i].b64),
           "RFC 4648 section 10: BASE64(\"%s\") = \"%s\"", rfc[i].plain, rfc[i].b64);
    tap_ok(decodes_to(rfc[i].b64, rfc[i].plain, strlen(rfc[i].plain)), "decode \"%s\"", rfc[i].b64);
    tap_ok(decodes_to(rfc[i].unpadded, rfc[i].plain, strlen(rfc[i].plain)), "decode unpadded \"%s\"",
           rfc[i].unpadded);
  }
  for (size_t i = 0; i < HM_ARRAY_SIZE(bad); i++) {
    char shown[32];
    snprintf(shown, sizeof shown, "%s", bad[i]);
    for (char *p = shown; *p; p++)
      if (*p == '\n')
        *p = '~';
    tap_ok(refused(bad[i], strlen(bad[i])), "refuse \"%s\"", shown);
  }

  /* 0xfb 0xff uses both alphabet-specific characters. */
  const char fbff[] = "\xfb\xff";
  _cleanup_free_ char *std = hm_base64_encode(fbff, 2, NULL);
  tap_ok(std && strcmp(std, "+/8=") == 0, "0xfbff encodes with the standard alphabet: +/8=");
  tap_ok(decodes_to("-_8=", fbff, 2) && decodes_to("-_8", fbff, 2), "URL-safe -_8= and -_8 decode");
  tap_ok(decodes_to("+/8", fbff, 2), "standard unpadded +/8 decodes");
  tap_ok(refused("Zm9v\0Zg==", 9), "an embedded NUL is refused");

  /* Every byte value, every length 0..66, both alphabets, padded and not. */
  unsigned char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  bool ok = true;
  for (size_t len = 0; len <= 66 && ok; len++) {
    const unsigned char *src = all + (len * 7) % 190;
    _cleanup_free_ char *e = hm_base64_encode(src, len, NULL);
    size_t n;
    _cleanup_free_ unsigned char *d = e ? hm_base64_decode(e, strlen(e), &n) : NULL;
    ok = d && n == len && memcmp(d, src, len) == 0;
    for (char *p = e; ok && *p; p++)
      *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    size_t el = e ? strlen(e) : 0;
    while (ok && el && e[el - 1] == '=')
      e[--el] = '\0';
    _cleanup_free_ unsigned char *u = ok ? hm_base64_decode(e, el, &n) : NULL;
    ok = ok && u && n == len && memcmp(u, src, len) == 0;
  }
  tap_ok(ok, "round trip of lengths 0..66, standard and URL-safe unpadded");
  _cleanup_free_ char *big = hm_base64_encode(all, 256, NULL);
  tap_ok(big && strlen(big) == 344, "256 bytes encode to 344 characters");
  errno = 0;
  tap_ok(hm_base64_encode(all, SIZE_MAX - 1, NULL) == NULL, "a length that would overflow is refused");
  size_t n;
  _cleanup_free_ unsigned char *empty = hm_base64_decode("", 0, &n);
  tap_ok(empty && n == 0, "the empty string decodes to nothing");
  return tap_exit_status(planned);
}
