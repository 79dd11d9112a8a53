/* Libraries loaded on first use rather than linked (libcurl, libcrypto): a table of
 * function pointers filled from dlopen. */
#ifndef HM_DL_H
#define HM_DL_H

#include <stddef.h>

struct hm_dl_sym {
  const char *name;
  size_t offset; /* of the pointer in the caller's table */
};

/* dlopen(soname, RTLD_NOW | RTLD_LOCAL): its symbols stay out of the global scope, and it
 * stays loaded until the process exits. Fills every pointer of table, or none: 0, or -1
 * with why (what could not be loaded or what it lacks, and the fix: "apt-get install
 * PACKAGE", "NEED is needed"). */
int hm_dl_load(const char *soname, const struct hm_dl_sym *syms, size_t n, void *table, size_t table_size,
               const char *what, const char *package, const char *need, char *why, size_t why_len);

#endif
