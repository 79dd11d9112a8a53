/* Inputs of the verify policy: the digests of --artifact files and the normal form of
 * source URIs that --source-uri compares. */
#include <fcntl.h>
#include <string.h>

#include "digest.h"
#include "dsse.h"

int hm_artifact_digest(const char *path, struct hm_artifact *out, hm_error *err) {
  memset(out, 0, sizeof *out);
  out->path = path;
  struct hm_digest_job job = {.path = path, .fd = -1};
  int r = hm_digest_files(AT_FDCWD, &job, 1, HM_DIGEST_ALL, 0, err);
  if (r < 0)
    return hm_error_wrap(err, "hashing artifact %s", path);
  if (job.error) {
    r = hm_error_set(err, job.error, "opening artifact %s: %s", path,
                     job.message ? job.message : strerror(job.error));
    hm_digest_jobs_clear(&job, 1);
    return r;
  }
  hm_hex(job.sha256, HM_SHA256_LEN, out->sha256);
  hm_hex(job.sha512, HM_SHA512_LEN, out->sha512);
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
