#!/usr/bin/env bash
# actions/setup, step 1: find hermetic's source (the action's own checkout: the binary is
# built from exactly the commit the caller pinned) and derive the cache key and install
# directory from the content of that source, the OS release and the architecture.
# Content, not the ref: a branch ref moves, and `github.action_ref` is not reliable
# inside composite actions; the same bytes always give the same key.
# Environment: HM_ACTION_PATH (github.action_path), HM_INSTALL_DIR (optional).
# Outputs: src, key, dir.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -n ${HM_ACTION_PATH:-} ]] || hm_die "HM_ACTION_PATH is not set"
src=$(realpath -e "$HM_ACTION_PATH/../..") || hm_die "hermetic source not found above $HM_ACTION_PATH"
[[ -f $src/meson.build && -f $src/cli/main.c ]] ||
  hm_die "$src does not look like hermetic's source (no meson.build and cli/main.c)"

# Every file meson reads, in a stable order; build directories and .git are not source.
tree=$(cd "$src" && find . \( -name '.git' -o -name 'build*' -o -name node_modules \) -prune -o \
  -type f \( -name '*.c' -o -name '*.h' -o -name 'meson.build' -o -name 'meson_options.txt' \
  -o -name '*.1' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)
tree=${tree%% *}

os=unknown
if [[ -r /etc/os-release ]]; then
  # shellcheck disable=SC1091
  os=$(. /etc/os-release && printf '%s-%s' "${ID:-linux}" "${VERSION_ID:-rolling}")
fi
key="hermetic-$os-$(uname -m)-${tree:0:32}"

dir=${HM_INSTALL_DIR:-}
if [[ -z $dir ]]; then
  base=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-}}
  [[ -n $base ]] || hm_die "neither RUNNER_TOOL_CACHE nor RUNNER_TEMP is set; give the install-dir input"
  dir=$base/hermetic/${tree:0:32}
fi
[[ $dir == /* ]] || hm_die "install-dir must be an absolute path, got '$dir'"

echo "hermetic source: $src"
echo "cache key: $key"
echo "install dir: $dir"
hm_output src "$src"
hm_output key "$key"
hm_output dir "$dir"
