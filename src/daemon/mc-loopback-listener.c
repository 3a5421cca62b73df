/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mc-error.h"
#include "mc-loopback-listener-private.h"
#include "mc-text.h"

/* The redirect listener of one OAuth authorization code flow (RFC 8252
 * §7.3): a TCP socket on 127.0.0.1 that waits for the browser to bring
 * back the authorization response.
 *
 * Every local process, of every user, can connect to a loopback port, and
 * every web page the user visits can make the browser send requests to
 * it. So the requests are untrusted, and we do not use SoupServer for
 * them: upstream documents it as not meant for untrusted clients, its
 * 64 KiB header limit is fixed, it has no request timeout, it reads
 * request bodies, keeps connections alive, and speaks chunked encoding,
 * Expect and WebSocket upgrades that a redirect never needs. A redirect
 * is one GET with no body. We accept the connections ourselves, read one
 * request head with a strict parser under a size limit and a deadline,
 * answer with a fixed page and close. All I/O is non-blocking, driven by
 * sources on the listener's main context, so closing the listener frees
 * every connection at once, with no callback left to come. See
 * docs/loopback-listener.md. */

/* "GET " + target + " HTTP/1.1", with room for a longer method (which is
 * then refused) */
#define REQUEST_LINE_MAX    (MC_LOOPBACK_MAX_REQUEST_TARGET + 32)
/* One byte past both limits, so that reading never stops short of
 * finding out which one was broken. */
#define HEAD_MAX            (REQUEST_LINE_MAX + 2 + MC_LOOPBACK_MAX_HEADER_BYTES + 1)
#define READ_CHUNK          4096
/* After the answer: how long, and how much, we read and discard so that
 * the client sees the answer rather than a reset. */
#define LINGER_MS           2000
#define LINGER_MAX_BYTES    (64 * 1024)
#define MAX_ACCEPTS_PER_WAKEUP 16
#define ACCEPT_PAUSE_MS     100
#define MAX_ERROR_CODE_CHARS 64

typedef enum
{
  PAGE_SUCCESS,
  PAGE_DENIED,
  PAGE_OAUTH_ERROR,
  PAGE_ISSUER,
  PAGE_NOT_OURS,
  PAGE_ALREADY_DONE,
  PAGE_UNUSABLE,
  PAGE_BAD_REQUEST,
  PAGE_NOT_FOUND,
  PAGE_BAD_METHOD,
  PAGE_URI_TOO_LONG,
  PAGE_HEADERS_TOO_LARGE,
  PAGE_BAD_VERSION,
} Page;

/* rejection: what the "rejected" signal says, for the audit log; NULL
 * for the pages of a sign-in's real answer. */
static const struct
{
  guint       status;
  const char *reason;
  const char *rejection;
} page_status[] = {
  [PAGE_SUCCESS] = { 200, "OK", NULL },
  [PAGE_DENIED] = { 200, "OK", NULL },
  [PAGE_OAUTH_ERROR] = { 200, "OK", NULL },
  [PAGE_ISSUER] = { 400, "Bad Request", "wrong issuer" },
  [PAGE_NOT_OURS] = { 400, "Bad Request", "wrong state" },
  [PAGE_ALREADY_DONE] = { 400, "Bad Request", "already answered" },
  [PAGE_UNUSABLE] = { 400, "Bad Request", "unusable response" },
  [PAGE_BAD_REQUEST] = { 400, "Bad Request", "bad request" },
  [PAGE_NOT_FOUND] = { 404, "Not Found", "wrong path" },
  [PAGE_BAD_METHOD] = { 405, "Method Not Allowed", "wrong method" },
  [PAGE_URI_TOO_LONG] = { 414, "URI Too Long", "request line too long" },
  [PAGE_HEADERS_TOO_LARGE] = { 431, "Request Header Fields Too Large", "headers too large" },
  [PAGE_BAD_VERSION] = { 505, "HTTP Version Not Supported", "bad HTTP version" },
};

typedef enum
{
  SCAN_MORE,
  SCAN_DONE,
  SCAN_BAD,
  SCAN_LINE_TOO_LONG,
  SCAN_HEADERS_TOO_LARGE,
} ScanResult;

typedef enum
{
  CONNECTION_READING,
  CONNECTION_WRITING,
  CONNECTION_LINGERING,
} ConnectionState;

typedef struct
{
  /* The listener owns the connection; it is in listener->connections. */
  McLoopbackListener    *listener;
  GList                 *link;
  GIOStream             *stream;
  GPollableInputStream  *input;
  GPollableOutputStream *output;
  /* (nullable): for the half-close before lingering; only real sockets. */
  GSocket               *socket;
  GSource               *io_source;
  GSource               *timeout_source;
  ConnectionState        state;

  /* The request head as read so far, and where the line scanner is. */
  GByteArray            *head;
  gsize                  scanned;
  gsize                  line_start;
  gssize                 request_line_end;
  gboolean               after_cr;

  GBytes                *response;
  gsize                  written;
  gsize                  drained;
} Connection;

struct _McLoopbackListener
{
  GObject           parent_instance;

  GMainContext     *context;
  /* NULL when unbound (the fuzzer) or closed. */
  GSocket          *socket;
  GSource          *accept_source;
  GSource          *accept_pause_source;
  guint16           port;
  char             *redirect_uri;
  char             *expected_host;
  char             *expected_host_without_port;
  guint             request_timeout_ms;
  /* Connection *, oldest first */
  GQueue            connections;
  gboolean          closed;

  /* What mc_loopback_listener_expect() was told; state NULL before. */
  char             *state;
  char             *issuer;
  gboolean          iss_required;
  /* A response with the state arrived and was acted upon. */
  gboolean          completed;

  /* What the flow gets, until wait_finish takes it. */
  McCallbackResult *result;
  GError           *failure;
  gboolean          delivered;
  GTask            *wait_task;
  GSource          *wait_cancel_source;
  GSource          *deliver_source;
};

G_DEFINE_FINAL_TYPE (McLoopbackListener, mc_loopback_listener, G_TYPE_OBJECT)

static void connection_read      (Connection *conn);
static void connection_write     (Connection *conn);
static void connection_linger    (Connection *conn);

