# Helpers for the `hermetic snapshot` TAP suite (sourced, not run): a private network
# namespace, the fault-injecting server, generated artifacts and lockfiles, and checks of
# the store and its manifest against what was generated.
# shellcheck shell=bash
#
# Environment (tests/snapshot/meson.build): HERMETIC, HM_WORK_BASE, PYTHON;
# HERMETIC_WRAPPER (optional command prefix, e.g. valgrind); HM_VERBOSE=1.
#
# Per case (WS is the case's workspace, see tests/lib/tap.sh):
#   WS/srv/        what the server serves         WS/pkgs.tsv  what add_pkg generated
#   WS/home/       HOME for hermetic              WS/snap/     the snapshot directory
#   WS/srv.log     the server's request log       WS/out, WS/err  the last hermetic run
set -u
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

SNAP_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Re-run the calling script inside fresh network and mount namespaces, so that no case can
# reach anything but its own loopback servers, and a tmpfs can be mounted for the full-disk
# case. Root needs no user namespace; anyone else gets one (-r).
snap_enter_namespaces() {
  if [ "${HM_SNAP_IN_NETNS:-}" != 1 ]; then
    local flags
    if [ "$(id -u)" -eq 0 ] && unshare -nm true 2>/dev/null; then
      flags=-nm
    elif unshare -rnm true 2>/dev/null; then
      flags=-rnm
    else
      skip_all "cannot create a network namespace ('unshare -nm' and 'unshare -rnm' fail)"
    fi
    HM_SNAP_IN_NETNS=1 exec unshare "$flags" -- bash "$0" "$@"
  fi
  ip link set lo up 2>/dev/null || skip_all "cannot bring up lo in the new network namespace"
  # Fail closed: a namespace with any other interface is not the one this suite wants.
  if ip -o link show | grep -vq ': lo:'; then
    echo "Bail out! the network namespace has an interface other than lo"
    exit 1
  fi
}

snap_init() {
  [ -n "${HERMETIC:-}" ] || skip_all "HERMETIC is not set (run through meson test)"
  [ -x "$HERMETIC" ] || skip_all "$HERMETIC is not executable"
  for tool in unshare ip timeout sha256sum sha512sum base64 openssl mount; do
    command -v "$tool" >/dev/null || skip_all "$tool is missing"
  done
  # The real interpreter, not a shim that depends on HOME (cases change HOME).
  PY=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)' 2>/dev/null) ||
    skip_all "python3 is missing"
  snap_enter_namespaces "$@"
  if [ -z "${HM_WORK_BASE:-}" ]; then
    HM_WORK_BASE=$(mktemp -d /var/tmp/hm-snapshot-fetch.XXXXXX)
    # shellcheck disable=SC2064 # expand now
    trap "rm -rf '$HM_WORK_BASE'" EXIT
  fi
  mkdir -p "$HM_WORK_BASE" || skip_all "cannot create $HM_WORK_BASE"
  export HM_WORK_BASE PY
}

# --- the server ------------------------------------------------------------------------

# start_server TAG ROOT [FAULTS.json]: a server on 127.0.0.1 logging to WS/TAG.log (and
# its connections to WS/TAG.conns), stopped when the case ends; sets SERVER_PORT. Not to
# be called in $(...): the stop would be registered in that subshell, not in the case.
start_server() {
  local tag=$1 root=$2 faults=${3:-} pid
  local args=(--root "$root" --port-file "$WS/$tag.port" --log "$WS/$tag.log"
    --connections "$WS/$tag.conns")
  [ -n "$faults" ] && args+=(--faults "$faults")
  : >"$WS/$tag.log"
  : >"$WS/$tag.conns"
  "$PY" "$SNAP_TESTS/server.py" "${args[@]}" >"$WS/$tag.stderr" 2>&1 &
  pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  wait_file "$WS/$tag.port" 100 || {
    cat "$WS/$tag.stderr"
    fail "the test server did not start"
  }
  SERVER_PORT=$(cat "$WS/$tag.port")
}

