/* libcurl, loaded when the first fetch starts rather than linked: linked, it and the ~30
 * libraries it needs were loaded by every hermetic command (9 ms more for
 * `hermetic --version`, 5.6 -> 15 ms here, and for every `hermetic run`). Internal to the
 * vendor-snapshot library. */
#ifndef HM_SNAPSHOT_CURL_LOAD_H
#define HM_SNAPSHOT_CURL_LOAD_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "hm-util.h"

/* The functions the fetcher uses, by the names curl.h gives them without "curl_". */
struct hm_curl {
  CURLcode (*global_init)(long flags);
  void (*global_cleanup)(void);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *c);
  CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
  CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
  const char *(*easy_strerror)(CURLcode code);
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_cleanup)(CURLM *m);
  CURLMcode (*multi_add_handle)(CURLM *m, CURL *c);
  CURLMcode (*multi_remove_handle)(CURLM *m, CURL *c);
  CURLMcode (*multi_perform)(CURLM *m, int *running);
  CURLMsg *(*multi_info_read)(CURLM *m, int *left);
  CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms, int *ret);
  const char *(*multi_strerror)(CURLMcode code);
};

/* Load libcurl (libcurl.so.4, the ABI this was compiled against) once; later calls return
 * the same table. NULL with err filled when it is missing or lacks a function. */
const struct hm_curl *hm_curl_load(hm_error *err);

#endif
