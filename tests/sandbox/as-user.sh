#!/bin/bash
# as-user.sh SUITE: run a sandbox suite as an unprivileged user, the way most developers
# and many CI runners start hermetic (unprivileged user namespaces, build uid = caller).
# Started as root, it creates the throwaway user hermetic-test if missing, gives it a
# scratch area and a directory under /run (root's), and runs SUITE through setpriv with
# the HM_*/HERMETIC* environment and that user's HOME. Not root: skipped (77), since the
# direct run of SUITE is then already the unprivileged run.
set -u
suite=${1:?usage: as-user.sh SUITE}
user=hermetic-test

skip_all() {
  # meson runs these with the TAP protocol, where the plan "1..0 # SKIP" is what marks a
  # skip; an exit status of 77 there is reported as an error (meson 1.0).
  echo "1..0 # SKIP $*"
  exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "not started as root: the direct run already covers an unprivileged user"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
if ! id -u "$user" >/dev/null 2>&1; then
  useradd -m -s /bin/bash -c "hermetic sandbox tests" "$user" >/dev/null 2>&1 ||
    skip_all "cannot create the user $user (useradd failed)"
fi
uid=$(id -u "$user")
gid=$(id -g "$user")
home=$(getent passwd "$user" | cut -d: -f6)
if [ ! -d "$home" ]; then
  mkdir -p "$home" && chown "$uid:$gid" "$home" && chmod 700 "$home"
fi

as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups "$@"; }

as_user test -x "${HERMETIC:-/nonexistent}" -a -r "$suite" -a -x "${HM_HELPER_DIR:-/nonexistent}/sock_try" ||
  skip_all "$user cannot reach the build tree (${HERMETIC:-HERMETIC unset}, $suite, HM_HELPER_DIR); make its directories world-readable"

base=${HM_WORK_BASE:-/var/tmp}
mkdir -p "$base" && chmod 755 "$base"
work=$(mktemp -d "$base/user.XXXXXX") || skip_all "cannot create a scratch directory under $base"
chown "$uid:$gid" "$work"
chmod 755 "$work"
run_dir=$(mktemp -d /run/hermetic-test-user.XXXXXX 2>/dev/null) || run_dir=""
if [ -n "$run_dir" ]; then
  chown "$uid:$gid" "$run_dir"
  chmod 755 "$run_dir"
fi
cleanup() {
  rm -rf "$work"
  [ -n "$run_dir" ] && rm -rf "$run_dir"
}
trap cleanup EXIT

env HOME="$home" USER="$user" LOGNAME="$user" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HM_WORK_BASE="$work" HM_RUN_DIR="$run_dir" \
  setpriv --reuid="$uid" --regid="$gid" --init-groups bash "$suite"
