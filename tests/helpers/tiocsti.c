/* tiocsti MODE: try to push characters into a terminal's input queue (TIOCSTI), the
 * classic sandbox escape: text injected into the caller's terminal runs as the caller
 * after the sandbox exits (CVE-2017-5226 in bwrap, CVE-2019-10063 in flatpak: a filter
 * comparing the full 64-bit request is bypassed by setting the high 32 bits, which the
 * kernel ignores). Prints INJECTED when the characters went in, else the errno name.
 * MODE:
 *   own       a fresh pty pair, the slave made our controlling tty (the kernel then
 *             allows TIOCSTI, so only a seccomp filter can say no)
 *   own-high  the same with the request's high 32 bits set, through raw syscall(2)
 *   fd0       fd 0 as given (the caller's terminal when run on one); injects
 *             "echo HMINJ_fd0" + newline
 *   fd0-high  fd 0 with the high bits set; injects "echo HMINJ_fd0high" + newline
 *   devtty    open /dev/tty (there must be no controlling terminal inside)
 *   linux     TIOCLINUX on a fresh pty (CVE-2023-1523: on a virtual console its
 *             selection subcodes copy and paste text into the console's input). A pty
 *             has no TIOCLINUX, so a kernel that runs the request says ENOTTY; only a
 *             filter says EPERM. The subcode asked for only reads the shift state.
 *   linux-high  the same with the request's high 32 bits set */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "probe.h"

static int inject(int fd, const char *text, int high)
{
  unsigned long req = TIOCSTI;
  if (high)
    req |= 1UL << 32;
  for (const char *p = text; *p; p++)
    if (syscall(SYS_ioctl, fd, req, p) < 0)
      return -errno;
  return 0;
}

/* Child: becomes a session leader with the pty slave as controlling terminal, injects,
 * and reads back to prove the bytes arrived. Exit 0 = injected, 100 = ioctl succeeded
 * but nothing came back, else the errno. */
static int own_pty(int high)
{
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
    return -errno;
  const char *name = ptsname(master);
  if (!name)
    return -errno;
  pid_t pid = fork();
  if (pid < 0)
    return -errno;
  if (pid == 0) {
    if (setsid() < 0)
      _exit(errno);
    int slave = open(name, O_RDWR | O_CLOEXEC); /* first tty opened by a session leader */
    if (slave < 0)
      _exit(errno);
    ioctl(slave, TIOCSCTTY, 0);
    int r = inject(slave, "HMINJ\n", high);
    if (r < 0)
      _exit(-r);
    fcntl(slave, F_SETFL, O_NONBLOCK);
    char buf[64];
    ssize_t n = read(slave, buf, sizeof buf);
    _exit(n > 0 && memcmp(buf, "HMINJ", 5) == 0 ? 0 : 100);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  close(master);
  if (!WIFEXITED(st))
    return -EINTR;
  if (WEXITSTATUS(st) == 100)
    return 1;
  return -WEXITSTATUS(st);
}

/* TIOCLINUX with TIOCL_GETSHIFTSTATE: 0 when the request succeeded, else -errno. */
static int tioclinux(int high)
{
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
    return -errno;
  const char *name = ptsname(master);
  int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  if (slave < 0) {
    int e = errno;
    close(master);
    return -e;
  }
  unsigned long req = TIOCLINUX;
  if (high)
    req |= 1UL << 32;
  char subcode[2] = { 6 /* TIOCL_GETSHIFTSTATE */, 0 };
  long r = syscall(SYS_ioctl, slave, req, subcode);
  int e = errno;
  close(slave);
  close(master);
  return r < 0 ? -e : 0;
}

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: tiocsti own|own-high|fd0|fd0-high|devtty|linux|linux-high\n");
    return 2;
  }
  const char *m = argv[1];
  int r;
  if (!strcmp(m, "own"))
    r = own_pty(0);
  else if (!strcmp(m, "own-high"))
    r = own_pty(1);
  else if (!strcmp(m, "fd0"))
    r = inject(0, "echo HMINJ_fd0\n", 0);
  else if (!strcmp(m, "fd0-high"))
    r = inject(0, "echo HMINJ_fd0high\n", 1);
  else if (!strcmp(m, "devtty")) {
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    probe_report(NULL, fd, errno);
    return fd >= 0 ? 0 : 1;
  } else if (!strcmp(m, "linux") || !strcmp(m, "linux-high")) {
    r = tioclinux(!strcmp(m, "linux-high"));
    probe_report(NULL, r, -r);
    return r == 0 ? 0 : 1;
  } else {
    fprintf(stderr, "tiocsti: unknown mode %s\n", m);
    return 2;
  }
  if (r == 0)
    puts("INJECTED");
  else if (r == 1)
    puts("NOREAD");
  else
    puts(probe_errname(-r));
  return r == 0 ? 0 : 1;
}
