#!/usr/bin/env bash
# actions/setup, step 3: build hermetic from the action's source into the install
# directory unless the cache already restored a binary that runs, make sure the shared
# libraries it links are present (a cache hit on a fresh runner has the binary but not
# necessarily libnl-route or libseccomp), then put it on PATH for the following steps.
# Environment: HM_SRC, HM_DIR (from setup-key.sh).
# Outputs: path, version. Exports HERMETIC to later steps.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
here=$(dirname "${BASH_SOURCE[0]}")

[[ -n ${HM_SRC:-} && -n ${HM_DIR:-} ]] || hm_die "HM_SRC and HM_DIR must be set (by the key step)"
bin=$HM_DIR/bin/hermetic

runs() { [[ -x $bin ]] && "$bin" --version >/dev/null 2>&1; }

if runs; then
  echo "hermetic: using the existing $bin"
else
  if [[ -x $bin ]] && ldd "$bin" 2>/dev/null | grep -q 'not found'; then
    echo "hermetic: $bin is there but its libraries are missing; installing them"
  else
    echo "hermetic: building from $HM_SRC"
  fi
  bash "$here/install-build-deps.sh"
  if ! runs; then
    build=$(mktemp -d "${RUNNER_TEMP:-/var/tmp}/hermetic-build.XXXXXX")
    trap 'rm -rf "$build"' EXIT
    # Only the binary: the test programs need tools a runner does not have.
    meson setup --buildtype=release "$build" "$HM_SRC" >"$build.log" 2>&1 ||
      { cat "$build.log"; hm_die "meson setup of $HM_SRC failed (log above)"; }
    ninja -C "$build" cli/hermetic || hm_die "building hermetic failed (log above)"
    install -D -m 0755 "$build/cli/hermetic" "$bin"
    rm -f "$build.log"
  fi
fi
runs || hm_die "$bin does not run: $("$bin" --version 2>&1 | head -n 3)"

# The AppArmor profile attaches to a path, and the doctor reports this one: no symlinks.
bin=$(realpath -e "$bin")
version=$("$bin" --version)
version=${version#hermetic }
echo "hermetic $version at $bin"

# A newline would let the path add further lines to the file commands.
[[ $bin != *$'\n'* ]] || hm_die "the install path contains a newline"
printf '%s\n' "${bin%/*}" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
printf 'HERMETIC=%s\n' "$bin" >>"${GITHUB_ENV:?GITHUB_ENV is not set}"
hm_output path "$bin"
hm_output version "$version"
