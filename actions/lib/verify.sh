#!/usr/bin/env bash
# actions/verify: 'hermetic verify' of an attestation against a public key and a policy,
# with the JSON report as an output, for consumers and release gates.
# Environment: HM_KEY (PEM content, one or more keys, or paths one a line), HM_ARTIFACTS
# (paths or globs, one a line), HM_BUILDER_ID, HM_SOURCE_URI, HM_REQUIRE_HERMETIC,
# HM_ATTESTATION, HM_FAIL.
# Outputs: verified, report, report-path.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

hermetic=$(hm_hermetic)
[[ -n ${HM_ATTESTATION:-} && -f $HM_ATTESTATION ]] ||
  hm_die "input attestation: not a file: '${HM_ATTESTATION:-}'"
[[ -n ${HM_KEY:-} ]] || hm_die "input key is empty: give the public key (PEM) or its path"

work=$(hm_private_dir verify)
keys=()
if [[ $HM_KEY == *"-----BEGIN"* ]]; then
  # Each PEM block to a file of its own: hermetic verify takes one key a --key.
  n=0
  while IFS= read -r line; do
    if [[ $line == "-----BEGIN "* ]]; then n=$((n + 1)); : >"$work/key$n.pem"; fi
    ((n > 0)) && printf '%s\n' "$line" >>"$work/key$n.pem"
  done <<<"$HM_KEY"
  for ((i = 1; i <= n; i++)); do keys+=("$work/key$i.pem"); done
else
  hm_lines keys "$HM_KEY"
fi
args=(verify --format json)
for k in "${keys[@]}"; do
  [[ -f $k ]] || hm_die "input key: '$k' is neither PEM content nor a file"
  args+=(--key "$k")
done

artifacts=()
hm_lines artifacts "${HM_ARTIFACTS:-}"
shopt -s nullglob globstar
for pattern in "${artifacts[@]}"; do
  if [[ -e $pattern ]]; then
    args+=(--artifact "$pattern")
    continue
  fi
  mapfile -t matches < <(compgen -G "$pattern" || true)
  ((${#matches[@]} > 0)) || hm_die "input artifacts: '$pattern' matches no file"
  for m in "${matches[@]}"; do args+=(--artifact "$m"); done
done
[[ -n ${HM_BUILDER_ID:-} ]] && args+=(--builder-id "$HM_BUILDER_ID")
[[ -n ${HM_SOURCE_URI:-} ]] && args+=(--source-uri "$HM_SOURCE_URI")
hm_bool require-hermetic "${HM_REQUIRE_HERMETIC:-true}" && args+=(--require-hermetic)
args+=(-- "$HM_ATTESTATION")

report=$work/report.json
echo "+ hermetic ${args[*]@Q}"
rc=0
"$hermetic" "${args[@]}" >"$report" || rc=$?
case $rc in
  0) verified=true ;;
  1) verified=false ;;
  *) hm_die "hermetic verify could not use its input (exit $rc, above): $HM_ATTESTATION" ;;
esac
cat -- "$report"
hm_output verified "$verified"
hm_output report "$(cat -- "$report")"
hm_output report-path "$report"

if [[ $verified == true ]]; then
  echo "verified: $HM_ATTESTATION"
  exit 0
fi
reason=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("reason") or "rejected")' "$report" || echo rejected)
if hm_bool fail-on-reject "${HM_FAIL:-true}"; then
  hm_die "hermetic verify rejected $HM_ATTESTATION: $reason"
fi
hm_warn "hermetic verify rejected $HM_ATTESTATION: $reason"
