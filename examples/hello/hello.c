/* The example hermetic builds: a greeting whose build date comes from SOURCE_DATE_EPOCH,
 * so two builds of the same source give the same bytes. */
#include <stdio.h>
#include <string.h>

#include "version.h"

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("hello %s (built %s)\n", HELLO_VERSION, HELLO_BUILD_DATE);
    return 0;
  }
  printf("Hello from a hermetic build!\n");
  return 0;
}
