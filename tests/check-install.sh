#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Installs the build into a temporary DESTDIR with "meson install
# --destdir" (what distribution packaging does) and checks what landed:
# the programs, the D-Bus service file and the systemd user unit (and that
# they start the daemon that was installed), the desktop file, metainfo
# and icons, and no icon or MIME caches (those are the packager's triggers'
# business, and meson skips them under DESTDIR).
#
# Everything comes from tests/meson.build through the environment:
#   MESON BUILD_ROOT APP_ID BUS_NAME BINDIR LIBEXECDIR DATADIR
#   DBUS_SERVICE_DIR SYSTEMD_USER_UNIT_DIR SYSTEMD (true or false)
# The build must be complete ("meson test" builds it first); this does
# not rebuild. It writes BUILD_ROOT/meson-logs/install-log.txt, as every
# "meson install" does.

set -eu

for var in MESON BUILD_ROOT APP_ID BUS_NAME BINDIR LIBEXECDIR DATADIR \
           DBUS_SERVICE_DIR SYSTEMD_USER_UNIT_DIR SYSTEMD; do
  eval "value=\${$var-}"
  if [ -z "$value" ]; then
    echo "$var is not set; run this through meson test" >&2
    exit 2
  fi
done

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
destdir="$workdir/root"
log="$workdir/install.log"
unset DESTDIR

failed=0
fail () {
  echo "FAIL: $*"
  failed=1
}

# Every value of KEY in [GROUP] of an ini-style FILE, one per line.
ini_values () {
  awk -v group="[$2]" -v key="$3" '
    /^[[:space:]]*[#;]/ { next }
    /^\[/ { in_group = ($0 == group); next }
    in_group {
      eq = index($0, "=")
      if (eq == 0) next
      k = substr($0, 1, eq - 1); sub(/[[:space:]]+$/, "", k)
      if (k != key) next
      v = substr($0, eq + 1); sub(/^[[:space:]]+/, "", v); sub(/[[:space:]]+$/, "", v)
      print v
    }' "$1"
}

# KEY in [GROUP] of FILE must be there exactly once, with value EXPECTED.
expect_value () {
  values=$(ini_values "$1" "$2" "$3")
  if [ "$values" != "$4" ]; then
    fail "${1#"$destdir"}: [$2] $3 is '$values', expected '$4'"
  fi
}

expect_file () {
  if [ ! -f "$destdir$1" ]; then
    fail "$1 was not installed"
  fi
}

expect_program () {
  if [ ! -f "$destdir$1" ] || [ ! -x "$destdir$1" ]; then
    fail "$1 was not installed as an executable"
  fi
}

if ! "$MESON" install -C "$BUILD_ROOT" --destdir "$destdir" --no-rebuild > "$log" 2>&1; then
  cat "$log"
  echo "FAIL: meson install --destdir failed"
  exit 1
fi

daemon="$LIBEXECDIR/mcp-consentd"

expect_program "$BINDIR/mcp-consent"
expect_program "$BINDIR/mcp-consent-bridge"
expect_program "$BINDIR/mcp-consent-manager"
expect_program "$daemon"
expect_program "$LIBEXECDIR/mcp-consent-prompter"

service="$DBUS_SERVICE_DIR/$BUS_NAME.service"
expect_file "$service"
if [ -f "$destdir$service" ]; then
  expect_value "$destdir$service" "D-BUS Service" Name "$BUS_NAME"
  expect_value "$destdir$service" "D-BUS Service" Exec "$daemon"
  if [ "$SYSTEMD" = true ]; then
    expect_value "$destdir$service" "D-BUS Service" SystemdService mcp-consentd.service
  else
    expect_value "$destdir$service" "D-BUS Service" SystemdService ""
  fi
fi

unit="$SYSTEMD_USER_UNIT_DIR/mcp-consentd.service"
if [ "$SYSTEMD" = true ]; then
  expect_file "$unit"
  if [ -f "$destdir$unit" ]; then
    expect_value "$destdir$unit" Service Type dbus
    expect_value "$destdir$unit" Service BusName "$BUS_NAME"
    expect_value "$destdir$unit" Service ExecStart "$daemon"
  fi
elif [ -e "$destdir$unit" ]; then
  fail "$unit was installed although the build has -Dsystemd=false"
fi

expect_file "$DATADIR/applications/$APP_ID.desktop"
if [ -f "$destdir$DATADIR/applications/$APP_ID.desktop" ]; then
  expect_value "$destdir$DATADIR/applications/$APP_ID.desktop" "Desktop Entry" Exec "$BINDIR/mcp-consent-manager"
fi
expect_file "$DATADIR/metainfo/$APP_ID.metainfo.xml"
expect_file "$DATADIR/icons/hicolor/scalable/apps/$APP_ID.svg"
expect_file "$DATADIR/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg"

for cache in "$DATADIR/icons/hicolor/icon-theme.cache" "$DATADIR/applications/mimeinfo.cache"; do
  if [ -e "$destdir$cache" ]; then
    fail "$cache was generated inside DESTDIR"
  fi
done

if [ "$failed" -eq 0 ]; then
  echo "meson install --destdir put every expected file in place:"
  (cd "$destdir" && find . -type f | sort | sed 's|^\.|  |')
fi

exit "$failed"
