/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* A scripted MCP server for the bridge's tests, on a raw socket so that it
 * can do what a well-behaved HTTP library would not: break an event stream
 * in the middle of a chunk, send bytes that are no event stream, close a
 * stream before its response.  It speaks just enough HTTP/1.1 for libsoup:
 * requests with Content-Length bodies and keep-alive; answers with
 * Content-Length, or event streams delimited by closing the connection.
 *
 * As an MCP server it follows Streamable HTTP strictly where the bridge's
 * behaviour shows: requests after initialize without the session id or
 * with another MCP-Protocol-Version than the one it chose get 400.  What
 * tools/call does depends on the tool's name (see handle_tool()).  Its own
 * requests and notifications go out on the standalone stream
 * (mc_fake_mcp_push()); the client's answers to them are recorded like
 * every request (mc_fake_mcp_wait_client_response()). */

#include "config.h"

#include <string.h>

#include "mc-fake-mcp.h"
#include "mc-test-env.h"

#define LEGACY_ENDPOINT "/messages?session=legacy-1"

typedef struct _Connection Connection;

struct _McFakeMcp
{
  McFakeMcpOptions  options;
  char             *protocol_version;
  GSocketService   *service;
  char             *url;
  char             *session_id;
  GPtrArray        *requests;
  GPtrArray        *connections;
  Connection       *standalone;
  GHashTable       *resume;
  GArray           *timers;
  guint             get_streams;
  guint             next_event;
  guint             open_exchanges;
  guint             max_concurrent;
  guint             url_required_calls;
  guint64           pushed_bytes;
  guint64           written_bytes;
};

struct _Connection
{
  grefcount          ref_count;
  McFakeMcp         *server;
  GSocketConnection *connection;
  GDataInputStream  *input;
  GOutputStream     *output;
  GCancellable      *cancellable;
  GQueue             writes;
  gboolean           writing;
  gboolean           close_when_written;
  gboolean           closed;
  gboolean           is_standalone;
  gboolean           exchange_open;

  /* The request being read. */
  McFakeRequest     *request;
  gsize              content_length;
};

static guint live_connections;

static void request_free (McFakeRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McFakeRequest, request_free)

static void read_request (Connection *conn);

/* Requests {{{1 */

static void
request_free (McFakeRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->proxied_origin);
  g_clear_pointer (&request->headers, g_hash_table_unref);
  g_free (request->body);
  g_free (request->rpc_method);
  g_free (request);
}

const char *
mc_fake_request_header (McFakeRequest *request,
                        const char    *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (request->headers, lower);
}

/* Connections {{{1 */

static Connection *
connection_ref (Connection *conn)
{
  g_ref_count_inc (&conn->ref_count);
  return conn;
}

static void
connection_unref (Connection *conn)
{
  if (!g_ref_count_dec (&conn->ref_count))
    return;

  g_queue_clear_full (&conn->writes, (GDestroyNotify) g_bytes_unref);
  g_clear_object (&conn->input);
  g_clear_object (&conn->connection);
  g_clear_object (&conn->cancellable);
  g_clear_pointer (&conn->request, request_free);
  g_free (conn);
  live_connections--;
}

static void
end_exchange (Connection *conn)
{
  if (!conn->exchange_open)
    return;
  conn->exchange_open = FALSE;
  if (!conn->closed)
    conn->server->open_exchanges--;
}

/* Closes the connection now, whatever is queued. */
static void
connection_close (Connection *conn)
{
  if (conn->closed)
    return;

  end_exchange (conn);
  conn->closed = TRUE;
  g_cancellable_cancel (conn->cancellable);
  g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
  if (conn->server->standalone == conn)
    conn->server->standalone = NULL;
  g_ptr_array_remove_fast (conn->server->connections, conn);
}

static void write_next (Connection *conn);

static void
on_written (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Connection *conn = user_data;
  g_autoptr(GBytes) bytes = g_queue_pop_head (&conn->writes);
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source_object), result, NULL, NULL);

  conn->writing = FALSE;
  if (!conn->closed && !ok)
    connection_close (conn);
  if (!conn->closed && conn->is_standalone)
    conn->server->written_bytes += g_bytes_get_size (bytes);
  if (!conn->closed)
    write_next (conn);
  connection_unref (conn);
}

static void
write_next (Connection *conn)
{
  GBytes *bytes = NULL;

  if (conn->writing || conn->closed)
    return;

  if (g_queue_is_empty (&conn->writes))
    {
      if (conn->close_when_written)
        connection_close (conn);
      return;
    }

  bytes = g_queue_peek_head (&conn->writes);
  conn->writing = TRUE;
  g_output_stream_write_all_async (conn->output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, conn->cancellable, on_written, connection_ref (conn));
}

static void
conn_write (Connection *conn,
            const char *data,
            gsize       length)
{
  g_queue_push_tail (&conn->writes, g_bytes_new (data, length));
  write_next (conn);
}

