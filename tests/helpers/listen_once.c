/* listen_once KIND ADDR READYFILE LOGFILE TIMEOUT_S [MAX_CONNS]
 * A bounded echo listener the TAP scripts start on the host before a sandbox runs.
 * KIND: tcp|udp|tcp6|udp6 (ADDR is 127.0.0.1 or ::1; the port is chosen by the kernel
 * and written to READYFILE) or unix (ADDR is a path or @abstract; READYFILE gets
 * "ready"). Every connection or datagram served appends one line to LOGFILE, so a test
 * can tell whether anything reached the host. Exits after TIMEOUT_S or MAX_CONNS. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void write_file_atomic(const char *path, const char *text)
{
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "we");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
    perror("listen_once: ready file");
    exit(2);
  }
}

static void log_line(const char *path, const char *what)
{
  FILE *f = fopen(path, "ae");
  if (f) {
    fprintf(f, "%s\n", what);
    fclose(f);
  }
}

int main(int argc, char **argv)
{
  if (argc < 6) {
    fprintf(stderr, "usage: listen_once tcp|udp|tcp6|udp6|unix ADDR READYFILE LOGFILE TIMEOUT_S [MAX]\n");
    return 2;
  }
  const char *kind = argv[1], *addr = argv[2], *ready = argv[3], *logf = argv[4];
  long deadline = now_ms() + atol(argv[5]) * 1000L;
  long max = argc > 6 ? atol(argv[6]) : 1000;
  int is_unix = strcmp(kind, "unix") == 0;
  int udp = strncmp(kind, "udp", 3) == 0;
  int v6 = strchr(kind, '6') != NULL;
  struct sockaddr_storage ss = { 0 };
  socklen_t slen;
  int fd;

  if (is_unix) {
    struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
    size_t len = strlen(addr);
    sun->sun_family = AF_UNIX;
    if (len >= sizeof sun->sun_path)
      return 2;
    memcpy(sun->sun_path, addr, len);
    if (addr[0] == '@')
      sun->sun_path[0] = '\0';
    slen = offsetof(struct sockaddr_un, sun_path) + len + (addr[0] == '@' ? 0 : 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  } else if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
      return 2;
    slen = sizeof *s6;
    fd = socket(AF_INET6, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
      return 2;
    slen = sizeof *s4;
    fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) {
    perror("listen_once: socket");
    return 2;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, slen) < 0) {
    perror("listen_once: bind");
    return 2;
  }
  if (is_unix && addr[0] != '@')
    chmod(addr, 0777); /* reachability, not permissions, is what the tests measure */
  if (!udp && listen(fd, 16) < 0) {
    perror("listen_once: listen");
    return 2;
  }
  char text[64];
  if (is_unix) {
    snprintf(text, sizeof text, "ready\n");
  } else {
    slen = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &slen);
    int port = v6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                  : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    snprintf(text, sizeof text, "%d\n", port);
  }
  write_file_atomic(ready, text);

  long served = 0;
  while (served < max) {
    long left = deadline - now_ms();
    if (left <= 0)
      break;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    char buf[512];
    if (udp) {
      struct sockaddr_storage peer;
      socklen_t plen = sizeof peer;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
      if (n < 0)
        continue;
      sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen);
      log_line(logf, "datagram");
    } else {
      int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
      if (c < 0)
        continue;
      struct pollfd q = { .fd = c, .events = POLLIN };
      if (poll(&q, 1, 2000) > 0) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n > 0)
          send(c, buf, n, MSG_NOSIGNAL);
      }
      close(c);
      log_line(logf, "connection");
    }
    served++;
  }
  if (is_unix && addr[0] != '@')
    unlink(addr);
  return 0;
}
