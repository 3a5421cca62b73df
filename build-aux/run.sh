#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Sets up, builds, installs and runs the MCP Consent Broker.
#
#   PREFIX   where to install (default /usr/local, where the session bus
#            finds the D-Bus activation file)
#
# With a desktop session, it then asks the broker to show its dialog for a
# demonstration URL, as an MCP client would. Without a session bus, it runs
# the broker in the foreground on a private bus.
set -eu

cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
build_dir=_build

build-aux/install-deps.sh

if [ -d "$build_dir" ]; then
  meson setup --reconfigure "$build_dir" --prefix="$prefix" --buildtype=debugoptimized
else
  meson setup "$build_dir" --prefix="$prefix" --buildtype=debugoptimized
fi
meson compile -C "$build_dir"

if [ -w "$prefix" ] || [ "$(id -u)" -eq 0 ]; then
  meson install -C "$build_dir" --no-rebuild
else
  sudo meson install -C "$build_dir" --no-rebuild
fi

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ ! -S "${XDG_RUNTIME_DIR:-/nonexistent}/bus" ]; then
  echo
  echo "No session bus: running the broker on a private one (Ctrl+C stops it)."
  exec dbus-run-session -- "$prefix/libexec/mcp-consentd" --verbose
fi

# Clients reach the broker through D-Bus activation, and so does this.
"$prefix/bin/mcp-consent" status

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo
  echo "Asking, as an MCP client would, whether to open a demonstration URL…"
  "$prefix/bin/mcp-consent" elicit \
    --server-name "Demo server" \
    --url "https://example.com/connect?session=demo" \
    --message "The demo server would like you to sign in to Example." || true
fi

echo
echo "The broker is installed in $prefix. Try:"
echo "  $prefix/bin/mcp-consent elicit --server-name Demo --url https://example.com/"
echo "  $prefix/bin/mcp-consent check-url https://xn--80ak6aa92e.com/"
