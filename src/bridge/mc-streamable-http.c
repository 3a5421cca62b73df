/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>

#include "mc-bridge-error.h"
#include "mc-sse-stream.h"
#include "mc-streamable-http.h"

/* MCP's Streamable HTTP transport (2025-11-25, basic/transports), client
 * side:
 *
 * - every client message is a POST to the MCP endpoint with `Accept:
 *   application/json, text/event-stream`; a notification or response is
 *   answered 202, a request with one JSON response or an event stream
 *   that carries the server's requests and notifications about it and,
 *   last, the response;
 * - the Mcp-Session-Id of the initialize response goes on every later
 *   request, and the protocol version the server chose in its initialize
 *   result goes in MCP-Protocol-Version;
 * - once the client has sent notifications/initialized, a GET opens the
 *   standalone stream for the server's own requests and notifications (405:
 *   the server offers none); it is reopened when it ends;
 * - a stream that ends before its response, and the standalone stream, are
 *   resumed by a GET with Last-Event-ID, after the `retry` the server
 *   asked for (1 s if it did not), backing off while attempts fail;
 * - 400, 404 or 405 to the POST of initialize means a server of the older
 *   HTTP+SSE transport, perhaps (MC_BRIDGE_ERROR_NO_STREAMABLE_HTTP, the
 *   bridge falls back); 404 later means the server ended the session;
 * - closing sends DELETE with the session id.
 *
 * Each request is answered once: responses are matched to the requests
 * waiting by id (5 and 5.0 are the same id, "5" is not), and one that
 * matches none — a duplicate, or a replay — is dropped with a warning. */

/* Without a `retry` from the server: what the TypeScript SDK waits too. */
#define DEFAULT_RETRY_MS 1000
/* A server's `retry` is honoured up to this. */
#define MAX_RETRY_MS (5 * 60 * 1000)
/* Backing off while reconnection fails goes up to this. */
#define MAX_BACKOFF_MS (30 * 1000)
/* Reconnections in a row that bring no event, before giving up. */
#define MAX_RESUME_ATTEMPTS 5
#define MAX_GET_FAILURES 10
/* How long the DELETE at the end may take. */
#define DELETE_TIMEOUT_SECONDS 5

typedef enum
{
  GET_NONE,
  GET_CONNECTING,
  GET_OPEN,
  GET_WAITING,
  GET_UNAVAILABLE,
} GetState;

typedef struct _Exchange Exchange;

struct _McStreamableHttp
{
  GObject        parent_instance;

  McBridgeHttp  *http;
  char          *url;
  char          *shown_url;
  gsize          max_message;
  char          *session_id;
  char          *protocol_version;
  GCancellable  *cancellable;
  gboolean       paused;
  gboolean       closed;
  GError        *failure;

  /* Every exchange under way, and the requests among them by id. */
  McTransportCalls calls;
  /* Streams read to their end after their response came, so that their
   * connections can carry the next requests. */
  GPtrArray     *draining;

  GetState       get_state;
  McSseStream   *get_stream;
  char          *get_last_event_id;
  gint64         get_retry;
  guint          get_timer;
  guint          get_failures;
};

/* One client message on its way, and for a request its answer: the
 * common part, and the stream that brings the answer. */
struct _Exchange
{
  McTransportCall    call;
  McSseStream       *stream;
  char              *last_event_id;
  gint64             retry;
  guint              timer;
  guint              attempts;
  /* Accepted with 202: the response is to come on the standalone stream. */
  gboolean           awaiting_get;
};

static void mc_streamable_http_transport_init (McTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (McStreamableHttp, mc_streamable_http, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MC_TYPE_TRANSPORT, mc_streamable_http_transport_init))

static void start_get_stream (McStreamableHttp *self);
static void fail_transport (McStreamableHttp *self, const GError *error);

/* Exchanges {{{1 */

static Exchange *
exchange_ref (Exchange *ex)
{
  return (Exchange *) mc_transport_call_ref (&ex->call);
}

