/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-bridge-error.h"
#include "mc-legacy-sse.h"
#include "mc-sse-stream.h"

/* The HTTP+SSE transport of MCP 2024-11-05, for servers that do not speak
 * Streamable HTTP: a GET of the URL opens an event stream whose first
 * event, `endpoint`, names where to POST messages (a URI reference, in
 * practice with the session in its query); every message from the server,
 * responses included, comes as a `message` event on that one stream.
 *
 * The endpoint must be on the server's origin (scheme, host and port), as
 * the TypeScript SDK also demands: the client's messages go nowhere the
 * user did not name.  The stream cannot be resumed, so when it ends the
 * session is over: every request waiting fails, and so does the transport
 * (::failed). */

typedef enum
{
  STATE_IDLE,
  STATE_CONNECTING,
  STATE_READY,
} State;

struct _McLegacySse
{
  GObject        parent_instance;

  McBridgeHttp  *http;
  char          *url;
  char          *shown_url;
  gsize          max_message;
  State          state;
  gboolean       closed;
  gboolean       paused;
  GError        *failure;
  GCancellable  *cancellable;
  McSseStream   *stream;
  char          *endpoint;
  /* The refusal of the GET, while its body is read. */
  SoupMessage   *refusal;

  /* Every message posted and, for requests, not answered yet. */
  McTransportCalls  calls;
};

static void mc_legacy_sse_transport_init (McTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (McLegacySse, mc_legacy_sse, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MC_TYPE_TRANSPORT, mc_legacy_sse_transport_init))

/* The session {{{1 */

static void
stop_stream (McLegacySse *self)
{
  if (self->stream == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->stream, self);
  mc_sse_stream_stop (self->stream);
  g_clear_object (&self->stream);
}

/* Fails the transport: before the endpoint came, every send gets @error;
 * after, the session is over and ::failed says so. */
static void
fail (McLegacySse  *self,
      const GError *error)
{
  gboolean was_ready = self->state == STATE_READY;

  if (self->failure != NULL || self->closed)
    return;

  self->failure = g_error_copy (error);
  stop_stream (self);
  g_cancellable_cancel (self->cancellable);
  mc_transport_calls_fail_all (&self->calls, error);
  if (was_ready)
    mc_transport_emit_failed (MC_TRANSPORT (self), error);
}

static void
fail_take (McLegacySse *self,
           GError      *error)
{
  fail (self, error);
  g_error_free (error);
}

/* Sending {{{1 */

static void
on_post_error_body (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(McTransportCall) call = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = mc_bridge_http_read_body_finish (MC_BRIDGE_HTTP (source_object), result, NULL);
  if (call->done)
    return;

  error = mc_bridge_http_status_error (call->refusal, mc_jsonrpc_message_describe (call->message), body);
  mc_transport_calls_finish (&MC_LEGACY_SSE (call->transport)->calls, call, error);
}

static void
on_posted (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(McTransportCall) call = user_data;
  McLegacySse *self = MC_LEGACY_SSE (call->transport);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = mc_bridge_http_send_finish (MC_BRIDGE_HTTP (source_object), result, &message, &error);
  if (call->done)
    return;
  if (body == NULL)
    {
      mc_transport_calls_finish (&self->calls, call, error);
      return;
    }

  status = soup_message_get_status (message);
  g_debug ("%s: %u %s", mc_jsonrpc_message_describe (call->message), status,
           soup_message_get_reason_phrase (message));
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_object (&call->refusal, message);
      mc_bridge_http_read_body_async (self->http, body, 0, call->cancellable, on_post_error_body,
                                      mc_transport_call_ref (call));
      return;
    }

  /* The answer comes on the stream; the body says nothing. */
  g_input_stream_close_async (body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (!mc_transport_call_is_request (call))
    mc_transport_calls_finish (&self->calls, call, NULL);
}

static void
send_post (McLegacySse     *self,
           McTransportCall *call)
{
  mc_bridge_http_send_async (self->http, "POST", self->endpoint, NULL, mc_jsonrpc_message_get_bytes (call->message),
                             call->cancellable, on_posted, mc_transport_call_ref (call));
}

/* The stream {{{1 */

