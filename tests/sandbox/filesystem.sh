#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# Filesystem view: the host is read-only and its secrets unreadable, the workspace is the
# only writable host path (and what the build writes there belongs to the workspace's
# owner), the private directories are empty, /dev and /proc are minimal, and --hide,
# --ro, --rw, --tmpfs do what they say.
. "$(dirname "$0")/lib.sh"
hm_init
plan

case_shadow() {
  local out rc
  [ -e /etc/shadow ] || skip "the host has no /etc/shadow"
  if is_root; then head -c 1 /etc/shadow >/dev/null || fail "control: root cannot read /etc/shadow"; fi
  out=$(run_ws -- cat /etc/shadow 2>&1)
  rc=$?
  echo "cat /etc/shadow: status $rc: $(printf '%s' "$out" | head -c 200)"
  [ "$rc" -ne 0 ] || fail "/etc/shadow is readable inside"
  expect_nomatch '^root:' "$out" "shadow content"
}

case_home_secret() {
  local secret=$HOME/.hermetic-test-secret out rc
  [ -w "$HOME" ] || skip "HOME=$HOME is not writable"
  (umask 077 && echo "hm-home-secret-$$" >"$secret") || fail "cannot create $secret"
  on_exit "rm -f '$secret'"
  chmod 600 "$secret"
  expect_eq "hm-home-secret-$$" "$(cat "$secret")" "control: the owner reads it on the host"
  out=$(run_ws -- cat "$secret" 2>&1)
  rc=$?
  echo "cat $secret: status $rc: $out"
  [ "$rc" -ne 0 ] || fail "$secret is readable inside"
  expect_nomatch "hm-home-secret" "$out" "secret content"
}

case_write_outside() {
  local p name=hermetic-test-write-$$-$RANDOM out bad=0 targets
  targets="/ /etc /usr /var /opt /srv $(dirname "$WS") $HM_WORK_BASE $HERMETIC_DIR_FOR_TEST"
  for p in $targets; do
    [ -d "$p" ] || continue
    # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
    out=$(run_ws -- sh -c 'touch "$1" 2>&1 && echo WROTE; mkdir "$1.d" 2>&1 && echo WROTE' sh "$p/$name" 2>&1)
    echo "$p: $out"
    if printf '%s' "$out" | grep -q WROTE || [ -e "$p/$name" ] || [ -e "$p/$name.d" ]; then
      bad=1
      rm -rf "${p:?}/$name" "${p:?}/$name.d"
    fi
  done
  [ "$bad" -eq 0 ] || fail "a path outside the workspace was writable"
}

# Host mounts below the root (and below a --ro bind) are read-only too, not just the top
# one: the whole tree is made read-only at once, or mount by mount on older kernels.
case_write_host_submounts() {
  is_root || skip "needs root to mount a tmpfs on the host"
  local m=$CASE_DIR/hostmnt r=$WS/rodir out
  mkdir -p "$m" "$r/inner"
  mount -t tmpfs -o mode=0777 hm-test "$m" || skip "cannot mount a tmpfs here"
  on_exit "umount '$m'"
  mount -t tmpfs -o mode=0777 hm-test "$r/inner" || fail "mounting a tmpfs in the workspace"
  on_exit "umount '$r/inner'"
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws --ro "$r" -- sh -c 'for d; do touch "$d/x" 2>&1 && echo "WROTE $d"; done' sh "$m" "$r/inner" 2>&1)
  echo "$out"
  expect_nomatch WROTE "$out" "a host submount or a submount of a --ro bind was writable"
  expect_match "$m/x': Read-only file system" "$out" "the host tmpfs"
  expect_match "$r/inner/x': Read-only file system" "$out" "the tmpfs under --ro"
}

case_write_ws() {
  local out rc
  out=$(run_ws -- sh -c 'echo built > out.txt && mkdir -p sub/dir && echo x > sub/dir/f && pwd' 2>&1)
  rc=$?
  expect_rc 0 "$rc" "writing the workspace" "$out"
  expect_eq "$WS" "$out" "the command starts in the workspace"
  expect_eq built "$(cat "$WS/out.txt" 2>&1)" "out.txt on the host"
  [ -f "$WS/sub/dir/f" ] || fail "sub/dir/f missing on the host"
}

