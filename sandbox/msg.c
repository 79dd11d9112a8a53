/* The launcher <-> sandbox channel: one message per SOCK_SEQPACKET packet, a fixed header
 * and an optional payload, optionally with fds (SCM_RIGHTS). */
#include "internal.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int hm_msg_send(int sock, uint32_t type, int32_t value, const void *payload, size_t len) {
  return hm_msg_send_fds(sock, type, value, payload, len, NULL, 0);
}

int hm_msg_send_fds(int sock, uint32_t type, int32_t value, const void *payload, size_t len,
                    const int *fds, size_t n_fds) {
  struct hm_msg_hdr hdr = {.type = type, .value = value};
  struct iovec iov[2] = {{.iov_base = &hdr, .iov_len = sizeof hdr},
                         {.iov_base = (void *)payload, .iov_len = payload ? len : 0}};
  union {
    char buf[CMSG_SPACE(sizeof(int) * HM_MAX_FDS_PER_MSG)];
    struct cmsghdr align;
  } cbuf;
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = payload && len ? 2 : 1};
  if (n_fds > HM_MAX_FDS_PER_MSG || len > HM_MSG_MAX)
    return -EMSGSIZE;
  if (n_fds) {
    memset(&cbuf, 0, sizeof cbuf);
    mh.msg_control = cbuf.buf;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
  }
  for (;;) {
    ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    if (n >= 0)
      return 0;
    if (errno != EINTR)
      return -errno;
  }
}

int hm_msg_recv(int sock, struct hm_msg_hdr *hdr, char *payload, size_t cap, size_t *len,
                int *fds, size_t max_fds, size_t *n_fds) {
  struct iovec iov[2] = {{.iov_base = hdr, .iov_len = sizeof *hdr},
                         {.iov_base = payload, .iov_len = cap ? cap - 1 : 0}};
  union {
    char buf[CMSG_SPACE(sizeof(int) * HM_MAX_FDS_PER_MSG)];
    struct cmsghdr align;
  } cbuf;
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = cbuf.buf,
                      .msg_controllen = sizeof cbuf.buf};
  ssize_t n;
  do
    n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  if (n == 0)
    return 0; /* peer closed */
  if ((size_t)n < sizeof *hdr || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
    return -EBADMSG;
  size_t got = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *in = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < k; i++) {
      if (fds && got < max_fds)
        fds[got++] = in[i];
      else
        close(in[i]);
    }
  }
  if (n_fds)
    *n_fds = got;
  size_t plen = (size_t)n - sizeof *hdr;
  if (payload && cap)
    payload[plen] = '\0';
  if (len)
    *len = plen;
  return 1;
}
