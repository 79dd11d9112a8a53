/* Subject pinning (--expect FILE): sha256sum-format pins, parsed strictly, and the check
 * of a subject list against them. Parsing and checking are pure; only hm_pins_load reads. */
#include "digest.h"

#include <string.h>

void hm_pin_list_free(struct hm_pin_list *pins) {
  if (!pins)
    return;
  for (size_t i = 0; i < pins->n; i++)
    free(pins->items[i].name);
  free(pins->items);
  free(pins->source);
  memset(pins, 0, sizeof *pins);
}

void hm_pin_report_free(struct hm_pin_report *report) {
  if (!report)
    return;
  free(report->items);
  memset(report, 0, sizeof *report);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* coreutils' filename_unescape(): "\\\\", "\\n" and "\\r" only. Returns the heap name,
 * NULL with *bad set on a bad escape. */
static char *unescape(const char *s, size_t len, bool escaped, bool *bad) {
  char *name = malloc(len + 1), *d = name;
  *bad = false;
  if (!name)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    if (!escaped || s[i] != '\\') {
      *d++ = s[i];
      continue;
    }
    char c = i + 1 < len ? s[++i] : '\0';
    if (c == '\\')
      *d++ = '\\';
    else if (c == 'n')
      *d++ = '\n';
    else if (c == 'r')
      *d++ = '\r';
    else {
      free(name);
      *bad = true;
      return NULL;
    }
  }
  *d = '\0';
  return name;
}

#define FORMAT_HINT "expected '<hex>  <name>' or '<hex> *<name>' (sha256sum output)"

/* One non-blank line into pin; errors name source:lineno. */
static int parse_line(const char *line, size_t len, const char *source, size_t lineno,
                      struct hm_pin *pin, hm_error *err) {
  if (memchr(line, '\0', len))
    return hm_error_set(err, EINVAL, "%s:%zu: the line has a NUL byte", source, lineno);
  size_t pos = 0;
  bool escaped = line[0] == '\\';
  pos += escaped;
  size_t nhex = 0;
  while (pos + nhex < len && hexval(line[pos + nhex]) >= 0)
    nhex++;
  if (nhex != 2 * HM_SHA256_LEN && nhex != 2 * HM_SHA512_LEN)
    return hm_error_set(err, EINVAL,
                        "%s:%zu: no sha256 or sha512 digest (64 or 128 hex digits) at the start of "
                        "the line; " FORMAT_HINT,
                        source, lineno);
  const char *hex = line + pos;
  pos += nhex;
  if (pos + 2 >= len || line[pos] != ' ' || (line[pos + 1] != ' ' && line[pos + 1] != '*'))
    return hm_error_set(err, EINVAL, "%s:%zu: " FORMAT_HINT, source, lineno);
  pos += 2;
  bool bad;
  pin->name = unescape(line + pos, len - pos, escaped, &bad);
  if (bad)
    return hm_error_set(err, EINVAL,
                        "%s:%zu: bad escape in the file name (only \\\\, \\n and \\r are allowed "
                        "after a leading backslash)",
                        source, lineno);
  if (!pin->name)
    return hm_error_set(err, ENOMEM, "%s:%zu: out of memory", source, lineno);
  pin->algo = nhex == 2 * HM_SHA256_LEN ? HM_DIGEST_SHA256 : HM_DIGEST_SHA512;
  for (size_t i = 0; i < nhex / 2; i++)
    pin->digest[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
  pin->line = lineno;
  return 0;
}

static int cmp_pin(const void *a, const void *b) {
  const struct hm_pin *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c)
    return c;
  if (x->algo != y->algo)
    return x->algo < y->algo ? -1 : 1;
  return (x->line > y->line) - (x->line < y->line);
}

int hm_pins_parse(const char *text, size_t len, const char *source, struct hm_pin_list *out,
                  hm_error *err) {
  memset(out, 0, sizeof *out);
  struct hm_pin_list pins = {0};
  size_t cap = 0;
  int r = 0;
  if (!(pins.source = strdup(source))) {
    r = hm_error_set(err, ENOMEM, "%s: out of memory", source);
    goto fail;
  }
  size_t lineno = 0;
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    const char *line = text + pos;
    size_t llen = end - pos;
    pos = nl ? end + 1 : len;
    lineno++;
    if (llen > 0 && line[llen - 1] == '\r')
      llen--;
    if (llen == 0 || line[0] == '#')
      continue;
    if (pins.n == cap) {
      cap = cap ? cap * 2 : 16;
      struct hm_pin *items = realloc(pins.items, cap * sizeof *items);
      if (!items) {
        r = hm_error_set(err, ENOMEM, "%s: out of memory", source);
        goto fail;
      }
      pins.items = items;
    }
    struct hm_pin *pin = &pins.items[pins.n];
    memset(pin, 0, sizeof *pin);
    r = parse_line(line, llen, source, lineno, pin, err);
    if (r < 0)
      goto fail;
    pins.algos |= pin->algo;
    pins.n++;
  }
  if (pins.n > 1)
    qsort(pins.items, pins.n, sizeof *pins.items, cmp_pin);
  for (size_t i = 1; i < pins.n; i++) {
    const struct hm_pin *a = &pins.items[i - 1], *b = &pins.items[i];
    if (a->algo == b->algo && strcmp(a->name, b->name) == 0) {
      char q[512];
      r = hm_error_set(err, EINVAL, "%s:%zu: a second %s pin for '%s' (the first is on line %zu)",
                       source, b->line, hm_digest_algo_name(b->algo),
                       hm_name_quote(b->name, q, sizeof q), a->line);
      goto fail;
    }
  }
  *out = pins;
  return 0;
