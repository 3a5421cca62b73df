/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-jsonrpc.h"

G_BEGIN_DECLS

#define MC_TYPE_TRANSPORT (mc_transport_get_type ())

G_DECLARE_INTERFACE (McTransport, mc_transport, MC, TRANSPORT, GObject)

/**
 * McTransportInterface:
 * @send_async: send one client message; for a request, complete when its
 *   response was emitted (::message) or cannot come
 * @send_finish: %TRUE, or %FALSE with the error to answer the request with
 * @close_async: end the session (DELETE) and stop every stream
 * @close_finish: always completes
 * @set_paused: stop or resume reading the server's streams
 *
 * A way to an MCP server over HTTP: Streamable HTTP (McStreamableHttp) or
 * the 2024-11-05 HTTP+SSE transport (McLegacySse).  Responses are matched
 * to the requests sent, each request answered once.
 */
struct _McTransportInterface
{
  GTypeInterface parent_iface;

  void     (*send_async)   (McTransport          *self,
                            McJsonrpcMessage     *message,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data);
  gboolean (*send_finish)  (McTransport          *self,
                            GAsyncResult         *result,
                            GError              **error);
  void     (*close_async)  (McTransport          *self,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data);
  gboolean (*close_finish) (McTransport          *self,
                            GAsyncResult         *result,
                            GError              **error);
  void     (*set_paused)   (McTransport          *self,
                            gboolean              paused);
};

void              mc_transport_send_async      (McTransport          *self,
                                                McJsonrpcMessage     *message,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean          mc_transport_send_finish     (McTransport          *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void              mc_transport_close_async     (McTransport          *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean          mc_transport_close_finish    (McTransport          *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void              mc_transport_set_paused      (McTransport          *self,
                                                gboolean              paused);

void              mc_transport_emit_message    (McTransport          *self,
                                                McJsonrpcMessage     *message,
                                                McJsonrpcMessage     *request);
void              mc_transport_emit_failed     (McTransport          *self,
                                                const GError         *error);
McJsonrpcMessage *mc_transport_parse_event     (const char           *data,
                                                gsize                 length,
                                                const char           *where);
GPtrArray        *mc_transport_parse_json_body (GBytes               *body,
                                                const char           *where);

G_END_DECLS
