/* DSSE v1 envelopes (secure-systems-lab/dsse protocol.md, envelope.md): signing keys,
 * signing, and verifying an attestation against keys and a policy.
 *
 * Keys: ECDSA P-256 (SHA-256), ECDSA P-384 (SHA-384) and Ed25519 (pure) from PEM.
 * keyid = lowercase hex sha256 of the public key's SubjectPublicKeyInfo DER.
 * Signatures we produce: DER for ECDSA, the raw 64 bytes for Ed25519. Signatures we
 * accept: also raw r||s for ECDSA (the DSSE spec's test vector uses it).
 *
 * Everything returns 0 or -errno and fills err; nothing prints or exits. Input is untrusted:
 * JSON is parsed strictly (duplicate keys anywhere refused) and sizes are bounded. */
#ifndef HM_PROV_DSSE_H
#define HM_PROV_DSSE_H

#include <stdbool.h>
#include <stddef.h>

#include "hm-util.h"

struct json_object;

#define HM_DSSE_PAYLOAD_TYPE_INTOTO "application/vnd.in-toto+json"
#define HM_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define HM_SLSA_PROVENANCE_V1 "https://slsa.dev/provenance/v1"
#define HM_BUILDTYPE_SANDBOXED_V1 "https://hermetic.dev/buildtypes/sandboxed-build/v1"

/* Bounds on untrusted input: a whole attestation file, JSON nesting, signatures in one
 * envelope and in one file (each may cost a verification per key), and keys given to
 * one verification. */
#define HM_DSSE_MAX_FILE (64u << 20)
#define HM_JSON_MAX_DEPTH 64
#define HM_DSSE_MAX_SIGNATURES 256
#define HM_DSSE_MAX_FILE_SIGNATURES 4096
#define HM_DSSE_MAX_KEYS 64

/* ---- JSON ---------------------------------------------------------------------------- */

/* Parse text as exactly one RFC 8259 JSON value (surrounding whitespace allowed) and
 * refuse what lenient parsers disagree on: duplicate object keys at any depth (compared
 * after unescaping), invalid UTF-8, lone surrogates, nesting deeper than
 * HM_JSON_MAX_DEPTH, more than HM_DSSE_MAX_FILE bytes. what names the input in err
 * ("x.jsonl line 2"). On success *out holds a new json-c reference. */
int hm_json_parse_strict(const char *text, size_t len, const char *what, struct json_object **out,
                         hm_error *err);

/* ---- PAE ----------------------------------------------------------------------------- */

/* PAE per DSSE v1 protocol.md: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN
 * the byte length in ASCII decimal without leading zeros. *out is a heap buffer. */
int hm_dsse_pae(const char *payload_type, size_t type_len, const void *payload, size_t payload_len,
                unsigned char **out, size_t *out_len, hm_error *err);

/* ---- Keys ---------------------------------------------------------------------------- */

enum hm_key_type { HM_KEY_ECDSA_P256, HM_KEY_ECDSA_P384, HM_KEY_ED25519 };

struct hm_key;

/* A private key from a PEM file: PKCS#8 ("PRIVATE KEY") or traditional ("EC PRIVATE
 * KEY"). Encrypted keys are refused (nothing prompts); unsupported types (RSA, DSA, P-521,
 * secp256k1, EC keys with explicit curve parameters...) fail with EOPNOTSUPP,
 * "unsupported key type ... in PATH". */
int hm_key_load_private(const char *path, struct hm_key **out, hm_error *err);
/* A public key from a PEM SubjectPublicKeyInfo file ("PUBLIC KEY"). */
int hm_key_load_public(const char *path, struct hm_key **out, hm_error *err);
/* The same from PEM text in memory; name is used in messages. */
int hm_key_from_pem(const char *pem, size_t len, bool private_key, const char *name,
                    struct hm_key **out, hm_error *err);
void hm_key_free(struct hm_key *key);
static inline void hm_key_freep(struct hm_key **k) { hm_key_free(*k); }
#define _cleanup_key_ __attribute__((cleanup(hm_key_freep)))

const char *hm_key_id(const struct hm_key *key);              /* 64 lowercase hex chars */
enum hm_key_type hm_key_get_type(const struct hm_key *key);
const char *hm_key_type_name(enum hm_key_type type);          /* "ecdsa-p256", ... */

/* Sign msg (the PAE) with a private key: ECDSA signatures in DER, Ed25519 raw 64 bytes. */
int hm_key_sign(const struct hm_key *key, const void *msg, size_t len, unsigned char **sig,
                size_t *sig_len, hm_error *err);
