#!/bin/bash
# TAP: a real npm project (tests/snapshot-npm/project: 23 packages from the npm registry)
# is snapshotted with `hermetic snapshot fetch`, then built by `hermetic build --snapshot`
# running `npm ci --offline` and a real build step with the network denied; the
# provenance lists every package. Without the snapshot the same build fails. Needs node,
# npm and the real registry: skipped when any is missing.
. "$(dirname "$0")/../sandbox/lib.sh"
hm_init
PROJECT=$(cd "$(dirname "$0")/project" && pwd)
{ command -v node >/dev/null && command -v npm >/dev/null; } || skip_all "node and npm are not installed"
HM_PY=$(command -v python3) || skip_all "python3 is missing"
curl -fsS --max-time 15 -o /dev/null https://registry.npmjs.org/is-number ||
  skip_all "the npm registry (https://registry.npmjs.org) is unreachable from here"
plan

# One snapshot for the whole suite, fetched in the first case.
SNAP=$HM_WORK_BASE/npm-snapshot.$$
trap 'chmod -R u+rwX "$SNAP" 2>/dev/null; rm -rf "$SNAP"' EXIT

json() { "$HM_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# The lockfile's packages as "purl sha512hex", sorted: what the provenance must list.
lock_purls() {
  "$HM_PY" - "$PROJECT/package-lock.json" <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
out = set()
for key, p in d["packages"].items():
    if not key:
        continue
    name = p.get("name") or key.rsplit("node_modules/", 1)[1]
    algo, b64 = p["integrity"].split()[0].split("-", 1)
    purl = "pkg:npm/" + name.replace("@", "%40", 1) + "@" + p["version"]
    out.add(purl + " " + algo + ":" + base64.b64decode(b64).hex())
print("\n".join(sorted(out)))
PY
}

copy_project() { cp -r "$PROJECT/." "$WS/"; }

case_fetch() {
  out=$(hm_bounded 300 "$HERMETIC" snapshot fetch --into "$SNAP" "$PROJECT/package-lock.json" 2>&1)
  expect_rc 0 $? "snapshot fetch" "$out"
  n=$(lock_purls | wc -l)
  [ "$n" -ge 20 ] || fail "the fixture has only $n packages"
  expect_eq "$n" "$(json "$SNAP/manifest.json" 'len(d["entries"])')" "manifest entries"
  out=$("$HERMETIC" snapshot verify "$SNAP" 2>&1)
  expect_rc 0 $? "snapshot verify" "$out"
  # Another run fetches nothing.
  out=$("$HERMETIC" snapshot fetch --json --into "$SNAP" "$PROJECT/package-lock.json" 2>&1)
  expect_rc 0 $? "second fetch" "$out"
  expect_match '"fetched": 0' "$out" "the second fetch downloads nothing"
}

case_offline_build() {
  [ -f "$SNAP/manifest.json" ] || skip "the fetch case did not produce a snapshot"
  copy_project
  out=$(hm_bounded 300 "$HERMETIC" build --workspace "$WS" --snapshot "$SNAP" \
    --subject 'dist/*' -- sh -c 'npm ci --offline && npm run build' 2>&1)
  expect_rc 0 $? "hermetic build --snapshot ... npm ci --offline && npm run build" "$out"
  expect_match 'added 23 packages' "$out" "npm installed every package from the snapshot"
  expect_eq "1.2.3" "$(cat dist/version.txt)" "the build step ran"
  grep -q '<strong>hermetic vendor snapshot</strong>' dist/index.html || fail "marked did not render the page"
  s=hermetic.statement.json
  got=$(json "$s" '"\n".join(sorted(x["uri"] + " " + next(iter(x["digest"].items()))[0] + ":" + next(iter(x["digest"].values())) for x in d["predicate"]["buildDefinition"]["resolvedDependencies"] if x["uri"].startswith("pkg:npm/")))')
  expect_eq "$(lock_purls)" "$got" "the provenance lists every package with its digest"
  expect_eq "$(sha256sum <"$SNAP/manifest.json" | cut -d' ' -f1)" \
    "$(json "$s" 'd["predicate"]["buildDefinition"]["externalParameters"]["snapshot"]["digest"]["sha256"]')" \
    "the snapshot manifest's digest is an external parameter"
  expect_eq "https://registry.npmjs.org/yargs/-/yargs-17.7.2.tgz" \
    "$(json "$s" '[x["downloadLocation"] for x in d["predicate"]["buildDefinition"]["resolvedDependencies"] if x["uri"] == "pkg:npm/yargs@17.7.2"][0]')" \
    "downloadLocation"
}

case_no_snapshot_fails() {
  copy_project
  out=$(hm_bounded 300 "$HERMETIC" build --workspace "$WS" --timeout 240 \
    --subject 'dist/*' -- sh -c 'npm ci --fetch-retries=0 && npm run build' 2>&1)
  rc=$?
  [ "$rc" -ne 0 ] || fail "the build without a snapshot succeeded: the network was reachable"
  [ ! -e dist/index.html ] || fail "the build step ran without its dependencies"
  [ ! -e hermetic.intoto.jsonl ] || fail "provenance written for a failed build"
  expect_match 'E(NOTFOUND|AI_AGAIN|CONNREFUSED|NETUNREACH|NOTCACHED)|network' "$out" "npm says it has no network"
}

case_snapshot_is_read_only() {
  [ -f "$SNAP/manifest.json" ] || skip "the fetch case did not produce a snapshot"
  out=$(hm_bounded 60 "$HERMETIC" run --workspace "$WS" --snapshot "$SNAP" -- \
    sh -c "echo x >'$SNAP/manifest.json' || echo refused; f=\$(ls '$SNAP'/blobs/sha512 | head -n1); echo x >>'$SNAP/blobs/sha512/'\$f || echo refused2" 2>&1)
  expect_rc 0 $? "run --snapshot" "$out"
  expect_match 'refused' "$out" "the manifest cannot be written"
  expect_match 'refused2' "$out" "a blob cannot be written"
  out=$("$HERMETIC" snapshot verify "$SNAP" 2>&1)
  expect_rc 0 $? "verify after the build" "$out"
}

case_not_a_snapshot() {
  mkdir notsnap
  out=$("$HERMETIC" run --workspace "$WS" --snapshot "$WS/notsnap" -- true 2>&1)
  expect_rc 125 $? "run --snapshot on a directory without a manifest" "$out"
  expect_match -- '--snapshot' "$out" "the message names the option"
}

run_case "snapshot fetch of a real 23-package lockfile from the npm registry" case_fetch
run_case "build --snapshot: npm ci --offline and the build step, network denied; every package in the provenance" case_offline_build
run_case "the same build without --snapshot fails: no network in the sandbox" case_no_snapshot_fails
run_case "the snapshot is read-only inside and intact after the build" case_snapshot_is_read_only
run_case "--snapshot on a directory that is not a snapshot: exit 125 naming the option" case_not_a_snapshot
hm_finish
