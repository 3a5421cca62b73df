/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mc-bridge-error.h"
#include "mc-bridge-http.h"
#include "mc-json.h"

/* The bridge's HTTP client: one SoupSession for every request to the MCP
 * server, the user's --header values on each, and the authorization seam
 * (McBridgeAuth) asked for an Authorization value before each request and
 * handed every 401 and 403 before the request is replayed.
 *
 * The session has no I/O timeout: an event stream may be quiet for hours.
 * TLS is verified (libsoup's default: the system's CA store); redirects
 * are not followed (libsoup would turn a redirected POST into a GET that
 * loses the message), but reported with where they lead; proxies are
 * those mc_bridge_proxy_resolver_new() chose.  Transport failures and
 * unusable statuses become errors whose message tells the user what
 * happened and what to try. */

#define READ_CHUNK 16384
/* What is read of an error response, for the server's explanation. */
#define MAX_ERROR_BODY 65536

struct _McBridgeHttp
{
  GObject       parent_instance;

  SoupSession  *session;
  GPtrArray    *header_names;
  GPtrArray    *header_values;
  McBridgeAuth *auth;
};

G_DEFINE_FINAL_TYPE (McBridgeHttp, mc_bridge_http, G_TYPE_OBJECT)

static void
mc_bridge_http_dispose (GObject *object)
{
  McBridgeHttp *self = (McBridgeHttp *)object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->auth);

  G_OBJECT_CLASS (mc_bridge_http_parent_class)->dispose (object);
}

static void
mc_bridge_http_finalize (GObject *object)
{
  McBridgeHttp *self = (McBridgeHttp *)object;

  g_clear_pointer (&self->header_names, g_ptr_array_unref);
  g_clear_pointer (&self->header_values, g_ptr_array_unref);

  G_OBJECT_CLASS (mc_bridge_http_parent_class)->finalize (object);
}

static void
mc_bridge_http_class_init (McBridgeHttpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_bridge_http_dispose;
  object_class->finalize = mc_bridge_http_finalize;
}

static void
mc_bridge_http_init (McBridgeHttp *self)
{
}

/**
 * mc_bridge_http_new:
 * @header_names: (element-type utf8): names of headers for every request
 * @header_values: (element-type utf8): their values
 * @proxy_resolver: (nullable): the proxies to use
 *   (mc_bridge_proxy_resolver_new()), or %NULL for none
 *
 * Returns: (transfer full): the HTTP client
 */
McBridgeHttp *
mc_bridge_http_new (GPtrArray      *header_names,
                    GPtrArray      *header_values,
                    GProxyResolver *proxy_resolver)
{
  g_autofree char *user_agent = g_strdup_printf ("mcp-consent-bridge/%s", PACKAGE_VERSION);
  McBridgeHttp *self;

  g_return_val_if_fail (header_names != NULL, NULL);
  g_return_val_if_fail (header_values != NULL && header_values->len == header_names->len, NULL);
  g_return_val_if_fail (proxy_resolver == NULL || G_IS_PROXY_RESOLVER (proxy_resolver), NULL);

  self = g_object_new (MC_TYPE_BRIDGE_HTTP, NULL);
  self->header_names = g_ptr_array_ref (header_names);
  self->header_values = g_ptr_array_ref (header_values);
  /* A NULL proxy-resolver, set explicitly, is libsoup's "no proxy": its
   * connections then look for none, and GIO loads no proxy module. */
  self->session = soup_session_new_with_options ("user-agent", user_agent,
                                                 "timeout", 0,
                                                 "max-conns", MC_BRIDGE_HTTP_MAX_CONNECTIONS,
                                                 "max-conns-per-host", MC_BRIDGE_HTTP_MAX_CONNECTIONS,
                                                 "proxy-resolver", proxy_resolver,
                                                 NULL);
  return self;
}

/**
 * mc_bridge_http_set_auth:
 * @self: a #McBridgeHttp
 * @auth: (nullable): what authorizes requests, or %NULL for nothing
 */
