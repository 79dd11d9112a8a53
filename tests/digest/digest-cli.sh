#!/bin/bash
# shellcheck disable=SC2317 # case functions are called through run_case
# `hermetic digest` against the real binary: its lines are what sha256sum/sha512sum print
# and accept with -c, --base64 is `sha256sum | base64 -w0`, globs are expanded by hermetic,
# exit statuses 0/1/2 with messages that name the input, --help.
# Environment: HERMETIC (the binary, set by tests/digest/meson.build), HERMETIC_WRAPPER
# (optional command prefix, e.g. valgrind), HM_VERBOSE=1 to print every case's log.
set -u

# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

[ -n "${HERMETIC:-}" ] || skip_all "HERMETIC is not set (run through meson test)"
[ -x "$HERMETIC" ] || skip_all "$HERMETIC is not executable"
for tool in sha256sum sha512sum base64 timeout mkfifo; do
  command -v "$tool" >/dev/null || skip_all "$tool is missing (coreutils)"
done

HM_WORK_BASE=$(mktemp -d "${TMPDIR:-/tmp}/hm-digest-cli.XXXXXX")
trap 'rm -rf "$HM_WORK_BASE"' EXIT

plan

# hd ARGS...: hermetic digest, bounded (a hang fails the case instead of the suite).
hd() {
  # shellcheck disable=SC2086 # the wrapper is a command line on purpose
  timeout -k 5 60 ${HERMETIC_WRAPPER:-} "$HERMETIC" digest "$@"
}

# Same bytes, or a diff.
expect_same() {
  cmp -s "$1" "$2" || {
    diff -u "$1" "$2" | head -40
    fail "$3"
  }
}

# A small tree: plain names, names with a space, a newline, a backslash, a tab.
make_tree() {
  mkdir -p dist/sub .hid
  printf 'abc' >a.txt
  : >empty
  printf 'tarball' >dist/app-1.0.tar.gz
  printf 'other' >dist/lib-2.tar.gz
  printf 'zip' >dist/app.zip
  printf 'deep' >dist/sub/deep.tar.gz
  printf 'hidden' >dist/.hidden.tar.gz
  printf 'space' >'with space'
  printf 'newline' >"$(printf 'new\nline')"
  printf 'backslash' >'back\slash'
  printf 'tab' >"$(printf 'a\tb')"
  head -c 3000000 /dev/urandom >big
}

case_help() {
  local out rc
  out=$(hd --help)
  rc=$?
  echo "$out"
  expect_rc 0 "$rc" "digest --help"
  expect_match '^Usage: hermetic digest' "$out" "usage line"
  expect_match -- '--algo' "$out" "--help documents --algo"
  expect_match -- '--base64' "$out" "--help documents --base64"
  out=$(hd -h) || fail "digest -h: status $?"
  expect_match '^Usage: hermetic digest' "$out" "-h prints the usage"
}

case_sha256sum_check() {
  make_tree
  hd a.txt empty dist/*.tar.gz 'with space' new*line 'back\slash' a*b big >sums || fail "status $?"
  cat sums
  sha256sum -c sums || fail "sha256sum -c refused hermetic's output"
  sha256sum a.txt empty dist/*.tar.gz 'with space' new*line 'back\slash' a*b big >want
  expect_same want sums "output differs from sha256sum's (same arguments, same order)"
}

case_sha512sum_check() {
  make_tree
  hd --algo sha512 a.txt empty new*line 'back\slash' big >sums || fail "status $?"
  cat sums
  sha512sum -c sums || fail "sha512sum -c refused hermetic's sha512 output"
  sha512sum a.txt empty new*line 'back\slash' big >want
  expect_same want sums "output differs from sha512sum's"
  # Options may follow operands, as with sha256sum.
  hd a.txt --algo=sha512 >late || fail "status $?"
  sha512sum a.txt >want
  expect_same want late "--algo after the operand"
}

case_base64() {
  make_tree
  local got want
  got=$(hd --base64 a.txt empty dist/*.tar.gz new*line) || fail "status $?"
  want=$(sha256sum a.txt empty dist/*.tar.gz new*line | base64 -w0)
  echo "got  $got"
  echo "want $want"
  [ "$got" = "$want" ] || fail "--base64 differs from sha256sum | base64 -w0"
  [ "$(hd --base64 a.txt | wc -l)" = 1 ] || fail "--base64 prints more than one line"
  got=$(hd --base64 --algo sha512 a.txt) || fail "status $?"
  [ "$got" = "$(sha512sum a.txt | base64 -w0)" ] || fail "--base64 --algo sha512"
}

case_globs() {
  make_tree
  hd 'dist/*.tar.gz' >got || fail "status $?"
  sha256sum dist/*.tar.gz >want
  expect_same want got "'dist/*.tar.gz' expanded by hermetic, as the shell would"
  hd 'dist/**/*.tar.gz' '*.txt' >got || fail "status $?"
  sha256sum dist/app-1.0.tar.gz dist/lib-2.tar.gz dist/sub/deep.tar.gz a.txt >want
  expect_same want got "'**' (zero or more directories), matches sorted, arguments in order"
  hd "$PWD/dist/app.z?p" './dist/[a]pp.zip' >got || fail "status $?"
  sha256sum "$PWD/dist/app.zip" ./dist/app.zip >want
  expect_same want got "absolute and ./ patterns keep their spelling"
  grep -q hidden got && fail "a wildcard matched a hidden file"
  hd 'dist/.*.tar.gz' | grep -q 'dist/.hidden.tar.gz' || fail "'.*' should match hidden files"
}

