/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * McFakeMcpOptions:
 * @json_responses: answer requests with application/json, not a stream
 * @legacy: speak the 2024-11-05 HTTP+SSE transport (POST /mcp gets 405)
 * @initialize_status: answer the POST of initialize with this status
 *   instead (0: answer it)
 * @get_status: answer every GET with this status (405: no standalone
 *   stream; 0: offer one)
 * @get_retry_ms: the standalone stream sends `retry:` this, one message,
 *   and closes, once (0: it stays open)
 * @protocol_version: the version the server chooses (default 2025-06-18,
 *   not what the tests ask for, so that the header shows the choice)
 *
 * How the fake MCP server behaves.
 */
typedef struct
{
  gboolean    json_responses;
  gboolean    legacy;
  guint       initialize_status;
  guint       get_status;
  guint       get_retry_ms;
  const char *protocol_version;
} McFakeMcpOptions;

/**
 * McFakeRequest:
 * @method: the HTTP method
 * @path: the path and query
 * @proxied_origin: (nullable): "http://host:port" when the request line
 *   held the absolute URL, as a client sends it to an HTTP proxy (the
 *   server then serves as the proxy and the server at once)
 * @headers: (element-type utf8 utf8): the headers, names in lower case
 * @body: the body, NUL-terminated
 * @rpc_method: (nullable): the JSON-RPC method of the body
 * @time: when it arrived (monotonic, µs)
 *
 * A request the server received.
 */
typedef struct
{
  char       *method;
  char       *path;
  char       *proxied_origin;
  GHashTable *headers;
  char       *body;
  char       *rpc_method;
  gint64      time;
} McFakeRequest;

typedef struct _McFakeMcp McFakeMcp;

McFakeMcp     *mc_fake_mcp_new                (const McFakeMcpOptions *options);
void           mc_fake_mcp_free               (McFakeMcp              *self);
const char    *mc_fake_mcp_get_url            (McFakeMcp              *self);
const char    *mc_fake_mcp_get_session_id     (McFakeMcp              *self);
GPtrArray     *mc_fake_mcp_get_requests       (McFakeMcp              *self);
guint          mc_fake_mcp_count              (McFakeMcp              *self,
                                               const char             *method,
                                               const char             *rpc_method);
McFakeRequest *mc_fake_mcp_wait_request       (McFakeMcp              *self,
                                               const char             *method,
                                               const char             *rpc_method,
                                               guint                   nth);
const char    *mc_fake_request_header         (McFakeRequest          *request,
                                               const char             *name);
JsonObject    *mc_fake_mcp_find_client_response (McFakeMcp            *self,
                                                 const char           *id_json);
JsonObject    *mc_fake_mcp_wait_client_response (McFakeMcp            *self,
                                                 const char           *id_json);
void           mc_fake_mcp_wait_stream_open   (McFakeMcp              *self);
void           mc_fake_mcp_push               (McFakeMcp              *self,
                                               const char             *message);
guint64        mc_fake_mcp_get_pushed_bytes   (McFakeMcp              *self);
guint64        mc_fake_mcp_get_written_bytes  (McFakeMcp              *self);
guint          mc_fake_mcp_get_max_concurrent (McFakeMcp              *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McFakeMcp, mc_fake_mcp_free)

G_END_DECLS
