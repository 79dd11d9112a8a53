#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# `hermetic snapshot fetch|verify` against the real binary and tests/snapshot/server.py, a
# loopback server that fails on request (404, 5xx, 429, cut and stalled bodies, wrong
# bytes, redirects, resets). The whole suite runs in its own network namespace, so no case
# can reach a real address. Each case generates its artifacts and lockfile, serves them,
# and checks exit statuses, messages, what the server saw and what landed in the store.
# Environment: see lib.sh. Cases keep timeouts and retries small: about 30 s on an idle
# machine, a minute on a loaded 2-core one.

# shellcheck source=tests/snapshot/lib.sh
. "$(dirname "$0")/lib.sh"
snap_init "$@"

MIB=1048576
LOCK=package-lock.json

# A lockfile of the artifacts added so far, served by a server with FAULTS (if any).
serve_lock() {
  serve "$@"
  write_lock "$WS/$LOCK" "$BASE"
}

expect_no_manifest() {
  [ ! -e "$WS/snap/manifest.json" ] || fail "a manifest was written although a fetch failed"
}

expect_store_sound() {
  check_store "$WS/snap" "${1:-}" || fail "the store is not sound"
}

# --- fetching -------------------------------------------------------------------------

fetch_v3_lockfile() {
  add_pkg tiny 1
  add_pkg small 1000
  add_pkg mid 70000
  add_pkg big $((MIB + MIB / 2))
  add_pkg @scope/scoped 5000
  add_location small node_modules/mid/node_modules/small
  serve_lock
  snap_expect 0 "fetch" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_store_sound all
  expect_eq 5 "$(blob_count "$WS/snap")" "blobs (one per distinct digest)"
  check_manifest "$WS/snap" || fail "the manifest does not list what was fetched"
  for p in tiny small mid big @scope/scoped; do
    expect_eq 1 "$(requests "$(urlpath_of "$p")")" "requests for $p"
  done
}

fetch_v2_lockfile() {
  add_pkg alpha 2000
  add_pkg beta 3000
  serve
  write_lock "$WS/$LOCK" "$BASE" 2
  snap_expect 0 "fetch from a v2 lockfile" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_store_sound all
  check_manifest "$WS/snap" || fail "the manifest does not list what was fetched"
}

second_run_downloads_nothing() {
  add_pkg one 10000
  add_pkg two 200000
  serve_lock
  snap_expect 0 "first fetch" fetch --into "$WS/snap" "$WS/$LOCK"
  cp "$WS/snap/manifest.json" "$WS/manifest.first"
  local reqs conns
  reqs=$(wc -l <"$WS/srv.log")
  conns=$(wc -l <"$WS/srv.conns")
  snap_expect 0 "second fetch" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq "$reqs" "$(wc -l <"$WS/srv.log")" "requests after the second run"
  expect_eq "$conns" "$(wc -l <"$WS/srv.conns")" "connections after the second run"
  cmp -s "$WS/manifest.first" "$WS/snap/manifest.json" || fail "the manifest changed"
  expect_store_sound all
}

not_found_is_not_retried() {
  add_pkg present 5000
  add_pkg missing 5000
  rm "$WS/srv$(urlpath_of missing)"
  serve_lock
  snap_expect 1 "a 404" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 1 "$(requests "$(urlpath_of missing)")" "requests for the 404 path"
  expect_eq 1 "$(failure_lines missing 1.0.0)" "stderr lines naming missing@1.0.0"
  expect_nomatch 'present@' "$(cat "$WS/err")" "stderr"
  expect_no_manifest
  expect_store_sound
}

server_error_then_ok() {
  add_pkg flaky 30000
  serve_lock "{\"$(urlpath_of flaky)\": [\"500\", \"ok\"]}"
  snap_expect 0 "500 then ok" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 2 "$(requests "$(urlpath_of flaky)")" "requests"
  expect_store_sound all
}

cut_body_resumes() {
  local size=$((MIB + 12345))
  add_pkg cut "$size"
  serve_lock "{\"$URLPATH\": [\"cut\", \"ok\"]}"
  snap_expect 0 "cut then ok" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 2 "$(requests "$URLPATH")" "requests"
  expect_eq "None
bytes=$((size / 2))-" "$(log_ranges "$URLPATH")" "Range headers of the two requests"
  expect_store_sound all
  check_manifest "$WS/snap" || fail "manifest"
}

