#!/usr/bin/env bash
# Install what building and running the hermetic binary needs on a Debian or Ubuntu
# runner, and nothing else: scripts/install-deps.sh also installs the test, fuzzing and
# benchmark tools (clang, valgrind, bubblewrap...), which a CI setup step should not pay
# for. Skips apt when everything is installed. Runs apt through sudo unless root.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

packages=(
  meson ninja-build gcc libc6-dev pkg-config
  libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libssl-dev libjson-c-dev
  libcurl4-openssl-dev
)

if ! command -v dpkg-query >/dev/null; then
  hm_die "not a Debian or Ubuntu runner (no dpkg-query): install meson, ninja, a C compiler, pkg-config and the development files of libseccomp, libcap, libnl-3 (with route), OpenSSL, json-c and libcurl, then run this action again"
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "build dependencies: all ${#packages[@]} packages installed"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  sudo -n true 2>/dev/null ||
    hm_die "build dependencies missing and no passwordless sudo: install ${missing[*]}"
  sudo=(sudo -n)
fi
echo "build dependencies: installing ${missing[*]}"
"${sudo[@]}" apt-get -qq update </dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends \
  -o Dpkg::Use-Pty=0 "${missing[@]}" </dev/null >/dev/null
