#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# Usage: check-potfiles.sh SOURCE_ROOT
#
# Fails, naming the files, when a file with translatable strings is in
# neither po/POTFILES.in nor po/POTFILES.skip, or when either list names a
# file that does not exist. A file has translatable strings if it is
#   - a C source or header under src/ that calls _(), N_(), C_(), NC_(),
#     Q_() or a gettext function (ngettext, g_dngettext, g_dpgettext2, …),
#     with or without a space before the parenthesis;
#   - a GtkBuilder file (*.ui) under src/ with translatable="yes";
#   - a desktop entry or metainfo template under data/ (*.desktop.in,
#     *.metainfo.xml.in, and their .in.in forms), which i18n.merge_file
#     translates from po/.
# A mention in a comment counts too; list such a file in POTFILES.skip.

set -eu
LC_ALL=C
export LC_ALL

if [ "$#" -ne 1 ]; then
  echo "usage: $0 SOURCE_ROOT" >&2
  exit 2
fi

cd "$1"

for required in po/POTFILES.in src data; do
  if [ ! -e "$required" ]; then
    echo "$1/$required does not exist" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

c_pattern='(^|[^[:alnum:]_])(_|N_|C_|NC_|Q_)[[:space:]]*\(|gettext2?[[:space:]]*\('

# A list file's entries: no comments, no blank lines, no leading "./",
# sorted for comm.
entries () {
  sed -e 's/#.*$//' \
      -e 's/^[[:space:]]*//' \
      -e 's/[[:space:]]*$//' \
      -e 's|^\./||' \
      -e '/^$/d' "$1" | sort -u
}

entries po/POTFILES.in > "$tmp/listed"
if [ -f po/POTFILES.skip ]; then
  entries po/POTFILES.skip > "$tmp/skipped"
else
  : > "$tmp/skipped"
fi
sort -u "$tmp/listed" "$tmp/skipped" > "$tmp/known"

# Prints each file named on stdin in which grep -E finds the pattern.
# grep -q answers 1 for "no match"; anything above that is an error.
files_matching () {
  while IFS= read -r file; do
    status=0
    grep -qE -e "$1" -- "$file" || status=$?
    case "$status" in
      0) echo "$file" ;;
      1) ;;
      *) echo "grep failed on $file" >&2; exit 2 ;;
    esac
  done
}

find src -type f \( -name '*.c' -o -name '*.h' \) | files_matching "$c_pattern" > "$tmp/c"
find src -type f -name '*.ui' | files_matching 'translatable="yes"' > "$tmp/ui"
find data -type f \( -name '*.desktop.in' -o -name '*.desktop.in.in' \
                     -o -name '*.metainfo.xml.in' -o -name '*.metainfo.xml.in.in' \) > "$tmp/data"
sort -u "$tmp/c" "$tmp/ui" "$tmp/data" > "$tmp/needed"

failed=0

comm -23 "$tmp/needed" "$tmp/known" > "$tmp/missing"
if [ -s "$tmp/missing" ]; then
  echo "Files with translatable strings that po/POTFILES.in does not list"
  echo "(add them there, sorted, or to po/POTFILES.skip if none of their"
  echo "strings is shown to anyone):"
  sed 's/^/  /' "$tmp/missing"
  failed=1
fi

for list in POTFILES.in POTFILES.skip; do
  [ -f "po/$list" ] || continue
  : > "$tmp/gone"
  entries "po/$list" | while IFS= read -r file; do
    if [ ! -f "$file" ]; then
      echo "$file" >> "$tmp/gone"
    fi
  done
  if [ -s "$tmp/gone" ]; then
    echo "po/$list lists files that do not exist:"
    sed 's/^/  /' "$tmp/gone"
    failed=1
  fi
done

if [ "$failed" -eq 0 ]; then
  echo "po/POTFILES.in lists all $(wc -l < "$tmp/needed") files with translatable strings"
fi

exit "$failed"