range_ignored_on_resume() {
  local size=$((MIB / 2 + 777))
  add_pkg norange "$size"
  serve_lock "{\"$URLPATH\": [\"cut\", \"full\"]}"
  snap_expect 0 "cut, then a 200 with the whole body" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq "None
bytes=$((size / 2))-" "$(log_ranges "$URLPATH")" "Range headers of the two requests"
  expect_store_sound all
}

stall_then_ok() {
  local size=$((MIB + 1000)) t0 t1
  add_pkg stall "$size"
  serve_lock "{\"$URLPATH\": [\"stall:10\", \"ok\"]}"
  t0=$(date +%s%N)
  snap_expect 0 "stall then ok" fetch --stall-timeout 1 --into "$WS/snap" "$WS/$LOCK"
  t1=$(date +%s%N)
  [ $(((t1 - t0) / 1000000)) -lt 8000 ] ||
    fail "took $(((t1 - t0) / 1000000)) ms: the stall timeout did not cut the transfer"
  expect_eq 2 "$(requests "$URLPATH")" "requests"
  expect_match "^bytes=$((size / 2))-\$" "$(log_ranges "$URLPATH" | tail -n 1)" "resume"
  expect_store_sound all
}

always_stalling_fails() {
  add_pkg good 4000
  add_pkg stuck $((MIB + 1000))
  serve_lock "{\"$URLPATH\": [\"stall:5\"]}"
  snap_expect 1 "always stalling" fetch --stall-timeout 0.5 --retries 1 \
    --into "$WS/snap" "$WS/$LOCK"
  expect_eq 2 "$(requests "$URLPATH")" "requests (one retry)"
  expect_eq 1 "$(failure_lines stuck 1.0.0)" "stderr lines naming stuck@1.0.0"
  expect_no_manifest
  expect_store_sound
  in_store "$WS/snap" "$(hex_of stuck)" && fail "a partial download is in the store"
  true
}

wrong_bytes_rejected() {
  add_pkg fine 4000
  add_pkg forged 300000
  serve_lock "{\"$URLPATH\": [\"wrong\", \"ok\"]}"
  snap_expect 1 "wrong bytes" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 1 "$(requests "$URLPATH")" "requests (a mismatch is not retried)"
  expect_eq 1 "$(failure_lines forged 1.0.0)" "stderr lines naming forged@1.0.0"
  err_has 'forged@1\.0\.0.*mismatch' "the reason"
  in_store "$WS/snap" "$(hex_of forged)" && fail "the forged artifact is in the store"
  expect_eq 1 "$(blob_count "$WS/snap")" "blobs (only fine's)"
  find "$WS/snap/npm" -type f 2>/dev/null | wc -l | grep -qx 1 || fail "npm/ holds more than fine"
  expect_no_manifest
  expect_store_sound
}

redirect_followed() {
  add_pkg moved 20000
  mkdir -p "$WS/srv/elsewhere"
  cp "$WS/srv$URLPATH" "$WS/srv/elsewhere/moved.tgz"
  serve_lock "{\"$URLPATH\": [\"redirect:/elsewhere/moved.tgz\"]}"
  snap_expect 0 "redirect" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 1 "$(requests /elsewhere/moved.tgz)" "requests for the redirect target"
  expect_store_sound all
}

rate_limit_and_unavailable_retried() {
  add_pkg busy 50000
  serve_lock "{\"$URLPATH\": [\"429\", \"503\", \"ok\"]}"
  snap_expect 0 "429, 503, then ok" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 3 "$(requests "$URLPATH")" "requests"
  expect_store_sound all
}

forbidden_not_retried() {
  add_pkg secret 5000
  serve_lock "{\"$URLPATH\": [\"403\", \"ok\"]}"
  snap_expect 1 "403" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 1 "$(requests "$URLPATH")" "requests"
  expect_eq 1 "$(failure_lines secret 1.0.0)" "stderr lines naming secret@1.0.0"
  expect_no_manifest
}