/* 1 when sig is key's signature over msg (ECDSA: DER, or raw r||s of 2 * field size),
 * 0 when not, -ENOMEM when the check could not run. */
int hm_key_verify(const struct hm_key *key, const void *msg, size_t len, const unsigned char *sig,
                  size_t sig_len);

/* ECDSA signature encodings. raw is r||s, each big-endian and field_len bytes (32 for
 * P-256, 48 for P-384). der_to_raw refuses non-canonical DER and out-of-range values. */
int hm_ecdsa_sig_raw_to_der(const unsigned char *raw, size_t raw_len, unsigned char **der,
                            size_t *der_len, hm_error *err);
int hm_ecdsa_sig_der_to_raw(const unsigned char *der, size_t der_len, size_t field_len,
                            unsigned char **raw, hm_error *err);

/* ---- Envelopes ----------------------------------------------------------------------- */

struct hm_dsse_envelope;

/* A new, unsigned envelope holding a copy of the payload bytes. */
int hm_dsse_envelope_new(const char *payload_type, const void *payload, size_t payload_len,
                         struct hm_dsse_envelope **out, hm_error *err);
/* Parse one envelope (a JSON object): payload and payloadType strings, signatures an
 * array of objects with a string sig and an optional string keyid; payload and sig in
 * standard or URL-safe base64, padded or not. Unknown fields are ignored (envelope.md)
 * and kept. A missing, duplicated or wrong-typed field, bad base64 or malformed JSON fails
 * with EINVAL and a message naming the field; what names the input. */
int hm_dsse_envelope_parse(const char *text, size_t len, const char *what,
                           struct hm_dsse_envelope **out, hm_error *err);
void hm_dsse_envelope_free(struct hm_dsse_envelope *env);
static inline void hm_dsse_envelope_freep(struct hm_dsse_envelope **e) { hm_dsse_envelope_free(*e); }
#define _cleanup_envelope_ __attribute__((cleanup(hm_dsse_envelope_freep)))

const char *hm_dsse_envelope_payload_type(const struct hm_dsse_envelope *env, size_t *len);
/* The decoded payload (NUL-terminated for convenience, the NUL not counted). */
const unsigned char *hm_dsse_envelope_payload(const struct hm_dsse_envelope *env, size_t *len);
size_t hm_dsse_envelope_n_signatures(const struct hm_dsse_envelope *env);
/* keyid of signature i, or NULL when it has none. */
const char *hm_dsse_envelope_keyid(const struct hm_dsse_envelope *env, size_t i);
/* The decoded bytes of signature i (i < hm_dsse_envelope_n_signatures). */
const unsigned char *hm_dsse_envelope_signature(const struct hm_dsse_envelope *env, size_t i,
                                                size_t *len);
/* 1-based line of the attestation file the envelope started on (0 if not from a file). */
unsigned hm_dsse_envelope_line(const struct hm_dsse_envelope *env);

/* Sign PAE(payloadType, payload) with key and append {"keyid","sig"} (sig standard
 * base64), keeping the existing signatures as they are. If a signature that verifies
 * with key is already there, nothing is added (signing again is idempotent). */
int hm_dsse_sign(struct hm_dsse_envelope *env, const struct hm_key *key, hm_error *err);

/* The envelope as one line of JSON (no newline inside, none at the end), for JSON Lines
 * (.intoto.jsonl). Heap string, NULL with errno ENOMEM. */
char *hm_dsse_envelope_serialize(const struct hm_dsse_envelope *env);

/* Read a whole file (path "-" is stdin), refusing more than max bytes (attestations and
 * statements: HM_DSSE_MAX_FILE) with EFBIG. The buffer is NUL-terminated. */
int hm_dsse_read_file(const char *path, size_t max, char **out, size_t *len, hm_error *err);

/* The envelopes of an attestation file: either one JSON envelope (which may span lines)
 * or JSON Lines, one envelope per non-empty line. Any line that is not an envelope
 * fails the whole file (EINVAL, "NAME line N: ..."); so does a file with none. */
int hm_dsse_parse_envelopes(const char *text, size_t len, const char *name,
                            struct hm_dsse_envelope ***out, size_t *n, hm_error *err);
void hm_dsse_envelopes_free(struct hm_dsse_envelope **envs, size_t n);

