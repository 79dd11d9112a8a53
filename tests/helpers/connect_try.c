/* connect_try tcp|udp|tcp6|udp6 ADDR PORT [TIMEOUT_MS]
 * Reach a listener and get an echo back. Prints OK only when the peer answered, else the
 * errno name of the step that failed (ETIMEDOUT when nothing came back in time). UDP uses
 * a connected socket, send() then recv() with a timeout, so an ICMP port-unreachable from
 * a sandbox-private loopback shows up as ECONNREFUSED. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

static int wait_fd(int fd, short ev, int timeout_ms)
{
  struct pollfd p = { .fd = fd, .events = ev };
  int r;
  do
    r = poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r == 0) {
    errno = ETIMEDOUT;
    return -1;
  }
  return r < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: connect_try tcp|udp|tcp6|udp6 ADDR PORT [TIMEOUT_MS]\n");
    return 2;
  }
  const char *proto = argv[1];
  int v6 = strchr(proto, '6') != NULL;
  int udp = strncmp(proto, "udp", 3) == 0;
  int timeout_ms = argc > 4 ? atoi(argv[4]) : 2000;
  struct sockaddr_storage ss = { 0 };
  socklen_t slen;
  if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(atoi(argv[3]));
    if (inet_pton(AF_INET6, argv[2], &s6->sin6_addr) != 1) {
      fprintf(stderr, "connect_try: bad address %s\n", argv[2]);
      return 2;
    }
    slen = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &s4->sin_addr) != 1) {
      fprintf(stderr, "connect_try: bad address %s\n", argv[2]);
      return 2;
    }
    slen = sizeof *s4;
  }

  int fd = socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    printf("socket: %s\n", probe_errname(errno));
    return 1;
  }
  if (connect(fd, (struct sockaddr *)&ss, slen) < 0) {
    if (errno != EINPROGRESS) {
      puts(probe_errname(errno));
      return 1;
    }
    if (wait_fd(fd, POLLOUT, timeout_ms) < 0) {
      puts(probe_errname(errno));
      return 1;
    }
    int soerr = 0;
    socklen_t l = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
    if (soerr) {
      puts(probe_errname(soerr));
      return 1;
    }
  }
  static const char msg[] = "hermetic-probe\n";
  ssize_t n;
  do
    n = send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    puts(probe_errname(errno));
    return 1;
  }
  if (wait_fd(fd, POLLIN, timeout_ms) < 0) {
    puts(probe_errname(errno));
    return 1;
  }
  char buf[256];
  do
    n = recv(fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    puts(probe_errname(errno));
    return 1;
  }
  if (n == 0) {
    puts("ECONNRESET");
    return 1;
  }
  puts("OK");
  close(fd);
  return 0;
}
