/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The OAuth redirect listener, with real sockets on loopback: a
 * SoupSession for what a browser sends, raw connections for what no
 * browser sends. Every wait is for an event, with the deadline of
 * mc_test_wait_until(). */

#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>

#include "mc-error.h"
#include "mc-loopback-listener-private.h"
#include "mc-test-env.h"

#define STATE "kq3cz9pWQeR1vT_xY-2nL8sH0aJ4bD6fG7mU5oI3eEw"
#define CODE "SplxlOBeZQQYbYS6WxSbIA"
#define ISSUER "https://auth.example.com"
#define ISSUER_ESCAPED "https%3A%2F%2Fauth.example.com"
#define GOOD_QUERY "code=" CODE "&state=" STATE "&iss=" ISSUER_ESCAPED

#define CSP "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

typedef struct
{
  McLoopbackListener *listener;
  SoupSession        *session;
  guint               n_waited;
  McCallbackResult   *result;
  GError             *error;
} Fixture;

/* A response, however it was received. */
typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;
  char               *body;
  gsize               body_length;
} Response;

static void
response_free (Response *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response->body);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
new_listener (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  if (f->listener != NULL)
    {
      mc_loopback_listener_close (f->listener);
      drain_main_context ();
      g_clear_object (&f->listener);
    }
  g_clear_pointer (&f->result, mc_callback_result_free);
  g_clear_error (&f->error);
  f->n_waited = 0;

  f->listener = mc_loopback_listener_new (0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->listener);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GProxyResolver) no_proxy = g_simple_proxy_resolver_new (NULL, NULL);

  new_listener (f);
  /* No proxy from the environment may stand between us and loopback. */
  f->session = soup_session_new_with_options ("proxy-resolver", no_proxy, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  mc_loopback_listener_close (f->listener);
  soup_session_abort (f->session);
  drain_main_context ();
  g_clear_object (&f->listener);
  g_clear_object (&f->session);
  g_clear_pointer (&f->result, mc_callback_result_free);
  g_clear_error (&f->error);
}

static void
on_waited (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fixture *f = user_data;

  f->n_waited++;
  g_clear_pointer (&f->result, mc_callback_result_free);
  g_clear_error (&f->error);
  f->result = mc_loopback_listener_wait_finish (MC_LOOPBACK_LISTENER (source_object), result, &f->error);
}

static void
start_waiting (Fixture      *f,
               GCancellable *cancellable)
{
  mc_loopback_listener_wait_async (f->listener, cancellable, on_waited, f);
}

static gboolean
waited (gpointer user_data)
{
  Fixture *f = user_data;

  return f->n_waited > 0;
}

static void
wait_for_result (Fixture *f)
{
  mc_test_wait_until (waited, f, "the end of the wait");
  g_assert_cmpuint (f->n_waited, ==, 1);
}

/* Nothing completed the wait: every event already due has been handled. */
static void
assert_still_waiting (Fixture *f)
{
  drain_main_context ();
  g_assert_cmpuint (f->n_waited, ==, 0);
}

static void
expect_flow (Fixture *f)
{
  mc_loopback_listener_expect (f->listener, STATE, ISSUER, FALSE);
  start_waiting (f, NULL);
}

/* HTTP through libsoup, as a browser would send it */

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} SoupPending;

static void
on_soup_read (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  SoupPending *pending = user_data;

  pending->body = soup_session_send_and_read_finish (SOUP_SESSION (source_object), result, &pending->error);
  pending->done = TRUE;
}

static gboolean
soup_pending_done (gpointer user_data)
{
  return ((SoupPending *) user_data)->done;
}

static Response *
http_request (Fixture    *f,
              const char *method,
              const char *path_and_query)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s",
                                          mc_loopback_listener_get_port (f->listener),
                                          path_and_query);
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);
  SoupPending pending = { 0 };
  Response *response = g_new0 (Response, 1);
  gsize length = 0;
  const char *data = NULL;

  g_assert_nonnull (message);
  soup_session_send_and_read_async (f->session, message, G_PRIORITY_DEFAULT, NULL, on_soup_read, &pending);
  mc_test_wait_until (soup_pending_done, &pending, "an HTTP response");
  g_assert_no_error (pending.error);

  data = g_bytes_get_data (pending.body, &length);
  response->status = soup_message_get_status (message);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  response->body = g_strndup (data, length);
  response->body_length = length;
  g_bytes_unref (pending.body);
  return response;
}

static Response *
http_get (Fixture    *f,
          const char *path_and_query)
{
  return http_request (f, "GET", path_and_query);
}

/* Raw connections, for what no browser sends */

typedef struct
{
  GSocketConnection *connection;
  GCancellable      *cancellable;
  GByteArray        *received;
  gboolean           closed;
  /* Closed with an error (a reset) rather than the end of the stream. */
  gboolean           reset;
  gboolean           written;
  gint64             connected_at;
  gint64             closed_at;
  GError            *write_error;
  guint8             buffer[4096];
} RawClient;

static gboolean
raw_closed (gpointer user_data)
{
  return ((RawClient *) user_data)->closed;
}

static void
raw_client_free (RawClient *client)
{
  /* The read in progress must end before the client goes. */
  g_cancellable_cancel (client->cancellable);
  mc_test_wait_until (raw_closed, client, "a raw client's read to end");
  g_io_stream_close (G_IO_STREAM (client->connection), NULL, NULL);
  g_clear_object (&client->connection);
  g_clear_object (&client->cancellable);
  g_byte_array_unref (client->received);
  g_clear_error (&client->write_error);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawClient, raw_client_free)

static void raw_read_more (RawClient *client);

static void
on_raw_read (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  RawClient *client = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source_object), result, &error);

  if (n <= 0)
    {
      client->closed = TRUE;
      client->reset = n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      client->closed_at = g_get_monotonic_time ();
      return;
    }

  g_byte_array_append (client->received, client->buffer, n);
  raw_read_more (client);
}