reset_then_ok() {
  add_pkg rst 40000
  serve_lock "{\"$URLPATH\": [\"reset\", \"reset\", \"ok\"]}"
  snap_expect 0 "two resets, then ok" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 3 "$(requests "$URLPATH")" "requests"
  expect_store_sound all
}

connection_refused_fails() {
  add_pkg nowhere 1000
  # Nothing listens on port 1 in this network namespace.
  write_lock "$WS/$LOCK" "http://127.0.0.1:1"
  snap_expect 1 "connection refused" fetch --retries 1 --into "$WS/snap" "$WS/$LOCK"
  expect_eq 1 "$(failure_lines nowhere 1.0.0)" "stderr lines naming nowhere@1.0.0"
  expect_no_manifest
}

killed_fetch_leaves_a_sound_store() {
  local i pid
  # shellcheck disable=SC2046 # one word per artifact
  add_pkgs $(for ((i = 10; i < 34; i++)); do echo "slow$i:$((60000 + i * 1000))"; done)
  # Every path slow on its first request (1 KiB every 3 ms, about 0.25 s per artifact),
  # then fast for the re-run.
  serve "$("$PY" -c '
import json, sys
print(json.dumps({l.split("\t")[4]: ["slow:3", "ok"] for l in open(sys.argv[1])}))' "$WS/pkgs.tsv")"
  write_lock "$WS/$LOCK" "$BASE"
  mkdir -p "$WS/home"
  HOME=$WS/home "$HERMETIC" snapshot fetch --jobs 4 --into "$WS/snap" "$WS/$LOCK" \
    >"$WS/out" 2>"$WS/err" </dev/null &
  pid=$!
  # Killed once some transfers are done and others under way (4 at a time).
  for ((i = 0; i < 100; i++)); do
    [ "$(wc -l <"$WS/srv.log")" -ge 10 ] && break
    sleep 0.1
  done
  kill -9 "$pid" || fail "the fetch ended before it was killed: $(cat "$WS/err")"
  wait "$pid" 2>/dev/null
  echo "killed after $(wc -l <"$WS/srv.log") requests, with $(blob_count "$WS/snap") blobs stored"
  expect_store_sound
  expect_no_manifest
  local before
  before=$(wc -l <"$WS/srv.log")
  snap_expect 0 "the fetch after the kill" fetch --jobs 8 --into "$WS/snap" "$WS/$LOCK"
  # The transfers cut by the kill resume from what their part files hold.
  tail -n +$((before + 1)) "$WS/srv.log" | grep -q '"range": "bytes=[1-9]' ||
    fail "no request after the kill resumed with a Range"
  expect_store_sound all
  check_manifest "$WS/snap" || fail "manifest"
  snap_expect 0 "verify after the kill and re-run" verify "$WS/snap"
}

