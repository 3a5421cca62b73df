/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-bridge-auth.h"
#include "mc-bridge-options.h"
#include "mc-jsonrpc.h"

G_BEGIN_DECLS

/* Client messages sent to the server and not yet answered, at most; past
 * this the bridge stops reading stdin. */
#define MC_BRIDGE_MAX_IN_FLIGHT 32
/* Bytes waiting for the client to read them, at most, before the bridge
 * stops reading from the server and from stdin. */
#define MC_BRIDGE_OUTPUT_HIGH_WATER (1024 * 1024)
/* After stdin closed, how long requests under way may still take. */
#define MC_BRIDGE_EOF_GRACE_SECONDS 30

#define MC_TYPE_BRIDGE (mc_bridge_get_type ())

G_DECLARE_FINAL_TYPE (McBridge, mc_bridge, MC, BRIDGE, GObject)

McBridge   *mc_bridge_new                  (const McBridgeOptions  *options,
                                            GProxyResolver         *proxy_resolver,
                                            int                     in_fd,
                                            int                     out_fd);
void        mc_bridge_set_auth             (McBridge               *self,
                                            McBridgeAuth           *auth);
void        mc_bridge_run_async            (McBridge               *self,
                                            GCancellable           *cancellable,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
int         mc_bridge_run_finish           (McBridge               *self,
                                            GAsyncResult           *result,
                                            GError                **error);
void        mc_bridge_stop                 (McBridge               *self);
void        mc_bridge_send_to_server       (McBridge               *self,
                                            McJsonrpcMessage       *message);
void        mc_bridge_send_to_client       (McBridge               *self,
                                            McJsonrpcMessage       *message);
void        mc_bridge_hold                 (McBridge               *self);
void        mc_bridge_release              (McBridge               *self);
const char *mc_bridge_get_url              (McBridge               *self);
JsonObject *mc_bridge_get_server_info      (McBridge               *self);
const char *mc_bridge_get_protocol_version (McBridge               *self);

G_END_DECLS
