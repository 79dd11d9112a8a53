#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# Who the build is: uid/gid 1000 (never 0), no capabilities in any set, no_new_privs,
# seccomp in filter mode, its own namespaces and hostname, and a uid map that never
# reaches host root.
. "$(dirname "$0")/lib.sh"
hm_init
plan

case_uid() {
  local out
  out=$(run_ws -- sh -c 'id -u; id -g; id -ru; id -rg' 2>&1)
  expect_eq "$(printf '1000\n1000\n1000\n1000')" "$out" "uid, gid, real uid, real gid inside"
}

case_groups() {
  local out g
  out=$(run_ws -- id -G 2>&1)
  echo "id -G: $out"
  for g in $out; do
    case "$g" in
      1000) ;;
      65534) is_root && fail "as root, supplementary groups can be dropped; got 65534 (host groups leak in)" ;;
      *) fail "supplementary group $g inside" ;;
    esac
  done
}

case_caps() {
  local out
  out=$(run_ws -- "$H/caps_dump" 2>&1)
  echo "$out"
  expect_match '^CapInh 0000000000000000$' "$out" "CapInh"
  expect_match '^CapPrm 0000000000000000$' "$out" "CapPrm"
  expect_match '^CapEff 0000000000000000$' "$out" "CapEff"
  expect_match '^CapBnd 0000000000000000$' "$out" "CapBnd"
  expect_match '^CapAmb 0000000000000000$' "$out" "CapAmb"
}

case_nnp_seccomp() {
  local out
  out=$(run_ws -- "$H/caps_dump" 2>&1)
  echo "$out"
  expect_match '^NoNewPrivs 1$' "$out" "NoNewPrivs"
  expect_match '^Seccomp 2$' "$out" "Seccomp (2 = filter)"
}

case_caps_after_exec_chain() {
  local out
  # Capabilities must stay empty in grandchildren too (ambient/inheritable leaks show
  # up only after an exec).
  # shellcheck disable=SC2016 # expanded by the shells inside the sandbox
  out=$(run_ws -- sh -c 'sh -c "exec \"$1/caps_dump\"" sh "$1"' sh "$H" 2>&1)
  echo "$out"
  expect_match '^CapEff 0000000000000000$' "$out" "CapEff after two execs"
  expect_match '^CapPrm 0000000000000000$' "$out" "CapPrm after two execs"
}

case_hostname() {
  local before out
  before=$(hostname)
  out=$(run_ws -- sh -c 'hostname; uname -n; cat /proc/sys/kernel/hostname' 2>&1)
  expect_eq "$(printf 'hermetic\nhermetic\nhermetic')" "$out" "hostname inside"
  out=$(run_ws -- hostname hermetic-test-evil 2>&1)
  echo "hostname hermetic-test-evil inside: $? $out"
  if [ "$(hostname)" != "$before" ]; then
    hostname "$before" 2>/dev/null
    fail "the sandbox changed the host's hostname (restored to $before)"
  fi
}

case_namespaces() {
  local ns out host inside bad=0
  for ns in user mnt pid net uts ipc cgroup; do
    [ -e "/proc/self/ns/$ns" ] || continue
    host=$(readlink "/proc/self/ns/$ns")
    inside=$(run_ws -- readlink "/proc/self/ns/$ns" 2>&1)
    echo "$ns: host $host inside $inside"
    [ -n "$inside" ] && [ "$inside" != "$host" ] || bad=1
  done
  [ "$bad" -eq 0 ] || fail "a namespace is shared with the host"
}

