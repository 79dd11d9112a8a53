/* hermetic: dispatch to one subcommand. */
#include "cli.h"

#include <string.h>

static const char usage[] =
    "Usage: hermetic COMMAND [OPTIONS]\n"
    "Run builds hermetically: network denied, in a Linux sandbox.\n\n"
    "Commands:\n"
    "  run [OPTIONS] -- CMD [ARG...]   run CMD sandboxed, network denied\n"
    "  build [OPTIONS] -- CMD [ARG...] run, then digest subjects and write provenance\n"
    "  digest [OPTIONS] PATH|GLOB...   sha256sum-format digests of files\n"
    "  sign --key KEY.pem FILE         add a DSSE signature to a statement or envelope\n"
    "  verify [POLICY] ATTESTATION     check signatures, subjects and policy offline\n"
    "  snapshot fetch --into DIR LOCKFILE...  fetch and pin every dependency, offline use\n"
    "  snapshot verify DIR             re-hash a vendor snapshot\n"
    "  doctor                          can this host sandbox? if not, the exact fix\n\n"
    "  --version                       print the version\n"
    "  -h, --help                      show this help; COMMAND --help for a command's\n";

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return 125;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("hermetic %s\n", HERMETIC_VERSION);
    return 0;
  }
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "run") == 0)
    return hm_cmd_run(argc - 1, argv + 1);
  if (strcmp(cmd, "build") == 0)
    return hm_cmd_build(argc - 1, argv + 1);
  if (strcmp(cmd, "digest") == 0)
    return hm_cmd_digest(argc - 1, argv + 1);
  if (strcmp(cmd, "sign") == 0)
    return hm_cmd_sign(argc - 1, argv + 1);
  if (strcmp(cmd, "verify") == 0)
    return hm_cmd_verify(argc - 1, argv + 1);
  if (strcmp(cmd, "snapshot") == 0)
    return hm_cmd_snapshot(argc - 1, argv + 1);
  if (strcmp(cmd, "doctor") == 0)
    return hm_cmd_doctor(argc - 1, argv + 1);
  fprintf(stderr, "hermetic: unknown command '%s'\nTry 'hermetic --help'.\n", cmd);
  return 125;
}
