#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
#
# The browser of the conformance runs: follow-browser (tests/), after
# MC_CONFORMANCE_BROWSER_DELAY seconds, the time a real browser takes to
# come up and load a page.
#
#   browser.sh FOLLOW_BROWSER URL
#
# Logs its pid at once, as follow-browser does (it is the same process
# after exec), so that run-conformance.mjs can stop it while it waits.
set -eu
printf '{"event":"started","pid":%s}\n' "$$" >>"${MCP_CONSENT_TEST_BROWSER_LOG:-/dev/null}"
sleep "${MC_CONFORMANCE_BROWSER_DELAY:-0}"
exec "$@"
