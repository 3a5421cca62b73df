/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-bridge-error.h"
#include "mc-bridge-http.h"
#include "mc-bridge.h"
#include "mc-legacy-sse.h"
#include "mc-stdio-channel.h"
#include "mc-streamable-http.h"

/* McBridge joins the client's stdio (McStdioChannel) to the server
 * (McTransport: Streamable HTTP, or the older HTTP+SSE transport).
 *
 * Client messages are sent in the order they came.  `initialize` and
 * `notifications/initialized` are barriers: nothing after them is sent
 * before they are through, so the server sees the handshake first and
 * every later request carries the session id and protocol version.
 * Otherwise up to MC_BRIDGE_MAX_IN_FLIGHT messages are under way at once.
 *
 * Every request gets exactly one response on stdout: the server's, or an
 * error the bridge writes when the server cannot answer it (unreachable,
 * an HTTP error, a stream that ended and could not be resumed).  Server
 * messages go to stdout in the order each stream brought them.
 *
 * Backpressure instead of buffering: the bridge stops reading stdin while
 * too many messages are under way or queued, and stops reading the
 * server's streams (and stdin) while too much waits for the client to
 * read it.
 *
 * When stdin ends the bridge waits for the requests under way (at most
 * MC_BRIDGE_EOF_GRACE_SECONDS), ends the session (DELETE), writes out
 * what is queued and finishes with 0.  A failure of the handshake, or the
 * end of the session, finishes it with 1 after answering what waits.
 *
 * The seams for the broker (docs/bridge.md, "Internals"): ::client-message
 * and ::server-message see every message before it is passed on, and may
 * change it or take it; mc_bridge_send_to_server(),
 * mc_bridge_send_to_client(), mc_bridge_hold() and mc_bridge_release()
 * let a handler act later; mc_bridge_set_auth() installs the
 * authorization. */

struct _McBridge
{
  GObject            parent_instance;

  char              *url;
  gsize              max_message;
  McBridgeTransport  strategy;

  McBridgeHttp      *http;
  McStdioChannel    *stdio;
  McTransport       *transport;
  gboolean           on_legacy;
  gboolean           fell_back;
  GError            *first_error;

  GQueue             outgoing;
  guint              in_flight;
  gboolean           barrier;
  guint              holds;

  gboolean           stdin_eof;
  gboolean           stopping;
  gboolean           closing;
  gboolean           closed;
  gboolean           finished;
  int                exit_status;
  /* Why the bridge stopped, for the requests it does not send. */
  GError            *stop_error;
  guint              grace_timer;
  GTask             *run_task;

  JsonNode          *server_info;
  char              *protocol_version;
};

G_DEFINE_FINAL_TYPE (McBridge, mc_bridge, G_TYPE_OBJECT)