static void
conn_write_text (Connection *conn,
                 const char *text)
{
  conn_write (conn, text, strlen (text));
}

/* Closes the connection once what is queued is written: the end of a
 * close-delimited body. */
static void
conn_end (Connection *conn)
{
  end_exchange (conn);
  conn->close_when_written = TRUE;
  write_next (conn);
}

/* Answers with a body of known length; the connection stays for the next
 * request. */
static void
respond (Connection *conn,
         guint       status,
         const char *content_type,
         const char *extra_headers,
         const char *body)
{
  g_autofree char *head = NULL;

  if (body == NULL)
    body = "";
  head = g_strdup_printf ("HTTP/1.1 %u %s\r\n%s%s%s%sContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                          status, status < 300 ? "OK" : "Refused",
                          content_type != NULL ? "Content-Type: " : "",
                          content_type != NULL ? content_type : "",
                          content_type != NULL ? "\r\n" : "",
                          extra_headers != NULL ? extra_headers : "",
                          strlen (body));
  conn_write_text (conn, head);
  conn_write_text (conn, body);
  end_exchange (conn);
  read_request (conn);
}

/* Starts an event stream that ends when the connection closes. */
static void
stream_start (Connection *conn,
              const char *extra_headers)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                           "Cache-Control: no-cache\r\nConnection: close\r\n%s\r\n",
                                           extra_headers != NULL ? extra_headers : "");

  conn_write_text (conn, head);
}

static char *
new_event (McFakeMcp  *self,
           const char *data)
{
  return g_strdup_printf ("id: e%u\ndata: %s\n\n", ++self->next_event, data);
}

static void
stream_event (Connection *conn,
              const char *data)
{
  g_autofree char *event = new_event (conn->server, data);

  conn_write_text (conn, event);
}

/* Timers {{{1 */

typedef struct
{
  Connection *conn;
  void      (*func) (Connection *conn, gpointer data);
  gpointer    data;
  GDestroyNotify destroy;
} Later;

static void
later_free (Later *later)
{
  connection_unref (later->conn);
  if (later->destroy != NULL)
    later->destroy (later->data);
  g_free (later);
}

static gboolean
on_later (gpointer user_data)
{
  Later *later = user_data;

  if (!later->conn->closed)
    later->func (later->conn, later->data);
  return G_SOURCE_REMOVE;
}

static void
do_later (Connection     *conn,
          guint           delay_ms,
          void          (*func) (Connection *conn, gpointer data),
          gpointer        data,
          GDestroyNotify  destroy)
{
  Later *later = g_new0 (Later, 1);
  guint id = 0;

  later->conn = connection_ref (conn);
  later->func = func;
  later->data = data;
  later->destroy = destroy;
  id = g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, on_later, later, (GDestroyNotify) later_free);
  g_array_append_val (conn->server->timers, id);
}

/* MCP {{{1 */

static char *
result_message (const char *id,
                const char *result)
{
  return g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}", id, result);
}

static char *
text_result (const char *id,
             const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);
  g_autofree char *quoted = json_to_string (node, FALSE);
  g_autofree char *result = g_strdup_printf ("{\"content\":[{\"type\":\"text\",\"text\":%s}]}", quoted);

  return result_message (id, result);
}

/* Answers a request with one message: JSON, or a stream of one event. */
static void
answer (Connection *conn,
        const char *message,
        const char *extra_headers)
{
  if (conn->server->options.json_responses)
    {
      respond (conn, 200, "application/json", extra_headers, message);
      return;
    }
  stream_start (conn, extra_headers);
  stream_event (conn, message);
  conn_end (conn);
}

static void
send_later_result (Connection *conn,
                   gpointer    data)
{
  if (conn->server->options.json_responses)
    {
      respond (conn, 200, "application/json", NULL, data);
      return;
    }
  stream_event (conn, data);
  conn_end (conn);
}

static gint64
int_argument (JsonObject *arguments,
              const char *name,
              gint64      default_value)
{
  if (arguments == NULL || !json_object_has_member (arguments, name))
    return default_value;
  return json_object_get_int_member (arguments, name);
}

static gboolean
bool_argument (JsonObject *arguments,
               const char *name,
               gboolean    default_value)
{
  if (arguments == NULL || !json_object_has_member (arguments, name))
    return default_value;
  return json_object_get_boolean_member (arguments, name);
}

/* url-required: the first `times` calls (of the whole server) fail with
 * -32042, each asking for one URL elicitation whose id and URL name the
 * call ("fake-elicitation-N"; no id with "ids": false, as a 2026-07-28
 * server would); the next one succeeds. */