/**
 * mc_callback_result_free:
 * @self: (transfer full): a #McCallbackResult
 */
void
mc_callback_result_free (McCallbackResult *self)
{
  if (self == NULL)
    return;

  g_free (self->code);
  g_free (self->error);
  g_free (self->error_description);
  g_free (self->iss);
  g_free (self);
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Connections */

static void
connection_close (Connection *conn)
{
  McLoopbackListener *self = conn->listener;

  g_queue_delete_link (&self->connections, conn->link);
  clear_source (&conn->io_source);
  clear_source (&conn->timeout_source);
  /* Synchronous, but it does not block: closing a socket without
   * SO_LINGER returns at once, and the kernel sends what is queued. Done
   * here rather than asynchronously so that nothing outlives the
   * listener. */
  g_io_stream_close (conn->stream, NULL, NULL);
  g_clear_object (&conn->stream);
  g_clear_pointer (&conn->head, g_byte_array_unref);
  g_clear_pointer (&conn->response, g_bytes_unref);
  g_free (conn);
}

static gboolean
on_connection_timeout (gpointer user_data)
{
  Connection *conn = user_data;

  /* Slow and idle clients could otherwise hold connections, and with
   * them the connection cap, for as long as they like. */
  if (conn->state == CONNECTION_READING)
    g_debug ("Closing a loopback connection that sent no complete request in time");
  connection_close (conn);
  return G_SOURCE_REMOVE;
}

static void
connection_set_deadline (Connection *conn,
                         guint       timeout_ms)
{
  clear_source (&conn->timeout_source);
  conn->timeout_source = g_timeout_source_new (timeout_ms);
  g_source_set_callback (conn->timeout_source, on_connection_timeout, conn, NULL);
  g_source_attach (conn->timeout_source, conn->listener->context);
}

static gboolean
on_readable (GObject  *stream,
             gpointer  user_data)
{
  Connection *conn = user_data;

  if (conn->state == CONNECTION_READING)
    connection_read (conn);
  else
    connection_linger (conn);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_writable (GObject  *stream,
             gpointer  user_data)
{
  connection_write (user_data);
  return G_SOURCE_CONTINUE;
}

static void
connection_watch_input (Connection *conn)
{
  if (conn->io_source != NULL)
    return;

  conn->io_source = g_pollable_input_stream_create_source (conn->input, NULL);
  g_source_set_callback (conn->io_source, G_SOURCE_FUNC (on_readable), conn, NULL);
  g_source_attach (conn->io_source, conn->listener->context);
}

static void
connection_watch_output (Connection *conn)
{
  if (conn->io_source != NULL)
    return;

  conn->io_source = g_pollable_output_stream_create_source (conn->output, NULL);
  g_source_set_callback (conn->io_source, G_SOURCE_FUNC (on_writable), conn, NULL);
  g_source_attach (conn->io_source, conn->listener->context);
}

static void
connection_linger (Connection *conn)
{
  while (conn->drained < LINGER_MAX_BYTES)
    {
      guint8 buffer[READ_CHUNK];
      g_autoptr(GError) error = NULL;
      gssize n;

      n = g_pollable_input_stream_read_nonblocking (conn->input, buffer, sizeof buffer, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          connection_watch_input (conn);
          return;
        }
      if (n <= 0)
        break;
      conn->drained += n;
    }

  connection_close (conn);
}

/* Closing a socket that still has unread input makes the kernel send a
 * reset, and the client may then throw our answer away. So, once the
 * answer is out, we say we are done sending and read (and discard) what
 * the client still sends, for a short while, until it closes too. */
static void
connection_finish (Connection *conn)
{
  g_autoptr(GError) error = NULL;

  if (conn->socket == NULL || !g_socket_shutdown (conn->socket, FALSE, TRUE, &error))
    {
      connection_close (conn);
      return;
    }

  conn->state = CONNECTION_LINGERING;
  connection_set_deadline (conn, MIN (LINGER_MS, conn->listener->request_timeout_ms));
  connection_linger (conn);
}

static void
connection_write (Connection *conn)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (conn->response, &size);

  while (conn->written < size)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      n = g_pollable_output_stream_write_nonblocking (conn->output,
                                                      data + conn->written,
                                                      size - conn->written,
                                                      NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          connection_watch_output (conn);
          return;
        }
      if (n <= 0)
        {
          connection_close (conn);
          return;
        }
      conn->written += n;
    }

  clear_source (&conn->io_source);
  connection_finish (conn);
}

enum
{
  SIGNAL_REJECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GBytes *build_response (McLoopbackListener *self,
                               Page                page,
                               const char         *error,
                               const char         *description);

static void
connection_respond (Connection *conn,
                    Page        page,
                    const char *error,
                    const char *description)
{
  clear_source (&conn->io_source);
  conn->state = CONNECTION_WRITING;
  if (page_status[page].rejection != NULL)
    g_signal_emit (conn->listener, signals[SIGNAL_REJECTED], 0, page_status[page].rejection);
  conn->response = build_response (conn->listener, page, error, description);
  /* The head may hold the code and the state; it is of no more use. */
  g_clear_pointer (&conn->head, g_byte_array_unref);
  connection_set_deadline (conn, conn->listener->request_timeout_ms);
  connection_write (conn);
}

/* Finds the end of the request head, one byte at a time as bytes arrive,
 * and refuses early what can never become a valid head: a CR not followed
 * by LF, an LF without CR, a NUL, and lines over the limits. */
static ScanResult
connection_scan (Connection *conn)
{
  const guint8 *data = conn->head->data;
  gsize length = conn->head->len;

  for (gsize i = conn->scanned; i < length; i++)
    {
      guint8 c = data[i];

      if (conn->after_cr)
        {
          gsize line_length = i - 1 - conn->line_start;

          if (c != '\n')
            return SCAN_BAD;
          conn->after_cr = FALSE;

          if (conn->request_line_end < 0)
            {
              if (line_length == 0)
                return SCAN_BAD;
              if (line_length > REQUEST_LINE_MAX)
                return SCAN_LINE_TOO_LONG;
              conn->request_line_end = i - 1;
            }
          else if (line_length == 0)
            {
              conn->scanned = i + 1;
              if (i + 1 - (conn->request_line_end + 2) > MC_LOOPBACK_MAX_HEADER_BYTES)
                return SCAN_HEADERS_TOO_LARGE;
              return SCAN_DONE;
            }
          conn->line_start = i + 1;
        }
      else if (c == '\r')
        conn->after_cr = TRUE;
      else if (c == '\n' || c == '\0')
        return SCAN_BAD;
    }
  conn->scanned = length;

  if (conn->request_line_end < 0)
    {
      if (length - conn->after_cr > REQUEST_LINE_MAX)
        return SCAN_LINE_TOO_LONG;
    }
  else if (length - (conn->request_line_end + 2) > MC_LOOPBACK_MAX_HEADER_BYTES)
    {
      return SCAN_HEADERS_TOO_LARGE;
    }

  return SCAN_MORE;
}

static Page handle_request (McLoopbackListener  *self,
                            const char          *head,
                            gsize                request_line_length,
                            char               **shown_error,
                            char               **shown_description);

static void
connection_read (Connection *conn)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize old_length = conn->head->len;
      gsize room = HEAD_MAX - old_length;
      ScanResult scan;
      gssize n;

