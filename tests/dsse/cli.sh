#!/bin/bash
# hermetic sign / hermetic verify against the real binary: exit codes 0/1/2 and the
# messages that name the problem, policy flags, --format json, JSON Lines, appending
# signatures, and -o's atomic, symlink-safe write.
# shellcheck source=tests/dsse/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "the openssl command is missing"

for k in p256:p256 p384:p384 ed:ed25519 rsa:rsa p521:p521 k1:secp256k1; do
  genkey "${k%%:*}" "${k#*:}" || skip_all "openssl cannot generate a ${k#*:} key"
done
openssl pkcs8 -topk8 -in "$W/p256.pem" -passout pass:secret -out "$W/enc.pem" 2>/dev/null
printf 'app contents\n' >"$W/app.tar.gz"
printf 'something else\n' >"$W/other.bin"
"$PY" "$STATEMENT_PY" --subject dist/app.tar.gz="$W/app.tar.gz" >"$W/st.json"
BUILDER=https://hermetic.dev/builders/local/v1
no_escape() { ! grep -q $'\x1b' "$1"; }

# --- help and usage -------------------------------------------------------------------
expect 0 "sign --help: usage on stdout, exit 0" "Usage: hermetic sign --key KEY.pem" sign --help
expect 0 "verify -h: usage on stdout, exit 0" "Usage: hermetic verify" verify -h
check "verify --help documents the JSON fields and exit codes" grep -q 'envelopes   \[{"line"' "$W/out"
expect 2 "sign without --key: usage error" "--key KEY.pem is required" sign "$W/st.json"
expect 2 "verify without --key: exit 2" "missing --key" verify "$W/st.json"
expect 2 "verify with an unknown option: exit 2" "unknown option '--bogus'" verify --bogus --key "$W/p256.pub" x
expect 2 "verify --format yaml: exit 2" "--format 'yaml'" verify --format yaml --key "$W/p256.pub" x

# --- sign a statement, verify it ------------------------------------------------------
expect 0 "sign a statement with a P-256 key" "" sign --key "$W/p256.pem" "$W/st.json"
cp "$W/out" "$W/p256.jsonl"
(cd "$W" && "$HERMETIC" sign --key p256.pem -o - st.json >"$W/dash.jsonl" 2>/dev/null)
# shellcheck disable=SC2016 # $1 is for the sh -c child
check "sign -o - writes to standard output, not to a file named -" \
  sh -c 'test -s "$1/dash.jsonl" && test ! -e "$1/-"' _ "$W"
check "the output is one envelope line" test "$(wc -l <"$W/p256.jsonl")" -eq 1
"$PY" -c 'import base64,json,sys; e=json.load(open(sys.argv[1])); open(sys.argv[2],"wb").write(base64.b64decode(e["payload"]))' \
  "$W/p256.jsonl" "$W/payload.bin"
check "the payload is the statement file's exact bytes" cmp -s "$W/payload.bin" "$W/st.json"
KEYID=$(openssl pkey -pubin -in "$W/p256.pub" -outform DER 2>/dev/null | sha256sum | cut -c1-64)
check "keyid is sha256 of the SPKI DER" grep -q "\"keyid\":\"$KEYID\"" "$W/p256.jsonl"
expect 0 "verify with the signer's public key" \
  "verified: $W/p256.jsonl: signature by $KEYID, 1 subject, builder $BUILDER" \
  verify --key "$W/p256.pub" "$W/p256.jsonl"
expect 0 "verify with the right key among others" "" verify --key "$W/ed.pub" --key "$W/p384.pub" --key "$W/p256.pub" "$W/p256.jsonl"
expect 0 "verify reads standard input" "verified: standard input" verify --key "$W/p256.pub" - <"$W/p256.jsonl"

