# Generic TAP helpers for the shell suites (sourced, not run): the plan, run_case with a
# fresh scratch directory per case, and the assertions. tests/sandbox/lib.sh adds what the
# sandbox suites need on top.
# shellcheck shell=bash
#
# A suite:  . tap.sh; plan; run_case "what must hold" case_fn; ...; hm_finish
# A case function runs in a subshell with CASE_DIR (fresh, removed after) and WS (an
# empty directory inside it, also the cwd), under HM_WORK_BASE (the suite sets it); it
# returns 0 (ok), 77 (skip: the last line it printed is
# the reason) or anything else (not ok: its output becomes # diagnostics).
set -u
T_NUM=0
T_FAILED=0

skip_all() {
  # meson runs these with the TAP protocol, where the plan "1..0 # SKIP" is what marks a
  # skip; an exit status of 77 there is reported as an error (meson 1.0).
  echo "1..0 # SKIP $*"
  exit 0
}

# Print the plan from the number of run_case lines in the suite (each at line start and
# unconditional, so the count is exact).
plan() {
  echo "1..$(grep -c '^run_case ' "$0")"
}

# run_case NAME FN [ARGS...]
run_case() {
  local name=$1 log rc reason
  shift
  T_NUM=$((T_NUM + 1))
  CASE_DIR=$(mktemp -d "$HM_WORK_BASE/case.XXXXXX")
  chmod 755 "$CASE_DIR"
  WS=$CASE_DIR/ws
  mkdir -p "$WS"
  chmod 755 "$WS"
  log=$CASE_DIR.log
  (cd "$WS" && "$@") >"$log" 2>&1 </dev/null
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "ok $T_NUM - $name"
  elif [ "$rc" -eq 77 ]; then
    reason=$(tail -n 1 "$log")
    echo "ok $T_NUM - $name # SKIP ${reason:-no reason given}"
  else
    echo "not ok $T_NUM - $name"
    T_FAILED=$((T_FAILED + 1))
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || [ "${HM_VERBOSE:-0}" = 1 ]; then
    sed -e 's/^/# /' "$log"
    [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && echo "# (case status $rc)"
  fi
  # Files the sandbox made in the workspace may belong to another uid; root removes
  # them, and a non-root run owns everything it made.
  chmod -R u+rwX "$CASE_DIR" 2>/dev/null
  rm -rf "$CASE_DIR" "$log"
}

hm_finish() {
  exit 0
}

# --- assertions (a case runs in a subshell: exit ends the case) ---------------------

fail() {
  echo "FAIL: $*"
  exit 1
}

skip() {
  echo "$*"
  exit 77
}

# expect_rc WANT GOT WHAT [OUTPUT]
expect_rc() {
  if [ "$2" != "$1" ]; then
    [ $# -ge 4 ] && printf 'output was:\n%s\n' "$4"
    fail "$3: exit status $2, want $1"
  fi
}

expect_eq() {
  [ "$2" = "$1" ] || fail "$3: got [$2], want [$1]"
}

# expect_match ERE TEXT WHAT
expect_match() {
  # "expect_match -- '--opt' TEXT WHAT": the -- only protects the pattern.
  [ "$1" = "--" ] && shift
  printf '%s\n' "$2" | grep -Eq -- "$1" || {
    printf 'text was:\n%s\n' "$2"
    fail "$3: no match for /$1/"
  }
}

expect_nomatch() {
  [ "$1" = "--" ] && shift
  if printf '%s\n' "$2" | grep -Eq -- "$1"; then
    printf 'text was:\n%s\n' "$2"
    fail "$3: unexpected match for /$1/"
  fi
}

# on_exit CMD: run CMD when the case ends (cases are subshells; this accumulates).
on_exit() {
  HM_ATEXIT="${HM_ATEXIT:-}$1;"
  # shellcheck disable=SC2064
  trap "$HM_ATEXIT" EXIT
}

# Wait up to N tenths of a second for a file to be non-empty.
wait_file() {
  local f=$1 n=${2:-50} i
  for ((i = 0; i < n; i++)); do
    [ -s "$f" ] && return 0
    sleep 0.1
  done
  return 1
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

