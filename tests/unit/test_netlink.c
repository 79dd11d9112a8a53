/* Unit tests of sandbox/netlink.c. A forked child unshares a user and a network
 * namespace (creating the user namespace grants it CAP_NET_ADMIN over the new network
 * namespace; no uid_map is needed for netlink), brings up lo and describes the
 * namespace; the parent stays where it was. */
#include "internal.h"
#include "tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netlink/route/addr.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define N_TESTS 24
#define TIMING_ROUNDS 50

static json_object *get(json_object *o, const char *key) {
  json_object *v;
  return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(json_object *o, const char *key) {
  json_object *v = get(o, key);
  return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static bool has_string(json_object *arr, const char *s) {
  for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
    if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
      return true;
  return false;
}

static bool has_route(json_object *routes, const char *family, const char *table, const char *type,
                      const char *dst) {
  for (size_t i = 0; routes && i < json_object_array_length(routes); i++) {
    json_object *r = json_object_array_get_idx(routes, i);
    if (strcmp(str(r, "family"), family) == 0 && strcmp(str(r, "table"), table) == 0 &&
        strcmp(str(r, "type"), type) == 0 && strcmp(str(r, "dst"), dst) == 0 &&
        strcmp(str(r, "dev"), "lo") == 0)
      return true;
  }
  return false;
}

/* Listen on addr:0, connect, pass one byte. 0 or -errno. */
static int loopback_roundtrip(int family) {
  struct sockaddr_storage ss = { 0 };
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_loopback;
    len = sizeof *sin6;
  }
  _cleanup_close_ int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  _cleanup_close_ int c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  _cleanup_close_ int a = -1;
  char byte = 0;
  /* A lo that is not up drops the SYN: fail in a second rather than retry for minutes. */
  struct timeval tv = { .tv_sec = 1 };
  if (c >= 0 && (setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 ||
                 setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0))
    return -errno;
  if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 1) < 0 ||
      getsockname(l, (struct sockaddr *)&ss, &len) < 0 ||
      connect(c, (struct sockaddr *)&ss, len) < 0 ||
      (a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0 || write(c, "h", 1) != 1 ||
      read(a, &byte, 1) != 1)
    return -errno;
  return byte == 'h' ? 0 : -EIO;
}

static int drop_all_capabilities(void) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2] = { { 0 } };
  return (int)syscall(SYS_capset, &h, d);
}

/* In a grandchild without capabilities, bringing up lo must fail and say where. */
static void check_error_path(void) {
  int p[2];
  if (pipe(p) < 0) {
    tap_ok(false, "error path: pipe: %s", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    hm_error err = { 0 };
    close(p[0]);
    if (drop_all_capabilities() < 0)
      _exit(2);
    int r = hm_netns_bring_up_loopback(&err);
    dprintf(p[1], "%d %d %s", r, err.code, err.msg);
    _exit(0);
  }
  close(p[1]);
  char buf[1200] = "";
  ssize_t n = hm_read_all(p[0], buf, sizeof buf - 1);
  close(p[0]);
  waitpid(pid, NULL, 0);
  buf[n > 0 ? n : 0] = '\0';
  int r = 0, code = 0, off = 0;
  sscanf(buf, "%d %d %n", &r, &code, &off);
  const char *msg = buf + off;
  tap_ok(r == -EPERM && code == EPERM && strncmp(msg, "bringing up lo: ", 16) == 0,
         "without CAP_NET_ADMIN: -EPERM, message names the step (\"%s\")", msg);
}

/* Remove an address from lo behind the library's back (libnl directly). 0 or NLE. */
static int delete_lo_address(int family, const char *text) {
  struct nl_sock *sk = nl_socket_alloc();
  struct rtnl_addr *addr = rtnl_addr_alloc();
  struct nl_addr *local = NULL;
  int r = !sk || !addr ? -NLE_NOMEM : nl_connect(sk, NETLINK_ROUTE);
  if (r >= 0)
    r = nl_addr_parse(text, family, &local);
  if (r >= 0) {
    rtnl_addr_set_ifindex(addr, 1);
    rtnl_addr_set_family(addr, family);
    r = rtnl_addr_set_local(addr, local);
  }
  if (r >= 0)
    r = rtnl_addr_delete(sk, addr, 0);
  nl_addr_put(local);
  rtnl_addr_put(addr);
  nl_socket_free(sk);
  return r;
}

/* Whether lo's address of this family is tentative (IPv6 DAD not finished), so that
 * binding it would fail: -1 when there is no such address. */
static int lo_address_tentative(int family) {
  struct nl_sock *sk = nl_socket_alloc();
  struct nl_cache *cache = NULL;
  int found = -1;
  if (sk && nl_connect(sk, NETLINK_ROUTE) >= 0 && rtnl_addr_alloc_cache(sk, &cache) >= 0)
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
      struct rtnl_addr *a = (struct rtnl_addr *)o;
      if (rtnl_addr_get_ifindex(a) == 1 && rtnl_addr_get_family(a) == family)
        found = (rtnl_addr_get_flags(a) & IFA_F_TENTATIVE) != 0;
    }
  nl_cache_free(cache);
  nl_socket_free(sk);
  return found;
}

