/* DSSE v1 envelopes: PAE, parsing, signing and serialising (secure-systems-lab/dsse
 * protocol.md and envelope.md), and reading attestation files (JSON Lines). */
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>

#include "dsse.h"
#include "hm-base64.h"

struct dsse_sig {
  char *keyid; /* NULL when absent or empty */
  unsigned char *sig;
  size_t sig_len;
};

struct hm_dsse_envelope {
  /* The JSON that hm_dsse_envelope_serialize writes: a parsed envelope keeps its unknown
   * fields and its existing signatures exactly as they were. */
  json_object *root;
  char *payload_type;
  size_t type_len;
  unsigned char *payload;
  size_t payload_len;
  struct dsse_sig *sigs;
  size_t n_sigs;
  unsigned line;
};

static void json_putp(json_object **o) { json_object_put(*o); }
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

int hm_dsse_pae(const char *payload_type, size_t type_len, const void *payload, size_t payload_len,
                unsigned char **out, size_t *out_len, hm_error *err) {
  char tl[24], pl[24];
  int tn = snprintf(tl, sizeof tl, "%zu", type_len);
  int pn = snprintf(pl, sizeof pl, "%zu", payload_len);
  /* "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body */
  size_t fixed = 6 + 1 + (size_t)tn + 1 + 1 + (size_t)pn + 1;
  if (type_len > SIZE_MAX - fixed || payload_len > SIZE_MAX - fixed - type_len)
    return hm_error_set(err, EOVERFLOW, "PAE: payload too large");
  size_t total = fixed + type_len + payload_len;
  unsigned char *buf = malloc(total ? total : 1);
  if (!buf)
    return hm_error_set(err, ENOMEM, "PAE: out of memory");
  size_t o = 0;
  memcpy(buf + o, "DSSEv1 ", 7), o += 7;
  memcpy(buf + o, tl, (size_t)tn), o += (size_t)tn;
  buf[o++] = ' ';
  if (type_len)
    memcpy(buf + o, payload_type, type_len);
  o += type_len;
  buf[o++] = ' ';
  memcpy(buf + o, pl, (size_t)pn), o += (size_t)pn;
  buf[o++] = ' ';
  if (payload_len)
    memcpy(buf + o, payload, payload_len);
  o += payload_len;
  *out = buf;
  *out_len = o;
  return 0;
}

void hm_dsse_envelope_free(struct hm_dsse_envelope *env) {
  if (!env)
    return;
  json_object_put(env->root);
  free(env->payload_type);
  free(env->payload);
  for (size_t i = 0; i < env->n_sigs; i++) {
    free(env->sigs[i].keyid);
    free(env->sigs[i].sig);
  }
  free(env->sigs);
  free(env);
}

const char *hm_dsse_envelope_payload_type(const struct hm_dsse_envelope *env, size_t *len) {
  if (len)
    *len = env->type_len;
  return env->payload_type;
}

const unsigned char *hm_dsse_envelope_payload(const struct hm_dsse_envelope *env, size_t *len) {
  if (len)
    *len = env->payload_len;
  return env->payload;
}

size_t hm_dsse_envelope_n_signatures(const struct hm_dsse_envelope *env) { return env->n_sigs; }

const char *hm_dsse_envelope_keyid(const struct hm_dsse_envelope *env, size_t i) {
  return i < env->n_sigs ? env->sigs[i].keyid : NULL;
}

unsigned hm_dsse_envelope_line(const struct hm_dsse_envelope *env) { return env->line; }

const unsigned char *hm_dsse_envelope_signature(const struct hm_dsse_envelope *env, size_t i,
                                                size_t *len) {
  *len = env->sigs[i].sig_len;
  return env->sigs[i].sig;
}

