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

typedef struct _Post Post;

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

  GPtrArray     *posts;
  GHashTable    *pending;
};

struct _Post
{
  grefcount          ref_count;
  McLegacySse       *self;
  McJsonrpcMessage  *message;
  GTask             *task;
  GCancellable      *cancellable;
  SoupMessage       *refusal;
  gboolean           done;
};

static void mc_legacy_sse_transport_init (McTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (McLegacySse, mc_legacy_sse, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MC_TYPE_TRANSPORT, mc_legacy_sse_transport_init))

/* Posts {{{1 */

static Post *
post_ref (Post *post)
{
  g_ref_count_inc (&post->ref_count);
  return post;
}

static void
post_unref (Post *post)
{
  if (!g_ref_count_dec (&post->ref_count))
    return;

  g_clear_object (&post->task);
  g_clear_object (&post->cancellable);
  g_clear_object (&post->refusal);
  g_clear_object (&post->self);
  g_clear_pointer (&post->message, mc_jsonrpc_message_unref);
  g_free (post);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Post, post_unref)

static gboolean
post_is_request (Post *post)
{
  return mc_jsonrpc_message_get_kind (post->message) == MC_JSONRPC_REQUEST;
}

static void
finish_post (Post         *post,
             const GError *error)
{
  McLegacySse *self = post->self;
  const char *key = mc_jsonrpc_message_get_id_key (post->message);

  if (post->done)
    return;
  post->done = TRUE;

  g_cancellable_cancel (post->cancellable);
  if (post_is_request (post) && key != NULL && g_hash_table_lookup (self->pending, key) == post)
    g_hash_table_remove (self->pending, key);

  /* Out of the books before the task returns: its callback may run now,
   * and close the transport. */
  post_ref (post);
  g_ptr_array_remove_fast (self->posts, post);
  if (error != NULL)
    g_task_return_error (post->task, g_error_copy (error));
  else
    g_task_return_boolean (post->task, TRUE);
  post_unref (post);
}

static void
fail_all_posts (McLegacySse  *self,
                const GError *error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) post_unref);

  for (guint i = 0; i < self->posts->len; i++)
    g_ptr_array_add (all, post_ref (self->posts->pdata[i]));
  for (guint i = 0; i < all->len; i++)
    finish_post (all->pdata[i], error);
}

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
  fail_all_posts (self, error);
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
  g_autoptr(Post) post = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = mc_bridge_http_read_body_finish (MC_BRIDGE_HTTP (source_object), result, NULL);
  if (post->done)
    return;

  error = mc_bridge_http_status_error (post->refusal, mc_jsonrpc_message_describe (post->message), body);
  finish_post (post, error);
}

static void
on_posted (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Post) post = user_data;
  McLegacySse *self = post->self;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = mc_bridge_http_send_finish (MC_BRIDGE_HTTP (source_object), result, &message, &error);
  if (post->done)
    return;
  if (body == NULL)
    {
      finish_post (post, error);
      return;
    }

  status = soup_message_get_status (message);
  g_debug ("%s: %u %s", mc_jsonrpc_message_describe (post->message), status,
           soup_message_get_reason_phrase (message));
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_object (&post->refusal, message);
      mc_bridge_http_read_body_async (self->http, body, 0, post->cancellable, on_post_error_body,
                                      post_ref (post));
      return;
    }

  /* The answer comes on the stream; the body says nothing. */
  g_input_stream_close_async (body, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (!post_is_request (post))
    finish_post (post, NULL);
}

static void
send_post (McLegacySse *self,
           Post        *post)
{
  mc_bridge_http_send_async (self->http, "POST", self->endpoint, NULL, mc_jsonrpc_message_get_bytes (post->message),
                             post->cancellable, on_posted, post_ref (post));
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
  for (guint i = 0; i < self->posts->len; i++)
    send_post (self, self->posts->pdata[i]);
}

static void
handle_message (McLegacySse      *self,
                McJsonrpcMessage *message)
{
  g_autoptr(Post) post = NULL;
  const char *key = NULL;

  if (mc_jsonrpc_message_get_kind (message) != MC_JSONRPC_RESPONSE)
    {
      mc_transport_emit_message (MC_TRANSPORT (self), message, NULL);
      return;
    }

  key = mc_jsonrpc_message_get_id_key (message);
  if (key != NULL)
    post = g_hash_table_lookup (self->pending, key);
  if (post == NULL)
    {
      g_warning ("The server sent an %s, which answers no request waiting; dropped",
                 mc_jsonrpc_message_describe (message));
      return;
    }

  post_ref (post);
  g_hash_table_remove (self->pending, key);
  mc_transport_emit_message (MC_TRANSPORT (self), message, post->message);
  finish_post (post, NULL);
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
  g_autoptr(GTask) task = NULL;
  Post *post = NULL;
  const char *key = mc_jsonrpc_message_get_id_key (message);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_legacy_sse_send_async);

  if (self->failure != NULL)
    {
      g_task_return_error (task, g_error_copy (self->failure));
      return;
    }
  if (self->closed)
    {
      g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_CLOSED, _("The bridge is shutting down"));
      return;
    }
  if (mc_jsonrpc_message_get_kind (message) == MC_JSONRPC_REQUEST && g_hash_table_contains (self->pending, key))
    {
      g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_DUPLICATE_ID,
                               _("Invalid Request: a request with this id is still waiting for its response"));
      return;
    }

  post = g_new0 (Post, 1);
  g_ref_count_init (&post->ref_count);
  post->self = g_object_ref (self);
  post->message = mc_jsonrpc_message_ref (message);
  post->task = g_steal_pointer (&task);
  post->cancellable = g_cancellable_new ();
  g_ptr_array_add (self->posts, post);
  if (mc_jsonrpc_message_get_kind (message) == MC_JSONRPC_REQUEST)
    g_hash_table_insert (self->pending, g_strdup (key), post);

  switch (self->state)
    {
    case STATE_READY:
      send_post (self, post);
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
      fail_all_posts (self, error);
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
  g_clear_pointer (&self->posts, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);

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
  self->posts = g_ptr_array_new_with_free_func ((GDestroyNotify) post_unref);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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
