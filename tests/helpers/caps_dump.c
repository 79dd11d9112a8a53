/* caps_dump: print the lines of /proc/self/status that describe privilege: the five
 * capability sets, NoNewPrivs and Seccomp (2 = filter mode). */
#include <stdio.h>
#include <string.h>

int main(void)
{
  static const char *keys[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:",
                                "NoNewPrivs:", "Seccomp:", "Seccomp_filters:" };
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) {
    perror("caps_dump: /proc/self/status");
    return 1;
  }
  char line[512];
  while (fgets(line, sizeof line, f)) {
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      size_t n = strlen(keys[i]);
      if (strncmp(line, keys[i], n) == 0) {
        char *v = line + n;
        v += strspn(v, " \t");
        printf("%.*s %s", (int)(n - 1), keys[i], v);
      }
    }
  }
  fclose(f);
  return 0;
}
