#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# mcp-consent-bridge as the proxy under test, configured the way a user
# would for the scenario:
#
#   clients/bridge.sh SERVER_URL
#
# run-conformance.mjs (--client bridge) has started the broker this talks
# to: a private session bus (DBUS_SESSION_BUS_ADDRESS) with gnome-keyring,
# the daemon from the build tree with the scripted dialog answering "open",
# follow-browser as the session's browser, and the broker's client ID
# metadata document URL set (`mcp-consent client set-metadata-url`, for
# auth/basic-cimd). MC_CONFORMANCE_BRIDGE and MC_CONFORMANCE_CLI name the
# bridge and the CLI of the build tree.
#
# auth/pre-registration: the client id and secret the suite hands over
# (MCP_CONFORMANCE_CONTEXT) are registered for the scenario's
# authorization server, as `mcp-consent client set` does for a provider
# that wants clients registered by hand; the issuer is the first
# authorization server of the server's protected resource metadata, and
# the secret goes to the keyring on stdin.
set -eu

url=$1
scenario=${MCP_CONFORMANCE_SCENARIO:-}
node=${MC_CONFORMANCE_NODE:-node}

if [ "$scenario" = auth/pre-registration ]; then
  # Prints the issuer, the client id and the secret, one a line.
  registration=$("$node" -e '
    const url = new URL(process.argv[1]);
    const c = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || "{}");
    const prm = new URL("/.well-known/oauth-protected-resource" + url.pathname, url);
    fetch(prm).then(r => r.json()).then(doc => {
      process.stdout.write([doc.authorization_servers[0], c.client_id, c.client_secret].join("\n") + "\n");
    }, e => { console.error("bridge.sh: " + e.message); process.exit(1); });' "$url")
  issuer=$(printf '%s\n' "$registration" | sed -n 1p)
  client_id=$(printf '%s\n' "$registration" | sed -n 2p)
  printf '%s\n' "$registration" | sed -n 3p |
    "$MC_CONFORMANCE_CLI" client set --issuer "$issuer" --client-id "$client_id" \
      --auth-method basic --client-secret-stdin >&2
fi
exec "$MC_CONFORMANCE_BRIDGE" "$url"