enum
{
  CLIENT_MESSAGE,
  SERVER_MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void pump (McBridge *self);
static void maybe_finish (McBridge *self);
static void stop (McBridge *self, int exit_status, const GError *error);

static gboolean
is_method (McJsonrpcMessage *message,
           const char       *method)
{
  return g_strcmp0 (mc_jsonrpc_message_get_method (message), method) == 0;
}

static gboolean
is_barrier (McJsonrpcMessage *message)
{
  return (mc_jsonrpc_message_get_kind (message) == MC_JSONRPC_REQUEST && is_method (message, "initialize")) ||
         (mc_jsonrpc_message_get_kind (message) == MC_JSONRPC_NOTIFICATION &&
          is_method (message, "notifications/initialized"));
}

/* Backpressure {{{1 */

static void
update_flow (McBridge *self)
{
  gboolean output_full = mc_stdio_channel_get_queued (self->stdio) > MC_BRIDGE_OUTPUT_HIGH_WATER;
  gboolean busy = self->in_flight + g_queue_get_length (&self->outgoing) >= MC_BRIDGE_MAX_IN_FLIGHT;

  if (self->transport != NULL)
    mc_transport_set_paused (self->transport, output_full);
  mc_stdio_channel_set_paused (self->stdio, output_full || busy || self->stopping);
}

/* To the client {{{1 */

/**
 * mc_bridge_send_to_client:
 * @self: a #McBridge
 * @message: a message for the client
 *
 * Writes @message to stdout, after what is already queued, without
 * passing it through ::server-message.  For hooks that answer the client
 * themselves.
 */
void
mc_bridge_send_to_client (McBridge         *self,
                          McJsonrpcMessage *message)
{
  g_return_if_fail (MC_IS_BRIDGE (self));
  g_return_if_fail (message != NULL);

  g_debug ("→ client: %s", mc_jsonrpc_message_describe (message));
  mc_stdio_channel_write (self->stdio, message);
  update_flow (self);
}

static void
answer_with_error (McBridge         *self,
                   McJsonrpcMessage *request,
                   const GError     *error)
{
  g_autoptr(McJsonrpcMessage) response = NULL;
  int code = MC_JSONRPC_BRIDGE_ERROR;

  if (mc_jsonrpc_message_get_kind (request) != MC_JSONRPC_REQUEST)
    return;

  if (g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_DUPLICATE_ID))
    code = MC_JSONRPC_INVALID_REQUEST;
  response = mc_jsonrpc_message_new_error (mc_jsonrpc_message_get_id (request), code, error->message, NULL);
  mc_bridge_send_to_client (self, response);
}

static void
capture_initialize_result (McBridge         *self,
                           McJsonrpcMessage *response)
{
  JsonObject *object = mc_jsonrpc_message_get_object (response);
  JsonNode *result = json_object_get_member (object, "result");
  JsonObject *result_object = NULL;
  JsonNode *server_info = NULL;
  JsonNode *version = NULL;

  if (result == NULL || !JSON_NODE_HOLDS_OBJECT (result))
    return;

  result_object = json_node_get_object (result);
  server_info = json_object_get_member (result_object, "serverInfo");
  if (server_info != NULL && JSON_NODE_HOLDS_OBJECT (server_info))
    {
      g_clear_pointer (&self->server_info, json_node_unref);
      self->server_info = json_node_copy (server_info);
    }

  version = json_object_get_member (result_object, "protocolVersion");
  if (version != NULL && JSON_NODE_HOLDS_VALUE (version) && json_node_get_value_type (version) == G_TYPE_STRING)
    {
      g_free (self->protocol_version);
      self->protocol_version = g_strdup (json_node_get_string (version));
    }
}

static void
on_transport_message (McTransport      *transport,
                      McJsonrpcMessage *message,
                      McJsonrpcMessage *request,
                      gpointer          user_data)
{
  McBridge *self = user_data;
  gboolean handled = FALSE;

  if (transport != self->transport)
    return;

  if (request != NULL && is_method (request, "initialize") && !mc_jsonrpc_message_is_error (message))
    capture_initialize_result (self, message);

  g_signal_emit (self, signals[SERVER_MESSAGE], 0, message, request, &handled);
  if (handled)
    {
      g_debug ("A hook took the server’s %s", mc_jsonrpc_message_describe (message));
      return;
    }

  mc_bridge_send_to_client (self, message);
}

static void
on_transport_failed (McTransport  *transport,
                     const GError *error,
                     gpointer      user_data)
{
  McBridge *self = user_data;

  if (transport != self->transport)
    return;

  g_warning ("%s", error->message);
  stop (self, 1, error);
}

/* To the server {{{1 */

static void
connect_transport (McBridge *self,
                   gboolean  legacy)
{
  if (self->transport != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->transport, self);
      mc_transport_close_async (self->transport, NULL, NULL, NULL);
      g_clear_object (&self->transport);
    }

  self->on_legacy = legacy;
  if (legacy)
    self->transport = MC_TRANSPORT (mc_legacy_sse_new (self->http, self->url, self->max_message));
  else
    self->transport = MC_TRANSPORT (mc_streamable_http_new (self->http, self->url, self->max_message));
  g_signal_connect (self->transport, "message", G_CALLBACK (on_transport_message), self);
  g_signal_connect (self->transport, "failed", G_CALLBACK (on_transport_failed), self);
  update_flow (self);
}

