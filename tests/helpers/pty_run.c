/* pty_run TIMEOUT_S CMD [ARG...]: run CMD in a new session on a fresh pseudo-terminal
 * (its controlling terminal and stdio), copy everything it writes to our stdout, and
 * return its exit status. This gives the TIOCSTI tests a real terminal without
 * depending on script(1)'s handling of a non-tty stdin. Killed after TIMEOUT_S. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: pty_run TIMEOUT_S CMD [ARG...]\n");
    return 2;
  }
  int timeout_s = atoi(argv[1]);
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
    perror("pty_run: posix_openpt");
    return 2;
  }
  char *name = ptsname(master);
  pid_t pid = fork();
  if (pid < 0) {
    perror("pty_run: fork");
    return 2;
  }
  if (pid == 0) {
    setsid();
    int slave = open(name, O_RDWR); /* becomes the controlling terminal */
    if (slave < 0)
      _exit(126);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2)
      close(slave);
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  time_t deadline = time(NULL) + timeout_s;
  int status = -1;
  for (;;) {
    struct pollfd p = { .fd = master, .events = POLLIN };
    int r = poll(&p, 1, 200);
    if (r > 0) {
      char buf[4096];
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        fwrite(buf, 1, n, stdout);
        fflush(stdout);
        continue;
      }
      /* EIO: every slave fd closed. */
    }
    if (status == -1) {
      int st;
      pid_t w = waitpid(pid, &st, WNOHANG);
      if (w == pid)
        status = st;
    }
    if (status != -1 && r <= 0)
      break;
    if (status != -1 && r > 0)
      break; /* POLLHUP/EIO after exit */
    if (time(NULL) >= deadline) {
      fprintf(stderr, "pty_run: timed out after %d s\n", timeout_s);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return 124;
    }
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