# serve [FAULTS-JSON-TEXT]: the case's main server over WS/srv; sets PORT and BASE.
# shellcheck disable=SC2034 # BASE is for the suite
serve() {
  local faults=
  if [ $# -gt 0 ]; then
    printf '%s\n' "$1" >"$WS/faults.json"
    faults=$WS/faults.json
  fi
  start_server srv "$WS/srv" "$faults"
  PORT=$SERVER_PORT
  BASE=http://127.0.0.1:$PORT
}

# requests URLPATH [LOG]: how many requests the server saw for URLPATH.
requests() {
  grep -cF "\"path\": \"$1\"," "${2:-$WS/srv.log}"
}

# log_ranges URLPATH: the Range header of each request for URLPATH, one per line.
log_ranges() {
  "$PY" -c '
import json, sys
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r["path"] == sys.argv[1]:
        print(r["range"])' "$1" "$WS/srv.log"
}

# --- artifacts and inputs --------------------------------------------------------------

# add_pkg NAME SIZE [VERSION]: random bytes served at /NAME/-/BASE-VERSION.tgz (npm's
# layout), recorded in WS/pkgs.tsv: location name version size urlpath hex integrity.
# Sets URLPATH.
add_pkg() {
  local name=$1 size=$2 version=${3:-1.0.0} file hex integrity
  URLPATH=/$name/-/${name##*/}-$version.tgz
  file=$WS/srv$URLPATH
  mkdir -p "$(dirname "$file")"
  head -c "$size" /dev/urandom >"$file"
  hex=$(sha512sum "$file" | cut -c1-128)
  integrity=sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)
  printf 'node_modules/%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$name" "$version" "$size" \
    "$URLPATH" "$hex" "$integrity" >>"$WS/pkgs.tsv"
}

# add_pkgs NAME:SIZE...: add_pkg for many (one process, not four per artifact).
add_pkgs() {
  "$PY" - "$WS" "$@" <<'EOF'
import base64, hashlib, os, sys
ws = sys.argv[1]
with open(os.path.join(ws, "pkgs.tsv"), "a") as tsv:
    for spec in sys.argv[2:]:
        name, size = spec.rsplit(":", 1)
        path = "/%s/-/%s-1.0.0.tgz" % (name, name.split("/")[-1])
        data = os.urandom(int(size))
        os.makedirs(os.path.dirname(ws + "/srv" + path), exist_ok=True)
        with open(ws + "/srv" + path, "wb") as f:
            f.write(data)
        d = hashlib.sha512(data)
        tsv.write("\t".join(["node_modules/" + name, name, "1.0.0", size, path, d.hexdigest(),
                             "sha512-" + base64.b64encode(d.digest()).decode()]) + "\n")
EOF
}

# add_location NAME LOCATION: NAME (added before) also installed at LOCATION.
add_location() {
  awk -F'\t' -v OFS='\t' -v n="$1" -v loc="$2" '$2 == n { $1 = loc; print; exit }' \
    "$WS/pkgs.tsv" >>"$WS/pkgs.tsv.new"
  cat "$WS/pkgs.tsv.new" >>"$WS/pkgs.tsv"
  rm -f "$WS/pkgs.tsv.new"
}

# hex_of NAME / size_of NAME / urlpath_of NAME
hex_of() { awk -F'\t' -v n="$1" '$2 == n { print $6; exit }' "$WS/pkgs.tsv"; }
size_of() { awk -F'\t' -v n="$1" '$2 == n { print $4; exit }' "$WS/pkgs.tsv"; }
urlpath_of() { awk -F'\t' -v n="$1" '$2 == n { print $5; exit }' "$WS/pkgs.tsv"; }

# write_lock OUT URLBASE [LOCKFILEVERSION]: a package-lock.json for WS/pkgs.tsv whose
# resolved URLs are URLBASE + urlpath.
write_lock() {
  "$PY" - "$WS/pkgs.tsv" "$1" "$2" "${3:-3}" <<'EOF'
import json, sys
tsv, out, base, lv = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
root = {"name": "fixture", "version": "1.0.0", "dependencies": {}}
packages = {"": root}
for line in open(tsv):
    loc, name, version, size, path, hexd, integrity = line.rstrip("\n").split("\t")
    if loc == "node_modules/" + name:
        root["dependencies"][name] = "^" + version
    packages[loc] = {"version": version, "resolved": base + path,
                     "integrity": integrity, "license": "MIT"}
lock = {"name": "fixture", "version": "1.0.0", "lockfileVersion": lv,
        "requires": True, "packages": packages}
if lv == 2:
    lock["dependencies"] = {}
json.dump(lock, open(out, "w"), indent=2)
EOF
}

# edit_json FILE PYTHON: run PYTHON with the parsed FILE as `j`, write it back.
edit_json() {
  "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(j, open(sys.argv[1], "w"), indent=2)' "$1" "$2"
}

# --- running hermetic ------------------------------------------------------------------

# snap ARGS...: hermetic snapshot ARGS with HOME=WS/home, stdout in WS/out, stderr in
# WS/err, the status in rc; bounded, so that a hang fails the case.
snap() {
  mkdir -p "$WS/home"
  # shellcheck disable=SC2086 # the wrapper is a command line on purpose
  HOME=$WS/home timeout -k 5 60 ${HERMETIC_WRAPPER:-} "$HERMETIC" snapshot "$@" \
    >"$WS/out" 2>"$WS/err" </dev/null
  rc=$?
}

# snap_expect STATUS WHAT ARGS...: snap ARGS and insist on STATUS.
snap_expect() {
  local want=$1 what=$2
  shift 2
  snap "$@"
  [ "$rc" = "$want" ] || {
    echo "hermetic snapshot $*"
    echo "--- stdout:"
    head -c 4000 "$WS/out"
    echo "--- stderr:"
    head -c 4000 "$WS/err"
    fail "$what: exit status $rc, want $want"
  }
}

# err_has [--] ERE WHAT: stderr of the last run matches ERE.
err_has() {
  [ "$1" = "--" ] && shift
  expect_match -- "$1" "$(cat "$WS/err")" "$2"
}

# failure_lines NAME VERSION: how many of stderr's lines report NAME@VERSION as failed.
failure_lines() {
  grep -cE "^hermetic snapshot fetch: $(re_quote "$1@$2") \(.+\): ." "$WS/err"
}

re_quote() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# --- checking the store ----------------------------------------------------------------

# check_store DIR [all]: every file under DIR/blobs/ hashes to its name and has its npm
# hard link (same inode); with "all", every artifact of WS/pkgs.tsv is there.
check_store() {
  "$PY" - "$1" "${2:-}" "$WS/pkgs.tsv" <<'EOF'
import hashlib, os, sys
snap, want_all, tsv = sys.argv[1], sys.argv[2] == "all", sys.argv[3]
problems, present = [], set()
for dirpath, dirs, files in os.walk(os.path.join(snap, "blobs")):
    for f in files:
        p = os.path.join(dirpath, f)
        algo = os.path.basename(dirpath)
        if os.path.dirname(dirpath) != os.path.join(snap, "blobs") or algo not in hashlib.algorithms_available:
            problems.append("unexpected file %s" % p)
            continue
        h = hashlib.new(algo, open(p, "rb").read()).hexdigest()
        if h != f:
            problems.append("%s hashes to %s" % (p, h))
            continue
        present.add(f)
        link = os.path.join(snap, "npm/_cacache/content-v2", algo, f[:2], f[2:4], f[4:])
        try:
            if os.stat(link).st_ino != os.stat(p).st_ino:
                problems.append("%s is not a hard link of %s" % (link, p))
        except OSError as e:
            problems.append("npm link %s: %s" % (link, e.strerror))
if want_all:
    for line in open(tsv):
        name, hexd = line.split("\t")[1], line.split("\t")[5]
        if hexd not in present:
            problems.append("%s (%s...) is not in the store" % (name, hexd[:16]))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
}

# blob_count DIR: files under DIR/blobs.
blob_count() { find "$1/blobs" -type f 2>/dev/null | wc -l; }

# in_store DIR HEX: anything for HEX under blobs/ or npm/?
in_store() {
  find "$1/blobs" "$1/npm" -type f 2>/dev/null | grep -qE "${2:0:2}/?${2:2:2}/?${2:4}$"
}

# check_manifest DIR: DIR/manifest.json lists exactly the artifacts of WS/pkgs.tsv, each
# with its name, version, size, sha512 digest, URL ending in its path, and every location
# it was installed at among its origins.
check_manifest() {
  "$PY" - "$1/manifest.json" "$WS/pkgs.tsv" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
want = {}
for line in open(sys.argv[2]):
    loc, name, version, size, path, hexd, integ = line.rstrip("\n").split("\t")
    w = want.setdefault(hexd, {"name": name, "version": version, "size": int(size),
                               "path": path, "locs": []})
    w["locs"].append(loc)
problems = []
if not isinstance(m.get("schema"), str):
    problems.append("no schema")
if "package-lock.json" not in json.dumps(m.get("inputs")):
    problems.append("inputs %r do not name the lockfile" % m.get("inputs"))
entries = m.get("entries", [])
if len(entries) != len(want):
    problems.append("%d entries, want %d" % (len(entries), len(want)))
for e in entries:
    w = want.get(e.get("digest"))
    if not w:
        problems.append("unexpected entry %r" % e)
        continue
    for k in ("name", "version", "size"):
        if e.get(k) != w[k]:
            problems.append("%s: %s is %r, want %r" % (w["name"], k, e.get(k), w[k]))
    if e.get("algo") != "sha512":
        problems.append("%s: algo %r" % (w["name"], e.get("algo")))
    if not str(e.get("url", "")).endswith(w["path"]):
        problems.append("%s: url %r does not end in %s" % (w["name"], e.get("url"), w["path"]))
    # purl-spec: a scope's "@" is percent-encoded (snapshot.h).
    purl = "pkg:npm/%s@%s" % (w["name"].replace("@", "%40", 1), w["version"])
    if e.get("purl") != purl:
        problems.append("%s: purl %r, want %r" % (w["name"], e.get("purl"), purl))
    if not str(e.get("blob", "")).endswith("sha512/" + e["digest"]):
        problems.append("%s: blob %r" % (w["name"], e.get("blob")))
    d = e["digest"]
    if not str(e.get("npm", "")).endswith("sha512/%s/%s/%s" % (d[:2], d[2:4], d[4:])):
        problems.append("%s: npm %r" % (w["name"], e.get("npm")))
    origins = e.get("origins", [])
    for loc in w["locs"]:
        if not any(o.endswith("package-lock.json:" + loc) for o in origins):
            problems.append("%s: origins %r lack %s" % (w["name"], origins, loc))
    if len(origins) != len(w["locs"]):
        problems.append("%s: origins %r, want %d" % (w["name"], origins, len(w["locs"])))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
}

# json_get FILE EXPR: evaluate EXPR with the parsed FILE as `j`, print it.
json_get() {
  "$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
