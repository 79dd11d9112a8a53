#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# Processes: the host's are invisible and unkillable; nothing of the build outlives
# hermetic (daemons, background jobs, even when hermetic itself is SIGKILLed); signals
# are forwarded; no inherited file descriptor gets in.
. "$(dirname "$0")/lib.sh"
hm_init
command -v pgrep >/dev/null || skip_all "pgrep (procps) is missing"
plan

# host_sleep SECS: a uniquely named host process (SECS has a random fraction).
host_sleep() {
  HOST_SLEEP_ARG="$1.$$$RANDOM"
  sleep "$HOST_SLEEP_ARG" &
  HOST_SLEEP_PID=$!
  on_exit "kill $HOST_SLEEP_PID 2>/dev/null"
}

case_host_pid_invisible() {
  local out
  host_sleep 60
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c '[ -e /proc/"$1" ] && echo "visible: /proc/$1"; exit 0' sh "$HOST_SLEEP_PID" 2>&1)
  expect_eq "" "$out" "host pid $HOST_SLEEP_PID inside"
  # The pid number could differ across namespaces; look for the process itself.
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done' 2>&1)
  echo "command lines inside:"
  printf '%s\n' "$out"
  printf '%s\n' "$out" | grep -q "^sleep $HOST_SLEEP_ARG" && fail "the host's 'sleep $HOST_SLEEP_ARG' is listed inside"
  return 0
}

case_host_pid_unkillable() {
  local out rc
  host_sleep 60
  out=$(run_ws -- kill -9 "$HOST_SLEEP_PID" 2>&1)
  rc=$?
  echo "kill -9 $HOST_SLEEP_PID inside: status $rc: $out"
  sleep 0.3
  kill -0 "$HOST_SLEEP_PID" 2>/dev/null || fail "the host process $HOST_SLEEP_PID died"
  [ "$rc" -ne 0 ] || fail "kill -9 of a host pid succeeded inside"
}

case_few_pids() {
  local out n
  out=$(run_ws -- sh -c 'ls -d /proc/[0-9]*' 2>&1)
  n=$(printf '%s\n' "$out" | grep -c .)
  echo "processes inside: $n: ${out//$'\n'/ }"
  [ "$n" -le 6 ] || fail "the sandbox sees $n processes"
  expect_match '^/proc/1$' "$out" "pid 1 exists inside"
}

case_daemon_dies() {
  local out rc s1 s2 start elapsed
  start=$SECONDS
  out=$(run_ws -- "$H/daemonize" "$WS/marker" 30 2>&1)
  rc=$?
  elapsed=$((SECONDS - start))
  expect_rc 0 "$rc" "daemonize" "$out"
  echo "hermetic returned after ${elapsed}s: $out"
  [ "$elapsed" -lt $((10 * HM_SCALE)) ] || fail "hermetic waited ${elapsed}s for the daemon"
  [ -s "$WS/marker" ] || fail "the daemon never wrote its marker"
  s1=$(file_size "$WS/marker")
  sleep 1
  s2=$(file_size "$WS/marker")
  echo "marker size: $s1 then $s2 one second later"
  expect_eq "$s1" "$s2" "the daemon kept writing after hermetic returned"
  [ -z "$(pgrep -f "$H/daemonize")" ] || fail "a daemonize process is still running: $(pgrep -af "$H/daemonize")"
}

case_background_job_dies() {
  local out arg start elapsed
  arg="31.$$$RANDOM"
  start=$SECONDS
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c 'sleep "$1" & echo started' sh "$arg" 2>&1)
  elapsed=$((SECONDS - start))
  echo "hermetic returned after ${elapsed}s: $out"
  [ "$elapsed" -lt $((10 * HM_SCALE)) ] || fail "hermetic waited ${elapsed}s for a background job"
  sleep 0.2
  if pgrep -f "sleep $arg" >/dev/null; then
    pkill -f "sleep $arg"
    fail "the background 'sleep $arg' survived hermetic"
  fi
  return 0
}

