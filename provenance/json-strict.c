/* Strict JSON for untrusted attestations. json-c builds the tree, but it keeps the last
 * of two equal keys where other parsers keep the first, so an envelope or statement with
 * "subject" twice could verify here and mean something else to another verifier (the
 * classic parser-differential attack). This validator runs first: RFC 8259 grammar,
 * UTF-8 (RFC 3629: no overlongs, no surrogates), escapes with paired surrogates, bounded
 * depth, and no duplicate key in any object, compared after unescaping. Pure: no I/O. */
#include <json-c/json.h>
#include <string.h>

#include "dsse.h"

struct scan {
  const unsigned char *s;
  size_t len, pos;
  int depth;
  const char *what;
  hm_error *err;
};

/* An object key: the raw text between the quotes when it has no escape, else decoded. */
struct key_ref {
  const char *p;
  size_t n;
  char *owned;
};

__attribute__((format(printf, 2, 3))) static int fail(struct scan *sc, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return hm_error_set(sc->err, EINVAL, "%s: malformed JSON at byte %zu: %s", sc->what, sc->pos, msg);
}

static void skip_ws(struct scan *sc) {
  while (sc->pos < sc->len) {
    unsigned char c = sc->s[sc->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    sc->pos++;
  }
}

static int peek(const struct scan *sc) { return sc->pos < sc->len ? sc->s[sc->pos] : -1; }

static int hex4(struct scan *sc, unsigned *out) {
  if (sc->len - sc->pos < 4)
    return fail(sc, "truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned char c = sc->s[sc->pos + (size_t)i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return fail(sc, "bad hex digit in \\u escape");
    v = v << 4 | d;
  }
  sc->pos += 4;
  *out = v;
  return 0;
}

/* Length of the valid UTF-8 sequence starting at p (RFC 3629 table), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t avail) {
  unsigned char c = p[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F; /* no UTF-16 surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (avail < n)
    return 0;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return n;
}

static size_t utf8_put(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* One escape after the backslash; the code point in *cp. */
static int scan_escape(struct scan *sc, unsigned *cp) {
  if (sc->pos >= sc->len)
    return fail(sc, "truncated escape");
  unsigned char c = sc->s[sc->pos++];
  switch (c) {
  case '"': *cp = '"'; return 0;
  case '\\': *cp = '\\'; return 0;
  case '/': *cp = '/'; return 0;
  case 'b': *cp = '\b'; return 0;
  case 'f': *cp = '\f'; return 0;
  case 'n': *cp = '\n'; return 0;
  case 'r': *cp = '\r'; return 0;
  case 't': *cp = '\t'; return 0;
  case 'u': break;
  default: sc->pos--; return fail(sc, "unknown escape '\\%c'", c >= 0x20 && c < 0x7F ? c : '?');
  }
  unsigned v;
  int r = hex4(sc, &v);
  if (r < 0)
    return r;
  if (v >= 0xDC00 && v <= 0xDFFF)
    return fail(sc, "lone low surrogate in \\u escape");
  if (v >= 0xD800 && v <= 0xDBFF) {
    if (sc->len - sc->pos < 2 || sc->s[sc->pos] != '\\' || sc->s[sc->pos + 1] != 'u')
      return fail(sc, "lone high surrogate in \\u escape");
    sc->pos += 2;
    unsigned lo;
    if ((r = hex4(sc, &lo)) < 0)
      return r;
    if (lo < 0xDC00 || lo > 0xDFFF)
      return fail(sc, "high surrogate not followed by a low one");
    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
  }
  *cp = v;
  return 0;
}

/* A string starting at the opening quote. With key, also record its (unescaped) bytes. */
static int scan_string(struct scan *sc, struct key_ref *key) {
  sc->pos++; /* opening quote */
  size_t start = sc->pos;
  bool escaped = false;
  for (;;) {
    if (sc->pos >= sc->len)
      return fail(sc, "unterminated string");
    unsigned char c = sc->s[sc->pos];
    if (c == '"')
      break;
    if (c < 0x20)
      return fail(sc, "control character 0x%02x in a string", c);
    if (c == '\\') {
      sc->pos++;
      unsigned cp;
      int r = scan_escape(sc, &cp);
      if (r < 0)
        return r;
      escaped = true;
    } else if (c >= 0x80) {
      size_t n = utf8_seq(sc->s + sc->pos, sc->len - sc->pos);
      if (!n)
        return fail(sc, "invalid UTF-8 in a string");
      sc->pos += n;
    } else
      sc->pos++;
  }
  size_t end = sc->pos++;
  if (!key)
    return 0;
  key->p = (const char *)sc->s + start;
  key->n = end - start;
  key->owned = NULL;
  if (!escaped)
    return 0;
  /* Decode: never longer than the escaped text. */
  char *out = malloc(end - start + 1);
  if (!out)
    return hm_error_set(sc->err, ENOMEM, "%s: out of memory", sc->what);
  size_t o = 0;
  struct scan sub = *sc;
  sub.pos = start;
  while (sub.pos < end) {
    if (sub.s[sub.pos] == '\\') {
      sub.pos++;
      unsigned cp = '?';
      scan_escape(&sub, &cp); /* already validated */
      o += utf8_put(out + o, cp);
    } else
      out[o++] = (char)sub.s[sub.pos++];
  }
  key->p = key->owned = out;
  key->n = o;
  return 0;
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static int scan_number(struct scan *sc) {
  if (peek(sc) == '-')
    sc->pos++;
  if (peek(sc) == '0')
    sc->pos++;
  else if (is_digit(peek(sc)))
    while (is_digit(peek(sc)))
      sc->pos++;
  else
    return fail(sc, "expected a digit");
  if (peek(sc) == '.') {
    sc->pos++;
    if (!is_digit(peek(sc)))
      return fail(sc, "expected a digit after '.'");
    while (is_digit(peek(sc)))
      sc->pos++;
  }
  if (peek(sc) == 'e' || peek(sc) == 'E') {
    sc->pos++;
    if (peek(sc) == '+' || peek(sc) == '-')
      sc->pos++;
    if (!is_digit(peek(sc)))
      return fail(sc, "expected a digit in the exponent");
    while (is_digit(peek(sc)))
      sc->pos++;
  }
  return 0;
}

static int scan_literal(struct scan *sc, const char *word) {
  size_t n = strlen(word);
  if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
    return fail(sc, "unexpected character");
  sc->pos += n;
  return 0;
}

static int scan_value(struct scan *sc);

static int key_cmp(const void *a, const void *b) {
  const struct key_ref *x = a, *y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->p, y->p, n);
  if (c)
    return c;
  return (x->n > y->n) - (x->n < y->n);
}

static void keys_free(struct key_ref *keys, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(keys[i].owned);
  free(keys);
}

static int check_duplicates(struct scan *sc, struct key_ref *keys, size_t n, size_t obj_start) {
  if (n < 2)
    return 0;
  qsort(keys, n, sizeof *keys, key_cmp);
  for (size_t i = 1; i < n; i++)
    if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
      /* The key goes into a message for a terminal: printable ASCII only. */
      char shown[68];
      size_t k = 0;
      for (; k < keys[i].n && k < 64; k++) {
        unsigned char c = (unsigned char)keys[i].p[k];
        shown[k] = c >= 0x20 && c < 0x7F ? (char)c : '?';
      }
      if (keys[i].n > 64)
        memcpy(shown + k, "...", 3), k += 3;
      shown[k] = '\0';
      sc->pos = obj_start;
      return fail(sc, "duplicate key \"%s\" in an object", shown);
    }
  return 0;
}