      g_assert (room > 0);
      g_byte_array_set_size (conn->head, old_length + MIN (room, READ_CHUNK));
      n = g_pollable_input_stream_read_nonblocking (conn->input,
                                                    conn->head->data + old_length,
                                                    MIN (room, READ_CHUNK),
                                                    NULL, &error);
      g_byte_array_set_size (conn->head, old_length + MAX (n, 0));

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          connection_watch_input (conn);
          return;
        }
      if (n < 0)
        {
          g_debug ("Reading from a loopback connection failed: %s", error->message);
          connection_close (conn);
          return;
        }
      if (n == 0)
        {
          /* The client is done sending. Half a request gets an answer;
           * a connection that sent nothing (a browser's spare one) does not. */
          if (old_length == 0)
            connection_close (conn);
          else
            connection_respond (conn, PAGE_BAD_REQUEST, NULL, NULL);
          return;
        }

      scan = connection_scan (conn);
      switch (scan)
        {
        case SCAN_MORE:
          continue;
        case SCAN_BAD:
          g_debug ("Refused a malformed request head on the loopback listener");
          connection_respond (conn, PAGE_BAD_REQUEST, NULL, NULL);
          return;
        case SCAN_LINE_TOO_LONG:
          g_debug ("Refused a request line over %d bytes on the loopback listener", REQUEST_LINE_MAX);
          connection_respond (conn, PAGE_URI_TOO_LONG, NULL, NULL);
          return;
        case SCAN_HEADERS_TOO_LARGE:
          g_debug ("Refused request headers over %d bytes on the loopback listener",
                   MC_LOOPBACK_MAX_HEADER_BYTES);
          connection_respond (conn, PAGE_HEADERS_TOO_LARGE, NULL, NULL);
          return;
        case SCAN_DONE:
          {
            g_autofree char *head = g_strndup ((const char *) conn->head->data, conn->scanned);
            g_autofree char *shown_error = NULL;
            g_autofree char *shown_description = NULL;
            Page page;

            page = handle_request (conn->listener, head, conn->request_line_end,
                                   &shown_error, &shown_description);
            connection_respond (conn, page, shown_error, shown_description);
            return;
          }
        default:
          g_assert_not_reached ();
        }
    }
}

/* Makes room for one more connection, if the cap is reached, by closing
 * the oldest one still waiting for its request: with the newest refused
 * instead, anyone who can hold 16 connections open could keep the browser
 * out for the whole flow. Returns FALSE if no connection could go. */
static gboolean
make_room (McLoopbackListener *self)
{
  if (self->connections.length < MC_LOOPBACK_MAX_CONNECTIONS)
    return TRUE;

  for (GList *l = self->connections.head; l != NULL; l = l->next)
    {
      Connection *conn = l->data;

      if (conn->state == CONNECTION_READING)
        {
          g_debug ("Loopback listener at %d connections: closing the oldest waiting one",
                   MC_LOOPBACK_MAX_CONNECTIONS);
          connection_close (conn);
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * _mc_loopback_listener_accept_stream:
 * @self: a #McLoopbackListener
 * @stream: a connection whose streams are pollable
 *
 * Serves one request on @stream: what the listener does with each
 * connection it accepts, and what the fuzzer calls with streams in memory.
 */
void
_mc_loopback_listener_accept_stream (McLoopbackListener *self,
                                     GIOStream          *stream)
{
  GInputStream *input = NULL;
  GOutputStream *output = NULL;
  Connection *conn = NULL;

  g_return_if_fail (MC_IS_LOOPBACK_LISTENER (self));
  g_return_if_fail (G_IS_IO_STREAM (stream));

  input = g_io_stream_get_input_stream (stream);
  output = g_io_stream_get_output_stream (stream);
  g_return_if_fail (G_IS_POLLABLE_INPUT_STREAM (input));
  g_return_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (output));

  if (self->closed || !make_room (self))
    {
      g_io_stream_close (stream, NULL, NULL);
      return;
    }

  conn = g_new0 (Connection, 1);
  conn->listener = self;
  conn->stream = g_object_ref (stream);
  conn->input = G_POLLABLE_INPUT_STREAM (input);
  conn->output = G_POLLABLE_OUTPUT_STREAM (output);
  if (G_IS_SOCKET_CONNECTION (stream))
    conn->socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  conn->state = CONNECTION_READING;
  conn->head = g_byte_array_new ();
  conn->request_line_end = -1;

  g_queue_push_tail (&self->connections, conn);
  conn->link = self->connections.tail;

  connection_set_deadline (conn, self->request_timeout_ms);
  connection_watch_input (conn);
}

/* Accepting */

static void start_accepting (McLoopbackListener *self);

static gboolean
on_accept_pause_over (gpointer user_data)
{
  McLoopbackListener *self = user_data;

  g_clear_pointer (&self->accept_pause_source, g_source_unref);
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  McLoopbackListener *self = user_data;

  for (guint i = 0; i < MAX_ACCEPTS_PER_WAKEUP; i++)
    {
      g_autoptr(GSocket) client = NULL;
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GError) error = NULL;

      client = g_socket_accept (socket, NULL, &error);
      if (client == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (client == NULL)
        {
          /* Out of file descriptors, most likely. The connection stays in
           * the backlog and the socket stays readable: pause rather than
           * spin. */
          g_debug ("Could not accept a loopback connection: %s", error->message);
          clear_source (&self->accept_source);
          self->accept_pause_source = g_timeout_source_new (ACCEPT_PAUSE_MS);
          g_source_set_callback (self->accept_pause_source, on_accept_pause_over, self, NULL);
          g_source_attach (self->accept_pause_source, self->context);
          return G_SOURCE_REMOVE;
        }

      connection = g_socket_connection_factory_create_connection (client);
      _mc_loopback_listener_accept_stream (self, G_IO_STREAM (connection));
    }

  return G_SOURCE_CONTINUE;
}

static void
start_accepting (McLoopbackListener *self)
{
  g_assert (self->accept_source == NULL);

  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->accept_source, self->context);
}

/* Handing the result over */

static gboolean
on_deliver (gpointer user_data)
{
  McLoopbackListener *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->wait_task);

  g_clear_pointer (&self->deliver_source, g_source_unref);
  clear_source (&self->wait_cancel_source);

  if (task == NULL)
    return G_SOURCE_REMOVE;

  if (self->result != NULL)
    {
      self->delivered = TRUE;
      g_task_return_pointer (task, g_steal_pointer (&self->result),
                             (GDestroyNotify) mc_callback_result_free);
    }
  else if (self->failure != NULL)
    {
      self->delivered = TRUE;
      g_task_return_error (task, g_steal_pointer (&self->failure));
    }
  else
    {
      g_assert (self->closed);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               "The redirect listener was closed");
    }

  return G_SOURCE_REMOVE;
}