static void
raw_read_more (RawClient *client)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (client->connection));

  g_input_stream_read_async (input, client->buffer, sizeof client->buffer, G_PRIORITY_DEFAULT,
                             client->cancellable, on_raw_read, client);
}

static GSocketConnection *
connect_to (GInetAddress *address,
            guint16       port,
            GError      **error)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (address, port);

  g_socket_client_set_timeout (socket_client, MC_TEST_TIMEOUT_SECONDS);
  g_socket_client_set_enable_proxy (socket_client, FALSE);
  /* Connecting completes in the kernel, from the backlog: the listener
   * needs no turn of the main loop for it. */
  return g_socket_client_connect (socket_client, G_SOCKET_CONNECTABLE (socket_address), NULL, error);
}

/* Connects, and reads whatever comes until the connection closes. */
static RawClient *
raw_connect (Fixture *f)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;
  RawClient *client = g_new0 (RawClient, 1);

  client->received = g_byte_array_new ();
  client->cancellable = g_cancellable_new ();
  client->connection = connect_to (loopback, mc_loopback_listener_get_port (f->listener), &error);
  g_assert_no_error (error);
  client->connected_at = g_get_monotonic_time ();
  raw_read_more (client);
  return client;
}

static void
on_raw_written (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  RawClient *client = user_data;

  /* The listener may close before taking everything; that is not an error
   * of the test. */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, &client->write_error);
  client->written = TRUE;
}

static gboolean
raw_written (gpointer user_data)
{
  return ((RawClient *) user_data)->written;
}

static void
raw_send (RawClient  *client,
          const char *data,
          gsize       length)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));

  client->written = FALSE;
  g_output_stream_write_all_async (output, data, length, G_PRIORITY_DEFAULT, NULL, on_raw_written, client);
  mc_test_wait_until (raw_written, client, "a raw request to be sent");
}

static void
raw_wait_closed (RawClient *client)
{
  mc_test_wait_until (raw_closed, client, "the listener to close a connection");
}

static Response *
parse_raw_response (GByteArray *received)
{
  const char *data = (const char *) received->data;
  const char *end = g_strstr_len (data, received->len, "\r\n\r\n");
  Response *response = g_new0 (Response, 1);
  SoupHTTPVersion version;

  g_assert_nonnull (end);
  response->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_assert_true (soup_headers_parse_response (data, end + 2 - data, response->headers,
                                              &version, &response->status, NULL));
  response->body_length = received->len - (end + 4 - data);
  response->body = g_strndup (end + 4, response->body_length);
  return response;
}

/* One request on a new connection; the response once the listener closed
 * the connection. */
static Response *
raw_exchange (Fixture    *f,
              const char *request,
              gsize       length)
{
  g_autoptr(RawClient) client = raw_connect (f);

  raw_send (client, request, length);
  raw_wait_closed (client);
  /* The listener finishes with the end of the stream, not a reset, even
   * when it did not read all of a request it refused: else a browser may
   * throw the answer away. */
  g_assert_false (client->reset);
  return parse_raw_response (client->received);
}

static Response *
raw_get (Fixture    *f,
         const char *target,
         const char *extra_headers)
{
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                                              "Host: 127.0.0.1:%u\r\n"
                                              "%s"
                                              "\r\n",
                                              target,
                                              mc_loopback_listener_get_port (f->listener),
                                              extra_headers);

  return raw_exchange (f, request, strlen (request));
}

/* @text with each @PORT@ replaced by the listener's port */
static char *
with_port (Fixture    *f,
           const char *text)
{
  g_autoptr(GString) result = g_string_new (text);
  g_autofree char *port = g_strdup_printf ("%u", mc_loopback_listener_get_port (f->listener));

  g_string_replace (result, "@PORT@", port, 0);
  return g_string_free (g_steal_pointer (&result), FALSE);
}

static Response *
raw_exchange_with_port (Fixture    *f,
                        const char *request)
{
  g_autofree char *text = with_port (f, request);

  return raw_exchange (f, text, strlen (text));
}

static gboolean
has_connections (gpointer user_data)
{
  Fixture *f = user_data;

  return _mc_loopback_listener_get_n_connections (f->listener) > 0;
}

/* Checks of every page */

static void
assert_page (Response   *response,
             guint       status,
             const char *text)
{
  SoupMessageHeaders *headers = response->headers;

  g_assert_cmpuint (response->status, ==, status);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==, "text/html; charset=utf-8");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Cache-Control"), ==, "no-store");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Security-Policy"), ==, CSP);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Frame-Options"), ==, "DENY");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Referrer-Policy"), ==, "no-referrer");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-Content-Type-Options"), ==, "nosniff");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Connection"), ==, "close");
  g_assert_cmpint (soup_message_headers_get_content_length (headers), ==, response->body_length);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Date"));
  if (status == 405)
    g_assert_cmpstr (soup_message_headers_get_one (headers, "Allow"), ==, "GET");
  else
    g_assert_null (soup_message_headers_get_one (headers, "Allow"));

  g_assert_true (g_utf8_validate (response->body, response->body_length, NULL));
  g_assert_true (g_str_has_prefix (response->body, "<!DOCTYPE html>"));
  if (strstr (response->body, text) == NULL)
    g_error ("Page without “%s”:\n%s", text, response->body);
  /* No secret, and nothing fetched from anywhere. */
  g_assert_null (strstr (response->body, STATE));
  g_assert_null (strstr (response->body, CODE));
  g_assert_null (strstr (response->body, "<script"));
  g_assert_null (strstr (response->body, "src="));
  g_assert_null (strstr (response->body, "href="));
}

#define NOT_OURS "This link does not belong to a sign-in in progress"
#define BAD_REQUEST "Bad request"
#define UNUSABLE "answer could not be used"

