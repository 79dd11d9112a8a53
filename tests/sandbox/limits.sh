#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# Resource limits: a fork bomb under --pids is contained (hermetic returns promptly and
# the host can still fork), a memory hog under --memory is stopped.
. "$(dirname "$0")/lib.sh"
hm_init
command -v pgrep >/dev/null || skip_all "pgrep (procps) is missing"
plan

case_forkbomb() {
  local out rc start elapsed n
  start=$SECONDS
  # Children sleep 5 s then exit: the bomb is bounded even if nothing contains it.
  out=$(run_ws --pids 50 -- "$H/forkbomb" 5000 5 2>&1)
  rc=$?
  elapsed=$((SECONDS - start))
  echo "status $rc after ${elapsed}s: $out"
  [ "$elapsed" -lt $((30 * HM_SCALE)) ] || fail "hermetic took ${elapsed}s"
  expect_match '^forked [0-9]+ EAGAIN$' "$out" "the bomb hit the limit"
  n=$(printf '%s\n' "$out" | sed -n 's/^forked \([0-9]*\) .*/\1/p')
  [ "$n" -lt 50 ] || fail "forked $n processes under --pids 50"
  sleep 0.5
  [ -z "$(pgrep -f "$H/forkbomb")" ] || fail "forkbomb processes remain on the host: $(pgrep -f "$H/forkbomb" | wc -l)"
  out=$("$H/forkbomb" 20 0 2>&1)
  expect_eq "forked 20 OK" "$out" "the host can still fork"
}

case_pids_not_too_tight() {
  local out
  out=$(run_ws --pids 50 -- "$H/forkbomb" 20 1 2>&1)
  expect_eq "forked 20 OK" "$out" "20 processes under --pids 50"
}

case_memory() {
  local out rc
  out=$(run_ws -- "$H/memhog" 128 2>&1)
  expect_eq "allocated 128 OK" "$out" "control: 128 MiB without --memory"
  out=$(run_ws --memory 64M -- "$H/memhog" 256 2>&1)
  rc=$?
  echo "--memory 64M, memhog 256: status $rc: $out"
  [ "$out" != "allocated 256 OK" ] || fail "256 MiB allocated under --memory 64M"
  case "$rc" in
    1) expect_match '^allocated [0-9]+ ENOMEM$' "$out" "memhog stopped by ENOMEM" ;;
    137) ;;
    *) fail "want ENOMEM (status 1) or an OOM kill (137), got status $rc" ;;
  esac
}

run_case "a fork bomb under --pids 50 is contained and the host is fine" case_forkbomb
run_case "--pids 50 still allows 20 processes" case_pids_not_too_tight
run_case "--memory 64M stops a 256 MiB allocation" case_memory
hm_finish