static void
answer_url_required (Connection *conn,
                     const char *id,
                     JsonObject *arguments)
{
  McFakeMcp *self = conn->server;
  guint call = ++self->url_required_calls;
  g_autofree char *elicitation_id = g_strdup_printf ("fake-elicitation-%u", call);
  g_autofree char *message = NULL;

  if (call > int_argument (arguments, "times", 1))
    {
      g_autofree char *text = g_strdup_printf ("url-required done after %u calls", call);

      message = text_result (id, text);
    }
  else
    {
      g_autofree char *id_member = NULL;

      if (bool_argument (arguments, "ids", TRUE))
        id_member = g_strdup_printf ("\"elicitationId\":\"%s\",", elicitation_id);
      message = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32042,"
                                 "\"message\":\"This request requires more information.\",\"data\":{"
                                 "\"elicitations\":[{\"mode\":\"url\",%s"
                                 "\"url\":\"https://fake.example/confirm?elicitation=%s\","
                                 "\"message\":\"Confirm call %u\"}]}}}",
                                 id, id_member != NULL ? id_member : "", elicitation_id, call);
    }
  answer (conn, message, NULL);
}

/* input-required, as a MCP 2026-07-28 server answers (multi round-trip
 * requests): while the round in requestState ("round-N", none at first)
 * is below `times`, an InputRequiredResult asking for a URL-mode
 * elicitation "link-N" (its URL names the round, or is the same every
 * time with "same_url"), with "mixed" also a form-mode one ("form") only
 * the client can answer, with "broken" also a URL-mode one without a
 * URL; then a result whose text holds the inputResponses of the last
 * call, so that the test sees what reached the server. */
static void
answer_input_required (Connection *conn,
                       const char *id,
                       JsonObject *params,
                       JsonObject *arguments)
{
  const char *state = json_object_get_string_member_with_default (params, "requestState", "round-0");
  guint64 round = g_ascii_strtoull (state + strlen ("round-"), NULL, 10);
  g_autofree char *message = NULL;

  if (round >= (guint64)int_argument (arguments, "times", 1))
    {
      g_autofree char *responses = NULL;
      g_autofree char *text = NULL;

      if (json_object_has_member (params, "inputResponses"))
        responses = json_to_string (json_object_get_member (params, "inputResponses"), FALSE);
      text = g_strdup_printf ("input-required done after %" G_GUINT64_FORMAT " rounds: %s", round,
                              responses != NULL ? responses : "no answers");
      message = text_result (id, text);
    }
  else
    {
      g_autofree char *url = NULL;
      g_autoptr(GString) requests = g_string_new (NULL);

      if (bool_argument (arguments, "same_url", FALSE))
        url = g_strdup ("https://fake.example/connect?session=same");
      else
        url = g_strdup_printf ("https://fake.example/connect?round=%" G_GUINT64_FORMAT, round);
      g_string_append_printf (requests, "\"link-%" G_GUINT64_FORMAT "\":{\"method\":\"elicitation/create\","
                              "\"params\":{\"mode\":\"url\",\"url\":\"%s\",\"message\":\"Connect round %"
                              G_GUINT64_FORMAT "\"}}", round, url, round);
      if (bool_argument (arguments, "mixed", FALSE))
        g_string_append (requests, ",\"form\":{\"method\":\"elicitation/create\",\"params\":{\"mode\":\"form\","
                         "\"message\":\"Your name?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":"
                         "{\"name\":{\"type\":\"string\"}}}}}");
      if (bool_argument (arguments, "broken", FALSE))
        g_string_append (requests, ",\"broken\":{\"method\":\"elicitation/create\",\"params\":"
                         "{\"mode\":\"url\",\"message\":\"No link\"}}");
      message = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"resultType\":\"input_required\","
                                 "\"inputRequests\":{%s},\"requestState\":\"round-%" G_GUINT64_FORMAT "\"}}",
                                 id, requests->str, round + 1);
    }
  answer (conn, message, NULL);
}