/* Tests */

static gboolean
proc_net_listens (const char *path,
                  guint16     port,
                  char      **out_address)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &error))
    {
      g_assert_true (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT));
      return FALSE;
    }

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autofree char *wanted = g_strdup_printf (":%04X", port);
      const char *local = NULL;
      const char *state = NULL;
      guint n = 0;

      /* sl local_address rem_address st …, with runs of spaces */
      for (guint j = 0; fields[j] != NULL; j++)
        {
          if (fields[j][0] == '\0')
            continue;
          if (n == 1)
            local = fields[j];
          else if (n == 3)
            state = fields[j];
          n++;
        }
      if (local != NULL && state != NULL && g_str_has_suffix (local, wanted) && g_str_equal (state, "0A"))
        {
          *out_address = g_strndup (local, strlen (local) - strlen (wanted));
          return TRUE;
        }
    }

  return FALSE;
}

static void
assert_cannot_connect (GInetAddress *address,
                       guint16       port)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_inet_address_to_string (address);

  connection = connect_to (address, port, &error);
  if (connection != NULL)
    g_error ("The listener answered on %s", text);
  g_test_message ("%s:%u: %s", text, port, error->message);
}

static void
test_address (Fixture       *f,
              gconstpointer  data)
{
  guint16 port = mc_loopback_listener_get_port (f->listener);
  g_autofree char *redirect_uri = g_strdup_printf ("http://127.0.0.1:%u/callback", port);
  g_autofree char *listening_address = NULL;
  g_autofree char *listening_address6 = NULL;
  g_autoptr(McLoopbackListener) second = NULL;
  g_autoptr(GInetAddress) other_loopback = g_inet_address_new_from_string ("127.0.0.2");
  g_autoptr(GInetAddress) loopback6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GError) error = NULL;
  struct ifaddrs *addresses = NULL;
  guint n_other = 0;

  g_assert_cmpuint (port, >, 0);
  g_assert_cmpstr (mc_loopback_listener_get_redirect_uri (f->listener), ==, redirect_uri);

  second = mc_loopback_listener_new (0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_loopback_listener_get_port (second), !=, port);

  /* What the kernel says: a listening socket on 127.0.0.1 (0100007F in
   * /proc/net/tcp) and none on IPv6. */
  g_assert_true (proc_net_listens ("/proc/net/tcp", port, &listening_address));
  g_assert_cmpstr (listening_address, ==, "0100007F");
  g_assert_false (proc_net_listens ("/proc/net/tcp6", port, &listening_address6));

  /* And what a client finds. */
  assert_cannot_connect (other_loopback, port);
  assert_cannot_connect (loopback6, port);

  g_assert_cmpint (getifaddrs (&addresses), ==, 0);
  for (struct ifaddrs *ifa = addresses; ifa != NULL; ifa = ifa->ifa_next)
    {
      g_autoptr(GSocketAddress) socket_address = NULL;
      GInetAddress *address = NULL;

      if (ifa->ifa_addr == NULL || (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
        continue;
      socket_address = g_socket_address_new_from_native (ifa->ifa_addr,
                                                         ifa->ifa_addr->sa_family == AF_INET
                                                         ? sizeof (struct sockaddr_in)
                                                         : sizeof (struct sockaddr_in6));
      address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address));
      if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_link_local (address))
        continue;
      assert_cannot_connect (address, port);
      n_other++;
    }
  freeifaddrs (addresses);
  if (n_other == 0)
    g_test_message ("No non-loopback address to try; /proc/net/tcp was checked");
}

