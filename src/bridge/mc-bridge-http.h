/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <libsoup/soup.h>

#include "mc-bridge-auth.h"

G_BEGIN_DECLS

/* How many connections to the server may be open at once: the standalone
 * stream, streams being resumed, and one per request in flight
 * (McBridge keeps fewer in flight than this). */
#define MC_BRIDGE_HTTP_MAX_CONNECTIONS 48

#define MC_TYPE_BRIDGE_HTTP (mc_bridge_http_get_type ())

G_DECLARE_FINAL_TYPE (McBridgeHttp, mc_bridge_http, MC, BRIDGE_HTTP, GObject)

McBridgeHttp  *mc_bridge_http_new                (GPtrArray            *header_names,
                                                  GPtrArray            *header_values,
                                                  GProxyResolver       *proxy_resolver);
void           mc_bridge_http_set_auth           (McBridgeHttp         *self,
                                                  McBridgeAuth         *auth);
McBridgeAuth  *mc_bridge_http_get_auth           (McBridgeHttp         *self);
void           mc_bridge_http_send_async         (McBridgeHttp         *self,
                                                  const char           *method,
                                                  const char           *url,
                                                  SoupMessageHeaders   *headers,
                                                  GBytes               *body,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GInputStream  *mc_bridge_http_send_finish        (McBridgeHttp         *self,
                                                  GAsyncResult         *result,
                                                  SoupMessage         **out_message,
                                                  GError              **error);
void           mc_bridge_http_read_body_async    (McBridgeHttp         *self,
                                                  GInputStream         *stream,
                                                  gsize                 max_length,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GBytes        *mc_bridge_http_read_body_finish   (McBridgeHttp         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
GError        *mc_bridge_http_status_error       (SoupMessage          *message,
                                                  const char           *what,
                                                  GBytes               *body);
char          *mc_bridge_http_display_url        (const char           *url);
gboolean       mc_bridge_http_is_content_type    (SoupMessage          *message,
                                                  const char           *type);

G_END_DECLS
