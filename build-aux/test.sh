#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Sets up, builds and runs the whole test suite, twice: a -Dwerror=true
# build, then an ASan+UBSan build. Every test starts its own private D-Bus,
# Xvfb and sandboxes, so no display or session bus is needed.
#
#   MC_TEST_SKIP_SANITIZERS=1   run only the first build
set -eu

cd "$(dirname "$0")/.."
build-aux/install-deps.sh test

run_suite () {
  build_dir=$1
  test_args=$2
  shift 2
  # The end-to-end tests activate the installed broker: install into a
  # prefix inside the build directory.
  if [ -d "$build_dir" ]; then
    meson setup --reconfigure "$build_dir" --prefix="$PWD/$build_dir/prefix" -Dwerror=true "$@"
  else
    meson setup "$build_dir" --prefix="$PWD/$build_dir/prefix" -Dwerror=true "$@"
  fi
  meson compile -C "$build_dir"
  meson install -C "$build_dir" --no-rebuild --quiet
  meson test -C "$build_dir" --no-rebuild --print-errorlogs $test_args
}

echo "== Test suite (-Dwerror=true) =="
run_suite _build-test ""

if [ -z "${MC_TEST_SKIP_SANITIZERS:-}" ]; then
  echo
  echo "== Test suite under AddressSanitizer and UndefinedBehaviorSanitizer =="
  # Sanitized code runs a few times slower; the deadlines stretch with it.
  run_suite _build-asan "--timeout-multiplier 3" -Db_sanitize=address,undefined -Db_lundef=false
fi
