/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* JSON-RPC 2.0 error codes the bridge answers with. */
#define MC_JSONRPC_PARSE_ERROR      (-32700)
#define MC_JSONRPC_INVALID_REQUEST  (-32600)
#define MC_JSONRPC_INTERNAL_ERROR   (-32603)
/* Implementation-defined server errors (-32000 to -32099): the bridge
 * could not get the request answered. */
#define MC_JSONRPC_BRIDGE_ERROR     (-32000)

/* Arrays and objects in a message may nest this deep; json-glib 1.6
 * recurses, so there must be a limit.  MCP messages carry tool arguments
 * and results and JSON Schemas, hence more room than the broker's own
 * files get (MC_JSON_MAX_NESTING). */
#define MC_JSONRPC_MAX_NESTING 128

/**
 * McJsonrpcKind:
 * @MC_JSONRPC_REQUEST: has a method and an id
 * @MC_JSONRPC_NOTIFICATION: has a method and no id
 * @MC_JSONRPC_RESPONSE: has a result or an error, and an id
 *
 * What a JSON-RPC message is.
 */
typedef enum
{
  MC_JSONRPC_REQUEST,
  MC_JSONRPC_NOTIFICATION,
  MC_JSONRPC_RESPONSE,
} McJsonrpcKind;

typedef struct _McJsonrpcMessage McJsonrpcMessage;

#define MC_TYPE_JSONRPC_MESSAGE (mc_jsonrpc_message_get_type ())

GType             mc_jsonrpc_message_get_type        (void);
McJsonrpcMessage *mc_jsonrpc_message_parse           (const char        *data,
                                                      gsize              length,
                                                      JsonNode         **out_id,
                                                      GError           **error);
McJsonrpcMessage *mc_jsonrpc_message_new             (JsonNode          *root,
                                                      GError           **error);
McJsonrpcMessage *mc_jsonrpc_message_new_error       (JsonNode          *id,
                                                      int                code,
                                                      const char        *message,
                                                      JsonNode          *data);
McJsonrpcMessage *mc_jsonrpc_message_ref             (McJsonrpcMessage  *self);
void              mc_jsonrpc_message_unref           (McJsonrpcMessage  *self);
McJsonrpcKind     mc_jsonrpc_message_get_kind        (McJsonrpcMessage  *self);
const char       *mc_jsonrpc_message_get_method      (McJsonrpcMessage  *self);
JsonNode         *mc_jsonrpc_message_get_id          (McJsonrpcMessage  *self);
const char       *mc_jsonrpc_message_get_id_key      (McJsonrpcMessage  *self);
gboolean          mc_jsonrpc_message_is_error        (McJsonrpcMessage  *self);
JsonObject       *mc_jsonrpc_message_get_object      (McJsonrpcMessage  *self);
gboolean          mc_jsonrpc_message_changed         (McJsonrpcMessage  *self,
                                                      GError           **error);
GBytes           *mc_jsonrpc_message_get_bytes       (McJsonrpcMessage  *self);
const char       *mc_jsonrpc_message_describe        (McJsonrpcMessage  *self);

char             *mc_jsonrpc_id_key                  (JsonNode          *id);
JsonNode         *mc_jsonrpc_scan_id                 (const char        *data,
                                                      gsize              length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McJsonrpcMessage, mc_jsonrpc_message_unref)

G_END_DECLS
