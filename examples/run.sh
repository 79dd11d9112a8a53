#!/usr/bin/env bash
# The main job, end to end, on the bundled example (examples/hello):
#   1. install the dependencies and build hermetic;
#   2. build the example with `hermetic build` (network denied) in a fresh workspace: the
#      artifact's digest goes into in-toto SLSA v1 provenance, signed with a throwaway
#      Ed25519 key, with the isolation report inside;
#   3. verify the provenance offline with `hermetic verify` (signature, artifact digest,
#      the isolation claim), show that a tampered artifact is rejected, and show the
#      artifact's sha256 and the key lines of the isolation report;
#   4. show that the build really had no network: a listener on the host's loopback is
#      reachable from the host and unreachable from inside the sandbox;
#   5. build again in a second fresh workspace and check the tarball is bit-for-bit the same.
# Exits non-zero if any step fails. Run from anywhere: `bash examples/run.sh`.
# Environment: HERMETIC_BUILD_DIR (default build), HERMETIC_EXAMPLE_OUT (default
# build-example/ in the repository, which .gitignore covers).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
builddir=${HERMETIC_BUILD_DIR:-build}
out=${HERMETIC_EXAMPLE_OUT:-$repo/build-example}
hermetic=$builddir/cli/hermetic
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

step "Installing dependencies"
bash scripts/install-deps.sh

step "Building hermetic in $builddir/"
if [[ ! -f $builddir/build.ninja ]]; then
  meson setup "$builddir" >/dev/null
fi
ninja -C "$builddir" >/dev/null
"$hermetic" --version

rm -rf "$out"
mkdir -p "$out"

# A fresh workspace holding only the example's sources.
new_workspace() {
  rm -rf "$1"
  mkdir -p "$1"
  cp -R examples/hello/. "$1/"
}

step "A throwaway signing key (Ed25519), outside the workspace"
openssl genpkey -algorithm ed25519 -out "$out/signing.key.pem" 2>/dev/null
openssl pkey -in "$out/signing.key.pem" -pubout -out "$out/signing.pub.pem"
echo "public key: $out/signing.pub.pem"

step "Building examples/hello inside the sandbox (network denied), with provenance"
ws=$out/ws
new_workspace "$ws"
prov=$out/hello.intoto.jsonl
echo "+ hermetic build --workspace $ws --subject hello.tar.gz --sign-key $out/signing.key.pem --provenance $prov --report $out/report.json -- make all check"
"$hermetic" build --workspace "$ws" --subject hello.tar.gz --sign-key "$out/signing.key.pem" \
  --provenance "$prov" --report "$out/report.json" -- make all check \
  || fail "the sandboxed build failed (exit $?)"
[[ -f $ws/hello.tar.gz ]] || fail "no artifact: $ws/hello.tar.gz"
[[ -f $prov ]] || fail "no provenance: $prov"

step "Verifying the provenance offline"
echo "+ hermetic verify --key $out/signing.pub.pem --artifact $ws/hello.tar.gz --require-hermetic $prov"
"$hermetic" verify --key "$out/signing.pub.pem" --artifact "$ws/hello.tar.gz" --require-hermetic "$prov" \
  || fail "hermetic verify rejected the provenance"
cp "$ws/hello.tar.gz" "$out/tampered.tar.gz"
printf 'x' >>"$out/tampered.tar.gz"
set +e
"$hermetic" verify --key "$out/signing.pub.pem" --artifact "$out/tampered.tar.gz" "$prov"
rc=$?
set -e
((rc == 1)) || fail "a tampered artifact was not rejected (exit $rc)"
echo "a tampered copy of the artifact: rejected (exit 1), as it must be"
python3 - "$out/hello.statement.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p = s["predicate"]
print("subject:      " + ", ".join(f"{x['name']} sha256:{x['digest']['sha256'][:16]}…" for x in s["subject"]))
print("buildType:    " + p["buildDefinition"]["buildType"])
print("builder.id:   " + p["runDetails"]["builder"]["id"])
print("command:      " + " ".join(p["buildDefinition"]["externalParameters"]["command"]))
PY

