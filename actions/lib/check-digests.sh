#!/usr/bin/env bash
# The reusable workflow's sign job: before signing, check that the downloaded provenance
# files are exactly those the build job digested (stage.sh): same names, same bytes, no
# file more.
# Environment: HM_DIGESTS (base64 of sha256sum lines), HM_DIR.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -n ${HM_DIGESTS:-} && -d ${HM_DIR:-} ]] || hm_die "HM_DIGESTS and HM_DIR must be set"
list=$(base64 -d <<<"$HM_DIGESTS") || hm_die "the build job's provenance-digests is not base64"
cd -- "$HM_DIR"
sha256sum --strict --quiet -c <<<"$list" ||
  hm_die "the provenance artifact differs from what the build job produced: refusing to sign it"
expected=$(cut -c67- <<<"$list" | LC_ALL=C sort)
present=$(find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
[[ $expected == "$present" ]] ||
  hm_die "the provenance artifact holds files the build job did not produce: $(comm -13 <(echo "$expected") <(echo "$present") | tr '\n' ' ')"
echo "provenance: $(wc -l <<<"$list") files match the build job's digests"
