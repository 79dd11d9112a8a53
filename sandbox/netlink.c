/* The sandbox's network: bring up `lo` in the new network namespace and describe what
 * the namespace holds (links, addresses, routes) for the isolation report. rtnetlink
 * through libnl-route; runs in the sandbox child, which holds CAP_NET_ADMIN over the
 * namespace because its user namespace created it. */
#include "internal.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <string.h>
#include <time.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1 << 16)
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT (1 << 17)
#endif
#ifndef IFF_ECHO
#define IFF_ECHO (1 << 18)
#endif

static void nl_socket_freep(struct nl_sock **sk) {
  if (*sk)
    nl_socket_free(*sk); /* closes the fd too */
}
static void nl_cache_freep(struct nl_cache **c) {
  if (*c)
    nl_cache_free(*c);
}
static void rtnl_link_putp(struct rtnl_link **l) {
  if (*l)
    rtnl_link_put(*l);
}
static void rtnl_addr_putp(struct rtnl_addr **a) {
  if (*a)
    rtnl_addr_put(*a);
}
static void nl_addr_putp(struct nl_addr **a) {
  if (*a)
    nl_addr_put(*a);
}
static void json_putp(json_object **o) {
  if (*o)
    json_object_put(*o);
}
#define _cleanup_nlsock_ __attribute__((cleanup(nl_socket_freep)))
#define _cleanup_nlcache_ __attribute__((cleanup(nl_cache_freep)))
#define _cleanup_link_ __attribute__((cleanup(rtnl_link_putp)))
#define _cleanup_rtaddr_ __attribute__((cleanup(rtnl_addr_putp)))
#define _cleanup_nladdr_ __attribute__((cleanup(nl_addr_putp)))
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

/* libnl reports its own NLE_* codes; the library's convention is errno. */
static int nle_to_errno(int nle) {
  switch (nle < 0 ? -nle : nle) {
  case NLE_INTR: return EINTR;
  case NLE_BAD_SOCK: return EBADF;
  case NLE_AGAIN: return EAGAIN;
  case NLE_NOMEM: return ENOMEM;
  case NLE_EXIST: return EEXIST;
  case NLE_INVAL: return EINVAL;
  case NLE_RANGE: return ERANGE;
  case NLE_MSGSIZE: return EMSGSIZE;
  case NLE_OPNOTSUPP: return EOPNOTSUPP;
  case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
  case NLE_OBJ_NOTFOUND: return ENOENT;
  case NLE_BUSY: return EBUSY;
  case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
  case NLE_NOACCESS: return EACCES;
  case NLE_PERM: return EPERM;
  case NLE_NODEV: return ENODEV;
  default: return EIO;
  }
}

static int nl_fail(hm_error *err, int nle, const char *what, const char *step) {
  return hm_error_set(err, nle_to_errno(nle), "%s: %s: %s", what, step, nl_geterror(nle));
}

static int rtnl_open(struct nl_sock **out, hm_error *err, const char *what) {
  struct nl_sock *sk = nl_socket_alloc();
  if (!sk)
    return hm_error_set(err, ENOMEM, "%s: allocating a netlink socket: out of memory", what);
  int r = nl_connect(sk, NETLINK_ROUTE); /* libnl opens it SOCK_CLOEXEC */
  if (r < 0) {
    nl_socket_free(sk);
    return nl_fail(err, r, what, "connecting to rtnetlink");
  }
  *out = sk;
  return 0;
}

/* "127.0.0.1/8": the address with its prefix always spelled out (nl_addr2str drops a
 * full-length prefix). */
static void format_prefix(struct nl_addr *a, char *buf, size_t n) {
  char ip[INET6_ADDRSTRLEN];
  int family = nl_addr_get_family(a);
  if ((family != AF_INET && family != AF_INET6) ||
      nl_addr_get_len(a) != (family == AF_INET ? 4u : 16u) ||
      !inet_ntop(family, nl_addr_get_binary_addr(a), ip, sizeof ip)) {
    nl_addr2str(a, buf, n);
    return;
  }
  snprintf(buf, n, "%s/%u", ip, nl_addr_get_prefixlen(a));
}