static void
test_port_in_use (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(McLoopbackListener) taken = NULL;
  g_autoptr(GSocket) wildcard = NULL;
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_address = g_inet_socket_address_new (any, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  taken = mc_loopback_listener_new (mc_loopback_listener_get_port (f->listener), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_null (taken);
  g_clear_error (&error);

  /* A socket on all addresses holds 127.0.0.1's port as well. */
  wildcard = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (wildcard, any_address, TRUE, &error));
  g_assert_true (g_socket_listen (wildcard, &error));
  bound = g_socket_get_local_address (wildcard, &error);
  g_assert_no_error (error);

  taken = mc_loopback_listener_new (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_null (taken);
}

static void
test_fixed_port (Fixture       *f,
                 gconstpointer  data)
{
  guint16 port = mc_loopback_listener_get_port (f->listener);
  g_autoptr(McLoopbackListener) again = NULL;
  g_autoptr(Response) response = NULL;
  g_autofree char *redirect_uri = g_strdup_printf ("http://127.0.0.1:%u/callback", port);
  g_autoptr(GError) error = NULL;

  /* Serve a request, so that the port has a connection in TIME_WAIT, and
   * take the same port for the next flow. */
  response = http_get (f, "/");
  assert_page (response, 404, "Not found");
  mc_loopback_listener_close (f->listener);
  drain_main_context ();

  again = mc_loopback_listener_new (port, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mc_loopback_listener_get_port (again), ==, port);
  g_assert_cmpstr (mc_loopback_listener_get_redirect_uri (again), ==, redirect_uri);
  mc_loopback_listener_close (again);
}

static void
test_success (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  g_assert_nonnull (strstr (response->body, "your application continues on its own"));

  wait_for_result (f);
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->result->code, ==, CODE);
  g_assert_null (f->result->error);
  g_assert_null (f->result->error_description);
  g_assert_cmpstr (f->result->iss, ==, ISSUER);
}

static void
test_access_denied (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  response = http_get (f, "/callback?error=access_denied&error_description=The+user+said+no%21"
                       "&state=" STATE);
  assert_page (response, 200, "You declined");
  g_assert_null (strstr (response->body, "The user said no"));

  wait_for_result (f);
  g_assert_no_error (f->error);
  g_assert_null (f->result->code);
  g_assert_cmpstr (f->result->error, ==, "access_denied");
  g_assert_cmpstr (f->result->error_description, ==, "The user said no!");
  g_assert_null (f->result->iss);
}

static void
test_oauth_error (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Response) response = NULL;
  g_autoptr(Response) long_response = NULL;
  g_autoptr(Response) state_response = NULL;
  g_autoptr(Response) code_response = NULL;
  g_autoptr(Response) split_response = NULL;
  g_autoptr(GString) long_query = g_string_new ("/callback?error=server_error&state=" STATE
                                                "&error_description=");
  g_autofree char *shown = NULL;
  g_autofree char *too_many = NULL;

  expect_flow (f);
  response = http_get (f, "/callback?error=invalid_scope&state=" STATE
                       "&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E+%26+more");
  assert_page (response, 200, "The sign-in did not succeed");
  g_assert_nonnull (strstr (response->body, "the error “invalid_scope”"));
  g_assert_nonnull (strstr (response->body, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
  wait_for_result (f);
  g_assert_cmpstr (f->result->error, ==, "invalid_scope");
  g_assert_cmpstr (f->result->error_description, ==, "<script>alert(1)</script> & more");

  /* The page shows a capped message, the flow gets it whole. */
  new_listener (f);
  expect_flow (f);
  for (guint i = 0; i < 2000; i++)
    g_string_append_c (long_query, 'x');
  long_response = http_get (f, long_query->str);
  shown = g_strnfill (MC_LOOPBACK_MAX_DESCRIPTION_CHARS, 'x');
  too_many = g_strnfill (MC_LOOPBACK_MAX_DESCRIPTION_CHARS + 1, 'x');
  assert_page (long_response, 200, "the error “server_error”");
  g_assert_nonnull (strstr (long_response->body, shown));
  g_assert_null (strstr (long_response->body, too_many));
  wait_for_result (f);
  g_assert_cmpuint (strlen (f->result->error_description), ==, 2000);

  /* A message that quotes the state is not shown. */
  new_listener (f);
  expect_flow (f);
  state_response = http_get (f, "/callback?error=invalid_request&state=" STATE
                             "&error_description=bad+request+state%3D" STATE);
  assert_page (state_response, 200, "the error “invalid_request”");
  g_assert_null (strstr (state_response->body, "bad request"));
  wait_for_result (f);
  g_assert_cmpstr (f->result->error, ==, "invalid_request");

  /* Found by fuzz-callback: the error code may quote it too. */
  new_listener (f);
  expect_flow (f);
  code_response = http_get (f, "/callback?error=x" STATE "&state=" STATE);
  assert_page (code_response, 200, "The sign-in server answered with an error.");
  wait_for_result (f);
  g_assert_cmpstr (f->result->error, ==, "x" STATE);

  /* And what is shown is checked as shown: cleaning drops the invisible
   * character (U+200B) that split the state in what the server sent. */
  new_listener (f);
  expect_flow (f);
  split_response = http_get (f, "/callback?error=invalid_request&state=" STATE
                             "&error_description=kq3cz9pWQeR1vT_xY-2nL8sH0aJ4%E2%80%8BbD6fG7mU5oI3eEw+said");
  assert_page (split_response, 200, "the error “invalid_request”");
  g_assert_null (strstr (split_response->body, "said"));
  wait_for_result (f);
}

static void
test_state (Fixture       *f,
            gconstpointer  data)
{
  const char *wrong[] = {
    "/callback?code=" CODE,
    "/callback?code=" CODE "&state=",
    "/callback?code=" CODE "&state=other",
    "/callback?code=" CODE "&state=" STATE "x",
    "/callback?code=" CODE "&state=x" STATE,
    "/callback?code=" CODE "&STATE=" STATE,
    "/callback?code=" CODE "&state=kq3cz9pWQeR1vT_xY-2nL8sH0aJ4bD6fG7mU5oI3eE",
  };
  g_autoptr(Response) early = NULL;
  g_autoptr(Response) response = NULL;

  /* Before the flow says what to expect, nothing is accepted. */
  start_waiting (f, NULL);
  early = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (early, 400, NOT_OURS);
  assert_still_waiting (f);

  mc_loopback_listener_expect (f->listener, STATE, ISSUER, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(Response) refused = http_get (f, wrong[i]);

      assert_page (refused, 400, NOT_OURS);
      g_assert_nonnull (strstr (refused->body, "Nothing was done with it."));
      assert_still_waiting (f);
    }

  /* The flow goes on. */
  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
  g_assert_cmpstr (f->result->code, ==, CODE);
}

static void
test_replay (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(Response) first = NULL;
  g_autoptr(Response) again = NULL;
  g_autoptr(Response) other = NULL;

  expect_flow (f);
  first = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (first, 200, "You can close this tab.");
  wait_for_result (f);

  again = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (again, 400, "This sign-in is already finished");
  other = http_get (f, "/callback?error=access_denied&state=" STATE);
  assert_page (other, 400, "This sign-in is already finished");
  drain_main_context ();
  g_assert_cmpuint (f->n_waited, ==, 1);

  /* The response is handed over once. */
  f->n_waited = 0;
  start_waiting (f, NULL);
  wait_for_result (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_null (f->result);
}

static void
test_host (Fixture       *f,
           gconstpointer  data)
{
  const char *hosts[] = {
    "Host: localhost:@PORT@\r\n",
    "Host: rebound.example:@PORT@\r\n",
    "Host: 127.0.0.1\r\n",
    "Host: 127.0.0.1:@PORT@\r\nHost: 127.0.0.1:@PORT@\r\n",
    "Host: 127.0.0.1:0@PORT@\r\n",
    "Host: 127.0.0.1.:@PORT@\r\n",
    "Host: [::1]:@PORT@\r\n",
    "Host: 127.0.0.1:@PORT@0\r\n",
    "Host: 2130706433:@PORT@\r\n",
    "Host: 127.0.0.1:@PORT@, evil.example\r\n",
    "Host: 127.0.0.1:@PORT@/x\r\n",
    "Host:\r\n",
    "X-No-Host: yes\r\n",
  };
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  for (gsize i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autofree char *request = g_strconcat ("GET /callback?" GOOD_QUERY " HTTP/1.1\r\n", hosts[i], "\r\n", NULL);
      g_autoptr(Response) refused = raw_exchange_with_port (f, request);

      g_test_message ("%s", hosts[i]);
      assert_page (refused, 400, BAD_REQUEST);
      assert_still_waiting (f);
    }

  /* Spaces around the value are not part of it (RFC 9110 §5.5), and the
   * name is case-insensitive. */
  response = raw_exchange_with_port (f, "GET /callback?" GOOD_QUERY " HTTP/1.1\r\n"
                                     "hOST:   127.0.0.1:@PORT@  \r\n"
                                     "\r\n");
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
}

static void
test_path (Fixture       *f,
           gconstpointer  data)
{
  const char *paths[] = {
    "/",
    "/callback/?" GOOD_QUERY,
    "/Callback?" GOOD_QUERY,
    "/favicon.ico",
    "/oauth/callback?" GOOD_QUERY,
    "/callback;x?" GOOD_QUERY,
    "/callback%3F" GOOD_QUERY,
  };
  const char *raw_paths[] = {
    "//callback?" GOOD_QUERY,
    "/x/../callback?" GOOD_QUERY,
    "/./callback?" GOOD_QUERY,
    "/%63allback?" GOOD_QUERY,
  };
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(Response) refused = http_get (f, paths[i]);

      assert_page (refused, 404, "Not found");
      assert_still_waiting (f);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (raw_paths); i++)
    {
      g_autoptr(Response) refused = raw_get (f, raw_paths[i], "");

      assert_page (refused, 404, "Not found");
      assert_still_waiting (f);
    }

  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
}

static void
test_method (Fixture       *f,
             gconstpointer  data)
{
  const char *methods[] = { "HEAD", "OPTIONS", "PUT", "DELETE", "get", "CONNECT", "TRACE" };
  g_autoptr(Response) post = NULL;
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  post = http_request (f, "POST", "/callback?" GOOD_QUERY);
  assert_page (post, 405, "Method not allowed");
  assert_still_waiting (f);

  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *request = g_strconcat (methods[i], " /callback?" GOOD_QUERY " HTTP/1.1\r\n"
                                              "Host: 127.0.0.1:@PORT@\r\n"
                                              "\r\n", NULL);
      g_autoptr(Response) refused = raw_exchange_with_port (f, request);

      assert_page (refused, 405, "Method not allowed");
      assert_still_waiting (f);
    }

  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
}

/* A target of exactly @length bytes, a valid callback. */
static char *
target_of_length (gsize length)
{
  g_autoptr(GString) target = g_string_new ("/callback?" GOOD_QUERY "&pad=");

  g_assert_cmpuint (target->len, <, length);
  while (target->len < length)
    g_string_append_c (target, 'p');
  return g_string_free (g_steal_pointer (&target), FALSE);
}

/* Headers that, with Host, make a header section (lines, their line
 * ends and the empty line) of exactly @length bytes. */
static char *
headers_of_length (Fixture *f,
                   gsize    length)
{
  g_autofree char *host = g_strdup_printf ("Host: 127.0.0.1:%u\r\n", mc_loopback_listener_get_port (f->listener));
  g_autoptr(GString) headers = g_string_new (NULL);
  gsize used = strlen (host) + 2;

  /* Lines of up to 1000 bytes, as browsers send cookies. */
  while (used < length)
    {
      gsize line = MIN (1000, length - used);

      g_assert_cmpuint (line, >=, strlen ("X-Pad: \r\n"));
      g_string_append (headers, "X-Pad: ");
      for (gsize i = strlen ("X-Pad: \r\n"); i < line; i++)
        g_string_append_c (headers, 'h');
      g_string_append (headers, "\r\n");
      used += line;
      if (length - used > 0 && length - used < strlen ("X-Pad: \r\n"))
        {
          /* Leave room for a last line. */
          g_string_truncate (headers, headers->len - 2 - strlen ("X-Pad: \r\n"));
          g_string_append (headers, "\r\n");
          used -= strlen ("X-Pad: \r\n");
        }
    }
  g_assert_cmpuint (used, ==, length);
  return g_string_free (g_steal_pointer (&headers), FALSE);
}

static void
test_oversized (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *long_target = target_of_length (MC_LOOPBACK_MAX_REQUEST_TARGET + 1);
  g_autofree char *target = target_of_length (MC_LOOPBACK_MAX_REQUEST_TARGET);
  g_autofree char *many_headers = headers_of_length (f, MC_LOOPBACK_MAX_HEADER_BYTES + 1);
  g_autofree char *headers = headers_of_length (f, MC_LOOPBACK_MAX_HEADER_BYTES);
  g_autofree char *endless_line = g_strnfill (64 * 1024, 'a');
  g_autoptr(Response) uri_response = NULL;
  g_autoptr(Response) line_response = NULL;
  g_autoptr(Response) headers_response = NULL;
  g_autoptr(Response) response = NULL;
  g_autoptr(Response) target_response = NULL;

  expect_flow (f);

  uri_response = raw_get (f, long_target, "");
  assert_page (uri_response, 414, "Address too long");
  assert_still_waiting (f);

  /* A line that never ends is refused once it is too long. */
  line_response = raw_exchange (f, endless_line, strlen (endless_line));
  assert_page (line_response, 414, "Address too long");
  assert_still_waiting (f);

  headers_response = raw_get (f, "/callback?" GOOD_QUERY, many_headers);
  assert_page (headers_response, 431, "Request too large");
  assert_still_waiting (f);

  /* At the limits, it is accepted. */
  response = raw_get (f, "/callback?" GOOD_QUERY, headers);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);

  new_listener (f);
  expect_flow (f);
  target_response = raw_get (f, target, "");
  assert_page (target_response, 200, "You can close this tab.");
  wait_for_result (f);
}

