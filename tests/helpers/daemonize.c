/* daemonize MARKER [SECONDS]: leave a daemon behind, the way a build's test server or
 * a stray ssh-agent does: double fork + setsid, stdio to /dev/null. The daemon appends a
 * line to MARKER every 100 ms for SECONDS (default 30), so the test can tell whether it
 * is still alive after the sandbox has returned. The parent returns once the daemon has
 * written its first line. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: daemonize MARKER [SECONDS]\n");
    return 2;
  }
  const char *marker = argv[1];
  int secs = argc > 2 ? atoi(argv[2]) : 30;
  pid_t pid = fork();
  if (pid < 0) {
    perror("daemonize: fork");
    return 1;
  }
  if (pid == 0) {
    setsid();
    if (fork() != 0)
      _exit(0);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
      dup2(nul, 0);
      dup2(nul, 1);
      dup2(nul, 2);
    }
    for (int i = 0; i < secs * 10; i++) {
      int fd = open(marker, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) {
        char line[64];
        int n = snprintf(line, sizeof line, "%d %d\n", (int)getpid(), i);
        if (write(fd, line, n) < 0) { /* nothing to report to */ }
        close(fd);
      }
      struct timespec ts = { 0, 100 * 1000 * 1000 };
      nanosleep(&ts, NULL);
    }
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  for (int i = 0; i < 50; i++) {
    struct stat st;
    if (stat(marker, &st) == 0 && st.st_size > 0) {
      puts("daemon started");
      return 0;
    }
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  puts("daemon did not start");
  return 1;
}
