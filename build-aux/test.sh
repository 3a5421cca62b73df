#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Sets up, builds and runs the whole test suite: a gcc -Dwerror=true build;
# the same suite again built by clang under AddressSanitizer and
# UndefinedBehaviorSanitizer (which also fails on any leak in any process a
# test starts); and a short run of every libFuzzer target. Every test
# starts its own private D-Bus, Xvfb and sandboxes, so no display or
# session bus is needed.
#
#   MC_TEST_QUICK=1   run only the first build
set -eu

cd "$(dirname "$0")/.."
build-aux/install-deps.sh test

# The end-to-end suite signs in against real peers from npm: the MCP SDK's
# example server and authorization server (tests/npm, see tests/README.md).
# npm ci installs exactly what package-lock.json pins, into
# tests/npm/node_modules (ignored by git), for both builds; from npm's cache
# when it has them. None of these packages needs an install script, so none
# is run.
echo "== npm ci in tests/npm =="
(cd tests/npm && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund)

# run_suite BUILD_DIR COMPILER "MESON TEST ARGS" [MESON SETUP ARGS…]
run_suite () {
  build_dir=$1
  compiler=$2
  test_args=$3
  shift 3
  # The end-to-end tests activate the installed broker: install into a
  # prefix inside the build directory.
  if [ -d "$build_dir" ]; then
    CC=$compiler meson setup --reconfigure "$build_dir" --prefix="$PWD/$build_dir/prefix" -Dwerror=true "$@"
  else
    CC=$compiler meson setup "$build_dir" --prefix="$PWD/$build_dir/prefix" -Dwerror=true "$@"
  fi
  meson compile -C "$build_dir"
  meson install -C "$build_dir" --no-rebuild --quiet
  # shellcheck disable=SC2086 # the test arguments are words on purpose
  meson test -C "$build_dir" --no-rebuild --print-errorlogs $test_args
}

echo "== Test suite (gcc, -Dwerror=true) =="
run_suite _build-test gcc ""

if [ -z "${MC_TEST_QUICK:-}" ]; then
  echo
  echo "== Test suite (clang, -Dwerror=true) under AddressSanitizer and UndefinedBehaviorSanitizer =="
  # Sanitized code runs a few times slower; the deadlines stretch with it.
  run_suite _build-asan clang "--timeout-multiplier 3" -Db_sanitize=address,undefined -Db_lundef=false

  echo
  echo "== Fuzzers: every seed, then a short run of each =="
  build-aux/fuzz-smoke.sh
fi
