#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# Environment: the build sees exactly the contract's fixed variables plus what --env and
# --pass-env add; the runner's secrets (GitHub tokens, OIDC request tokens, cloud keys)
# are nowhere inside, not even in another process's /proc/PID/environ (hermetic's own
# init inherits them from the launcher); asking for them by name is refused with 125.
. "$(dirname "$0")/lib.sh"
hm_init
plan

SECRET=hmsecret$$x$RANDOM
export_secrets() {
  export GITHUB_TOKEN=gh-$SECRET
  export ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc-$SECRET
  export ACTIONS_ID_TOKEN_REQUEST_URL=https://example.invalid/oidc-$SECRET
  export ACTIONS_RUNTIME_TOKEN=runtime-$SECRET
  export AWS_SECRET_ACCESS_KEY=aws-$SECRET
  export AWS_ACCESS_KEY_ID=AKIA$SECRET
  export AWS_SESSION_TOKEN=awssess-$SECRET
  export AZURE_CLIENT_SECRET=az-$SECRET
  export NPM_TOKEN=npm-$SECRET
  export SSH_AUTH_SOCK=/tmp/ssh-$SECRET/agent.1
}

case_secrets_env() {
  local out rc
  export_secrets
  out=$(run_ws -- env 2>&1)
  rc=$?
  expect_rc 0 "$rc" "env" "$out"
  expect_nomatch "$SECRET" "$out" "a secret in the build's environment"
}

case_secrets_proc_environ() {
  local out rc
  export_secrets
  # Every readable environ inside, pid 1 (hermetic's init) included, plus its cmdline.
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c '
    for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do
      if tr "\0" "\n" < "$f" > /dev/null 2>&1; then echo "== readable: $f"; tr "\0" "\n" < "$f"; else echo "== unreadable: $f"; fi
    done' 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep '^==' | tr '\n' ' '
  echo
  expect_rc 0 "$rc" "reading /proc/*/environ" "$out"
  expect_match '== (un)?readable: /proc/1/environ' "$out" "/proc/1/environ was looked at"
  expect_nomatch "$SECRET" "$out" "a secret in some /proc/*/environ inside"
}

case_env_exact() {
  local out want
  unset SOURCE_DATE_EPOCH
  export FOO=bar TERM=xterm LC_ALL=C
  out=$(run_ws -- env 2>&1 | sort)
  want=$(printf '%s\n' HOME=/home/build LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SOURCE_DATE_EPOCH=315532800 TZ=UTC | sort)
  expect_eq "$want" "$out" "the build's whole environment"
}

case_sde_digits() {
  local out
  out=$(SOURCE_DATE_EPOCH=1700000000 run_ws -- printenv SOURCE_DATE_EPOCH 2>&1)
  expect_eq 1700000000 "$out" "SOURCE_DATE_EPOCH passed through when all digits"
}

case_sde_garbage() {
  local out v
  for v in abc 12a "" "1 2" -5; do
    out=$(SOURCE_DATE_EPOCH="$v" run_ws -- printenv SOURCE_DATE_EPOCH 2>&1)
    expect_eq 315532800 "$out" "SOURCE_DATE_EPOCH='$v' from the caller"
  done
}

case_env_set() {
  local out
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws --env FOO=bar --env 'EQ=a=b c' --env EMPTY= -- sh -c 'printf "%s|%s|%s|%s\n" "$FOO" "$EQ" "${EMPTY-unset}" "$HOME"' 2>&1)
  expect_eq "bar|a=b c||/home/build" "$out" "--env values"
}

case_pass_env() {
  local out
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(HM_PASSED='v a l' run_ws --pass-env HM_PASSED --pass-env HM_NOT_SET_ANYWHERE -- sh -c 'printf "%s|%s\n" "$HM_PASSED" "${HM_NOT_SET_ANYWHERE-unset}"' 2>&1)
  expect_eq "v a l|unset" "$out" "--pass-env of a set and an unset variable"
}

# refused ARGS...: hermetic exits 125 without running the command, and names the variable.
refused() {
  local out rc name=$1
  shift
  export_secrets
  out=$(run_ws "$@" -- sh -c 'echo ran > ran' 2>&1)
  rc=$?
  echo "$*: status $rc: $out"
  expect_rc 125 "$rc" "$*"
  [ -e "$WS/ran" ] && fail "the command ran"
  expect_match "$name" "$out" "the message names $name"
  expect_nomatch "$SECRET" "$out" "the message echoes the secret's value"
}
case_pass_github_token() { refused GITHUB_TOKEN --pass-env GITHUB_TOKEN; }
case_env_github_token() { refused GITHUB_TOKEN --env GITHUB_TOKEN=x; }
case_pass_oidc() {
  (refused ACTIONS_ID_TOKEN_REQUEST_TOKEN --pass-env ACTIONS_ID_TOKEN_REQUEST_TOKEN) || exit 1
  (refused ACTIONS_ID_TOKEN_REQUEST_URL --pass-env ACTIONS_ID_TOKEN_REQUEST_URL) || exit 1
  refused ACTIONS_ID_TOKEN_REQUEST_TOKEN --env ACTIONS_ID_TOKEN_REQUEST_TOKEN=x
}
case_pass_runtime() { refused ACTIONS_RUNTIME_TOKEN --pass-env ACTIONS_RUNTIME_TOKEN; }

case_env_malformed() {
  local out rc
  out=$(run_ws --env NOEQUALS -- true 2>&1)
  rc=$?
  expect_rc 125 "$rc" "--env NOEQUALS" "$out"
  expect_match 'NOEQUALS|--env' "$out" "the message names the bad entry"
}

case_secrets_report_status() {
  local out
  need_python
  export_secrets
  out=$(run_ws --report "$CASE_DIR/report.json" --status-fd 3 -- true 2>&1 3>"$CASE_DIR/status.jsonl")
  expect_rc 0 $? "run with --report and --status-fd" "$out"
  [ -s "$CASE_DIR/report.json" ] || fail "no report written"
  grep -q "$SECRET" "$CASE_DIR/report.json" "$CASE_DIR/status.jsonl" && fail "a secret's value is in the report or the status stream"
  grep -Eq 'GITHUB_TOKEN|ACTIONS_|AWS_' "$CASE_DIR/report.json" && fail "a secret's name is in the report's environment"
  return 0
}

run_case "runner secrets are not in the build's environment" case_secrets_env
run_case "runner secrets are in no readable /proc/*/environ inside (pid 1 included)" case_secrets_proc_environ
run_case "the environment is exactly PATH HOME LANG TZ SOURCE_DATE_EPOCH" case_env_exact
run_case "an all-digit SOURCE_DATE_EPOCH is passed through" case_sde_digits
run_case "a malformed SOURCE_DATE_EPOCH becomes 315532800" case_sde_garbage
run_case "--env NAME=VALUE sets variables" case_env_set
run_case "--pass-env NAME copies the caller's value (and nothing when unset)" case_pass_env
run_case "--pass-env GITHUB_TOKEN is refused with 125" case_pass_github_token
run_case "--env GITHUB_TOKEN=... is refused with 125" case_env_github_token
run_case "ACTIONS_ID_TOKEN_REQUEST_* via --pass-env or --env is refused with 125" case_pass_oidc
run_case "--pass-env ACTIONS_RUNTIME_TOKEN is refused with 125" case_pass_runtime
run_case "--env without '=' is refused with 125" case_env_malformed
run_case "secrets appear in neither --report nor --status-fd output" case_secrets_report_status
hm_finish