/* What `hermetic sign` does: text is either an in-toto Statement (a JSON object with a
 * string "_type"), which becomes a new envelope of payloadType
 * application/vnd.in-toto+json whose payload is exactly text's bytes (nothing stripped
 * or re-serialized), or an attestation file as hm_dsse_parse_envelopes reads it, each of
 * whose envelopes gets key's signature. *out is JSON Lines, each line ending in '\n'. */
int hm_dsse_sign_document(const char *text, size_t len, const char *name, const struct hm_key *key,
                          char **out, size_t *out_len, hm_error *err);

/* ---- Verification -------------------------------------------------------------------- */

/* An artifact given to --artifact, digested up front. */
struct hm_artifact {
  const char *path;
  char sha256[65];
  char sha512[129];
};
/* Digest the file at path (sha256 and sha512); path is borrowed, not copied. */
int hm_artifact_digest(const char *path, struct hm_artifact *out, hm_error *err);

/* Policy; every member is optional (NULL / 0 / false: not checked). */
struct hm_verify_policy {
  const struct hm_artifact *artifacts; /* each must match some subject's digests */
  size_t n_artifacts;
  const char *builder_id;              /* == predicate.runDetails.builder.id */
  const char *source_uri;              /* ~ externalParameters.source.uri (normalised) */
  bool require_hermetic;               /* our buildType and a sandbox isolation claim */
};

/* One check of one envelope: name is static ("signature", "payloadType", "statement",
 * "_type", "predicateType", "subjects", "artifact", "builder-id", "source-uri",
 * "hermetic:<condition>"), detail says what was found (strings taken from the
 * statement appear as printable ASCII, so a message cannot carry terminal escapes). */
struct hm_verify_check {
  const char *name;
  bool ok;
  char *detail;
};

/* The outcome for one envelope. Checks run in the order signature, payloadType,
 * statement, _type, predicateType, subjects (stopping at the first that fails), then
 * every policy check given. */
struct hm_verify_outcome {
  unsigned line;
  bool verified;
  const char *reason;                 /* detail of the first failed check; NULL if verified */
  char keyid[65];                     /* key whose signature verified; "" if none */
  struct hm_verify_check *checks;
  size_t n_checks;
  struct json_object *statement;      /* the verified payload, parsed; NULL before that */
  struct json_object *subjects;       /* borrowed from statement; NULL unless well-formed */
  const char *builder_id;             /* borrowed from statement; NULL if absent */
  const char *build_type;             /* borrowed from statement; NULL if absent */
};
void hm_verify_outcome_clear(struct hm_verify_outcome *o);

/* Everything after the signature, over payload bytes already authenticated (the fuzz
 * target also feeds it directly): payloadType, Statement, subjects and policy. o is
 * zeroed by the caller (or holds the signature check); checks are appended to it. */
int hm_verify_statement(const char *payload_type, size_t type_len, const unsigned char *payload,
                        size_t payload_len, const struct hm_verify_policy *policy,
                        struct hm_verify_outcome *o, hm_error *err);

/* Verify one envelope: a signature that verifies with any of keys (a keyid naming one of
 * them is only a hint of which to try first), then hm_verify_statement on exactly the
 * payload bytes that were signed. Returns 0 with o filled (o->verified says whether it
 * passed) or -errno when the check could not run. */
int hm_verify_envelope(const struct hm_dsse_envelope *env, const struct hm_key *const *keys,
                       size_t n_keys, const struct hm_verify_policy *policy,
                       struct hm_verify_outcome *o, hm_error *err);

/* An attestation file: verified when at least one envelope passes every check. */
struct hm_verify_report {
  bool verified;
  size_t verified_index;              /* into outcomes, when verified */
  struct hm_verify_outcome *outcomes; /* one per envelope, in file order */
  size_t n_outcomes;
};
/* Returns 0 with report filled, or -errno when the file is unusable (malformed JSON, bad
 * base64, no envelope...), with err naming name and the line. */
int hm_verify_attestation(const char *text, size_t len, const char *name,
                          const struct hm_key *const *keys, size_t n_keys,
                          const struct hm_verify_policy *policy, struct hm_verify_report *report,
                          hm_error *err);
void hm_verify_report_free(struct hm_verify_report *report);

/* --source-uri normalisation: strip "git+", the scheme ("https://"), a trailing "@REF"
 * and then a trailing "/" and ".git"; "git+https://github.com/o/r.git@refs/heads/main"
 * and "github.com/o/r" both become "github.com/o/r". Heap string or NULL (ENOMEM). */
char *hm_source_uri_normalize(const char *uri);

#endif
