#!/usr/bin/env bash
# Install everything hermetic needs to build, test and run its example on Debian 12.
# Idempotent and fast on re-runs: apt is skipped when every package is already installed.
# Usage: bash scripts/install-deps.sh        (as root, or through sudo when not root)
set -euo pipefail

# Build: meson ninja-build gcc pkg-config, libc6-dev (only a Recommends of gcc, and we skip
# Recommends), the five libraries and libcurl (for fetching).
# Tests: python3 (JSON checks), iproute2 (ip), util-linux (unshare, setpriv), procps
# (pgrep), libcap2-bin (setcap, getcap), bubblewrap (the comparison in bench/), valgrind
# (the valgrind test setup). Example: make.
# DSSE tests (tests/dsse): openssl (the CLI, to sign independently), Debian's
# python3-securesystemslib with python3-cryptography and python3-nacl (Ed25519) for the
# interop suite. Fuzzing (tests/fuzz, -Dfuzzing=true): clang and libclang-rt-14-dev
# (libFuzzer and the sanitizer runtimes). bench/digest: time (/usr/bin/time). tests/build: git.
# Snapshot tests and bench/snapshot: curl, ca-certificates, and node with npm (the real
# npm project; Debian's nodejs and npm only when no node/npm is on PATH, e.g. from
# NodeSource). GitHub actions tests (tests/actions, tests/lint): python3-yaml, shellcheck.
# cgroup v2 limits in a User-mode Linux guest (tests/uml): user-mode-linux, e2fsprogs
# (mkfs.ext4), kmod (modprobe), mount.
packages=(
  meson ninja-build gcc libc6-dev make pkg-config
  libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libssl-dev libjson-c-dev
  libcurl4-openssl-dev
  python3 iproute2 util-linux procps libcap2-bin bubblewrap valgrind
  openssl python3-securesystemslib python3-cryptography python3-nacl
  clang libclang-rt-14-dev
  time git
  curl ca-certificates python3-yaml shellcheck
  user-mode-linux e2fsprogs kmod mount
)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -qq update </dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends \
  -o Dpkg::Use-Pty=0 "${missing[@]}" </dev/null >/dev/null
echo "install-deps: done"