static void
handle_tool (Connection *conn,
             const char *id,
             const char *name,
             JsonObject *arguments)
{
  McFakeMcp *self = conn->server;

  if (g_str_equal (name, "echo"))
    {
      g_autofree char *message = text_result (id, json_object_get_string_member_with_default (arguments, "text", ""));

      answer (conn, message, NULL);
    }
  else if (g_str_equal (name, "notify"))
    {
      /* Notifications about the request on its stream, then the result. */
      gint64 count = int_argument (arguments, "count", 3);
      g_autofree char *message = text_result (id, "notified");

      stream_start (conn, NULL);
      for (gint64 i = 1; i <= count; i++)
        {
          g_autofree char *notification = NULL;

          notification = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
                                          "{\"progressToken\":%s,\"progress\":%" G_GINT64_FORMAT ",\"total\":%"
                                          G_GINT64_FORMAT "}}", id, i, count);
          stream_event (conn, notification);
        }
      stream_event (conn, message);
      conn_end (conn);
    }
  else if (g_str_equal (name, "slow"))
    {
      gint64 delay = int_argument (arguments, "delay_ms", 100);
      char *message = text_result (id, "slow");

      if (!self->options.json_responses)
        {
          /* Primed at once, answered later. */
          stream_start (conn, NULL);
          conn_write_text (conn, ": working\n\n");
        }
      do_later (conn, delay, send_later_result, message, g_free);
    }
  else if (g_str_equal (name, "garbage"))
    {
      g_autofree char *message = text_result (id, "after the garbage");
      const char garbage[] = "\x00\xff\xfe garbage \x01\r\n:comment\nfoo: bar\n"
                             "event: other\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"ignored\"}\n\n"
                             "data: not json\n\ndata: [1,2]\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":999,\"result\":{}}\n\n";

      stream_start (conn, NULL);
      conn_write (conn, garbage, sizeof garbage - 1);
      stream_event (conn, message);
      conn_end (conn);
    }
  else if (g_str_equal (name, "close-midstream"))
    {
      /* SEP-1699: a priming event with an id and a retry, a message, then
       * the connection closes; the result waits for a GET with the last
       * id. */
      gint64 retry = int_argument (arguments, "retry_ms", 50);
      g_autofree char *priming = g_strdup_printf ("id: p%u\nretry: %" G_GINT64_FORMAT "\ndata:\n\n",
                                                  ++self->next_event, retry);
      g_autofree char *notification = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                                                       "\"params\":{\"progressToken\":%s,\"progress\":1}}", id);
      g_autofree char *last_id = g_strdup_printf ("n%u", ++self->next_event);
      g_autofree char *event = g_strdup_printf ("id: %s\ndata: %s\n\n", last_id, notification);
      g_autofree char *message = text_result (id, "resumed");
      GPtrArray *replay = g_ptr_array_new_with_free_func (g_free);

      g_ptr_array_add (replay, new_event (self, message));
      g_hash_table_insert (self->resume, g_steal_pointer (&last_id), replay);
      stream_start (conn, NULL);
      conn_write_text (conn, priming);
      conn_write_text (conn, event);
      conn_end (conn);
    }
  else if (g_str_equal (name, "abort"))
    {
      /* A chunked body cut off inside a chunk, without an event id. */
      conn_write_text (conn, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "20\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":");
      conn_end (conn);
    }
  else if (g_str_equal (name, "huge"))
    {
      gint64 size = int_argument (arguments, "size", 100000);
      g_autofree char *filler = g_strnfill (size, 'x');
      g_autofree char *notification = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                                                       "\"params\":{\"level\":\"info\",\"data\":\"%s\"}}", filler);

      stream_start (conn, NULL);
      stream_event (conn, notification);
      conn_end (conn);
    }
  else if (g_str_equal (name, "url-required"))
    {
      answer_url_required (conn, id, arguments);
    }
  else if (g_str_equal (name, "http-500"))
    {
      respond (conn, 500, "application/json", NULL,
               "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"The tool broke\"}}");
    }
  else if (g_str_equal (name, "redirect"))
    {
      respond (conn, 307, NULL, "Location: /moved/mcp?key=secret\r\n", NULL);
    }
  else if (g_str_equal (name, "html"))
    {
      respond (conn, 200, "text/html", NULL, "<html><body>Welcome</body></html>");
    }
  else if (g_str_equal (name, "expire"))
    {
      respond (conn, 404, "application/json", NULL,
               "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":\"Session not found\"}}");
    }
  else
    {
      g_autofree char *message = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":"
                                                  "{\"code\":-32602,\"message\":\"Unknown tool\"}}", id);

      answer (conn, message, NULL);
    }
}

