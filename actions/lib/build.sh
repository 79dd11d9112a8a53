#!/usr/bin/env bash
# actions/build: fetch the vendor snapshot when lockfiles are given (network allowed,
# every artifact checked against its pin), then run the caller's command with
# 'hermetic build' (network denied), and hand back the provenance files as outputs and a
# short table in the job summary.
# Environment (the action's inputs): HM_COMMAND, HM_SUBJECTS, HM_LOCKFILES,
# HM_SNAPSHOT_ARGS, HM_PROVENANCE_NAME, HM_OUTPUT_DIR, HM_EXPECT, HM_WORKSPACE,
# HM_EXTRA_ARGS, HM_BUILDER_ID.
# Outputs: provenance-path, subjects-sha256, base64-subjects, predicate-path,
# statement-path, report-path, log-path, snapshot-dir.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

hermetic=$(hm_hermetic)
[[ -n ${HM_COMMAND:-} ]] || hm_die "input command is empty: give the build command"
subjects=() lockfiles=() snapshot_args=() extra_args=()
hm_lines subjects "${HM_SUBJECTS:-}"
((${#subjects[@]} > 0)) || hm_die "input subjects is empty: give at least one output glob, one a line"
hm_lines lockfiles "${HM_LOCKFILES:-}"
hm_lines snapshot_args "${HM_SNAPSHOT_ARGS:-}"
hm_lines extra_args "${HM_EXTRA_ARGS:-}"

name=${HM_PROVENANCE_NAME:-hermetic}
[[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ ]] ||
  hm_die "input provenance-name '$name': use letters, digits, '.', '_' and '-' only (it names files)"
workspace=$(realpath -e -- "${HM_WORKSPACE:-.}") || hm_die "input workspace '${HM_WORKSPACE:-.}' does not exist"
[[ -d $workspace ]] || hm_die "input workspace '$workspace' is not a directory"
outdir=${HM_OUTPUT_DIR:-${RUNNER_TEMP:?RUNNER_TEMP is not set}/hermetic-provenance}
mkdir -p -- "$outdir"
outdir=$(realpath -e -- "$outdir")
provenance=$outdir/$name.intoto.jsonl
report=$outdir/$name.report.json

# Relative paths in inputs (expect, lockfiles, subjects) are relative to the workspace;
# lockfile paths are recorded as given, which is what a rebuild has to repeat.
cd -- "$workspace"

args=(build --workspace "$workspace" --provenance "$provenance" --report "$report")
snapshot=
if ((${#lockfiles[@]} > 0)); then
  snapshot=${RUNNER_TEMP:?RUNNER_TEMP is not set}/hermetic-snapshot
  echo "::group::hermetic snapshot fetch (${#lockfiles[@]} lockfiles)"
  "$hermetic" snapshot fetch --into "$snapshot" "${snapshot_args[@]}" -- "${lockfiles[@]}" ||
    { echo "::endgroup::"; hm_die "hermetic snapshot fetch failed: a dependency could not be fetched or did not match its pin (above)"; }
  echo "::endgroup::"
  args+=(--snapshot "$snapshot")
fi
[[ -n ${HM_EXPECT:-} ]] && args+=(--expect "$HM_EXPECT")
[[ -n ${HM_BUILDER_ID:-} ]] && args+=(--builder-id "$HM_BUILDER_ID")
for s in "${subjects[@]}"; do args+=(--subject "$s"); done
args+=("${extra_args[@]}" -- bash -e -c "$HM_COMMAND")

echo "+ hermetic ${args[*]@Q}"
rc=0
"$hermetic" "${args[@]}" || rc=$?

bash "$(dirname "${BASH_SOURCE[0]}")/build-summary.sh" "$name" "$outdir" "$rc" || true

if ((rc != 0)); then
  case $rc in
    1) hm_die "hermetic build: a subject is missing or does not match its pin (exit 1); no provenance was written" ;;
    124) hm_die "hermetic build: the command timed out (exit 124); no provenance was written" ;;
    125) hm_die "hermetic build: hermetic itself failed (exit 125: bad option or sandbox setup; try 'hermetic doctor')" ;;
    *) hm_die "hermetic build: the command failed (exit $rc); no provenance was written" ;;
  esac
fi

sums=$outdir/$name.sha256
[[ -f $provenance && -f $sums ]] || hm_die "hermetic build exited 0 but $provenance or $sums is missing"
hm_output provenance-path "$provenance"
hm_output subjects-sha256 "$sums"
hm_output base64-subjects "$(base64 -w0 <"$sums")"
hm_output predicate-path "$outdir/$name.predicate.json"
hm_output statement-path "$outdir/$name.statement.json"
hm_output report-path "$report"
hm_output log-path "$outdir/$name.log"
hm_output snapshot-dir "$snapshot"