static int
effective_port (GUri *uri)
{
  if (g_uri_get_port (uri) >= 0)
    return g_uri_get_port (uri);
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static gboolean
same_origin (const char *a,
             const char *b)
{
  g_autoptr(GUri) uri_a = g_uri_parse (a, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GUri) uri_b = g_uri_parse (b, G_URI_FLAGS_ENCODED, NULL);

  return uri_a != NULL && uri_b != NULL &&
         g_uri_get_host (uri_a) != NULL && g_uri_get_host (uri_b) != NULL &&
         g_ascii_strcasecmp (g_uri_get_scheme (uri_a), g_uri_get_scheme (uri_b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (uri_a), g_uri_get_host (uri_b)) == 0 &&
         effective_port (uri_a) == effective_port (uri_b);
}

static void
take_endpoint (McLegacySse      *self,
               const McSseEvent *event)
{
  g_autofree char *endpoint = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  text = g_strndup (event->data, event->data_length);
  g_strstrip (text);
  endpoint = g_uri_resolve_relative (self->url, text, G_URI_FLAGS_ENCODED, &error);
  if (endpoint == NULL || !same_origin (self->url, endpoint))
    {
      fail_take (self, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NOT_MCP,
                                    _("%s named an endpoint for messages that is not on its own origin; the "
                                      "bridge sends nothing there"),
                                    self->shown_url));
      return;
    }

  self->endpoint = g_steal_pointer (&endpoint);
  self->state = STATE_READY;
  g_debug ("The server speaks the HTTP+SSE transport of 2024-11-05; posting messages to its endpoint");

  /* What waited for the endpoint goes, in the order it came. */
  for (guint i = 0; i < self->calls.calls->len; i++)
    send_post (self, self->calls.calls->pdata[i]);
}

static void
handle_message (McLegacySse      *self,
                McJsonrpcMessage *message)
{
  g_autoptr(McTransportCall) call = NULL;

  if (mc_jsonrpc_message_get_kind (message) != MC_JSONRPC_RESPONSE)
    {
      mc_transport_emit_message (MC_TRANSPORT (self), message, NULL);
      return;
    }

  call = mc_transport_calls_take_response (&self->calls, message);
  if (call == NULL)
    return;
  mc_transport_emit_message (MC_TRANSPORT (self), message, call->message);
  mc_transport_calls_finish (&self->calls, call, NULL);
}

static void
on_event (McSseStream      *stream,
          const McSseEvent *event,
          gpointer          user_data)
{
  g_autoptr(McLegacySse) self = g_object_ref (user_data);
  g_autoptr(McJsonrpcMessage) message = NULL;

  if (g_str_equal (event->type, "endpoint"))
    {
      if (self->state == STATE_CONNECTING)
        take_endpoint (self, event);
      else
        g_debug ("Ignoring a second endpoint event");
      return;
    }

  if (!g_str_equal (event->type, "message") || event->data_length == 0)
    {
      g_debug ("Ignoring an event of type “%s”", event->type);
      return;
    }
  if (self->state != STATE_READY)
    {
      g_warning ("The server sent a message before naming its endpoint; dropped");
      return;
    }

  message = mc_transport_parse_event (event->data, event->data_length, "the event stream");
  if (message != NULL)
    handle_message (self, message);
}

static void
on_ended (McSseStream  *stream,
          const GError *error,
          gpointer      user_data)
{
  g_autoptr(McLegacySse) self = g_object_ref (user_data);
  g_autofree char *why = NULL;

  if (error != NULL)
    why = g_strdup_printf (" (%s)", error->message);
  else
    why = g_strdup ("");

  if (self->state != STATE_READY)
    fail_take (self, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NO_EVENT_STREAM,
                                  _("%s closed its event stream%s before naming an endpoint for messages"),
                                  self->shown_url, why));
  else
    fail_take (self, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_STREAM_ENDED,
                                  _("%s closed its event stream%s, and the older HTTP+SSE transport cannot "
                                    "resume it; restart the MCP client’s connection to the server"),
                                  self->shown_url, why));
}

static void
on_connect_error_body (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(McLegacySse) self = user_data;
  g_autoptr(SoupMessage) message = g_steal_pointer (&self->refusal);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = mc_bridge_http_read_body_finish (MC_BRIDGE_HTTP (source_object), result, NULL);
  error = mc_bridge_http_status_error (message, _("a GET for its event stream"), body);
  if (error->code != MC_BRIDGE_ERROR_AUTH_REQUIRED)
    error->code = MC_BRIDGE_ERROR_NO_EVENT_STREAM;
  if (!self->closed)
    fail (self, error);
}

static void
on_connected (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(McLegacySse) self = user_data;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = mc_bridge_http_send_finish (MC_BRIDGE_HTTP (source_object), result, &message, &error);
  if (self->closed || self->failure != NULL)
    return;
  if (body == NULL)
    {
      fail (self, error);
      return;
    }

  status = soup_message_get_status (message);
  g_debug ("GET of the event stream: %u %s", status, soup_message_get_reason_phrase (message));
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_object (&self->refusal, message);
      mc_bridge_http_read_body_async (self->http, body, 0, self->cancellable, on_connect_error_body,
                                      g_object_ref (self));
      return;
    }

  if (!mc_bridge_http_is_content_type (message, "text/event-stream"))
    {
      const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);

      fail_take (self, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NO_EVENT_STREAM,
                                    _("%s answered a GET for its event stream with %s, not an event stream; "
                                      "check that the URL is the MCP server’s endpoint"),
                                    self->shown_url, type != NULL ? type : _("an empty body")));
      return;
    }

  self->stream = mc_sse_stream_new (body, self->max_message);
  g_signal_connect (self->stream, "event", G_CALLBACK (on_event), self);
  g_signal_connect (self->stream, "ended", G_CALLBACK (on_ended), self);
  mc_sse_stream_set_paused (self->stream, self->paused);
  mc_sse_stream_start (self->stream);
}

