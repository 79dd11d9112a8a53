#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# Network isolation: nothing on the host is reachable, only lo exists inside, and the
# socket families an escape needs cannot even be created. Every listener is on the
# host's loopback and bounded in time; no traffic leaves the machine.
. "$(dirname "$0")/lib.sh"
hm_init
command -v ip >/dev/null || skip_all "ip (iproute2) is missing"
plan

# reach_host KIND ADDR: a host listener answers the host (so the probe works) but not
# the sandbox, and nothing from the sandbox reached it.
reach_host() {
  local kind=$1 addr=$2 port out rc
  listen_bg "$kind" "$addr" l
  port=$(cat "$CASE_DIR/l.ready")
  out=$("$H/connect_try" "$kind" "$addr" "$port" 2000)
  expect_eq OK "$out" "control: $kind $addr:$port from the host"
  out=$(run_ws -- "$H/connect_try" "$kind" "$addr" "$port" 2000 2>&1)
  rc=$?
  echo "inside: $out (status $rc)"
  [ "$out" != OK ] || fail "the sandbox reached the host's $kind listener on $addr:$port"
  expect_rc 1 "$rc" "connect_try inside" "$out"
  expect_eq 1 "$(wc -l <"$CASE_DIR/l.log")" "connections the host listener served (1 = the control only)"
}
case_tcp() { reach_host tcp 127.0.0.1; }
case_udp() { reach_host udp 127.0.0.1; }
case_tcp6() {
  [ -e /proc/net/if_inet6 ] || skip "no IPv6 on this host"
  reach_host tcp6 ::1
}
case_udp6() {
  [ -e /proc/net/if_inet6 ] || skip "no IPv6 on this host"
  reach_host udp6 ::1
}

case_unix_run() {
  local dir out
  if [ -n "${HM_RUN_DIR:-}" ]; then
    dir=$(mktemp -d "$HM_RUN_DIR/hermetic-test-XXXXXX") || fail "mktemp in $HM_RUN_DIR"
  elif [ -w /run ]; then
    dir=$(mktemp -d /run/hermetic-test-XXXXXX) || fail "mktemp in /run"
  else
    skip "cannot write under the host's /run as $(id -un) and HM_RUN_DIR is not set"
  fi
  chmod 755 "$dir"
  on_exit "rm -rf '$dir'"
  listen_bg unix "$dir/sock" l
  out=$("$H/unix_connect" "$dir/sock")
  expect_eq OK "$out" "control: $dir/sock from the host"
  out=$(run_ws -- "$H/unix_connect" "$dir/sock" 2>&1)
  echo "inside: $out"
  [ "$out" != OK ] || fail "the sandbox reached the host's unix socket $dir/sock"
  expect_eq 1 "$(wc -l <"$CASE_DIR/l.log")" "connections the host listener served"
}

case_unix_abstract() {
  local name=@hermetic-test-$$-$RANDOM out
  listen_bg unix "$name" l
  out=$("$H/unix_connect" "$name")
  expect_eq OK "$out" "control: abstract $name from the host"
  out=$(run_ws -- "$H/unix_connect" "$name" 2>&1)
  echo "inside: $out"
  [ "$out" != OK ] || fail "the sandbox reached the host's abstract socket $name"
  expect_eq 1 "$(wc -l <"$CASE_DIR/l.log")" "connections the host listener served"
}

# sock_expect WANT KIND...: each socket kind inside gives WANT (OK or an errno name).
sock_expect() {
  local want=$1 k out bad=0
  shift
  for k in "$@"; do
    out=$(run_ws -- "$H/sock_try" "$k" 2>&1)
    echo "$k: $out"
    [ "$out" = "$want" ] || bad=1
  done
  [ "$bad" -eq 0 ] || fail "want $want for every kind above"
}
case_vsock() {
  echo "host: vsock $("$H/sock_try" vsock)"
  sock_expect EAFNOSUPPORT vsock vsock-dgram
}
case_packet() {
  echo "host: packet $("$H/sock_try" packet)"
  sock_expect EAFNOSUPPORT packet packet-dgram
}
case_raw4() { sock_expect EPERM raw4 raw4-icmp; }
case_raw6() { sock_expect EPERM raw6; }
case_raw_flags() { sock_expect EPERM raw4-cloexec raw6-cloexec; }
case_sock_packet_type() { sock_expect EPERM inet-packet; }
case_other_families() { sock_expect EAFNOSUPPORT bluetooth alg key appletalk x25 tipc rds; }

case_netlink_other() {
  local k out bad=0
  for k in netlink-audit netlink-uevent netlink-netfilter netlink-sockdiag; do
    out=$(run_ws -- "$H/sock_try" "$k" 2>&1)
    echo "$k: $out"
    [ "$out" != OK ] || bad=1
  done
  [ "$bad" -eq 0 ] || fail "only NETLINK_ROUTE may be opened"
}

case_allowed_families() {
  sock_expect OK unix unix-dgram inet inet-udp inet6 inet6-udp netlink-route netlink-route-dgram
}