typedef struct
{
  RawClient *client;
  guint      n_sent;
} Drip;

static gboolean
on_drip (gpointer user_data)
{
  Drip *drip = user_data;
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (drip->client->connection));

  if (drip->client->closed)
    return G_SOURCE_REMOVE;
  /* One byte of a request line, each time; never a whole request. */
  if (g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (output), "a", 1, NULL, NULL) != 1)
    return G_SOURCE_CONTINUE;
  drip->n_sent++;
  return G_SOURCE_CONTINUE;
}

static void
test_slow_client (Fixture       *f,
                  gconstpointer  data)
{
  const guint timeout_ms = 1000;
  g_autoptr(RawClient) slow = NULL;
  g_autoptr(RawClient) idle = NULL;
  g_autoptr(RawClient) dripping = NULL;
  g_autoptr(Response) response = NULL;
  const char *half = "GET /callback?state=" STATE "&code=" CODE " HTTP/1.1\r\nHost: 127.0.0";
  Drip drip = { 0 };
  RawClient *clients[3] = { NULL };
  guint drip_id;

  _mc_loopback_listener_set_request_timeout (f->listener, timeout_ms);
  expect_flow (f);

  slow = raw_connect (f);
  raw_send (slow, half, strlen (half));
  idle = raw_connect (f);
  dripping = raw_connect (f);
  raw_send (dripping, "GET /callback?", strlen ("GET /callback?"));
  drip.client = dripping;
  drip_id = g_timeout_add (50, on_drip, &drip);

  /* Meanwhile, the browser's request is answered. */
  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
  g_assert_cmpstr (f->result->code, ==, CODE);

  raw_wait_closed (slow);
  raw_wait_closed (idle);
  /* The deadline is for the whole request, not for each byte. */
  raw_wait_closed (dripping);
  g_source_remove (drip_id);

  clients[0] = slow;
  clients[1] = idle;
  clients[2] = dripping;
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      RawClient *client = clients[i];

      g_assert_cmpuint (client->received->len, ==, 0);
      g_assert_cmpint (client->closed_at - client->connected_at, >=, (timeout_ms - 50) * 1000);
    }
  g_test_message ("Dripped %u bytes before the listener closed", drip.n_sent);
  g_assert_cmpuint (_mc_loopback_listener_get_n_connections (f->listener), ==, 0);
}