void
mc_bridge_http_set_auth (McBridgeHttp *self,
                         McBridgeAuth *auth)
{
  g_return_if_fail (MC_IS_BRIDGE_HTTP (self));
  g_return_if_fail (auth == NULL || MC_IS_BRIDGE_AUTH (auth));

  g_set_object (&self->auth, auth);
}

/**
 * mc_bridge_http_get_auth:
 * @self: a #McBridgeHttp
 *
 * Returns: (transfer none) (nullable): what authorizes requests
 */
McBridgeAuth *
mc_bridge_http_get_auth (McBridgeHttp *self)
{
  g_return_val_if_fail (MC_IS_BRIDGE_HTTP (self), NULL);

  return self->auth;
}

/**
 * mc_bridge_http_display_url:
 * @url: a URL
 *
 * Returns: (transfer full): @url as errors and logs show it: without its
 *   query, which may hold a key
 */
char *
mc_bridge_http_display_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    return g_strdup (url);
  return g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), g_uri_get_path (uri), NULL, NULL);
}

static char *
host_and_port (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  int port;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup (url);

  port = g_uri_get_port (uri);
  if (port < 0)
    port = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
  if (strchr (g_uri_get_host (uri), ':') != NULL)
    return g_strdup_printf ("[%s]:%d", g_uri_get_host (uri), port);
  return g_strdup_printf ("%s:%d", g_uri_get_host (uri), port);
}

/* The error of a request that got no answer, for the user. */
static GError *
connection_error (const char   *url,
                  SoupMessage  *message,
                  const GError *cause)
{
  g_autofree char *where = host_and_port (url);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (cause);

  if (cause->domain == G_TLS_ERROR ||
      (message != NULL && soup_message_get_tls_peer_certificate_errors (message) != 0))
    return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_TLS,
                        _("The TLS certificate of %s cannot be trusted (%s); check the URL, and that this "
                          "system trusts the authority that signed the server’s certificate"),
                        where, cause->message);

  if (cause->domain == G_RESOLVER_ERROR)
    return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_UNREACHABLE,
                        _("Cannot find the server %s (%s); check the URL and the network connection"),
                        where, cause->message);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_UNREACHABLE,
                        _("Cannot connect to %s: the connection was refused; check the URL and that the MCP "
                          "server is running"),
                        where);

  return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_UNREACHABLE,
                      _("The connection to %s failed (%s); check the URL, the network connection, and that "
                        "the MCP server is running"),
                      where, cause->message);
}

/* A short, printable account of what the server said about an error: the
 * message of a JSON-RPC error, or the start of a text body. */
static char *
server_explanation (SoupMessage *message,
                    GBytes      *body)
{
  gsize length = 0;
  const char *data = NULL;
  g_autofree char *text = NULL;
  GString *clean = NULL;

  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &length);
  if (length == 0)
    return NULL;

  if (mc_bridge_http_is_content_type (message, "application/json"))
    {
      g_autoptr(JsonObject) object = mc_json_parse_object (data, length, NULL);
      JsonNode *error = object != NULL ? json_object_get_member (object, "error") : NULL;
      JsonNode *error_message = NULL;

      if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
        error_message = json_object_get_member (json_node_get_object (error), "message");
      if (error_message == NULL || !JSON_NODE_HOLDS_VALUE (error_message) ||
          json_node_get_value_type (error_message) != G_TYPE_STRING)
        return NULL;
      text = g_utf8_make_valid (json_node_get_string (error_message), -1);
    }
  else if (mc_bridge_http_is_content_type (message, "text/plain"))
    {
      text = g_utf8_make_valid (data, MIN (length, 400));
    }
  else
    {
      return NULL;
    }

  /* One line, printable, short. */
  clean = g_string_new (NULL);
  for (const char *p = text; *p != '\0' && clean->len < 200; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_c (clean, ' ');
      else
        g_string_append_unichar (clean, c);
    }
  g_strstrip (clean->str);
  if (clean->str[0] == '\0')
    {
      g_string_free (clean, TRUE);
      return NULL;
    }
  return g_string_free (clean, FALSE);
}

