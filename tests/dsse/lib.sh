# shellcheck shell=bash
# TAP helpers for the dsse shell suites (sourced). The plan is printed at the end.
# Environment (tests/dsse/meson.build): HERMETIC, HM_SOURCE_ROOT, HM_WORK_BASE;
# HERMETIC_WRAPPER (valgrind setup) is put in front of every hermetic command.
set -u

tap_n=0
tap_failed=0

ok() {
  tap_n=$((tap_n + 1))
  echo "ok $tap_n - $*"
}

not_ok() {
  tap_n=$((tap_n + 1))
  tap_failed=$((tap_failed + 1))
  echo "not ok $tap_n - $*"
}

diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

skip_all() {
  echo "1..0 # SKIP $*"
  exit 0
}

done_testing() {
  echo "1..$tap_n"
  [ "$tap_failed" -eq 0 ]
}

# check DESC CMD...: ok when CMD succeeds.
check() {
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

: "${HERMETIC:?HERMETIC must name the hermetic binary}"
# shellcheck disable=SC2206
wrapper=(${HERMETIC_WRAPPER:-})

# hm ARGS...: run hermetic with stdout in $W/out, stderr in $W/err; the status in $rc.
hm() {
  "${wrapper[@]}" "$HERMETIC" "$@" >"$W/out" 2>"$W/err"
  rc=$?
}

# expect STATUS DESC NEEDLE ARGS...: run hermetic ARGS; ok when it exits STATUS and, if
# NEEDLE is not empty, its stderr (or stdout) contains NEEDLE.
expect() {
  local want=$1 desc=$2 needle=$3
  shift 3
  hm "$@"
  if [ "$rc" -eq "$want" ] && { [ -z "$needle" ] || grep -qF -- "$needle" "$W/err" "$W/out"; }; then
    ok "$desc"
  else
    not_ok "$desc"
    diag "exit $rc (wanted $want), wanted message: $needle"
    diag "stderr: $(head -c 2000 "$W/err")"
    diag "stdout: $(head -c 2000 "$W/out")"
  fi
}

# Debian's python3 (with python3-securesystemslib and python3-cryptography), not a pyenv one.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

mkdir -p "${HM_WORK_BASE:-/tmp}"
W=$(mktemp -d "${HM_WORK_BASE:-/tmp}/dsse.XXXXXX")
trap 'rm -rf "$W"' EXIT
export STATEMENT_PY="$HM_SOURCE_ROOT/tests/dsse/statement.py"

# genkey NAME TYPE: NAME.pem (private, PKCS#8) and NAME.pub in $W. TYPE: p256 p384 p521
# secp256k1 ed25519 rsa.
genkey() {
  local name=$1 type=$2
  case $type in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$name.pem" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$W/$name.pem" ;;
    p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$W/$name.pem" ;;
    secp256k1) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$W/$name.pem" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$W/$name.pem" ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/$name.pem" ;;
  esac 2>/dev/null && openssl pkey -in "$W/$name.pem" -pubout -out "$W/$name.pub" 2>/dev/null
}

# edit IN OUT PYTHON: apply PYTHON to the envelope `e` (a dict; `b64d`, `b64e` helpers)
# of every line of IN, writing OUT.
edit() {
  "$PY" - "$1" "$2" "$3" <<'EOF'
import base64, json, sys
src, dst, code = sys.argv[1:4]
b64d = base64.b64decode
b64e = lambda b: base64.b64encode(b).decode()
out = []
for line in open(src):
    if not line.strip():
        continue
    e = json.loads(line)
    exec(code)
    out.append(json.dumps(e, separators=(",", ":")))
open(dst, "w").write("\n".join(out) + "\n")
EOF
}

# pae TYPE PAYLOAD_FILE OUT: the DSSE v1 PAE, built independently of hermetic.
pae() {
  "$PY" - "$1" "$2" "$3" <<'EOF'
import sys
t, p, out = sys.argv[1].encode(), open(sys.argv[2], "rb").read(), sys.argv[3]
open(out, "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(p), p))
EOF
}
