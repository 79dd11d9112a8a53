#!/usr/bin/env bash
# actions/sign, step 1: check the mode and that the files it signs exist, before anything
# is sent to Sigstore or a key is written anywhere.
# Environment: HM_MODE, HM_PROVENANCE (key mode), HM_SUBJECTS_SHA256 and HM_PREDICATE
# (github and cosign modes), HM_KEY (key mode; only checked for being set).
# Outputs: mode.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need_file() { [[ -n $2 && -f $2 ]] || hm_die "mode $HM_MODE needs input $1 (a file): got '$2'"; }

case ${HM_MODE:-github} in
  github | cosign)
    need_file subjects-sha256 "${HM_SUBJECTS_SHA256:-}"
    need_file predicate-path "${HM_PREDICATE:-}"
    [[ -s $HM_SUBJECTS_SHA256 ]] || hm_die "$HM_SUBJECTS_SHA256 lists no subject"
    if [[ ${HM_MODE:-github} == cosign ]]; then
      command -v cosign >/dev/null ||
        hm_die "mode cosign needs cosign (2.4 or later) on PATH: install it before this step (e.g. sigstore/cosign-installer pinned by commit)"
    fi
    ;;
  key)
    need_file provenance-path "${HM_PROVENANCE:-}"
    [[ -n ${HM_KEY:-} ]] || hm_die "mode key needs input key: a PEM private key (from a secret) or its path"
    ;;
  *) hm_die "input mode: expected github, cosign or key, got '${HM_MODE}'" ;;
esac
hm_output mode "${HM_MODE:-github}"
