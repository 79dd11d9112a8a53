/* The sha256sum line format (as GNU coreutils writes it) and its base64. Pure: no I/O. */
#include "digest.h"

#include <string.h>

#include "hm-base64.h"

/* Bytes written into a bounded buffer, counting what would not fit (snprintf style). */
struct sink {
  char *out;
  size_t cap, len;
};

static void sink_putc(struct sink *s, char c) {
  if (s->out && s->len + 1 < s->cap)
    s->out[s->len] = c;
  s->len++;
}

static void sink_puts(struct sink *s, const char *str) {
  for (; *str; str++)
    sink_putc(s, *str);
}

static void sink_end(struct sink *s) {
  if (s->out && s->cap > 0)
    s->out[s->len < s->cap ? s->len : s->cap - 1] = '\0';
}

/* coreutils' problematic_chars(): such names get the leading '\' and escapes. */
static bool needs_escape(const char *name) { return strpbrk(name, "\\\n\r") != NULL; }

size_t hm_sumline_format(char *out, size_t cap, unsigned algo, const unsigned char *digest,
                         const char *name) {
  struct sink s = {.out = out, .cap = cap};
  char hex[2 * HM_DIGEST_MAX_LEN + 1];
  hm_hex(digest, hm_digest_len(algo), hex);
  bool esc = needs_escape(name);
  if (esc)
    sink_putc(&s, '\\');
  sink_puts(&s, hex);
  sink_puts(&s, "  ");
  for (const char *p = name; *p; p++) {
    if (esc && *p == '\\')
      sink_puts(&s, "\\\\");
    else if (esc && *p == '\n')
      sink_puts(&s, "\\n");
    else if (esc && *p == '\r')
      sink_puts(&s, "\\r");
    else
      sink_putc(&s, *p);
  }
  sink_putc(&s, '\n');
  sink_end(&s);
  return s.len;
}

static const unsigned char *subject_digest(const struct hm_subject *s, unsigned algo) {
  return algo == HM_DIGEST_SHA512 ? s->sha512 : s->sha256;
}

char *hm_subjects_sumlines(const struct hm_subject_list *list, unsigned algo, size_t *len) {
  if (!hm_digest_algo_name(algo) || !(list->algos & algo)) {
    errno = EINVAL;
    return NULL;
  }
  size_t total = 0;
  for (size_t i = 0; i < list->n; i++)
    total += hm_sumline_format(NULL, 0, algo, subject_digest(&list->items[i], algo),
                               list->items[i].name);
  char *text = malloc(total + 1);
  if (!text) {
    errno = ENOMEM;
    return NULL;
  }
  size_t pos = 0;
  for (size_t i = 0; i < list->n; i++)
    pos += hm_sumline_format(text + pos, total + 1 - pos, algo,
                             subject_digest(&list->items[i], algo), list->items[i].name);
  text[pos] = '\0';
  if (len)
    *len = pos;
  return text;
}

char *hm_subjects_base64(const struct hm_subject_list *list, unsigned algo) {
  size_t len;
  _cleanup_free_ char *text = hm_subjects_sumlines(list, algo, &len);
  if (!text)
    return NULL;
  char *b64 = hm_base64_encode(text, len, NULL);
  if (!b64)
    errno = ENOMEM;
  return b64;
}

const char *hm_name_quote(const char *name, char *buf, size_t cap) {
  static const char hexdig[] = "0123456789abcdef";
  if (cap == 0)
    return buf;
  size_t pos = 0;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    char esc[5] = {0};
    if (*p == '\\')
      memcpy(esc, "\\\\", 2);
    else if (*p == '\n')
      memcpy(esc, "\\n", 2);
    else if (*p == '\r')
      memcpy(esc, "\\r", 2);
    else if (*p == '\t')
      memcpy(esc, "\\t", 2);
    else if (*p < 0x20 || *p == 0x7f) {
      esc[0] = '\\';
      esc[1] = 'x';
      esc[2] = hexdig[*p >> 4];
      esc[3] = hexdig[*p & 15];
    } else
      esc[0] = (char)*p;
    size_t n = strlen(esc);
    /* Keep room for "..." and the NUL. */
    if (pos + n + 4 > cap) {
      if (cap >= 4) {
        if (pos + 4 > cap)
          pos = cap - 4;
        memcpy(buf + pos, "...", 3);
        pos += 3;
      }
      break;
    }
    memcpy(buf + pos, esc, n);
    pos += n;
  }
  buf[pos < cap ? pos : cap - 1] = '\0';
  return buf;
}