static void
exchange_unref (Exchange *ex)
{
  mc_transport_call_unref (&ex->call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Exchange, exchange_unref)

static McStreamableHttp *
exchange_self (Exchange *ex)
{
  return MC_STREAMABLE_HTTP (ex->call.transport);
}

static void
exchange_drop_stream (Exchange *ex)
{
  if (ex->stream == NULL)
    return;

  g_signal_handlers_disconnect_by_data (ex->stream, ex);
  mc_sse_stream_stop (ex->stream);
  g_clear_object (&ex->stream);
}

static void
exchange_finishing (McTransportCall *call)
{
  Exchange *ex = (Exchange *) call;

  exchange_drop_stream (ex);
  g_clear_handle_id (&ex->timer, g_source_remove);
}

static void
exchange_clear (McTransportCall *call)
{
  Exchange *ex = (Exchange *) call;

  g_assert (ex->stream == NULL);
  g_assert (ex->timer == 0);
  g_free (ex->last_event_id);
}

/* Completes the exchange's task, once: with @error, or as answered. */
static void
finish_exchange (Exchange     *ex,
                 const GError *error)
{
  mc_transport_calls_finish (&exchange_self (ex)->calls, &ex->call, error);
}

static void
finish_exchange_take (Exchange *ex,
                      GError   *error)
{
  finish_exchange (ex, error);
  g_error_free (error);
}

/* Messages from the server {{{1 */

static void
capture_protocol_version (McStreamableHttp *self,
                          McJsonrpcMessage *response)
{
  JsonObject *object = mc_jsonrpc_message_get_object (response);
  JsonObject *result = NULL;
  const char *version = NULL;

  if (mc_jsonrpc_message_is_error (response) || !json_object_has_member (object, "result") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "result")))
    return;

  result = json_object_get_object_member (object, "result");
  if (json_object_has_member (result, "protocolVersion") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (result, "protocolVersion")) &&
      json_node_get_value_type (json_object_get_member (result, "protocolVersion")) == G_TYPE_STRING)
    version = json_object_get_string_member (result, "protocolVersion");

  /* A header value: printable ASCII only, or none. */
  for (const char *p = version; p != NULL && *p != '\0'; p++)
    {
      if (*p < 0x21 || *p > 0x7e)
        version = NULL;
      if (version == NULL)
        break;
    }

  if (version == NULL)
    {
      g_warning ("The server’s initialize result names no protocol version; MCP-Protocol-Version is not sent");
      return;
    }

  g_free (self->protocol_version);
  self->protocol_version = g_strdup (version);
  g_debug ("The server chose protocol version %s", version);
}

static void handle_event (McStreamableHttp *self, const McSseEvent *event, const char *where);

static void
on_draining_event (McSseStream      *stream,
                   const McSseEvent *event,
                   gpointer          user_data)
{
  g_autoptr(McStreamableHttp) self = g_object_ref (user_data);

  handle_event (self, event, "a stream after its response");
}

static void
on_draining_ended (McSseStream  *stream,
                   const GError *error,
                   gpointer      user_data)
{
  McStreamableHttp *self = user_data;

  g_signal_handlers_disconnect_by_data (stream, self);
  g_ptr_array_remove_fast (self->draining, stream);
}

/* The response came: the server ends the stream next, and reading it to
 * its end keeps the connection for the next request. */
static void
drain_exchange_stream (McStreamableHttp *self,
                       Exchange         *ex)
{
  McSseStream *stream = g_steal_pointer (&ex->stream);

  if (stream == NULL)
    return;

  g_signal_handlers_disconnect_by_data (stream, ex);
  g_signal_connect (stream, "event", G_CALLBACK (on_draining_event), self);
  g_signal_connect (stream, "ended", G_CALLBACK (on_draining_ended), self);
  g_ptr_array_add (self->draining, stream);
}

static void
handle_server_message (McStreamableHttp *self,
                       McJsonrpcMessage *message)
{
  g_autoptr(Exchange) ex = NULL;

  if (mc_jsonrpc_message_get_kind (message) != MC_JSONRPC_RESPONSE)
    {
      mc_transport_emit_message (MC_TRANSPORT (self), message, NULL);
      return;
    }

  ex = (Exchange *) mc_transport_calls_take_response (&self->calls, message);
  if (ex == NULL)
    return;
  if (mc_transport_call_is (&ex->call, "initialize"))
    capture_protocol_version (self, message);

  drain_exchange_stream (self, ex);
  mc_transport_emit_message (MC_TRANSPORT (self), message, ex->call.message);
  finish_exchange (ex, NULL);
}