/* When the handshake fails on the first transport: whether to try the
 * other, as the strategy says. */
static gboolean
try_fallback (McBridge     *self,
              const GError *error)
{
  gboolean to_legacy = FALSE;

  if (self->fell_back)
    return FALSE;

  if (!self->on_legacy && self->strategy == MC_BRIDGE_TRANSPORT_HTTP_FIRST &&
      g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NO_STREAMABLE_HTTP))
    to_legacy = TRUE;
  else if (self->on_legacy && self->strategy == MC_BRIDGE_TRANSPORT_SSE_FIRST &&
           g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NO_EVENT_STREAM))
    to_legacy = FALSE;
  else
    return FALSE;

  g_debug ("%s; trying %s", error->message,
           to_legacy ? "the HTTP+SSE transport of 2024-11-05" : "Streamable HTTP");
  self->fell_back = TRUE;
  self->first_error = g_error_copy (error);
  connect_transport (self, to_legacy);
  return TRUE;
}

typedef struct
{
  McBridge         *self;
  McJsonrpcMessage *message;
  McTransport      *transport;
} Sent;

static void
sent_free (Sent *sent)
{
  g_clear_object (&sent->self);
  g_clear_pointer (&sent->message, mc_jsonrpc_message_unref);
  g_clear_object (&sent->transport);
  g_free (sent);
}

static void send_message (McBridge *self, McJsonrpcMessage *message);

static void
report_failure (McBridge         *self,
                McJsonrpcMessage *message,
                const GError     *error)
{
  g_autoptr(GError) shown = NULL;

  if (!is_method (message, "initialize"))
    {
      if (!g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED))
        g_warning ("%s", error->message);
      answer_with_error (self, message, error);
      return;
    }

  /* The handshake: nothing can work without it. */
  if (self->first_error != NULL)
    shown = g_error_new (error->domain, error->code,
                         self->on_legacy ? _("%s; the older HTTP+SSE transport did not work either: %s")
                                         : _("%s; Streamable HTTP did not work either: %s"),
                         self->first_error->message, error->message);
  else
    shown = g_error_copy (error);

  if (!g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED))
    g_warning ("%s", shown->message);
  answer_with_error (self, message, shown);
  stop (self, 1, shown);
}

static void
on_sent (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Sent *sent = user_data;
  McBridge *self = sent->self;
  g_autoptr(GError) error = NULL;

  self->in_flight--;
  if (!mc_transport_send_finish (sent->transport, result, &error))
    {
      if (sent->transport == self->transport && is_method (sent->message, "initialize") &&
          !self->stopping && try_fallback (self, error))
        {
          /* Still the barrier: sent again on the other transport. */
          send_message (self, sent->message);
          sent_free (sent);
          return;
        }
      report_failure (self, sent->message, error);
    }

  if (is_barrier (sent->message))
    self->barrier = FALSE;

  sent_free (sent);
  pump (self);
}

static void
send_message (McBridge         *self,
              McJsonrpcMessage *message)
{
  Sent *sent = g_new0 (Sent, 1);

  if (is_barrier (message))
    self->barrier = TRUE;

  sent->self = g_object_ref (self);
  sent->message = mc_jsonrpc_message_ref (message);
  sent->transport = g_object_ref (self->transport);
  self->in_flight++;
  g_debug ("→ server: %s", mc_jsonrpc_message_describe (message));
  mc_transport_send_async (self->transport, message, NULL, on_sent, sent);
}

static void
pump (McBridge *self)
{
  while (!self->barrier && !self->stopping && self->in_flight < MC_BRIDGE_MAX_IN_FLIGHT &&
         !g_queue_is_empty (&self->outgoing))
    {
      g_autoptr(McJsonrpcMessage) message = g_queue_pop_head (&self->outgoing);

      send_message (self, message);
    }

  update_flow (self);
  maybe_finish (self);
}

