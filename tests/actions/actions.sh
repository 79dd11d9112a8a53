#!/bin/bash
# TAP: the composite actions of actions/ run by the harness (runner.py) the way the GitHub
# runner runs them, end to end on a small project, and `hermetic run` as a custom shell
# with the runner's tokens in its environment. The harness runs each action as one step
# of a job (--job-state carries GITHUB_ENV and GITHUB_PATH from one to the next).
# Environment: those of tests/sandbox/lib.sh (HERMETIC, HM_HELPER_DIR, HM_WORK_BASE).
# shellcheck source=../sandbox/lib.sh
. "$(dirname "$0")/../sandbox/lib.sh"
hm_init
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
[ -n "$HM_PY" ] || skip_all "python3 is missing"
"$HM_PY" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is missing ($HM_PY)"
command -v openssl >/dev/null || skip_all "openssl is missing"

# The runner's credentials, as a job with `id-token: write` has them.
SECRETS=(
  ACTIONS_ID_TOKEN_REQUEST_TOKEN=s3cr3t-oidc
  ACTIONS_ID_TOKEN_REQUEST_URL=https://pipelines.example/token?secret=u4l-s3cr3t
  ACTIONS_RUNTIME_TOKEN=rt0k3n-s3cr3t
  GITHUB_TOKEN=ghp_x
)

# harness ACTION [runner.py options]: one step of the case's job. The result is in
# $CASE_DIR/result.json; RUNNER_TEMP is $CASE_DIR/temp (not /tmp: see HM_WORK_BASE).
harness() {
  local action=$1 envs=() s
  shift
  for s in "${SECRETS[@]}"; do envs+=(--env "$s"); done
  hm_bounded 600 "$HM_PY" "$HERE/runner.py" --workspace "$WS" --temp "$CASE_DIR/temp" \
    --job-state "$CASE_DIR/job.json" --result "$CASE_DIR/result.json" "${envs[@]}" "$@" "$action"
}

