/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "mc-error.h"
#include "mc-http.h"
#include "mc-oauth-urls.h"

#define IDLE_TIMEOUT_SECONDS 60
#define READ_CHUNK 16384

/* The broker's one HTTP client, for metadata, registration and token
 * requests. It sends nothing to a URL mc_oauth_url_is_acceptable()
 * refuses (https, or http to loopback), verifies TLS (libsoup's default:
 * the system's CA store, no exceptions), follows no redirects — an
 * authorization server's endpoints are where its metadata says, and a
 * redirect is an answer to report — and reads at most MC_HTTP_MAX_BODY
 * bytes of any answer. */
struct _McHttp
{
  GObject      parent_instance;

  /* Made at the first request: a SoupSession costs the idle daemon
   * about 200 kB (libsoup's and GIO's pages it touches, its heap), and
   * most sessions of the daemon never sign in (docs/benchmarks.md). */
  SoupSession *session;
  guint        timeout_seconds;
};

G_DEFINE_FINAL_TYPE (McHttp, mc_http, G_TYPE_OBJECT)

void
mc_http_response_free (McHttpResponse *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->body, g_bytes_unref);
  g_free (self->content_type);
  g_free (self);
}

static void
mc_http_dispose (GObject *object)
{
  McHttp *self = (McHttp *)object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (mc_http_parent_class)->dispose (object);
}

static void
mc_http_class_init (McHttpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_http_dispose;
}

static void
mc_http_init (McHttp *self)
{
}

/**
 * mc_http_new:
 * @timeout_seconds: how long any one request may take, connecting
 *   included (%MC_HTTP_DEFAULT_TIMEOUT unless testing)
 *
 * Returns: (transfer full): the HTTP client
 */
McHttp *
mc_http_new (guint timeout_seconds)
{
  McHttp *self;

  g_return_val_if_fail (timeout_seconds > 0, NULL);

  self = g_object_new (MC_TYPE_HTTP, NULL);
  self->timeout_seconds = timeout_seconds;
  return self;
}

static SoupSession *
ensure_session (McHttp *self)
{
  g_autofree char *user_agent = NULL;

  if (self->session != NULL)
    return self->session;

  user_agent = g_strdup_printf ("mcp-consent/%s", PACKAGE_VERSION);
  self->session = soup_session_new_with_options ("timeout", self->timeout_seconds,
                                                 "idle-timeout", IDLE_TIMEOUT_SECONDS,
                                                 "user-agent", user_agent,
                                                 NULL);
  return self->session;
}

typedef struct
{
  SoupMessage *message;
  char        *url;
  GByteArray  *body;
} Exchange;

static void
exchange_free (Exchange *exchange)
{
  g_clear_object (&exchange->message);
  g_free (exchange->url);
  g_clear_pointer (&exchange->body, g_byte_array_unref);
  g_free (exchange);
}

static void
return_remote_error (GTask        *task,
                     const char   *url,
                     const GError *cause)
{
  Exchange *exchange = g_task_get_task_data (task);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_error_copy (cause));
      return;
    }

  if (cause->domain == G_TLS_ERROR ||
      soup_message_get_tls_peer_certificate_errors (exchange->message) != 0)
    g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE,
                             "Could not verify the TLS certificate of %s: %s", url, cause->message);
  else
    g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE,
                             "Could not reach %s: %s", url, cause->message);
}

static void read_more (GTask *task, GInputStream *stream);

static void
on_read (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GInputStream *stream = G_INPUT_STREAM (source_object);
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  g_autoptr(GError) error = NULL;
  McHttpResponse *response = NULL;
  const char *content_type = NULL;

  chunk = g_input_stream_read_bytes_finish (stream, result, &error);
  if (chunk == NULL)
    {
      return_remote_error (task, exchange->url, error);
      return;
    }

  if (g_bytes_get_size (chunk) > 0)
    {
      if (exchange->body->len + g_bytes_get_size (chunk) > MC_HTTP_MAX_BODY)
        {
          g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
          g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE,
                                   "%s answered with more than %d bytes", exchange->url, MC_HTTP_MAX_BODY);
          return;
        }
      g_byte_array_append (exchange->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      read_more (g_steal_pointer (&task), stream);
      return;
    }

  response = g_new0 (McHttpResponse, 1);
  response->status = soup_message_get_status (exchange->message);
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&exchange->body));
  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (exchange->message), NULL);
  response->content_type = g_strdup (content_type);
  g_task_return_pointer (task, response, (GDestroyNotify)mc_http_response_free);
}

static void
read_more (GTask        *task,
           GInputStream *stream)
{
  g_input_stream_read_bytes_async (stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read, task);
}

static void
on_sent (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Exchange *exchange = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (source_object), result, &error);
  if (stream == NULL)
    {
      return_remote_error (task, exchange->url, error);
      return;
    }

  exchange->body = g_byte_array_new ();
  read_more (g_steal_pointer (&task), stream);
}

static void
send_message (McHttp      *self,
              SoupMessage *message,
              const char  *url,
              GTask       *task)
{
  Exchange *exchange = g_new0 (Exchange, 1);

  exchange->message = g_object_ref (message);
  exchange->url = g_strdup (url);
  g_task_set_task_data (task, exchange, (GDestroyNotify)exchange_free);

  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", "application/json");
  soup_session_send_async (ensure_session (self), message, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           on_sent, task);
}

