#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# The command line: exit statuses (the command's own, 128+N, 124, 125, 126, 127),
# option errors naming the option, --help/--version, the man page covering every
# option, and the machine-readable outputs (--report JSON, --status-fd JSON lines).
. "$(dirname "$0")/lib.sh"
hm_init
plan

status_of() {
  run_ws "$@" >"$CASE_DIR/out" 2>&1
  echo $?
}

case_exit_0() { expect_rc 0 "$(status_of -- true)" "true" "$(cat "$CASE_DIR/out")"; }
case_exit_n() {
  expect_rc 42 "$(status_of -- sh -c 'exit 42')" "exit 42" "$(cat "$CASE_DIR/out")"
  expect_rc 1 "$(status_of -- false)" "false" "$(cat "$CASE_DIR/out")"
  expect_rc 200 "$(status_of -- sh -c 'exit 200')" "exit 200" "$(cat "$CASE_DIR/out")"
}

case_timeout() {
  local start rc elapsed
  start=$(date +%s%N)
  rc=$(status_of --timeout 1 -- sleep 30)
  elapsed=$((($(date +%s%N) - start) / 1000000))
  echo "--timeout 1 -- sleep 30: status $rc after ${elapsed} ms"
  expect_rc 124 "$rc" "--timeout 1" "$(cat "$CASE_DIR/out")"
  [ "$elapsed" -lt $((4000 * HM_SCALE)) ] || fail "took ${elapsed} ms (want < 4 s)"
}

case_timeout_term_ignored() {
  local start rc elapsed
  start=$(date +%s%N)
  # SIGTERM ignored (and inherited by sleep): hermetic must SIGKILL after its 2 s grace.
  rc=$(status_of --timeout 1 -- sh -c 'trap "" TERM; sleep 30; exit 0')
  elapsed=$((($(date +%s%N) - start) / 1000000))
  echo "status $rc after ${elapsed} ms"
  expect_rc 124 "$rc" "--timeout 1 with SIGTERM ignored" "$(cat "$CASE_DIR/out")"
  [ "$elapsed" -lt $((6000 * HM_SCALE)) ] || fail "took ${elapsed} ms (want < 6 s: 1 s + 2 s grace)"
}

case_bad_option() {
  local rc out
  rc=$(status_of --bogus -- true)
  out=$(cat "$CASE_DIR/out")
  echo "status $rc: $out"
  expect_rc 125 "$rc" "run --bogus"
  expect_match -- '--bogus' "$out" "the message names --bogus"
}

case_bad_values() {
  local rc args
  for args in "--timeout abc" "--timeout -1" "--pids x" "--memory 12Q" "--seccomp" "--status-fd notanfd" "--workspace $CASE_DIR/missing"; do
    # shellcheck disable=SC2086
    rc=$(status_of $args -- true)
    echo "$args: status $rc: $(cat "$CASE_DIR/out")"
    expect_rc 125 "$rc" "run $args"
    expect_match -- "${args%% *}|${args#* }" "$(cat "$CASE_DIR/out")" "the message names ${args%% *} or its value"
  done
}

case_no_command() {
  local rc
  rc=$(status_of)
  echo "run with no command: status $rc: $(cat "$CASE_DIR/out")"
  expect_rc 125 "$rc" "run with no command"
  rc=$(status_of --)
  echo "run --: status $rc: $(cat "$CASE_DIR/out")"
  expect_rc 125 "$rc" "run -- (empty command)"
}

case_126() {
  printf '#!/bin/sh\necho ran\n' >"$WS/not-exec"
  chmod 644 "$WS/not-exec"
  mkdir -p "$WS/a-dir"
  expect_rc 126 "$(status_of -- "$WS/not-exec")" "a non-executable file" "$(cat "$CASE_DIR/out")"
  expect_rc 126 "$(status_of -- ./not-exec)" "a non-executable file (relative)" "$(cat "$CASE_DIR/out")"
  expect_rc 126 "$(status_of -- "$WS/a-dir")" "a directory" "$(cat "$CASE_DIR/out")"
}