# out NAME: an output of the last harness run.
out() { "$HM_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["outputs"][sys.argv[2]])' "$CASE_DIR/result.json" "$1"; }
result() { "$HM_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$CASE_DIR/result.json" "$1"; }

need_action() {
  [ -f "$SRC/actions/$1/action.yml" ] || skip "actions/$1/action.yml does not exist yet"
}

# No secret, by name or by value, in TEXT.
no_secret() {
  local s
  for s in "${SECRETS[@]}"; do
    expect_nomatch "${s%%=*}" "$1" "$2: ${s%%=*} by name"
    expect_nomatch "$(printf '%s' "${s#*=}" | sed 's/[]?.*[]/\\&/g')" "$1" "$2: ${s%%=*} by value"
  done
}

case_sandboxed_step() {
  out=$(harness "$HERE/fixtures/sandboxed-step" --input "hermetic-dir=$(dirname "$HERMETIC")" 2>&1)
  expect_rc 0 $? "the job with a hermetic run step" "$out"
  expect_eq 1 "$(out x)" "the output written inside the sandbox came back"
  expect_match '^### from the sandbox' "$(result 'd["summary"]')" "the step summary came back"
  expect_eq no "$(out script-writable)" "the step script is read-only inside"
  expect_eq no "$(out earlier-output-visible)" "an earlier step's GITHUB_OUTPUT is not visible inside"
  env_in=$(out env)
  environ_in=$(out environ)
  # Controls: the dumps are real, and outside the sandbox the tokens are there.
  expect_match '^GITHUB_OUTPUT=' "$env_in" "env ran inside"
  expect_match '^GITHUB_REPOSITORY=octo-org/hello' "$environ_in" "/proc/*/environ was read inside"
  expect_match '^ACTIONS_ID_TOKEN_REQUEST_TOKEN=s3cr3t-oidc$' "$(out outside-env)" "control: the token outside"
  no_secret "$env_in" "env inside"
  no_secret "$environ_in" "/proc/*/environ inside"
  no_secret "$(out temp-entries)" "RUNNER_TEMP inside"
}

# actions/setup with install-dir holding an existing build: the binary is used, not rebuilt.
setup_existing() {
  mkdir -p "$CASE_DIR/install/bin"
  ln -s "$HERMETIC" "$CASE_DIR/install/bin/hermetic"
  harness "$SRC/actions/setup" --input "install-dir=$CASE_DIR/install" \
    --input cache=false --input apparmor=false
}

case_setup() {
  need_action setup
  out=$(setup_existing 2>&1)
  expect_rc 0 $? "actions/setup" "$out"
  expect_eq "$(realpath "$HERMETIC")" "$(out path)" "output path: the existing build"
  expect_eq "${HM_VERSION:-?}" "$(out version)" "output version"
  expect_nomatch 'building from' "$out" "nothing was built"
  expect_eq "$(realpath "$HERMETIC")" "$(result 'd["env"].get("HERMETIC")')" "HERMETIC exported to later steps"
  expect_eq "$(dirname "$(realpath "$HERMETIC")")" "$(result 'd["path"][0]')" "hermetic's directory on PATH"
  "$HM_PY" -c 'import json,sys; json.loads(sys.argv[1])' "$(out doctor)" || fail "output doctor is not JSON"
}

case_end_to_end() {
  need_action setup
  need_action build
  need_action sign
  need_action verify
  cp -R "$SRC/examples/hello/." "$WS/"
  keys=$CASE_DIR/keys
  mkdir -m 700 "$keys"
  openssl genpkey -algorithm ed25519 -out "$keys/signing.key.pem" 2>/dev/null || fail "openssl genpkey"
  openssl pkey -in "$keys/signing.key.pem" -pubout -out "$keys/signing.pub.pem" || fail "openssl pkey -pubout"

  out=$(setup_existing 2>&1)
  expect_rc 0 $? "actions/setup" "$out"

  out=$(harness "$SRC/actions/build" --input 'command=make all check' \
    --input 'subjects=hello.tar.gz' --input provenance-name=hello 2>&1)
  expect_rc 0 $? "actions/build" "$out"
  prov=$(out provenance-path) sums=$(out subjects-sha256) report=$(out report-path)
  for f in "$prov" "$sums" "$report" "$(out predicate-path)" "$(out statement-path)"; do
    [ -s "$f" ] || fail "build output $f is missing or empty"
  done
  expect_eq "$(base64 -w0 <"$sums")" "$(out base64-subjects)" "base64-subjects"
  (cd "$WS" && sha256sum -c --quiet "$sums") || fail "the subjects file does not match the workspace"
  expect_match 'hello' "$(result 'd["summary"]')" "a summary table"
  expect_eq none "$("$HM_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["network"]["policy"])' "$report")" \
    "the report says network none"

  # The key reaches the action as a secret would: the PEM text in an input.
  out=$(harness "$SRC/actions/sign" --input mode=key --input "provenance-path=$prov" \
    --input "key=$(cat "$keys/signing.key.pem")" 2>&1)
  expect_rc 0 $? "actions/sign (key)" "$out"
  signed=$(out provenance-path)
  [ -s "$signed" ] || fail "actions/sign: no signed provenance ($signed)"
  expect_eq "" "$(out bundle-path)" "key mode: no Sigstore bundle"
  expect_nomatch 'PRIVATE KEY' "$out" "the key is not in the log"
  if grep -rl 'PRIVATE KEY' "$CASE_DIR/temp" "$WS" 2>/dev/null; then
    fail "a copy of the private key was left on disk (above)"
  fi
  "$HERMETIC" verify --key "$keys/signing.pub.pem" --artifact "$WS/hello.tar.gz" --require-hermetic "$signed" ||
    fail "hermetic verify rejects what the actions produced"

  verify_action() {
    harness "$SRC/actions/verify" --input "attestation=$signed" \
      --input "key=$(cat "$keys/signing.pub.pem")" --input "artifacts=hello.tar.gz" "$@"
  }
  out=$(verify_action 2>&1)
  expect_rc 0 $? "actions/verify" "$out"
  expect_eq true "$(out verified)" "output verified"
  [ -s "$(out report-path)" ] || fail "actions/verify: no report file"
  cp "$WS/hello.tar.gz" "$CASE_DIR/good.tar.gz"
  printf 'x' >>"$WS/hello.tar.gz"
  out=$(verify_action 2>&1)
  expect_rc 1 $? "actions/verify on a tampered artifact" "$out"
  out=$(verify_action --input fail-on-reject=false 2>&1)
  expect_rc 0 $? "actions/verify, fail-on-reject false" "$out"
  expect_eq false "$(out verified)" "a tampered artifact: verified false"
  cp "$CASE_DIR/good.tar.gz" "$WS/hello.tar.gz"
  openssl genpkey -algorithm ed25519 -out "$keys/other.key.pem" 2>/dev/null || fail "openssl genpkey"
  openssl pkey -in "$keys/other.key.pem" -pubout -out "$keys/signing.pub.pem" || fail "openssl pkey -pubout"
  out=$(verify_action --input fail-on-reject=false 2>&1)
  expect_rc 0 $? "actions/verify with another key" "$out"
  expect_eq false "$(out verified)" "another key: verified false"
}

plan
run_case "hermetic run as a custom shell: outputs come back, no token reaches the step" case_sandboxed_step
run_case "actions/setup uses an existing build (install-dir) and exports it" case_setup
run_case "setup, build, sign (Ed25519 key) and verify end to end on examples/hello" case_end_to_end
hm_finish