static void
connect_stream (McLegacySse *self)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  self->state = STATE_CONNECTING;
  soup_message_headers_append (headers, "Accept", "text/event-stream");
  mc_bridge_http_send_async (self->http, "GET", self->url, headers, NULL, self->cancellable, on_connected,
                             g_object_ref (self));
}

/* McTransport {{{1 */

static void
mc_legacy_sse_send_async (McTransport         *transport,
                          McJsonrpcMessage    *message,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  McLegacySse *self = MC_LEGACY_SSE (transport);
  GTask *task = NULL;
  McTransportCall *call = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_legacy_sse_send_async);
  call = mc_transport_calls_start (&self->calls, transport, sizeof (McTransportCall), message, task,
                                   self->failure, self->closed);
  if (call == NULL)
    return;

  switch (self->state)
    {
    case STATE_READY:
      send_post (self, call);
      break;

    case STATE_IDLE:
      connect_stream (self);
      break;

    case STATE_CONNECTING:
    default:
      break;
    }
}

static gboolean
mc_legacy_sse_send_finish (McTransport   *transport,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, transport), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
mc_legacy_sse_close_async (McTransport         *transport,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  McLegacySse *self = MC_LEGACY_SSE (transport);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_legacy_sse_close_async);

  if (!self->closed)
    {
      /* Closing the stream is how this transport ends a session. */
      self->closed = TRUE;
      stop_stream (self);
      g_cancellable_cancel (self->cancellable);
      error = g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED, _("The bridge is shutting down"));
      mc_transport_calls_fail_all (&self->calls, error);
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
mc_legacy_sse_close_finish (McTransport   *transport,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, transport), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
mc_legacy_sse_set_paused (McTransport *transport,
                          gboolean     paused)
{
  McLegacySse *self = MC_LEGACY_SSE (transport);

  self->paused = paused;
  if (self->stream != NULL)
    mc_sse_stream_set_paused (self->stream, paused);
}

static void
mc_legacy_sse_transport_init (McTransportInterface *iface)
{
  iface->send_async = mc_legacy_sse_send_async;
  iface->send_finish = mc_legacy_sse_send_finish;
  iface->close_async = mc_legacy_sse_close_async;
  iface->close_finish = mc_legacy_sse_close_finish;
  iface->set_paused = mc_legacy_sse_set_paused;
}

/* GObject {{{1 */

static void
mc_legacy_sse_dispose (GObject *object)
{
  McLegacySse *self = (McLegacySse *)object;

  stop_stream (self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->refusal);
  g_clear_object (&self->http);

  G_OBJECT_CLASS (mc_legacy_sse_parent_class)->dispose (object);
}

static void
mc_legacy_sse_finalize (GObject *object)
{
  McLegacySse *self = (McLegacySse *)object;

  g_free (self->url);
  g_free (self->shown_url);
  g_free (self->endpoint);
  g_clear_error (&self->failure);
  mc_transport_calls_clear (&self->calls);

  G_OBJECT_CLASS (mc_legacy_sse_parent_class)->finalize (object);
}

static void
mc_legacy_sse_class_init (McLegacySseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_legacy_sse_dispose;
  object_class->finalize = mc_legacy_sse_finalize;
}

static void
mc_legacy_sse_init (McLegacySse *self)
{
  self->cancellable = g_cancellable_new ();
  mc_transport_calls_init (&self->calls);
}

/**
 * mc_legacy_sse_new:
 * @http: the HTTP client
 * @url: the server's URL, where the event stream is
 * @max_message: the largest message accepted from the server, in bytes
 *
 * Returns: (transfer full): the transport; it connects with the first
 *   message sent
 */
McLegacySse *
mc_legacy_sse_new (McBridgeHttp *http,
                   const char   *url,
                   gsize         max_message)
{
  McLegacySse *self;

  g_return_val_if_fail (MC_IS_BRIDGE_HTTP (http), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (MC_TYPE_LEGACY_SSE, NULL);
  self->http = g_object_ref (http);
  self->url = g_strdup (url);
  self->shown_url = mc_bridge_http_display_url (url);
  self->max_message = max_message;
  return self;
}

/**
 * mc_legacy_sse_get_endpoint:
 * @self: a #McLegacySse
 *
 * Returns: (nullable): where messages are posted, once the server said
 */
const char *
mc_legacy_sse_get_endpoint (McLegacySse *self)
{
  g_return_val_if_fail (MC_IS_LEGACY_SSE (self), NULL);

  return self->endpoint;
}