# --- rejected: exit 1 -----------------------------------------------------------------
edit "$W/p256.jsonl" "$W/t-payload.jsonl" 'p = bytearray(b64d(e["payload"])); p[40] ^= 1; e["payload"] = b64e(bytes(p))'
expect 1 "tampered payload: rejected" "none of the envelope's 1 signature verifies" verify --key "$W/p256.pub" "$W/t-payload.jsonl"
edit "$W/p256.jsonl" "$W/t-type.jsonl" 'e["payloadType"] = "application/vnd.in-toto+jsom"'
expect 1 "tampered payloadType: rejected" "signature verifies" verify --key "$W/p256.pub" "$W/t-type.jsonl"
edit "$W/p256.jsonl" "$W/t-sig.jsonl" 's = bytearray(b64d(e["signatures"][0]["sig"])); s[-3] ^= 1; e["signatures"][0]["sig"] = b64e(bytes(s))'
expect 1 "tampered signature: rejected" "signature verifies" verify --key "$W/p256.pub" "$W/t-sig.jsonl"
expect 1 "wrong key: rejected" "with the 2 keys given" verify --key "$W/p384.pub" --key "$W/ed.pub" "$W/p256.jsonl"
edit "$W/p256.jsonl" "$W/unsigned.jsonl" 'e["signatures"] = []'
expect 1 "unsigned envelope: rejected" "no signatures (unsigned)" verify --key "$W/p256.pub" "$W/unsigned.jsonl"
expect 1 "wrong artifact: rejected" "artifact $W/other.bin (sha256 $(sha256sum <"$W/other.bin" | cut -c1-64)) matches no subject" \
  verify --key "$W/p256.pub" --artifact "$W/other.bin" "$W/p256.jsonl"
expect 0 "right artifact: verified" "" verify --key "$W/p256.pub" --artifact "$W/app.tar.gz" "$W/p256.jsonl"
expect 1 "one right and one wrong artifact: rejected" "other.bin" \
  verify --key "$W/p256.pub" --artifact "$W/app.tar.gz" --artifact "$W/other.bin" "$W/p256.jsonl"

"$PY" "$STATEMENT_PY" --set _type='"https://in-toto.io/Statement/v0.1"' >"$W/v01.json"
hm sign --key "$W/p256.pem" -o "$W/v01.jsonl" "$W/v01.json"
expect 1 "signed, but _type v0.1: rejected (1)" "_type is https://in-toto.io/Statement/v0.1, expected https://in-toto.io/Statement/v1" \
  verify --key "$W/p256.pub" "$W/v01.jsonl"
"$PY" "$STATEMENT_PY" --set predicateType='"https://slsa.dev/provenance/v0.2"' >"$W/v02.json"
hm sign --key "$W/p256.pem" -o "$W/v02.jsonl" "$W/v02.json"
expect 1 "signed, but predicateType v0.2: rejected (1)" "predicateType is https://slsa.dev/provenance/v0.2" \
  verify --key "$W/p256.pub" "$W/v02.jsonl"

# --- unusable: exit 2 -----------------------------------------------------------------
printf '{"payload": "e30=", "payloadType": "x", "signatures": [}\n' >"$W/malformed.json"
expect 2 "malformed JSON: exit 2, file named" "$W/malformed.json: malformed JSON" verify --key "$W/p256.pub" "$W/malformed.json"
edit "$W/p256.jsonl" "$W/b64.jsonl" 'e["payload"] = e["payload"][:-4] + "*" + e["payload"][-3:]'
expect 2 "bad base64 payload: exit 2" "envelope field \"payload\" is not valid base64" verify --key "$W/p256.pub" "$W/b64.jsonl"
edit "$W/p256.jsonl" "$W/b64sig.jsonl" 'e["signatures"][0]["sig"] = "@@" + e["signatures"][0]["sig"][2:]'
expect 2 "bad base64 sig: exit 2" "\"signatures[0].sig\" is not valid base64" verify --key "$W/p256.pub" "$W/b64sig.jsonl"
head -c 300 "$W/p256.jsonl" >"$W/truncated.jsonl"
expect 2 "truncated file: exit 2, file named" "$W/truncated.jsonl: malformed JSON" verify --key "$W/p256.pub" "$W/truncated.jsonl"
: >"$W/empty.jsonl"
expect 2 "empty file: exit 2" "$W/empty.jsonl: empty" verify --key "$W/p256.pub" "$W/empty.jsonl"
edit "$W/p256.jsonl" "$W/notype.jsonl" 'e["payloadType"] = 3'
expect 2 "payloadType not a string: exit 2, field named" "\"payloadType\" must be a string" verify --key "$W/p256.pub" "$W/notype.jsonl"
sed 's/"payloadType"/"payloadType":"x","payloadType"/' "$W/p256.jsonl" >"$W/dup.jsonl"
expect 2 "duplicate payloadType: exit 2, field named" "duplicate key \"payloadType\"" verify --key "$W/p256.pub" "$W/dup.jsonl"
expect 2 "RSA public key: exit 2" "unsupported key type RSA in $W/rsa.pub" verify --key "$W/rsa.pub" "$W/p256.jsonl"
expect 2 "P-521 public key: exit 2" "unsupported key type EC on curve secp521r1 in $W/p521.pub" verify --key "$W/p521.pub" "$W/p256.jsonl"
expect 2 "secp256k1 public key: exit 2" "unsupported key type EC on curve secp256k1" verify --key "$W/k1.pub" "$W/p256.jsonl"
openssl ecparam -name prime256v1 -genkey -param_enc explicit -noout -out "$W/explicit.pem" 2>/dev/null
openssl pkey -in "$W/explicit.pem" -pubout -out "$W/explicit.pub" 2>/dev/null
expect 2 "P-256 with explicit curve parameters: exit 2 (RFC 5480, CVE-2020-0601)" "explicit curve parameters in $W/explicit.pub" \
  verify --key "$W/explicit.pub" "$W/p256.jsonl"
