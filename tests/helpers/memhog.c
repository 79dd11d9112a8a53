/* memhog MB [HOLD]: allocate and touch MB mebibytes, one at a time, then hold them for
 * HOLD seconds (default 0). Prints "allocated N" after the last successful mebibyte (and
 * "ENOMEM" if an allocation failed); a cgroup limit kills it instead. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char **argv)
{
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: memhog MB [HOLD]\n");
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
  if (argc == 3)
    sleep((unsigned)atoi(argv[2]));
  printf("allocated %ld OK\n", got);
  return 0;
}