case_ws_owner_self() {
  local out me
  me="$(id -u):$(id -g)"
  chown "$me" "$WS"
  out=$(run_ws -- sh -c 'stat -c %u:%g .; touch made-inside; mkdir dir-inside' 2>&1)
  expect_eq 1000:1000 "$out" "the workspace's owner seen inside"
  expect_eq "$me" "$(stat -c %u:%g "$WS/made-inside")" "host owner of a file the build made"
  expect_eq "$me" "$(stat -c %u:%g "$WS/dir-inside")" "host owner of a directory the build made"
}

case_ws_owner_other() {
  local out
  is_root || skip "needs root (chown of the workspace to another uid)"
  chown 4242:4243 "$WS"
  out=$(run_ws -- sh -c 'stat -c %u:%g .; touch made-inside; mkdir dir-inside; echo y > made-inside' 2>&1)
  expect_eq 1000:1000 "$out" "the workspace's owner seen inside"
  expect_eq 4242:4243 "$(stat -c %u:%g "$WS/made-inside" 2>&1)" "host owner of a file the build made"
  expect_eq 4242:4243 "$(stat -c %u:%g "$WS/dir-inside" 2>&1)" "host owner of a directory the build made"
}

case_ws_private_parent() {
  local ws=$CASE_DIR/private/ws out rc
  mkdir -p "$ws"
  chmod 700 "$CASE_DIR/private"
  out=$(hm_bounded "$HM_LIMIT" "$HERMETIC" run --workspace "$ws" -- sh -c 'pwd; touch ok' 2>&1)
  rc=$?
  expect_rc 0 "$rc" "a workspace under a 0700 directory" "$out"
  [ -e "$ws/ok" ] || fail "the file made inside is missing on the host"
}

case_ws_under_tmp() {
  local ws out rc
  ws=$(mktemp -d /tmp/hermetic-test-ws.XXXXXX) || fail "mktemp under /tmp"
  on_exit "rm -rf '$ws'"
  chmod 755 "$ws"
  out=$(hm_bounded "$HM_LIMIT" "$HERMETIC" run --workspace "$ws" -- sh -c 'pwd; echo hi > f; ls -A /tmp' 2>&1)
  rc=$?
  expect_rc 0 "$rc" "a workspace under the host's /tmp" "$out"
  expect_eq hi "$(cat "$ws/f" 2>&1)" "the file made inside, on the host"
  echo "$out"
}

case_private_dirs_empty() {
  local out rc
  need_python
  # /home may hold the HOME directory (HOME=/home/build) and nothing else. A directory
  # the build may not list (as on a host, /root 0700) is accepted only if the report
  # says it is a tmpfs: then it is fresh, whatever its mode.
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws --report "$CASE_DIR/report.json" -- sh -c 'for d in /root /run /tmp /var/tmp /dev/shm /mnt /media; do
      [ -d "$d" ] || { echo "$d: missing"; continue; }
      if ! c=$(ls -A "$d" 2>/dev/null); then echo "unlistable $d"; continue; fi
      [ -z "$c" ] || echo "$d: $c"; done
    c=$(ls -A /home); [ -z "$c" ] || [ "$c" = build ] || echo "/home: $c"
    c=$(ls -A "$HOME"); [ -z "$c" ] || echo "HOME $HOME: $c"' 2>&1)
  rc=$?
  expect_rc 0 "$rc" "listing the private directories" "$out"
  "$HM_PY" - "$CASE_DIR/report.json" <<'EOF2' || fail "the report does not list a tmpfs on every private directory"
import json, sys
m = json.load(open(sys.argv[1]))["mounts"]
fs = {e["target"]: e["fstype"] for e in m}
bad = [d for d in ["/root", "/run", "/tmp", "/var/tmp", "/dev/shm", "/mnt", "/media", "/home"] if fs.get(d) != "tmpfs"]
for d in bad: print("report: %s is %r, not tmpfs" % (d, fs.get(d)))
sys.exit(1 if bad else 0)
EOF2
  printf '%s\n' "$out" | grep '^unlistable' | sed 's/^/note: /'
  expect_eq "" "$(printf '%s\n' "$out" | grep -v '^unlistable')" "non-empty private directories"
}

