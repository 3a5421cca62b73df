#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Builds a release tree and runs every benchmark, printing one Markdown
# "Results" section (machine, date, load, each result beside its peer
# and the ratio) for docs/benchmarks.md.
#
#   bench/run-benchmarks.sh [--quick] [BUILDDIR]
#
# BUILDDIR defaults to _build-bench in the source tree; it is configured
# with --buildtype=release if it does not exist.  --quick takes fewer
# samples, to check that everything runs, not to publish.  Progress and
# each benchmark's own log go to BUILDDIR/bench-logs/; the section is
# also written to BUILDDIR/bench-logs/results.md.
#
# Installs what it needs (build-aux/install-deps.sh bench): dbus-daemon,
# xdg-desktop-portal (the idle-memory peer), Xvfb and libxcb1-dev (the
# dialog benchmark), gnome-keyring and secret-tool (GetToken), Node.js
# and xdg-utils (the sign-ins, the bridge beside mcp-remote); and the
# peers from npm, with `npm ci` in tests/npm (the MCP SDK's example
# server, mcp-remote).

set -eu

quick=no
if [ "${1-}" = "--quick" ]; then
  quick=yes
  shift
fi

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-"$srcdir/_build-bench"}
logdir="$builddir/bench-logs"

"$srcdir/build-aux/install-deps.sh" bench >&2
# Exactly what tests/npm/package-lock.json pins, as build-aux/test.sh
# installs it; from npm's cache when it has them, no install scripts.
# Without npm the sign-in benchmarks say why they cannot run.
if command -v npm >/dev/null 2>&1; then
  (cd "$srcdir/tests/npm" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund) >&2
fi

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup --buildtype=release "$builddir" "$srcdir" >&2
fi
meson compile -C "$builddir" >&2
mkdir -p "$logdir"

if [ "$quick" = yes ]; then
  verdict_args="--rounds 3 --iterations 200"
  memory_args="--repeat 2 --settle 500 --flows 200 --rounds 2 --flow-runs 1 --checks 1000"
  roundtrip_args="--runs 200 --warmup 20"
  dialog_args="--runs 3"
  gettoken_args="--runs 200 --warmup 20 --spawn-runs 20"
  signin_args="--runs 2"
  bridge_args="--calls 200 --warmup 20 --starts 3"
  audit_args="--records 10000 --appends 2000 --flushed 200 --rounds 2 --starts 2"
else
  verdict_args=""
  memory_args=""
  roundtrip_args=""
  dialog_args=""
  gettoken_args=""
  signin_args=""
  bridge_args=""
  audit_args=""
fi

loadavg() {
  cut -d' ' -f1-3 /proc/loadavg
}

# Runs one benchmark: stdout (Markdown) to $logdir/NAME.md, stderr to
# $logdir/NAME.log.  Exit status 77 means "cannot run here".
run() {
  name=$1
  shift
  printf 'running %s…\n' "$name" >&2
  status=0
  "$builddir/bench/$name" "$@" >"$logdir/$name.md" 2>"$logdir/$name.log" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    printf '%s failed (exit %s); its log:\n' "$name" "$status" >&2
    tail -n 20 "$logdir/$name.log" >&2
    exit 1
  fi
  return "$status"
}

load_before=$(loadavg)

# shellcheck disable=SC2086 # the argument lists are meant to split
run bench-verdicts $verdict_args
# shellcheck disable=SC2086
run bench-memory $memory_args
# shellcheck disable=SC2086
run bench-roundtrip $roundtrip_args
# shellcheck disable=SC2086
run bench-audit $audit_args
dialog=skipped
if [ -x "$builddir/bench/bench-dialog" ]; then
  # shellcheck disable=SC2086
  if run bench-dialog $dialog_args; then
    dialog=ran
  fi
fi

# Why a benchmark that exited 77 could not run: the last line of its log.
not_run() {
  printf '### %s\n\nNot run: %s\n\n' "$1" "$(tail -n 1 "$logdir/$2.log")"
}