# ip_link_add NAME ARGS...: the link cannot be created inside, and the host has none.
ip_link_add() {
  local name=$1 out rc
  shift
  ip link show "$name" >/dev/null 2>&1 && skip "the host already has a link named $name"
  out=$(run_ws -- ip link add "$name" "$@" 2>&1)
  rc=$?
  echo "ip link add $name $*: status $rc: $out"
  [ "$rc" -ne 0 ] || fail "ip link add $name succeeded inside"
  if ip link show "$name" >/dev/null 2>&1; then
    ip link del "$name" 2>/dev/null
    fail "the host now has a link named $name (deleted again)"
  fi
  return 0
}
case_ip_dummy() {
  # Where the dummy driver is missing (no modules), the attempt fails everywhere and
  # this case shows nothing; the veth case below does not need a module.
  ip_link_add dummy0 type dummy
}
case_ip_veth() { ip_link_add hmveth0 type veth peer name hmveth1; }

case_sys_class_net() {
  local out rc
  out=$(run_ws -- ls -A /sys/class/net 2>&1)
  rc=$?
  echo "ls /sys/class/net: status $rc: [$out]"
  # Contract: the netns's own sysfs (only lo) or an empty tmpfs.
  case "$out" in
    lo | "") ;;
    *) fail "/sys/class/net shows more than lo" ;;
  esac
}

case_proc_net_dev() {
  local out rc ifs
  out=$(run_ws -- cat /proc/net/dev 2>&1)
  rc=$?
  expect_rc 0 "$rc" "cat /proc/net/dev" "$out"
  ifs=$(printf '%s\n' "$out" | sed -n 's/^ *\([^ :]*\):.*/\1/p' | tr '\n' ' ')
  echo "interfaces: $ifs"
  expect_eq "lo " "$ifs" "interfaces in /proc/net/dev"
}

case_ip_addr() {
  local out rc
  out=$(run_ws -- ip -o addr show 2>&1)
  rc=$?
  expect_rc 0 "$rc" "ip -o addr show" "$out"
  echo "$out"
  expect_match '^1: +lo +inet 127\.0\.0\.1/8 ' "$out" "127.0.0.1/8 on lo"
  expect_match '^1: +lo +inet6 ::1/128 ' "$out" "::1 on lo"
  expect_eq "" "$(printf '%s\n' "$out" | grep -Ev '^1: +lo ')" "addresses on interfaces other than lo"
  out=$(run_ws -- ip -o link show 2>&1)
  echo "$out"
  expect_match '^1: lo: <[^>]*\bUP\b' "$out" "lo is up"
  expect_eq 1 "$(printf '%s\n' "$out" | grep -c .)" "number of links"
}

case_loopback_inside() {
  local out
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- bash -c '
    "$0/listen_once" tcp 127.0.0.1 p.ready p.log 10 1 &
    for i in $(seq 50); do [ -s p.ready ] && break; sleep 0.1; done
    "$0/connect_try" tcp 127.0.0.1 "$(cat p.ready)" 2000
    wait' "$H" 2>&1)
  expect_eq OK "$out" "TCP over the sandbox's own lo"
}

run_case "TCP to a listener on the host's 127.0.0.1 fails" case_tcp
run_case "UDP to an echo listener on the host's 127.0.0.1 gets nothing" case_udp
run_case "TCP to a listener on the host's ::1 fails" case_tcp6
run_case "UDP to an echo listener on the host's ::1 gets nothing" case_udp6
run_case "a unix socket under the host's /run is unreachable" case_unix_run
run_case "a host abstract unix socket is unreachable" case_unix_abstract
run_case "AF_VSOCK sockets cannot be created (EAFNOSUPPORT)" case_vsock
run_case "AF_PACKET sockets cannot be created (EAFNOSUPPORT)" case_packet
run_case "raw IPv4 sockets cannot be created (EPERM)" case_raw4
run_case "raw IPv6 sockets cannot be created (EPERM)" case_raw6
run_case "SOCK_RAW with SOCK_CLOEXEC|SOCK_NONBLOCK flags is still refused" case_raw_flags
run_case "SOCK_PACKET type is refused (EPERM)" case_sock_packet_type
run_case "other families (bluetooth alg key appletalk x25 tipc rds) give EAFNOSUPPORT" case_other_families
run_case "netlink protocols other than NETLINK_ROUTE are refused" case_netlink_other
run_case "unix, inet, inet6 and rtnetlink sockets still work" case_allowed_families
run_case "ip link add dummy0 type dummy fails" case_ip_dummy
run_case "ip link add of a veth pair fails" case_ip_veth
run_case "/sys/class/net shows only lo" case_sys_class_net
run_case "/proc/net/dev shows only lo" case_proc_net_dev
run_case "ip addr: only lo, up, with 127.0.0.1/8 and ::1" case_ip_addr
run_case "loopback inside the sandbox works" case_loopback_inside
hm_finish
