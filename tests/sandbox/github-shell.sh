#!/bin/bash
# TAP: `hermetic run` as a GitHub Actions custom shell (`shell: hermetic run -- bash -e
# {0}`): with GITHUB_ACTIONS=true, the step script (in RUNNER_TEMP, which the sandbox
# hides) is bound read-only, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_STATE come back,
# GITHUB_ENV and GITHUB_PATH writes are dropped (they would change later steps outside the
# sandbox), no token reaches the build, and a file-command variable pointing anywhere else
# exposes nothing.
. "$(dirname "$0")/lib.sh"
hm_init
plan

# A runner's RUNNER_TEMP where the sandbox hides it: under the host's /run.
make_runner_temp() {
  local base=/run
  is_root || base=${HM_RUN_DIR:-}
  { [ -n "$base" ] && [ -w "$base" ]; } || skip "no directory under /run to play RUNNER_TEMP in"
  RT=$(mktemp -d "$base/hm-gh.XXXXXX") || skip "cannot create a RUNNER_TEMP under $base"
  on_exit "rm -rf '$RT'"
  mkdir -p "$RT/_runner_file_commands"
  local f
  for f in set_output set_env add_path step_summary save_state; do
    : >"$RT/_runner_file_commands/${f}_0f5e"
  done
  SCRIPT=$RT/6c1e2d8a-4d7b-4f8e-9a43-2b1c0c6f0a11 # the runner's name: a GUID, no extension
}

# gh_run ARGS...: hermetic run with a runner's environment and its tokens.
gh_run() (
  c=$RT/_runner_file_commands
  # shellcheck disable=SC2030 # gh_run is a subshell so that the runner's environment stays in it
  export GITHUB_ACTIONS=true CI=true RUNNER_TEMP="$RT" RUNNER_OS=Linux GITHUB_REPOSITORY=octo/repo \
    GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 GITHUB_WORKSPACE="$WS" \
    GITHUB_OUTPUT="$c/set_output_0f5e" GITHUB_ENV="$c/set_env_0f5e" GITHUB_PATH="$c/add_path_0f5e" \
    GITHUB_STEP_SUMMARY="$c/step_summary_0f5e" GITHUB_STATE="$c/save_state_0f5e" \
    ACTIONS_ID_TOKEN_REQUEST_TOKEN=s3cr3t-oidc ACTIONS_ID_TOKEN_REQUEST_URL=https://token.example/s3cr3t \
    ACTIONS_RUNTIME_TOKEN=s3cr3t-runtime GITHUB_TOKEN=ghs_s3cr3t
  [ -n "${GH_OUTPUT_OVERRIDE:-}" ] && export GITHUB_OUTPUT="$GH_OUTPUT_OVERRIDE"
  hm_bounded "$HM_LIMIT" "$HERMETIC" run --workspace "$WS" "$@"
)

case_step_outputs_back_no_tokens() {
  make_runner_temp
  cat >"$SCRIPT" <<'SH'
echo "result=42" >>"$GITHUB_OUTPUT"
printf 'multi<<EOF\nline one\nline two\nEOF\n' >>"$GITHUB_OUTPUT"
echo "## built" >>"$GITHUB_STEP_SUMMARY"
echo "phase=done" >>"$GITHUB_STATE"
echo "LD_PRELOAD=$PWD/evil.so" >>"$GITHUB_ENV"
echo "$PWD" >>"$GITHUB_PATH"
echo "repo=$GITHUB_REPOSITORY"
if echo tampered >>"$0" 2>/dev/null; then echo "script-writable"; fi
env
cat /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n' | grep -c s3cr3t || true
SH
  local before
  before=$(sha256sum <"$SCRIPT")
  out=$(gh_run -- bash -e "$SCRIPT" 2>&1)
  expect_rc 0 $? "the step" "$out"
  local c=$RT/_runner_file_commands
  expect_eq "result=42
multi<<EOF
line one
line two
EOF" "$(cat "$c/set_output_0f5e")" "GITHUB_OUTPUT came back"
  expect_eq "## built" "$(cat "$c/step_summary_0f5e")" "GITHUB_STEP_SUMMARY came back"
  expect_eq "phase=done" "$(cat "$c/save_state_0f5e")" "GITHUB_STATE came back"
  expect_eq "" "$(cat "$c/set_env_0f5e" "$c/add_path_0f5e")" "GITHUB_ENV and GITHUB_PATH writes dropped"
  expect_match '^repo=octo/repo$' "$out" "the GitHub context is passed"
  expect_nomatch 'script-writable' "$out" "the step script is read-only"
  expect_nomatch 's3cr3t' "$(printf '%s\n' "$out" | grep -v '^0$')" "no token in env or any /proc/*/environ"
  expect_match '^0$' "$out" "the /proc/*/environ scan ran"
  expect_eq "$before" "$(sha256sum <"$SCRIPT")" "the script is unchanged"
}

case_file_command_elsewhere_not_bound() {
  make_runner_temp
  # A variable naming a file outside _runner_file_commands (here a secret beside it).
  echo "runner-secret" >"$RT/.credentials"
  chmod 600 "$RT/.credentials"
  # shellcheck disable=SC2016 # expanded by the step's shell inside the sandbox
  printf 'cat "$GITHUB_OUTPUT" 2>&1 || echo unreadable; echo x >>"$GITHUB_OUTPUT" 2>/dev/null || echo unwritable\n' >"$SCRIPT"
  GH_OUTPUT_OVERRIDE=$RT/.credentials
  out=$(gh_run -- bash -e "$SCRIPT" 2>&1)
  expect_rc 0 $? "the step" "$out"
  expect_nomatch 'runner-secret' "$out" "the file is not visible"
  expect_eq "runner-secret" "$(cat "$RT/.credentials")" "the file is unchanged"
}

case_other_runner_temp_files_hidden() {
  make_runner_temp
  echo "other-step" >"$RT/other-step-script"
  # shellcheck disable=SC2016 # expanded by the step's shell inside the sandbox
  printf 'ls -A "$RUNNER_TEMP" 2>&1; cat "$RUNNER_TEMP/other-step-script" 2>&1 || true\n' >"$SCRIPT"
  out=$(gh_run -- bash -e "$SCRIPT" 2>&1)
  expect_rc 0 $? "the step" "$out"
  expect_nomatch 'other-step$' "$out" "another file of RUNNER_TEMP is not visible"
}

case_not_on_github_nothing_bound() {
  make_runner_temp
  printf 'echo ran\n' >"$SCRIPT"
  # shellcheck disable=SC2031 # the export is meant to stay in this command substitution
  out=$(export RUNNER_TEMP="$RT" && hm_bounded "$HM_LIMIT" "$HERMETIC" run --workspace "$WS" -- bash -e "$SCRIPT" 2>&1)
  rc=$?
  [ "$rc" -ne 0 ] || fail "the script in a hidden directory ran without GITHUB_ACTIONS=true: $out"
  expect_match 'No such file' "$out" "bash cannot find the script"
  expect_nomatch '^ran$' "$out" "the script did not run"
}

run_case "custom shell: outputs, summary and state come back; env/path writes dropped; no token inside" case_step_outputs_back_no_tokens
run_case "custom shell: a file-command variable naming another file exposes nothing" case_file_command_elsewhere_not_bound
run_case "custom shell: the rest of RUNNER_TEMP stays hidden" case_other_runner_temp_files_hidden
run_case "without GITHUB_ACTIONS=true nothing of RUNNER_TEMP is bound" case_not_on_github_nothing_bound
hm_finish