static json_object *lo_addresses(json_object **holder) {
  hm_error err = { 0 };
  *holder = NULL;
  if (hm_netns_describe(holder, &err) < 0)
    return NULL;
  return get(json_object_array_get_idx(get(*holder, "interfaces"), 0), "addresses");
}

/* The kernel normally adds both loopback addresses itself; the library must put back
 * whichever is missing. */
static void check_readd(void) {
  json_object *holder;
  hm_error err = { 0 };
  int d4 = delete_lo_address(AF_INET, "127.0.0.1/8"), d6 = delete_lo_address(AF_INET6, "::1/128");
  json_object *addrs = lo_addresses(&holder);
  bool gone = d4 >= 0 && d6 >= 0 && addrs && json_object_array_length(addrs) == 0;
  json_object_put(holder);
  int r = hm_netns_bring_up_loopback(&err);
  /* At once: the kernel finishes a new IPv6 address (DAD, then its local route) in a
   * work item after the ack; the library must have waited for it. */
  int tentative = lo_address_tentative(AF_INET6);
  addrs = lo_addresses(&holder);
  bool route6 = has_route(get(holder, "routes"), "inet6", "local", "local", "::1/128");
  tap_ok(gone && r == 0 && has_string(addrs, "127.0.0.1/8") && has_string(addrs, "::1/128") &&
             tentative == 0 && route6,
         "addresses removed from lo are put back, ::1 usable at once (removed: %s, "
         "bring-up: %s, ::1 tentative: %d, ::1 local route: %s)",
         gone ? "yes" : "no", r == 0 ? "ok" : err.msg, tentative, route6 ? "yes" : "no");
  json_object_put(holder);
  int r4 = loopback_roundtrip(AF_INET), r6 = loopback_roundtrip(AF_INET6);
  tap_ok(r4 == 0 && r6 == 0, "and TCP over them works again (%s, %s)",
         r4 ? strerror(-r4) : "ok", r6 ? strerror(-r6) : "ok");
}

/* IPv6 switched off on lo (what ipv6.disable=1 or disable_ipv6=1 give): no ::1, and
 * that is not an error. Runs in a grandchild with a network namespace of its own. */
