/* Filling a function table from dlopen (hm-dl.h). */
#include "hm-dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int hm_dl_load(const char *soname, const struct hm_dl_sym *syms, size_t n, void *table, size_t table_size,
               const char *what, const char *package, const char *need, char *why, size_t why_len) {
  void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(why, why_len, "%s could not be loaded (%s); install it: apt-get install %s", what, dlerror(),
             package);
    return -1;
  }
  char filled[1024] = {0}; /* published only when complete */
  if (table_size > sizeof filled) {
    snprintf(why, why_len, "%s: a table of %zu bytes is more than %zu", what, table_size, sizeof filled);
    dlclose(h);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    void *f = dlsym(h, syms[i].name);
    if (!f || syms[i].offset + sizeof f > table_size) {
      snprintf(why, why_len, "%s lacks %s: %s is needed", soname, syms[i].name, need);
      dlclose(h);
      return -1;
    }
    memcpy(filled + syms[i].offset, &f, sizeof f);
  }
  memcpy(table, filled, table_size);
  return 0;
}