static int scan_object(struct scan *sc) {
  size_t obj_start = sc->pos++;
  struct key_ref *keys = NULL;
  size_t n = 0, cap = 0;
  int r = 0;
  skip_ws(sc);
  if (peek(sc) == '}') {
    sc->pos++;
    return 0;
  }
  for (;;) {
    skip_ws(sc);
    if (peek(sc) != '"') {
      r = fail(sc, peek(sc) < 0 ? "truncated object" : "expected a string key");
      break;
    }
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      struct key_ref *nk = realloc(keys, ncap * sizeof *nk);
      if (!nk) {
        r = hm_error_set(sc->err, ENOMEM, "%s: out of memory", sc->what);
        break;
      }
      keys = nk;
      cap = ncap;
    }
    if ((r = scan_string(sc, &keys[n])) < 0)
      break;
    n++;
    skip_ws(sc);
    if (peek(sc) != ':') {
      r = fail(sc, "expected ':' after a key");
      break;
    }
    sc->pos++;
    if ((r = scan_value(sc)) < 0)
      break;
    skip_ws(sc);
    if (peek(sc) == ',') {
      sc->pos++;
      continue;
    }
    if (peek(sc) == '}') {
      sc->pos++;
      break;
    }
    r = fail(sc, peek(sc) < 0 ? "truncated object" : "expected ',' or '}' in an object");
    break;
  }
  if (r == 0) {
    size_t end = sc->pos;
    r = check_duplicates(sc, keys, n, obj_start);
    if (r == 0)
      sc->pos = end;
  }
  keys_free(keys, n);
  return r;
}

