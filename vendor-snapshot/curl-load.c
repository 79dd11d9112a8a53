/* Loading libcurl on first use (see curl-load.h for why). */
#include "curl-load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

static struct hm_curl api;
static const struct hm_curl *loaded;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  static const struct {
    const char *name;
    size_t offset;
  } syms[] = {
#define SYM(f) {"curl_" #f, offsetof(struct hm_curl, f)}
      SYM(global_init),      SYM(global_cleanup),      SYM(easy_init),
      SYM(easy_cleanup),     SYM(easy_setopt),         SYM(easy_getinfo),
      SYM(easy_strerror),    SYM(multi_init),          SYM(multi_cleanup),
      SYM(multi_add_handle), SYM(multi_remove_handle), SYM(multi_perform),
      SYM(multi_info_read),  SYM(multi_poll),          SYM(multi_strerror),
#undef SYM
  };
  /* The soname of libcurl's ABI 4 (every libcurl since 7.16); RTLD_LOCAL keeps its symbols
   * out of the global namespace. It stays loaded until the process exits. */
  void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(load_error, sizeof(load_error),
             "libcurl could not be loaded (%s); install it: apt-get install libcurl4", dlerror());
    return;
  }
  for (size_t i = 0; i < HM_ARRAY_SIZE(syms); i++) {
    void *f = dlsym(h, syms[i].name);
    if (!f) {
      snprintf(load_error, sizeof(load_error), "libcurl.so.4 lacks %s: it is older than 7.66",
               syms[i].name);
      return;
    }
    memcpy((char *)&api + syms[i].offset, &f, sizeof(f));
  }
  loaded = &api;
}

const struct hm_curl *hm_curl_load(hm_error *err) {
  pthread_once(&once, load);
  if (!loaded)
    hm_error_set(err, ELIBACC, "%s", load_error);
  return loaded;
}