/* Always from an idle: the flow's callback may close or drop the
 * listener, which must not happen under the feet of the connection that
 * is still writing its answer. */
static void
schedule_delivery (McLoopbackListener *self)
{
  if (self->wait_task == NULL || self->deliver_source != NULL)
    return;

  self->deliver_source = g_idle_source_new ();
  g_source_set_callback (self->deliver_source, on_deliver, g_object_ref (self), g_object_unref);
  g_source_attach (self->deliver_source, self->context);
}

/* Request handling */

static gboolean
is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_token (const char *s,
          gsize       length)
{
  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!is_tchar (s[i]))
        return FALSE;
    }
  return TRUE;
}

/* RFC 6749 Appendix A: code is VSCHAR (%x20-7E), error NQSCHAR (VSCHAR
 * without '"' and '\'). */
static gboolean
is_vschar_string (const char *s,
                  const char *excluded)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    {
      if ((guchar) *s < 0x20 || (guchar) *s > 0x7E || strchr (excluded, *s) != NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
equal_in_constant_time (const char *a,
                        const char *b)
{
  gsize length = strlen (a);
  guchar diff = 0;

  /* The length of the state is no secret. */
  if (length != strlen (b))
    return FALSE;
  for (gsize i = 0; i < length; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i];
  return diff == 0;
}

/* application/x-www-form-urlencoded, as RFC 6749 §4.1.2 uses it: '+' is
 * a space and %XX a byte. NULL for a broken escape, a NUL, or text that
 * is not UTF-8. */
static char *
form_decode (const char *s,
             gsize       length)
{
  g_autoptr(GString) out = g_string_sized_new (length);

  for (gsize i = 0; i < length; i++)
    {
      if (s[i] == '+')
        {
          g_string_append_c (out, ' ');
        }
      else if (s[i] == '%')
        {
          int high, low;

          if (length - i < 3)
            return NULL;
          high = g_ascii_xdigit_value (s[i + 1]);
          low = g_ascii_xdigit_value (s[i + 2]);
          if (high < 0 || low < 0 || (high == 0 && low == 0))
            return NULL;
          g_string_append_c (out, (char) (high << 4 | low));
          i += 2;
        }
      else
        {
          g_string_append_c (out, s[i]);
        }
    }

  if (!g_utf8_validate_len (out->str, out->len, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The query as name → value. NULL if it cannot be decoded or names a
 * parameter twice, which RFC 6749 §3.1 forbids: a second value could
 * mean a different thing to us than to whoever checked the first. */
static GHashTable *
parse_query (const char *query)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *p = query;

  while (*p != '\0')
    {
      const char *end = strchr (p, '&');
      const char *equals = NULL;
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (end == NULL)
        end = p + strlen (p);
      equals = memchr (p, '=', end - p);

      if (end > p)
        {
          name = form_decode (p, (equals != NULL ? equals : end) - p);
          value = equals != NULL ? form_decode (equals + 1, end - equals - 1) : g_strdup ("");
          if (name == NULL || value == NULL)
            return NULL;
          if (g_hash_table_contains (params, name))
            return NULL;
          g_hash_table_insert (params, g_steal_pointer (&name), g_steal_pointer (&value));
        }

      p = *end == '&' ? end + 1 : end;
    }

  return g_steal_pointer (&params);
}

static void
fail_flow (McLoopbackListener *self,
           GError             *error)
{
  self->completed = TRUE;
  self->failure = error;
  schedule_delivery (self);
}

/* The query of a GET /callback, from the browser or from anyone else. */
static Page
handle_callback (McLoopbackListener  *self,
                 const char          *query,
                 char               **shown_error,
                 char               **shown_description)
{
  g_autoptr(GHashTable) params = parse_query (query);
  McCallbackResult *result = NULL;
  const char *state, *code, *error, *description, *iss;

  if (params == NULL)
    {
      g_debug ("Refused a callback whose query is malformed or repeats a parameter");
      return PAGE_BAD_REQUEST;
    }

  state = g_hash_table_lookup (params, "state");
  if (self->state == NULL || state == NULL || !equal_in_constant_time (state, self->state))
    {
      g_debug ("Refused a callback without the state of the sign-in in progress");
      return PAGE_NOT_OURS;
    }

  if (self->completed)
    {
      g_debug ("Refused a callback with the state of a sign-in already answered");
      return PAGE_ALREADY_DONE;
    }

  code = g_hash_table_lookup (params, "code");
  error = g_hash_table_lookup (params, "error");
  description = g_hash_table_lookup (params, "error_description");
  iss = g_hash_table_lookup (params, "iss");

  if ((code == NULL) == (error == NULL) ||
      (code != NULL && !is_vschar_string (code, "")) ||
      (error != NULL && !is_vschar_string (error, "\"\\")))
    {
      /* Not what an authorization server sends; if it is an attack, the
       * real answer may still come. */
      g_debug ("Refused a callback with matching state but not exactly one valid code or error");
      return PAGE_UNUSABLE;
    }

  /* RFC 9207 §2.4, compared as strings, with no normalisation. Nothing
   * else of the response is used or shown: a mix-up attacker writes it. */
  if (iss != NULL && (self->issuer == NULL || strcmp (iss, self->issuer) != 0))
    {
      g_debug ("Callback with matching state received, from another issuer");
      fail_flow (self, self->issuer != NULL
                 ? g_error_new (MC_ERROR, MC_ERROR_REMOTE,
                                "The authorization response names another issuer (iss) than %s",
                                self->issuer)
                 : g_error_new_literal (MC_ERROR, MC_ERROR_REMOTE,
                                        "The authorization response names an issuer (iss), "
                                        "but no issuer was known to compare it with"));
      return PAGE_ISSUER;
    }
  if (iss == NULL && self->iss_required)
    {
      g_debug ("Callback with matching state received, without the required issuer");
      fail_flow (self, g_error_new (MC_ERROR, MC_ERROR_REMOTE,
                                    "The authorization response of %s has no issuer (iss), "
                                    "which its metadata promise",
                                    self->issuer != NULL ? self->issuer : "the authorization server"));
      return PAGE_ISSUER;
    }

  g_debug ("Callback with matching state received");
  self->completed = TRUE;
  result = g_new0 (McCallbackResult, 1);
  result->code = g_strdup (code);
  result->error = g_strdup (error);
  result->error_description = error != NULL ? g_strdup (description) : NULL;
  result->iss = g_strdup (iss);
  self->result = result;
  schedule_delivery (self);

  if (code != NULL)
    return PAGE_SUCCESS;
  if (g_str_equal (error, "access_denied"))
    return PAGE_DENIED;

  /* Cleaned here, as shown: the page shows no secret, and cleaning could
   * join a state that an invisible character split. A server may quote
   * the request in what it says; what holds the state is left out. */
  *shown_error = mc_text_clean_for_display (error, MAX_ERROR_CODE_CHARS, MC_TEXT_SINGLE_LINE);
  if (strstr (*shown_error, self->state) != NULL)
    g_clear_pointer (shown_error, g_free);
  if (description != NULL)
    {
      *shown_description = mc_text_clean_for_display (description, MC_LOOPBACK_MAX_DESCRIPTION_CHARS,
                                                      MC_TEXT_SINGLE_LINE);
      if (**shown_description == '\0' || strstr (*shown_description, self->state) != NULL)
        g_clear_pointer (shown_description, g_free);
    }
  return PAGE_OAUTH_ERROR;
}

static gboolean
is_field_value_byte (guchar c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7F);
}

/* @head: the request head, NUL-terminated, lines ending in CRLF, no NUL
 * (connection_scan() made sure), ending with the empty line. */
static Page
handle_request (McLoopbackListener  *self,
                const char          *head,
                gsize                request_line_length,
                char               **shown_error,
                char               **shown_description)
{
  g_autofree char *request_line = g_strndup (head, request_line_length);
  const char *method = request_line;
  const char *target = NULL;
  const char *version = NULL;
  char *space = NULL;
  const char *line = NULL;
  const char *host = NULL;
  guint n_hosts = 0;
  gboolean has_body = FALSE;
  gsize path_length;

  /* method SP request-target SP HTTP-version, single spaces (RFC 9112 §3) */
  space = strchr (request_line, ' ');
  if (space == NULL)
    return PAGE_BAD_REQUEST;
  *space = '\0';
  target = space + 1;
  space = strchr (target, ' ');
  if (space == NULL)
    return PAGE_BAD_REQUEST;
  *space = '\0';
  version = space + 1;

  if (!g_str_equal (version, "HTTP/1.1") && !g_str_equal (version, "HTTP/1.0"))
    {
      if (strlen (version) == 8 && g_str_has_prefix (version, "HTTP/") &&
          g_ascii_isdigit (version[5]) && version[6] == '.' && g_ascii_isdigit (version[7]))
        return PAGE_BAD_VERSION;
      return PAGE_BAD_REQUEST;
    }
  if (!is_token (method, strlen (method)) || *target == '\0')
    return PAGE_BAD_REQUEST;
  if (strlen (target) > MC_LOOPBACK_MAX_REQUEST_TARGET)
    return PAGE_URI_TOO_LONG;
  for (const char *p = target; *p != '\0'; p++)
    {
      /* Visible ASCII, as a request-target is; a fragment is never sent. */
      if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7F || *p == '#')
        return PAGE_BAD_REQUEST;
    }

  /* field-name ":" OWS field-value OWS; no space before the colon and no
   * obsolete line folding (RFC 9112 §5). */
  line = head + request_line_length + 2;
  while (!g_str_has_prefix (line, "\r\n"))
    {
      const char *end = strstr (line, "\r\n");
      const char *colon = memchr (line, ':', end - line);
      const char *value = NULL;
      const char *value_end = end;

      if (colon == NULL || !is_token (line, colon - line))
        return PAGE_BAD_REQUEST;
      value = colon + 1;
      while (value < end && (*value == ' ' || *value == '\t'))
        value++;
      while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
        value_end--;
      for (const char *p = value; p < value_end; p++)
        {
          if (!is_field_value_byte (*p))
            return PAGE_BAD_REQUEST;
        }

      if (colon - line == 4 && g_ascii_strncasecmp (line, "Host", 4) == 0)
        {
          n_hosts++;
          if (value_end - value == (gssize) strlen (self->expected_host) &&
              memcmp (value, self->expected_host, value_end - value) == 0)
            host = self->expected_host;
          else if (self->expected_host_without_port != NULL &&
                   value_end - value == (gssize) strlen (self->expected_host_without_port) &&
                   memcmp (value, self->expected_host_without_port, value_end - value) == 0)
            host = self->expected_host_without_port;
        }
      else if (colon - line == 14 && g_ascii_strncasecmp (line, "Content-Length", 14) == 0)
        {
          has_body |= !(value_end - value == 1 && *value == '0');
        }
      else if (colon - line == 17 && g_ascii_strncasecmp (line, "Transfer-Encoding", 17) == 0)
        {
          has_body = TRUE;
        }

      line = end + 2;
    }

  /* A page that a DNS rebinding attack loaded from its own name, here,
   * says so in Host; so does any name but the one we registered. */
  if (n_hosts != 1 || host == NULL)
    {
      g_debug ("Refused a request to the loopback listener with another Host than %s",
               self->expected_host);
      return PAGE_BAD_REQUEST;
    }
  if (has_body)
    {
      g_debug ("Refused a request with a body on the loopback listener");
      return PAGE_BAD_REQUEST;
    }
  if (!g_str_equal (method, "GET"))
    {
      g_debug ("Refused a %.16s request on the loopback listener", method);
      return PAGE_BAD_METHOD;
    }
  /* Only the origin form; the absolute form is for proxies. */
  if (target[0] != '/')
    return PAGE_BAD_REQUEST;

  path_length = strcspn (target, "?");
  if (path_length != strlen ("/callback") || strncmp (target, "/callback", path_length) != 0)
    {
      g_debug ("Refused a request for another path than /callback on the loopback listener");
      return PAGE_NOT_FOUND;
    }

  return handle_callback (self,
                          target[path_length] == '?' ? target + path_length + 1 : "",
                          shown_error, shown_description);
}

/* The page */

static void
append_paragraph (GString    *html,
                  const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  g_string_append_printf (html, "<p>%s</p>\n", escaped);
}

/* @error and @description: (nullable): cleaned for display, unescaped */
static char *
render_page (Page        page,
             const char *error,
             const char *description)
{
  g_autoptr(GString) html = g_string_new (NULL);
  g_autofree char *escaped_heading = NULL;
  const char *heading = NULL;
  const char *not_a_sign_in = _("This address only receives the answer of a sign-in server, "
                                "and this request was not one. Nothing was done with it.");

  switch (page)
    {
    case PAGE_SUCCESS:
      heading = _("Sign-in answer received");
      break;
    case PAGE_DENIED:
      heading = _("You declined the sign-in");
      break;
    case PAGE_OAUTH_ERROR:
      heading = _("The sign-in did not succeed");
      break;
    case PAGE_ISSUER:
      heading = _("The sign-in was stopped");
      break;
    case PAGE_NOT_OURS:
      heading = _("This link does not belong to a sign-in in progress");
      break;
    case PAGE_ALREADY_DONE:
      heading = _("This sign-in is already finished");
      break;
    case PAGE_UNUSABLE:
      heading = _("The sign-in server’s answer could not be used");
      break;
    case PAGE_BAD_REQUEST:
      heading = _("Bad request");
      break;
    case PAGE_NOT_FOUND:
      heading = _("Not found");
      break;
    case PAGE_BAD_METHOD:
      heading = _("Method not allowed");
      break;
    case PAGE_URI_TOO_LONG:
      heading = _("Address too long");
      break;
    case PAGE_HEADERS_TOO_LARGE:
      heading = _("Request too large");
      break;
    case PAGE_BAD_VERSION:
      heading = _("HTTP version not supported");
      break;
    default:
      g_assert_not_reached ();
    }

  escaped_heading = g_markup_escape_text (heading, -1);

  /* Self-contained: no script, no image, no font, nothing fetched; the
   * Content-Security-Policy forbids all of it but this inline style. */
  g_string_append_printf (html,
                          "<!DOCTYPE html>\n"
                          "<html>\n"
                          "<head>\n"
                          "<meta charset=\"utf-8\">\n"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                          "<title>%s</title>\n"
                          "<style>\n"
                          ":root { color-scheme: light dark; }\n"
                          "body { margin: 0; padding: 3em 1em; font: 16px/1.5 system-ui, sans-serif; "
                          "background: #f6f5f4; color: #1e1e1e; }\n"
                          "main { max-width: 34em; margin: 0 auto; padding: 1.5em 2em; border-radius: 12px; "
                          "background: #ffffff; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.15); }\n"
                          "h1 { margin-top: 0; font-size: 1.4em; }\n"
                          "footer { margin-top: 2em; font-size: 0.85em; opacity: 0.7; }\n"
                          "@media (prefers-color-scheme: dark) { body { background: #1e1e1e; color: #ffffff; } "
                          "main { background: #303030; } }\n"
                          "</style>\n"
                          "</head>\n"
                          "<body>\n"
                          "<main>\n"
                          "<h1>%s</h1>\n",
                          escaped_heading, escaped_heading);

  switch (page)
    {
    case PAGE_SUCCESS:
      append_paragraph (html, _("You can close this tab."));
      append_paragraph (html, _("The MCP Consent Broker is finishing the sign-in, and your "
                                "application continues on its own. If it reports a problem, "
                                "start the sign-in again from there."));
      break;
    case PAGE_DENIED:
      append_paragraph (html, _("You declined, so no access was given. Your application has "
                                "been told."));
      append_paragraph (html, _("You can close this tab."));
      break;
    case PAGE_OAUTH_ERROR:
      {
        g_autofree char *text = NULL;
        g_autofree char *said = NULL;

        if (error != NULL)
          text = g_strdup_printf (_("The sign-in server answered with the error “%s”."), error);
        else
          text = g_strdup (_("The sign-in server answered with an error."));
        append_paragraph (html, text);
        if (description != NULL)
          {
            said = g_strdup_printf (_("It said: “%s”"), description);
            append_paragraph (html, said);
          }
        append_paragraph (html, _("Your application has been told. You can close this tab, "
                                  "and try again from your application."));
      }
      break;
    case PAGE_ISSUER:
      append_paragraph (html, _("This answer did not come from the sign-in server the sign-in "
                                "was started with, so it was refused to keep your account safe."));
      append_paragraph (html, _("You can close this tab, and start the sign-in again from your "
                                "application."));
      break;
    case PAGE_NOT_OURS:
      append_paragraph (html, _("Nothing was done with it. If you are signing in, finish in the "
                                "browser tab where the sign-in started, or start again from "
                                "your application."));
      break;
    case PAGE_ALREADY_DONE:
      append_paragraph (html, _("Its answer was received before, so this one was ignored. You "
                                "can close this tab."));
      break;
    case PAGE_UNUSABLE:
      append_paragraph (html, _("The answer was malformed, so it was ignored. You can close "
                                "this tab; if your application keeps waiting, start the "
                                "sign-in again."));
      break;
    case PAGE_BAD_REQUEST:
    case PAGE_NOT_FOUND:
    case PAGE_BAD_METHOD:
    case PAGE_URI_TOO_LONG:
    case PAGE_HEADERS_TOO_LARGE:
    case PAGE_BAD_VERSION:
      append_paragraph (html, not_a_sign_in);
      break;
    default:
      g_assert_not_reached ();
    }

  {
    g_autofree char *footer = g_markup_escape_text (_("This page comes from the MCP Consent "
                                                      "Broker on this computer."), -1);

    g_string_append_printf (html,
                            "<footer>%s</footer>\n"
                            "</main>\n"
                            "</body>\n"
                            "</html>\n",
                            footer);
  }

  return g_string_free (g_steal_pointer (&html), FALSE);
}

static GBytes *
build_response (McLoopbackListener *self,
                Page                page,
                const char         *error,
                const char         *description)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autofree char *body = render_page (page, error, description);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GString *response = g_string_new (NULL);

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n",
                          page_status[page].status, page_status[page].reason);
  /* RFC 9110 §5.6.7, not through strftime(), whose names follow the locale. */
  g_string_append_printf (response, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                          days[g_date_time_get_day_of_week (now) - 1],
                          g_date_time_get_day_of_month (now),
                          months[g_date_time_get_month (now) - 1],
                          g_date_time_get_year (now),
                          g_date_time_get_hour (now),
                          g_date_time_get_minute (now),
                          g_date_time_get_second (now));
  g_string_append (response,
                   "Content-Type: text/html; charset=utf-8\r\n"
                   "Cache-Control: no-store\r\n"
                   "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
                   "frame-ancestors 'none'\r\n"
                   "X-Frame-Options: DENY\r\n"
                   "Referrer-Policy: no-referrer\r\n"
                   "X-Content-Type-Options: nosniff\r\n"
                   "Connection: close\r\n");
  if (page == PAGE_BAD_METHOD)
    g_string_append (response, "Allow: GET\r\n");
  g_string_append_printf (response, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", strlen (body));
  g_string_append (response, body);

  return g_string_free_to_bytes (response);
}

/* The object */

static void
mc_loopback_listener_dispose (GObject *object)
{
  McLoopbackListener *self = (McLoopbackListener *)object;

  mc_loopback_listener_close (self);
  clear_source (&self->deliver_source);

  G_OBJECT_CLASS (mc_loopback_listener_parent_class)->dispose (object);
}

static void
mc_loopback_listener_finalize (GObject *object)
{
  McLoopbackListener *self = (McLoopbackListener *)object;

  g_assert (self->wait_task == NULL);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->redirect_uri, g_free);
  g_clear_pointer (&self->expected_host, g_free);
  g_clear_pointer (&self->expected_host_without_port, g_free);
  g_clear_pointer (&self->state, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->result, mc_callback_result_free);
  g_clear_error (&self->failure);

  G_OBJECT_CLASS (mc_loopback_listener_parent_class)->finalize (object);
}

