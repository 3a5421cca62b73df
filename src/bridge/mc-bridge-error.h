/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * McBridgeError:
 * @MC_BRIDGE_ERROR_FAILED: Something went wrong that has no better code.
 * @MC_BRIDGE_ERROR_LINE_TOO_LONG: A line (of stdin or of an event stream)
 *   is longer than the limit.
 * @MC_BRIDGE_ERROR_EVENT_TOO_LARGE: An event or a message is larger than
 *   the limit.
 * @MC_BRIDGE_ERROR_PARSE: Not JSON (JSON-RPC -32700).
 * @MC_BRIDGE_ERROR_INVALID_REQUEST: JSON, but not a JSON-RPC message
 *   (JSON-RPC -32600).
 * @MC_BRIDGE_ERROR_BAD_ARGUMENT: A command-line argument is wrong.
 * @MC_BRIDGE_ERROR_UNREACHABLE: The server could not be reached.
 * @MC_BRIDGE_ERROR_TLS: The server's TLS certificate could not be verified.
 * @MC_BRIDGE_ERROR_HTTP: The server answered with an HTTP status the
 *   bridge cannot use.
 * @MC_BRIDGE_ERROR_NOT_MCP: The server answered with something that is
 *   not an MCP message.
 * @MC_BRIDGE_ERROR_AUTH_REQUIRED: The server wants authorization (401 or
 *   403) that nobody could give.
 * @MC_BRIDGE_ERROR_NO_STREAMABLE_HTTP: The server refused the POST of
 *   `initialize` with 400, 404 or 405: it may speak the 2024-11-05 HTTP+SSE
 *   transport instead.
 * @MC_BRIDGE_ERROR_NO_EVENT_STREAM: A GET of the URL, for the 2024-11-05
 *   HTTP+SSE transport, gave no event stream.
 * @MC_BRIDGE_ERROR_STREAM_ENDED: A stream ended before the response it
 *   should have carried, and cannot be resumed.
 * @MC_BRIDGE_ERROR_SESSION_ENDED: The server ended the MCP session (404
 *   to a request with the session id).
 * @MC_BRIDGE_ERROR_DUPLICATE_ID: The client reused the id of a request
 *   that is still waiting for its response.
 * @MC_BRIDGE_ERROR_CLOSED: The bridge is shutting down.
 *
 * Errors of mcp-consent-bridge.  Their messages are written for the user:
 * they say what happened and, where there is one, what to try.
 */
typedef enum
{
  MC_BRIDGE_ERROR_FAILED,
  MC_BRIDGE_ERROR_LINE_TOO_LONG,
  MC_BRIDGE_ERROR_EVENT_TOO_LARGE,
  MC_BRIDGE_ERROR_PARSE,
  MC_BRIDGE_ERROR_INVALID_REQUEST,
  MC_BRIDGE_ERROR_BAD_ARGUMENT,
  MC_BRIDGE_ERROR_UNREACHABLE,
  MC_BRIDGE_ERROR_TLS,
  MC_BRIDGE_ERROR_HTTP,
  MC_BRIDGE_ERROR_NOT_MCP,
  MC_BRIDGE_ERROR_AUTH_REQUIRED,
  MC_BRIDGE_ERROR_NO_STREAMABLE_HTTP,
  MC_BRIDGE_ERROR_NO_EVENT_STREAM,
  MC_BRIDGE_ERROR_STREAM_ENDED,
  MC_BRIDGE_ERROR_SESSION_ENDED,
  MC_BRIDGE_ERROR_DUPLICATE_ID,
  MC_BRIDGE_ERROR_CLOSED,
} McBridgeError;

#define MC_BRIDGE_ERROR (mc_bridge_error_quark ())

GQuark mc_bridge_error_quark (void);

G_END_DECLS