static void
refuse_queued (McBridge *self)
{
  g_autoptr(GError) error = NULL;

  if (g_queue_is_empty (&self->outgoing))
    return;

  if (self->stop_error != NULL)
    error = g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED, _("Not sent: %s"), self->stop_error->message);
  else
    error = g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED,
                         _("Not sent: the bridge is shutting down"));

  while (!g_queue_is_empty (&self->outgoing))
    {
      g_autoptr(McJsonrpcMessage) message = g_queue_pop_head (&self->outgoing);

      answer_with_error (self, message, error);
    }
}

/**
 * mc_bridge_send_to_server:
 * @self: a #McBridge
 * @message: a message for the server
 *
 * Queues @message for the server, after the client's messages already
 * queued, without passing it through ::client-message.  For hooks that
 * answer the server themselves (a response to a request they took) or
 * send a request again; the response to a request comes back through
 * ::server-message with it.
 */
void
mc_bridge_send_to_server (McBridge         *self,
                          McJsonrpcMessage *message)
{
  g_return_if_fail (MC_IS_BRIDGE (self));
  g_return_if_fail (message != NULL);

  g_queue_push_tail (&self->outgoing, mc_jsonrpc_message_ref (message));
  if (self->stopping)
    refuse_queued (self);
  pump (self);
}

/* From the client {{{1 */

static void
on_client_message (McStdioChannel   *stdio,
                   McJsonrpcMessage *message,
                   gpointer          user_data)
{
  McBridge *self = user_data;
  gboolean handled = FALSE;

  g_signal_emit (self, signals[CLIENT_MESSAGE], 0, message, &handled);
  if (handled)
    {
      g_debug ("A hook took the client’s %s", mc_jsonrpc_message_describe (message));
      return;
    }

  mc_bridge_send_to_server (self, message);
}

static gboolean
on_grace_over (gpointer user_data)
{
  McBridge *self = user_data;

  self->grace_timer = 0;
  g_warning ("stdin closed %d s ago and %u requests are still waiting for the server; giving up on them",
             MC_BRIDGE_EOF_GRACE_SECONDS, self->in_flight);
  stop (self, self->exit_status, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_client_eof (McStdioChannel *stdio,
               gpointer        user_data)
{
  McBridge *self = user_data;

  self->stdin_eof = TRUE;
  self->grace_timer = g_timeout_add_seconds (MC_BRIDGE_EOF_GRACE_SECONDS, on_grace_over, self);
  pump (self);
}

static void
on_drained (McStdioChannel *stdio,
            gpointer        user_data)
{
  update_flow (user_data);
}

static void
on_write_failed (McStdioChannel *stdio,
                 const GError   *error,
                 gpointer        user_data)
{
  McBridge *self = user_data;

  g_warning ("%s", error->message);
  stop (self, 1, error);
}

/* The end {{{1 */

static void
on_flushed (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(McBridge) self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->run_task);

  /* A client that went away already had its warning. */
  mc_stdio_channel_flush_finish (MC_STDIO_CHANNEL (source_object), result, NULL);
  g_debug ("Done, exit status %d", self->exit_status);
  g_task_return_int (task, self->exit_status);
}

static void
on_closed (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(McBridge) self = user_data;

  mc_transport_close_finish (MC_TRANSPORT (source_object), result, NULL);
  self->closed = TRUE;
  maybe_finish (self);
}

static void
maybe_finish (McBridge *self)
{
  if (self->finished || self->run_task == NULL)
    return;
  if (!self->stdin_eof && !self->stopping)
    return;
  if (!self->stopping &&
      (self->in_flight > 0 || self->holds > 0 || !g_queue_is_empty (&self->outgoing)))
    return;

  if (!self->closing)
    {
      self->closing = TRUE;
      g_clear_handle_id (&self->grace_timer, g_source_remove);
      mc_transport_close_async (self->transport, NULL, on_closed, g_object_ref (self));
      return;
    }
  if (!self->closed || self->in_flight > 0)
    return;

  self->finished = TRUE;
  mc_stdio_channel_flush_async (self->stdio, NULL, on_flushed, g_object_ref (self));
}

static void
stop (McBridge     *self,
      int           exit_status,
      const GError *error)
{
  if (self->stopping)
    return;

  self->stopping = TRUE;
  self->exit_status = exit_status;
  if (error != NULL)
    self->stop_error = g_error_copy (error);
  mc_stdio_channel_stop_reading (self->stdio);
  refuse_queued (self);
  update_flow (self);
  maybe_finish (self);
}

/**
 * mc_bridge_stop:
 * @self: a #McBridge
 *
 * Ends the bridge now (on SIGTERM, say): requests under way are answered
 * with an error, the session is ended, what is queued for the client is
 * written, and the run finishes with 0.
 */
void
mc_bridge_stop (McBridge *self)
{
  g_return_if_fail (MC_IS_BRIDGE (self));

  stop (self, 0, NULL);
}

/**
 * mc_bridge_run_async:
 * @self: a #McBridge
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the bridge is done
 * @user_data: for @callback
 *
 * Starts reading stdin and bridging.
 */
void
mc_bridge_run_async (McBridge            *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_return_if_fail (MC_IS_BRIDGE (self));
  g_return_if_fail (self->run_task == NULL);

  self->run_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->run_task, mc_bridge_run_async);

  g_signal_connect (self->stdio, "message", G_CALLBACK (on_client_message), self);
  g_signal_connect (self->stdio, "eof", G_CALLBACK (on_client_eof), self);
  g_signal_connect (self->stdio, "drained", G_CALLBACK (on_drained), self);
  g_signal_connect (self->stdio, "write-failed", G_CALLBACK (on_write_failed), self);
  connect_transport (self, self->strategy == MC_BRIDGE_TRANSPORT_SSE_ONLY ||
                           self->strategy == MC_BRIDGE_TRANSPORT_SSE_FIRST);
  mc_stdio_channel_start (self->stdio);
}