full_disk_fails_cleanly() {
  mkdir -p "$WS/disk"
  mount -t tmpfs -o size=1m hm-snapshot-full "$WS/disk" || skip "cannot mount a tmpfs here"
  on_exit "umount '$WS/disk'"
  add_pkg little 3000
  add_pkg huge $((2 * MIB))
  add_pkg other 200000
  serve_lock
  snap fetch --retries 1 --into "$WS/disk/snap" "$WS/$LOCK"
  [ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "a full disk: exit status $rc, want 1 or 2"
  err_has '[Nn]o space' "the reason"
  [ ! -e "$WS/disk/snap/manifest.json" ] || fail "a manifest was written"
  check_store "$WS/disk/snap" || fail "the store is not sound"
  in_store "$WS/disk/snap" "$(hex_of huge)" && fail "huge is in the store"
  true
}

# --- verify ---------------------------------------------------------------------------

verify_finds_a_flipped_byte() {
  add_pkg intact 20000
  add_pkg damaged 20000
  serve_lock
  snap_expect 0 "fetch" fetch --into "$WS/snap" "$WS/$LOCK"
  snap_expect 0 "verify of an intact snapshot" verify --json "$WS/snap"
  expect_eq "2 0 0" "$(json_get "$WS/out" '"%d %d %d" % (j["checked"], j["missing"], j["corrupt"])')" \
    "checked missing corrupt"
  "$PY" -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(12345); b = f.read(1); f.seek(12345); f.write(bytes([b[0] ^ 1]))' \
    "$WS/snap/blobs/sha512/$(hex_of damaged)"
  snap_expect 1 "verify after a flipped byte" verify "$WS/snap"
  err_has '^hermetic snapshot verify: corrupt: damaged' "the corrupt blob named"
  expect_nomatch 'intact' "$(cat "$WS/err")" "stderr"
  snap_expect 1 "verify --json after a flipped byte" verify --json "$WS/snap"
  expect_eq "0 1 damaged" \
    "$(json_get "$WS/out" '"%d %d %s" % (j["missing"], j["corrupt"], j["problems"][0]["name"].split("@")[0])')" \
    "missing corrupt problems[0].name"
}

verify_finds_a_deleted_blob() {
  add_pkg kept 20000
  add_pkg deleted 20000
  add_pkg unlinked 20000
  serve_lock
  snap_expect 0 "fetch" fetch --into "$WS/snap" "$WS/$LOCK"
  rm "$WS/snap/blobs/sha512/$(hex_of deleted)"
  snap_expect 1 "verify after deleting a blob" verify "$WS/snap"
  err_has '^hermetic snapshot verify: missing: .*deleted' "the missing blob named"
  expect_eq 1 "$(grep -cE '^hermetic snapshot verify: (missing|corrupt): ' "$WS/err")" \
    "problem lines on stderr"
  local h
  h=$(hex_of unlinked)
  rm "$WS/snap/npm/_cacache/content-v2/sha512/${h:0:2}/${h:2:2}/${h:4}"
  snap_expect 1 "verify after deleting an npm link" verify "$WS/snap"
  err_has 'unlinked' "the entry with no npm link named"
  expect_nomatch 'kept' "$(cat "$WS/err")" "stderr"
}

verify_usage() {
  mkdir -p "$WS/empty"
  snap_expect 2 "verify without a manifest" verify "$WS/empty"
  err_has "$(re_quote "$WS/empty")" "the directory named"
  snap_expect 2 "verify with an unknown option" verify --bogus "$WS/empty"
  err_has -- '--bogus' "the option named"
}

# --- unusable input -------------------------------------------------------------------

# expect_unusable WHAT NEEDLE...: fetch of WS/LOCK exits 2, stderr names the file and
# every NEEDLE, nothing was requested or stored.
expect_unusable() {
  local what=$1 needle
  shift
  snap_expect 2 "$what" fetch --into "$WS/snap" "$WS/$LOCK"
  err_has "$(re_quote "$LOCK")" "$what: the file named"
  for needle in "$@"; do err_has "$(re_quote "$needle")" "$what: named"; done
  [ ! -s "$WS/srv.log" ] || fail "$what: something was requested"
  [ "$(blob_count "$WS/snap")" = 0 ] || fail "$what: something was stored"
  expect_no_manifest
}

malformed_json() {
  add_pkg a 100
  serve_lock
  head -c 200 "$WS/$LOCK" >"$WS/$LOCK.cut" && mv "$WS/$LOCK.cut" "$WS/$LOCK"
  expect_unusable "malformed JSON"
}

lockfile_v1_refused() {
  add_pkg a 100
  serve
  write_lock "$WS/$LOCK" "$BASE" 1
  edit_json "$WS/$LOCK" '
j["dependencies"] = {k[len("node_modules/"):]: v for k, v in j.pop("packages").items() if k}'
  expect_unusable "lockfileVersion 1" lockfileVersion
}

entry_without_integrity() {
  add_pkg a 100
  add_pkg noint 100
  serve_lock
  edit_json "$WS/$LOCK" 'del j["packages"]["node_modules/noint"]["integrity"]'
  expect_unusable "an entry without integrity" node_modules/noint
}

git_dependency_refused() {
  add_pkg a 100
  serve_lock
  edit_json "$WS/$LOCK" '
j["packages"]["node_modules/fromgit"] = {"version": "1.2.3",
  "resolved": "git+ssh://git@github.com/example/fromgit.git#0123456789abcdef0123456789abcdef01234567"}'
  expect_unusable "a git dependency" node_modules/fromgit
}

deps_json_bad_digest() {
  serve
  printf '{"version": 1, "artifacts": [{"name": "tool", "url": "%s/tool.bin", "sha256": "%s"}]}\n' \
    "$BASE" "not-hex" >"$WS/hermetic-deps.json"
  LOCK=hermetic-deps.json expect_unusable "hermetic-deps.json with a bad sha256"
  err_has '(tool|artifacts\[0\]).*sha256' "the entry named"
}

# --- inputs, registries, configuration -------------------------------------------------

deps_json_fetched() {
  serve
  mkdir -p "$WS/srv/tools"
  head -c 70000 /dev/urandom >"$WS/srv/tools/a.bin"
  head -c 90000 /dev/urandom >"$WS/srv/tools/b.bin"
  local a b
  a=$(sha256sum "$WS/srv/tools/a.bin" | cut -c1-64)
  b=$(sha512sum "$WS/srv/tools/b.bin" | cut -c1-128)
  cat >"$WS/hermetic-deps.json" <<EOF
{"version": 1, "artifacts": [
  {"name": "tool-a", "url": "$BASE/tools/a.bin", "sha256": "$a"},
  {"name": "tool-b", "version": "2.0", "purl": "pkg:generic/tool-b@2.0",
   "urls": ["$BASE/tools/b.bin"], "sha512": "$b"}]}
EOF
  snap_expect 0 "fetch a hermetic-deps.json" fetch --into "$WS/snap" "$WS/hermetic-deps.json"
  [ -f "$WS/snap/blobs/sha256/$a" ] || fail "no blobs/sha256/$a"
  [ -f "$WS/snap/blobs/sha512/$b" ] || fail "no blobs/sha512/$b"
  check_store "$WS/snap" || fail "the store is not sound"
  expect_eq "pkg:generic/tool-b@2.0 2.0 90000 tool-a sha256 70000" "$(json_get "$WS/snap/manifest.json" '
" ".join(str(x) for e in sorted(j["entries"], key=lambda e: e["name"], reverse=True)
         for x in ((e["purl"], e["version"], e["size"]) if e["name"] == "tool-b" else (e["name"], e["algo"], e["size"])))')" \
    "manifest entries"
}

deps_json_second_url() {
  serve
  mkdir -p "$WS/srv/tools"
  head -c 5000 /dev/urandom >"$WS/srv/tools/c.bin"
  cat >"$WS/hermetic-deps.json" <<EOF
{"version": 1, "artifacts": [{"name": "tool-c", "sha256": "$(sha256sum "$WS/srv/tools/c.bin" | cut -c1-64)",
  "urls": ["$BASE/gone/c.bin", "$BASE/tools/c.bin"]}]}
EOF
  snap_expect 0 "the first URL 404, the second serves" fetch --into "$WS/snap" "$WS/hermetic-deps.json"
  expect_eq 1 "$(requests /gone/c.bin)" "requests for the first URL"
  expect_eq 1 "$(requests /tools/c.bin)" "requests for the second URL"
}

npm_config_ignored() {
  add_pkg viaconfig 5000
  serve_lock
  local decoy decoy_url
  start_server decoy "$WS/srv"
  decoy=$SERVER_PORT
  decoy_url=http://127.0.0.1:$decoy/
  printf 'registry=%s\n' "$decoy_url" >"$WS/.npmrc"
  mkdir -p "$WS/home"
  printf 'registry=%s\n' "$decoy_url" >"$WS/home/.npmrc"
  NPM_CONFIG_REGISTRY=$decoy_url npm_config_registry=$decoy_url \
    snap_expect 0 "fetch with an npm configuration" fetch --into "$WS/snap" "$WS/$LOCK"
  # Entries on npm's registry: reachable only through the decoy, which must not be used.
  write_lock "$WS/$LOCK" https://registry.npmjs.org
  NPM_CONFIG_REGISTRY=$decoy_url npm_config_registry=$decoy_url \
    snap_expect 1 "registry.npmjs.org entries, no network" fetch --retries 1 \
    --into "$WS/snap2" "$WS/$LOCK"
  expect_eq 0 "$(wc -l <"$WS/decoy.conns")" "connections to the registry of .npmrc"
}

registry_mirror() {
  add_pkg mirrored 30000
  add_pkg @scope/mirrored 20000
  serve
  ln -s . "$WS/srv/npm-mirror"
  write_lock "$WS/$LOCK" https://registry.npmjs.org
  snap_expect 0 "--registry mirror" fetch --registry "$BASE/npm-mirror" \
    --into "$WS/snap" "$WS/$LOCK"
  expect_eq 1 "$(requests "/npm-mirror$(urlpath_of mirrored)")" "requests for mirrored"
  expect_eq 1 "$(requests "/npm-mirror$(urlpath_of @scope/mirrored)")" "requests for @scope/mirrored"
  expect_store_sound all
  check_manifest "$WS/snap" || fail "manifest"
}

# --- output ---------------------------------------------------------------------------

json_report() {
  add_pkg j1 1000
  add_pkg j2 20000
  add_pkg j3 300000
  serve_lock
  snap_expect 0 "fetch --json" fetch --json --into "$WS/snap" "$WS/$LOCK"
  expect_eq "3 3 0 0 321000 0 [] True" "$(json_get "$WS/out" '"%d %d %d %d %d %d %s %s" % (
    j["total"], j["fetched"], j["cached"], j["failed"], j["bytes"], j["retries"],
    j["failures"], bool(j["manifest"]))')" \
    "total fetched cached failed bytes retries failures manifest"
  json_get "$WS/out" 'j["ms"] + 0' >/dev/null || fail "no ms"
  snap_expect 0 "fetch --json again" fetch --json --into "$WS/snap" "$WS/$LOCK"
  expect_eq "3 0 3 0" "$(json_get "$WS/out" '"%d %d %d %d" % (j["total"], j["fetched"], j["cached"], j["bytes"])')" \
    "total fetched cached bytes"
  rm "$WS/srv$(urlpath_of j2)"
  snap_expect 1 "fetch --json with a 404" fetch --json --into "$WS/snap2" "$WS/$LOCK"
  expect_eq "3 1 j2 1.0.0" "$(json_get "$WS/out" '"%d %d %s %s" % (j["total"], j["failed"],
    j["failures"][0]["name"], j["failures"][0]["version"])')" "total failed failures[0]"
  json_get "$WS/out" 'j["failures"][0]["origin"] and j["failures"][0]["error"]' | grep -q . ||
    fail "failures[0] has no origin or error"
}