case_private_dirs_writable() {
  local name=hermetic-test-priv-$$-$RANDOM out rc d
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c 'for d in /tmp /var/tmp /dev/shm "$HOME"; do echo x > "$d/$1" || echo "$d not writable"; done' sh "$name" 2>&1)
  rc=$?
  expect_rc 0 "$rc" "writing /tmp /var/tmp /dev/shm HOME" "$out"
  expect_eq "" "$out" "private directories must be writable"
  local leaked=""
  rm -f "$HOME/$name" # HOME outside is not HOME inside; only a non-sandbox writes here
  for d in /tmp /var/tmp /dev/shm; do
    if [ -e "$d/$name" ]; then
      rm -f "${d:?}/$name"
      leaked="$leaked $d/$name"
    fi
  done
  [ -z "$leaked" ] || fail "appeared on the host (removed again):$leaked"
}

case_host_files_invisible() {
  local name=hermetic-test-visible-$$-$RANDOM d dirs="/tmp /var/tmp /dev/shm" out created=""
  if [ -n "${HM_RUN_DIR:-}" ]; then dirs="$dirs $HM_RUN_DIR"; elif [ -w /run ]; then dirs="$dirs /run"; fi
  for d in $dirs; do
    if echo host >"$d/$name" 2>/dev/null; then
      chmod 644 "$d/$name"
      created="$created $d/$name"
    fi
  done
  on_exit "rm -f $created"
  echo "placed on the host:$created"
  # shellcheck disable=SC2086
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c 'for f; do [ -e "$f" ] && echo "visible: $f"; done; exit 0' sh $created 2>&1)
  expect_eq "" "$out" "host files in private directories"
}

case_dev() {
  local out rc extra
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c 'for d in /dev/vda /dev/sda /dev/nvme0n1 /dev/mem /dev/kmsg /dev/port /dev/vsock /dev/kvm /dev/fuse /dev/net/tun; do
      [ -e "$d" ] && echo "present: $d"; done
    find /dev -xdev \( -type b -o -type c \) 2>/dev/null | while read -r f; do
      [ -b "$f" ] && echo "block device: $f"; done; exit 0' 2>&1)
  expect_eq "" "$out" "host devices inside"
  out=$(run_ws -- ls -A /dev 2>&1)
  rc=$?
  expect_rc 0 "$rc" "ls /dev" "$out"
  echo "/dev: ${out//$'\n'/ }"
  extra=$(printf '%s\n' "$out" | grep -Evx 'null|zero|full|random|urandom|tty|pts|shm|fd|stdin|stdout|stderr|ptmx')
  expect_eq "" "${extra//$'\n'/ }" "entries in /dev beyond the contract's list"
}

case_dev_works() {
  local out
  out=$(run_ws -- sh -c 'echo x > /dev/null && head -c 8 /dev/urandom | wc -c && head -c 4 /dev/zero | wc -c && echo hi > /dev/stdout' 2>&1)
  expect_eq "$(printf '8\n4\nhi')" "$out" "/dev/null, urandom, zero, stdout"
}

case_dev_stdio_reopen() {
  local out err
  # Builds reopen their stdio by name (tee /dev/stderr, cat /dev/stdin, logs to
  # /dev/stdout). The caller's stdio are its own pipes and files (a CI log is a pipe,
  # a redirect a 0644 file), which the build must be able to reopen.
  out=$(echo from-stdin | run_ws -- sh -c 'cat /dev/stdin; echo to-stdout > /dev/stdout' 2>"$CASE_DIR/err")
  err=$(cat "$CASE_DIR/err")
  expect_eq "$(printf 'from-stdin\nto-stdout')" "$out" "cat /dev/stdin (a pipe) and echo > /dev/stdout (a pipe); stderr: $err"
  run_ws -- sh -c 'echo to-stderr > /dev/stderr' 2>"$CASE_DIR/err2" >"$CASE_DIR/out2"
  expect_eq to-stderr "$(cat "$CASE_DIR/err2")" "echo > /dev/stderr (a 0644 file of the caller); stdout: $(cat "$CASE_DIR/out2")"
}