static void
handle_post (Connection    *conn,
             McFakeRequest *request,
             JsonObject    *message)
{
  McFakeMcp *self = conn->server;
  g_autofree char *id = NULL;
  const char *session = mc_fake_request_header (request, "Mcp-Session-Id");
  const char *version = mc_fake_request_header (request, "MCP-Protocol-Version");
  const char *accept = mc_fake_request_header (request, "Accept");

  if (accept == NULL || strstr (accept, "application/json") == NULL || strstr (accept, "text/event-stream") == NULL)
    {
      respond (conn, 406, "text/plain", NULL, "Accept must list application/json and text/event-stream");
      return;
    }

  if (json_object_has_member (message, "id"))
    id = json_to_string (json_object_get_member (message, "id"), FALSE);

  if (g_strcmp0 (request->rpc_method, "initialize") == 0)
    {
      g_autofree char *result = NULL;
      g_autofree char *response = NULL;
      g_autofree char *headers = NULL;

      if (self->options.initialize_status != 0)
        {
          respond (conn, self->options.initialize_status, "text/plain", NULL, "Not here");
          return;
        }
      result = g_strdup_printf ("{\"protocolVersion\":\"%s\",\"capabilities\":{\"tools\":{}},"
                                "\"serverInfo\":{\"name\":\"fake-mcp\",\"title\":\"Fake MCP\",\"version\":\"0.1\"}}",
                                self->protocol_version);
      response = result_message (id, result);
      headers = g_strdup_printf ("Mcp-Session-Id: %s\r\n", self->session_id);
      conn->exchange_open = TRUE;
      self->open_exchanges++;
      answer (conn, response, headers);
      return;
    }

  /* After the handshake, the session and the version the server chose. */
  if (g_strcmp0 (session, self->session_id) != 0)
    {
      respond (conn, 400, "text/plain", NULL, "Missing or unknown Mcp-Session-Id");
      return;
    }
  if (g_strcmp0 (version, self->protocol_version) != 0)
    {
      respond (conn, 400, "text/plain", NULL, "Unsupported MCP-Protocol-Version");
      return;
    }

  if (!json_object_has_member (message, "method") || id == NULL)
    {
      respond (conn, 202, NULL, NULL, NULL);
      return;
    }

  conn->exchange_open = TRUE;
  self->open_exchanges++;
  self->max_concurrent = MAX (self->max_concurrent, self->open_exchanges);

  if (g_str_equal (request->rpc_method, "tools/call"))
    {
      JsonObject *params = json_object_get_object_member (message, "params");
      JsonObject *arguments = json_object_has_member (params, "arguments")
                                ? json_object_get_object_member (params, "arguments") : NULL;

      if (g_str_equal (json_object_get_string_member (params, "name"), "input-required"))
        answer_input_required (conn, id, params, arguments);
      else
        handle_tool (conn, id, json_object_get_string_member (params, "name"), arguments);
      return;
    }

  {
    g_autofree char *response = result_message (id, "{}");

    answer (conn, response, NULL);
  }
}

static void
handle_get (Connection    *conn,
            McFakeRequest *request)
{
  McFakeMcp *self = conn->server;
  const char *last_event_id = mc_fake_request_header (request, "Last-Event-ID");
  GPtrArray *replay = NULL;

  if (self->options.get_status != 0)
    {
      respond (conn, self->options.get_status, NULL, NULL, NULL);
      return;
    }
  if (g_strcmp0 (mc_fake_request_header (request, "Mcp-Session-Id"), self->session_id) != 0 ||
      g_strcmp0 (mc_fake_request_header (request, "MCP-Protocol-Version"), self->protocol_version) != 0)
    {
      respond (conn, 400, "text/plain", NULL, "Missing session or version");
      return;
    }

  /* Resuming a request's stream: what it missed, then its end. */
  if (last_event_id != NULL && (replay = g_hash_table_lookup (self->resume, last_event_id)) != NULL)
    {
      stream_start (conn, NULL);
      for (guint i = 0; i < replay->len; i++)
        conn_write_text (conn, replay->pdata[i]);
      g_hash_table_remove (self->resume, last_event_id);
      conn_end (conn);
      return;
    }

  if (self->standalone != NULL)
    {
      respond (conn, 409, "text/plain", NULL, "Only one stream per session");
      return;
    }

  self->get_streams++;
  stream_start (conn, NULL);
  if (self->options.get_retry_ms != 0 && self->get_streams == 1)
    {
      g_autofree char *priming = g_strdup_printf ("id: g1\nretry: %u\ndata:\n\n", self->options.get_retry_ms);

      conn_write_text (conn, priming);
      conn_write_text (conn, "id: g2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                             "\"params\":{\"level\":\"info\",\"data\":\"before\"}}\n\n");
      conn_end (conn);
      return;
    }
  if (self->options.get_retry_ms != 0)
    conn_write_text (conn, "id: g3\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                           "\"params\":{\"level\":\"info\",\"data\":\"after\"}}\n\n");
  else
    stream_event (conn, "");

  conn->is_standalone = TRUE;
  self->standalone = conn;
}

/* The 2024-11-05 transport: a stream at GET, messages posted to its
 * endpoint, every answer on the stream. */
static void
handle_legacy (Connection    *conn,
               McFakeRequest *request,
               JsonObject    *message)
{
  McFakeMcp *self = conn->server;
  g_autofree char *id = NULL;

  if (g_str_equal (request->method, "GET") && g_str_equal (request->path, "/mcp"))
    {
      stream_start (conn, NULL);
      conn_write_text (conn, "event: endpoint\ndata: " LEGACY_ENDPOINT "\n\n");
      conn->is_standalone = TRUE;
      self->standalone = conn;
      return;
    }

  if (!g_str_equal (request->method, "POST") || !g_str_equal (request->path, LEGACY_ENDPOINT) ||
      message == NULL)
    {
      respond (conn, g_str_equal (request->path, "/mcp") ? 405 : 404, NULL, NULL, NULL);
      return;
    }

  respond (conn, 202, NULL, NULL, "Accepted");
  if (self->standalone == NULL || !json_object_has_member (message, "id") ||
      !json_object_has_member (message, "method"))
    return;

  id = json_to_string (json_object_get_member (message, "id"), FALSE);
  if (g_strcmp0 (request->rpc_method, "initialize") == 0)
    {
      g_autofree char *result = g_strdup_printf ("{\"protocolVersion\":\"2024-11-05\",\"capabilities\":{},"
                                                 "\"serverInfo\":{\"name\":\"fake-legacy\",\"version\":\"0.1\"}}");
      g_autofree char *response = result_message (id, result);
      g_autofree char *event = g_strdup_printf ("event: message\ndata: %s\n\n", response);

      conn_write_text (self->standalone, event);
      return;
    }

  {
    g_autofree char *notification = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                                                     "\"params\":{\"level\":\"info\",\"data\":\"for %s\"}}", id);
    g_autofree char *response = text_result (id, "legacy");
    g_autofree char *event1 = g_strdup_printf ("event: message\ndata: %s\n\n", notification);
    g_autofree char *event2 = g_strdup_printf ("event: message\ndata: %s\n\n", response);

    conn_write_text (self->standalone, event1);
    conn_write_text (self->standalone, event2);
  }
}