expect 1 "  and refused for signing" "explicit curve parameters" sign --key "$W/explicit.pem" "$W/st.json"
expect 2 "a private key given as --key: exit 2, told what to do" "holds a private key" verify --key "$W/p256.pem" "$W/p256.jsonl"
expect 2 "missing key file: exit 2, named" "$W/nope.pub" verify --key "$W/nope.pub" "$W/p256.jsonl"
expect 2 "missing attestation: exit 2, named" "opening $W/nope.jsonl" verify --key "$W/p256.pub" "$W/nope.jsonl"
expect 2 "attestation is a directory: exit 2" "it is a directory" verify --key "$W/p256.pub" "$W"
expect 2 "missing artifact: exit 2, named" "opening artifact $W/nope.bin" verify --key "$W/p256.pub" --artifact "$W/nope.bin" "$W/p256.jsonl"
expect 2 "--format json: unusable input prints no JSON" "malformed JSON" verify --format json --key "$W/p256.pub" "$W/malformed.json"
check "  (stdout empty)" test ! -s "$W/out"

# --- policy ---------------------------------------------------------------------------
expect 0 "every policy flag passing" "" verify --key "$W/p256.pub" --artifact "$W/app.tar.gz" --builder-id "$BUILDER" \
  --source-uri github.com/o/r --require-hermetic "$W/p256.jsonl"
expect 0 "--source-uri in another form (https, .git)" "" verify --key "$W/p256.pub" --source-uri https://github.com/o/r.git "$W/p256.jsonl"
expect 1 "--builder-id mismatch" "predicate.runDetails.builder.id is $BUILDER, expected https://example.com/other" \
  verify --key "$W/p256.pub" --builder-id https://example.com/other "$W/p256.jsonl"
expect 1 "--source-uri mismatch" "does not match --source-uri github.com/o/fork" \
  verify --key "$W/p256.pub" --source-uri github.com/o/fork "$W/p256.jsonl"
"$PY" "$STATEMENT_PY" --set predicate.buildDefinition.internalParameters.isolation.network.policy='"host"' \
  --set predicate.buildDefinition.internalParameters.isolation.seccomp.mode='"log"' >"$W/leaky.json"
hm sign --key "$W/p256.pem" -o "$W/leaky.jsonl" "$W/leaky.json"
expect 0 "a non-hermetic build verifies without --require-hermetic" "" verify --key "$W/p256.pub" "$W/leaky.jsonl"
expect 1 "--require-hermetic: network policy host rejected" "isolation.network.policy is host, expected \"none\"" \
  verify --key "$W/p256.pub" --require-hermetic "$W/leaky.jsonl"
expect 1 "--require-hermetic: every failed condition reported" "hermetic:seccomp.mode" \
  verify --key "$W/p256.pub" --require-hermetic --format json "$W/leaky.jsonl"