static char *memdup_nul(const void *p, size_t n) {
  char *s = malloc(n + 1);
  if (s) {
    if (n)
      memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

static const char *type_name(json_object *o) { return json_type_to_name(json_object_get_type(o)); }

/* A field of obj that must be a string; *found false when absent and optional. */
static int string_field(json_object *obj, const char *key, const char *where, const char *what,
                        bool required, const char **s, size_t *len, hm_error *err) {
  json_object *v = NULL;
  *s = NULL;
  *len = 0;
  if (!json_object_object_get_ex(obj, key, &v)) {
    if (!required)
      return 0;
    return hm_error_set(err, EINVAL, "%s: the envelope has no \"%s%s\" field", what, where, key);
  }
  if (!json_object_is_type(v, json_type_string))
    return hm_error_set(err, EINVAL, "%s: envelope field \"%s%s\" must be a string, not %s", what,
                        where, key, type_name(v));
  *s = json_object_get_string(v);
  *len = (size_t)json_object_get_string_len(v);
  return 0;
}

static int decode_b64(const char *s, size_t len, const char *field, const char *what,
                      unsigned char **out, size_t *out_len, hm_error *err) {
  *out = hm_base64_decode(s, len, out_len);
  if (*out)
    return 0;
  if (errno == ENOMEM)
    return hm_error_set(err, ENOMEM, "%s: decoding %s: out of memory", what, field);
  return hm_error_set(err, EINVAL,
                      "%s: envelope field \"%s\" is not valid base64 (standard or URL-safe, "
                      "RFC 4648)",
                      what, field);
}

static int parse_signature(json_object *so, size_t i, const char *what, struct dsse_sig *out,
                           hm_error *err) {
  char where[48];
  snprintf(where, sizeof where, "signatures[%zu].", i);
  if (!json_object_is_type(so, json_type_object))
    return hm_error_set(err, EINVAL, "%s: envelope field \"signatures[%zu]\" must be an object, not %s",
                        what, i, type_name(so));
  const char *sig, *keyid;
  size_t sig_len, keyid_len;
  int r = string_field(so, "sig", where, what, true, &sig, &sig_len, err);
  if (r < 0)
    return r;
  if ((r = string_field(so, "keyid", where, what, false, &keyid, &keyid_len, err)) < 0)
    return r;
  if (keyid && memchr(keyid, '\0', keyid_len))
    return hm_error_set(err, EINVAL, "%s: envelope field \"%skeyid\" contains a NUL character", what,
                        where);
  char field[64];
  snprintf(field, sizeof field, "%ssig", where);
  if ((r = decode_b64(sig, sig_len, field, what, &out->sig, &out->sig_len, err)) < 0)
    return r;
  /* envelope.md: an unset keyid is the same as an empty one. */
  if (keyid && keyid_len > 0 && !(out->keyid = memdup_nul(keyid, keyid_len)))
    return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  return 0;
}

/* Takes root (one reference) whatever happens. */
static int envelope_from_json(json_object *root_in, const char *what, unsigned line,
                              struct hm_dsse_envelope **out, hm_error *err) {
  _cleanup_json_ json_object *root = root_in;
  *out = NULL;
  if (!json_object_is_type(root, json_type_object))
    return hm_error_set(err, EINVAL, "%s: a DSSE envelope is a JSON object, not %s", what,
                        root ? type_name(root) : "null");
  _cleanup_envelope_ struct hm_dsse_envelope *env = calloc(1, sizeof *env);
  if (!env)
    return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  env->line = line;
  const char *payload, *ptype;
  size_t payload_len, ptype_len;
  int r = string_field(root, "payload", "", what, true, &payload, &payload_len, err);
  if (r < 0)
    return r;
  if ((r = string_field(root, "payloadType", "", what, true, &ptype, &ptype_len, err)) < 0)
    return r;
  json_object *sigs = NULL;
  if (!json_object_object_get_ex(root, "signatures", &sigs))
    return hm_error_set(err, EINVAL, "%s: the envelope has no \"signatures\" field", what);
  if (!json_object_is_type(sigs, json_type_array))
    return hm_error_set(err, EINVAL, "%s: envelope field \"signatures\" must be an array, not %s",
                        what, sigs ? type_name(sigs) : "null");
  size_t n = json_object_array_length(sigs);
  if (n > HM_DSSE_MAX_SIGNATURES)
    return hm_error_set(err, E2BIG, "%s: %zu signatures in one envelope, more than the limit of %d",
                        what, n, HM_DSSE_MAX_SIGNATURES);
  if ((r = decode_b64(payload, payload_len, "payload", what, &env->payload, &env->payload_len, err)) < 0)
    return r;
  if (!(env->payload_type = memdup_nul(ptype, ptype_len)))
    return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  env->type_len = ptype_len;
  if (n && !(env->sigs = calloc(n, sizeof *env->sigs)))
    return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  for (size_t i = 0; i < n; i++) {
    if ((r = parse_signature(json_object_array_get_idx(sigs, i), i, what, &env->sigs[i], err)) < 0)
      return r;
    env->n_sigs++;
  }
  env->root = steal_pointer(&root);
  *out = steal_pointer(&env);
  return 0;
}

int hm_dsse_envelope_parse(const char *text, size_t len, const char *what,
                           struct hm_dsse_envelope **out, hm_error *err) {
  json_object *root = NULL;
  *out = NULL;
  int r = hm_json_parse_strict(text, len, what, &root, err);
  if (r < 0)
    return r;
  return envelope_from_json(root, what, 0, out, err);
}

int hm_dsse_envelope_new(const char *payload_type, const void *payload, size_t payload_len,
                         struct hm_dsse_envelope **out, hm_error *err) {
  *out = NULL;
  if (payload_len > HM_DSSE_MAX_FILE / 4 * 3)
    return hm_error_set(err, EFBIG, "payload of %zu bytes: too large for an envelope", payload_len);
  _cleanup_free_ char *b64 = hm_base64_encode(payload, payload_len, NULL);
  _cleanup_envelope_ struct hm_dsse_envelope *env = calloc(1, sizeof *env);
  if (!b64 || !env)
    return hm_error_set(err, ENOMEM, "creating an envelope: out of memory");
  env->type_len = strlen(payload_type);
  env->payload_type = strdup(payload_type);
  env->payload = (unsigned char *)memdup_nul(payload, payload_len);
  env->payload_len = payload_len;
  env->root = json_object_new_object();
  json_object *sigs = json_object_new_array();
  if (!env->payload_type || !env->payload || !env->root || !sigs ||
      json_object_object_add(env->root, "payload", json_object_new_string(b64)) < 0 ||
      json_object_object_add(env->root, "payloadType", json_object_new_string(payload_type)) < 0 ||
      json_object_object_add(env->root, "signatures", sigs) < 0) {
    json_object_put(sigs);
    return hm_error_set(err, ENOMEM, "creating an envelope: out of memory");
  }
  *out = steal_pointer(&env);
  return 0;
}

int hm_dsse_sign(struct hm_dsse_envelope *env, const struct hm_key *key, hm_error *err) {
  _cleanup_free_ unsigned char *pae = NULL;
  size_t pae_len = 0;
  int r = hm_dsse_pae(env->payload_type, env->type_len, env->payload, env->payload_len, &pae,
                      &pae_len, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < env->n_sigs; i++) {
    r = hm_key_verify(key, pae, pae_len, env->sigs[i].sig, env->sigs[i].sig_len);
    if (r < 0)
      return hm_error_set(err, -r, "checking the existing signatures: out of memory");
    if (r == 1)
      return 0; /* already signed by this key */
  }
  if (env->n_sigs >= HM_DSSE_MAX_SIGNATURES)
    return hm_error_set(err, E2BIG, "the envelope already has %zu signatures, the limit",
                        env->n_sigs);
  _cleanup_free_ unsigned char *sig = NULL;
  size_t sig_len = 0;
  if ((r = hm_key_sign(key, pae, pae_len, &sig, &sig_len, err)) < 0)
    return r;
  _cleanup_free_ char *b64 = hm_base64_encode(sig, sig_len, NULL);
  _cleanup_free_ char *keyid = strdup(hm_key_id(key));
  struct dsse_sig *ns = realloc(env->sigs, (env->n_sigs + 1) * sizeof *ns);
  if (ns)
    env->sigs = ns;
  json_object *sigs = json_object_object_get(env->root, "signatures");
  json_object *so = json_object_new_object();
  if (!b64 || !keyid || !ns || !so ||
      json_object_object_add(so, "keyid", json_object_new_string(keyid)) < 0 ||
      json_object_object_add(so, "sig", json_object_new_string(b64)) < 0 ||
      json_object_array_add(sigs, so) < 0) {
    json_object_put(so);
    return hm_error_set(err, ENOMEM, "signing: out of memory");
  }
  env->sigs[env->n_sigs++] = (struct dsse_sig){
      .keyid = steal_pointer(&keyid), .sig = steal_pointer(&sig), .sig_len = sig_len};
  return 0;
}

char *hm_dsse_envelope_serialize(const struct hm_dsse_envelope *env) {
  /* PLAIN: no whitespace and, as json-c escapes control characters, no newline inside. */
  const char *s = json_object_to_json_string_ext(
      env->root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (!s) {
    errno = ENOMEM;
    return NULL;
  }
  return strdup(s);
}

int hm_dsse_read_file(const char *path, size_t max, char **out, size_t *len, hm_error *err) {
  bool is_stdin = strcmp(path, "-") == 0;
  _cleanup_close_ int fd = is_stdin ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                                    : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return hm_error_errno(err, errno, "opening %s", is_stdin ? "standard input" : path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hm_error_errno(err, errno, "reading %s", path);
  if (S_ISDIR(st.st_mode))
    return hm_error_set(err, EISDIR, "reading %s: it is a directory", path);
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
    return hm_error_set(err, EFBIG, "%s: %llu bytes, more than the limit of %zu", path,
                        (unsigned long long)st.st_size, max);
  int r = hm_read_fd_max(fd, max, out, len, err);
  if (r < 0)
    return hm_error_wrap(err, "%s", is_stdin ? "standard input" : path);
  return 0;
}

void hm_dsse_envelopes_free(struct hm_dsse_envelope **envs, size_t n) {
  for (size_t i = 0; envs && i < n; i++)
    hm_dsse_envelope_free(envs[i]);
  free(envs);
}

static bool blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
      return false;
  return true;
}

static unsigned first_line(const char *text, size_t len) {
  unsigned line = 1;
  for (size_t i = 0; i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'); i++)
    if (text[i] == '\n')
      line++;
  return line;
}

/* JSON Lines: every non-blank line an envelope. */
static int parse_lines(const char *text, size_t len, const char *name,
                       struct hm_dsse_envelope ***out, size_t *out_n, hm_error *err) {
  struct hm_dsse_envelope **envs = NULL;
  size_t n = 0, total_sigs = 0;
  unsigned line = 0;
  int r = 0;
  for (size_t pos = 0; pos < len && r == 0;) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    line++;
    if (!blank(text + pos, end - pos)) {
      char what[512];
      snprintf(what, sizeof what, "%s line %u", name, line);
      struct hm_dsse_envelope **ne = realloc(envs, (n + 1) * sizeof *ne);
      if (!ne) {
        r = hm_error_set(err, ENOMEM, "%s: out of memory", what);
        break;
      }
      envs = ne;
      json_object *root = NULL;
      r = hm_json_parse_strict(text + pos, end - pos, what, &root, err);
      if (r == 0)
        r = envelope_from_json(root, what, line, &envs[n], err);
      if (r == 0 && (total_sigs += envs[n]->n_sigs) > HM_DSSE_MAX_FILE_SIGNATURES) {
        hm_dsse_envelope_free(envs[n]);
        r = hm_error_set(err, E2BIG, "%s: more than %d signatures in the file, the limit", what,
                         HM_DSSE_MAX_FILE_SIGNATURES);
      }
      if (r == 0)
        n++;
    }
    pos = end + 1;
  }
  if (r < 0) {
    hm_dsse_envelopes_free(envs, n);
    return r;
  }
  *out = envs;
  *out_n = n;
  return 0;
}

/* The one JSON value of a whole file, or -EAGAIN when the file is JSON Lines instead
 * (it does not parse as one value, but its first non-blank line does). */
static int parse_whole(const char *text, size_t len, const char *name, json_object **out,
                       hm_error *err) {
  if (blank(text, len))
    return hm_error_set(err, EINVAL, "%s: empty, no envelope in it", name);
  int r = hm_json_parse_strict(text, len, name, out, err);
  if (r == 0 || r == -ENOMEM || r == -EFBIG)
    return r;
  size_t pos = 0;
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    if (!blank(text + pos, end - pos)) {
      if (!nl || blank(text + end, len - end))
        return r; /* a single line: its own error stands */
      json_object *first = NULL;
      hm_error ignored;
      if (hm_json_parse_strict(text + pos, end - pos, name, &first, &ignored) < 0)
        return r;
      json_object_put(first);
      return -EAGAIN;
    }
    pos = end + 1;
  }
  return r;
}

int hm_dsse_parse_envelopes(const char *text, size_t len, const char *name,
                            struct hm_dsse_envelope ***out, size_t *n, hm_error *err) {
  *out = NULL;
  *n = 0;
  json_object *root = NULL;
  int r = parse_whole(text, len, name, &root, err);
  if (r == -EAGAIN)
    return parse_lines(text, len, name, out, n, err);
  if (r < 0)
    return r;
  struct hm_dsse_envelope **envs = calloc(1, sizeof *envs);
  if (!envs) {
    json_object_put(root);
    return hm_error_set(err, ENOMEM, "%s: out of memory", name);
  }
  if ((r = envelope_from_json(root, name, first_line(text, len), &envs[0], err)) < 0) {
    free(envs);
    return r;
  }
  *out = envs;
  *n = 1;
  return 0;
}

/* What a whole document handed to `hermetic sign` is. Anything that is not an object,
 * or has an envelope's field, is treated as an envelope, so that its parse error names
 * what is wrong with it. */
enum doc_kind { DOC_ENVELOPE, DOC_STATEMENT, DOC_NEITHER };

static enum doc_kind doc_kind(json_object *root) {
  json_object *t;
  if (!json_object_is_type(root, json_type_object) || json_object_object_get_ex(root, "payload", NULL) ||
      json_object_object_get_ex(root, "payloadType", NULL) || json_object_object_get_ex(root, "signatures", NULL))
    return DOC_ENVELOPE;
  if (json_object_object_get_ex(root, "_type", &t) && json_object_is_type(t, json_type_string))
    return DOC_STATEMENT;
  return DOC_NEITHER;
}

/* The envelopes to sign: a new one around a statement, or those of the file. */
static int envelopes_to_sign(const char *text, size_t len, const char *name, struct hm_dsse_envelope ***out,
                             size_t *n, hm_error *err) {
  json_object *root = NULL;
  int r = parse_whole(text, len, name, &root, err);
  if (r == -EAGAIN)
    return parse_lines(text, len, name, out, n, err);
  if (r < 0)
    return r;
  enum doc_kind kind = doc_kind(root);
  if (kind == DOC_NEITHER) {
    json_object_put(root);
    return hm_error_set(err, EINVAL,
                        "%s: neither a DSSE envelope (payload, payloadType, signatures) nor an in-toto "
                        "Statement (a string \"_type\")",
                        name);
  }
  struct hm_dsse_envelope **envs = calloc(1, sizeof *envs);
  if (!envs) {
    json_object_put(root);
    return hm_error_set(err, ENOMEM, "%s: out of memory", name);
  }
  if (kind == DOC_STATEMENT) {
    json_object_put(root);
    /* The payload is the file's bytes exactly: what was reviewed is what is signed. */
    r = hm_dsse_envelope_new(HM_DSSE_PAYLOAD_TYPE_INTOTO, text, len, &envs[0], err);
    if (r < 0)
      hm_error_wrap(err, "%s", name);
  } else {
    r = envelope_from_json(root, name, first_line(text, len), &envs[0], err);
  }
  if (r < 0) {
    free(envs);
    return r;
  }
  *out = envs;
  *n = 1;
  return 0;
}

int hm_dsse_sign_document(const char *text, size_t len, const char *name, const struct hm_key *key,
                          char **out, size_t *out_len, hm_error *err) {
  struct hm_dsse_envelope **envs = NULL;
  size_t n = 0;
  int r = envelopes_to_sign(text, len, name, &envs, &n, err);
  if (r < 0)
    return r;
  char *buf = NULL;
  size_t used = 0;
  FILE *f = open_memstream(&buf, &used);
  if (!f) {
    hm_dsse_envelopes_free(envs, n);
    return hm_error_set(err, ENOMEM, "%s: out of memory", name);
  }
  for (size_t i = 0; i < n && r == 0; i++) {
    r = hm_dsse_sign(envs[i], key, err);
    if (r < 0) {
      if (n > 1)
        hm_error_wrap(err, "%s line %u", name, envs[i]->line);
      break;
    }
    _cleanup_free_ char *line = hm_dsse_envelope_serialize(envs[i]);
    if (!line || fputs(line, f) < 0 || fputc('\n', f) < 0)
      r = hm_error_set(err, ENOMEM, "%s: out of memory", name);
  }
  if (fclose(f) != 0 && r == 0)
    r = hm_error_set(err, ENOMEM, "%s: out of memory", name);
  hm_dsse_envelopes_free(envs, n);
  if (r < 0) {
    free(buf);
    return r;
  }
  *out = buf;
  *out_len = used;
  return 0;
}