case_uid_map() {
  local out want_host
  if is_root; then want_host=1999999999; else want_host=$(id -u); fi
  out=$(run_ws -- sh -c 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map' 2>&1)
  echo "$out"
  printf '%s\n' "$out" | awk -v h="$want_host" '$1 == 1000 && $2 == h { f = 1 } END { exit !f }' ||
    fail "uid 1000 inside is not host uid $want_host"
  # Nothing inside may be host root: a line whose host range contains 0.
  printf '%s\n' "$out" | awk '$2 == 0 { bad = 1 } END { exit bad }' ||
    fail "an id inside maps to host id 0"
}

case_root_mount_flags() {
  local out
  # shellcheck disable=SC2016 # awk fields, not shell expansions
  out=$(run_ws -- awk '$5 == "/" { o = $6 } END { print o }' /proc/self/mountinfo 2>&1)
  echo "/ mount options: $out"
  expect_match '(^|,)ro(,|$)' "$out" "/ is read-only"
  expect_match '(^|,)nosuid(,|$)' "$out" "/ is nosuid"
  expect_match '(^|,)nodev(,|$)' "$out" "/ is nodev"
}

case_setuid_no_gain() {
  local out d
  is_root || skip "needs root (to make a setuid-root binary)"
  mkdir -p "$CASE_DIR/suid"
  for d in "$CASE_DIR/suid" "$WS"; do
    cp "$(command -v id)" "$d/suid-id" || fail "copy id"
    chown 0:0 "$d/suid-id"
    chmod 4755 "$d/suid-id"
    out=$(run_ws -- "$d/suid-id" -u 2>&1)
    echo "$d/suid-id -u: $out"
    expect_eq 1000 "$out" "euid of a setuid-root binary in $d"
  done
}

# Started as root, the sandbox's uid 0 (the init's setup uid) is host uid 1999999998: a
# binary setuid/setgid to it is owned by root inside, and would make the build root of
# its user namespace with every capability there, were the bits honoured. Two layers say
# no: every mount is nosuid, and no_new_privs ignores the bits even where one is not.
case_setuid_ns_root() {
  local f=$CASE_DIR/suid/id-nsroot ns_root=1999999998 host out
  is_root || skip "needs root (to make a binary setuid to the sandbox's uid 0)"
  command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
  mkdir -p "$CASE_DIR/suid"
  chmod 755 "$CASE_DIR/suid"
  cp "$(command -v id)" "$f" || fail "copy id"
  chown "$ns_root:$ns_root" "$f"
  chmod 6755 "$f"
  # Control: on the host the bits work (uid 65534 runs it as the file's owner).
  host=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$f" -u 2>&1)
  echo "host: $f -u as uid 65534: $host"
  [ "$host" = "$ns_root" ] || echo "note: the host does not honour the setuid bit here (a nosuid mount?)"
  out=$(run_ws -- stat -c %u:%g "$f" 2>&1)
  expect_eq 0:0 "$out" "owner of the setuid binary seen inside (the sandbox's root)"
  # shellcheck disable=SC2016
  out=$(run_ws -- sh -c '"$1" -u; "$1" -g; "$1" -G' sh "$f" 2>&1)
  echo "inside: euid, egid, groups: $(printf '%s\n' "$out" | tr '\n' ' ')"
  expect_eq "$(printf '1000\n1000\n1000')" "$out" "effective ids of the setuid binary inside"
  # shellcheck disable=SC2016
  out=$(run_ws -- sh -c 'exec "$1" -u' sh "$f" 2>&1)
  expect_eq 1000 "$out" "euid when the setuid binary is exec'd directly"
}

# The same for file capabilities: a v3 security.capability whose root id is the
# sandbox's uid 0 is valid inside (getcap there shows it, as the kernel would honour it),
# and would grant CAP_NET_RAW and CAP_SYS_ADMIN over the sandbox's namespaces on exec.
# Three layers say no: nosuid mounts, no_new_privs, and the empty bounding set.
case_file_caps_ns_root() {
  local f=$CASE_DIR/fcap/caps-nsroot out
  is_root || skip "needs root (to set file capabilities)"
  command -v setcap >/dev/null || skip "setcap (libcap) is missing"
  command -v getcap >/dev/null || skip "getcap (libcap) is missing"
  mkdir -p "$CASE_DIR/fcap"
  chmod 755 "$CASE_DIR/fcap"
  cp "$H/caps_dump" "$f" || fail "copy caps_dump"
  chmod 755 "$f"
  setcap -n 1999999998 cap_net_raw,cap_sys_admin+ep "$f" || skip "this filesystem does not take file capabilities"
  echo "host: $(getcap -n "$f")"
  out=$(run_ws -- getcap "$f" 2>&1)
  echo "inside: $out"
  expect_match 'cap_net_raw' "$out" "control: the file capability is valid in the sandbox's user namespace"
  out=$(run_ws -- "$f" 2>&1)
  echo "$out"
  expect_match '^CapPrm 0000000000000000$' "$out" "CapPrm of the file-capability binary inside"
  expect_match '^CapEff 0000000000000000$' "$out" "CapEff of the file-capability binary inside"
}

run_case "uid and gid inside are 1000 (real and effective), not 0" case_uid
run_case "no host supplementary groups inside" case_groups
run_case "every capability set is empty" case_caps
run_case "NoNewPrivs is 1 and Seccomp is 2" case_nnp_seccomp
run_case "capabilities stay empty across exec" case_caps_after_exec_chain
run_case "hostname is 'hermetic' and the host's is untouched" case_hostname
run_case "user mnt pid net uts ipc cgroup namespaces differ from the host's" case_namespaces
run_case "uid 1000 maps to the contract's host uid and nothing maps to host root" case_uid_map
run_case "/ is mounted ro,nosuid,nodev" case_root_mount_flags
run_case "a setuid-root binary does not run as root" case_setuid_no_gain
run_case "a binary setuid to the sandbox's uid 0 gives no privileges (nosuid, no_new_privs)" case_setuid_ns_root
run_case "file capabilities for the sandbox's uid 0 give none (nosuid, no_new_privs, bounding set)" case_file_caps_ns_root
hm_finish
