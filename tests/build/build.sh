#!/bin/bash
# TAP: `hermetic build` against the real binary — provenance written only for a build
# that succeeded and met its pins, never through a path the build planted, with digests
# taken after every process of the build is dead.
. "$(dirname "$0")/../sandbox/lib.sh"
hm_init
need_python_all() { [ -n "$HM_PY" ] || skip_all "python3 is missing"; }
need_python_all

# build ARGS...: hermetic build in the case's workspace.
build() { hm_bounded "$HM_LIMIT" "$HERMETIC" build --workspace "$WS" "$@"; }

# json FILE EXPR: print a Python expression over the parsed JSON file `d`.
json() { "$HM_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# The statement inside the envelope (base64 payload), written to FILE.
payload_of() {
  "$HM_PY" -c 'import json,sys,base64
e=json.loads(open(sys.argv[1]).read().splitlines()[0])
open(sys.argv[2],"wb").write(base64.b64decode(e["payload"]))' "$1" "$2"
}

no_provenance() {
  local f
  for f in hermetic.intoto.jsonl hermetic.statement.json hermetic.predicate.json hermetic.sha256; do
    { [ ! -e "$WS/$f" ] && [ ! -L "$WS/$f" ]; } || fail "$f was written"
  done
}

case_writes_provenance() {
  mkdir -p src
  printf 'int main(void){return 0;}\n' >src/a.c
  out=$(build --subject 'dist/*.bin' --subject 'dist/sub/**' -- sh -c \
    'mkdir -p dist/sub/deep && printf one >dist/b.bin && printf two >dist/a.bin && printf three >dist/sub/deep/c.txt && echo to-stdout && echo to-stderr >&2' 2>&1)
  expect_rc 0 $? "hermetic build" "$out"
  expect_match 'to-stdout' "$out" "the build's stdout reaches the console"
  expect_match 'to-stderr' "$out" "the build's stderr reaches the console"
  for f in hermetic.intoto.jsonl hermetic.statement.json hermetic.predicate.json hermetic.sha256 hermetic.log; do
    [ -f "$f" ] || fail "$f missing"
  done
  [ "$(wc -l <hermetic.intoto.jsonl)" -eq 1 ] || fail "the provenance is not one line"
  payload_of hermetic.intoto.jsonl "$CASE_DIR/payload.json"
  cmp -s "$CASE_DIR/payload.json" hermetic.statement.json || fail "statement.json differs from the payload bytes"
  expect_eq "application/vnd.in-toto+json" "$(json hermetic.intoto.jsonl 'd["payloadType"]')" "payloadType"
  expect_eq "[]" "$(json hermetic.intoto.jsonl 'd["signatures"]')" "unsigned envelope"
  s=hermetic.statement.json
  expect_eq "https://in-toto.io/Statement/v1" "$(json "$s" 'd["_type"]')" "_type"
  expect_eq "https://slsa.dev/provenance/v1" "$(json "$s" 'd["predicateType"]')" "predicateType"
  expect_eq "dist/a.bin dist/b.bin dist/sub/deep/c.txt" "$(json "$s" '" ".join(x["name"] for x in d["subject"])')" "subjects sorted"
  expect_eq "$(printf two | sha256sum | cut -d' ' -f1)" "$(json "$s" 'd["subject"][0]["digest"]["sha256"]')" "subject digest"
  expect_eq "https://hermetic.dev/buildtypes/sandboxed-build/v1" "$(json "$s" 'd["predicate"]["buildDefinition"]["buildType"]')" "buildType"
  p='d["predicate"]["buildDefinition"]'
  expect_eq "['sh', '-c']" "$(json "$s" "$p"'["externalParameters"]["command"][:2]')" "command recorded"
  expect_eq "['dist/*.bin', 'dist/sub/**']" "$(json "$s" "$p"'["externalParameters"]["subjects"]')" "patterns recorded"
  expect_eq "none" "$(json "$s" "$p"'["internalParameters"]["isolation"]["network"]["policy"]')" "isolation: network none"
  expect_eq "enforce" "$(json "$s" "$p"'["internalParameters"]["isolation"]["seccomp"]["mode"]')" "isolation: seccomp enforced"
  expect_eq "False" "$(json "$s" "'timings_ms' in $p"'["internalParameters"]["isolation"]')" "no timings in the claim"
  r='d["predicate"]["runDetails"]'
  expect_eq "https://hermetic.dev/builders/local/v1" "$(json "$s" "$r"'["builder"]["id"]')" "local builder id"
  expect_eq "$(sha256sum <"$HERMETIC" | cut -d' ' -f1)" "$(json "$s" "$r"'["builder"]["builderDependencies"][0]["digest"]["sha256"]')" "hermetic's own digest"
  expect_eq "$(sha256sum <hermetic.log | cut -d' ' -f1)" "$(json "$s" "$r"'["byproducts"][0]["digest"]["sha256"]')" "log digest"
  expect_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(json "$s" "$r"'["metadata"]["startedOn"]')" "startedOn RFC 3339"
  expect_match '^[0-9a-f]{8}-[0-9a-f]{4}-4' "$(json "$s" "$r"'["metadata"]["invocationId"]')" "local invocationId"
  { grep -q to-stdout hermetic.log && grep -q to-stderr hermetic.log; } || fail "the log lacks the build's output"
  "$HM_PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))["predicate"]; sys.exit(a!=b)' \
    hermetic.predicate.json hermetic.statement.json || fail "predicate.json is not the statement's predicate"
  sha256sum -c --quiet hermetic.sha256 || fail "sha256sum -c rejects hermetic.sha256"
  expect_eq 3 "$(wc -l <hermetic.sha256)" "one pin line per subject"
}

case_failed_build() {
  # An earlier build's provenance must not survive next to this build's outputs.
  for f in hermetic.intoto.jsonl hermetic.statement.json hermetic.predicate.json hermetic.sha256; do
    echo stale >"$f"
  done
  out=$(build --subject out -- sh -c 'echo partial >out; exit 3' 2>&1)
  expect_rc 3 $? "a failing command's status" "$out"
  expect_match 'no provenance written' "$out" "says why"
  no_provenance
}

case_killed_build() {
  out=$(build --timeout 1 --subject out -- sh -c 'echo x >out; sleep 30' 2>&1)
  expect_rc 124 $? "timed out" "$out"
  no_provenance
}

case_signal_build() {
  out=$(build --subject out -- sh -c 'echo x >out; kill -9 $$' 2>&1)
  expect_rc 137 $? "killed by SIGKILL" "$out"
  no_provenance
}

case_expect() {
  printf 'hello\n' >"$CASE_DIR/want"
  (cd "$CASE_DIR" && sha256sum want | sed 's/want$/out.txt/') >"$CASE_DIR/pins"
  out=$(build --expect "$CASE_DIR/pins" --subject out.txt -- sh -c 'echo hello >out.txt' 2>&1)
  expect_rc 0 $? "matching pin" "$out"
  rm -f hermetic.*
  out=$(build --expect "$CASE_DIR/pins" --subject out.txt -- sh -c 'echo tampered >out.txt' 2>&1)
  expect_rc 1 $? "pin mismatch" "$out"
  expect_match "out.txt" "$out" "names the subject"
  expect_match 'no provenance written' "$out" "says no provenance"
  no_provenance
}

# The pins are read before the command runs: a build that rewrites a pins file inside
# the workspace to match its output still fails.
case_expect_read_before() {
  printf '%s  out.txt\n' "$(printf 'good\n' | sha256sum | cut -d' ' -f1)" >pins
  out=$(build --expect pins --subject out.txt -- sh -c \
    'echo evil >out.txt; sha256sum out.txt >pins' 2>&1)
  expect_rc 1 $? "pins rewritten by the build" "$out"
  no_provenance
}

case_expect_bad_file() {
  printf 'not a pin line\n' >"$CASE_DIR/pins"
  out=$(build --expect "$CASE_DIR/pins" --subject out -- sh -c 'touch ran; echo >out' 2>&1)
  expect_rc 125 $? "malformed pins" "$out"
  expect_match "pins" "$out" "names the file"
  [ ! -e ran ] || fail "the command ran although --expect was unusable"
}

case_subject_missing() {
  out=$(build --subject 'dist/*.tar.gz' -- true 2>&1)
  expect_rc 1 $? "pattern matching nothing" "$out"
  expect_match 'dist/\*\.tar\.gz' "$out" "names the pattern"
  no_provenance
}

case_subject_symlink_outside() {
  echo secret >"$CASE_DIR/outside"
  chmod 644 "$CASE_DIR/outside"
  out=$(build --subject 'link' -- ln -s "$CASE_DIR/outside" link 2>&1)
  expect_rc 1 $? "a symlink leading outside" "$out"
  expect_match "link" "$out" "names the subject"
  no_provenance
  out=$(build --subject 'up' -- ln -s ../outside up 2>&1)
  expect_rc 1 $? "a relative symlink leading outside" "$out"
  no_provenance
}

case_subject_not_regular() {
  out=$(build --subject 'fifo' -- mkfifo fifo 2>&1)
  expect_rc 1 $? "a fifo as a subject" "$out"
  expect_match "fifo" "$out" "names it"
  no_provenance
}

# A planted symlink at each output name is replaced, never written through.
case_planted_symlinks() {
  touch "$CASE_DIR/target"
  chmod 666 "$CASE_DIR/target"
  out=$(build --subject out -- sh -c "echo ok >out; for f in hermetic.intoto.jsonl hermetic.statement.json hermetic.predicate.json hermetic.sha256 hermetic.log; do ln -sf '$CASE_DIR/target' \$f; done" 2>&1)
  expect_rc 0 $? "build planting symlinks" "$out"
  [ ! -s "$CASE_DIR/target" ] || fail "an output was written through a planted symlink"
  for f in hermetic.intoto.jsonl hermetic.statement.json hermetic.predicate.json hermetic.sha256 hermetic.log; do
    { [ -f "$f" ] && [ ! -L "$f" ]; } || fail "$f is not a regular file"
  done
}

case_planted_dir_symlink() {
  mkdir -p "$CASE_DIR/elsewhere" out
  chmod 777 "$CASE_DIR/elsewhere" out
  out=$(build --provenance out/p.intoto.jsonl --subject f -- sh -c \
    "echo x >f; rmdir out && ln -s '$CASE_DIR/elsewhere' out" 2>&1)
  rc=$?
  [ "$rc" -ne 0 ] || fail "provenance written although its directory became a symlink"
  [ -z "$(ls -A "$CASE_DIR/elsewhere")" ] || fail "wrote through the planted directory symlink: $(ls "$CASE_DIR/elsewhere")"
}

case_planted_directory() {
  out=$(build --subject f -- sh -c 'echo x >f; mkdir hermetic.intoto.jsonl' 2>&1)
  expect_rc 125 $? "a directory at the provenance path" "$out"
  expect_match 'directory' "$out" "says a directory is in the way"
}

# A process the build leaves behind cannot change a subject after the digest: every
# process is dead before hermetic reads the outputs.
# While the build runs, the log being written has no name it could rename or replace.
case_log_unnamed_during_build() {
  # shellcheck disable=SC2016 # $f is for the build's shell
  out=$(build --subject listing -- sh -c 'echo hello; ls -a >listing; for f in .hermetic*; do [ -e "$f" ] && echo evil >"$f"; done; true' 2>&1)
  expect_rc 0 $? "build" "$out"
  expect_nomatch 'hermetic' "$(cat listing)" "no temporary file of hermetic's in the workspace"
  expect_eq "$(sha256sum <hermetic.log | cut -d' ' -f1)" "$(json hermetic.statement.json 'd["predicate"]["runDetails"]["byproducts"][0]["digest"]["sha256"]')" "the log matches its digest"
  expect_eq "hello" "$(cat hermetic.log)" "the log holds the build's output"
}

case_background_rewrite() {
  out=$(build --subject out.txt -- sh -c \
    'echo good >out.txt; setsid sh -c "sleep 0.5; echo evil >out.txt" </dev/null >/dev/null 2>&1 & exit 0' 2>&1)
  expect_rc 0 $? "build with a straggler" "$out"
  sleep 1.5
  expect_eq good "$(cat out.txt)" "the straggler was killed before it wrote"
  expect_eq "$(sha256sum <out.txt | cut -d' ' -f1)" "$(json hermetic.statement.json 'd["subject"][0]["digest"]["sha256"]')" "digest of the final file"
}

case_source_from_git() {
  command -v git >/dev/null || skip "git is missing"
  { git init -q -b main . && git -c user.email=t@e -c user.name=t commit -q --allow-empty -m init; } || fail "git init"
  git remote add origin https://x-access-token:SECRET@example.com/o/r.git
  head=$(git rev-parse HEAD)
  out=$(build --subject out -- sh -c 'echo x >out; echo 0000000000000000000000000000000000000000 >.git/refs/heads/main' 2>&1)
  expect_rc 0 $? "build in a checkout" "$out"
  s=hermetic.statement.json
  expect_eq "git+https://example.com/o/r.git@refs/heads/main" "$(json "$s" 'd["predicate"]["buildDefinition"]["externalParameters"]["source"]["uri"]')" "source uri without the token"
  expect_eq "$head" "$(json "$s" 'd["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"]')" "the commit before the build ran"
  expect_nomatch SECRET "$(cat "$s")" "the token is nowhere"
}

case_source_git_symlink() {
  mkdir -p .git/refs/heads
  echo 'ref: refs/heads/main' >.git/HEAD
  printf '%s\n' 0123456789abcdef0123456789abcdef01234567 >"$CASE_DIR/fake"
  ln -s "$CASE_DIR/fake" .git/refs/heads/main
  out=$(build --subject out -- sh -c 'echo x >out' 2>&1)
  expect_rc 0 $? "build" "$out"
  expect_eq "None" "$(json hermetic.statement.json 'd["predicate"]["buildDefinition"]["externalParameters"].get("source",{}).get("digest")')" "a symlinked ref is not followed"
}

case_github_context() {
  out=$(env GITHUB_ACTIONS=true GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=o/r \
    GITHUB_REF=refs/tags/v1 GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 GITHUB_RUN_ID=42 \
    GITHUB_RUN_ATTEMPT=2 GITHUB_WORKFLOW_REF=o/r/.github/workflows/rel.yml@refs/tags/v1 \
    GITHUB_EVENT_NAME=push RUNNER_ENVIRONMENT=github-hosted ACTIONS_ID_TOKEN_REQUEST_TOKEN=tok-SECRET \
    "$HERMETIC" build --workspace "$WS" --subject out -- sh -c 'env >out' 2>&1)
  expect_rc 0 $? "build on GitHub" "$out"
  s=hermetic.statement.json
  b='d["predicate"]["buildDefinition"]'
  expect_eq "git+https://github.com/o/r@refs/tags/v1" "$(json "$s" "$b"'["externalParameters"]["source"]["uri"]')" "source uri"
  expect_eq "{'ref': 'refs/tags/v1', 'repository': 'https://github.com/o/r', 'path': '.github/workflows/rel.yml'}" \
    "$(json "$s" "$b"'["externalParameters"]["workflow"]')" "workflow"
  expect_eq "https://github.com/o/r/actions/runs/42/attempts/2" "$(json "$s" 'd["predicate"]["runDetails"]["metadata"]["invocationId"]')" "invocationId"
  expect_eq "https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v1" "$(json "$s" 'd["predicate"]["runDetails"]["builder"]["id"]')" "builder id"
  expect_eq "push" "$(json "$s" "$b"'["internalParameters"]["github"]["event_name"]')" "event name"
  expect_nomatch 'SECRET' "$(cat out "$s")" "no token in the build or the statement"
}

case_env_recorded() {
  # shellcheck disable=SC2016 # $FOO is for the build's shell
  out=$(PASSME=hidden-value build --env FOO=bar --pass-env PASSME --subject out -- sh -c 'echo $FOO >out' 2>&1)
  expect_rc 0 $? "build" "$out"
  expect_eq "{'FOO': 'bar'}" "$(json hermetic.statement.json 'd["predicate"]["buildDefinition"]["externalParameters"]["env"]')" "--env recorded"
  expect_eq "['PASSME']" "$(json hermetic.statement.json 'd["predicate"]["buildDefinition"]["externalParameters"]["passEnv"]')" "--pass-env names"
  expect_nomatch 'hidden-value' "$(cat hermetic.statement.json)" "--pass-env values not recorded"
}

case_sign_and_verify() {
  command -v openssl >/dev/null || skip "openssl is missing"
  openssl genpkey -algorithm ed25519 -out key.pem 2>/dev/null || fail "openssl genpkey"
  openssl pkey -in key.pem -pubout -out "$CASE_DIR/pub.pem" 2>/dev/null
  chmod 644 key.pem
  out=$(build --sign-key key.pem --subject out -- sh -c 'cat key.pem >out 2>&1; echo done >>out' 2>&1)
  expect_rc 0 $? "signed build" "$out"
  expect_nomatch 'PRIVATE KEY' "$(cat out)" "the key is hidden from the build"
  expect_eq 1 "$(json hermetic.intoto.jsonl 'len(d["signatures"])')" "one signature"
  out=$("$HERMETIC" verify --key "$CASE_DIR/pub.pem" --artifact out --require-hermetic hermetic.intoto.jsonl 2>&1)
  expect_rc 0 $? "hermetic verify" "$out"
  echo x >>out
  out=$("$HERMETIC" verify --key "$CASE_DIR/pub.pem" --artifact out hermetic.intoto.jsonl 2>&1)
  expect_rc 1 $? "verify with a changed artifact" "$out"
}

case_bad_options() {
  out=$(build -- true 2>&1)
  expect_rc 125 $? "no --subject" "$out"
  expect_match '[-]-subject' "$out" "names the option"
  out=$(build --subject x --source-digest sha1:abc -- true 2>&1)
  expect_rc 125 $? "bad --source-digest" "$out"
  expect_match '[-]-source-digest' "$out" "names the option"
  out=$(build --subject x --sign-key /nonexistent/key.pem -- touch ran 2>&1)
  expect_rc 125 $? "missing --sign-key" "$out"
  expect_match 'key[.]pem' "$out" "names the key"
  [ ! -e ran ] || fail "the command ran although the key was unusable"
  out=$(build --subject x --provenance /nonexistent/dir/p.intoto.jsonl -- touch ran 2>&1)
  expect_rc 125 $? "provenance directory missing" "$out"
  [ ! -e ran ] || fail "the command ran although the provenance could not be written"
  out=$("$HERMETIC" build --help)
  expect_rc 0 $? "--help"
  expect_match '[-]-expect FILE' "$out" "help lists --expect"
}

plan
run_case "build writes the envelope, statement, predicate, pins and log" case_writes_provenance
run_case "a failing command writes no provenance (and removes an earlier one) and keeps its status" case_failed_build
run_case "a timed-out command writes no provenance (124)" case_killed_build
run_case "a command killed by a signal writes no provenance (128+N)" case_signal_build
run_case "--expect: a match passes, a mismatch exits 1 with no provenance" case_expect
run_case "--expect is read before the build: rewriting it does not help" case_expect_read_before
run_case "an unusable --expect file stops before the command runs" case_expect_bad_file
run_case "a subject pattern matching nothing fails naming it" case_subject_missing
run_case "subjects that are symlinks leading outside the workspace are refused" case_subject_symlink_outside
run_case "a subject that is not a regular file is refused" case_subject_not_regular
run_case "outputs are never written through symlinks the build planted" case_planted_symlinks
run_case "a provenance directory replaced by a symlink is not written through" case_planted_dir_symlink
run_case "a directory planted at the provenance path fails cleanly" case_planted_directory
run_case "a background process cannot change a subject after the command exits" case_background_rewrite
run_case "the build log has no name the build could swap while it runs" case_log_unnamed_during_build
run_case "the source comes from .git before the build, without the URL's token" case_source_from_git
run_case "a symlink inside .git is not followed" case_source_git_symlink
run_case "on GitHub Actions: workflow, invocation, builder and source" case_github_context
run_case "--env is recorded; --pass-env values are not" case_env_recorded
run_case "--sign-key: the key is hidden from the build; hermetic verify accepts" case_sign_and_verify
run_case "bad options exit 125 naming the option, before the command runs" case_bad_options
hm_finish