static void
handle_event (McStreamableHttp *self,
              const McSseEvent *event,
              const char       *where)
{
  g_autoptr(McJsonrpcMessage) message = NULL;

  /* Servers prime streams with an event that has an id and no data. */
  if (event->data_length == 0)
    return;
  if (!g_str_equal (event->type, "message"))
    {
      g_debug ("Ignoring an event of type “%s” on %s", event->type, where);
      return;
    }

  message = mc_transport_parse_event (event->data, event->data_length, where);
  if (message != NULL)
    handle_server_message (self, message);
}

/* Requests' headers {{{1 */

static SoupMessageHeaders *
new_headers (McStreamableHttp *self,
             const char       *accept)
{
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  soup_message_headers_append (headers, "Accept", accept);
  if (self->session_id != NULL)
    soup_message_headers_append (headers, "Mcp-Session-Id", self->session_id);
  if (self->protocol_version != NULL)
    soup_message_headers_append (headers, "MCP-Protocol-Version", self->protocol_version);
  return headers;
}

static guint
retry_delay (gint64 retry,
             guint  failures)
{
  gint64 delay = retry >= 0 ? MIN (retry, MAX_RETRY_MS) : DEFAULT_RETRY_MS;

  for (guint i = 0; i < failures && delay < MAX_BACKOFF_MS; i++)
    delay *= 2;
  if (failures > 0)
    delay = MIN (delay, MAX (MAX_BACKOFF_MS, retry));
  return (guint) MIN (delay, MAX_RETRY_MS);
}

static gboolean
is_event_stream (SoupMessage *message)
{
  return mc_bridge_http_is_content_type (message, "text/event-stream");
}

static gboolean
is_limit_error (const GError *error)
{
  return g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_LINE_TOO_LONG) ||
         g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_EVENT_TOO_LARGE);
}

static GError *
limit_error (const GError *error)
{
  return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_EVENT_TOO_LARGE,
                      _("%s; if messages that large are expected, raise --max-message-size"), error->message);
}

static void
session_ended (McStreamableHttp *self)
{
  g_autoptr(GError) error = NULL;

  error = g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_SESSION_ENDED,
                       _("%s ended the MCP session (404 Not Found to its session id); restart the MCP "
                         "client’s connection to the server to start a new one"),
                       self->shown_url);
  fail_transport (self, error);
}

/* Resuming a request's stream {{{1 */

static void attach_exchange_stream (Exchange *ex, GInputStream *body);
static void schedule_resume (Exchange *ex);

static void
on_resume_sent (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Exchange) ex = user_data;
  McStreamableHttp *self = exchange_self (ex);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = mc_bridge_http_send_finish (MC_BRIDGE_HTTP (source_object), result, &message, &error);
  if (ex->call.done)
    return;

  if (body == NULL)
    {
      g_debug ("Resuming the stream of %s failed: %s", mc_jsonrpc_message_describe (ex->call.message), error->message);
      if (++ex->attempts > MAX_RESUME_ATTEMPTS)
        finish_exchange (ex, error);
      else
        schedule_resume (ex);
      return;
    }

  status = soup_message_get_status (message);
  if (SOUP_STATUS_IS_SUCCESSFUL (status) && is_event_stream (message))
    {
      g_debug ("Resumed the stream of %s", mc_jsonrpc_message_describe (ex->call.message));
      attach_exchange_stream (ex, body);
      return;
    }

  if (status == SOUP_STATUS_NOT_FOUND && self->session_id != NULL)
    {
      session_ended (self);
      return;
    }

  if (status == SOUP_STATUS_METHOD_NOT_ALLOWED || ++ex->attempts > MAX_RESUME_ATTEMPTS)
    {
      finish_exchange_take (ex, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_STREAM_ENDED,
                                             _("%s closed the stream of %s before answering it, and resuming "
                                               "the stream failed (%u %s)"),
                                             self->shown_url, mc_jsonrpc_message_describe (ex->call.message),
                                             status, soup_message_get_reason_phrase (message)));
      return;
    }
  schedule_resume (ex);
}

static gboolean
on_resume_timer (gpointer user_data)
{
  Exchange *ex = user_data;
  McStreamableHttp *self = exchange_self (ex);
  g_autoptr(SoupMessageHeaders) headers = NULL;

  ex->timer = 0;
  if (ex->call.done)
    return G_SOURCE_REMOVE;

  headers = new_headers (self, "text/event-stream");
  soup_message_headers_append (headers, "Last-Event-ID", ex->last_event_id);
  g_debug ("Resuming the stream of %s after event %s", mc_jsonrpc_message_describe (ex->call.message),
           ex->last_event_id);
  mc_bridge_http_send_async (self->http, "GET", self->url, headers, NULL, ex->call.cancellable, on_resume_sent,
                             exchange_ref (ex));
  return G_SOURCE_REMOVE;
}