static gboolean
all_accepted (gpointer user_data)
{
  Fixture *f = user_data;

  return _mc_loopback_listener_get_n_connections (f->listener) == MC_LOOPBACK_MAX_CONNECTIONS;
}

static void
test_connection_cap (Fixture       *f,
                     gconstpointer  data)
{
  RawClient *idle[MC_LOOPBACK_MAX_CONNECTIONS] = { NULL };
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  for (guint i = 0; i < MC_LOOPBACK_MAX_CONNECTIONS; i++)
    idle[i] = raw_connect (f);
  mc_test_wait_until (all_accepted, f, "the idle connections to be accepted");

  /* The oldest idle connection makes room. */
  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
  raw_wait_closed (idle[0]);
  g_assert_cmpuint (idle[0]->received->len, ==, 0);
  g_assert_cmpuint (_mc_loopback_listener_get_n_connections (f->listener), <=, MC_LOOPBACK_MAX_CONNECTIONS);

  for (guint i = 0; i < MC_LOOPBACK_MAX_CONNECTIONS; i++)
    raw_client_free (idle[i]);
}

typedef struct
{
  const char *issuer;
  gboolean    iss_required;
  const char *iss;       /* already escaped, or NULL for none */
  gboolean    accepted;
} IssCase;

static void
test_iss (Fixture       *f,
          gconstpointer  data)
{
  const IssCase cases[] = {
    { ISSUER, FALSE, ISSUER_ESCAPED, TRUE },
    { ISSUER, TRUE, ISSUER_ESCAPED, TRUE },
    { ISSUER, TRUE, ISSUER, TRUE },
    { ISSUER, FALSE, NULL, TRUE },
    { NULL, FALSE, NULL, TRUE },
    { ISSUER, TRUE, NULL, FALSE },
    { ISSUER, FALSE, "https%3A%2F%2Fevil.example", FALSE },
    /* No normalisation of any kind. */
    { ISSUER, FALSE, ISSUER_ESCAPED "%2F", FALSE },
    { ISSUER, FALSE, "HTTPS%3A%2F%2Fauth.example.com", FALSE },
    { ISSUER, FALSE, "https%3A%2F%2FAUTH.example.com", FALSE },
    { ISSUER, FALSE, ISSUER_ESCAPED "%3A443", FALSE },
    { ISSUER, FALSE, "", FALSE },
    { ISSUER "/", FALSE, ISSUER_ESCAPED, FALSE },
    { NULL, FALSE, ISSUER_ESCAPED, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const IssCase *c = &cases[i];
      g_autofree char *iss_param = c->iss != NULL ? g_strconcat ("&iss=", c->iss, NULL) : g_strdup ("");
      g_autofree char *code_query = g_strconcat ("/callback?code=" CODE "&state=" STATE, iss_param, NULL);
      g_autofree char *error_query = g_strconcat ("/callback?error=access_denied&state=" STATE
                                                  "&error_description=Trust+me", iss_param, NULL);
      g_autoptr(Response) response = NULL;
      g_autoptr(Response) error_response = NULL;
      g_autoptr(Response) again = NULL;

      g_test_message ("issuer %s, required %d, iss %s", c->issuer, c->iss_required, c->iss);

      new_listener (f);
      mc_loopback_listener_expect (f->listener, STATE, c->issuer, c->iss_required);
      start_waiting (f, NULL);
      response = http_get (f, code_query);
      wait_for_result (f);
      if (c->accepted)
        {
          g_autofree char *iss = c->iss != NULL ? g_uri_unescape_string (c->iss, NULL) : NULL;

          assert_page (response, 200, "You can close this tab.");
          g_assert_no_error (f->error);
          g_assert_cmpstr (f->result->code, ==, CODE);
          g_assert_cmpstr (f->result->iss, ==, iss);
        }
      else
        {
          assert_page (response, 400, "The sign-in was stopped");
          g_assert_error (f->error, MC_ERROR, MC_ERROR_REMOTE);
          g_assert_null (f->result);
          g_assert_true (g_utf8_validate (f->error->message, -1, NULL));
          /* Spent: the state does not work twice. */
          again = http_get (f, code_query);
          assert_page (again, 400, "This sign-in is already finished");

          /* An error from the wrong issuer is neither used nor shown. */
          new_listener (f);
          mc_loopback_listener_expect (f->listener, STATE, c->issuer, c->iss_required);
          start_waiting (f, NULL);
          error_response = http_get (f, error_query);
          wait_for_result (f);
          assert_page (error_response, 400, "The sign-in was stopped");
          g_assert_null (strstr (error_response->body, "declined"));
          g_assert_null (strstr (error_response->body, "access_denied"));
          g_assert_null (strstr (error_response->body, "Trust me"));
          g_assert_error (f->error, MC_ERROR, MC_ERROR_REMOTE);
          g_assert_null (strstr (f->error->message, "access_denied"));
        }
    }
}

static void
test_code_and_error (Fixture       *f,
                     gconstpointer  data)
{
  const char *queries[] = {
    "/callback?code=" CODE "&error=access_denied&state=" STATE,
    "/callback?state=" STATE,
    "/callback?state=" STATE "&code=",
    "/callback?state=" STATE "&error=",
    "/callback?state=" STATE "&code=caf%C3%A9",
    "/callback?state=" STATE "&code=a%0Ab",
    "/callback?state=" STATE "&error=bad%22quote",
    "/callback?state=" STATE "&error=back%5Cslash",
  };
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  for (gsize i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(Response) refused = http_get (f, queries[i]);

      assert_page (refused, 400, UNUSABLE);
      g_assert_null (strstr (refused->body, "access_denied"));
      assert_still_waiting (f);
    }

  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
}

static void
test_duplicates (Fixture       *f,
                 gconstpointer  data)
{
  const char *queries[] = {
    "/callback?" GOOD_QUERY "&state=" STATE,
    "/callback?" GOOD_QUERY "&state=other",
    "/callback?state=other&" GOOD_QUERY,
    "/callback?" GOOD_QUERY "&code=" CODE,
    "/callback?" GOOD_QUERY "&code=other",
    "/callback?" GOOD_QUERY "&iss=" ISSUER_ESCAPED,
    "/callback?" GOOD_QUERY "&foo=1&foo=1",
    "/callback?" GOOD_QUERY "&%73tate=" STATE,
    "/callback?" GOOD_QUERY "&code",
    "/callback?error=access_denied&state=" STATE "&error_description=a&error_description=b",
  };
  g_autoptr(Response) response = NULL;

  expect_flow (f);
  for (gsize i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(Response) refused = http_get (f, queries[i]);

      g_test_message ("%s", queries[i]);
      assert_page (refused, 400, BAD_REQUEST);
      assert_still_waiting (f);
    }

  /* Empty pieces are no parameters. */
  response = http_get (f, "/callback?&" GOOD_QUERY "&&");
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
}

typedef struct
{
  const char *request;   /* @PORT@ is the port */
  guint       status;
} RawCase;

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
#define GOOD_LINE "GET /callback?" GOOD_QUERY " HTTP/1.1"
#define HOST "Host: 127.0.0.1:@PORT@"
  const RawCase cases[] = {
    { GOOD_LINE "\n" HOST "\n\n", 400 },
    { GOOD_LINE "\r\n" HOST "\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\r\n\r\n", 400 },
    { GOOD_LINE "\rX" HOST "\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nX-Cr: a\rb\r\n\r\n", 400 },
    { "\r\n" GOOD_LINE "\r\n" HOST "\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nX-Folded: a\r\n b\r\n\r\n", 400 },
    { GOOD_LINE "\r\nHost : 127.0.0.1:@PORT@\r\n\r\n", 400 },
    { GOOD_LINE "\r\n " HOST "\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nX-Del: a\x7f" "b\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nX-Ctl: a\x01" "b\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nNo colon\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\n: empty name\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nX-\xc3\xa9: name not a token\r\n\r\n", 400 },
    { "GET  /callback?" GOOD_QUERY " HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "  HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET\t/callback?" GOOD_QUERY " HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY " HTTP/1.1 x\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY " HTTP/2.0\r\n" HOST "\r\n\r\n", 505 },
    { "GET /callback?" GOOD_QUERY " http/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET http://127.0.0.1:@PORT@/callback?" GOOD_QUERY " HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET * HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "#frag HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "&x=\xc3\xa9 HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nContent-Length: 5\r\n\r\nhello", 400 },
    { GOOD_LINE "\r\n" HOST "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "&x=%zz HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "&x=%0 HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "&x=% HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "&x=%00 HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "&x=%FF HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?" GOOD_QUERY "&x=%C3 HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
    { "GET /callback?code=" CODE "&state=%00" STATE " HTTP/1.1\r\n" HOST "\r\n\r\n", 400 },
  };
  g_autofree char *nul_request = NULL;
  gsize nul_length;
  g_autoptr(Response) nul_response = NULL;
  g_autoptr(RawClient) half = NULL;
  g_autoptr(Response) half_response = NULL;
  g_autoptr(Response) response = NULL;
  g_autoptr(GError) error = NULL;

  expect_flow (f);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Response) refused = raw_exchange_with_port (f, cases[i].request);

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      assert_page (refused, cases[i].status, cases[i].status == 505 ? "HTTP version not supported" : "");
      assert_still_waiting (f);
    }

  /* A NUL anywhere in the head */
  nul_request = with_port (f, GOOD_LINE "\r\n" HOST "\r\nX-Nul: a_b\r\n\r\n");
  nul_length = strlen (nul_request);
  *strchr (nul_request, '_') = '\0';
  nul_response = raw_exchange (f, nul_request, nul_length);
  assert_page (nul_response, 400, BAD_REQUEST);
  assert_still_waiting (f);

  /* Half a request, and then the client stops sending. */
  half = raw_connect (f);
  raw_send (half, GOOD_LINE "\r\nHost: 127.0.0.1", strlen (GOOD_LINE "\r\nHost: 127.0.0.1"));
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (half->connection), FALSE, TRUE, &error));
  g_assert_no_error (error);
  raw_wait_closed (half);
  half_response = parse_raw_response (half->received);
  assert_page (half_response, 400, BAD_REQUEST);
  assert_still_waiting (f);

  response = raw_get (f, "/callback?" GOOD_QUERY, "");
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
#undef HOST
#undef GOOD_LINE
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(Response) response = NULL;

  mc_loopback_listener_expect (f->listener, STATE, ISSUER, FALSE);
  start_waiting (f, cancellable);
  g_cancellable_cancel (cancellable);
  wait_for_result (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The listener is still there, for a flow that waits again. */
  f->n_waited = 0;
  g_clear_error (&f->error);
  start_waiting (f, NULL);
  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  wait_for_result (f);
  g_assert_cmpstr (f->result->code, ==, CODE);
}

