#!/usr/bin/env bash
# Self-hosted runner hook, before every job (ACTIONS_RUNNER_HOOK_JOB_STARTED=<this file>;
# docs/runners.md). Refuses to start a job on a host that cannot sandbox: it runs
# 'hermetic doctor' and fails the job with the doctor's exact fix when a check fails.
# Then puts hermetic on PATH and exports HERMETIC for the job's steps, so that
# `shell: hermetic run -- bash -e {0}` and the actions find it without actions/setup.
# Environment: HERMETIC_BIN (default: /usr/local/bin/hermetic, else hermetic on PATH);
# HERMETIC_HOOK_DOCTOR=warn to report failures without failing the job.
set -euo pipefail

msg() { # workflow command with its data escaped (% CR LF)
  local kind=$1 s=$2
  s=${s//'%'/'%25'}
  s=${s//$'\r'/'%0D'}
  s=${s//$'\n'/'%0A'}
  printf '::%s::%s\n' "$kind" "$s"
}

bin=${HERMETIC_BIN:-}
[[ -n $bin ]] || { [[ -x /usr/local/bin/hermetic ]] && bin=/usr/local/bin/hermetic; } || true
[[ -n $bin ]] || bin=$(command -v hermetic || true)
if [[ -z $bin || ! -x $bin ]]; then
  msg error "hermetic job-started hook: no hermetic binary (set HERMETIC_BIN in the runner's .env, or install it at /usr/local/bin/hermetic)"
  exit 1
fi
bin=$(realpath -e "$bin")

echo "hermetic: $("$bin" --version) at $bin"
"$bin" doctor || true
json=$("$bin" doctor --json 2>/dev/null || true)
# One NUL-terminated record a failing check ("name: detail" and its fix).
failures() {
  python3 -c 'import json,sys
d = json.loads(sys.argv[1])
for c in d["checks"]:
    if c["status"] == "fail":
        print(c["name"] + ": " + c["detail"] + ("\nfix:\n" + c["fix"] if c.get("fix") else "") + "\0", end="")
if not d["checks"]:
    print("the doctor ran no check\0", end="")' "$json" 2>/dev/null ||
    printf '%s\0' "'$bin doctor --json' did not produce a report"
}

kind=error
[[ ${HERMETIC_HOOK_DOCTOR:-fail} == warn ]] && kind=warning
failed=0
while IFS= read -r -d '' f; do
  msg "$kind" "hermetic doctor on runner ${RUNNER_NAME:-?}: $f"
  failed=1
done < <(failures)
if ((failed)) && [[ $kind == error ]]; then
  msg error "this runner cannot sandbox builds; the job is stopped before its first step (docs/runners.md)"
  exit 1
fi

[[ $bin != *$'\n'* ]] || exit 1
if [[ -n ${GITHUB_PATH:-} ]]; then printf '%s\n' "${bin%/*}" >>"$GITHUB_PATH"; fi
if [[ -n ${GITHUB_ENV:-} ]]; then printf 'HERMETIC=%s\n' "$bin" >>"$GITHUB_ENV"; fi