case_127() {
  expect_rc 127 "$(status_of -- hermetic-test-no-such-command)" "a command not in PATH" "$(cat "$CASE_DIR/out")"
  expect_match 'hermetic-test-no-such-command' "$(cat "$CASE_DIR/out")" "the message names the command"
  expect_rc 127 "$(status_of -- "$WS/nope")" "a missing absolute path" "$(cat "$CASE_DIR/out")"
}

case_137() { expect_rc 137 "$(status_of -- sh -c 'kill -9 $$')" "kill -9 \$\$" "$(cat "$CASE_DIR/out")"; }
case_143() { expect_rc 143 "$(status_of -- sh -c 'kill -TERM $$')" "kill -TERM \$\$" "$(cat "$CASE_DIR/out")"; }

# libcrypto is loaded by the commands that hash or sign, never by run (common/hm-crypto.h):
# linked, its relocations cost every sandbox's start-up 1.8 ms here. The dynamic loader
# says what it loads (LD_DEBUG=files; the sandbox's scrubbed environment keeps it from the
# command), and digest shows the check sees a load when there is one.
case_run_without_libcrypto() {
  local out
  out=$(LD_DEBUG=files "$HERMETIC" run --workspace "$WS" -- true 2>&1)
  expect_match 'file=libc\.so' "$out" "control: the loader reports what it loads"
  expect_nomatch 'libcrypto|libcurl|libssl' "$out" "libraries loaded by run"
  echo hello >"$CASE_DIR/f"
  out=$(LD_DEBUG=files "$HERMETIC" digest "$CASE_DIR/f" 2>&1)
  expect_match 'file=libcrypto\.so' "$out" "digest loads libcrypto"
  # Without a loadable libcrypto (an empty file bound over it, in a mount namespace of
  # the test's own), run still works and digest names the package to install. As a user
  # that namespace would need a user namespace, in which hermetic runs as root, in the
  # other mode: the root variant checks it.
  is_root || { echo "not root: no mount namespace to hide libcrypto in"; return 0; }
  local lib rc
  lib=$(printf '%s\n' "$out" | sed -n 's/.*calling init: \(\/[^ ]*libcrypto\.so[^ ]*\).*/\1/p' | head -1)
  [ -e "$lib" ] || { echo "libcrypto's path not in the loader's output; not checking its absence"; return 0; }
  # shellcheck disable=SC2016 # expanded by the inner shell, from its arguments
  out=$(unshare -m sh -c 'mount --bind /dev/null "$1" || exit 99
    "$2" run --workspace "$3" -- true; echo "run:$?"
    "$2" digest "$4"; echo "digest:$?"' sh "$lib" "$HERMETIC" "$WS" "$CASE_DIR/f" 2>&1)
  rc=$?
  [ "$rc" -ne 99 ] || { echo "cannot bind over $lib here: $out"; return 0; }
  expect_match 'run:0' "$out" "run without libcrypto"
  expect_match 'digest:2' "$out" "digest without libcrypto exits 2"
  expect_match 'libcrypto could not be loaded.*apt-get install libssl3' "$out" "digest names the fix"
}

case_help_version() {
  local out rc
  out=$(hm --help 2>&1)
  expect_rc 0 $? "hermetic --help" "$out"
  expect_match 'run' "$out" "--help mentions run"
  out=$(hm --version 2>&1)
  rc=$?
  expect_rc 0 "$rc" "hermetic --version" "$out"
  expect_match "${HM_VERSION:-[0-9]+\.[0-9]+}" "$out" "--version prints the version"
  out=$(hm run --help 2>&1)
  expect_rc 0 $? "hermetic run --help" "$out"
  expect_match -- '--workspace' "$out" "run --help lists --workspace"
}

case_man_page() {
  local man=${HM_SOURCE_ROOT:-}/docs/hermetic.1 opts="" o text missing=""
  [ -f "$man" ] || skip "docs/hermetic.1 is absent"
  local cmd
  for cmd in run build digest sign verify doctor "snapshot fetch"; do
    # shellcheck disable=SC2086 # "snapshot fetch" is two words on purpose
    o=$(hm $cmd --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*')
    [ -n "$o" ] || fail "no long options in 'hermetic $cmd --help'"
    opts="$opts $o"
  done
  # shellcheck disable=SC2086 # split into one option a line on purpose
  opts=$(printf '%s\n' $opts | sort -u)
  # roff writes a literal minus as \- (and sometimes \(hy or \-\-).
  text=$(sed -e 's/\\-/-/g' -e 's/\\(hy/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$man")
  for o in $opts; do
    printf '%s\n' "$text" | grep -q -- "$o\\b" || missing="$missing $o"
  done
  echo "options in the commands' --help: ${opts//$'\n'/ }"
  expect_eq "" "$missing" "options missing from docs/hermetic.1"
}

# check_report FILE EXPECT_JSON: assertions in python; prints every problem.
check_report() {
  "$HM_PY" - "$@" <<'EOF'
import json, os, re, sys
path, want = sys.argv[1], json.loads(sys.argv[2])
errs = []
try:
    r = json.load(open(path))
except Exception as e:
    print("invalid JSON:", e); print(open(path).read()[:2000]); sys.exit(1)
def need(cond, msg):
    if not cond: errs.append(msg)
for k in ["version", "namespaces", "identity", "network", "seccomp", "capabilities",
          "no_new_privs", "new_session", "mounts", "environment", "limits", "timings_ms"]:
    need(k in r, "missing key %s" % k)
ns = r.get("namespaces", {})
for n in ["user", "mount", "pid", "net", "uts", "ipc"]:
    need(ns.get(n) is True, "namespaces.%s = %r" % (n, ns.get(n)))
need(isinstance(ns.get("cgroup"), bool), "namespaces.cgroup not a bool")
if os.path.exists("/proc/self/ns/cgroup"):
    need(ns.get("cgroup") is True, "namespaces.cgroup false on a host that has cgroup namespaces")
idn = r.get("identity", {})
need(idn.get("uid") == 1000 and idn.get("gid") == 1000, "identity uid/gid %r/%r" % (idn.get("uid"), idn.get("gid")))
need(idn.get("host_uid") == want["host_uid"], "identity.host_uid %r, want %r" % (idn.get("host_uid"), want["host_uid"]))
need(idn.get("mode") == want["mode"], "identity.mode %r, want %r" % (idn.get("mode"), want["mode"]))
need(isinstance(idn.get("workspace_idmapped"), bool), "identity.workspace_idmapped not a bool")
for k in ["uid_map", "gid_map", "host_gid"]:
    need(k in idn, "identity.%s missing" % k)
net = r.get("network", {})
need(net.get("policy") == "none", "network.policy %r" % net.get("policy"))
ifs = net.get("interfaces", [])
need([i.get("name") for i in ifs] == ["lo"], "network.interfaces %r" % [i.get("name") for i in ifs])
for i in ifs:
    need(i.get("up") is True, "lo not up")
    addrs = " ".join(map(str, i.get("addresses", [])))
    need("127.0.0.1" in addrs and "::1" in addrs, "lo addresses %r" % i.get("addresses"))
    for k in ["index", "flags"]:
        need(k in i, "interface key %s missing" % k)
need(isinstance(net.get("routes"), list), "network.routes not a list")
sc = r.get("seccomp", {})
need(sc.get("profile") == want["profile"], "seccomp.profile %r" % sc.get("profile"))
need(isinstance(sc.get("bpf_sha256"), str) and re.fullmatch("[0-9a-f]{64}", sc["bpf_sha256"]) is not None,
     "seccomp.bpf_sha256 %r" % sc.get("bpf_sha256"))
need(isinstance(sc.get("instructions"), int) and sc["instructions"] > 0, "seccomp.instructions %r" % sc.get("instructions"))
caps = r.get("capabilities", {})
for k in ["effective", "permitted", "inheritable", "bounding", "ambient"]:
    need(caps.get(k) == [], "capabilities.%s = %r" % (k, caps.get(k)))
need(r.get("no_new_privs") is True, "no_new_privs %r" % r.get("no_new_privs"))
need(r.get("new_session") is True, "new_session %r" % r.get("new_session"))
m = r.get("mounts", [])
need(isinstance(m, list) and len(m) > 0, "mounts empty")
for e in m if isinstance(m, list) else []:
    if not all(k in e for k in ["target", "fstype", "options"]):
        need(False, "mount entry %r lacks target/fstype/options" % e); break
need(any(e.get("target") == want["workspace"] for e in m if isinstance(e, dict)), "workspace %s not among mounts" % want["workspace"])
env = r.get("environment", [])
need(sorted(env) == sorted(want["environment"]), "environment %r, want %r" % (env, want["environment"]))
need(all("=" not in e for e in env), "environment lists values, not only names")
lim = r.get("limits", {})
need(lim.get("timeout_sec") == want["timeout_sec"], "limits.timeout_sec %r" % lim.get("timeout_sec"))
if want["pids"] is None:
    need(lim.get("pids", "absent") is None, "limits.pids %r, want null" % lim.get("pids"))
else:
    p = lim.get("pids") or {}
    need(p.get("limit") == want["pids"] and p.get("mechanism") in ("rlimit", "cgroup2"), "limits.pids %r" % p)
if want["memory"] is None:
    need(lim.get("memory", "absent") is None, "limits.memory %r, want null" % lim.get("memory"))
else:
    p = lim.get("memory") or {}
    need(p.get("limit") == want["memory"] and p.get("mechanism") in ("rlimit-as", "cgroup2"), "limits.memory %r" % p)
need(isinstance(r.get("timings_ms"), dict), "timings_ms not an object")
for e in errs:
    print("report:", e)
sys.exit(1 if errs else 0)
EOF
}

report_want() {
  local host_uid mode
  if is_root; then host_uid=1999999999 mode=root; else host_uid=$(id -u) mode=unprivileged; fi
  printf '{"host_uid":%s,"mode":"%s","profile":"%s","workspace":"%s","environment":%s,"timeout_sec":%s,"pids":%s,"memory":%s}' \
    "$host_uid" "$mode" "$1" "$WS" "$2" "$3" "$4" "$5"
}

case_report() {
  local out rc
  need_python
  out=$(run_ws --report "$CASE_DIR/report.json" -- true 2>&1)
  rc=$?
  expect_rc 0 "$rc" "run --report" "$out"
  [ -s "$CASE_DIR/report.json" ] || fail "no report written"
  check_report "$CASE_DIR/report.json" \
    "$(report_want default '["HOME","LANG","PATH","SOURCE_DATE_EPOCH","TZ"]' null null null)" ||
    fail "report does not meet the contract"
}

case_report_limits() {
  local out rc
  need_python
  out=$(run_ws --report "$CASE_DIR/report.json" --timeout 30 --pids 100 --memory 512M --env FOO=1 -- true 2>&1)
  rc=$?
  expect_rc 0 "$rc" "run --report with limits" "$out"
  check_report "$CASE_DIR/report.json" \
    "$(report_want default '["FOO","HOME","LANG","PATH","SOURCE_DATE_EPOCH","TZ"]' 30 100 536870912)" ||
    fail "report does not meet the contract"
}

case_report_bpf_hash() {
  local a b c
  need_python
  run_ws --report "$CASE_DIR/a.json" -- true >/dev/null 2>&1
  run_ws --report "$CASE_DIR/b.json" -- true >/dev/null 2>&1
  run_ws --seccomp strict --report "$CASE_DIR/c.json" -- true >/dev/null 2>&1
  a=$("$HM_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seccomp"]["bpf_sha256"])' "$CASE_DIR/a.json" 2>&1)
  b=$("$HM_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seccomp"]["bpf_sha256"])' "$CASE_DIR/b.json" 2>&1)
  c=$("$HM_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seccomp"]["bpf_sha256"])' "$CASE_DIR/c.json" 2>&1)
  echo "default: $a / $b; strict: $c"
  expect_eq "$a" "$b" "the default filter's hash is the same on every run"
  [ "$a" != "$c" ] || fail "default and strict filters hash the same"
}