/**
 * mc_bridge_http_status_error:
 * @message: a message with a status the caller cannot use
 * @what: what was asked, for the message, such as "the initialize request"
 * @body: (nullable): the start of the response's body
 *
 * Returns: (transfer full): an error that says what the server answered
 *   and what to try: %MC_BRIDGE_ERROR_AUTH_REQUIRED for 401 and 403, else
 *   %MC_BRIDGE_ERROR_HTTP
 */
GError *
mc_bridge_http_status_error (SoupMessage *message,
                             const char  *what,
                             GBytes      *body)
{
  g_autofree char *url = g_uri_to_string (soup_message_get_uri (message));
  g_autofree char *shown = mc_bridge_http_display_url (url);
  g_autofree char *explanation = server_explanation (message, body);
  g_autofree char *said = NULL;
  guint status = soup_message_get_status (message);
  const char *reason = soup_message_get_reason_phrase (message);

  g_return_val_if_fail (SOUP_IS_MESSAGE (message), NULL);
  g_return_val_if_fail (what != NULL, NULL);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);
  if (reason == NULL)
    reason = "";
  said = explanation != NULL ? g_strdup_printf (" (“%s”)", explanation) : g_strdup ("");

  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
    case SOUP_STATUS_FORBIDDEN:
      return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_AUTH_REQUIRED,
                          _("%s answered %s with %u %s%s: the server wants authorization the bridge could "
                            "not give; if you have a token for it, pass it with --header \"Authorization: "
                            "Bearer …\""),
                          shown, what, status, reason, said);

    case SOUP_STATUS_NOT_FOUND:
      return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_HTTP,
                          _("%s answered %s with 404 Not Found%s; check the URL’s path"),
                          shown, what, said);

    default:
      if (SOUP_STATUS_IS_REDIRECTION (status))
        {
          const char *location = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                               "Location");
          g_autoptr(GUri) target = location != NULL ? g_uri_parse_relative (soup_message_get_uri (message), location,
                                                                              G_URI_FLAGS_ENCODED, NULL) : NULL;
          g_autofree char *target_text = target != NULL ? g_uri_to_string (target) : NULL;
          g_autofree char *shown_target = target_text != NULL ? mc_bridge_http_display_url (target_text) : NULL;

          if (shown_target != NULL)
            return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_HTTP,
                                _("%s answered %s with %u %s to %s, and the bridge follows no redirects; if "
                                  "that is the MCP server, use its URL"),
                                shown, what, status, reason, shown_target);
        }
      if (status >= 500)
        return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_HTTP,
                            _("%s answered %s with %u %s%s: the server failed; try again later"),
                            shown, what, status, reason, said);
      return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_HTTP,
                          _("%s answered %s with %u %s%s"), shown, what, status, reason, said);
    }
}

/**
 * mc_bridge_http_is_content_type:
 * @message: a message with its response headers
 * @type: a media type, such as "application/json"
 *
 * Returns: whether the response's media type is @type
 */
gboolean
mc_bridge_http_is_content_type (SoupMessage *message,
                                const char  *type)
{
  const char *content_type = NULL;

  g_return_val_if_fail (SOUP_IS_MESSAGE (message), FALSE);

  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);
  return content_type != NULL && g_ascii_strcasecmp (content_type, type) == 0;
}

/* Sending {{{1 */

typedef struct
{
  char               *method;
  char               *url;
  SoupMessageHeaders *headers;
  GBytes             *body;
  SoupMessage        *message;
  /* The body of a 401 or 403 while the auth seam considers it. */
  GInputStream       *refused;
  guint               attempt;
} Send;

static void
send_free (Send *send)
{
  g_free (send->method);
  g_free (send->url);
  g_clear_pointer (&send->headers, soup_message_headers_unref);
  g_clear_pointer (&send->body, g_bytes_unref);
  g_clear_object (&send->message);
  g_clear_object (&send->refused);
  g_free (send);
}