static void
test_close (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(RawClient) open_connection = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketConnection) refused = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = mc_loopback_listener_get_port (f->listener);

  expect_flow (f);
  open_connection = raw_connect (f);
  mc_test_wait_until (has_connections, f, "the connection to be accepted");

  mc_loopback_listener_close (f->listener);
  wait_for_result (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  raw_wait_closed (open_connection);
  g_assert_cmpuint (open_connection->received->len, ==, 0);

  refused = connect_to (loopback, port, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);

  /* Closed stays closed. */
  mc_loopback_listener_close (f->listener);
  f->n_waited = 0;
  g_clear_error (&f->error);
  start_waiting (f, NULL);
  wait_for_result (f);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

static void
on_waited_store_error (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GError **error = user_data;
  g_autoptr(McCallbackResult) nothing = NULL;

  nothing = mc_loopback_listener_wait_finish (MC_LOOPBACK_LISTENER (source_object), result, error);
  g_assert_null (nothing);
  g_assert_nonnull (*error);
}

static gboolean
is_set (gpointer user_data)
{
  return *(GError **) user_data != NULL;
}

static void
test_early_response (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Response) response = NULL;
  g_autoptr(GError) second_error = NULL;

  /* The browser may be quicker than the flow's call to wait. */
  mc_loopback_listener_expect (f->listener, STATE, ISSUER, TRUE);
  response = http_get (f, "/callback?" GOOD_QUERY);
  assert_page (response, 200, "You can close this tab.");
  assert_still_waiting (f);

  start_waiting (f, NULL);
  /* One wait at a time. */
  mc_loopback_listener_wait_async (f->listener, NULL, on_waited_store_error, &second_error);
  mc_test_wait_until (is_set, &second_error, "the second wait to fail");
  g_assert_error (second_error, G_IO_ERROR, G_IO_ERROR_PENDING);

  wait_for_result (f);
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->result->code, ==, CODE);
}