step "Artifacts"
(cd "$ws" && sha256sum hello hello.tar.gz)
owner=$(stat -c %u "$ws")
artifact_owner=$(stat -c %u "$ws/hello.tar.gz")
echo "owner on the host: uid $artifact_owner (workspace owner: uid $owner)"
[[ $artifact_owner == "$owner" ]] || fail "the artifact is not owned by the workspace's owner"

step "Isolation report ($out/report.json), key lines"
python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ns = r["namespaces"]
print("namespaces:   " + " ".join(k for k in sorted(ns) if ns[k]))
i = r["identity"]
print(f"identity:     uid {i['uid']} gid {i['gid']} inside, host uid {i['host_uid']} "
      f"({i['mode']}), workspace idmapped: {str(i['workspace_idmapped']).lower()}")
n = r["network"]
ifs = ", ".join(f"{x['name']} ({' '.join(x.get('addresses', []))})" for x in n["interfaces"])
print(f"network:      policy {n['policy']}; interfaces: {ifs}")
s = r["seccomp"]
print(f"seccomp:      {s['profile']}, {s['instructions']} BPF instructions, sha256 {s['bpf_sha256']}")
caps = r["capabilities"]
print("capabilities: " + ("none" if not any(caps.values()) else json.dumps(caps)))
print(f"no_new_privs: {str(r['no_new_privs']).lower()}, new session: {str(r['new_session']).lower()}")
print("environment:  " + " ".join(r["environment"]))
ok = (n["policy"] == "none" and [x["name"] for x in n["interfaces"]] == ["lo"]
      and not any(caps.values()) and r["no_new_privs"] and ns.get("net") and ns.get("user"))
sys.exit(0 if ok else "report does not show the expected isolation")
PY

step "No network inside: a listener on the host's 127.0.0.1"
portfile=$out/listener.port
# Bounded: it gives up after 30 s whatever happens. It counts the connections it accepts
# until one says STOP.
python3 - "$portfile" >"$out/listener.count" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
s.settimeout(1)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
n, deadline = 0, time.time() + 30
while time.time() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(1)
    try:
        data = c.recv(16)
    except OSError:
        data = b""
    c.close()
    if data.startswith(b"STOP"):
        break
    n += 1
print(n)
PY
listener=$!
for _ in $(seq 50); do [[ -s $portfile ]] && break; sleep 0.1; done
[[ -s $portfile ]] || fail "the test listener did not start"
port=$(cat "$portfile")

bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" || fail "the host cannot reach its own listener"
echo "host:    connect 127.0.0.1:$port -> connected"
set +e
"$hermetic" run --workspace "$ws" -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>"$out/net.err"
rc=$?
set -e
echo "sandbox: connect 127.0.0.1:$port -> exit $rc: $(head -n 1 "$out/net.err")"
ifaces=$("$hermetic" run --workspace "$ws" -- cat /proc/net/dev | awk -F: 'NR > 2 { gsub(/ /, "", $1); printf "%s ", $1 }')
echo "sandbox: network interfaces: $ifaces"
[[ $ifaces == "lo " ]] || fail "the sandbox sees interfaces other than lo: $ifaces"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf STOP >&3" || true
wait "$listener" || true
accepted=$(cat "$out/listener.count")
((rc != 0)) || fail "the sandbox reached the host's loopback"
[[ $accepted == 1 ]] || fail "the listener accepted $accepted connections, expected 1 (the host's)"
echo "the listener saw exactly one connection: the host's"

step "Reproducibility: a second build in another fresh workspace"
ws2=$out/ws2
new_workspace "$ws2"
"$hermetic" run --workspace "$ws2" -- make >/dev/null || fail "the second build failed"
d1=$(sha256sum <"$ws/hello.tar.gz" | cut -d' ' -f1)
d2=$(sha256sum <"$ws2/hello.tar.gz" | cut -d' ' -f1)
echo "first:  $d1"
echo "second: $d2"
[[ $d1 == "$d2" ]] || fail "the two builds differ"

step "OK: built examples/hello with the network denied; signed provenance verified; artifact sha256 $d1"