"$PY" "$STATEMENT_PY" --del predicate.buildDefinition.resolvedDependencies.1.digest >"$W/unpinned.json"
hm sign --key "$W/p256.pem" -o "$W/unpinned.jsonl" "$W/unpinned.json"
expect 1 "--require-hermetic: an unpinned dependency rejected" "resolvedDependencies[1] (pkg:npm/left-pad@1.3.0) is not pinned" \
  verify --key "$W/p256.pub" --require-hermetic "$W/unpinned.jsonl"

"$PY" "$STATEMENT_PY" --set predicate.runDetails.builder.id='"https://x\u001b]0;owned\u0007\u001b[31m"' >"$W/esc.json"
hm sign --key "$W/p256.pem" -o "$W/esc.jsonl" "$W/esc.json"
expect 0 "a builder id with terminal escapes verifies" "builder https://x?]0;owned??[31m" verify --key "$W/p256.pub" "$W/esc.jsonl"
check "  and no escape character reaches the terminal" no_escape "$W/out"
expect 1 "  nor does one in a rejection" "is https://x?]0;owned??[31m, expected" verify --key "$W/p256.pub" --builder-id y "$W/esc.jsonl"
check "  (stderr clean)" no_escape "$W/err"

# --- --format json --------------------------------------------------------------------
expect 0 "--format json, verified" "" verify --format json --key "$W/p256.pub" --artifact "$W/app.tar.gz" --require-hermetic "$W/p256.jsonl"
check "  the JSON has the documented fields and values" "$PY" - "$W/out" "$KEYID" "$BUILDER" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) >= {"verified", "attestation", "reason", "line", "keyid", "subjects", "builder_id",
                  "build_type", "checks", "envelopes"}, d.keys()
assert d["verified"] is True and d["reason"] is None and d["keyid"] == sys.argv[2]
assert d["builder_id"] == sys.argv[3]
assert d["build_type"] == "https://hermetic.dev/buildtypes/sandboxed-build/v1"
assert d["subjects"][0]["name"] == "dist/app.tar.gz" and len(d["subjects"][0]["digest"]["sha256"]) == 64
names = [c["name"] for c in d["checks"]]
assert names[:6] == ["signature", "payloadType", "statement", "_type", "predicateType", "subjects"], names
assert "artifact" in names and "hermetic:network" in names and all(c["ok"] for c in d["checks"])
assert d["envelopes"] == [{"line": 1, "verified": True, "reason": None, "keyid": sys.argv[2]}]
EOF
expect 1 "--format json, rejected: exit 1" "" verify --format json --key "$W/p384.pub" "$W/p256.jsonl"
check "  verified false, the reason, the failed check" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is False and "signature" in d["reason"] and d["keyid"] is None and d["subjects"] == []
assert d["checks"] == [{"name": "signature", "ok": False, "detail": d["reason"]}]' "$W/out"

# --- appending signatures -------------------------------------------------------------
expect 0 "sign the signed envelope with an Ed25519 key" "" sign --key "$W/ed.pem" -o "$W/two.jsonl" "$W/p256.jsonl"
check "  two signatures; the first kept as it was" "$PY" -c '
import json, sys
a, b = (json.loads(open(f).read()) for f in sys.argv[1:3])
assert len(b["signatures"]) == 2 and b["signatures"][0] == a["signatures"][0], b
assert b["payload"] == a["payload"] and b["payloadType"] == a["payloadType"]' "$W/p256.jsonl" "$W/two.jsonl"
expect 0 "  the P-256 key alone verifies it" "" verify --key "$W/p256.pub" "$W/two.jsonl"
expect 0 "  the Ed25519 key alone verifies it" "" verify --key "$W/ed.pub" "$W/two.jsonl"
expect 0 "signing again with the same key" "" sign --key "$W/ed.pem" -o "$W/three.jsonl" "$W/two.jsonl"
check "  adds nothing" cmp -s "$W/two.jsonl" "$W/three.jsonl"
expect 0 "sign with a P-384 key, from standard input" "" sign --key "$W/p384.pem" - <"$W/two.jsonl"
cp "$W/out" "$W/p384.jsonl"
expect 0 "  the P-384 signature verifies" "" verify --key "$W/p384.pub" "$W/p384.jsonl"

