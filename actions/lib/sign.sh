#!/usr/bin/env bash
# actions/sign, step 3 (after actions/attest in github mode).
#   key:    write the key to a 0600 file in a private directory under RUNNER_TEMP (outside
#           the workspace), 'hermetic sign' the envelope with it, remove the key file on
#           any exit. The key never exists while a build runs: this step runs after it.
#   cosign: 'cosign attest-blob --type slsaprovenance1' of each subject with hermetic's
#           predicate, one Sigstore bundle each, after checking each file against
#           NAME.sha256.
#   github: actions/attest already signed; collect its bundle.
# In every mode the result is also written as JSON Lines (one envelope or bundle a line),
# the form of a <artifact>.intoto.jsonl release asset.
# Environment: HM_MODE, HM_PROVENANCE, HM_KEY, HM_OUTPUT, HM_SUBJECTS_SHA256,
# HM_PREDICATE, HM_SUBJECTS_DIR, HM_OUTPUT_DIR, HM_NAME, HM_ATTEST_BUNDLE.
# Outputs: provenance-path, bundle-path.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

outdir=${HM_OUTPUT_DIR:-${RUNNER_TEMP:?RUNNER_TEMP is not set}/hermetic-signed}
mkdir -p -- "$outdir"
outdir=$(realpath -e -- "$outdir")
name=${HM_NAME:-}
if [[ -z $name ]]; then
  name=$(basename -- "${HM_PROVENANCE:-${HM_SUBJECTS_SHA256:-hermetic}}")
  name=${name%.intoto.jsonl}
  name=${name%.sha256}
fi
[[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ ]] || hm_die "input name '$name': letters, digits, '.', '_' and '-' only"

# One compact JSON document a line.
jsonl() { python3 -c 'import json,sys
for p in sys.argv[1:]:
    print(json.dumps(json.load(open(p)), separators=(",", ":")))' "$@"; }

sign_key() {
  local hermetic keydir keyfile out
  hermetic=$(hm_hermetic)
  out=${HM_OUTPUT:-$outdir/$name.intoto.jsonl}
  if [[ ${HM_KEY} == *"-----BEGIN"* ]]; then
    keydir=$(hm_private_dir key)
    # shellcheck disable=SC2064 # expand now: the path is fixed
    trap "rm -rf -- '$keydir'" EXIT
    keyfile=$keydir/signing.key.pem
    (umask 077 && printf '%s\n' "$HM_KEY" >"$keyfile")
  else
    keyfile=$HM_KEY
    [[ -f $keyfile ]] || hm_die "input key: neither PEM content nor an existing file"
  fi
  "$hermetic" sign --key "$keyfile" -o "$out" "$HM_PROVENANCE" ||
    hm_die "hermetic sign failed for $HM_PROVENANCE (above)"
  hm_output provenance-path "$out"
  hm_output bundle-path ""
}

sign_cosign() {
  local dir=${HM_SUBJECTS_DIR:-.} line sum file n=0 bundles=()
  while IFS= read -r line; do
    [[ $line != \\* ]] || hm_die "$HM_SUBJECTS_SHA256: a subject name with a newline or backslash is not supported by cosign mode"
    sum=${line:0:64} file=${line:66}
    [[ $(hm_sha256 "$dir/$file") == "$sum" ]] ||
      hm_die "$dir/$file does not match its digest in $HM_SUBJECTS_SHA256: refusing to attest it"
    n=$((n + 1))
    cosign attest-blob --yes --new-bundle-format --type slsaprovenance1 \
      --predicate "$HM_PREDICATE" --bundle "$outdir/$name.$n.sigstore.json" -- "$dir/$file" ||
      hm_die "cosign attest-blob failed for $file"
    bundles+=("$outdir/$name.$n.sigstore.json")
  done <"$HM_SUBJECTS_SHA256"
  jsonl "${bundles[@]}" >"$outdir/$name.intoto.jsonl"
  hm_output provenance-path "$outdir/$name.intoto.jsonl"
  hm_output bundle-path "$(printf '%s\n' "${bundles[@]}")"
}

sign_github() {
  [[ -n ${HM_ATTEST_BUNDLE:-} && -f $HM_ATTEST_BUNDLE ]] ||
    hm_die "actions/attest reported no bundle (bundle-path '${HM_ATTEST_BUNDLE:-}')"
  jsonl "$HM_ATTEST_BUNDLE" >"$outdir/$name.intoto.jsonl"
  cp -- "$HM_ATTEST_BUNDLE" "$outdir/$name.sigstore.json"
  hm_output provenance-path "$outdir/$name.intoto.jsonl"
  hm_output bundle-path "$outdir/$name.sigstore.json"
}

case ${HM_MODE:-} in
  key) sign_key ;;
  cosign) sign_cosign ;;
  github) sign_github ;;
  *) hm_die "unknown mode '${HM_MODE:-}' (the prepare step should have refused it)" ;;
esac
echo "signed ($HM_MODE): $outdir/$name.intoto.jsonl"