# The private directories and /dev are directories of one tmpfs of the sandbox's own,
# each bound in place (sandbox/mounts.c): that must look like separate file systems to
# the build, with nothing of the tmpfs beyond them reachable.
case_private_dirs_apart() {
  local out rc
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c '
    echo x > /tmp/a || echo "cannot write /tmp/a"
    ln /tmp/a /var/tmp/a 2>/dev/null && echo "hard link /tmp -> /var/tmp worked"
    ln /tmp/a /dev/shm/a 2>/dev/null && echo "hard link /tmp -> /dev/shm worked"
    mv /tmp/a "$HOME/a" 2>/dev/null && [ ! -e /tmp/a ] && [ -e "$HOME/a" ] || echo "mv /tmp -> HOME did not move"
    for d in /tmp /var/tmp /run /dev/shm /root /mnt /media; do
      for n in newroot oldroot scratch; do [ -e "$d/../$n" ] && [ "$d" != / ] && echo "$d/../$n exists"; done
    done
    touch /dev/x 2>/dev/null && echo "/dev writable"
    touch /proc/acpi/x 2>/dev/null && echo "/proc/acpi writable"
    grep -E " /(tmp|var/tmp|run|home|root|mnt|media|dev/shm) " /proc/self/mountinfo | grep -v -- " - tmpfs " | grep -q . && echo "a private dir is not tmpfs"
    exit 0' 2>&1)
  rc=$?
  expect_rc 0 "$rc" "the checks" "$out"
  expect_eq "" "$out" "private directories apart, /dev and /proc/acpi read-only"
}

case_proc_masked() {
  local out
  out=$(run_ws -- sh -c '
    head -c 1 /proc/kcore >/dev/null 2>&1 && echo "readable: /proc/kcore"
    [ -s /proc/keys ] && echo "non-empty: /proc/keys"
    grep -q . /proc/timer_list 2>/dev/null && echo "readable: /proc/timer_list"
    [ -w /proc/sysrq-trigger ] && echo "writable: /proc/sysrq-trigger"
    [ -w /proc/sys/kernel/domainname ] && echo "writable: /proc/sys"
    exit 0' 2>&1)
  expect_eq "" "$out" "masked or read-only /proc entries"
}

# Every /proc file hermetic masks (sandbox/mounts.c) that this kernel has is /dev/null
# inside (character device 1:3), whatever the build's permissions would allow; every
# masked directory is an empty tmpfs. The host's copies are shown for contrast.
case_proc_masked_all() {
  local f files="kcore keys timer_list sched_debug latency_stats kallsyms kpagecount kpageflags kpagecgroup config.gz"
  local out present=""
  for f in $files; do
    [ -e "/proc/$f" ] || continue
    present="$present $f"
    echo "host: /proc/$f: $(head -c 4096 "/proc/$f" 2>/dev/null | wc -c) bytes readable"
  done
  [ -n "$present" ] || skip "this kernel has none of the masked /proc files"
  # shellcheck disable=SC2016,SC2086 # $present is a list of names on purpose
  out=$(run_ws -- sh -c '
    for f; do
      [ -e "/proc/$f" ] || { echo "missing: /proc/$f"; continue; }
      t=$(stat -c "%F %t:%T" "/proc/$f")
      [ "$t" = "character special file 1:3" ] || echo "not masked: /proc/$f ($t)"
      n=$(head -c 4096 "/proc/$f" 2>/dev/null | wc -c)
      [ "$n" -eq 0 ] || echo "readable: /proc/$f ($n bytes)"
    done
    for d in acpi scsi driver; do
      [ -d "/proc/$d" ] || continue
      [ "$(stat -f -c %T "/proc/$d")" = tmpfs ] || echo "not masked: /proc/$d"
      [ -z "$(ls -A "/proc/$d")" ] || echo "not empty: /proc/$d"
    done; exit 0' sh $present 2>&1)
  expect_eq "" "$out" "masked /proc entries inside"
}

# /proc/sys and the kernel's triggers are read-only mounts inside: the check is on the
# mount table, since the build's uid alone would already fail most writes there.
case_proc_ro_mounts() {
  local out opts p bad=0
  out=$(run_ws -- cat /proc/self/mountinfo 2>&1)
  for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
    [ -e "$p" ] || continue
    opts=$(printf '%s\n' "$out" | awk -v t="$p" '$5 == t { o = $6 } END { print o }')
    echo "$p: ${opts:-not a mount point}"
    printf '%s' "$opts" | grep -Eq '(^|,)ro(,|$)' || bad=1
  done
  [ "$bad" -eq 0 ] || fail "a /proc entry that must be read-only is not a read-only mount"
  if out=$(run_ws -- sh -c 'echo 0 > /proc/sys/kernel/domainname' 2>&1); then
    fail "writing /proc/sys/kernel/domainname succeeded inside"
  fi
}

case_hide() {
  local dir=$CASE_DIR/hidden out rc
  mkdir -p "$dir"
  echo hm-hidden-secret >"$dir/secret"
  chmod 755 "$dir"
  chmod 644 "$dir/secret"
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws --hide "$dir" -- sh -c 'cat "$1/secret" 2>&1; ls -A "$1" 2>&1; exit 0' sh "$dir" 2>&1)
  rc=$?
  echo "status $rc: $out"
  expect_rc 0 "$rc" "hermetic run --hide $dir" "$out"
  expect_nomatch hm-hidden-secret "$out" "the hidden file's content"
  expect_nomatch '^secret$' "$out" "the hidden file's name"
  out=$(run_ws -- cat "$dir/secret" 2>&1)
  expect_eq hm-hidden-secret "$out" "control: without --hide the file is readable"
}

case_ro() {
  local out rc
  mkdir -p "$WS/ro"
  echo keep >"$WS/ro/f"
  out=$(run_ws --ro "$WS/ro" -- sh -c 'cat ro/f; (echo new > ro/f) 2>/dev/null && echo "wrote ro/f"; touch ro/g 2>/dev/null && echo "made ro/g"; echo y > rw-ok && echo ok' 2>&1)
  rc=$?
  echo "$out"
  expect_eq "$(printf 'keep\nok')" "$out" "--ro: readable, not writable; the rest of the workspace writable"
  expect_eq keep "$(cat "$WS/ro/f")" "host content under --ro"
}

case_rw() {
  local dir=$CASE_DIR/rwdir out rc
  mkdir -p "$dir"
  chmod 755 "$dir"
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws --rw "$dir" -- sh -c 'echo from-inside > "$1/made" && echo ok' sh "$dir" 2>&1)
  rc=$?
  expect_rc 0 "$rc" "--rw $dir" "$out"
  expect_eq ok "$out" "writing an --rw directory"
  expect_eq from-inside "$(cat "$dir/made" 2>&1)" "the file on the host"
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws -- sh -c '(echo x > "$1/made2") 2>/dev/null && echo wrote; exit 0' sh "$dir" 2>&1)
  expect_eq "" "$out" "control: without --rw the directory is read-only"
}

