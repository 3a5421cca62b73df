/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-bridge-error.h"
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

/* Calls {{{1 */

McTransportCall *
mc_transport_call_ref (McTransportCall *call)
{
  g_ref_count_inc (&call->ref_count);
  return call;
}

void
mc_transport_call_unref (McTransportCall *call)
{
  if (!g_ref_count_dec (&call->ref_count))
    return;

  if (call->clear != NULL)
    call->clear (call);
  g_clear_object (&call->task);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->refusal);
  g_clear_object (&call->transport);
  g_clear_pointer (&call->message, mc_jsonrpc_message_unref);
  g_free (call);
}

gboolean
mc_transport_call_is_request (McTransportCall *call)
{
  return mc_jsonrpc_message_get_kind (call->message) == MC_JSONRPC_REQUEST;
}

gboolean
mc_transport_call_is (McTransportCall *call,
                      const char      *method)
{
  return g_strcmp0 (mc_jsonrpc_message_get_method (call->message), method) == 0;
}

void
mc_transport_calls_init (McTransportCalls *calls)
{
  calls->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_transport_call_unref);
  calls->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
mc_transport_calls_clear (McTransportCalls *calls)
{
  g_clear_pointer (&calls->calls, g_ptr_array_unref);
  g_clear_pointer (&calls->pending, g_hash_table_unref);
}

/**
 * mc_transport_calls_start:
 * @calls: the transport's calls
 * @transport: the transport
 * @size: the size of the call's structure, at least that of
 *   #McTransportCall (which it starts with)
 * @message: the client's message
 * @task: (transfer full): the send task
 * @failure: (nullable): why the transport cannot send any more
 * @closed: whether the transport is closed
 *
 * For implementations of send_async(): refuses the message when the
 * transport cannot send it, or when a request with its id is still
 * waiting (a second response could not be told from the first), and
 * otherwise starts a call.
 *
 * Returns: (transfer none) (nullable): the call, or %NULL if @task was
 *   completed with the refusal
 */
McTransportCall *
mc_transport_calls_start (McTransportCalls *calls,
                          McTransport      *transport,
                          gsize             size,
                          McJsonrpcMessage *message,
                          GTask            *task,
                          const GError     *failure,
                          gboolean          closed)
{
  const char *key = mc_jsonrpc_message_get_id_key (message);
  McTransportCall *call = NULL;

  g_return_val_if_fail (size >= sizeof (McTransportCall), NULL);

  if (failure != NULL)
    {
      g_task_return_error (task, g_error_copy (failure));
      g_object_unref (task);
      return NULL;
    }
  if (closed)
    {
      g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED, _("The bridge is shutting down"));
      g_object_unref (task);
      return NULL;
    }
  if (mc_jsonrpc_message_get_kind (message) == MC_JSONRPC_REQUEST && g_hash_table_contains (calls->pending, key))
    {
      g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_DUPLICATE_ID,
                               _("Invalid Request: a request with this id is still waiting for its response"));
      g_object_unref (task);
      return NULL;
    }

  call = g_malloc0 (size);
  g_ref_count_init (&call->ref_count);
  call->transport = g_object_ref (transport);
  call->message = mc_jsonrpc_message_ref (message);
  call->task = task;
  call->cancellable = g_cancellable_new ();
  g_ptr_array_add (calls->calls, call);
  if (mc_jsonrpc_message_get_kind (message) == MC_JSONRPC_REQUEST)
    g_hash_table_insert (calls->pending, g_strdup (key), call);
  return call;
}

/**
 * mc_transport_calls_finish:
 * @calls: the transport's calls
 * @call: one of them
 * @error: (nullable): why it failed, or %NULL: it is through
 *
 * Completes the call's task, once; later calls do nothing.
 */
void
mc_transport_calls_finish (McTransportCalls *calls,
                           McTransportCall  *call,
                           const GError     *error)
{
  const char *key = mc_jsonrpc_message_get_id_key (call->message);

  if (call->done)
    return;
  call->done = TRUE;

  if (call->finishing != NULL)
    call->finishing (call);
  g_cancellable_cancel (call->cancellable);
  if (mc_transport_call_is_request (call) && key != NULL && g_hash_table_lookup (calls->pending, key) == call)
    g_hash_table_remove (calls->pending, key);

  /* Out of the books before the task returns: its callback may run now,
   * and close the transport. */
  mc_transport_call_ref (call);
  g_ptr_array_remove_fast (calls->calls, call);
  if (error != NULL)
    g_task_return_error (call->task, g_error_copy (error));
  else
    g_task_return_boolean (call->task, TRUE);
  mc_transport_call_unref (call);
}

/**
 * mc_transport_calls_fail_all:
 * @calls: the transport's calls
 * @error: why
 *
 * Finishes every call under way with @error.
 */
void
mc_transport_calls_fail_all (McTransportCalls *calls,
                             const GError     *error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_transport_call_unref);

  for (guint i = 0; i < calls->calls->len; i++)
    g_ptr_array_add (all, mc_transport_call_ref (calls->calls->pdata[i]));
  for (guint i = 0; i < all->len; i++)
    mc_transport_calls_finish (calls, all->pdata[i], error);
}

/**
 * mc_transport_calls_take_response:
 * @calls: the transport's calls
 * @message: a response from the server
 *
 * Finds the request @message answers and takes it off the requests
 * waiting, so that no second response is taken for it; a response that
 * answers no request waiting is logged and dropped.
 *
 * Returns: (transfer full) (nullable): the request's call, still to be
 *   finished
 */
McTransportCall *
mc_transport_calls_take_response (McTransportCalls *calls,
                                  McJsonrpcMessage *message)
{
  const char *key = mc_jsonrpc_message_get_id_key (message);
  McTransportCall *call = NULL;

  if (key != NULL)
    call = g_hash_table_lookup (calls->pending, key);
  if (call == NULL)
    {
      g_warning ("The server sent an %s, which answers no request waiting; dropped",
                 mc_jsonrpc_message_describe (message));
      return NULL;
    }

  mc_transport_call_ref (call);
  g_hash_table_remove (calls->pending, key);
  return call;
}