static int scan_array(struct scan *sc) {
  sc->pos++;
  skip_ws(sc);
  if (peek(sc) == ']') {
    sc->pos++;
    return 0;
  }
  for (;;) {
    int r = scan_value(sc);
    if (r < 0)
      return r;
    skip_ws(sc);
    if (peek(sc) == ',') {
      sc->pos++;
      continue;
    }
    if (peek(sc) == ']') {
      sc->pos++;
      return 0;
    }
    return fail(sc, peek(sc) < 0 ? "truncated array" : "expected ',' or ']' in an array");
  }
}

static int scan_value(struct scan *sc) {
  skip_ws(sc);
  int c = peek(sc);
  int r;
  switch (c) {
  case -1:
    return fail(sc, "unexpected end of data");
  case '{':
  case '[':
    if (++sc->depth > HM_JSON_MAX_DEPTH)
      return fail(sc, "nested deeper than %d levels", HM_JSON_MAX_DEPTH);
    r = c == '{' ? scan_object(sc) : scan_array(sc);
    sc->depth--;
    return r;
  case '"':
    return scan_string(sc, NULL);
  case 't':
    return scan_literal(sc, "true");
  case 'f':
    return scan_literal(sc, "false");
  case 'n':
    return scan_literal(sc, "null");
  default:
    if (c == '-' || is_digit(c))
      return scan_number(sc);
    return fail(sc, "unexpected character '%c'", c >= 0x20 && c < 0x7F ? c : '?');
  }
}

int hm_json_parse_strict(const char *text, size_t len, const char *what, struct json_object **out,
                         hm_error *err) {
  *out = NULL;
  if (len > HM_DSSE_MAX_FILE)
    return hm_error_set(err, EFBIG, "%s: %zu bytes of JSON, more than the limit of %u", what, len,
                        HM_DSSE_MAX_FILE);
  struct scan sc = {.s = (const unsigned char *)text, .len = len, .what = what, .err = err};
  skip_ws(&sc);
  if (sc.pos == len)
    return hm_error_set(err, EINVAL, "%s: no JSON (empty)", what);
  size_t start = sc.pos;
  int r = scan_value(&sc);
  if (r < 0)
    return r;
  size_t end = sc.pos;
  skip_ws(&sc);
  if (sc.pos != len)
    return fail(&sc, "trailing data after the JSON value");

  json_tokener *tok = json_tokener_new_ex(HM_JSON_MAX_DEPTH + 1);
  if (!tok)
    return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  json_object *obj = json_tokener_parse_ex(tok, text + start, (int)(end - start));
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  bool whole = jerr == json_tokener_success && json_tokener_get_parse_end(tok) == end - start;
  if (!obj && jerr == json_tokener_continue) { /* a bare number needs to see its end */
    obj = json_tokener_parse_ex(tok, "", 1);
    jerr = json_tokener_get_error(tok);
    whole = jerr == json_tokener_success;
  }
  /* A success without an object is the JSON literal null: *out stays NULL. */
  if (!whole) {
    json_object_put(obj);
    json_tokener_free(tok);
    return hm_error_set(err, EINVAL, "%s: malformed JSON: %s", what,
                        jerr == json_tokener_success ? "not all of it was read"
                                                     : json_tokener_error_desc(jerr));
  }
  json_tokener_free(tok);
  *out = obj;
  return 0;
}
