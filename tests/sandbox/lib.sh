# Shared by the sandbox TAP suites (sourced, not run). Model: bwrap's tests/libtest.sh.
# shellcheck shell=bash
#
# Environment (set by tests/sandbox/meson.build):
#   HERMETIC          absolute path of the hermetic binary under test
#   HERMETIC_WRAPPER  optional command prefix (valgrind ...), word-split on purpose
#   HM_HELPER_DIR     directory of the probe programs (tests/helpers)
#   HM_WORK_BASE      where per-case scratch directories go (never under /tmp: the
#                     sandbox's /tmp is private, and "/tmp is empty" is a test)
#   HM_SOURCE_ROOT    the source tree (docs/hermetic.1)
#   HM_RUN_DIR        optional: a directory under the host's /run this user may write
#                     (as-user.sh makes one, since /run is root's)
#   HM_VERBOSE=1      print every case's log, not only failures
#
# A suite:  . lib.sh; hm_init; plan; run_case "what must hold" case_fn; ...
# run_case, plan and the assertions come from tests/lib/tap.sh; WS is the case's
# workspace.

set -u
# shellcheck source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

HM_PY=/usr/bin/python3
[ -x "$HM_PY" ] || HM_PY=$(command -v python3 || true)

is_root() { [ "$(id -u)" -eq 0 ]; }

hm_init() {
  [ -n "${HERMETIC:-}" ] || skip_all "HERMETIC is not set (run through meson test)"
  [ -x "$HERMETIC" ] || skip_all "$HERMETIC is not executable"
  [ -d "${HM_HELPER_DIR:-}" ] || skip_all "HM_HELPER_DIR is not set"
  command -v timeout >/dev/null || skip_all "timeout(1) is missing"
  unshare -Ur true 2>/dev/null ||
    skip_all "this host cannot create user namespaces as $(id -un) ('unshare -Ur true' fails)"
  HM_WORK_BASE=${HM_WORK_BASE:-$(dirname "$HERMETIC")/../tests/sandbox/work}
  # Valgrind 3.19 (Debian 12) does not implement open_tree, move_mount or mount_setattr,
  # which root mode needs for its idmapped workspace; it answers ENOSYS and hermetic fails
  # closed. The non-root variant of this script runs the same cases under valgrind.
  case "${HERMETIC_WRAPPER:-}" in
  *valgrind*)
    if [ "$(id -u)" -eq 0 ]; then
      skip_all "valgrind lacks open_tree/move_mount/mount_setattr (root mode's idmapped workspace); the as-user variant runs these cases under valgrind"
    fi
    ;;
  esac
  mkdir -p "$HM_WORK_BASE" || skip_all "cannot create $HM_WORK_BASE"
  chmod 755 "$HM_WORK_BASE" 2>/dev/null
  # Bound every hermetic call: a hang must fail the case, not block CI. valgrind is slow.
  HM_LIMIT=${HM_LIMIT:-60}
  HM_SCALE=1
  if [ -n "${HERMETIC_WRAPPER:-}" ]; then
    HM_SCALE=4
    HM_LIMIT=$((HM_LIMIT * HM_SCALE))
  fi
  H=$HM_HELPER_DIR
  T_NUM=0
  T_FAILED=0
  export HM_WORK_BASE HM_LIMIT HM_SCALE H
}

# hm_bounded LIMIT CMD...: run CMD (through $HERMETIC_WRAPPER) killed after LIMIT s.
# Returns CMD's status, or 254 (and says so) when timeout(1) had to kill it, which
# timeout would otherwise report as 124, the same as hermetic's own --timeout.
hm_bounded() {
  local limit=$1 start=$SECONDS rc
  shift
  # shellcheck disable=SC2086 # the wrapper is a command line on purpose
  timeout -k 5 "$limit" ${HERMETIC_WRAPPER:-} "$@"
  rc=$?
  if [ "$rc" -eq 124 ] && [ $((SECONDS - start)) -ge "$limit" ]; then
    echo "lib: '$*' still running after ${limit}s; killed by the test" >&2
    return 254
  fi
  return "$rc"
}

# The binary, and `hermetic run` with the case's workspace.
hm() { hm_bounded "$HM_LIMIT" "$HERMETIC" "$@"; }
run_hm() { hm_bounded "$HM_LIMIT" "$HERMETIC" run "$@"; }
run_ws() { hm_bounded "$HM_LIMIT" "$HERMETIC" run --workspace "$WS" "$@"; }

# Start a bounded listener on the host: listen KIND ADDR NAME [TIMEOUT] sets
# LISTEN_PID, and NAME.ready / NAME.log in CASE_DIR. The caller kills it (trap).
listen_bg() {
  local kind=$1 addr=$2 name=$3 secs=${4:-40}
  "$H/listen_once" "$kind" "$addr" "$CASE_DIR/$name.ready" "$CASE_DIR/$name.log" "$secs" &
  LISTEN_PID=$!
  on_exit "kill $LISTEN_PID 2>/dev/null"
  wait_file "$CASE_DIR/$name.ready" || fail "listener $kind $addr did not start"
}

# JSON through python3 (the only JSON tool on the base image).
need_python() { [ -n "$HM_PY" ] || skip "python3 is missing"; }