summary_line() {
  add_pkg s1 1000
  add_pkg s2 2000
  serve_lock
  snap_expect 0 "fetch" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 0 "$(wc -c <"$WS/out")" "bytes on stdout"
  expect_eq 1 "$(wc -l <"$WS/err")" "lines on stderr (one summary)"
  grep -q $'\r\|\x1b' "$WS/err" && fail "progress output on a file"
  true
}

bad_options() {
  add_pkg a 100
  serve_lock
  local args
  while IFS='|' read -r needle args; do
    # shellcheck disable=SC2086 # the options are words on purpose
    snap_expect 2 "fetch $args" fetch $args "$WS/$LOCK"
    err_has -- "$needle" "fetch $args: the option named"
  done <<EOF
--jobs|--jobs 0 --into $WS/snap
--jobs|--jobs x --into $WS/snap
--bogus|--bogus --into $WS/snap
--into|--jobs 2
--retries|--retries many --into $WS/snap
--stall-timeout|--stall-timeout soon --into $WS/snap
--connect-timeout|--connect-timeout -1 --into $WS/snap
EOF
  snap_expect 2 "fetch without an input" fetch --into "$WS/snap"
  [ ! -s "$WS/srv.log" ] || fail "a bad option still fetched"
}

jobs_1_and_64() {
  local i
  # shellcheck disable=SC2046 # one word per artifact
  add_pkgs $(for ((i = 10; i < 30; i++)); do echo "par$i:$((i * 997))"; done)
  serve_lock
  snap_expect 0 "--jobs 1" fetch --jobs 1 --into "$WS/snap" "$WS/$LOCK"
  expect_store_sound all
  check_manifest "$WS/snap" || fail "manifest (--jobs 1)"
  mv "$WS/snap" "$WS/snap1"
  snap_expect 0 "--jobs 64" fetch --jobs 64 --into "$WS/snap" "$WS/$LOCK"
  expect_store_sound all
  check_manifest "$WS/snap" || fail "manifest (--jobs 64)"
  cmp -s "$WS/snap1/manifest.json" "$WS/snap/manifest.json" ||
    fail "the manifest depends on --jobs"
}

