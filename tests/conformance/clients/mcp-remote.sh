#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# mcp-remote 0.15.1 (tests/npm) as the proxy under test, configured the
# way a user would for the scenario:
#
#   clients/mcp-remote.sh SERVER_URL
#
# Every auth/* scenario: --client-metadata-url with the URL the suite's
# client ID metadata document scenario expects (as the suite's own
# reference client has it built in); auth/pre-registration: the client id
# and secret the suite hands over (MCP_CONFORMANCE_CONTEXT) as
# --static-oauth-client-info (mcp-remote takes the secret nowhere else).
# With MC_CONFORMANCE_UNCONFIGURED set (run-conformance's mcp-remote-plain
# profile), none of that: the URL alone, as mcp-remote is usually set up.
# Runs on MC_CONFORMANCE_NODE (set by run-conformance.mjs; mcp-remote
# 0.15.1 needs Node.js >= 20.18.1).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
node=${MC_CONFORMANCE_NODE:-node}
proxy="$here/../../npm/node_modules/mcp-remote/dist/proxy.js"
url=$1
scenario=${MCP_CONFORMANCE_SCENARIO:-}

set -- "$proxy" "$url"
if [ -n "${MC_CONFORMANCE_UNCONFIGURED:-}" ]; then
  scenario=unconfigured
fi
case "$scenario" in
  auth/*)
    set -- "$@" --client-metadata-url "https://conformance-test.local/client-metadata.json"
    ;;
esac
if [ "$scenario" = auth/pre-registration ]; then
  info=$("$node" -e '
    const c = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || "{}");
    process.stdout.write(JSON.stringify({ client_id: c.client_id, client_secret: c.client_secret }));')
  set -- "$@" --static-oauth-client-info "$info"
fi
exec "$node" "$@"