static void check_ipv6_disabled(void) {
  int p[2];
  if (pipe(p) < 0) {
    tap_ok(false, "IPv6 disabled: pipe: %s", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    hm_error err = { 0 };
    json_object *holder = NULL;
    char verdict = 'f';
    close(p[0]);
    int fd = -1;
    if (unshare(CLONE_NEWNET) < 0 ||
        (fd = open("/proc/sys/net/ipv6/conf/lo/disable_ipv6", O_WRONLY | O_CLOEXEC)) < 0 ||
        write(fd, "1", 1) != 1) {
      verdict = 's';
    } else if (hm_netns_bring_up_loopback(&err) == 0) {
      json_object *addrs = lo_addresses(&holder);
      if (has_string(addrs, "127.0.0.1/8") && !has_string(addrs, "::1/128") &&
          loopback_roundtrip(AF_INET) == 0)
        verdict = 'p';
    } else {
      dprintf(2, "# %s\n", err.msg);
    }
    json_object_put(holder);
    if (write(p[1], &verdict, 1) != 1)
      _exit(1);
    _exit(0);
  }
  close(p[1]);
  char verdict = 'f';
  if (read(p[0], &verdict, 1) != 1)
    verdict = 'f';
  close(p[0]);
  waitpid(pid, NULL, 0);
  if (verdict == 's')
    tap_skip("IPv6 disabled: cannot set disable_ipv6 in a new netns here");
  else
    tap_ok(verdict == 'p', "with IPv6 disabled on lo: bring-up succeeds with 127.0.0.1/8 only");
}

static double median(double *v, size_t n) {
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return v[n / 2];
}

/* Fresh network namespaces (we hold CAP_SYS_ADMIN in our user namespace): cost of
 * bring-up and describe as the sandbox pays it, once per namespace. */
static void measure(void) {
  double up[TIMING_ROUNDS], desc[TIMING_ROUNDS];
  size_t n = 0;
  for (; n < TIMING_ROUNDS; n++) {
    hm_error err = { 0 };
    json_object *j = NULL;
    if (unshare(CLONE_NEWNET) < 0)
      break;
    double t0 = hm_now_ms();
    int r1 = hm_netns_bring_up_loopback(&err);
    double t1 = hm_now_ms();
    int r2 = hm_netns_describe(&j, &err);
    double t2 = hm_now_ms();
    json_object_put(j);
    if (r1 < 0 || r2 < 0)
      break;
    up[n] = t1 - t0;
    desc[n] = t2 - t1;
  }
  if (n < TIMING_ROUNDS) {
    tap_ok(false, "timing: %zu fresh namespaces set up before a failure", n);
    return;
  }
  double mu = median(up, n), md = median(desc, n);
  tap_diag("median over %d fresh netns: bring_up %.3f ms, describe %.3f ms, total %.3f ms",
           TIMING_ROUNDS, mu, md, mu + md);
  /* Loose bound: catches a pathology (a retry loop, a timeout) without flaking. */
  tap_ok(mu + md < 20.0, "bring_up + describe median %.3f ms (< 20 ms)", mu + md);
}

static int child(void) {
  hm_error err = { 0 };
  json_object *before = NULL, *after = NULL;
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
    tap_diag("unshare: %s", strerror(errno));
    return 1;
  }

  int r = hm_netns_describe(&before, &err);
  json_object *ifs = get(before, "interfaces");
  json_object *lo = ifs ? json_object_array_get_idx(ifs, 0) : NULL;
  tap_ok(r == 0 && before, "describe before bring-up: %s", r == 0 ? "ok" : err.msg);
  tap_ok(lo && json_object_array_length(ifs) == 1 && strcmp(str(lo, "name"), "lo") == 0 &&
             !json_object_get_boolean(get(lo, "up")) &&
             json_object_array_length(get(lo, "addresses")) == 0,
         "a new netns has only lo, down, without addresses");

  double t0 = hm_now_ms();
  r = hm_netns_bring_up_loopback(&err);
  double t1 = hm_now_ms();
  tap_ok(r == 0, "bring up lo: %s", r == 0 ? "ok" : err.msg);
  r = hm_netns_describe(&after, &err);
  double t2 = hm_now_ms();
  tap_ok(r == 0 && after, "describe after bring-up: %s", r == 0 ? "ok" : err.msg);
  tap_diag("first call in this process: bring_up %.3f ms, describe %.3f ms", t1 - t0, t2 - t1);
  tap_diag("%s", after ? json_object_to_json_string_ext(after, JSON_C_TO_STRING_PLAIN) : "(none)");

  ifs = get(after, "interfaces");
  lo = ifs ? json_object_array_get_idx(ifs, 0) : NULL;
  json_object *flags = get(lo, "flags"), *addrs = get(lo, "addresses");
  tap_ok(ifs && json_object_array_length(ifs) == 1, "exactly one interface (%zu)",
         ifs ? json_object_array_length(ifs) : 0);
  tap_ok(lo && strcmp(str(lo, "name"), "lo") == 0 && json_object_get_int(get(lo, "index")) == 1,
         "it is lo, index 1");
  tap_ok(json_object_get_boolean(get(lo, "up")) && has_string(flags, "up") &&
             has_string(flags, "loopback") && has_string(flags, "running"),
         "lo is up: flags up, loopback, running");
  tap_ok(has_string(addrs, "127.0.0.1/8"), "lo has 127.0.0.1/8");
  tap_ok(has_string(addrs, "::1/128"), "lo has ::1/128");
  tap_ok(addrs && json_object_array_length(addrs) == 2, "lo has no other address");

  json_object *routes = get(after, "routes");
  tap_ok(has_route(routes, "inet", "local", "local", "127.0.0.0/8") &&
             has_route(routes, "inet", "local", "local", "127.0.0.1/32"),
         "IPv4 local routes 127.0.0.0/8 and 127.0.0.1/32 on lo");
  tap_ok(has_route(routes, "inet6", "local", "local", "::1/128"), "IPv6 local route ::1/128 on lo");
  bool any_default = false, bad_dev = false;
  for (size_t i = 0; routes && i < json_object_array_length(routes); i++) {
    json_object *rt = json_object_array_get_idx(routes, i);
    any_default |= strcmp(str(rt, "dst"), "default") == 0;
    bad_dev |= get(rt, "dev") && strcmp(str(rt, "dev"), "lo") != 0;
  }
  tap_ok(routes && json_object_array_length(routes) > 0 && !any_default && !bad_dev,
         "no default route, every route on lo (%zu routes)",
         routes ? json_object_array_length(routes) : 0);

  r = hm_netns_bring_up_loopback(&err);
  tap_ok(r == 0, "bringing up lo twice is harmless: %s", r == 0 ? "ok" : err.msg);

  r = loopback_roundtrip(AF_INET);
  tap_ok(r == 0, "TCP over 127.0.0.1 in the netns: %s", r == 0 ? "ok" : strerror(-r));
  r = loopback_roundtrip(AF_INET6);
  tap_ok(r == 0, "TCP over ::1 in the netns: %s", r == 0 ? "ok" : strerror(-r));

  json_object *o = NULL;
  r = hm_netns_describe(&o, &err);
  tap_ok(r == 0 && o && json_object_equal(o, after),
         "describe is stable across calls");
  json_object_put(o);

  /* What the sandbox's init calls: bring-up and description on one socket, the address
   * dump shared. In a fresh netns it must describe what the two calls above did; with no
   * description wanted, it brings lo up all the same. */
  json_object *both = NULL;
  if (unshare(CLONE_NEWNET) < 0) {
    tap_ok(false, "hm_netns_setup: unshare(CLONE_NEWNET): %s", strerror(errno));
  } else {
    r = hm_netns_setup(&both, &err);
    tap_ok(r == 0 && both && json_object_equal(both, after),
           "hm_netns_setup in a fresh netns describes what bring-up + describe did: %s",
           r == 0 ? "ok" : err.msg);
  }
  json_object_put(both);
  both = NULL;
  if (unshare(CLONE_NEWNET) < 0) {
    tap_ok(false, "hm_netns_setup(NULL): unshare(CLONE_NEWNET): %s", strerror(errno));
  } else {
    r = hm_netns_setup(NULL, &err);
    int r2 = r == 0 ? hm_netns_describe(&both, &err) : r;
    tap_ok(r == 0 && r2 == 0 && both && json_object_equal(both, after),
           "hm_netns_setup without a description brings lo up all the same: %s",
           r == 0 && r2 == 0 ? "ok" : err.msg);
  }
  json_object_put(both);

  check_readd();
  check_ipv6_disabled();
  check_error_path();
  measure();
  json_object_put(before);
  json_object_put(after);
  return tap_exit_status(N_TESTS);
}

static bool can_unshare_netns(char *why, size_t n) {
  int p[2];
  if (pipe(p) < 0)
    return false;
  pid_t pid = fork();
  if (pid == 0) {
    int e = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : errno;
    if (write(p[1], &e, sizeof e) < 0)
      _exit(1);
    _exit(0);
  }
  close(p[1]);
  int e = -1;
  if (read(p[0], &e, sizeof e) != sizeof e)
    e = EIO;
  close(p[0]);
  waitpid(pid, NULL, 0);
  snprintf(why, n, "unshare(CLONE_NEWUSER|CLONE_NEWNET) fails here: %s", strerror(e));
  return e == 0;
}

int main(void) {
  char why[256];
  if (!can_unshare_netns(why, sizeof why))
    tap_skip_all("%s", why);
  tap_plan(N_TESTS);
  pid_t pid = fork();
  if (pid < 0)
    return 1;
  if (pid == 0) {
    int rc = child();
    fflush(stdout);
    _exit(rc);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return 1;
  if (!WIFEXITED(status)) {
    printf("# test child died of signal %d\n", WTERMSIG(status));
    return 1;
  }
  return WEXITSTATUS(status);
}
