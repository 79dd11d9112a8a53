/* forkbomb MAX SLEEP_S: fork until MAX children or the first failure, every child
 * sleeping SLEEP_S seconds then exiting, so the bomb is bounded even where nothing
 * contains it. Prints "forked N" and the errno name of the failure ("forked N OK" if MAX
 * was reached), then waits for the children. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: forkbomb MAX SLEEP_S\n");
    return 2;
  }
  long max = atol(argv[1]);
  unsigned secs = (unsigned)atoi(argv[2]);
  long n = 0;
  int err = 0;
  for (; n < max; n++) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      sleep(secs);
      _exit(0);
    }
  }
  printf("forked %ld %s\n", n, err ? probe_errname(err) : "OK");
  fflush(stdout);
  while (wait(NULL) > 0 || errno == EINTR)
    ;
  return 0;
}
