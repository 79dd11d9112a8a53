#!/bin/bash
# uml.sh SUITE: run a TAP suite as root inside a User-mode Linux guest (Debian's
# user-mode-linux package: a Linux 6.1 kernel that is an ordinary process), and print its
# TAP. For what this host cannot give a test: the guest mounts the unified cgroup v2
# hierarchy with every controller, where this host may have them bound to cgroup v1.
# The guest's root is the host's, read-only; HM_WORK_BASE is a fresh ext4 image. Skipped
# (TAP "1..0 # SKIP") when linux.uml or mkfs.ext4 is missing.
set -u
suite=${1:?usage: uml.sh SUITE}
skip_all() {
  echo "1..0 # SKIP $*"
  exit 0
}
uml=$(command -v linux.uml) || skip_all "User-mode Linux is missing (apt-get install user-mode-linux)"
mkfs=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)
[ -x "$mkfs" ] || skip_all "mkfs.ext4 (e2fsprogs) is missing"
[ -n "${HERMETIC:-}" ] || skip_all "HERMETIC is not set (run through meson test)"
if ldd "$HERMETIC" 2>/dev/null | grep -q libasan; then
  skip_all "$HERMETIC is built with AddressSanitizer, whose shadow memory does not fit in a User-mode Linux process's address space; the plain build runs this suite"
fi
base=${HM_WORK_BASE:?HM_WORK_BASE is not set}
mkdir -p "$base"
work=$(mktemp -d "$base/uml.XXXXXX") || skip_all "cannot create a directory under $base"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # the suites' unprivileged users need to reach HM_WORK_BASE below
mkdir "$work/mnt"
if ! truncate -s 512M "$work/work.img" || ! "$mkfs" -q -F "$work/work.img"; then
  skip_all "mkfs.ext4 failed"
fi
truncate -s 4M "$work/out.raw"
here=$(cd "$(dirname "$0")" && pwd)
suite=$(cd "$(dirname "$suite")" && pwd)/$(basename "$suite")
# Each NAME=VALUE word the kernel does not know goes to init's environment: no spaces.
for v in "$HERMETIC" "$suite" "${HM_HELPER_DIR:-}" "$work" "${HM_SOURCE_ROOT:-}"; do
  case "$v" in *[[:space:]]*) skip_all "a path has white space, which the kernel command line cannot pass: $v" ;; esac
done
start=$SECONDS
# The guest's memory is a file under TMPDIR; 768 MiB, sparse. Bounded below meson's 900 s, so
# that a hung guest is reported here, with its console.
TMPDIR=$work timeout -k 10 "${HM_UML_TIMEOUT:-600}" "$uml" mem=768M quiet ro \
  root=/dev/root rootfstype=hostfs rootflags=/ \
  ubd0="$work/work.img" ubd1="$work/out.raw" \
  con=null con0=null,fd:1 \
  init="$here/uml-init.sh" \
  HM_SUITE="$suite" HERMETIC="$HERMETIC" HM_HELPER_DIR="${HM_HELPER_DIR:-}" \
  HM_WORK_BASE="$work/mnt" HM_SOURCE_ROOT="${HM_SOURCE_ROOT:-}" HM_VERSION="${HM_VERSION:-}" \
  HM_VERBOSE="${HM_VERBOSE:-0}" </dev/null >"$work/console.log" 2>&1
rc=$?
tap=$(tr -d '\0' <"$work/out.raw")
if ! printf '%s\n' "$tap" | grep -q '^1\.\.'; then
  echo "1..1"
  echo "not ok 1 - the User-mode Linux guest ran $(basename "$suite") (status $rc after $((SECONDS - start))s)"
  sed -e 's/^/# /' "$work/console.log" | tail -n 40
  exit 1
fi
printf '%s\n' "$tap"
echo "# guest ran for $((SECONDS - start))s"