/* Returns NULL after failing @task when @url may not be contacted. */
static SoupMessage *
new_message (McHttp      *self,
             const char  *method,
             const char  *url,
             GTask       *task)
{
  g_autoptr(GError) error = NULL;
  SoupMessage *message = NULL;

  if (!mc_oauth_url_is_acceptable (url, &error))
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE,
                               "Refused to contact %s: %s", url, error->message);
      return NULL;
    }

  message = soup_message_new (method, url);
  if (message == NULL)
    g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE, "%s is not a URL libsoup accepts", url);
  return message;
}

/**
 * mc_http_get_async:
 * @self: a #McHttp
 * @url: an https URL (or http to loopback)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the #McHttpResponse
 * @user_data: data for @callback
 *
 * GETs @url; any status is an answer, only transport failures are errors.
 */
void
mc_http_get_async (McHttp              *self,
                   const char          *url,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MC_IS_HTTP (self));
  g_return_if_fail (url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_http_get_async);
  message = new_message (self, SOUP_METHOD_GET, url, task);
  if (message == NULL)
    return;

  send_message (self, message, url, g_steal_pointer (&task));
}

/**
 * mc_http_post_async:
 * @self: a #McHttp
 * @url: an https URL (or http to loopback)
 * @content_type: the body's media type
 * @body: the body
 * @authorization: (nullable): an Authorization header value
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the #McHttpResponse
 * @user_data: data for @callback
 *
 * POSTs @body to @url.
 */
void
mc_http_post_async (McHttp              *self,
                    const char          *url,
                    const char          *content_type,
                    GBytes              *body,
                    const char          *authorization,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MC_IS_HTTP (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (content_type != NULL);
  g_return_if_fail (body != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_http_get_async);
  message = new_message (self, SOUP_METHOD_POST, url, task);
  if (message == NULL)
    return;

  soup_message_set_request_body_from_bytes (message, content_type, body);
  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);

  send_message (self, message, url, g_steal_pointer (&task));
}

/**
 * mc_http_finish:
 * @self: a #McHttp
 * @result: the result
 * @error: return location for an %MC_ERROR_REMOTE error
 *
 * Returns: (transfer full): the answer, whatever its status
 */
McHttpResponse *
mc_http_finish (McHttp        *self,
                GAsyncResult  *result,
                GError       **error)
{
  g_return_val_if_fail (MC_IS_HTTP (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
append_encoded (GString    *out,
                const char *text)
{
  /* application/x-www-form-urlencoded: everything but unreserved
   * characters percent-encoded, space as "+" is optional; "%20" is fine. */
  g_autofree char *escaped = g_uri_escape_string (text, NULL, FALSE);

  g_string_append (out, escaped);
}

/**
 * mc_http_form_encode:
 * @first_name: the first field's name
 * @...: its value, then more name/value pairs, %NULL-terminated; a pair
 *   whose value is %NULL is left out
 *
 * Returns: (transfer full): an application/x-www-form-urlencoded body
 */
GBytes *
mc_http_form_encode (const char *first_name,
                     ...)
{
  GString *out = g_string_new (NULL);
  va_list args;

  va_start (args, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '&');
      append_encoded (out, name);
      g_string_append_c (out, '=');
      append_encoded (out, value);
    }
  va_end (args);

  return g_string_free_to_bytes (out);
}

/**
 * mc_http_form_encodev:
 * @names: (array length=n_fields): field names
 * @values: (array length=n_fields): their values; a %NULL value leaves the
 *   field out
 * @n_fields: how many
 *
 * Returns: (transfer full): an application/x-www-form-urlencoded body
 */
GBytes *
mc_http_form_encodev (const char * const *names,
                      const char * const *values,
                      gsize               n_fields)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < n_fields; i++)
    {
      if (values[i] == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '&');
      append_encoded (out, names[i]);
      g_string_append_c (out, '=');
      append_encoded (out, values[i]);
    }

  return g_string_free_to_bytes (out);
}

/**
 * mc_http_basic_auth:
 * @client_id: the client id
 * @client_secret: the client secret
 *
 * RFC 6749 §2.3.1: both are form-urlencoded before they are joined and
 * base64-encoded.
 *
 * Returns: (transfer full): the Authorization header value
 */
char *
mc_http_basic_auth (const char *client_id,
                    const char *client_secret)
{
  g_autoptr(GString) pair = g_string_new (NULL);
  g_autofree char *encoded = NULL;
  char *header = NULL;

  g_return_val_if_fail (client_id != NULL, NULL);
  g_return_val_if_fail (client_secret != NULL, NULL);

  append_encoded (pair, client_id);
  g_string_append_c (pair, ':');
  append_encoded (pair, client_secret);

  encoded = g_base64_encode ((const guchar *)pair->str, pair->len);
  header = g_strconcat ("Basic ", encoded, NULL);

  /* The pair holds the secret in clear. */
  memset (pair->str, 0, pair->len);
  memset (encoded, 0, strlen (encoded));
  return header;
}