/**
 * mc_bridge_run_finish:
 * @self: a #McBridge
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: the exit status: 0 after stdin ended or mc_bridge_stop(), 1
 *   when the session could not start or ended on the server's side
 */
int
mc_bridge_run_finish (McBridge      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 1);

  return (int) g_task_propagate_int (G_TASK (result), error);
}

/* Hooks' helpers {{{1 */

/**
 * mc_bridge_hold:
 * @self: a #McBridge
 *
 * Keeps the bridge from finishing after stdin ends, while a hook still
 * has work (a request it took and will send again, say).  Balanced by
 * mc_bridge_release().
 */
void
mc_bridge_hold (McBridge *self)
{
  g_return_if_fail (MC_IS_BRIDGE (self));

  self->holds++;
}

void
mc_bridge_release (McBridge *self)
{
  g_return_if_fail (MC_IS_BRIDGE (self));
  g_return_if_fail (self->holds > 0);

  self->holds--;
  maybe_finish (self);
}

/**
 * mc_bridge_set_auth:
 * @self: a #McBridge
 * @auth: (nullable): what authorizes the bridge's requests
 */
void
mc_bridge_set_auth (McBridge     *self,
                    McBridgeAuth *auth)
{
  g_return_if_fail (MC_IS_BRIDGE (self));

  mc_bridge_http_set_auth (self->http, auth);
}

const char *
mc_bridge_get_url (McBridge *self)
{
  g_return_val_if_fail (MC_IS_BRIDGE (self), NULL);

  return self->url;
}

/**
 * mc_bridge_get_server_info:
 * @self: a #McBridge
 *
 * Returns: (nullable) (transfer none): the serverInfo of the server's
 *   initialize result (name, title, version…), once it came
 */
JsonObject *
mc_bridge_get_server_info (McBridge *self)
{
  g_return_val_if_fail (MC_IS_BRIDGE (self), NULL);

  return self->server_info != NULL ? json_node_get_object (self->server_info) : NULL;
}

