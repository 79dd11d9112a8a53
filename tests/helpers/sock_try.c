/* sock_try FAMILY: create one socket of a named kind and print OK or the errno name.
 * Only socket(2) is called; nothing is ever connected or sent (the vsock family in
 * particular reaches the hypervisor on VMs). */
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

struct kind {
  const char *name;
  int domain, type, protocol;
};

static const struct kind kinds[] = {
  { "unix", AF_UNIX, SOCK_STREAM, 0 },
  { "unix-dgram", AF_UNIX, SOCK_DGRAM, 0 },
  { "inet", AF_INET, SOCK_STREAM, 0 },
  { "inet-udp", AF_INET, SOCK_DGRAM, 0 },
  { "inet6", AF_INET6, SOCK_STREAM, 0 },
  { "inet6-udp", AF_INET6, SOCK_DGRAM, 0 },
  /* iproute2 opens rtnetlink as SOCK_RAW, so "raw" must not be refused for netlink. */
  { "netlink-route", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE },
  { "netlink-route-dgram", AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE },
  { "netlink-audit", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT },
  { "netlink-uevent", AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT },
  { "netlink-netfilter", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER },
  { "netlink-sockdiag", AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG },
  { "vsock", AF_VSOCK, SOCK_STREAM, 0 },
  { "vsock-dgram", AF_VSOCK, SOCK_DGRAM, 0 },
  { "packet", AF_PACKET, SOCK_RAW, 0 },
  { "packet-dgram", AF_PACKET, SOCK_DGRAM, 0 },
  { "raw4", AF_INET, SOCK_RAW, IPPROTO_RAW },
  { "raw4-icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP },
  /* CVE-class: a filter comparing the whole type argument misses SOCK_RAW|flags. */
  { "raw4-cloexec", AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW },
  { "raw6", AF_INET6, SOCK_RAW, IPPROTO_RAW },
  { "raw6-cloexec", AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW },
  { "inet-packet", AF_INET, SOCK_PACKET, 0 },
  { "bluetooth", 31 /* AF_BLUETOOTH */, SOCK_STREAM, 0 },
  { "alg", 38 /* AF_ALG */, SOCK_SEQPACKET, 0 },
  { "key", 15 /* AF_KEY */, SOCK_RAW, 2 /* PF_KEY_V2 */ },
  { "appletalk", 5 /* AF_APPLETALK */, SOCK_DGRAM, 0 },
  { "x25", 9 /* AF_X25 */, SOCK_SEQPACKET, 0 },
  { "tipc", 30 /* AF_TIPC */, SOCK_RDM, 0 },
  { "rds", 21 /* AF_RDS */, SOCK_SEQPACKET, 0 },
};

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: sock_try KIND\nkinds:");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
      fprintf(stderr, " %s", kinds[i].name);
    fputc('\n', stderr);
    return 2;
  }
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (strcmp(argv[1], kinds[i].name) != 0)
      continue;
    int fd = socket(kinds[i].domain, kinds[i].type, kinds[i].protocol);
    probe_report(NULL, fd, errno);
    if (fd >= 0)
      close(fd);
    return fd >= 0 ? 0 : 1;
  }
  fprintf(stderr, "sock_try: unknown kind %s\n", argv[1]);
  return 2;
}