static bool addr_is(struct rtnl_addr *addr, int ifindex, int family, const void *ip,
                    unsigned prefixlen) {
  struct nl_addr *local = rtnl_addr_get_local(addr);
  size_t len = family == AF_INET ? 4 : 16;
  return rtnl_addr_get_ifindex(addr) == ifindex && rtnl_addr_get_family(addr) == family &&
         local && nl_addr_get_len(local) == len && nl_addr_get_prefixlen(local) == prefixlen &&
         memcmp(nl_addr_get_binary_addr(local), ip, len) == 0;
}

static const uint8_t loopback4[4] = { 127, 0, 0, 1 }; /* network order */

static int add_loopback_address(struct nl_sock *sk, int ifindex, int family, hm_error *err) {
  const void *ip = family == AF_INET ? (const void *)loopback4 : (const void *)&in6addr_loopback;
  _cleanup_rtaddr_ struct rtnl_addr *addr = rtnl_addr_alloc();
  _cleanup_nladdr_ struct nl_addr *local = nl_addr_build(family, ip, family == AF_INET ? 4 : 16);
  const char *what = family == AF_INET ? "adding 127.0.0.1/8 to lo" : "adding ::1/128 to lo";
  if (!addr || !local)
    return hm_error_set(err, ENOMEM, "bringing up lo: %s: out of memory", what);
  nl_addr_set_prefixlen(local, family == AF_INET ? 8 : 128);
  rtnl_addr_set_ifindex(addr, ifindex);
  rtnl_addr_set_family(addr, family);
  rtnl_addr_set_scope(addr, RT_SCOPE_HOST);
  /* Without NODAD a new IPv6 address is tentative until the DAD work runs, after the
   * kernel's ack: the build could start before ::1 can be bound (EADDRNOTAVAIL). The
   * kernel's own ::1 on lo is never tentative either. */
  if (family == AF_INET6)
    rtnl_addr_set_flags(addr, IFA_F_NODAD);
  int r = rtnl_addr_set_local(addr, local);
  if (r >= 0)
    r = rtnl_addr_add(sk, addr, 0);
  if (r < 0)
    return nl_fail(err, r, "bringing up lo", what);
  return 0;
}

static bool has_local_route6(struct nl_cache *routes, int ifindex) {
  for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
    struct rtnl_route *rt = (struct rtnl_route *)o;
    struct nl_addr *dst = rtnl_route_get_dst(rt);
    if (rtnl_route_get_table(rt) == RT_TABLE_LOCAL && rtnl_route_get_type(rt) == RTN_LOCAL &&
        dst && nl_addr_get_len(dst) == 16 && nl_addr_get_prefixlen(dst) == 128 &&
        memcmp(nl_addr_get_binary_addr(dst), &in6addr_loopback, 16) == 0 &&
        rtnl_route_get_nnexthops(rt) > 0 &&
        rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(rt, 0)) == ifindex)
      return true;
  }
  return false;
}

/* An IPv6 address added over netlink gets its local route from a work item that runs
 * after the kernel's ack (addrconf_dad_completed), so until then connecting to ::1
 * goes nowhere. Poll the routing table for it: this path only runs when the kernel did
 * not add ::1 itself, and the work item normally runs within a millisecond. */
static int wait_for_loopback6_route(struct nl_sock *sk, int ifindex, hm_error *err) {
  const struct timespec pause = { .tv_nsec = 200 * 1000 };
  double deadline = hm_now_ms() + 2000;
  for (;;) {
    _cleanup_nlcache_ struct nl_cache *routes = NULL;
    int r = rtnl_route_alloc_cache(sk, AF_INET6, 0, &routes);
    if (r < 0)
      return nl_fail(err, r, "bringing up lo", "waiting for the route to ::1");
    if (has_local_route6(routes, ifindex))
      return 0;
    if (hm_now_ms() > deadline)
      return hm_error_set(err, ETIMEDOUT, "bringing up lo: ::1 was added but the kernel did "
                          "not route it within 2 s");
    nanosleep(&pause, NULL);
  }
}