static void
schedule_resume (Exchange *ex)
{
  guint delay = retry_delay (ex->retry, ex->attempts);

  g_debug ("The stream of %s ended before its response; resuming in %u ms",
           mc_jsonrpc_message_describe (ex->call.message), delay);
  ex->timer = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, on_resume_timer, exchange_ref (ex),
                                  (GDestroyNotify) exchange_unref);
}

static void
on_exchange_event (McSseStream      *stream,
                   const McSseEvent *event,
                   gpointer          user_data)
{
  g_autoptr(Exchange) ex = exchange_ref (user_data);
  g_autofree char *where = g_strdup_printf ("the stream of %s", mc_jsonrpc_message_describe (ex->call.message));

  ex->attempts = 0;
  handle_event (exchange_self (ex), event, where);
}

static void
on_exchange_ended (McSseStream  *stream,
                   const GError *error,
                   gpointer      user_data)
{
  g_autoptr(Exchange) ex = exchange_ref (user_data);
  McStreamableHttp *self = exchange_self (ex);
  const char *last_event_id = mc_sse_stream_get_last_event_id (stream);

  if (ex->call.done)
    return;

  if (*last_event_id != '\0')
    {
      g_free (ex->last_event_id);
      ex->last_event_id = g_strdup (last_event_id);
    }
  if (mc_sse_stream_get_retry (stream) >= 0)
    ex->retry = mc_sse_stream_get_retry (stream);
  if (mc_sse_stream_get_n_events (stream) == 0)
    ex->attempts++;
  exchange_drop_stream (ex);

  if (!mc_transport_call_is_request (&ex->call))
    {
      finish_exchange (ex, NULL);
      return;
    }

  if (error != NULL && is_limit_error (error))
    {
      finish_exchange_take (ex, limit_error (error));
      return;
    }

  if (error != NULL)
    g_debug ("The stream of %s broke: %s", mc_jsonrpc_message_describe (ex->call.message), error->message);

  if (ex->last_event_id == NULL)
    {
      finish_exchange_take (ex, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_STREAM_ENDED,
                                             _("%s closed the stream of %s before answering it, and gave no "
                                               "event id to resume it from"),
                                             self->shown_url, mc_jsonrpc_message_describe (ex->call.message)));
      return;
    }

  if (ex->attempts > MAX_RESUME_ATTEMPTS)
    {
      finish_exchange_take (ex, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_STREAM_ENDED,
                                             _("%s keeps closing the stream of %s without answering it"),
                                             self->shown_url, mc_jsonrpc_message_describe (ex->call.message)));
      return;
    }

  schedule_resume (ex);
}

static void
attach_exchange_stream (Exchange     *ex,
                        GInputStream *body)
{
  g_assert (ex->stream == NULL);

  ex->stream = mc_sse_stream_new (body, exchange_self (ex)->max_message);
  g_signal_connect (ex->stream, "event", G_CALLBACK (on_exchange_event), ex);
  g_signal_connect (ex->stream, "ended", G_CALLBACK (on_exchange_ended), ex);
  mc_sse_stream_set_paused (ex->stream, exchange_self (ex)->paused);
  mc_sse_stream_start (ex->stream);
}

/* The POST {{{1 */

static void
on_post_body (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Exchange) ex = user_data;
  McStreamableHttp *self = exchange_self (ex);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *where = NULL;

  body = mc_bridge_http_read_body_finish (MC_BRIDGE_HTTP (source_object), result, &error);
  if (ex->call.done)
    return;
  if (body == NULL)
    {
      finish_exchange (ex, error);
      return;
    }

  where = g_strdup_printf ("the answer to %s", mc_jsonrpc_message_describe (ex->call.message));
  messages = mc_transport_parse_json_body (body, where);
  for (guint i = 0; i < messages->len; i++)
    handle_server_message (self, messages->pdata[i]);

  if (ex->call.done)
    return;
  if (!mc_transport_call_is_request (&ex->call))
    {
      finish_exchange (ex, NULL);
      return;
    }
  finish_exchange_take (ex, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NOT_MCP,
                                         _("%s answered %s without its response"),
                                         self->shown_url, mc_jsonrpc_message_describe (ex->call.message)));
}