# Regression: started as root, the mount point of a --tmpfs on a missing path inside the
# (idmapped) workspace could not be created (EOVERFLOW).
case_tmpfs_new_in_workspace() {
  local out rc
  out=$(run_ws --tmpfs "$WS/scratch/deep" -- sh -c 'echo x > scratch/deep/f && cat scratch/deep/f' 2>&1)
  rc=$?
  expect_rc 0 "$rc" "--tmpfs on a missing path in the workspace" "$out"
  expect_eq x "$out" "the new tmpfs is writable"
  [ -d "$WS/scratch/deep" ] || fail "the mount point was not left in the workspace"
  [ ! -e "$WS/scratch/deep/f" ] || fail "a file written on the --tmpfs reached the host"
  expect_eq "$(stat -c %u "$WS")" "$(stat -c %u "$WS/scratch")" "the created directory's owner on the host"
}

case_tmpfs() {
  local dir=$CASE_DIR/tdir out rc
  mkdir -p "$dir"
  echo host >"$dir/hostfile"
  chmod 755 "$dir"
  # shellcheck disable=SC2016 # expanded by the shell inside the sandbox
  out=$(run_ws --tmpfs "$dir" -- sh -c 'ls -A "$1"; echo x > "$1/inside" && echo wrote' sh "$dir" 2>&1)
  rc=$?
  expect_rc 0 "$rc" "--tmpfs $dir" "$out"
  expect_eq wrote "$out" "--tmpfs: empty and writable"
  [ -e "$dir/inside" ] && fail "a file written on the --tmpfs reached the host"
  expect_eq host "$(cat "$dir/hostfile")" "the host directory is untouched"
}