/* Setting IFF_UP on lo makes the kernel add 127.0.0.1/8 and ::1/128 itself, before it
 * acknowledges the change. Check, and add what is missing (a kernel or sysctl that
 * skipped one). ::1 cannot exist when IPv6 is off (ipv6.disable=1, disable_ipv6=1, or
 * IPv6 built as a module that is not loaded):
 * that is the host's choice, not a failure of isolation, so it is left out. */
/* *addrs_out (when not NULL): the address list read for the check, for the description
 * to reuse; NULL when addresses had to be added after it. */
static int bring_up(struct nl_sock *sk, struct nl_cache **addrs_out, hm_error *err) {
  _cleanup_link_ struct rtnl_link *orig = NULL;
  _cleanup_link_ struct rtnl_link *change = NULL;
  _cleanup_nlcache_ struct nl_cache *addrs = NULL;
  int r;
  /* By name (ifindex 0 and IFLA_IFNAME "lo"): no lookup round trip first. */
  if (!(orig = rtnl_link_alloc()) || !(change = rtnl_link_alloc()))
    return hm_error_set(err, ENOMEM, "bringing up lo: out of memory");
  rtnl_link_set_name(change, "lo");
  rtnl_link_set_flags(change, IFF_UP);
  if ((r = rtnl_link_change(sk, orig, change, 0)) < 0)
    return nl_fail(err, r, "bringing up lo", "setting IFF_UP");
  int ifindex = (int)if_nametoindex("lo");
  if (ifindex <= 0)
    return hm_error_errno(err, errno, "bringing up lo: looking up its index");

  if ((r = rtnl_addr_alloc_cache(sk, &addrs)) < 0)
    return nl_fail(err, r, "bringing up lo", "listing addresses");
  bool have4 = false, have6 = false;
  for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
    struct rtnl_addr *a = (struct rtnl_addr *)o;
    have4 = have4 || addr_is(a, ifindex, AF_INET, loopback4, 8);
    have6 = have6 || addr_is(a, ifindex, AF_INET6, &in6addr_loopback, 128);
  }
  if (have4 && have6) {
    if (addrs_out)
      *addrs_out = steal_pointer(&addrs);
    return 0;
  }
  if (!have4 && (r = add_loopback_address(sk, ifindex, AF_INET, err)) < 0)
    return r;
  if (!have6 && (r = add_loopback_address(sk, ifindex, AF_INET6, err)) < 0) {
    if (r != -EAFNOSUPPORT && r != -EACCES && r != -EOPNOTSUPP) /* no ipv6 module */
      return r;
    hm_error_clear(err);
    return 0;
  }
  return have6 ? 0 : wait_for_loopback6_route(sk, ifindex, err);
}

int hm_netns_bring_up_loopback(hm_error *err) {
  _cleanup_nlsock_ struct nl_sock *sk = NULL;
  int r = rtnl_open(&sk, err, "bringing up lo");
  return r < 0 ? r : bring_up(sk, NULL, err);
}

/* ---- describe --------------------------------------------------------------------- */

static const struct {
  unsigned flag;
  const char *name;
} iff_names[] = {
  { IFF_UP, "up" },           { IFF_BROADCAST, "broadcast" },   { IFF_DEBUG, "debug" },
  { IFF_LOOPBACK, "loopback" }, { IFF_POINTOPOINT, "pointopoint" },
  { IFF_NOTRAILERS, "notrailers" }, { IFF_RUNNING, "running" }, { IFF_NOARP, "noarp" },
  { IFF_PROMISC, "promisc" }, { IFF_ALLMULTI, "allmulti" },     { IFF_MASTER, "master" },
  { IFF_SLAVE, "slave" },     { IFF_MULTICAST, "multicast" },   { IFF_PORTSEL, "portsel" },
  { IFF_AUTOMEDIA, "automedia" }, { IFF_DYNAMIC, "dynamic" },   { IFF_LOWER_UP, "lower_up" },
  { IFF_DORMANT, "dormant" }, { IFF_ECHO, "echo" },
};