plan
# --- what the lead added: the lock, stale partial downloads, platforms, output --------

locked_directory_refused() {
  command -v flock >/dev/null || skip "flock(1) is missing"
  add_pkg locked 1000
  serve_lock
  mkdir -p "$WS/snap"
  : >"$WS/snap/.lock"
  # -o: the lock is held by flock itself, not by the sleep it starts.
  flock -x -o "$WS/snap/.lock" sleep 30 &
  local holder=$!
  on_exit "pkill -P $holder; kill $holder 2>/dev/null"
  sleep 0.3
  snap_expect 2 "fetch into a snapshot another fetch holds" fetch --into "$WS/snap" "$WS/$LOCK"
  err_has 'being written by another' "the message says why"
  expect_eq 0 "$(requests "$URLPATH")" "requests while locked"
  pkill -P "$holder"
  kill "$holder"
  wait "$holder" 2>/dev/null
  snap_expect 0 "fetch once the lock is free" fetch --into "$WS/snap" "$WS/$LOCK"
}

# A part file that an earlier run left with the wrong bytes: the resume's digest cannot
# match, so the fetcher starts over from zero once and stores the right bytes.
stale_partial_restarted() {
  local size=300000 hex
  add_pkg stale "$size"
  hex=$(hex_of stale)
  serve_lock
  mkdir -p "$WS/snap/tmp"
  head -c 1000 /dev/urandom >"$WS/snap/tmp/sha512-$hex.part"
  snap_expect 0 "fetch over a corrupt partial download" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq "bytes=1000-
None" "$(log_ranges "$URLPATH")" "a resume from the partial bytes, then the whole file"
  expect_store_sound all
  [ ! -e "$WS/snap/tmp/sha512-$hex.part" ] || fail "the part file is still there"
}

