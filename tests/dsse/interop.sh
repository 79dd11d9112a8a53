#!/bin/bash
# Interoperability with implementations that share no code with hermetic:
#  - envelopes signed by `hermetic sign` verify with Debian's python3-securesystemslib
#    (under /usr/bin/python3; the PAE built here, in Python);
#  - envelopes signed by securesystemslib, by `openssl dgst -sign` (ECDSA, DER) and by
#    `openssl pkeyutl -sign -rawin` (Ed25519) over the same PAE verify with
#    `hermetic verify`; so do raw r||s ECDSA signatures and URL-safe unpadded base64.
# shellcheck source=tests/dsse/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "the openssl command is missing"
have_sslib=true
/usr/bin/python3 -c 'import securesystemslib.signer, cryptography' 2>/dev/null || have_sslib=false
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "/usr/bin/python3 is missing"

skip() {
  tap_n=$((tap_n + 1))
  echo "ok $tap_n # SKIP $*"
}

for k in p256:p256 p384:p384 ed:ed25519; do
  genkey "${k%%:*}" "${k#*:}" || skip_all "openssl cannot generate a ${k#*:} key"
done
printf 'app\n' >"$W/app.tar.gz"
"$PY" "$STATEMENT_PY" --subject dist/app.tar.gz="$W/app.tar.gz" >"$W/st.json"

# sslib_verify ENVELOPE PUB KIND: securesystemslib verifies every signature of the
# envelope over a PAE it builds itself. KIND: ecdsa-sha2-nistp256, ecdsa-sha2-nistp384,
# ed25519.
sslib_verify() {
  "$PY" - "$@" <<'EOF'
import base64, json, sys
from cryptography.hazmat.primitives import serialization
from securesystemslib.signer import Signature, SSlibKey

env_path, pub_path, scheme = sys.argv[1:4]
env = json.loads(open(env_path).read())
payload = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
pem = open(pub_path).read()
if scheme == "ed25519":
    raw = serialization.load_pem_public_key(pem.encode()).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    keytype, public = "ed25519", raw.hex()
else:
    keytype, public = "ecdsa", pem
for s in env["signatures"]:
    key = SSlibKey(s["keyid"], keytype, scheme, {"public": public})
    key.verify_signature(Signature(s["keyid"], base64.b64decode(s["sig"]).hex()), pae)
EOF
}