case_sigkill_hermetic() {
  local pid s1 s2 s3
  # Started directly (not under timeout) so that $! is hermetic itself; the command is
  # bounded (30 s) and a watchdog kills hermetic if the test goes wrong.
  # shellcheck disable=SC2086,SC2016 # the wrapper is a command line on purpose; $i is for the sandboxed shell
  ${HERMETIC_WRAPPER:-} "$HERMETIC" run --workspace "$WS" -- sh -c \
    'i=0; while [ $i -lt 301 ]; do echo x >> marker; sleep 0.1; i=$((i+1)); done' &
  pid=$!
  on_exit "kill -9 $pid 2>/dev/null"
  wait_file "$WS/marker" $((100 * HM_SCALE)) || fail "the sandbox never started writing"
  sleep 0.5
  s1=$(file_size "$WS/marker")
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  sleep 0.5
  s2=$(file_size "$WS/marker")
  sleep 1.5
  s3=$(file_size "$WS/marker")
  echo "marker size: $s1 before kill -9, $s2 0.5 s after, $s3 2 s after"
  expect_eq "$s2" "$s3" "the sandbox kept writing after hermetic was SIGKILLed"
  # shellcheck disable=SC2016 # a regular expression: \$ is a literal dollar
  if pgrep -f 'while \[ \$i -lt 301 \]' >/dev/null; then
    pgrep -af 'while \[ \$i -lt 301 \]'
    fail "the sandbox's shell is still running"
  fi
  return 0
}

# forward SIG STATUS: hermetic forwards SIG to the command, whose trap runs and exits
# with STATUS, which hermetic returns.
forward() {
  local sig=$1 want=$2 pid rc
  # env --default-signal: a background job of a script starts with SIGINT ignored, and
  # that would be inherited all the way down.
  # shellcheck disable=SC2086,SC2016 # the wrapper is a command line on purpose; $1, $2, $i are for the sandboxed shell
  env --default-signal="$sig" ${HERMETIC_WRAPPER:-} "$HERMETIC" run --workspace "$WS" -- sh -c '
    trap "echo got > got-$1; exit $2" "$1"
    echo ready > ready
    i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; exit 0' sh "$sig" "$want" &
  pid=$!
  on_exit "kill -9 $pid 2>/dev/null"
  wait_file "$WS/ready" $((100 * HM_SCALE)) || fail "the command never became ready"
  kill -s "$sig" "$pid"
  (sleep $((15 * HM_SCALE)); kill -9 "$pid" 2>/dev/null) &
  wait "$pid"
  rc=$?
  echo "hermetic exit status after SIG$sig: $rc"
  [ -e "$WS/got-$sig" ] || fail "the command's SIG$sig trap did not run"
  expect_rc "$want" "$rc" "hermetic's status after forwarding SIG$sig"
}
case_sigterm() { forward TERM 3; }
case_sigint() { forward INT 4; }
case_sighup() { forward HUP 5; }

case_fds_closed() {
  local out
  exec 7</etc/hostname 9>"$CASE_DIR/fd9" 200</dev/null
  out=$(run_ws -- ls /proc/self/fd 2>&1)
  exec 7<&- 9>&- 200<&-
  expect_eq "0 1 2 3" "${out//$'\n'/ }" "fds inside (3 is ls's own directory fd)"
}

case_status_fd_closed() {
  local out
  out=$(run_ws --status-fd 5 -- ls /proc/self/fd 2>&1 5>"$CASE_DIR/status")
  expect_eq "0 1 2 3" "${out//$'\n'/ }" "fds inside with --status-fd 5"
  [ -s "$CASE_DIR/status" ] || fail "nothing was written to the status fd"
}