gettoken=skipped
# shellcheck disable=SC2086
if run bench-gettoken $gettoken_args; then
  gettoken=ran
fi
signin=skipped
# shellcheck disable=SC2086
if run bench-signin $signin_args; then
  signin=ran
fi
bridge=skipped
# shellcheck disable=SC2086
if run bench-bridge $bridge_args; then
  bridge=ran
fi

load_after=$(loadavg)

{
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  # shellcheck disable=SC1091 # the running system's, not ours
  os=$(. /etc/os-release && printf '%s' "$PRETTY_NAME")
  glib=$(pkg-config --modversion glib-2.0 2>/dev/null || echo '?')
  gtk=$(pkg-config --modversion gtk4 2>/dev/null || echo '?')
  xdp=$(dpkg-query -W -f '${Version}' xdg-desktop-portal 2>/dev/null || echo 'not installed')
  node=$(node --version 2>/dev/null || echo 'not installed')

  printf '## Results\n\n'
  if [ "$quick" = yes ]; then
    printf '**Quick run (--quick): too few samples to publish.**\n\n'
  fi
  printf '| | |\n| --- | --- |\n'
  printf '| date | %s |\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf '| machine | %s, %s CPUs, %s RAM |\n' "$cpu" "$(nproc)" "$mem"
  printf '| system | %s, Linux %s, GLib %s, GTK %s, xdg-desktop-portal %s, Node.js %s |\n' \
    "$os" "$(uname -r)" "$glib" "$gtk" "$xdp" "$node"
  printf '| load average (1, 5, 15 min) | %s before, %s after |\n' "$load_before" "$load_after"
  # shellcheck disable=SC2016 # the backquotes are Markdown
  printf '| build | %s, `--buildtype=release`, commit %s |\n\n' \
    "$(basename "$builddir")" "$(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || echo '?')"

  # bench-verdicts prints plain text; it becomes a table row here.
  awk '
    /^baseline/ { for (i = 1; i <= NF; i++) if ($i == "µs/URL") baseline = $(i - 1) }
    /^verdict / { for (i = 1; i <= NF; i++) if ($i == "µs/URL") verdict = $(i - 1) }
    /^ratio/ { ratio = $NF }
    /^longest/ { longest = $(NF - 1); match($0, /\([0-9]+ bytes\)/); bytes = substr($0, RSTART + 1, RLENGTH - 8) }
    /^corpus/ { corpus = $0 }
    END {
      print "### URL verdicts (in-process, median round)\n"
      print "| | verdict | baseline: `g_uri_parse` + `soup_tld_get_base_domain` | ratio | target |"
      print "| --- | ---: | ---: | ---: | --- |"
      printf "| per URL, mixed corpus | %s µs | %s µs | %s | ≤ 20 µs |\n", verdict, baseline, ratio
      printf "| longest allowed URL (%s bytes) | %s µs | | | ≤ 20 µs |\n\n", bytes, longest
      printf "%s.\n\n", corpus
    }' "$logdir/bench-verdicts.md"

  cat "$logdir/bench-memory.md"
  cat "$logdir/bench-roundtrip.md"
  cat "$logdir/bench-audit.md"
  if [ "$dialog" = ran ]; then
    cat "$logdir/bench-dialog.md"
  else
    printf '### Request → dialog on screen\n\nNot run: Xvfb or libxcb1-dev is missing.\n\n'
  fi
  if [ "$gettoken" = ran ]; then
    cat "$logdir/bench-gettoken.md"
  else
    not_run "GetToken on a cached token" bench-gettoken
  fi
  if [ "$signin" = ran ]; then
    cat "$logdir/bench-signin.md"
  else
    not_run "Sign-in against the MCP SDK's example server" bench-signin
  fi
  if [ "$bridge" = ran ]; then
    cat "$logdir/bench-bridge.md"
  else
    not_run "mcp-consent-bridge beside mcp-remote" bench-bridge
  fi
} | tee "$logdir/results.md"