# --- hermetic -> securesystemslib -----------------------------------------------------
for k in p256:ecdsa-sha2-nistp256 p384:ecdsa-sha2-nistp384 ed:ed25519; do
  name=${k%%:*} scheme=${k#*:}
  hm sign --key "$W/$name.pem" -o "$W/h-$name.jsonl" "$W/st.json"
  if ! $have_sslib; then
    skip "securesystemslib is not installed for /usr/bin/python3 (apt install python3-securesystemslib)"
    skip "securesystemslib is not installed"
    continue
  fi
  check "hermetic sign ($scheme) verifies with securesystemslib" sslib_verify "$W/h-$name.jsonl" "$W/$name.pub" "$scheme"
  edit "$W/h-$name.jsonl" "$W/h-$name-bad.jsonl" 'p = bytearray(b64d(e["payload"])); p[3] ^= 1; e["payload"] = b64e(bytes(p))'
  if sslib_verify "$W/h-$name-bad.jsonl" "$W/$name.pub" "$scheme" 2>/dev/null; then
    not_ok "  securesystemslib: tampered $scheme envelope rejected"
  else
    ok "  securesystemslib: tampered $scheme envelope rejected"
  fi
done

# --- openssl -> hermetic --------------------------------------------------------------
TYPE=application/vnd.in-toto+json
pae "$TYPE" "$W/st.json" "$W/pae.bin"

# envelope SIGFILE OUT [urlsafe|raw-p256|raw-p384]: a one-line envelope of st.json with
# the signature in SIGFILE, built in Python.
envelope() {
  "$PY" - "$W/st.json" "$1" "$2" "${3:-}" <<'EOF'
import base64, json, sys
payload, sig = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
mode = sys.argv[4]
enc = base64.b64encode
if mode.startswith("raw-"):
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    n = 32 if mode == "raw-p256" else 48
    r, s = decode_dss_signature(sig)
    sig = r.to_bytes(n, "big") + s.to_bytes(n, "big")
if mode == "urlsafe":
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
env = {"payload": enc(payload).decode(), "payloadType": "application/vnd.in-toto+json",
       "signatures": [{"sig": enc(sig).decode()}]}
open(sys.argv[3], "w").write(json.dumps(env) + "\n")
EOF
}

openssl dgst -sha256 -sign "$W/p256.pem" -out "$W/p256.sig" "$W/pae.bin"
envelope "$W/p256.sig" "$W/o-p256.json"
expect 0 "openssl dgst -sha256 -sign (P-256, DER) verifies with hermetic" "" verify --key "$W/p256.pub" "$W/o-p256.json"
openssl dgst -sha384 -sign "$W/p384.pem" -out "$W/p384.sig" "$W/pae.bin"
envelope "$W/p384.sig" "$W/o-p384.json"
expect 0 "openssl dgst -sha384 -sign (P-384, DER) verifies with hermetic" "" verify --key "$W/p384.pub" "$W/o-p384.json"
openssl dgst -sha256 -sign "$W/p384.pem" -out "$W/p384-256.sig" "$W/pae.bin"
envelope "$W/p384-256.sig" "$W/o-p384-sha256.json"
expect 1 "a P-384 signature over SHA-256 is not accepted (P-384 means SHA-384)" "signature verifies" \
  verify --key "$W/p384.pub" "$W/o-p384-sha256.json"
openssl pkeyutl -sign -rawin -inkey "$W/ed.pem" -in "$W/pae.bin" -out "$W/ed.sig" 2>/dev/null
envelope "$W/ed.sig" "$W/o-ed.json"
expect 0 "openssl pkeyutl -sign -rawin (Ed25519) verifies with hermetic" "" verify --key "$W/ed.pub" "$W/o-ed.json"
envelope "$W/p256.sig" "$W/o-url.json" urlsafe
check "  (URL-safe, unpadded base64 in the envelope)" grep -qv '=' "$W/o-url.json"
expect 0 "URL-safe unpadded base64 verifies with hermetic" "" verify --key "$W/p256.pub" "$W/o-url.json"
if $have_sslib; then
  envelope "$W/p256.sig" "$W/o-raw256.json" raw-p256
  expect 0 "raw r||s P-256 signature verifies with hermetic" "" verify --key "$W/p256.pub" "$W/o-raw256.json"
  envelope "$W/p384.sig" "$W/o-raw384.json" raw-p384
  expect 0 "raw r||s P-384 signature verifies with hermetic" "" verify --key "$W/p384.pub" "$W/o-raw384.json"
else
  skip "python3-cryptography missing: raw r||s conversion"
  skip "python3-cryptography missing: raw r||s conversion"
fi
cp "$W/o-p256.json" "$W/o-p256-copy.json"
expect 0 "hermetic sign appends to an openssl-signed envelope" "" sign --key "$W/ed.pem" -o "$W/o-both.jsonl" "$W/o-p256-copy.json"
expect 0 "  the openssl signature still verifies" "" verify --key "$W/p256.pub" "$W/o-both.jsonl"
expect 0 "  so does hermetic's" "" verify --key "$W/ed.pub" "$W/o-both.jsonl"

# --- securesystemslib -> hermetic -----------------------------------------------------
if $have_sslib; then
  for scheme in ecdsa-sha2-nistp256 ed25519; do
    if [ $scheme = ed25519 ] && ! "$PY" -c 'import nacl' 2>/dev/null; then
      skip "securesystemslib signs Ed25519 only with python3-nacl, which is missing"
      skip "python3-nacl missing"
      continue
    fi
    check "securesystemslib signs a $scheme envelope" "$PY" - "$W/pae.bin" "$W/st.json" "$scheme" "$W/s-$scheme" <<'EOF'
import base64, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from securesystemslib import keys
from securesystemslib.signer import SSlibSigner
pae, payload = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
scheme, out = sys.argv[3], sys.argv[4]
key = keys.generate_ecdsa_key(scheme) if scheme.startswith("ecdsa") else keys.generate_ed25519_key()
sig = SSlibSigner(key).sign(pae)
env = {"payload": base64.b64encode(payload).decode(), "payloadType": "application/vnd.in-toto+json",
       "signatures": [{"keyid": sig.keyid, "sig": base64.b64encode(bytes.fromhex(sig.signature)).decode()}]}
open(out + ".json", "w").write(json.dumps(env))
pub = key["keyval"]["public"]
if scheme == "ed25519":
    pub = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
open(out + ".pub", "w").write(pub)
EOF
    expect 0 "  hermetic verifies it (its keyid is securesystemslib's own: a hint only)" "" \
      verify --key "$W/s-$scheme.pub" "$W/s-$scheme.json"
  done
else
  skip "securesystemslib is not installed"; skip "securesystemslib is not installed"
  skip "securesystemslib is not installed"; skip "securesystemslib is not installed"
fi

done_testing
