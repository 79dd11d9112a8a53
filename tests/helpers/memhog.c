/* memhog MB: allocate and touch MB mebibytes, one at a time. Prints "allocated N" after
 * the last successful mebibyte (and "ENOMEM" if an allocation failed); a cgroup limit
 * kills it instead. */
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: memhog MB\n");
    return 2;
  }
  long want = atol(argv[1]), got = 0;
  for (; got < want; got++) {
    char *p = malloc(1 << 20);
    if (!p) {
      printf("allocated %ld ENOMEM\n", got);
      return 1;
    }
    memset(p, 0x5a, 1 << 20);
  }
  printf("allocated %ld OK\n", got);
  return 0;
}
