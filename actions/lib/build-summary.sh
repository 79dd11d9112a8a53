#!/usr/bin/env bash
# A short markdown table of what 'hermetic build' produced, for $GITHUB_STEP_SUMMARY:
# each subject and its sha256, where the provenance is, and the isolation it recorded.
# Usage: build-summary.sh NAME OUTDIR EXIT_STATUS
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

name=$1 outdir=$2 rc=$3
[[ -n ${GITHUB_STEP_SUMMARY:-} ]] || exit 0

# Markdown table cells: a '|' would end the cell, a backtick the code span.
cell() {
  local s=${1//'|'/'\|'}
  printf '%s' "${s//'`'/"'"}"
}

{
  printf '### hermetic build: %s\n\n' "$(cell "$name")"
  if ((rc != 0)); then
    printf 'The build failed (exit %s); no provenance was written.\n' "$rc"
    exit 0
  fi
  printf '| subject | sha256 |\n|---|---|\n'
  while IFS= read -r line; do
    # sha256sum format: "<hex>  <name>"; a leading '\' marks an escaped name.
    line=${line#\\}
    printf "| \`%s\` | \`%s\` |\n" "$(cell "${line:66}")" "${line:0:64}"
  done <"$outdir/$name.sha256"
  printf "\nProvenance: \`%s\` (%s)\n" "$(cell "$outdir/$name.intoto.jsonl")" \
    "$(grep -q '"signatures":\[\]' "$outdir/$name.intoto.jsonl" && echo unsigned || echo signed)"
  python3 - "$outdir/$name.report.json" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
ns = " ".join(k for k, v in sorted(r.get("namespaces", {}).items()) if v is True)
net = r.get("network", {}).get("policy", "?")
sc = r.get("seccomp", {})
print(f"\nIsolation: namespaces {ns}; network {net}; seccomp {sc.get('profile', '?')} ({sc.get('mode', '?')})")
PY
} >>"$GITHUB_STEP_SUMMARY"