# A partial download that is in fact complete (a run killed after the digest matched,
# before the rename): admitted with no request at all.
complete_partial_admitted() {
  local hex
  add_pkg whole 50000
  hex=$(hex_of whole)
  serve_lock
  mkdir -p "$WS/snap/tmp"
  cp "$WS/srv$URLPATH" "$WS/snap/tmp/sha512-$hex.part"
  snap_expect 0 "fetch with a complete partial download" fetch --into "$WS/snap" "$WS/$LOCK"
  expect_eq 0 "$(requests "$URLPATH")" "requests"
  expect_store_sound all
}

platform_chosen() {
  add_pkg common 1000
  add_pkg native-linux-x64 2000
  add_pkg native-linux-arm64 3000
  add_pkg native-darwin-arm64 4000
  serve_lock
  edit_json "$WS/$LOCK" '
for k, os_, cpu in (("native-linux-x64", "linux", "x64"), ("native-linux-arm64", "linux", "arm64"),
                    ("native-darwin-arm64", "darwin", "arm64")):
    e = j["packages"]["node_modules/" + k]
    e.update({"os": [os_], "cpu": [cpu], "optional": True})'
  snap_expect 0 "fetch for linux-arm64" fetch --platform linux-arm64 --into "$WS/snap" "$WS/$LOCK"
  expect_eq "common native-linux-arm64" \
    "$(json_get "$WS/snap/manifest.json" '" ".join(sorted(e["name"] for e in j["entries"]))')" \
    "entries fetched for linux-arm64"
  expect_eq "linux-arm64" "$(json_get "$WS/snap/manifest.json" 'j["platform"]')" "platform recorded"
  expect_eq 0 "$(requests "$(urlpath_of native-linux-x64)")" "requests for another platform's package"
  snap_expect 2 "a malformed --platform" fetch --platform linux --into "$WS/snap2" "$WS/$LOCK"
  err_has -- '--platform' "the option named"
}

