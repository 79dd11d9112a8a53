#!/bin/sh
# run-fuzzer.sh TARGET SEED_DIR WORK_DIR SECONDS [DICT]: run a libFuzzer target for
# SECONDS over a fresh copy of the seed corpus in WORK_DIR/corpus (new inputs it finds go
# there, never into the source tree); crashing inputs land in WORK_DIR/artifacts/.
set -eu
target=$1 seeds=$2 work=$3 secs=$4 dict=${5:-}
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/"
[ -n "$dict" ] && set -- "$@" -dict="$dict"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$target" "$@" "$work/corpus"