static void
handle (Connection    *conn,
        McFakeRequest *request)
{
  McFakeMcp *self = conn->server;
  g_autoptr(JsonNode) body = NULL;
  JsonObject *message = NULL;
  McFakeRequest *record = g_new0 (McFakeRequest, 1);

  if (request->body[0] != '\0')
    body = json_from_string (request->body, NULL);
  if (body != NULL && JSON_NODE_HOLDS_OBJECT (body))
    {
      message = json_node_get_object (body);
      request->rpc_method = g_strdup (json_object_get_string_member_with_default (message, "method", NULL));
    }

  record->method = g_strdup (request->method);
  record->path = g_strdup (request->path);
  record->proxied_origin = g_strdup (request->proxied_origin);
  record->headers = g_hash_table_ref (request->headers);
  record->body = g_strdup (request->body);
  record->rpc_method = g_strdup (request->rpc_method);
  record->time = request->time;
  g_ptr_array_add (self->requests, record);

  if (self->options.legacy)
    {
      handle_legacy (conn, request, message);
      return;
    }

  /* A query is the client's business (a key, say): the endpoint is /mcp. */
  if (strncmp (request->path, "/mcp", 4) != 0 || (request->path[4] != '\0' && request->path[4] != '?'))
    {
      respond (conn, 404, NULL, NULL, NULL);
      return;
    }

  if (g_str_equal (request->method, "DELETE"))
    respond (conn, 200, NULL, NULL, NULL);
  else if (g_str_equal (request->method, "GET"))
    handle_get (conn, request);
  else if (g_str_equal (request->method, "POST") && message != NULL)
    handle_post (conn, request, message);
  else
    respond (conn, 400, "text/plain", NULL, "Not a JSON-RPC message");
}

/* Reading requests {{{1 */

static void
on_body (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Connection *conn = user_data;
  g_autoptr(McFakeRequest) request = NULL;
  gsize read = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source_object), result, &read, NULL) || conn->closed ||
      read != conn->content_length)
    {
      connection_close (conn);
      connection_unref (conn);
      return;
    }

  request = g_steal_pointer (&conn->request);
  handle (conn, request);
  connection_unref (conn);
}

static void
on_header_line (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Connection *conn = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source_object), result, NULL, NULL);
  if (line == NULL || conn->closed)
    {
      /* The client closed the connection, or it was closed here. */
      connection_close (conn);
      connection_unref (conn);
      return;
    }

  if (conn->request == NULL)
    {
      g_auto(GStrv) parts = g_strsplit (line, " ", 3);

      if (g_strv_length (parts) != 3)
        g_error ("The fake MCP server got a bad request line: %s", line);
      conn->request = g_new0 (McFakeRequest, 1);
      conn->request->method = g_strdup (parts[0]);
      if (g_str_has_prefix (parts[1], "http://"))
        {
          const char *path = strchr (parts[1] + strlen ("http://"), '/');

          if (path == NULL)
            g_error ("The fake MCP server got a bad request line: %s", line);
          conn->request->proxied_origin = g_strndup (parts[1], path - parts[1]);
          conn->request->path = g_strdup (path);
        }
      else
        conn->request->path = g_strdup (parts[1]);
      conn->request->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      conn->request->time = g_get_monotonic_time ();
      conn->content_length = 0;
    }
  else if (*line != '\0')
    {
      char *colon = strchr (line, ':');

      if (colon == NULL)
        g_error ("The fake MCP server got a bad header line: %s", line);
      *colon = '\0';
      g_hash_table_insert (conn->request->headers, g_ascii_strdown (line, -1), g_strdup (g_strstrip (colon + 1)));
      if (g_ascii_strcasecmp (line, "Content-Length") == 0)
        conn->content_length = g_ascii_strtoull (g_strstrip (colon + 1), NULL, 10);
    }
  else
    {
      conn->request->body = g_malloc0 (conn->content_length + 1);
      g_input_stream_read_all_async (G_INPUT_STREAM (conn->input), conn->request->body, conn->content_length,
                                     G_PRIORITY_DEFAULT, conn->cancellable, on_body, conn);
      return;
    }

  g_data_input_stream_read_line_async (conn->input, G_PRIORITY_DEFAULT, conn->cancellable, on_header_line, conn);
}