static void start_attempt (GTask *task);

static void
on_challenge_handled (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Send *send = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!mc_bridge_auth_handle_challenge_finish (MC_BRIDGE_AUTH (source_object), result, &error))
    {
      if (error != NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      /* Not met: the caller sees the refusal as it came. */
      g_task_return_pointer (task, g_steal_pointer (&send->refused), g_object_unref);
      return;
    }

  g_debug ("Replaying the %s after the authorization challenge", send->method);
  g_input_stream_close_async (send->refused, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&send->refused);
  start_attempt (g_steal_pointer (&task));
}

static void
on_sent (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  McBridgeHttp *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  stream = soup_session_send_finish (SOUP_SESSION (source_object), result, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, connection_error (send->url, send->message, error));
      return;
    }

  status = soup_message_get_status (send->message);
  if ((status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) && self->auth != NULL)
    {
      g_autofree char *www_authenticate = NULL;
      McBridgeChallenge challenge = { 0 };
      const char *header = NULL;
      GCancellable *cancellable = NULL;

      header = soup_message_headers_get_list (soup_message_get_response_headers (send->message),
                                              "WWW-Authenticate");
      www_authenticate = g_strdup (header);
      challenge.method = send->method;
      challenge.url = send->url;
      challenge.status = status;
      challenge.www_authenticate = www_authenticate;
      challenge.attempt = send->attempt;

      send->refused = g_steal_pointer (&stream);
      /* Not in the same call as g_steal_pointer (&task): arguments are
       * evaluated in no set order. */
      cancellable = g_task_get_cancellable (task);
      mc_bridge_auth_handle_challenge_async (self->auth, &challenge, cancellable,
                                             on_challenge_handled, g_steal_pointer (&task));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&stream), g_object_unref);
}

static void
add_header (const char *name,
            const char *value,
            gpointer    user_data)
{
  soup_message_headers_replace (user_data, name, value);
}

static void
send_attempt (GTask      *task,
              const char *authorization)
{
  McBridgeHttp *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  SoupMessageHeaders *request_headers = NULL;

  g_clear_object (&send->message);
  send->message = soup_message_new (send->method, send->url);
  /* libsoup would turn a POST redirected with 301, 302 or 303 into a GET
   * without its message; a redirect is reported instead. */
  soup_message_add_flags (send->message, SOUP_MESSAGE_NO_REDIRECT);
  send->attempt++;
  request_headers = soup_message_get_request_headers (send->message);

  for (guint i = 0; i < self->header_names->len; i++)
    soup_message_headers_replace (request_headers, self->header_names->pdata[i], self->header_values->pdata[i]);
  if (send->headers != NULL)
    soup_message_headers_foreach (send->headers, add_header, request_headers);
  if (authorization != NULL)
    soup_message_headers_replace (request_headers, "Authorization", authorization);
  if (send->body != NULL)
    soup_message_set_request_body_from_bytes (send->message, "application/json", send->body);

  soup_session_send_async (self->session, send->message, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           on_sent, task);
}

static void
on_authorization (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *authorization = NULL;

  authorization = mc_bridge_auth_get_authorization_finish (MC_BRIDGE_AUTH (source_object), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  send_attempt (g_steal_pointer (&task), authorization);
}

static void
start_attempt (GTask *task)
{
  McBridgeHttp *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);

  if (self->auth == NULL)
    {
      send_attempt (task, NULL);
      return;
    }

  mc_bridge_auth_get_authorization_async (self->auth, send->url, g_task_get_cancellable (task),
                                          on_authorization, task);
}

/**
 * mc_bridge_http_send_async:
 * @self: a #McBridgeHttp
 * @method: the HTTP method
 * @url: the URL
 * @headers: (nullable): headers for this request, besides the user's
 * @body: (nullable): a JSON body
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the response's headers arrived
 * @user_data: for @callback
 *
 * Sends a request, with the user's headers and the Authorization the
 * auth seam gives, replaying it as the seam decides on 401 and 403.
 */
