/* Shared by the probe programs: how they report an outcome. Each probe prints one word
 * per attempt, "OK" or the errno's symbolic name (EPERM, ENOSYS...), so the TAP scripts
 * compare exact strings and a failure message shows what the kernel or filter said. */
#ifndef HM_PROBE_H
#define HM_PROBE_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static inline const char *probe_errname(int e)
{
  const char *n = strerrorname_np(e);
  return n ? n : "EUNKNOWN";
}

/* r < 0 means failure with errno set (libc convention). */
static inline void probe_report(const char *label, long r, int e)
{
  if (label)
    printf("%s: ", label);
  puts(r < 0 ? probe_errname(e) : "OK");
  fflush(stdout);
}

#endif