fail:
  hm_pin_list_free(&pins);
  return r;
}

int hm_pins_load(const char *path, struct hm_pin_list *out, hm_error *err) {
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = hm_read_file(path, &text, &len, err);
  if (r < 0)
    return r;
  return hm_pins_parse(text, len, path, out, err);
}

static const unsigned char *digest_of(const struct hm_subject *s, unsigned algo) {
  return algo == HM_DIGEST_SHA512 ? s->sha512 : s->sha256;
}

static int push_issue(struct hm_pin_report *r, size_t *cap, struct hm_pin_issue issue) {
  if (r->n == *cap) {
    *cap = *cap ? *cap * 2 : 8;
    struct hm_pin_issue *items = realloc(r->items, *cap * sizeof *items);
    if (!items)
      return -ENOMEM;
    r->items = items;
  }
  r->items[r->n++] = issue;
  return 0;
}

static int cmp_issue_line(const void *a, const void *b) {
  const struct hm_pin_issue *x = a, *y = b;
  return (x->line > y->line) - (x->line < y->line);
}

int hm_pins_check(const struct hm_subject_list *subjects, const struct hm_pin_list *pins,
                  struct hm_pin_report *out, hm_error *err) {
  memset(out, 0, sizeof *out);
  for (size_t j = 0; j < pins->n; j++)
    if (!(subjects->algos & pins->items[j].algo))
      return hm_error_set(err, EINVAL,
                          "%s:%zu: a %s pin, but the subjects were digested without %s",
                          pins->source, pins->items[j].line,
                          hm_digest_algo_name(pins->items[j].algo),
                          hm_digest_algo_name(pins->items[j].algo));
  struct hm_pin_report rep = {0}, stray = {0};
  size_t cap = 0, stray_cap = 0;
  size_t i = 0, j = 0;
  int r = 0;
  /* Both lists are sorted by name with strcmp: one merge pass. */
  while (r == 0 && (i < subjects->n || j < pins->n)) {
    int c = i == subjects->n ? 1
            : j == pins->n   ? -1
                             : strcmp(subjects->items[i].name, pins->items[j].name);
    if (c < 0) {
      r = push_issue(&rep, &cap,
                     (struct hm_pin_issue){.kind = HM_PIN_MISSING, .name = subjects->items[i].name});
      i++;
    } else if (c > 0) {
      const struct hm_pin *p = &pins->items[j++];
      r = push_issue(&stray, &stray_cap,
                     (struct hm_pin_issue){.kind = HM_PIN_STRAY, .name = p->name, .algo = p->algo,
                                           .expected = p->digest, .line = p->line});
    } else {
      const struct hm_subject *s = &subjects->items[i++];
      for (; r == 0 && j < pins->n && strcmp(pins->items[j].name, s->name) == 0; j++) {
        const struct hm_pin *p = &pins->items[j];
        const unsigned char *got = digest_of(s, p->algo);
        if (memcmp(got, p->digest, hm_digest_len(p->algo)) != 0)
          r = push_issue(&rep, &cap,
                         (struct hm_pin_issue){.kind = HM_PIN_MISMATCH, .name = s->name,
                                               .algo = p->algo, .expected = p->digest,
                                               .got = got, .line = p->line});
      }
    }
  }
  if (r == 0 && stray.n > 0) {
    qsort(stray.items, stray.n, sizeof *stray.items, cmp_issue_line);
    for (size_t k = 0; r == 0 && k < stray.n; k++)
      r = push_issue(&rep, &cap, stray.items[k]);
  }
  hm_pin_report_free(&stray);
  if (r < 0) {
    hm_pin_report_free(&rep);
    return hm_error_set(err, ENOMEM, "checking subjects against %s: out of memory", pins->source);
  }
  *out = rep;
  return 0;
}

char *hm_pin_issue_describe(const struct hm_pin_issue *issue, const char *source) {
  char q[1024], exp[2 * HM_DIGEST_MAX_LEN + 1], got[2 * HM_DIGEST_MAX_LEN + 1];
  size_t dlen = hm_digest_len(issue->algo);
  char *s = NULL;
  int n = -1;
  hm_name_quote(issue->name, q, sizeof q);
  switch (issue->kind) {
  case HM_PIN_MISMATCH:
    hm_hex(issue->expected, dlen, exp);
    hm_hex(issue->got, dlen, got);
    n = asprintf(&s, "subject '%s': expected %s, got %s (%s pin, %s:%zu)", q, exp, got,
                 hm_digest_algo_name(issue->algo), source, issue->line);
    break;
  case HM_PIN_MISSING:
    n = asprintf(&s, "subject '%s' has no pin in %s", q, source);
    break;
  case HM_PIN_STRAY:
    n = asprintf(&s, "pin for '%s' matches no subject (%s:%zu)", q, source, issue->line);
    break;
  }
  return n < 0 ? NULL : s;
}
