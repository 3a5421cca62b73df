#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Builds the libFuzzer targets with clang into _build-fuzz, then runs each
# one over every file of its seed corpus (full length) and for a short
# bounded run of mutations. Fails if any target crashes, leaks, trips a
# sanitizer or breaks one of its invariants. Meant for CI after the test
# suite; it takes under two minutes on two cores. See docs/fuzzing.md.
#
#   MC_FUZZ_SMOKE_RUNS=N   mutations per target (default 200000)
#   MC_FUZZ_SMOKE_TIME=S   at most S seconds of mutations per target (default 15)
set -eu

cd "$(dirname "$0")/.."

build_dir=_build-fuzz
runs=${MC_FUZZ_SMOKE_RUNS:-200000}
max_time=${MC_FUZZ_SMOKE_TIME:-15}
work_dir=$build_dir/fuzz-smoke

if ! command -v clang > /dev/null; then
  echo "fuzz-smoke: clang is needed (Debian: clang, libclang-rt-14-dev)" >&2
  exit 1
fi

if [ -d "$build_dir" ]; then
  CC=clang meson setup --reconfigure "$build_dir" -Dfuzzing=true > /dev/null
else
  CC=clang meson setup "$build_dir" -Dfuzzing=true > /dev/null
fi

# Every tests/fuzz/fuzz-NAME.c is a target, with its seeds in
# tests/fuzz/corpus/NAME/ and, optionally, tests/fuzz/NAME.dict.
targets=
for source in tests/fuzz/fuzz-*.c; do
  name=$(basename "$source" .c)
  targets="$targets ${name#fuzz-}"
done

ninja_targets=
for name in $targets; do
  ninja_targets="$ninja_targets tests/fuzz/fuzz-$name"
done
# shellcheck disable=SC2086 # one word per target
ninja -C "$build_dir" $ninja_targets > /dev/null

dict_for () {
  case $1 in
    app-unit) echo tests/fuzz/cgroup.dict ;;
    *) echo "tests/fuzz/$1.dict" ;;
  esac
}

rm -rf "$work_dir"
mkdir -p "$work_dir"
failed=

for name in $targets; do
  fuzzer=$build_dir/tests/fuzz/fuzz-$name
  seeds=tests/fuzz/corpus/$name
  dict=$(dict_for "$name")
  log=$work_dir/$name.log
  artifacts=$work_dir/$name-artifacts

  if [ ! -d "$seeds" ]; then
    echo "fuzz-$name: no seed corpus in $seeds" >&2
    failed="$failed $name"
    continue
  fi
  if [ ! -f "$dict" ]; then
    dict=
  fi
  mkdir -p "$work_dir/$name-corpus" "$artifacts"

  # Each seed as it is, however long: a corpus directory would be cut
  # to -max_len, and the regression inputs must run whole.
  if ! "$fuzzer" -artifact_prefix="$artifacts/" "$seeds"/* > "$log" 2>&1; then
    echo "fuzz-$name: FAILED on a seed; $log names it" >&2
    failed="$failed $name"
    continue
  fi

  # New inputs go to the scratch corpus, never into the seeds in git.
  start=$(date +%s)
  if ! "$fuzzer" -runs="$runs" -max_total_time="$max_time" -max_len=4096 \
       -print_final_stats=1 ${dict:+"-dict=$dict"} -artifact_prefix="$artifacts/" \
       "$work_dir/$name-corpus" "$seeds" >> "$log" 2>&1; then
    echo "fuzz-$name: FAILED while fuzzing; see $log, the input is in $artifacts/" >&2
    failed="$failed $name"
    continue
  fi

  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  n_seeds=$(find "$seeds" -type f | wc -l)
  echo "fuzz-$name: ok ($n_seeds seeds, then $executed runs in $(( $(date +%s) - start )) s)"
done

if [ -n "$failed" ]; then
  echo "fuzz-smoke: failed:$failed" >&2
  exit 1
fi
echo "fuzz-smoke: all targets passed"
