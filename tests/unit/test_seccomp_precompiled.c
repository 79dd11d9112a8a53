/* The programs compiled into the binary at build time must be exactly what libseccomp
 * produces now, for every profile: same instructions, same hash. */
#include <string.h>

#include "internal.h"
#include "tap.h"

int main(void) {
  static const char *const names[] = {"default", "strict", "log"};
  printf("1..6\n");
  int n = 0;
  for (int m = 0; m < 3; m++) {
    struct hm_seccomp_set built, pre;
    hm_error err = {0};
    int r1 = hm_seccomp_build((enum hm_seccomp_mode)m, &built, &err);
    int r2 = hm_seccomp_precompiled((enum hm_seccomp_mode)m, &pre, &err);
    bool same = r1 == 0 && r2 == 0 && built.n_progs == pre.n_progs && built.n_insns == pre.n_insns;
    for (size_t p = 0; same && p < built.n_progs; p++)
      same = built.progs[p].len == pre.progs[p].len &&
             memcmp(built.progs[p].filter, pre.progs[p].filter, built.progs[p].len * sizeof(struct sock_filter)) == 0;
    printf("%s %d - %s: precompiled instructions equal libseccomp's (%zu insns)\n", same ? "ok" : "not ok", ++n,
           names[m], pre.n_insns);
    bool hash = r1 == 0 && r2 == 0 && strcmp(built.sha256_hex, pre.sha256_hex) == 0 && strlen(pre.sha256_hex) == 64;
    printf("%s %d - %s: same sha256 %s\n", hash ? "ok" : "not ok", ++n, names[m], pre.sha256_hex);
    if (r1 == 0)
      hm_seccomp_free(&built);
    if (r2 == 0)
      hm_seccomp_free(&pre);
  }
  return 0;
}
