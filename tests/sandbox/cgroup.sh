#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# --pids and --memory on cgroup v2: the build gets a cgroup of its own, the limits bound
# the whole build together (not each process), the report says cgroup2 and what the
# kernel counted, the cgroup namespace is rooted there, nothing is left afterwards; a
# delegated cgroup is used by a non-root launcher, and without one the limits fall back
# to rlimits with the reason in the report.
#
# Needs root and the unified hierarchy at /sys/fs/cgroup with the pids and memory
# controllers. Where the host binds them to cgroup v1 (this is the case on hybrid hosts),
# meson runs this suite inside User-mode Linux (tests/uml/uml.sh) instead.
. "$(dirname "$0")/lib.sh"
hm_init
CG=/sys/fs/cgroup
is_root || skip_all "needs root: the cases set up cgroups and delegate one"
[ "$(stat -f -c %T "$CG" 2>/dev/null)" = cgroup2fs ] || skip_all "$CG is not the unified cgroup v2 hierarchy"
for c in pids memory; do
  grep -qw "$c" "$CG/cgroup.controllers" || skip_all "the cgroup v2 hierarchy has no $c controller"
done
[ -n "$HM_PY" ] || skip_all "python3 is missing"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
NOBODY=65534
plan

# field REPORT PATH...: one value of the JSON report ("null" when absent).
field() {
  "$HM_PY" - "$@" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)
PY
}

leftovers() { find "$CG" -mindepth 1 -maxdepth 2 -type d -name 'run-*' 2>/dev/null; }

case_pids() {
  local out n
  out=$(run_ws --pids 30 --report "$CASE_DIR/r.json" -- "$H/forkbomb" 500 3 2>&1)
  echo "$out"
  expect_match '^forked [0-9]+ EAGAIN$' "$out" "the bomb hit the limit"
  n=$(printf '%s\n' "$out" | sed -n 's/^forked \([0-9]*\) .*/\1/p')
  [ "$n" -lt 30 ] || fail "forked $n processes under --pids 30"
  expect_eq cgroup2 "$(field "$CASE_DIR/r.json" limits pids mechanism)" "pids mechanism"
  expect_match '^/hermetic/run-[0-9]+-[0-9]+$' "$(field "$CASE_DIR/r.json" limits pids cgroup)" "the build's cgroup"
  local peak
  peak=$(field "$CASE_DIR/r.json" limits pids peak)
  if [ "$peak" != null ]; then # pids.peak: Linux 6.1 and later
    if [ "$peak" -gt 31 ] || [ "$peak" -lt 10 ]; then fail "pids.peak $peak under --pids 30"; fi
  fi
  expect_eq "" "$(leftovers)" "no cgroup left"
}

# Two processes of 40 MiB each: each fits in 64 MiB (so rlimits would let both run), the
# two together do not.
case_memory_whole_build() {
  local out rc
  out=$(run_ws -- sh -c "$H/memhog 40 2 & $H/memhog 40 2; wait" 2>&1)
  expect_eq "allocated 40 OK
allocated 40 OK" "$out" "control: two 40 MiB processes without --memory"
  out=$(run_ws --memory 64M --report "$CASE_DIR/r.json" -- sh -c "$H/memhog 40 2 & $H/memhog 40 2; wait" 2>&1)
  rc=$?
  echo "status $rc: $out"
  expect_eq cgroup2 "$(field "$CASE_DIR/r.json" limits memory mechanism)" "memory mechanism"
  [ "$(printf '%s\n' "$out" | grep -c '^allocated 40 OK$')" -lt 2 ] || fail "both ran under --memory 64M"
  local kills
  kills=$(field "$CASE_DIR/r.json" limits memory oom_kills)
  if [ "$kills" = null ] || [ "$kills" -lt 1 ]; then fail "oom_kills in the report: $kills"; fi
  expect_eq "" "$(leftovers)" "no cgroup left"
}

case_memory_single() {
  local out rc
  out=$(run_ws --memory 64M --report "$CASE_DIR/r.json" -- "$H/memhog" 256 2>&1)
  rc=$?
  echo "status $rc: $out"
  expect_rc 137 "$rc" "memhog 256 under --memory 64M is OOM-killed (128+SIGKILL)"
  expect_match 'swap off|cgroup$' "$(field "$CASE_DIR/r.json" limits memory scope)" "the scope"
}

case_cgroupns() {
  local out
  out=$(run_ws --pids 30 -- cat /proc/self/cgroup 2>&1)
  expect_eq "0::/" "$out" "the build's cgroup namespace is rooted at its cgroup"
  out=$(run_ws -- cat /proc/self/cgroup 2>&1)
  expect_eq "0::/" "$out" "without limits too"
}

case_daemon_killed() {
  local out size
  out=$(run_ws --pids 30 -- "$H/daemonize" "$WS/marker" 30 2>&1)
  expect_rc 0 $? "daemonize" "$out"
  expect_eq "" "$(leftovers)" "the cgroup is removed though the build left a daemon"
  size=$(file_size "$WS/marker")
  sleep 0.5
  expect_eq "$size" "$(file_size "$WS/marker")" "the daemon is dead (its marker does not grow)"
}

case_no_limits_no_cgroup() {
  local before after
  before=$(find "$CG" -maxdepth 2 -type d | sort)
  run_ws --report "$CASE_DIR/r.json" -- true || fail "hermetic run -- true"
  after=$(find "$CG" -maxdepth 2 -type d | sort)
  expect_eq "$before" "$after" "no cgroup made without --pids/--memory"
  expect_eq null "$(field "$CASE_DIR/r.json" limits pids)" "pids"
}