# runc CVE-2019-5736: the build reopens the runtime's binary through /proc/PID/exe and
# overwrites it. hermetic's only process inside that is not the build is its init, PID 1,
# a fork of the hermetic binary: non-dumpable and without capabilities, so its exe, mem,
# root and cwd links are closed to the build. Control: the same opens on the build's own
# process work, so a refusal is about PID 1, not about /proc.
case_proc1_links() {
  local out want
  # shellcheck disable=SC2016
  out=$(run_ws -- sh -c '
    for f in /proc/self/exe /proc/self/mem /proc/1/exe /proc/1/mem /proc/1/root/. /proc/1/cwd/.; do
      if (exec 3<"$f") 2>/dev/null; then echo "opened $f"; else echo "refused $f"; fi
    done
    if (exec 3>>/proc/self/exe) 2>/dev/null; then echo "opened /proc/self/exe for writing"; fi
    readlink /proc/1/exe 2>/dev/null && echo "readlink /proc/1/exe worked"
    exit 0' 2>&1)
  printf '%s\n' "$out"
  want=$(printf '%s\n' "opened /proc/self/exe" "opened /proc/self/mem" "refused /proc/1/exe" \
    "refused /proc/1/mem" "refused /proc/1/root/." "refused /proc/1/cwd/.")
  expect_eq "$want" "$out" "what the build can open of its own process and of PID 1"
}

# SysV IPC objects are per IPC namespace: a world-accessible segment and queue made on
# the host (readable by anyone there) do not exist inside.
case_sysv_ipc() {
  local kind made id host out bad=0
  command -v ipcmk >/dev/null || skip "ipcmk (util-linux) is missing"
  command -v ipcs >/dev/null || skip "ipcs (util-linux) is missing"
  for kind in m q; do
    if [ "$kind" = m ]; then made=$(ipcmk -M 4096 -p 0666 2>&1); else made=$(ipcmk -Q -p 0666 2>&1); fi
    id=${made##*: }
    case "$id" in '' | *[!0-9]*) fail "ipcmk -$kind: $made" ;; esac
    on_exit "ipcrm -$kind $id 2>/dev/null"
    host=$(ipcs -"$kind" -i "$id" 2>&1)
    expect_match "id=$id\b" "$host" "control: ipcs -$kind -i $id on the host"
    out=$(run_ws -- ipcs -"$kind" -i "$id" 2>&1)
    echo "inside: ipcs -$kind -i $id: $(printf '%s\n' "$out" | tr '\n' ' ')"
    if printf '%s\n' "$out" | grep -Eq "id=$id\b"; then bad=1; fi
  done
  [ "$bad" -eq 0 ] || fail "a host SysV IPC object is visible inside"
}

# The init drops everything before it starts the command (which inherits it): while the
# command runs, PID 1 is the build's uid with no capability in any set.
case_init_unprivileged() {
  local out
  out=$(run_ws -- sh -c 'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/1/status' 2>&1)
  expect_rc 0 $? "reading /proc/1/status" "$out"
  echo "$out"
  expect_match '^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$' "$out" "PID 1's uids"
  expect_match '^Gid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$' "$out" "PID 1's gids"
  local c
  for c in CapInh CapPrm CapEff CapBnd CapAmb; do
    expect_match "^$c:[[:space:]]+0000000000000000\$" "$out" "PID 1's $c"
  done
  expect_match '^NoNewPrivs:[[:space:]]+1$' "$out" "PID 1's no_new_privs"
}

# Signals the caller ignores or handles are back to their defaults in the command (an
# ignored SIGINT or SIGPIPE would survive execve otherwise).
case_signals_default() {
  local out
  out=$(trap '' INT PIPE HUP; run_ws -- sh -c 'grep -E "^Sig(Ign|Blk):" /proc/self/status' 2>&1)
  expect_rc 0 $? "reading the command's signal state" "$out"
  echo "$out"
  expect_match '^SigBlk:[[:space:]]+0000000000000000$' "$out" "no signal blocked"
  # sh itself may ignore nothing here; only SIGINT/SIGPIPE/SIGHUP from the caller matter.
  local ign
  ign=$(printf '%s\n' "$out" | awk '/^SigIgn:/ {print $2}')
  (( (16#$ign & ((1 << 1) | (1 << 0) | (1 << 12))) == 0 )) || fail "SigIgn $ign keeps SIGHUP, SIGINT or SIGPIPE ignored"
}

run_case "a host process is invisible inside" case_host_pid_invisible
run_case "a host process cannot be killed from inside" case_host_pid_unkillable
run_case "/proc inside lists only the sandbox's few processes" case_few_pids
run_case "a setsid double-forked daemon is dead when hermetic returns" case_daemon_dies
run_case "a background job is killed and hermetic does not wait for it" case_background_job_dies
run_case "SIGKILL of hermetic kills the sandbox" case_sigkill_hermetic
run_case "SIGTERM is forwarded and the command's status returned (3)" case_sigterm
run_case "SIGINT is forwarded and the command's status returned (4)" case_sigint
run_case "SIGHUP is forwarded and the command's status returned (5)" case_sighup
run_case "inherited fds (7, 9, 200) are closed inside" case_fds_closed
run_case "the --status-fd descriptor is not inherited by the command" case_status_fd_closed
run_case "/proc/1/exe and /proc/1/mem cannot be opened (nor PID 1's root and cwd)" case_proc1_links
run_case "a host SysV shared memory segment and message queue are invisible inside" case_sysv_ipc
run_case "while the command runs, PID 1 is the build uid with no capabilities and no_new_privs" case_init_unprivileged
run_case "signals the caller ignores are back to default in the command" case_signals_default
hm_finish