static void
on_error_body (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Exchange) ex = user_data;
  McStreamableHttp *self = exchange_self (ex);
  SoupMessage *message = ex->call.refusal;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  /* The explanation is a bonus: without it the status still says enough. */
  body = mc_bridge_http_read_body_finish (MC_BRIDGE_HTTP (source_object), result, NULL);
  if (ex->call.done)
    return;

  status = soup_message_get_status (message);
  error = mc_bridge_http_status_error (message, mc_jsonrpc_message_describe (ex->call.message), body);

  if (mc_transport_call_is (&ex->call, "initialize") && self->session_id == NULL &&
      (status == SOUP_STATUS_BAD_REQUEST || status == SOUP_STATUS_NOT_FOUND ||
       status == SOUP_STATUS_METHOD_NOT_ALLOWED))
    {
      error->code = MC_BRIDGE_ERROR_NO_STREAMABLE_HTTP;
      finish_exchange (ex, error);
      return;
    }

  if (status == SOUP_STATUS_NOT_FOUND && self->session_id != NULL)
    {
      session_ended (self);
      return;
    }

  finish_exchange (ex, error);
}

static void
capture_session_id (McStreamableHttp *self,
                    SoupMessage      *message)
{
  const char *session_id = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                         "Mcp-Session-Id");

  if (session_id == NULL)
    return;

  /* The specification allows only visible ASCII; anything else could not
   * be sent back as it came. */
  for (const char *p = session_id; *p != '\0'; p++)
    {
      if (*p < 0x21 || *p > 0x7e)
        {
          g_warning ("The server’s session id holds characters other than visible ASCII; it is not used");
          return;
        }
    }

  g_free (self->session_id);
  self->session_id = g_strdup (session_id);
  g_debug ("The server opened session %s", session_id);
}

static void
on_post_sent (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Exchange) ex = user_data;
  McStreamableHttp *self = exchange_self (ex);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = mc_bridge_http_send_finish (MC_BRIDGE_HTTP (source_object), result, &message, &error);
  if (ex->call.done)
    return;
  if (body == NULL)
    {
      finish_exchange (ex, error);
      return;
    }

  status = soup_message_get_status (message);
  g_debug ("%s: %u %s", mc_jsonrpc_message_describe (ex->call.message), status,
           soup_message_get_reason_phrase (message));

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_object (&ex->call.refusal, message);
      mc_bridge_http_read_body_async (self->http, body, 0, ex->call.cancellable, on_error_body, exchange_ref (ex));
      return;
    }

  if (mc_transport_call_is (&ex->call, "initialize"))
    capture_session_id (self, message);
  if (mc_transport_call_is (&ex->call, "notifications/initialized"))
    start_get_stream (self);

  if (is_event_stream (message))
    {
      attach_exchange_stream (ex, body);
      return;
    }

  if (mc_bridge_http_is_content_type (message, "application/json"))
    {
      mc_bridge_http_read_body_async (self->http, body, self->max_message, ex->call.cancellable, on_post_body,
                                      exchange_ref (ex));
      return;
    }

  if (!mc_transport_call_is_request (&ex->call))
    {
      finish_exchange (ex, NULL);
      return;
    }

  if (status == SOUP_STATUS_ACCEPTED || status == SOUP_STATUS_NO_CONTENT)
    {
      /* The response may still come, on the standalone stream. */
      if (self->get_state != GET_UNAVAILABLE)
        {
          g_debug ("%s was accepted; its response should come on the standalone stream",
                   mc_jsonrpc_message_describe (ex->call.message));
          ex->awaiting_get = TRUE;
          return;
        }
      finish_exchange_take (ex, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NOT_MCP,
                                             _("%s accepted %s but offers no stream for its response"),
                                             self->shown_url, mc_jsonrpc_message_describe (ex->call.message)));
      return;
    }

  {
    const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);

    finish_exchange_take (ex, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NOT_MCP,
                                           _("%s answered %s with %s, not with JSON or an event stream; check "
                                             "that the URL is the MCP server’s endpoint"),
                                           self->shown_url, mc_jsonrpc_message_describe (ex->call.message),
                                           type != NULL ? type : _("an empty body")));
  }
}

/* The standalone stream {{{1 */

static void open_get_stream (McStreamableHttp *self);

static gboolean
on_get_timer (gpointer user_data)
{
  McStreamableHttp *self = user_data;

  self->get_timer = 0;
  open_get_stream (self);
  return G_SOURCE_REMOVE;
}

