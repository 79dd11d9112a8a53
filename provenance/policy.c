/* Inputs of the verify policy: the digests of --artifact files and the normal form of
 * source URIs that --source-uri compares. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

#include "dsse.h"

static void md_ctx_freep(EVP_MD_CTX **c) { EVP_MD_CTX_free(*c); }

int hm_artifact_digest(const char *path, struct hm_artifact *out, hm_error *err) {
  memset(out, 0, sizeof *out);
  out->path = path;
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return hm_error_errno(err, errno, "opening artifact %s", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hm_error_errno(err, errno, "stat artifact %s", path);
  if (S_ISDIR(st.st_mode))
    return hm_error_set(err, EISDIR, "artifact %s is a directory, not a file", path);
  __attribute__((cleanup(md_ctx_freep))) EVP_MD_CTX *c256 = EVP_MD_CTX_new();
  __attribute__((cleanup(md_ctx_freep))) EVP_MD_CTX *c512 = EVP_MD_CTX_new();
  if (!c256 || !c512 || !EVP_DigestInit_ex(c256, EVP_sha256(), NULL) ||
      !EVP_DigestInit_ex(c512, EVP_sha512(), NULL))
    return hm_error_set(err, ENOMEM, "hashing artifact %s: out of memory", path);
  const size_t bufsize = 1 << 16;
  _cleanup_free_ unsigned char *buf = malloc(bufsize);
  if (!buf)
    return hm_error_set(err, ENOMEM, "hashing artifact %s: out of memory", path);
  for (;;) {
    ssize_t n = read(fd, buf, bufsize);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return hm_error_errno(err, errno, "reading artifact %s", path);
    }
    if (n == 0)
      break;
    if (!EVP_DigestUpdate(c256, buf, (size_t)n) || !EVP_DigestUpdate(c512, buf, (size_t)n))
      return hm_error_set(err, EIO, "hashing artifact %s", path);
  }
  unsigned char md[64];
  unsigned int len = 0;
  if (!EVP_DigestFinal_ex(c256, md, &len) || len != 32)
    return hm_error_set(err, EIO, "hashing artifact %s", path);
  hm_hex(md, 32, out->sha256);
  if (!EVP_DigestFinal_ex(c512, md, &len) || len != 64)
    return hm_error_set(err, EIO, "hashing artifact %s", path);
  hm_hex(md, 64, out->sha512);
  return 0;
}

static bool has_suffix(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

char *hm_source_uri_normalize(const char *uri) {
  const char *s = uri;
  if (strncmp(s, "git+", 4) == 0)
    s += 4;
  /* A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) before "://" (RFC 3986). */
  const char *colon = strstr(s, "://");
  if (colon) {
    bool scheme = colon > s;
    for (const char *p = s; p < colon; p++)
      if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (p > s && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))))
        scheme = false;
    if (scheme)
      s = colon + 3;
  }
  char *out = strdup(s);
  if (!out)
    return NULL;
  /* "@REF" after the path starts (an "@" before it is userinfo, "git@host"); refs may
   * themselves contain '/' ("@refs/heads/main"), so cut at the first '@' there. */
  char *slash = strchr(out, '/');
  char *at = slash ? strchr(slash, '@') : NULL;
  if (at)
    *at = '\0';
  size_t n = strlen(out);
  while (n > 0 && out[n - 1] == '/')
    n--;
  if (has_suffix(out, n, ".git"))
    n -= 4;
  while (n > 0 && out[n - 1] == '/')
    n--;
  out[n] = '\0';
  return out;
}