/* Route types and scopes, spelled as `ip route` does. */
static const char *const rtn_names[] = {
  [RTN_UNSPEC] = "unspec",   [RTN_UNICAST] = "unicast",     [RTN_LOCAL] = "local",
  [RTN_BROADCAST] = "broadcast", [RTN_ANYCAST] = "anycast", [RTN_MULTICAST] = "multicast",
  [RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
  [RTN_PROHIBIT] = "prohibit", [RTN_THROW] = "throw",       [RTN_NAT] = "nat",
  [RTN_XRESOLVE] = "xresolve",
};

static const char *scope_name(unsigned scope) {
  switch (scope) {
  case RT_SCOPE_UNIVERSE: return "global";
  case RT_SCOPE_SITE: return "site";
  case RT_SCOPE_LINK: return "link";
  case RT_SCOPE_HOST: return "host";
  case RT_SCOPE_NOWHERE: return "nowhere";
  default: return NULL;
  }
}

/* Add v to an object or array, taking ownership even on failure. */
static int put(json_object *parent, const char *key, json_object *v) {
  if (!v)
    return -ENOMEM;
  int r = key ? json_object_object_add(parent, key, v) : json_object_array_add(parent, v);
  if (r < 0) {
    json_object_put(v);
    return -ENOMEM;
  }
  return 0;
}

static int describe_link(struct rtnl_link *link, struct nl_cache *addrs, json_object *out) {
  json_object *o = json_object_new_object(), *flags, *list;
  if (put(out, NULL, o) < 0)
    return -ENOMEM;
  unsigned f = rtnl_link_get_flags(link);
  int ifindex = rtnl_link_get_ifindex(link);
  const char *name = rtnl_link_get_name(link);
  if (put(o, "name", json_object_new_string(name ? name : "")) < 0 ||
      put(o, "index", json_object_new_int(ifindex)) < 0 ||
      put(o, "up", json_object_new_boolean(!!(f & IFF_UP))) < 0 ||
      put(o, "flags", flags = json_object_new_array()) < 0 ||
      put(o, "addresses", list = json_object_new_array()) < 0)
    return -ENOMEM;
  for (size_t i = 0; i < HM_ARRAY_SIZE(iff_names); i++)
    if ((f & iff_names[i].flag) && put(flags, NULL, json_object_new_string(iff_names[i].name)) < 0)
      return -ENOMEM;
  for (struct nl_object *p = nl_cache_get_first(addrs); p; p = nl_cache_get_next(p)) {
    struct rtnl_addr *a = (struct rtnl_addr *)p;
    struct nl_addr *local = rtnl_addr_get_local(a);
    char buf[INET6_ADDRSTRLEN + 8];
    if (rtnl_addr_get_ifindex(a) != ifindex || !local)
      continue;
    format_prefix(local, buf, sizeof buf);
    if (put(list, NULL, json_object_new_string(buf)) < 0)
      return -ENOMEM;
  }
  return 0;
}

static json_object *family_json(int family) {
  return family == AF_INET    ? json_object_new_string("inet")
         : family == AF_INET6 ? json_object_new_string("inet6")
                              : json_object_new_int(family);
}

static json_object *table_json(uint32_t table) {
  return table == RT_TABLE_LOCAL     ? json_object_new_string("local")
         : table == RT_TABLE_MAIN    ? json_object_new_string("main")
         : table == RT_TABLE_DEFAULT ? json_object_new_string("default")
                                     : json_object_new_int64(table);
}

static json_object *type_json(unsigned type) {
  return type < HM_ARRAY_SIZE(rtn_names) && rtn_names[type]
             ? json_object_new_string(rtn_names[type])
             : json_object_new_int((int)type);
}

static json_object *scope_json(unsigned scope) {
  const char *name = scope_name(scope);
  return name ? json_object_new_string(name) : json_object_new_int((int)scope);
}

static int describe_route(struct rtnl_route *route, struct nl_cache *links, json_object *out) {
  json_object *o = json_object_new_object();
  if (put(out, NULL, o) < 0)
    return -ENOMEM;
  struct nl_addr *dst = rtnl_route_get_dst(route);
  char buf[INET6_ADDRSTRLEN + 8] = "default", dev[IFNAMSIZ] = "";
  if (dst && nl_addr_get_prefixlen(dst) > 0)
    format_prefix(dst, buf, sizeof buf);
  if (rtnl_route_get_nnexthops(route) > 0) {
    int ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0));
    if (!rtnl_link_i2name(links, ifindex, dev, sizeof dev))
      snprintf(dev, sizeof dev, "%d", ifindex);
  }
  if (put(o, "family", family_json(rtnl_route_get_family(route))) < 0 ||
      put(o, "table", table_json(rtnl_route_get_table(route))) < 0 ||
      put(o, "type", type_json(rtnl_route_get_type(route))) < 0 ||
      put(o, "dst", json_object_new_string(buf)) < 0 ||
      (dev[0] ? put(o, "dev", json_object_new_string(dev))
              : json_object_object_add(o, "dev", NULL)) < 0 || /* JSON null */
      put(o, "scope", scope_json(rtnl_route_get_scope(route))) < 0)
    return -ENOMEM;
  return 0;
}