/* A request accepted with 202 waits for the standalone stream; without
 * one it would wait for nothing. */
static void
fail_requests_waiting_for_get (McStreamableHttp *self)
{
  g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) exchange_unref);

  for (guint i = 0; i < self->calls.calls->len; i++)
    {
      Exchange *ex = self->calls.calls->pdata[i];

      if (ex->awaiting_get)
        g_ptr_array_add (waiting, exchange_ref (ex));
    }

  for (guint i = 0; i < waiting->len; i++)
    {
      Exchange *ex = waiting->pdata[i];

      finish_exchange_take (ex, g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_NOT_MCP,
                                             _("%s accepted %s but offers no stream for its response"),
                                             self->shown_url, mc_jsonrpc_message_describe (ex->call.message)));
    }
}

static void
schedule_get (McStreamableHttp *self)
{
  guint delay = retry_delay (self->get_retry, self->get_failures);

  self->get_state = GET_WAITING;
  g_debug ("Reopening the standalone stream in %u ms", delay);
  self->get_timer = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, on_get_timer, g_object_ref (self),
                                        g_object_unref);
}

static void
get_failed (McStreamableHttp *self,
            const GError     *error)
{
  if (++self->get_failures > MAX_GET_FAILURES)
    {
      g_warning ("Gave up on the server’s stream of its own messages after %u failures: %s",
                 MAX_GET_FAILURES, error->message);
      self->get_state = GET_UNAVAILABLE;
      fail_requests_waiting_for_get (self);
      return;
    }
  g_debug ("The standalone stream failed: %s", error->message);
  schedule_get (self);
}

static void
drop_get_stream (McStreamableHttp *self)
{
  if (self->get_stream == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->get_stream, self);
  mc_sse_stream_stop (self->get_stream);
  g_clear_object (&self->get_stream);
}

static void
on_get_event (McSseStream      *stream,
              const McSseEvent *event,
              gpointer          user_data)
{
  g_autoptr(McStreamableHttp) self = g_object_ref (user_data);

  self->get_failures = 0;
  handle_event (self, event, "the standalone stream");
}

static void
on_get_ended (McSseStream  *stream,
              const GError *error,
              gpointer      user_data)
{
  g_autoptr(McStreamableHttp) self = g_object_ref (user_data);
  const char *last_event_id = mc_sse_stream_get_last_event_id (stream);

  if (*last_event_id != '\0')
    {
      g_free (self->get_last_event_id);
      self->get_last_event_id = g_strdup (last_event_id);
    }
  if (mc_sse_stream_get_retry (stream) >= 0)
    self->get_retry = mc_sse_stream_get_retry (stream);
  drop_get_stream (self);

  if (error != NULL && is_limit_error (error))
    {
      g_autoptr(GError) shown = limit_error (error);

      /* Reopened, it would send the same event again. */
      g_warning ("Gave up on the server’s stream of its own messages: %s", shown->message);
      self->get_state = GET_UNAVAILABLE;
      fail_requests_waiting_for_get (self);
      return;
    }

  if (error != NULL)
    get_failed (self, error);
  else
    schedule_get (self);
}

static void
on_get_sent (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(McStreamableHttp) self = user_data;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = mc_bridge_http_send_finish (MC_BRIDGE_HTTP (source_object), result, &message, &error);
  if (self->closed || self->failure != NULL)
    return;

  if (body == NULL)
    {
      get_failed (self, error);
      return;
    }

  status = soup_message_get_status (message);
  if (SOUP_STATUS_IS_SUCCESSFUL (status) && is_event_stream (message))
    {
      g_debug ("The standalone stream is open");
      self->get_state = GET_OPEN;
      self->get_stream = mc_sse_stream_new (body, self->max_message);
      g_signal_connect (self->get_stream, "event", G_CALLBACK (on_get_event), self);
      g_signal_connect (self->get_stream, "ended", G_CALLBACK (on_get_ended), self);
      mc_sse_stream_set_paused (self->get_stream, self->paused);
      mc_sse_stream_start (self->get_stream);
      return;
    }

  if (status == SOUP_STATUS_METHOD_NOT_ALLOWED)
    {
      g_debug ("The server offers no stream of its own messages (405)");
      self->get_state = GET_UNAVAILABLE;
      fail_requests_waiting_for_get (self);
      return;
    }

  if (status == SOUP_STATUS_NOT_FOUND && self->session_id != NULL)
    {
      session_ended (self);
      return;
    }

  error = mc_bridge_http_status_error (message, _("the request for its stream of messages"), NULL);
  get_failed (self, error);
}