/**
 * mc_bridge_get_protocol_version:
 * @self: a #McBridge
 *
 * Returns: (nullable): the protocol version the server chose, once it did
 */
const char *
mc_bridge_get_protocol_version (McBridge *self)
{
  g_return_val_if_fail (MC_IS_BRIDGE (self), NULL);

  return self->protocol_version;
}

/* GObject {{{1 */

static void
mc_bridge_dispose (GObject *object)
{
  McBridge *self = (McBridge *)object;

  g_clear_handle_id (&self->grace_timer, g_source_remove);
  if (self->stdio != NULL)
    g_signal_handlers_disconnect_by_data (self->stdio, self);
  if (self->transport != NULL)
    g_signal_handlers_disconnect_by_data (self->transport, self);
  g_clear_object (&self->transport);
  g_clear_object (&self->stdio);
  g_clear_object (&self->http);
  g_queue_clear_full (&self->outgoing, (GDestroyNotify) mc_jsonrpc_message_unref);

  G_OBJECT_CLASS (mc_bridge_parent_class)->dispose (object);
}

static void
mc_bridge_finalize (GObject *object)
{
  McBridge *self = (McBridge *)object;

  g_free (self->url);
  g_free (self->protocol_version);
  g_clear_pointer (&self->server_info, json_node_unref);
  g_clear_error (&self->first_error);
  g_clear_error (&self->stop_error);

  G_OBJECT_CLASS (mc_bridge_parent_class)->finalize (object);
}

static void
mc_bridge_class_init (McBridgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_bridge_dispose;
  object_class->finalize = mc_bridge_finalize;

  /**
   * McBridge::client-message:
   * @self: the bridge
   * @message: a message from the client, before it is sent
   *
   * A hook may change @message in place (then call
   * mc_jsonrpc_message_changed()), or take it and return %TRUE: the bridge
   * then does nothing more with it.
   *
   * Returns: %TRUE if a handler took the message
   */
  signals[CLIENT_MESSAGE] = g_signal_new ("client-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          g_signal_accumulator_true_handled, NULL, NULL,
                                          G_TYPE_BOOLEAN, 1, MC_TYPE_JSONRPC_MESSAGE);

  /**
   * McBridge::server-message:
   * @self: the bridge
   * @message: a message from the server, before it goes to the client
   * @request: (nullable): for a response, the request it answers
   *
   * A hook may change @message in place, or take it and return %TRUE.  A
   * response taken leaves its request answered as far as the transport
   * goes; a hook that sends the request again (mc_bridge_send_to_server())
   * gets the new response here too.
   *
   * Returns: %TRUE if a handler took the message
   */
  signals[SERVER_MESSAGE] = g_signal_new ("server-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          g_signal_accumulator_true_handled, NULL, NULL,
                                          G_TYPE_BOOLEAN, 2, MC_TYPE_JSONRPC_MESSAGE, MC_TYPE_JSONRPC_MESSAGE);
}

static void
mc_bridge_init (McBridge *self)
{
  g_queue_init (&self->outgoing);
}

/**
 * mc_bridge_new:
 * @options: the command line
 * @proxy_resolver: (nullable): the proxies to use
 *   (mc_bridge_proxy_resolver_new()), or %NULL for none
 * @in_fd: the client's messages (0)
 * @out_fd: where messages to the client go (1)
 *
 * Returns: (transfer full): the bridge, not running yet
 */
McBridge *
mc_bridge_new (const McBridgeOptions *options,
               GProxyResolver        *proxy_resolver,
               int                    in_fd,
               int                    out_fd)
{
  McBridge *self;

  g_return_val_if_fail (options != NULL && options->url != NULL, NULL);

  self = g_object_new (MC_TYPE_BRIDGE, NULL);
  self->url = g_strdup (options->url);
  self->max_message = options->max_message;
  self->strategy = options->transport;
  self->http = mc_bridge_http_new (options->header_names, options->header_values, proxy_resolver);
  self->stdio = mc_stdio_channel_new (in_fd, out_fd, options->max_message);
  return self;
}
