#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# Terminal injection (TIOCSTI): text pushed into the caller's terminal would be run by
# the caller's shell after the sandbox exits (CVE-2017-5226). hermetic puts the command
# in a new session and its filter denies TIOCSTI comparing only the low 32 bits of the
# request (CVE-2019-10063). Here hermetic itself runs on a real pty, like a developer's
# terminal, and the outer shell reads back what is waiting in its input.
. "$(dirname "$0")/lib.sh"
hm_init
plan

tiocsti_expect() {
  local mode=$1 out
  echo "host: $mode -> $("$H/tiocsti" "$mode" 2>&1)"
  out=$(run_ws -- "$H/tiocsti" "$mode" 2>&1)
  echo "inside: $mode -> $out"
  [ "$out" != INJECTED ] || fail "TIOCSTI ($mode) injected text inside the sandbox"
  expect_eq EPERM "$out" "TIOCSTI ($mode) on a pty the sandbox owns"
}
case_own() { tiocsti_expect own; }
case_own_high() { tiocsti_expect own-high; }

# TIOCLINUX (CVE-2023-1523) on a pty the probe opens: the host's kernel runs the request
# and, a pty having no TIOCLINUX, says ENOTTY; inside, the filter must answer first.
case_tioclinux() {
  local mode out bad=0
  for mode in linux linux-high; do
    echo "host: $mode -> $("$H/tiocsti" "$mode" 2>&1)"
    out=$(run_ws -- "$H/tiocsti" "$mode" 2>&1)
    echo "inside: $mode -> $out"
    [ "$out" = EPERM ] || bad=1
  done
  [ "$bad" -eq 0 ] || fail "TIOCLINUX must be EPERM inside, with and without the high 32 bits"
}

# On a fresh pty: run SCRIPT (bash) with $1=$HERMETIC $2=$H $3=$WS, then print what is
# waiting in the terminal's input as OUTER_READ:[line1|line2].
on_pty() {
  # shellcheck disable=SC2016
  hm_bounded $((40 * HM_SCALE)) "$H/pty_run" $((30 * HM_SCALE)) bash -c '
    stty -echo
    '"$1"'
    read -t 1 -r l1; read -t 1 -r l2
    echo "OUTER_READ:[$l1|$l2]"' bash "$HERMETIC" "$H" "$WS" "${HERMETIC_WRAPPER:-}"
}

case_outer_terminal() {
  local out
  # Control: without hermetic, the probe does inject into the terminal it runs on.
  # shellcheck disable=SC2016 # expanded by the shell on the pty
  out=$(on_pty '"$2/tiocsti" fd0; "$2/tiocsti" fd0-high' 2>&1)
  echo "control (no sandbox): $out"
  printf '%s' "$out" | grep -q 'OUTER_READ:\[echo HMINJ_fd0|echo HMINJ_fd0high\]' ||
    skip "TIOCSTI does not work on this host even without a sandbox (dev.tty.legacy_tiocsti=0?)"
  # shellcheck disable=SC2016
  out=$(on_pty '
    timeout --foreground 20 $4 "$1" run --workspace "$3" -- "$2/tiocsti" fd0; echo "inner fd0 status $?"
    timeout --foreground 20 $4 "$1" run --workspace "$3" -- "$2/tiocsti" fd0-high; echo "inner fd0-high status $?"' 2>&1)
  echo "with hermetic: $out"
  expect_match 'OUTER_READ:\[\|\]' "$out" "the outer shell must read nothing injected"
  expect_nomatch '^INJECTED' "$(printf '%s' "$out" | tr -d '\r')" "the probe inside reported an injection"
  expect_match 'inner fd0 status 1' "$out" "the probe inside ran and failed"
}

case_devtty() {
  local out
  # shellcheck disable=SC2016 # expanded by the shell on the pty
  out=$(on_pty 'timeout --foreground 20 $4 "$1" run --workspace "$3" -- "$2/tiocsti" devtty' 2>&1)
  echo "$out"
  expect_nomatch '^OK' "$(printf '%s' "$out" | tr -d '\r')" "/dev/tty opened inside: the sandbox has a controlling terminal"
  expect_match 'ENXIO|ENOENT|EACCES|EPERM' "$out" "open /dev/tty failed"
}

case_new_session() {
  local out
  # shellcheck disable=SC2016
  out=$(on_pty 'timeout --foreground 20 $4 "$1" run --workspace "$3" -- cat /proc/self/stat' 2>&1)
  echo "$out"
  # Field 7 of /proc/self/stat is tty_nr: 0 = no controlling terminal.
  expect_match '^[0-9]+ \([^)]*\) [A-Z] [0-9]+ [0-9]+ [0-9]+ 0 ' "$(printf '%s' "$out" | tr -d '\r' | grep '^[0-9]* (')" "tty_nr is 0 inside"
}

run_case "TIOCSTI on a pty the sandbox opened is denied (EPERM)" case_own
run_case "TIOCSTI with the high 32 bits set is denied too (EPERM)" case_own_high
run_case "TIOCLINUX is denied (EPERM), also with the high 32 bits set" case_tioclinux
run_case "hermetic on a real terminal: nothing injected reaches the outer shell" case_outer_terminal
run_case "/dev/tty cannot be opened inside (no controlling terminal)" case_devtty
run_case "the command runs without a controlling terminal (new session)" case_new_session
hm_finish
