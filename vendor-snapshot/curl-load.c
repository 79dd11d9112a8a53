/* Loading libcurl on first use (see curl-load.h for why). */
#include "curl-load.h"
#include "hm-dl.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

static struct hm_curl api;
static const struct hm_curl *loaded;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  static const struct hm_dl_sym syms[] = {
#define SYM(f) {"curl_" #f, offsetof(struct hm_curl, f)}
      SYM(global_init),      SYM(global_cleanup),      SYM(easy_init),
      SYM(easy_cleanup),     SYM(easy_setopt),         SYM(easy_getinfo),
      SYM(easy_strerror),    SYM(multi_init),          SYM(multi_cleanup),
      SYM(multi_add_handle), SYM(multi_remove_handle), SYM(multi_perform),
      SYM(multi_info_read),  SYM(multi_poll),          SYM(multi_strerror),
#undef SYM
  };
  /* The soname of libcurl's ABI 4 (every libcurl since 7.16). */
  if (hm_dl_load("libcurl.so.4", syms, HM_ARRAY_SIZE(syms), &api, sizeof api, "libcurl", "libcurl4",
                 "libcurl 7.66 or later", load_error, sizeof load_error) == 0)
    loaded = &api;
}

const struct hm_curl *hm_curl_load(hm_error *err) {
  pthread_once(&once, load);
  if (!loaded)
    hm_error_set(err, ELIBACC, "%s", load_error);
  return loaded;
}