static void
open_get_stream (McStreamableHttp *self)
{
  g_autoptr(SoupMessageHeaders) headers = new_headers (self, "text/event-stream");

  if (self->closed || self->failure != NULL)
    return;

  self->get_state = GET_CONNECTING;
  if (self->get_last_event_id != NULL)
    soup_message_headers_append (headers, "Last-Event-ID", self->get_last_event_id);
  mc_bridge_http_send_async (self->http, "GET", self->url, headers, NULL, self->cancellable, on_get_sent,
                             g_object_ref (self));
}

static void
start_get_stream (McStreamableHttp *self)
{
  if (self->get_state != GET_NONE)
    return;

  open_get_stream (self);
}

/* McTransport {{{1 */

static void
stop_draining (McStreamableHttp *self)
{
  while (self->draining->len > 0)
    {
      McSseStream *stream = self->draining->pdata[self->draining->len - 1];

      g_signal_handlers_disconnect_by_data (stream, self);
      mc_sse_stream_stop (stream);
      g_ptr_array_remove_index_fast (self->draining, self->draining->len - 1);
    }
}

static void
stop_get_stream (McStreamableHttp *self)
{
  drop_get_stream (self);
  g_clear_handle_id (&self->get_timer, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  self->get_state = GET_UNAVAILABLE;
}

static void
fail_transport (McStreamableHttp *self,
                const GError     *error)
{
  if (self->failure != NULL || self->closed)
    return;

  /* Emitting ::failed may drop the last reference. */
  g_object_ref (self);

  self->failure = g_error_copy (error);
  stop_get_stream (self);
  stop_draining (self);
  mc_transport_calls_fail_all (&self->calls, error);
  mc_transport_emit_failed (MC_TRANSPORT (self), error);
  g_object_unref (self);
}

static void
mc_streamable_http_send_async (McTransport         *transport,
                               McJsonrpcMessage    *message,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  McStreamableHttp *self = MC_STREAMABLE_HTTP (transport);
  GTask *task = NULL;
  Exchange *ex = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_streamable_http_send_async);
  ex = (Exchange *) mc_transport_calls_start (&self->calls, transport, sizeof (Exchange), message, task,
                                              self->failure, self->closed);
  if (ex == NULL)
    return;
  ex->call.finishing = exchange_finishing;
  ex->call.clear = exchange_clear;
  ex->retry = -1;

  {
    g_autoptr(SoupMessageHeaders) headers = new_headers (self, "application/json, text/event-stream");

    mc_bridge_http_send_async (self->http, "POST", self->url, headers, mc_jsonrpc_message_get_bytes (message),
                               ex->call.cancellable, on_post_sent, exchange_ref (ex));
  }
}

static gboolean
mc_streamable_http_send_finish (McTransport   *transport,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, transport), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_deleted (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;

  body = mc_bridge_http_send_finish (MC_BRIDGE_HTTP (source_object), result, &message, &error);
  if (body == NULL)
    g_debug ("Ending the session failed: %s", error->message);
  else
    g_debug ("DELETE of the session: %u %s", soup_message_get_status (message),
             soup_message_get_reason_phrase (message));
  if (body != NULL)
    g_input_stream_close_async (body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);

  g_task_return_boolean (task, TRUE);
}

static gboolean
on_delete_timeout (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
mc_streamable_http_close_async (McTransport         *transport,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  McStreamableHttp *self = MC_STREAMABLE_HTTP (transport);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GCancellable) delete_cancellable = NULL;
  gboolean had_failed = self->failure != NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_streamable_http_close_async);

  if (self->closed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  self->closed = TRUE;
  stop_get_stream (self);
  stop_draining (self);
  error = g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED, _("The bridge is shutting down"));
  mc_transport_calls_fail_all (&self->calls, error);

  if (self->session_id == NULL || had_failed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The server may keep the session otherwise; a bounded courtesy. */
  delete_cancellable = g_cancellable_new ();
  g_task_set_task_data (task, g_object_ref (delete_cancellable), g_object_unref);
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, DELETE_TIMEOUT_SECONDS, on_delete_timeout,
                              g_object_ref (delete_cancellable), g_object_unref);
  headers = new_headers (self, "application/json, text/event-stream");
  g_debug ("Ending session %s", self->session_id);
  mc_bridge_http_send_async (self->http, "DELETE", self->url, headers, NULL, delete_cancellable, on_deleted,
                             g_steal_pointer (&task));
}

