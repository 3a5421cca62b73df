#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Installs the Debian 12 packages needed to build (and, with "test" or
# "bench", to run the tests or the benchmarks). Uses apt-get directly as
# root, or through sudo.
set -eu

build_packages="
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libsoup-3.0-dev libjson-glib-dev libsecret-1-dev
  desktop-file-utils appstream dbus libxml2-utils
"
# The test suite starts its own dbus-daemon, Xvfb and bwrap sandboxes, and
# drives the dialog with XTEST key presses; clang builds the sanitizer
# suite and the fuzzers, and llvm-symbolizer names the frames leak
# suppressions match; the token store is tested against a real
# gnome-keyring, and secret-tool is how docs/storage.md inspects it; the
# sign-ins against real peers run in headless Chromium too. The
# conformance suite runs mcp-remote, whose xdg-open (the `open` package's)
# needs xdg-mime from xdg-utils to find the test browser.
test_packages="
  dbus-daemon xvfb xauth xdotool imagemagick bubblewrap clang libclang-rt-14-dev llvm
  gnome-keyring libsecret-tools chromium xdg-utils
"

# Those sign-ins run the MCP SDK's example servers with Node.js (>= 18), and
# npm installs them (tests/npm). A Node.js installed some other way, such
# as NodeSource's (which brings its own npm), is kept: Debian's packages
# are added only for a command that is missing or too old.
node_major () {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}
node_packages=""
if ! command -v node >/dev/null 2>&1 || [ "$(node_major)" -lt 18 ]; then
  node_packages="nodejs"
fi
if ! command -v npm >/dev/null 2>&1; then
  node_packages="$node_packages npm"
fi

# The benchmarks measure xdg-desktop-portal beside the daemon, and watch
# for the dialog's window with XCB; GetToken is measured beside
# secret-tool against a real gnome-keyring; the sign-ins and the bridge's
# benchmark run the MCP SDK's example server and mcp-remote with Node.js
# (tests/npm; mcp-remote 0.15 needs Node.js >= 20.18.1, and their
# benchmarks say so and skip on an older one), and mcp-remote opens the
# browser with xdg-open (xdg-utils).
bench_packages="
  dbus-daemon xvfb xauth xdg-desktop-portal libxcb1-dev
  gnome-keyring libsecret-tools xdg-utils
"

packages=$build_packages
case "${1:-}" in
  test) packages="$packages $test_packages $node_packages" ;;
  bench) packages="$packages $bench_packages $node_packages" ;;
  *) ;;
esac

missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $package"
  fi
done

# Debian's nodejs is 18 on bookworm; an older node that is not Debian's
# stays as it was, and the tests cannot use it.
check_node () {
  if [ "${1:-}" = test ] && [ "$(node_major)" -lt 18 ]; then
    echo "install-deps: the tests need Node.js 18 or later; $(command -v node || echo node) is $(node --version 2>/dev/null || echo missing)" >&2
    exit 1
  fi
}

if [ -z "$missing" ]; then
  check_node "${1:-}"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1; then
  as_root="sudo"
else
  echo "install-deps: these packages are missing and neither root nor sudo is available:$missing" >&2
  exit 1
fi

echo "install-deps: installing$missing"
$as_root apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q --no-install-recommends $missing
check_node "${1:-}"
