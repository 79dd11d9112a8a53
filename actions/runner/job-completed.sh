#!/usr/bin/env bash
# Self-hosted runner hook, after every job (ACTIONS_RUNNER_HOOK_JOB_COMPLETED=<this file>;
# docs/runners.md). The runner is meant to be ephemeral (one job, then the machine or pod
# is thrown away); this hook is the second line for when it is not:
#  - removes what the actions left under RUNNER_TEMP (hermetic-* directories: the
#    snapshot, provenance, and any key directory a failed step could not remove);
#  - reports every process of the runner's user still alive that is not the runner
#    itself: hermetic kills everything a sandboxed build starts, so a survivor comes from
#    a step that ran outside the sandbox, and the next job on this machine would share it.
# Environment: HERMETIC_HOOK_SURVIVORS=fail to fail the job when a process survived.
set -euo pipefail

if [[ -n ${RUNNER_TEMP:-} && -d $RUNNER_TEMP ]]; then
  find "$RUNNER_TEMP" -mindepth 1 -maxdepth 1 -name 'hermetic-*' -exec rm -rf -- {} +
fi

# This hook's own ancestry (the runner's worker, listener and their shells) is not a survivor.
declare -A mine=()
pid=$$
while [[ $pid -gt 1 && -r /proc/$pid/stat ]]; do
  mine[$pid]=1
  stat=$(</proc/"$pid"/stat)
  stat=${stat##*) }
  read -r _ pid _ <<<"$stat"
done

uid=$(id -u)
if ((uid == 0)); then
  # Root owns the system's own daemons too: there is no telling the job's from them.
  echo "hermetic job-completed hook: the runner runs as root; not checking for survivors (run it as a dedicated user)"
  exit 0
fi
survivors=()
for dir in /proc/[0-9]*; do
  p=${dir#/proc/}
  [[ -n ${mine[$p]:-} ]] && continue
  owner=$(stat -c %u "$dir" 2>/dev/null) || continue
  [[ $owner == "$uid" ]] || continue
  # Kernel threads and zombies have an empty command line (procfs sizes are always 0).
  cmd=$(tr -d '\0' <"$dir/cmdline" 2>/dev/null) || continue
  [[ -n $cmd ]] || continue
  comm=$(cat "$dir/comm" 2>/dev/null) || continue
  case $comm in Runner.Listener | Runner.Worker | run.sh | run-helper.sh | ps | cat | stat) continue ;; esac
  survivors+=("$p:$comm")
done

if ((${#survivors[@]} > 0)); then
  kind=warning
  [[ ${HERMETIC_HOOK_SURVIVORS:-warn} == fail ]] && kind=error
  printf '::%s::processes outlived the job on runner %s: %s (use an ephemeral runner: docs/runners.md)\n' \
    "$kind" "${RUNNER_NAME:-?}" "${survivors[*]}"
  [[ $kind == warning ]] || exit 1
fi