static gboolean
mc_streamable_http_close_finish (McTransport   *transport,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, transport), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
mc_streamable_http_set_paused (McTransport *transport,
                               gboolean     paused)
{
  McStreamableHttp *self = MC_STREAMABLE_HTTP (transport);

  if (self->paused == paused)
    return;

  g_debug ("%s reading from the server", paused ? "Pausing" : "Resuming");
  self->paused = paused;
  for (guint i = 0; i < self->calls.calls->len; i++)
    {
      Exchange *ex = self->calls.calls->pdata[i];

      if (ex->stream != NULL)
        mc_sse_stream_set_paused (ex->stream, paused);
    }
  if (self->get_stream != NULL)
    mc_sse_stream_set_paused (self->get_stream, paused);
  for (guint i = 0; i < self->draining->len; i++)
    mc_sse_stream_set_paused (self->draining->pdata[i], paused);
}

static void
mc_streamable_http_transport_init (McTransportInterface *iface)
{
  iface->send_async = mc_streamable_http_send_async;
  iface->send_finish = mc_streamable_http_send_finish;
  iface->close_async = mc_streamable_http_close_async;
  iface->close_finish = mc_streamable_http_close_finish;
  iface->set_paused = mc_streamable_http_set_paused;
}

/* GObject {{{1 */

static void
mc_streamable_http_dispose (GObject *object)
{
  McStreamableHttp *self = (McStreamableHttp *)object;

  /* Exchanges hold the transport, so none is left here. */
  drop_get_stream (self);
  if (self->draining != NULL)
    stop_draining (self);
  g_clear_handle_id (&self->get_timer, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->http);

  G_OBJECT_CLASS (mc_streamable_http_parent_class)->dispose (object);
}

static void
mc_streamable_http_finalize (GObject *object)
{
  McStreamableHttp *self = (McStreamableHttp *)object;

  g_free (self->url);
  g_free (self->shown_url);
  g_free (self->session_id);
  g_free (self->protocol_version);
  g_free (self->get_last_event_id);
  g_clear_error (&self->failure);
  mc_transport_calls_clear (&self->calls);
  g_clear_pointer (&self->draining, g_ptr_array_unref);

  G_OBJECT_CLASS (mc_streamable_http_parent_class)->finalize (object);
}

static void
mc_streamable_http_class_init (McStreamableHttpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_streamable_http_dispose;
  object_class->finalize = mc_streamable_http_finalize;
}

static void
mc_streamable_http_init (McStreamableHttp *self)
{
  self->cancellable = g_cancellable_new ();
  mc_transport_calls_init (&self->calls);
  self->draining = g_ptr_array_new_with_free_func (g_object_unref);
  self->get_retry = -1;
}

/**
 * mc_streamable_http_new:
 * @http: the HTTP client
 * @url: the MCP endpoint
 * @max_message: the largest message accepted from the server, in bytes
 *
 * Returns: (transfer full): the transport, with no session yet
 */
McStreamableHttp *
mc_streamable_http_new (McBridgeHttp *http,
                        const char   *url,
                        gsize         max_message)
{
  McStreamableHttp *self;

  g_return_val_if_fail (MC_IS_BRIDGE_HTTP (http), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (MC_TYPE_STREAMABLE_HTTP, NULL);
  self->http = g_object_ref (http);
  self->url = g_strdup (url);
  self->shown_url = mc_bridge_http_display_url (url);
  self->max_message = max_message;
  return self;
}

/**
 * mc_streamable_http_get_session_id:
 * @self: a #McStreamableHttp
 *
 * Returns: (nullable): the session id the server gave
 */
const char *
mc_streamable_http_get_session_id (McStreamableHttp *self)
{
  g_return_val_if_fail (MC_IS_STREAMABLE_HTTP (self), NULL);

  return self->session_id;
}

/**
 * mc_streamable_http_get_protocol_version:
 * @self: a #McStreamableHttp
 *
 * Returns: (nullable): the protocol version the server chose
 */
const char *
mc_streamable_http_get_protocol_version (McStreamableHttp *self)
{
  g_return_val_if_fail (MC_IS_STREAMABLE_HTTP (self), NULL);

  return self->protocol_version;
}
