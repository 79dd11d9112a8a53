/* Reading one input: the file's bytes (opened without following a symlink, capped), their
 * sha256 for the record of inputs, and the reader its content calls for. Also the URL
 * rules every reader applies to what it will hand to the fetcher. */
#include "snapshot-int.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The largest lockfile seen in the wild is tens of MiB; a cap keeps a hostile input from
 * exhausting memory, and keeps the length within json-c's int. */
#define INPUT_MAX ((size_t)256 << 20)
#define URL_MAX 4096
/* Lockfiles nest packages > entry > field > array > object; 64 leaves room for any. */
#define JSON_DEPTH 64

int hm_snap_input_error(hm_error *err, const char *display, const char *where, const char *fmt,
                        va_list ap) {
  char msg[768];
  vsnprintf(msg, sizeof msg, fmt, ap);
  return hm_error_set(err, EINVAL, "%s: %s: %s", display, where, msg);
}

/* NULL when url is something the fetcher may be given, else why not. */
const char *hm_snap_url_problem(const char *url) {
  size_t skip;
  if (strncasecmp(url, "https://", 8) == 0)
    skip = 8;
  else if (strncasecmp(url, "http://", 7) == 0)
    skip = 7;
  else
    return "not an http(s) URL";
  if (strlen(url) > URL_MAX)
    return "longer than 4096 bytes";
  for (const char *p = url; *p; p++) {
    unsigned char c = (unsigned char)*p;
    /* Spaces, controls and non-ASCII are never in a URL a lockfile tool wrote; a
     * backslash is a path separator to WHATWG parsers but not to curl. */
    if (c <= 0x20 || c >= 0x7f || c == '\\')
      return "a space, control, non-ASCII or backslash character";
  }
  const char *host = url + skip;
  size_t auth = strcspn(host, "/?#");
  if (auth == 0)
    return "no host";
  if (memchr(host, '@', auth))
    return "credentials in the URL (they would be copied into the manifest)";
  if (strchr(url, '#'))
    return "a \"#\" fragment (not part of what is downloaded)";
  return NULL;
}

static int sha256_hex(const char *display, const char *data, size_t len, char out[65],
                      hm_error *err) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
    return hm_error_set(err, EIO, "%s: sha256: OpenSSL failed", display);
  hm_hex(md, 32, out);
  return 0;
}

static int parse_json(const char *display, const char *data, size_t len, json_object **out,
                      hm_error *err) {
  /* npm's reader (json-parse-even-better-errors) strips a byte order mark; so do we. */
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    len -= 3;
  }
  size_t first = 0;
  while (first < len && data[first] && strchr(" \t\r\n", data[first]))
    first++;
  if (first == len)
    return hm_error_set(err, EINVAL, "%s: empty: no JSON in it", display);
  json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
  if (!tok)
    return hm_error_set(err, ENOMEM, "%s: out of memory", display);
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  /* json-c keeps the last of two equal keys, as JSON.parse (and so npm) does: the entry
   * read here is the one npm would install. */
  json_object *root = json_tokener_parse_ex(tok, data, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  size_t end = json_tokener_get_parse_end(tok);
  json_tokener_free(tok);
  if (jerr == json_tokener_success) {
    while (end < len && data[end] && strchr(" \t\r\n", data[end]))
      end++;
    if (end == len) {
      *out = root;
      return 0;
    }
  }
  json_object_put(root);
  if (jerr == json_tokener_success)
    return hm_error_set(err, EINVAL, "%s: malformed JSON: data after the value at byte %zu",
                        display, end);
  if (jerr == json_tokener_continue)
    return hm_error_set(err, EINVAL, "%s: malformed JSON: truncated", display);
  return hm_error_set(err, EINVAL, "%s: malformed JSON at byte %zu: %s", display, end,
                      json_tokener_error_desc(jerr));
}

static int record_input(struct hm_snap_list *list, const char *display, const char *kind,
                        const char sha256[65]) {
  struct hm_snap_input *v = realloc(list->inputs, (list->n_inputs + 1) * sizeof(*v));
  if (!v)
    return -ENOMEM;
  list->inputs = v;
  struct hm_snap_input *in = &v[list->n_inputs];
  in->path = strdup(display);
  in->kind = strdup(kind);
  if (!in->path || !in->kind) {
    free(in->path);
    free(in->kind);
    return -ENOMEM;
  }
  memcpy(in->sha256, sha256, 65);
  list->n_inputs++;
  return 0;
}

int hm_snap_read_buffer(const char *display_path, const char *data, size_t len,
                        const struct hm_snap_read_opts *opts, struct hm_snap_list *list,
                        hm_error *err) {
  static const struct hm_snap_read_opts no_opts;
  if (!opts)
    opts = &no_opts;
  if (len > INPUT_MAX)
    return hm_error_set(err, EFBIG, "%s: %zu bytes, more than the limit of %zu", display_path, len,
                        INPUT_MAX);
  char sha256[65];
  int r = sha256_hex(display_path, data, len, sha256, err);
  if (r < 0)
    return r;
  json_object *root = NULL;
  r = parse_json(display_path, data, len, &root, err);
  if (r < 0)
    return r;
  const char *kind = NULL;
  if (json_object_is_type(root, json_type_object) &&
      json_object_object_get_ex(root, "lockfileVersion", NULL))
    r = hm_snap_read_npm(display_path, root, opts, list, &kind, err);
  else if (json_object_is_type(root, json_type_object) &&
           json_object_object_get_ex(root, "artifacts", NULL))
    r = hm_snap_read_deps(display_path, root, list, &kind, err);
  else
    r = hm_error_set(err, EINVAL,
                     "%s: neither an npm package-lock.json (an object with \"lockfileVersion\") "
                     "nor a hermetic-deps.json (an object with \"artifacts\")",
                     display_path);
  json_object_put(root);
  if (r < 0)
    return r;
  if (record_input(list, display_path, kind, sha256) < 0)
    return hm_error_set(err, ENOMEM, "%s: out of memory", display_path);
  return 0;
}

int hm_snap_read_input(const char *path, const struct hm_snap_read_opts *opts,
                       struct hm_snap_list *list, hm_error *err) {
  /* O_NOFOLLOW: the lockfile is the project's, which could make it a link to any file of
   * the host. O_NONBLOCK: a FIFO must not hang the open; fstat refuses it just after. */
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 && errno == ELOOP)
    return hm_error_set(err, ELOOP, "%s: is a symbolic link; name the file it points to", path);
  if (fd < 0)
    return hm_error_errno(err, errno, "opening %s", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hm_error_errno(err, errno, "%s: stat", path);
  if (!S_ISREG(st.st_mode))
    return hm_error_set(err, EINVAL, "%s: not a regular file", path);
  if ((uint64_t)st.st_size > INPUT_MAX)
    return hm_error_set(err, EFBIG, "%s: %jd bytes, more than the limit of %zu", path,
                        (intmax_t)st.st_size, INPUT_MAX);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = hm_read_fd_max(fd, INPUT_MAX, &data, &len, err);
  if (r < 0)
    return hm_error_wrap(err, "%s", path);
  return hm_snap_read_buffer(path, data, len, opts, list, err);
}
