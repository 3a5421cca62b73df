/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest JSON-RPC message passed either way, unless
 * --max-message-size says otherwise: a line on stdin, an event of a
 * stream, a JSON body. */
#define MC_BRIDGE_DEFAULT_MAX_MESSAGE (4 * 1024 * 1024)
#define MC_BRIDGE_MIN_MAX_MESSAGE     1024
#define MC_BRIDGE_MAX_MAX_MESSAGE     ((gint64) 1024 * 1024 * 1024)

/**
 * McBridgeTransport:
 * @MC_BRIDGE_TRANSPORT_HTTP_FIRST: Streamable HTTP, falling back to the
 *   2024-11-05 HTTP+SSE transport when the server refuses it
 * @MC_BRIDGE_TRANSPORT_HTTP_ONLY: Streamable HTTP only
 * @MC_BRIDGE_TRANSPORT_SSE_ONLY: the 2024-11-05 HTTP+SSE transport only
 * @MC_BRIDGE_TRANSPORT_SSE_FIRST: HTTP+SSE, falling back to Streamable
 *   HTTP when the server has no event stream at the URL
 *
 * mcp-remote's `--transport` strategies.
 */
typedef enum
{
  MC_BRIDGE_TRANSPORT_HTTP_FIRST,
  MC_BRIDGE_TRANSPORT_HTTP_ONLY,
  MC_BRIDGE_TRANSPORT_SSE_ONLY,
  MC_BRIDGE_TRANSPORT_SSE_FIRST,
} McBridgeTransport;

/**
 * McBridgeOptions:
 * @url: the MCP server's URL, checked
 * @header_names: (element-type utf8): the names of the extra headers
 * @header_values: (element-type utf8): their values, `${VAR}` expanded
 * @allow_http: plain http to hosts other than this computer is allowed
 * @verbose: debug messages on stderr
 * @silent: nothing on stderr but errors
 * @show_version: print the version and exit
 * @max_message: the longest message accepted either way, in bytes
 * @transport: which transports to try, in which order
 * @notes: (element-type utf8): what to tell the user about the command
 *   line at start (mcp-remote options that are accepted and ignored,
 *   variables that were not set)
 *
 * The command line, parsed.
 */
typedef struct
{
  char              *url;
  GPtrArray         *header_names;
  GPtrArray         *header_values;
  gboolean           allow_http;
  gboolean           verbose;
  gboolean           silent;
  gboolean           show_version;
  gsize              max_message;
  McBridgeTransport  transport;
  GPtrArray         *notes;
} McBridgeOptions;

McBridgeOptions *mc_bridge_options_parse      (int                  argc,
                                               char               **argv,
                                               const char * const  *envp,
                                               GError             **error);
void             mc_bridge_options_free       (McBridgeOptions     *options);
char            *mc_bridge_expand_env         (const char          *value,
                                               const char * const  *envp,
                                               GPtrArray           *unset);
gboolean         mc_bridge_check_url          (const char          *url,
                                               gboolean             allow_http,
                                               GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McBridgeOptions, mc_bridge_options_free)

G_END_DECLS