static void
mc_loopback_listener_class_init (McLoopbackListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_loopback_listener_dispose;
  object_class->finalize = mc_loopback_listener_finalize;

  /**
   * McLoopbackListener::rejected:
   * @reason: a short fixed phrase: "wrong state", "wrong path", …
   *
   * A request was turned away (for the audit log).
   */
  signals[SIGNAL_REJECTED] = g_signal_new ("rejected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
mc_loopback_listener_init (McLoopbackListener *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->request_timeout_ms = MC_LOOPBACK_REQUEST_TIMEOUT_MS;
  g_queue_init (&self->connections);
}

static void
set_port (McLoopbackListener *self,
          guint16             port)
{
  self->port = port;
  self->redirect_uri = g_strdup_printf ("http://127.0.0.1:%u/callback", port);
  self->expected_host = g_strdup_printf ("127.0.0.1:%u", port);
  /* A browser leaves out the default port. */
  if (port == 80)
    self->expected_host_without_port = g_strdup ("127.0.0.1");
}

/**
 * mc_loopback_listener_new:
 * @port: the port to listen on, or 0 for one the system picks
 * @error: a location for a #GError, or %NULL
 *
 * Listens on 127.0.0.1 only, never on other addresses: not on 0.0.0.0,
 * which the network could reach, and not on ::1, which we do not put in
 * redirect URIs. The listener serves on the thread-default main context of
 * the caller.
 *
 * Returns: (transfer full): a listener, or %NULL and @error is set;
 *   %G_IO_ERROR_ADDRESS_IN_USE if @port is taken, and then the flow needs
 *   another port (and a redirect URI registered for it)
 */
McLoopbackListener *
mc_loopback_listener_new (guint16   port,
                          GError  **error)
{
  g_autoptr(McLoopbackListener) self = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, MC_LOOPBACK_MAX_CONNECTIONS);

  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, port);
  /* SO_REUSEADDR, so that a fixed port can be used again while the
   * connections of the last flow on it are in TIME_WAIT; on Linux it does
   * not let anyone bind a port that a socket listens on. */
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;

  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return NULL;

  self = g_object_new (MC_TYPE_LOOPBACK_LISTENER, NULL);
  set_port (self, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  self->socket = g_steal_pointer (&socket);
  start_accepting (self);

  g_debug ("Loopback listener waiting on %s", self->redirect_uri);
  return g_steal_pointer (&self);
}

/**
 * _mc_loopback_listener_new_unbound:
 * @port: the port requests are to name in Host
 *
 * Returns: (transfer full): a listener with no socket, which serves only
 *   the streams given to _mc_loopback_listener_accept_stream()
 */
McLoopbackListener *
_mc_loopback_listener_new_unbound (guint16 port)
{
  McLoopbackListener *self = g_object_new (MC_TYPE_LOOPBACK_LISTENER, NULL);

  set_port (self, port);
  return self;
}

/**
 * _mc_loopback_listener_set_request_timeout:
 * @self: a #McLoopbackListener
 * @timeout_ms: how long a connection has to send a complete request
 *
 * For tests, which should not wait ten seconds. Applies to connections
 * accepted from now on.
 */
void
_mc_loopback_listener_set_request_timeout (McLoopbackListener *self,
                                           guint               timeout_ms)
{
  g_return_if_fail (MC_IS_LOOPBACK_LISTENER (self));
  g_return_if_fail (timeout_ms > 0);

  self->request_timeout_ms = timeout_ms;
}

/**
 * _mc_loopback_listener_get_n_connections:
 * @self: a #McLoopbackListener
 *
 * Returns: how many connections are open
 */
guint
_mc_loopback_listener_get_n_connections (McLoopbackListener *self)
{
  g_return_val_if_fail (MC_IS_LOOPBACK_LISTENER (self), 0);

  return self->connections.length;
}

/**
 * mc_loopback_listener_get_port:
 * @self: a #McLoopbackListener
 *
 * Returns: the port listened on
 */
guint16
mc_loopback_listener_get_port (McLoopbackListener *self)
{
  g_return_val_if_fail (MC_IS_LOOPBACK_LISTENER (self), 0);

  return self->port;
}

/**
 * mc_loopback_listener_get_redirect_uri:
 * @self: a #McLoopbackListener
 *
 * Returns: `http://127.0.0.1:PORT/callback`, to register and send as
 *   redirect_uri. Requests must name `127.0.0.1:PORT` in Host; a browser
 *   sent to `localhost:PORT` is refused.
 */
const char *
mc_loopback_listener_get_redirect_uri (McLoopbackListener *self)
{
  g_return_val_if_fail (MC_IS_LOOPBACK_LISTENER (self), NULL);

  return self->redirect_uri;
}

/**
 * mc_loopback_listener_expect:
 * @self: a #McLoopbackListener
 * @state: the flow's state parameter: random, single use
 * @issuer: (nullable): the authorization server's issuer identifier from
 *   its metadata, which an `iss` in the response must equal exactly; with
 *   %NULL any `iss` is refused
 * @iss_required: whether the metadata say
 *   `authorization_response_iss_parameter_supported`, so that a response
 *   without `iss` is refused
 *
 * Tells the listener which response to accept, before the browser is
 * sent to the authorization endpoint; until then every callback is
 * refused. Call it once.
 *
 * A response with this state and a wrong or missing `iss` ends the wait
 * with %MC_ERROR_REMOTE (RFC 9207 §2.4: it must not be used, and the
 * state it carried is spent); its `error` and `error_description` are
 * neither returned nor shown.
 */
void
mc_loopback_listener_expect (McLoopbackListener *self,
                             const char         *state,
                             const char         *issuer,
                             gboolean            iss_required)
{
  g_return_if_fail (MC_IS_LOOPBACK_LISTENER (self));
  g_return_if_fail (state != NULL && *state != '\0');
  g_return_if_fail (self->state == NULL);

  self->state = g_strdup (state);
  self->issuer = g_strdup (issuer);
  self->iss_required = !!iss_required;
}

static gboolean
on_wait_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  McLoopbackListener *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->wait_task);

  clear_source (&self->wait_cancel_source);
  clear_source (&self->deliver_source);
  if (task != NULL)
    g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