case_binds_in_order() {
  local out
  mkdir -p "$WS/a/b"
  echo x >"$WS/a/b/f"
  # --tmpfs a then --rw a/b: later entries apply on top of earlier ones.
  out=$(run_ws --ro "$WS/a" --tmpfs "$WS/a/b" -- sh -c 'ls -A a/b; touch a/b/new && echo ok-b; touch a/new 2>/dev/null && echo a-writable; exit 0' 2>&1)
  expect_eq ok-b "$out" "--ro a then --tmpfs a/b (applied in order)"
}

case_bind_missing() {
  local out rc
  out=$(run_ws --ro "$CASE_DIR/does-not-exist" -- true 2>&1)
  rc=$?
  expect_rc 125 "$rc" "--ro on a missing path" "$out"
  expect_match 'does-not-exist' "$out" "the message names the path"
}

case_rootfs() {
  local root=$CASE_DIR/rootfs out rc d
  for d in bin proc dev sys tmp home root run var/tmp mnt media etc; do mkdir -p "$root/$d"; done
  cp "$H/static_probe" "$root/bin/static-probe" || fail "copy static_probe"
  mkdir -p "$root$WS"
  echo rootfs-marker >"$root/etc/hm-rootfs"
  chmod -R a+rX "$root"
  out=$(run_ws --rootfs "$root" -- /bin/static-probe /etc/hm-rootfs /etc/passwd /usr/bin 2>&1)
  rc=$?
  echo "status $rc: $out"
  expect_rc 0 "$rc" "--rootfs $root -- /bin/static-probe" "$out"
  expect_eq "$(printf 'static-probe\n/etc/hm-rootfs: yes\n/etc/passwd: no\n/usr/bin: no')" "$out" \
    "the sandbox's / is the rootfs, not the host's"
}

HERMETIC_DIR_FOR_TEST=$(dirname "$HERMETIC")

run_case "/etc/shadow is unreadable" case_shadow
run_case "a 0600 file in the invoking user's home is unreadable" case_home_secret
run_case "writing /, /etc, /usr, /var, /opt and host paths next to the workspace fails" case_write_outside
run_case "host mounts below / and below a --ro bind are read-only too" case_write_host_submounts
run_case "the workspace is writable, is the cwd, and writes land on the host" case_write_ws
run_case "files the build makes belong on the host to the workspace's owner (self)" case_ws_owner_self
run_case "as root, a workspace owned by uid 4242: the build's files belong to 4242" case_ws_owner_other
run_case "a workspace under a 0700 directory works" case_ws_private_parent
run_case "a workspace under the host's /tmp works and keeps its writes" case_ws_under_tmp
run_case "/root /run /tmp /var/tmp /dev/shm /mnt /media (and /home, HOME) are empty" case_private_dirs_empty
run_case "/tmp /var/tmp /dev/shm HOME are writable and private" case_private_dirs_writable
run_case "files placed on the host in /tmp /var/tmp /dev/shm /run are invisible" case_host_files_invisible
run_case "private dirs are apart: no hard link between them, nothing of their tmpfs beyond them" case_private_dirs_apart
run_case "/dev has no host disks and only the contract's entries" case_dev
run_case "/dev/null, /dev/zero, /dev/urandom, /dev/stdout work" case_dev_works
run_case "/dev/stdin, /dev/stdout, /dev/stderr reopen the caller's pipes and files" case_dev_stdio_reopen
run_case "/proc/kcore, keys, timer_list masked; sysrq-trigger and /proc/sys read-only" case_proc_masked
run_case "masked /proc files (kcore kallsyms timer_list sched_debug kpage*...) are /dev/null, masked dirs empty" case_proc_masked_all
run_case "/proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs are read-only mounts" case_proc_ro_mounts
run_case "--hide PATH hides a host directory" case_hide
run_case "--ro PATH makes part of the workspace read-only" case_ro
run_case "--rw PATH makes a host directory writable" case_rw
run_case "--tmpfs PATH mounts an empty private tmpfs" case_tmpfs
run_case "--tmpfs on a missing path inside the workspace creates it (owned by the workspace owner)" case_tmpfs_new_in_workspace
run_case "--ro and --tmpfs apply in order" case_binds_in_order
run_case "--ro of a missing path exits 125 naming it" case_bind_missing
run_case "--rootfs DIR runs the rootfs's own binary" case_rootfs
hm_finish
