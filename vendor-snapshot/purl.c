/* npm package names and their package URLs. Pure: no I/O.
 * Names follow validate-npm-package-name: an optional "@scope/", then characters that
 * encodeURIComponent leaves alone, at most 214 of them. Legacy names may hold capitals
 * and "~'!()*", so those pass; nothing that could step out of a path or URL does. */
#include "snapshot-int.h"

#include <string.h>

#define NPM_NAME_MAX 214

static bool npm_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         strchr("-._~!*'()", c) != NULL;
}

/* One part of a name (the scope without its "@", or the package). */
static const char *npm_part_problem(const char *s, size_t n) {
  if (n == 0)
    return "an empty part";
  if (s[0] == '.')
    return "a part that starts with '.'";
  for (size_t i = 0; i < n; i++)
    if (!npm_name_char(s[i]))
      return s[i] == '/' ? "a '/' outside \"@scope/name\""
                         : "a character npm does not allow (only letters, digits and -._~!*'())";
  return NULL;
}

/* NULL when name is an npm package name, else why not. */
const char *hm_snap_npm_name_problem(const char *name) {
  size_t len = strlen(name);
  if (len == 0)
    return "an empty name";
  if (len > NPM_NAME_MAX)
    return "longer than 214 characters";
  if (name[0] != '@') {
    if (name[0] == '_')
      return "a name that starts with '_'";
    return npm_part_problem(name, len);
  }
  const char *slash = strchr(name, '/');
  if (!slash)
    return "a scope without a \"/name\"";
  const char *why = npm_part_problem(name + 1, (size_t)(slash - name - 1));
  return why ? why : npm_part_problem(slash + 1, strlen(slash + 1));
}

/* purl-spec: every character outside the RFC 3986 unreserved set is percent-encoded. */
static bool purl_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

static char *purl_encode_into(char *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (purl_unreserved((char)c)) {
      *out++ = (char)c;
    } else {
      *out++ = '%';
      *out++ = hex[c >> 4];
      *out++ = hex[c & 15];
    }
  }
  return out;
}

char *hm_snap_npm_purl(const char *name, const char *version) {
  if (hm_snap_npm_name_problem(name)) {
    errno = EINVAL;
    return NULL;
  }
  size_t vlen = version ? strlen(version) : 0;
  /* "pkg:npm/" + every byte encoded (3x) + "@" + NUL */
  char *purl = malloc(8 + 3 * (strlen(name) + vlen) + 2);
  if (!purl)
    return NULL;
  char *p = stpcpy(purl, "pkg:npm/");
  const char *slash = name[0] == '@' ? strchr(name, '/') : NULL;
  if (slash) {
    /* The scope is the purl namespace, its "@" encoded like any other reserved byte. */
    _cleanup_free_ char *scope = strndup(name, (size_t)(slash - name));
    if (!scope) {
      free(purl);
      return NULL;
    }
    p = purl_encode_into(p, scope);
    *p++ = '/';
    name = slash + 1;
  }
  p = purl_encode_into(p, name);
  if (version) {
    *p++ = '@';
    p = purl_encode_into(p, version);
  }
  *p = '\0';
  return purl;
}
