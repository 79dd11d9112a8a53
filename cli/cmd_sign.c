/* hermetic sign --key KEY.pem [-o OUT] STATEMENT|ENVELOPE: add a DSSE signature. The
 * library does the work (provenance/dsse.c); this file parses options and writes. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>

#include "cli.h"
#include "hm-fsio.h"
#include "provenance.h"

#define SIGN_EXIT_FAILED 1
#define SIGN_EXIT_USAGE 2

static const char sign_usage[] =
    "Usage: hermetic sign --key KEY.pem [-o OUT] STATEMENT|ENVELOPE\n"
    "\n"
    "Add a DSSE v1 signature to an in-toto attestation and write it as JSON Lines\n"
    "(one envelope per line, .intoto.jsonl).\n"
    "\n"
    "The input (a path, or - for standard input) is either\n"
    "  - an in-toto Statement (a JSON object with a string \"_type\"): it becomes a new\n"
    "    envelope of payloadType application/vnd.in-toto+json whose payload is exactly\n"
    "    the file's bytes (nothing is re-serialised or stripped, not even a final\n"
    "    newline), or\n"
    "  - DSSE envelopes: one JSON envelope, or JSON Lines with one per line. Each gets\n"
    "    the signature appended after the ones it has, which are kept as they are; an\n"
    "    envelope that already carries a valid signature by KEY is left unchanged.\n"
    "\n"
    "Keys: PEM, PKCS#8 or 'EC PRIVATE KEY', unencrypted: ECDSA P-256 (signs SHA-256,\n"
    "DER signature), ECDSA P-384 (SHA-384) or Ed25519. The signature's keyid is the\n"
    "sha256 of the public key's SubjectPublicKeyInfo DER, in lowercase hex.\n"
    "\n"
    "Options:\n"
    "  -k, --key KEY.pem     the private key (required)\n"
    "  -o, --output OUT      write to OUT atomically (a temporary file renamed over it,\n"
    "                        which replaces a symlink at OUT rather than following it);\n"
    "                        default, or \"-\": standard output\n"
    "  -h, --help            show this help and exit\n"
    "\n"
    "Exit status: 0 signed, 1 the input, the key or the output could not be used (the\n"
    "reason printed), 2 usage error.\n";

/* The absolute, canonical path hm_write_file_atomic wants: the directory resolved by
 * the caller's own choice, the last component kept as given so that a symlink there
 * is replaced, not followed. */
static int output_path(const char *out, char *buf, size_t len, hm_error *err) {
  _cleanup_free_ char *dcopy = strdup(out);
  _cleanup_free_ char *bcopy = strdup(out);
  if (!dcopy || !bcopy)
    return hm_error_set(err, ENOMEM, "out of memory");
  const char *base = basename(bcopy);
  if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0 ||
      out[strlen(out) - 1] == '/')
    return hm_error_set(err, EINVAL, "-o %s: not a file name", out);
  char dir[PATH_MAX];
  if (!realpath(dirname(dcopy), dir))
    return hm_error_errno(err, errno, "-o %s: resolving its directory", out);
  if ((size_t)snprintf(buf, len, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base) >= len)
    return hm_error_set(err, ENAMETOOLONG, "-o %s: path too long", out);
  return 0;
}

int hm_cmd_sign(int argc, char **argv) {
  static const struct option opts[] = {
      {"key", required_argument, NULL, 'k'},
      {"output", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *key_path = NULL, *out = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+:k:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'k':
      key_path = optarg;
      break;
    case 'o':
      out = optarg;
      break;
    case 'h':
      fputs(sign_usage, stdout);
      return 0;
    default:
      return hm_cli_option_error("sign", SIGN_EXIT_USAGE, argv, c);
    }
  }
  if (!key_path) {
    return hm_cli_usage_error("sign", SIGN_EXIT_USAGE, "--key KEY.pem is required");
  }
  if (argc - optind != 1) {
    return hm_cli_usage_error("sign", SIGN_EXIT_USAGE, "expected one STATEMENT or ENVELOPE file, got %d",
                              argc - optind);
  }
  const char *input = argv[optind];
  if (hm_cli_need_crypto("sign", 1))
    return 1;
  if (out && strcmp(out, "-") == 0) /* "-o -": standard output, as without -o */
    out = NULL;

  hm_error err = {0};
  char out_abs[PATH_MAX];
  if (out && output_path(out, out_abs, sizeof out_abs, &err) < 0) {
    hm_cli_error("sign", &err);
    return SIGN_EXIT_FAILED;
  }
  _cleanup_key_ struct hm_key *key = NULL;
  if (hm_key_load_private(key_path, &key, &err) < 0) {
    hm_cli_error("sign", &err);
    return SIGN_EXIT_FAILED;
  }
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (hm_dsse_read_file(input, HM_DSSE_MAX_FILE, &text, &len, &err) < 0) {
    hm_cli_error("sign", &err);
    return SIGN_EXIT_FAILED;
  }
  _cleanup_free_ char *signed_text = NULL;
  size_t signed_len = 0;
  const char *name = strcmp(input, "-") == 0 ? "standard input" : input;
  if (hm_dsse_sign_document(text, len, name, key, &signed_text, &signed_len, &err) < 0) {
    hm_cli_error("sign", &err);
    return SIGN_EXIT_FAILED;
  }
  if (out) {
    if (hm_write_file_atomic(out_abs, signed_text, signed_len, 0644, &err) < 0) {
      hm_cli_error("sign", &err);
      return SIGN_EXIT_FAILED;
    }
    return 0;
  }
  int r = hm_write_all(STDOUT_FILENO, signed_text, signed_len);
  if (r < 0) {
    fprintf(stderr, "hermetic sign: writing to standard output: %s\n", strerror(-r));
    return SIGN_EXIT_FAILED;
  }
  return 0;
}