# The report is written by hermetic (with the invoker's rights) into a directory the build
# can change. A build that plants a symlink at the report's path, or turns the report's
# directory into one, must not make hermetic write through it to a file or directory
# outside; nor may a process left behind replant it after the rename.
case_report_symlink() {
  local out rc outside=$CASE_DIR/outside outdir=$CASE_DIR/outside-dir
  need_python
  echo original >"$outside"
  mkdir -p "$outdir" "$WS/out"
  chmod 755 "$outdir" "$WS/out"
  chmod 644 "$outside"
  # Control: a writer that follows symlinks changes the file outside.
  ln -s "$outside" "$WS/control"
  echo followed >"$WS/control"
  expect_eq followed "$(cat "$outside")" "control: writing through the symlink on the host"
  echo original >"$outside"
  rm -f "$WS/control"
  # shellcheck disable=SC2016
  out=$(run_ws --report "$WS/report.json" -- sh -c '
    ln -s "$1" report.json
    (while :; do ln -sfn "$1" report.json 2>/dev/null; sleep 0.01; done) &
    exit 0' sh "$outside" 2>&1)
  rc=$?
  expect_rc 0 "$rc" "run --report onto a planted symlink" "$out"
  expect_eq original "$(cat "$outside")" "the file the planted symlink pointed to"
  if [ -L "$WS/report.json" ] || [ ! -f "$WS/report.json" ]; then
    fail "the report is not a regular file: $(ls -l "$WS/report.json" 2>&1)"
  fi
  "$HM_PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$WS/report.json" || fail "the report is not JSON"
  sleep 0.2
  [ ! -L "$WS/report.json" ] || fail "a process of the build replanted the symlink after hermetic returned"
  # The report's directory swapped for a symlink to a directory outside.
  # shellcheck disable=SC2016
  out=$(run_ws --report "$WS/out/report.json" -- sh -c 'rm -rf out && ln -s "$1" out' sh "$outdir" 2>&1)
  rc=$?
  echo "report into a directory swapped for a symlink: status $rc: $out"
  expect_eq "" "$(ls -A "$outdir")" "files hermetic wrote into the directory outside"
  expect_rc 125 "$rc" "the report could not be written where it was asked for"
  expect_match -- '--report' "$out" "the message names --report"
}

# Fail closed: a sandbox that cannot be set up (here a --rootfs without /proc, so the
# fresh /proc has nowhere to go) exits 125 and never runs the command. Control: the same
# root with /proc runs it.
# A previous build left symlinks in its workspace. Options naming paths through them
# must not bind or write what they point to (as root, that is anywhere on the host).
case_planted_option_paths() {
  local out rc outside=$CASE_DIR/outside
  mkdir -p "$outside"
  chmod 755 "$outside"
  echo original >"$outside/keep"
  ln -s "$outside" "$WS/cache"
  ln -s "$outside" "$WS/out"
  # Control: on the host the planted links do lead outside.
  expect_eq original "$(cat "$WS/cache/keep")" "control: the planted link leads outside"
  for opt in --rw --ro --hide; do
    # shellcheck disable=SC2016 # $1 is for the sandboxed shell
    out=$(run_ws "$opt" "$WS/cache" -- sh -c 'echo written > "$1/keep"' sh "$WS/cache" 2>&1)
    rc=$?
    expect_rc 125 "$rc" "$opt through a planted symlink" "$out"
    expect_match "symlink inside the workspace" "$out" "$opt: the message says why"
  done
  out=$(run_ws --report "$WS/out/report.json" -- true 2>&1)
  rc=$?
  expect_rc 125 "$rc" "--report through a planted directory symlink" "$out"
  expect_match "symlink inside the workspace" "$out" "--report: the message says why"
  [ ! -e "$outside/report.json" ] || fail "a report was written outside the workspace"
  expect_eq original "$(cat "$outside/keep")" "the file outside the workspace"
}

case_setup_failure() {
  local root=$CASE_DIR/rootfs out rc d
  for d in bin dev sys tmp home root run var/tmp mnt media etc; do mkdir -p "$root/$d"; done
  cp "$H/static_probe" "$root/bin/static-probe" || fail "copy static_probe"
  mkdir -p "$root$WS"
  chmod -R a+rX "$root"
  out=$(run_ws --rootfs "$root" -- /bin/static-probe 2>&1)
  rc=$?
  echo "without /proc: status $rc: $out"
  expect_rc 125 "$rc" "--rootfs without /proc"
  expect_nomatch '^static-probe$' "$out" "the command ran"
  expect_match 'setting up the sandbox failed: .*proc' "$out" "the message names the failed step"
  mkdir -p "$root/proc"
  chmod 755 "$root/proc"
  out=$(run_ws --rootfs "$root" -- /bin/static-probe 2>&1)
  expect_rc 0 $? "control: the same root with /proc" "$out"
  expect_eq static-probe "$out" "control: the command runs"
}

# check_status FILE EXIT TIMED_OUT
check_status() {
  "$HM_PY" - "$@" <<'EOF'
import json, sys
path, code, timed = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "true"
lines = [l for l in open(path).read().split("\n") if l.strip()]
errs = []
ev = []
for l in lines:
    try:
        ev.append(json.loads(l))
    except Exception as e:
        errs.append("not a JSON line: %r (%s)" % (l, e))
names = [e.get("event") for e in ev]
if names != ["started", "ready", "exited"]:
    errs.append("events %r, want started, ready, exited" % names)
for e in ev:
    if e.get("event") == "started" and not (isinstance(e.get("pid"), int) and e["pid"] > 0):
        errs.append("started.pid %r" % e.get("pid"))
    if e.get("event") == "ready" and not isinstance(e.get("report"), dict):
        errs.append("ready.report is not an object")
    if e.get("event") == "exited":
        if e.get("exit_code") != code: errs.append("exited.exit_code %r, want %d" % (e.get("exit_code"), code))
        if e.get("timed_out") is not timed: errs.append("exited.timed_out %r, want %r" % (e.get("timed_out"), timed))
for x in errs: print("status:", x)
if errs: print("stream was:"); print("\n".join(lines))
sys.exit(1 if errs else 0)
EOF
}

case_status_fd() {
  local out rc
  need_python
  out=$(run_ws --status-fd 3 -- sh -c 'exit 7' 2>&1 3>"$CASE_DIR/status.jsonl")
  rc=$?
  expect_rc 7 "$rc" "run --status-fd 3 -- exit 7" "$out"
  check_status "$CASE_DIR/status.jsonl" 7 false || fail "status stream does not meet the contract"
}

case_status_fd_timeout() {
  local out rc
  need_python
  out=$(run_ws --status-fd 3 --timeout 1 -- sleep 30 2>&1 3>"$CASE_DIR/status.jsonl")
  rc=$?
  expect_rc 124 "$rc" "run --status-fd 3 --timeout 1" "$out"
  check_status "$CASE_DIR/status.jsonl" 124 true || fail "status stream does not meet the contract"
}

case_doctor() {
  local out rc
  need_python
  out=$(hm doctor --json 2>&1)
  rc=$?
  echo "doctor --json: status $rc"
  printf '%s\n' "$out" | "$HM_PY" -c 'import json,sys; json.load(sys.stdin)' || {
    printf '%s\n' "$out" | head -c 2000
    fail "doctor --json is not JSON"
  }
  expect_rc 0 "$rc" "hermetic doctor --json on a host that can sandbox (the other cases ran)"
}

run_case "exit status 0 of true" case_exit_0
run_case "the command's own status (42, 1, 200)" case_exit_n
run_case "--timeout 1 on sleep 30 exits 124 within 4 s" case_timeout
run_case "--timeout kills a command that ignores SIGTERM (124 within 6 s)" case_timeout_term_ignored
run_case "an unknown option exits 125 naming it" case_bad_option
run_case "bad option values exit 125 naming the option" case_bad_values
run_case "run without a command exits 125" case_no_command
run_case "a non-executable file or a directory exits 126" case_126
run_case "a missing command exits 127" case_127
run_case "a command killed by SIGKILL gives 137" case_137
run_case "a command killed by SIGTERM gives 143" case_143
run_case "--help, --version and run --help exit 0" case_help_version
run_case "run does not load libcrypto (and works without it); digest does, or names the fix" case_run_without_libcrypto
run_case "every long option of every command's --help is in docs/hermetic.1" case_man_page
run_case "--report writes the contract's JSON" case_report
run_case "--report shows --timeout/--pids/--memory/--env" case_report_limits
run_case "the report's bpf_sha256 is stable per profile" case_report_bpf_hash
run_case "--report through a symlink planted by the build is not followed" case_report_symlink
run_case "--rw/--ro/--hide/--report through a symlink planted in the workspace exit 125" case_planted_option_paths
run_case "a setup failure exits 125 and the command does not run" case_setup_failure
run_case "--status-fd emits started, ready, exited JSON lines" case_status_fd
run_case "--status-fd reports timed_out on --timeout" case_status_fd_timeout
run_case "doctor --json is JSON and passes on this host" case_doctor
hm_finish
