/* Public interface of the provenance library: what the CLI (build, digest, sign, verify)
 * and the tests use. The library never prints to stdout and never calls exit(). */
#ifndef HM_PROVENANCE_H
#define HM_PROVENANCE_H

#include "digest.h"
#include "dsse.h"
#include "statement.h"

#endif