# A cgroup delegated to an unprivileged user, who runs hermetic alone in it (as in a
# `systemd-run --user --scope -p Delegate=yes` scope): the launcher steps into a leaf
# and the build gets a sibling.
delegate() {
  local d=$1 f
  echo "+pids +memory" >"$CG/cgroup.subtree_control" || fail "enabling pids and memory at the root"
  mkdir "$d" || fail "mkdir $d"
  on_exit "find '$d' -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null; rmdir '$d' 2>/dev/null"
  chown "$NOBODY" "$d"
  for f in cgroup.procs cgroup.subtree_control cgroup.threads; do chown "$NOBODY" "$d/$f"; done
  chown "$NOBODY" "$WS" "$CASE_DIR"
}

# in_cgroup DIR CMD...: CMD as the only process of cgroup DIR (moved in by root), as
# nobody. timeout(1) stays outside it.
in_cgroup() {
  local d=$1
  shift
  # shellcheck disable=SC2016 # $$ and $1 are the inner shell's
  timeout 60 sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$d" \
    setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups "$@"
}

case_delegated_user() {
  local d=$CG/hm-test-deleg-$$ out
  delegate "$d"
  out=$(in_cgroup "$d" "$HERMETIC" run --workspace "$WS" --pids 30 --report "$CASE_DIR/r.json" -- "$H/forkbomb" 500 3 2>&1)
  echo "$out"
  expect_match '^forked [0-9]+ EAGAIN$' "$out" "the bomb hit the limit"
  expect_eq cgroup2 "$(field "$CASE_DIR/r.json" limits pids mechanism)" "pids mechanism"
  expect_match "^/hm-test-deleg-$$/run-[0-9]+-0$" "$(field "$CASE_DIR/r.json" limits pids cgroup)" "a child of the delegated cgroup"
  ls -d "$d"/hermetic-launcher-* >/dev/null 2>&1 || fail "the launcher did not step into a leaf: $(ls "$d")"
  [ -z "$(find "$d" -maxdepth 1 -name 'run-*')" ] || fail "the build's cgroup is left"
}

case_delegated_shared() {
  local d=$CG/hm-test-shared-$$ out sleeper
  delegate "$d"
  sleep 60 &
  sleeper=$!
  on_exit "kill $sleeper 2>/dev/null"
  echo "$sleeper" >"$d/cgroup.procs" || fail "moving a sleeper in"
  out=$(in_cgroup "$d" "$HERMETIC" run --workspace "$WS" --pids 30 --report "$CASE_DIR/r.json" -- "$H/forkbomb" 500 3 2>&1)
  echo "$out"
  expect_match '^forked [0-9]+ EAGAIN$' "$out" "the bomb hit the (rlimit) limit"
  expect_eq rlimit "$(field "$CASE_DIR/r.json" limits pids mechanism)" "pids mechanism"
  expect_match 'other processes share it' "$(field "$CASE_DIR/r.json" limits pids cgroup_unavailable)" "the reason"
  [ -z "$(find "$d" -mindepth 1 -maxdepth 1 -type d)" ] || fail "cgroups left in $d: $(ls "$d")"
}

case_not_delegated_user() {
  local out
  chown "$NOBODY" "$WS" "$CASE_DIR"
  out=$(hm_bounded 60 setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
    "$HERMETIC" run --workspace "$WS" --pids 30 --memory 512M --report "$CASE_DIR/r.json" -- "$H/forkbomb" 500 3 2>&1)
  echo "$out"
  expect_match '^forked [0-9]+ EAGAIN$' "$out" "the bomb hit the (rlimit) limit"
  expect_eq rlimit "$(field "$CASE_DIR/r.json" limits pids mechanism)" "pids mechanism"
  expect_eq rlimit-as "$(field "$CASE_DIR/r.json" limits memory mechanism)" "memory mechanism"
  expect_match 'not delegated to uid 65534' "$(field "$CASE_DIR/r.json" limits pids cgroup_unavailable)" "the reason"
}

case_doctor() {
  local out
  out=$(hm doctor 2>&1)
  expect_match '^\[ ok \] cgroup v2: .*get a cgroup of the build.s own' "$out" "doctor as root"
  expect_eq "" "$(leftovers)" "doctor's probe cgroup is removed"
  out=$(hm_bounded 60 setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups "$HERMETIC" doctor 2>&1)
  expect_match '^\[warn\] cgroup v2: .*use rlimits: .*not delegated to uid 65534' "$out" "doctor as a user without delegation"
}

run_case "hermetic doctor reports what run does: a cgroup as root, rlimits for an undelegated user" case_doctor
run_case "--pids: a fork bomb is held by the build's own cgroup, and the report says so" case_pids
run_case "--memory bounds the whole build: two 40 MiB processes under 64M do not both run" case_memory_whole_build
run_case "--memory: a 256 MiB allocation under 64M is OOM-killed (137)" case_memory_single
run_case "the build's cgroup namespace is rooted at its own cgroup" case_cgroupns
run_case "a daemon the build leaves is killed and the cgroup removed" case_daemon_killed
run_case "no --pids/--memory: no cgroup is made" case_no_limits_no_cgroup
run_case "a user alone in a delegated cgroup: the build gets a child of it" case_delegated_user
run_case "a delegated cgroup shared with another process: rlimits, with the reason" case_delegated_shared
run_case "a user without a delegated cgroup: rlimits, with the reason" case_not_delegated_user
hm_finish
