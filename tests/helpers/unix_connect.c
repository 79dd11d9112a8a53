/* unix_connect PATH|@ABSTRACT [TIMEOUT_MS]: connect a stream unix socket, send a line
 * and wait for the echo. Prints OK or the errno name. */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: unix_connect PATH|@ABSTRACT [TIMEOUT_MS]\n");
    return 2;
  }
  int timeout_ms = argc > 2 ? atoi(argv[2]) : 2000;
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  size_t len = strlen(argv[1]);
  if (len >= sizeof sun.sun_path) {
    fprintf(stderr, "unix_connect: path too long\n");
    return 2;
  }
  memcpy(sun.sun_path, argv[1], len);
  if (argv[1][0] == '@')
    sun.sun_path[0] = '\0'; /* abstract namespace: leading NUL, no terminator */
  socklen_t slen = offsetof(struct sockaddr_un, sun_path) + len + (argv[1][0] == '@' ? 0 : 1);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    printf("socket: %s\n", probe_errname(errno));
    return 1;
  }
  if (connect(fd, (struct sockaddr *)&sun, slen) < 0) {
    puts(probe_errname(errno));
    return 1;
  }
  static const char msg[] = "hermetic-probe\n";
  if (send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL) < 0) {
    puts(probe_errname(errno));
    return 1;
  }
  struct pollfd p = { .fd = fd, .events = POLLIN };
  int r = poll(&p, 1, timeout_ms);
  if (r <= 0) {
    puts(r == 0 ? "ETIMEDOUT" : probe_errname(errno));
    return 1;
  }
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n <= 0) {
    puts(n == 0 ? "ECONNRESET" : probe_errname(errno));
    return 1;
  }
  puts("OK");
  return 0;
}