static void
test_pages (Fixture       *f,
            gconstpointer  data)
{
  const char *pages[] = {
    "You can close this tab.",
    "You declined the sign-in",
    "The sign-in did not succeed",
  };

  /* The three answers a browser shows when the sign-in ends, with their
   * text; assert_page() checks the headers of every other page. */
  for (gsize i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      const char *queries[] = {
        "/callback?" GOOD_QUERY,
        "/callback?error=access_denied&state=" STATE,
        "/callback?error=temporarily_unavailable&state=" STATE,
      };
      g_autoptr(Response) response = NULL;

      new_listener (f);
      expect_flow (f);
      response = http_get (f, queries[i]);
      assert_page (response, 200, pages[i]);
      g_assert_nonnull (strstr (response->body, "This page comes from the MCP Consent Broker"));
      wait_for_result (f);
    }
}

int
main (int   argc,
      char *argv[])
{
  /* A write to a connection the listener closed must fail, not kill us. */
  signal (SIGPIPE, SIG_IGN);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(name, func) g_test_add ("/loopback-listener/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("address", test_address);
  ADD ("port-in-use", test_port_in_use);
  ADD ("fixed-port", test_fixed_port);
  ADD ("success", test_success);
  ADD ("access-denied", test_access_denied);
  ADD ("oauth-error", test_oauth_error);
  ADD ("state", test_state);
  ADD ("replay", test_replay);
  ADD ("host", test_host);
  ADD ("path", test_path);
  ADD ("method", test_method);
  ADD ("oversized", test_oversized);
  ADD ("slow-client", test_slow_client);
  ADD ("connection-cap", test_connection_cap);
  ADD ("iss", test_iss);
  ADD ("code-and-error", test_code_and_error);
  ADD ("duplicates", test_duplicates);
  ADD ("malformed", test_malformed);
  ADD ("cancel", test_cancel);
  ADD ("close", test_close);
  ADD ("early-response", test_early_response);
  ADD ("pages", test_pages);
#undef ADD

  return g_test_run ();
}
