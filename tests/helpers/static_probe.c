/* static_probe [PATH...]: a static binary with no dependencies, for --rootfs tests where
 * the root holds nothing else. Prints "static-probe" then, for each PATH, "PATH: yes" or
 * "PATH: no" for whether it exists. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  puts("static-probe");
  for (int i = 1; i < argc; i++)
    printf("%s: %s\n", argv[i], access(argv[i], F_OK) == 0 ? "yes" : "no");
  return 0;
}