case_literal_wins() {
  printf 'literal' >'a[1].txt'
  printf 'one' >a1.txt
  hd 'a[1].txt' >got || fail "status $?"
  sha256sum 'a[1].txt' >want
  expect_same want got "an existing path with glob characters is taken as it is"
}

case_no_match() {
  make_tree
  local rc
  hd a.txt 'dist/*.rpm' empty >out 2>err
  rc=$?
  cat out err
  expect_rc 1 "$rc" "a glob matching nothing"
  expect_match "dist/\*\.rpm" "$(cat err)" "the message names the pattern"
  [ "$(wc -l <out)" = 2 ] || fail "the other files are still printed"
}

case_unreadable() {
  make_tree
  mkfifo fifo
  mkdir adir
  local rc
  hd a.txt missing adir fifo empty >out 2>err
  rc=$?
  cat out err
  expect_rc 1 "$rc" "missing file, directory and fifo"
  expect_match '^hermetic digest: missing: No such file or directory' "$(cat err)" "names the missing file"
  expect_match '^hermetic digest: adir: Is a directory' "$(cat err)" "names the directory"
  expect_match '^hermetic digest: fifo: .*fifo' "$(cat err)" "names the fifo (and did not hang on it)"
  sha256sum a.txt empty >want
  expect_same want out "the readable files are still printed, in order"
  hd --base64 a.txt missing >out 2>err
  rc=$?
  cat err
  expect_rc 1 "$rc" "--base64 with a missing file"
  [ -s out ] && fail "--base64 printed a partial result"
  true
}

case_usage() {
  local rc err
  hd --bogus a >/dev/null 2>err
  rc=$?
  err=$(cat err)
  echo "$err"
  expect_rc 2 "$rc" "--bogus"
  expect_match -- "'--bogus'" "$err" "the message names --bogus"
  hd --algo md5 a >/dev/null 2>err
  rc=$?
  err=$(cat err)
  echo "$err"
  expect_rc 2 "$rc" "--algo md5"
  expect_match -- "--algo.*'md5'" "$err" "the message names --algo and md5"
  hd a --algo >/dev/null 2>err
  rc=$?
  err=$(cat err)
  echo "$err"
  expect_rc 2 "$rc" "--algo without a value"
  expect_match -- "--algo" "$err" "the message names --algo"
  hd >/dev/null 2>err
  rc=$?
  cat err
  expect_rc 2 "$rc" "no operand"
}

case_stdin_and_symlink() {
  printf 'abc' >a.txt
  ln -s a.txt link
  local got
  got=$(printf 'abc' | timeout 60 "$HERMETIC" digest -) || fail "status $?"
  [ "$got" = "$(printf 'abc' | sha256sum)" ] || fail "'-' reads stdin: $got"
  hd link >got || fail "status $?"
  sha256sum link >want
  expect_same want got "a symlink is followed, as sha256sum does"
}

case_many_files_in_order() {
  local i
  mkdir m
  for i in $(seq 1 600); do
    head -c $((i * 37 % 9000)) /dev/urandom >"m/f$i"
  done
  # Argument order, not name order: the pool must not reorder.
  # shellcheck disable=SC2046
  hd $(seq 600 -1 1 | sed 's|^|m/f|') >got || fail "status $?"
  # shellcheck disable=SC2046
  sha256sum $(seq 600 -1 1 | sed 's|^|m/f|') >want
  expect_same want got "600 files hashed in parallel come out in argument order"
}

run_case "--help prints the usage and exits 0" case_help
run_case "sha256sum -c accepts the output; same bytes as sha256sum" case_sha256sum_check
run_case "sha512sum -c accepts --algo sha512 output" case_sha512sum_check
run_case "--base64 equals sha256sum | base64 -w0" case_base64
run_case "quoted globs are expanded by hermetic" case_globs
run_case "an existing path with glob characters is literal" case_literal_wins
run_case "a glob that matches nothing: exit 1, named" case_no_match
run_case "missing file, directory, fifo: exit 1, each named, no hang" case_unreadable
run_case "usage errors: exit 2, the option named" case_usage
run_case "'-' is stdin; symlinks are followed" case_stdin_and_symlink
run_case "many files in parallel, output in argument order" case_many_files_in_order
hm_finish