/* addrs_in: an address list already read (taken over), or NULL to read one. */
static int describe(struct nl_sock *sk, struct nl_cache *addrs_in, json_object **out, hm_error *err) {
  static const char what[] = "describing the network namespace";
  _cleanup_nlcache_ struct nl_cache *links = NULL;
  _cleanup_nlcache_ struct nl_cache *addrs = addrs_in;
  _cleanup_nlcache_ struct nl_cache *routes = NULL;
  _cleanup_json_ json_object *o = NULL;
  json_object *ifaces, *rts;
  *out = NULL;
  int r;
  if ((r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0)
    return nl_fail(err, r, what, "listing interfaces");
  if (!addrs && (r = rtnl_addr_alloc_cache(sk, &addrs)) < 0)
    return nl_fail(err, r, what, "listing addresses");
  /* Flags 0: every table, both families; not the route cache (RTM_F_CLONED). */
  if ((r = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes)) < 0)
    return nl_fail(err, r, what, "listing routes");

  if (!(o = json_object_new_object()) ||
      put(o, "interfaces", ifaces = json_object_new_array()) < 0 ||
      put(o, "routes", rts = json_object_new_array()) < 0)
    return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  for (struct nl_object *p = nl_cache_get_first(links); p; p = nl_cache_get_next(p))
    if (describe_link((struct rtnl_link *)p, addrs, ifaces) < 0)
      return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  for (struct nl_object *p = nl_cache_get_first(routes); p; p = nl_cache_get_next(p)) {
    int family = rtnl_route_get_family((struct rtnl_route *)p);
    if (family != AF_INET && family != AF_INET6)
      continue;
    if (describe_route((struct rtnl_route *)p, links, rts) < 0)
      return hm_error_set(err, ENOMEM, "%s: out of memory", what);
  }
  *out = steal_pointer(&o);
  return 0;
}

int hm_netns_describe(json_object **out, hm_error *err) {
  _cleanup_nlsock_ struct nl_sock *sk = NULL;
  *out = NULL;
  int r = rtnl_open(&sk, err, "describing the network namespace");
  return r < 0 ? r : describe(sk, NULL, out, err);
}

int hm_netns_setup(json_object **out, hm_error *err) {
  _cleanup_nlsock_ struct nl_sock *sk = NULL;
  struct nl_cache *addrs = NULL;
  if (out)
    *out = NULL;
  int r = rtnl_open(&sk, err, "bringing up lo");
  if (r < 0 || (r = bring_up(sk, out ? &addrs : NULL, err)) < 0 || !out)
    return r;
  return describe(sk, addrs, out, err);
}