void
mc_bridge_http_send_async (McBridgeHttp        *self,
                           const char          *method,
                           const char          *url,
                           SoupMessageHeaders  *headers,
                           GBytes              *body,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Send *send = NULL;

  g_return_if_fail (MC_IS_BRIDGE_HTTP (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (url != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_bridge_http_send_async);

  send = g_new0 (Send, 1);
  send->method = g_strdup (method);
  send->url = g_strdup (url);
  send->headers = headers != NULL ? soup_message_headers_ref (headers) : NULL;
  send->body = body != NULL ? g_bytes_ref (body) : NULL;
  g_task_set_task_data (task, send, (GDestroyNotify) send_free);

  start_attempt (g_steal_pointer (&task));
}

/**
 * mc_bridge_http_send_finish:
 * @self: a #McBridgeHttp
 * @result: the result
 * @out_message: (out) (transfer full): the message, with the response's
 *   status and headers
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the response's body, whatever the status, or
 *   %NULL with @error set when no response came (its message says what
 *   to try) or the auth seam failed the request
 */
GInputStream *
mc_bridge_http_send_finish (McBridgeHttp  *self,
                            GAsyncResult  *result,
                            SoupMessage  **out_message,
                            GError       **error)
{
  Send *send = NULL;
  GInputStream *stream = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (out_message != NULL, NULL);

  send = g_task_get_task_data (G_TASK (result));
  stream = g_task_propagate_pointer (G_TASK (result), error);
  *out_message = stream != NULL ? g_object_ref (send->message) : NULL;
  return stream;
}

/* Reading a body {{{1 */

typedef struct
{
  GInputStream *stream;
  GByteArray   *body;
  gsize         max_length;
} Read;

static void
read_free (Read *read)
{
  g_clear_object (&read->stream);
  g_clear_pointer (&read->body, g_byte_array_unref);
  g_free (read);
}

static void read_more (GTask *task);

static void
on_read (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Read *read = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GError) error = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source_object), result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_bytes_get_size (chunk) == 0)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&read->body)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (read->body->len + g_bytes_get_size (chunk) > read->max_length)
    {
      g_input_stream_close_async (read->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_EVENT_TOO_LARGE,
                               _("The server’s answer is larger than %" G_GSIZE_FORMAT " bytes; if that is "
                                 "expected, raise --max-message-size"),
                               read->max_length);
      return;
    }

  g_byte_array_append (read->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  Read *read = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (read->stream, READ_CHUNK, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   on_read, task);
}

/**
 * mc_bridge_http_read_body_async:
 * @self: a #McBridgeHttp
 * @stream: a response's body
 * @max_length: the most that may be read; 0 for a small default, enough
 *   for an error's explanation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the body was read
 * @user_data: for @callback
 *
 * Reads a whole body, refusing one longer than @max_length.
 */
void
mc_bridge_http_read_body_async (McBridgeHttp        *self,
                                GInputStream        *stream,
                                gsize                max_length,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Read *read = NULL;

  g_return_if_fail (MC_IS_BRIDGE_HTTP (self));
  g_return_if_fail (G_IS_INPUT_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_bridge_http_read_body_async);
  read = g_new0 (Read, 1);
  read->stream = g_object_ref (stream);
  read->body = g_byte_array_new ();
  read->max_length = max_length > 0 ? max_length : MAX_ERROR_BODY;
  g_task_set_task_data (task, read, (GDestroyNotify) read_free);

  read_more (g_steal_pointer (&task));
}

/**
 * mc_bridge_http_read_body_finish:
 * @self: a #McBridgeHttp
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the body, or %NULL with @error set
 *   (%MC_BRIDGE_ERROR_EVENT_TOO_LARGE for a body over the limit)
 */
GBytes *
mc_bridge_http_read_body_finish (McBridgeHttp  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