"$PY" -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2],"w"), indent=2)' "$W/p256.jsonl" "$W/pretty.json"
expect 0 "one envelope pretty-printed over many lines verifies" "verified: $W/pretty.json:" verify --key "$W/p256.pub" "$W/pretty.json"

# --- JSON Lines -----------------------------------------------------------------------
{ cat "$W/t-sig.jsonl"; echo; cat "$W/p256.jsonl"; } >"$W/multi.jsonl"
expect 0 "JSON Lines: verified by its second envelope" "verified: $W/multi.jsonl line 3" verify --key "$W/p256.pub" "$W/multi.jsonl"
cat "$W/t-sig.jsonl" "$W/v01.jsonl" >"$W/allbad.jsonl"
expect 1 "JSON Lines: none verifies, each line's reason" "line 2: _type is" verify --key "$W/p256.pub" "$W/allbad.jsonl"
check "  (line 1's reason too)" grep -q "line 1: none of the envelope's" "$W/err"
{ cat "$W/p256.jsonl"; echo '{"payload":"e30="}'; } >"$W/badline.jsonl"
expect 2 "JSON Lines: a line that is no envelope makes it unusable" "$W/badline.jsonl line 2: the envelope has no \"payloadType\" field" \
  verify --key "$W/p256.pub" "$W/badline.jsonl"
expect 0 "sign JSON Lines: every envelope gets a signature" "" sign --key "$W/ed.pem" "$W/multi.jsonl"
check "  two lines, two signatures each" "$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2 and all(len(e["signatures"]) == 2 for e in lines)' "$W/out"

# --- -o -------------------------------------------------------------------------------
mkdir -p "$W/outdir"
( cd "$W/outdir" && "${wrapper[@]}" "$HERMETIC" sign --key ../p256.pem -o rel.jsonl ../st.json ) 2>"$W/err"
check "-o with a relative path writes there" test -s "$W/outdir/rel.jsonl"
expect 0 "  and it verifies" "" verify --key "$W/p256.pub" "$W/outdir/rel.jsonl"
echo "precious" >"$W/victim"
ln -s "$W/victim" "$W/outdir/planted.jsonl"
expect 0 "-o over a planted symlink" "" sign --key "$W/p256.pem" -o "$W/outdir/planted.jsonl" "$W/st.json"
check "  the symlink was replaced by a regular file" test -f "$W/outdir/planted.jsonl" -a ! -L "$W/outdir/planted.jsonl"
check "  its target was not written through" test "$(cat "$W/victim")" = precious
check "  no temporary file left behind" test "$(find "$W/outdir" -name '.*tmp*' | wc -l)" -eq 0
mkdir "$W/outdir/adir.jsonl"
expect 1 "-o onto a directory: refused" "a directory is in the way" sign --key "$W/p256.pem" -o "$W/outdir/adir.jsonl" "$W/st.json"
expect 1 "-o into a missing directory: refused" "$W/nodir/x.jsonl" sign --key "$W/p256.pem" -o "$W/nodir/x.jsonl" "$W/st.json"
cp "$W/outdir/rel.jsonl" "$W/keep.jsonl"
expect 1 "a failed signing leaves -o untouched" "unsupported key type RSA" sign --key "$W/rsa.pem" -o "$W/outdir/rel.jsonl" "$W/st.json"
check "  (same bytes as before)" cmp -s "$W/keep.jsonl" "$W/outdir/rel.jsonl"

# --- sign: unusable keys and input ----------------------------------------------------
expect 1 "sign with an encrypted key: refused, no prompt" "encrypted private key" sign --key "$W/enc.pem" "$W/st.json" </dev/null
expect 1 "sign with a P-521 key: refused" "unsupported key type EC on curve secp521r1" sign --key "$W/p521.pem" "$W/st.json"
expect 1 "sign with a public key: refused" "no PEM private key in $W/p256.pub" sign --key "$W/p256.pub" "$W/st.json"
expect 1 "sign malformed JSON: refused, named" "$W/malformed.json: malformed JSON" sign --key "$W/p256.pem" "$W/malformed.json"
echo '{"hello": "world"}' >"$W/neither.json"
expect 1 "sign JSON that is neither statement nor envelope" "neither a DSSE envelope" sign --key "$W/p256.pem" "$W/neither.json"

done_testing