static void
read_request (Connection *conn)
{
  if (conn->closed)
    return;
  g_data_input_stream_read_line_async (conn->input, G_PRIORITY_DEFAULT, conn->cancellable, on_header_line,
                                       connection_ref (conn));
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  McFakeMcp *self = user_data;
  Connection *conn = g_new0 (Connection, 1);

  live_connections++;
  g_ref_count_init (&conn->ref_count);
  conn->server = self;
  conn->connection = g_object_ref (connection);
  conn->cancellable = g_cancellable_new ();
  conn->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (conn->input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  conn->output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_queue_init (&conn->writes);
  g_ptr_array_add (self->connections, conn);
  read_request (conn);
  return TRUE;
}

/* The server {{{1 */

/**
 * mc_fake_mcp_new:
 * @options: (nullable): how it behaves; %NULL for a well-behaved server
 *
 * Returns: (transfer full): a server listening on 127.0.0.1, on a port the
 *   system picked, in the test's main context
 */
McFakeMcp *
mc_fake_mcp_new (const McFakeMcpOptions *options)
{
  McFakeMcp *self = g_new0 (McFakeMcp, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  if (options != NULL)
    self->options = *options;
  self->protocol_version = g_strdup (self->options.protocol_version != NULL ? self->options.protocol_version
                                                                          : "2025-06-18");
  self->session_id = g_strdup ("fake-session-1");
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  self->connections = g_ptr_array_new_with_free_func ((GDestroyNotify) connection_unref);
  self->resume = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->timers = g_array_new (FALSE, FALSE, sizeof (guint));

  self->service = g_socket_service_new ();
  /* GIO's default backlog is 10; the bridge opens dozens of connections
   * at once, and an overflowing accept queue resets some. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->service), 256);
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);

  self->url = g_strdup_printf ("http://127.0.0.1:%u/mcp",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  return self;
}

static gboolean
no_live_connections (gpointer user_data)
{
  return live_connections == 0;
}

void
mc_fake_mcp_free (McFakeMcp *self)
{
  if (self == NULL)
    return;

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_signal_handlers_disconnect_by_data (self->service, self);
  while (self->connections->len > 0)
    connection_close (self->connections->pdata[self->connections->len - 1]);

  /* Timers still pending go now; I/O under way sees its cancellation. */
  for (guint i = 0; i < self->timers->len; i++)
    {
      GSource *source = g_main_context_find_source_by_id (NULL, g_array_index (self->timers, guint, i));

      if (source != NULL)
        g_source_destroy (source);
    }
  mc_test_wait_until (no_live_connections, NULL, "the fake MCP server's connections to go");

  g_clear_object (&self->service);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_clear_pointer (&self->connections, g_ptr_array_unref);
  g_clear_pointer (&self->resume, g_hash_table_unref);
  g_clear_pointer (&self->timers, g_array_unref);
  g_free (self->protocol_version);
  g_free (self->session_id);
  g_free (self->url);
  g_free (self);
}

const char *
mc_fake_mcp_get_url (McFakeMcp *self)
{
  return self->url;
}

const char *
mc_fake_mcp_get_session_id (McFakeMcp *self)
{
  return self->session_id;
}

/**
 * mc_fake_mcp_get_requests:
 * @self: a #McFakeMcp
 *
 * Returns: (transfer none) (element-type McFakeRequest): every request
 *   received, in order
 */
GPtrArray *
mc_fake_mcp_get_requests (McFakeMcp *self)
{
  return self->requests;
}

static gboolean
request_matches (McFakeRequest *request,
                 const char    *method,
                 const char    *rpc_method)
{
  return (method == NULL || g_str_equal (request->method, method)) &&
         (rpc_method == NULL || g_strcmp0 (request->rpc_method, rpc_method) == 0);
}

/**
 * mc_fake_mcp_count:
 * @self: a #McFakeMcp
 * @method: (nullable): an HTTP method, or %NULL for any
 * @rpc_method: (nullable): a JSON-RPC method, or %NULL for any
 *
 * Returns: how many such requests came
 */
guint
mc_fake_mcp_count (McFakeMcp  *self,
                   const char *method,
                   const char *rpc_method)
{
  guint count = 0;

  for (guint i = 0; i < self->requests->len; i++)
    {
      if (request_matches (self->requests->pdata[i], method, rpc_method))
        count++;
    }
  return count;
}

typedef struct
{
  McFakeMcp  *self;
  const char *method;
  const char *rpc_method;
  guint       nth;
} RequestWait;

static gboolean
has_request (gpointer user_data)
{
  RequestWait *wait = user_data;

  return mc_fake_mcp_count (wait->self, wait->method, wait->rpc_method) > wait->nth;
}

/**
 * mc_fake_mcp_wait_request:
 * @self: a #McFakeMcp
 * @method: (nullable): an HTTP method, or %NULL for any
 * @rpc_method: (nullable): a JSON-RPC method, or %NULL for any
 * @nth: which of them, from 0
 *
 * Returns: (transfer none): the request, once it came
 */
McFakeRequest *
mc_fake_mcp_wait_request (McFakeMcp  *self,
                          const char *method,
                          const char *rpc_method,
                          guint       nth)
{
  RequestWait wait = { self, method, rpc_method, nth };
  guint seen = 0;

  mc_test_wait_until (has_request, &wait, "a request to the fake MCP server");
  for (guint i = 0; i < self->requests->len; i++)
    {
      if (request_matches (self->requests->pdata[i], method, rpc_method) && seen++ == nth)
        return self->requests->pdata[i];
    }
  g_assert_not_reached ();
}

/* The JSON-RPC response in @request's body with the id @id_json, if it is one. */
static JsonObject *
parse_client_response (McFakeRequest *request,
                       const char    *id_json)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *id = NULL;
  JsonObject *object = NULL;

  if (!g_str_equal (request->method, "POST") || request->rpc_method != NULL)
    return NULL;
  node = json_from_string (request->body, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  object = json_node_get_object (node);
  if (!json_object_has_member (object, "id") ||
      (!json_object_has_member (object, "result") && !json_object_has_member (object, "error")))
    return NULL;
  id = json_to_string (json_object_get_member (object, "id"), FALSE);
  return g_str_equal (id, id_json) ? json_object_ref (object) : NULL;
}

/**
 * mc_fake_mcp_find_client_response:
 * @self: a #McFakeMcp
 * @id_json: the id of a request the server sent, as JSON text
 *
 * Returns: (transfer full) (nullable): the client's response to it, if it
 *   came
 */
JsonObject *
mc_fake_mcp_find_client_response (McFakeMcp  *self,
                                  const char *id_json)
{
  for (guint i = 0; i < self->requests->len; i++)
    {
      JsonObject *response = parse_client_response (self->requests->pdata[i], id_json);

      if (response != NULL)
        return response;
    }
  return NULL;
}

typedef struct
{
  McFakeMcp  *self;
  const char *id_json;
  JsonObject *response;
} ClientResponseWait;

static gboolean
has_client_response (gpointer user_data)
{
  ClientResponseWait *wait = user_data;

  wait->response = mc_fake_mcp_find_client_response (wait->self, wait->id_json);
  return wait->response != NULL;
}

/**
 * mc_fake_mcp_wait_client_response:
 * @self: a #McFakeMcp
 * @id_json: the id of a request the server sent, as JSON text
 *
 * Returns: (transfer full): the client's response to it, once it came
 */
JsonObject *
mc_fake_mcp_wait_client_response (McFakeMcp  *self,
                                  const char *id_json)
{
  ClientResponseWait wait = { self, id_json, NULL };

  mc_test_wait_until (has_client_response, &wait, "the client's response to the fake MCP server");
  return wait.response;
}

static gboolean
stream_open (gpointer user_data)
{
  return ((McFakeMcp *) user_data)->standalone != NULL;
}

/**
 * mc_fake_mcp_wait_stream_open:
 * @self: a #McFakeMcp
 *
 * Waits until the client holds the standalone stream (or, for the
 * 2024-11-05 transport, its one stream).
 */
void
mc_fake_mcp_wait_stream_open (McFakeMcp *self)
{
  mc_test_wait_until (stream_open, self, "the bridge to open the standalone stream");
}

/**
 * mc_fake_mcp_push:
 * @self: a #McFakeMcp
 * @message: a JSON-RPC message, on one line
 *
 * Sends a message of the server's own on the standalone stream.
 */
void
mc_fake_mcp_push (McFakeMcp  *self,
                  const char *message)
{
  g_autofree char *event = NULL;

  g_assert_nonnull (self->standalone);
  event = new_event (self, message);
  self->pushed_bytes += strlen (event);
  conn_write_text (self->standalone, event);
}

guint64
mc_fake_mcp_get_pushed_bytes (McFakeMcp *self)
{
  return self->pushed_bytes;
}

/**
 * mc_fake_mcp_get_written_bytes:
 * @self: a #McFakeMcp
 *
 * Returns: how much of the standalone stream reached the socket: what
 *   the client read, and what the kernel holds for it
 */
guint64
mc_fake_mcp_get_written_bytes (McFakeMcp *self)
{
  return self->written_bytes;
}

/**
 * mc_fake_mcp_get_max_concurrent:
 * @self: a #McFakeMcp
 *
 * Returns: the most requests the server was answering at one time
 */
guint
mc_fake_mcp_get_max_concurrent (McFakeMcp *self)
{
  return self->max_concurrent;
}
