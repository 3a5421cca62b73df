/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-json.h"
#include "mc-transport.h"

G_DEFINE_INTERFACE (McTransport, mc_transport, G_TYPE_OBJECT)

enum
{
  MESSAGE,
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mc_transport_default_init (McTransportInterface *iface)
{
  /**
   * McTransport::message:
   * @self: the transport
   * @message: a message from the server
   * @request: (nullable): for a response, the request it answers
   *
   * Emitted for each message from the server, in the order each stream
   * brought them; a response only once, and only to a request sent.
   */
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 2,
                                   MC_TYPE_JSONRPC_MESSAGE, MC_TYPE_JSONRPC_MESSAGE);

  /**
   * McTransport::failed:
   * @self: the transport
   * @error: why, for the user
   *
   * The session is over and cannot go on (the server ended it, or the
   * stream of the HTTP+SSE transport closed); every request waiting is
   * failed too.
   */
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

void
mc_transport_send_async (McTransport         *self,
                         McJsonrpcMessage    *message,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (MC_IS_TRANSPORT (self));
  g_return_if_fail (message != NULL);

  MC_TRANSPORT_GET_IFACE (self)->send_async (self, message, cancellable, callback, user_data);
}

gboolean
mc_transport_send_finish (McTransport   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (MC_IS_TRANSPORT (self), FALSE);

  return MC_TRANSPORT_GET_IFACE (self)->send_finish (self, result, error);
}

void
mc_transport_close_async (McTransport         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (MC_IS_TRANSPORT (self));

  MC_TRANSPORT_GET_IFACE (self)->close_async (self, cancellable, callback, user_data);
}

gboolean
mc_transport_close_finish (McTransport   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (MC_IS_TRANSPORT (self), FALSE);

  return MC_TRANSPORT_GET_IFACE (self)->close_finish (self, result, error);
}

void
mc_transport_set_paused (McTransport *self,
                         gboolean     paused)
{
  g_return_if_fail (MC_IS_TRANSPORT (self));

  MC_TRANSPORT_GET_IFACE (self)->set_paused (self, paused);
}

/**
 * mc_transport_emit_message:
 * @self: a #McTransport
 * @message: a message from the server
 * @request: (nullable): the request @message answers
 *
 * For implementations: passes a message on.
 */
void
mc_transport_emit_message (McTransport      *self,
                           McJsonrpcMessage *message,
                           McJsonrpcMessage *request)
{
  g_return_if_fail (MC_IS_TRANSPORT (self));

  g_signal_emit (self, signals[MESSAGE], 0, message, request);
}

/**
 * mc_transport_emit_failed:
 * @self: a #McTransport
 * @error: why the session cannot go on
 *
 * For implementations: reports the end of the session.
 */
void
mc_transport_emit_failed (McTransport  *self,
                          const GError *error)
{
  g_return_if_fail (MC_IS_TRANSPORT (self));

  g_signal_emit (self, signals[FAILED], 0, error);
}

/**
 * mc_transport_parse_event:
 * @data: (array length=length): an event's data
 * @length: its length
 * @where: where it came from, for the log
 *
 * For implementations: reads the message of an event, or logs why it is
 * dropped.
 *
 * Returns: (transfer full) (nullable): the message
 */
McJsonrpcMessage *
mc_transport_parse_event (const char *data,
                          gsize       length,
                          const char *where)
{
  g_autoptr(GError) error = NULL;
  McJsonrpcMessage *message = NULL;

  message = mc_jsonrpc_message_parse (data, length, NULL, &error);
  if (message == NULL)
    g_warning ("The server sent something that is not a JSON-RPC message on %s (%s); dropped",
               where, error->message);
  return message;
}

/**
 * mc_transport_parse_json_body:
 * @body: an application/json response body
 * @where: where it came from, for the log
 *
 * For implementations: reads the message of a JSON response — or the
 * messages, for a server that answers with an array, as JSON-RPC batches
 * allowed before 2025-06-18.  What is not a message is logged and
 * dropped.
 *
 * Returns: (transfer full) (element-type McJsonrpcMessage): the messages
 */
GPtrArray *
mc_transport_parse_json_body (GBytes     *body,
                              const char *where)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_jsonrpc_message_unref);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);
  gsize start = 0;

  while (start < length && g_ascii_isspace (data[start]))
    start++;
  if (start == length || data[start] != '[')
    {
      McJsonrpcMessage *message = mc_transport_parse_event (data, length, where);

      if (message != NULL)
        g_ptr_array_add (messages, message);
      return messages;
    }

  root = mc_json_parse (data, length, MC_JSONRPC_MAX_NESTING, &error);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_warning ("The server sent a JSON answer on %s that is not a JSON-RPC message (%s); dropped", where,
                 error != NULL ? error->message : "not an object");
      return messages;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    {
      g_autoptr(GError) element_error = NULL;
      McJsonrpcMessage *message = mc_jsonrpc_message_new (json_array_get_element (json_node_get_array (root), i),
                                                          &element_error);

      if (message == NULL)
        g_warning ("The server sent a batch on %s with an element that is not a JSON-RPC message (%s); dropped",
                   where, element_error->message);
      else
        g_ptr_array_add (messages, message);
    }
  return messages;
}