quiet_and_tty_progress() {
  [ -x "${HM_HELPER_DIR:-}/pty_run" ] || skip "tests/helpers/pty_run is not built"
  add_pkgs q1:1000 q2:2000 q3:3000
  serve_lock
  snap_expect 0 "fetch --quiet" fetch --quiet --into "$WS/snap" "$WS/$LOCK"
  expect_eq "" "$(cat "$WS/out" "$WS/err")" "--quiet prints nothing"
  add_pkgs q4:4000
  write_lock "$WS/$LOCK" "$BASE"
  local out
  out=$(HOME=$WS/home timeout 60 "$HM_HELPER_DIR/pty_run" 50 "$HERMETIC" snapshot fetch \
    --into "$WS/snap" "$WS/$LOCK" 2>&1)
  expect_rc 0 $? "fetch on a terminal" "$out"
  expect_match '\[#+\] 4/4' "$out" "a progress bar on a terminal"
}

run_case "v3 lockfile: every blob stored under its digest, npm links, manifest" fetch_v3_lockfile
run_case "v2 lockfile fetched" fetch_v2_lockfile
run_case "a second run requests nothing and keeps the manifest" second_run_downloads_nothing
run_case "404: exit 1, not retried, the package named" not_found_is_not_retried
run_case "500 then ok: retried, exit 0" server_error_then_ok
run_case "body cut mid-way: resumed with Range from what arrived" cut_body_resumes
run_case "a resume answered with 200 and the whole body starts over" range_ignored_on_resume
run_case "stall past --stall-timeout then ok: resumed, exit 0" stall_then_ok
run_case "always stalling: exit 1, named, nothing stored for it" always_stalling_fails
run_case "wrong bytes: exit 1, mismatch named, not stored, not retried" wrong_bytes_rejected
run_case "302 redirect followed" redirect_followed
run_case "429 and 503 retried" rate_limit_and_unavailable_retried
run_case "403 not retried: exit 1" forbidden_not_retried
run_case "connection reset retried" reset_then_ok
run_case "connection refused: exit 1, named" connection_refused_fails
run_case "kill -9 mid-fetch: store sound, re-run completes, verify passes" killed_fetch_leaves_a_sound_store
run_case "full disk: exit 1/2, 'no space', store sound, no manifest" full_disk_fails_cleanly
run_case "verify: a flipped byte is corrupt, named" verify_finds_a_flipped_byte
run_case "verify: a deleted blob is missing, a deleted npm link named" verify_finds_a_deleted_blob
run_case "verify: no manifest or a bad option: exit 2" verify_usage
run_case "malformed JSON: exit 2, the file named" malformed_json
run_case "lockfileVersion 1: exit 2, named" lockfile_v1_refused
run_case "an entry without integrity: exit 2, the entry named" entry_without_integrity
run_case "a git dependency: exit 2, the entry named" git_dependency_refused
run_case "hermetic-deps.json with a bad digest: exit 2, named" deps_json_bad_digest
run_case "hermetic-deps.json: sha256 and sha512 artifacts fetched" deps_json_fetched
run_case "hermetic-deps.json: the next URL after a 404" deps_json_second_url
run_case ".npmrc and NPM_CONFIG_REGISTRY are ignored" npm_config_ignored
run_case "--registry mirrors registry.npmjs.org URLs" registry_mirror
run_case "--json: the report parses and its counts match" json_report
run_case "without --json, not on a TTY: one summary line on stderr" summary_line
run_case "bad options: exit 2, the option named" bad_options
run_case "--jobs 1 and --jobs 64 fetch the same snapshot" jobs_1_and_64
run_case "a snapshot locked by another fetch: exit 2, nothing requested" locked_directory_refused
run_case "a corrupt partial download: resumed, mismatch, started over once" stale_partial_restarted
run_case "a complete partial download is admitted without a request" complete_partial_admitted
run_case "--platform linux-arm64 chooses that platform's packages" platform_chosen
run_case "--quiet prints nothing; a terminal gets a progress bar" quiet_and_tty_progress
hm_finish