/**
 * mc_loopback_listener_wait_async:
 * @self: a #McLoopbackListener
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the authorization response
 * @user_data: data for @callback
 *
 * Waits for the one response whose state is the expected one. Requests
 * that are not it are answered and forgotten; the wait goes on.
 *
 * The listener has no timeout of its own: the flow decides how long a
 * user may take to sign in, and cancels @cancellable then (the wait ends
 * with %G_IO_ERROR_CANCELLED). One wait at a time; a response that comes
 * before the wait is kept for it.
 */
void
mc_loopback_listener_wait_async (McLoopbackListener  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MC_IS_LOOPBACK_LISTENER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_loopback_listener_wait_async);

  if (self->wait_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Already waiting for the authorization response");
      return;
    }
  if (self->delivered || (self->closed && self->result == NULL && self->failure == NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               self->delivered
                               ? "The authorization response was already delivered"
                               : "The redirect listener was closed");
      return;
    }

  self->wait_task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      self->wait_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->wait_cancel_source, G_SOURCE_FUNC (on_wait_cancelled), self, NULL);
      g_source_attach (self->wait_cancel_source, self->context);
    }
  if (self->result != NULL || self->failure != NULL)
    schedule_delivery (self);
}

/**
 * mc_loopback_listener_wait_finish:
 * @self: a #McLoopbackListener
 * @result: the #GAsyncResult
 * @error: a location for a #GError, or %NULL
 *
 * Returns: (transfer full): the response, with either a code or an error,
 *   or %NULL and @error is set: %G_IO_ERROR_CANCELLED,
 *   %G_IO_ERROR_CLOSED, or %MC_ERROR_REMOTE for an issuer mismatch
 */
McCallbackResult *
mc_loopback_listener_wait_finish (McLoopbackListener  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (MC_IS_LOOPBACK_LISTENER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mc_loopback_listener_wait_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mc_loopback_listener_close:
 * @self: a #McLoopbackListener
 *
 * Stops listening and drops every connection at once. A wait in progress
 * ends with %G_IO_ERROR_CLOSED, unless the response had already come.
 * Dispose closes too; closing twice does nothing.
 */
void
mc_loopback_listener_close (McLoopbackListener *self)
{
  g_return_if_fail (MC_IS_LOOPBACK_LISTENER (self));

  if (self->closed)
    return;
  self->closed = TRUE;

  clear_source (&self->accept_source);
  clear_source (&self->accept_pause_source);
  if (self->socket != NULL)
    {
      g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
    }

  while (self->connections.head != NULL)
    connection_close (self->connections.head->data);

  schedule_delivery (self);
}
