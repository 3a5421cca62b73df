/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* mcp-consent-bridge from the build tree, driven as an MCP client drives
 * it (JSON-RPC lines on stdin, stdout read line by line), against a
 * scripted MCP server in the test (mc-fake-mcp.c) that can misbehave in
 * ways real servers do: garbage in event streams, streams closed before
 * their response, errors, a server that is not there.  What is checked
 * is what a user or an MCP client would notice: responses, their ids and
 * order, error responses and the one line on stderr, the exit status,
 * and what reached the server (headers, DELETE, resumption). */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mc-bridge.h"
#include "mc-fake-mcp.h"
#include "mc-test-bridge.h"

#define CLIENT_VERSION "2025-11-25"
#define SERVER_VERSION "2025-06-18"

static McTestEnv *
new_env (void)
{
  return mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
}


static void
assert_contains (const char *text,
                 const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("“%s” does not contain “%s”", text, part);
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\n')
        n++;
    }
  return n;
}

/* The index of the line with the response to @id_json. */
static guint
response_index (McTestBridge *bridge,
                const char   *id_json)
{
  JsonObject *response = mc_test_bridge_find_response (bridge, id_json);

  g_assert_nonnull (response);
  for (guint i = 0; i < mc_test_bridge_count_lines (bridge); i++)
    {
      if (mc_test_bridge_get_line (bridge, i) == response)
        return i;
    }
  g_assert_not_reached ();
}

/* Closes stdin and waits for the exit. */
static void
finish (McTestBridge *bridge,
        int           expected_status)
{
  mc_test_bridge_close_stdin (bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, expected_status);
}

/* A session {{{1 */

static void
test_bridge_session (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  McFakeRequest *initialize = NULL;
  McFakeRequest *get = NULL;
  McFakeRequest *call = NULL;
  McFakeRequest *delete = NULL;
  JsonObject *result = NULL;
  guint response = 0;

  result = mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  g_assert_cmpstr (json_object_get_string_member (result, "protocolVersion"), ==, SERVER_VERSION);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "serverInfo"), "name"), ==,
                   "fake-mcp");

  /* initialize goes with neither session nor version. */
  initialize = mc_fake_mcp_wait_request (server, "POST", "initialize", 0);
  g_assert_null (mc_fake_request_header (initialize, "Mcp-Session-Id"));
  g_assert_null (mc_fake_request_header (initialize, "MCP-Protocol-Version"));
  assert_contains (mc_fake_request_header (initialize, "Accept"), "application/json");
  assert_contains (mc_fake_request_header (initialize, "Accept"), "text/event-stream");
  assert_contains (mc_fake_request_header (initialize, "Content-Type"), "application/json");

  /* After notifications/initialized, the standalone stream, with the
   * session and the version the server chose. */
  get = mc_fake_mcp_wait_request (server, "GET", NULL, 0);
  g_assert_cmpstr (mc_fake_request_header (get, "Mcp-Session-Id"), ==, mc_fake_mcp_get_session_id (server));
  g_assert_cmpstr (mc_fake_request_header (get, "MCP-Protocol-Version"), ==, SERVER_VERSION);
  assert_contains (mc_fake_request_header (get, "Accept"), "text/event-stream");
  g_assert_null (mc_fake_request_header (get, "Last-Event-ID"));
  g_assert_cmpint (mc_fake_mcp_wait_request (server, "POST", "notifications/initialized", 0)->time, <=, get->time);

  /* Notifications about a request on its stream come before its result,
   * in order. */
  mc_test_bridge_call_tool (bridge, "1", "notify", "{\"count\":3}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==, "notified");
  response = response_index (bridge, "1");
  g_assert_cmpuint (response, >=, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *notification = mc_test_bridge_get_line (bridge, response - 3 + i);
      JsonObject *params = json_object_get_object_member (notification, "params");

      g_assert_cmpstr (json_object_get_string_member (notification, "method"), ==, "notifications/progress");
      g_assert_cmpint (json_object_get_int_member (params, "progressToken"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (params, "progress"), ==, i + 1);
    }
  call = mc_fake_mcp_wait_request (server, "POST", "tools/call", 0);
  g_assert_cmpstr (mc_fake_request_header (call, "Mcp-Session-Id"), ==, mc_fake_mcp_get_session_id (server));
  g_assert_cmpstr (mc_fake_request_header (call, "MCP-Protocol-Version"), ==, SERVER_VERSION);

  /* A message of the server's own, on the standalone stream. */
  mc_fake_mcp_wait_stream_open (server);
  mc_fake_mcp_push (server, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}");
  {
    guint before = mc_test_bridge_count_lines (bridge);
    JsonObject *pushed = mc_test_bridge_wait_line (bridge, before);

    g_assert_cmpstr (json_object_get_string_member (pushed, "method"), ==, "notifications/tools/list_changed");
  }

  /* stdin ends: the session ends with DELETE, and the bridge with 0. */
  finish (bridge, 0);
  g_assert_cmpuint (mc_fake_mcp_count (server, "DELETE", NULL), ==, 1);
  delete = mc_fake_mcp_wait_request (server, "DELETE", NULL, 0);
  g_assert_cmpstr (mc_fake_request_header (delete, "Mcp-Session-Id"), ==, mc_fake_mcp_get_session_id (server));
  /* Nothing for people when all goes well. */
  g_assert_cmpstr (mc_test_bridge_get_stderr (bridge), ==, "");
}

static void
test_bridge_json_responses (void)
{
  McFakeMcpOptions options = { .json_responses = TRUE };
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (&options);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "\"call-1\"", "echo", "{\"text\":\"über \\\"quoted\\\" ☃\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "\"call-1\"")), ==, "über \"quoted\" ☃");
  mc_test_bridge_call_tool (bridge, "2", "slow", "{\"delay_ms\":20}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "2")), ==, "slow");
  finish (bridge, 0);
  g_assert_cmpuint (mc_fake_mcp_count (server, "DELETE", NULL), ==, 1);
}

/* Many requests at once: each answered once, to its id, with its own
 * notifications before it; never more under way than the bridge allows. */
static void
test_bridge_concurrent (void)
{
  const guint n = 200;
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  for (guint i = 0; i < n; i++)
    {
      char *id = i % 2 == 0 ? g_strdup_printf ("%u", 1000 + i) : g_strdup_printf ("\"r-%u\"", i);

      g_ptr_array_add (ids, id);
      if (i % 5 == 0)
        mc_test_bridge_call_tool (bridge, id, "notify", "{\"count\":2}");
      else
        {
          g_autofree char *arguments = g_strdup_printf ("{\"delay_ms\":%u}", (i * 37) % 60);

          mc_test_bridge_call_tool (bridge, id, "slow", arguments);
        }
    }

  for (guint i = 0; i < n; i++)
    {
      const char *id = ids->pdata[i];
      JsonObject *response = mc_test_bridge_wait_response (bridge, id);

      g_assert_cmpstr (mc_test_bridge_result_text (response), ==, i % 5 == 0 ? "notified" : "slow");
    }

  finish (bridge, 0);
  for (guint i = 0; i < n; i++)
    {
      const char *id = ids->pdata[i];

      g_assert_cmpuint (mc_test_bridge_count_responses (bridge, id), ==, 1);
      if (i % 5 == 0)
        {
          guint response = response_index (bridge, id);
          guint seen = 0;

          /* Both notifications of this request, in order, before it. */
          for (guint line = 0; line < response; line++)
            {
              JsonObject *message = mc_test_bridge_get_line (bridge, line);
              g_autofree char *token = NULL;

              if (g_strcmp0 (json_object_get_string_member_with_default (message, "method", NULL),
                             "notifications/progress") != 0)
                continue;
              token = json_to_string (json_object_get_member (json_object_get_object_member (message, "params"),
                                                              "progressToken"), FALSE);
              if (!g_str_equal (token, id))
                continue;
              g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (message, "params"),
                                                           "progress"), ==, ++seen);
            }
          g_assert_cmpuint (seen, ==, 2);
        }
    }
  /* initialize, then n responses and n / 5 × 2 notifications: nothing
   * else, nothing twice. */
  g_assert_cmpuint (mc_test_bridge_count_lines (bridge), ==, 1 + n + n / 5 * 2);
  g_assert_cmpuint (mc_fake_mcp_count (server, "POST", "tools/call"), ==, n);
  g_assert_cmpuint (mc_fake_mcp_get_max_concurrent (server), >, 1);
  g_assert_cmpuint (mc_fake_mcp_get_max_concurrent (server), <=, MC_BRIDGE_MAX_IN_FLIGHT);
}

/* Bad input from the server {{{1 */

static void
test_bridge_garbage_sse (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "1", "garbage", NULL);
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==, "after the garbage");
  mc_test_bridge_call_tool (bridge, "2", "echo", "{\"text\":\"still here\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "2")), ==, "still here");
  finish (bridge, 0);

  /* What was not a message for the client never reached it: not the
   * event of another type, not the response to a request never sent. */
  g_assert_cmpuint (mc_test_bridge_count_lines (bridge), ==, 3);
  g_assert_null (mc_test_bridge_find_response (bridge, "999"));
  assert_contains (mc_test_bridge_get_stderr (bridge), "not a JSON-RPC message");
  assert_contains (mc_test_bridge_get_stderr (bridge), "answers no request waiting");
}

static void
test_bridge_stream_cut (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  JsonObject *response = NULL;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  /* Cut off mid-chunk, with no event id to resume from: the request is
   * answered with an error, and the bridge goes on. */
  mc_test_bridge_call_tool (bridge, "1", "abort", NULL);
  response = mc_test_bridge_wait_response (bridge, "1");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32000);
  assert_contains (mc_test_bridge_error_message (response), "closed the stream of request 1 (tools/call)");
  mc_test_bridge_call_tool (bridge, "2", "echo", "{\"text\":\"next\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "2")), ==, "next");
  finish (bridge, 0);
  g_assert_cmpuint (mc_test_bridge_count_responses (bridge, "1"), ==, 1);
}

/* SEP-1699: the stream of a request closes after a priming event with an
 * id and a retry; the bridge waits that long and resumes with a GET that
 * names the last event. */
static void
test_bridge_resume_request (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  McFakeRequest *call = NULL;
  McFakeRequest *resume = NULL;
  const char *last_event_id = NULL;
  guint response = 0;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_fake_mcp_wait_stream_open (server);
  mc_test_bridge_call_tool (bridge, "1", "close-midstream", "{\"retry_ms\":300}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==, "resumed");

  call = mc_fake_mcp_wait_request (server, "POST", "tools/call", 0);
  /* The standalone stream is the first GET; the resumption the second. */
  resume = mc_fake_mcp_wait_request (server, "GET", NULL, 1);
  last_event_id = mc_fake_request_header (resume, "Last-Event-ID");
  g_assert_nonnull (last_event_id);
  g_assert_true (last_event_id[0] == 'n');
  g_assert_cmpstr (mc_fake_request_header (resume, "Mcp-Session-Id"), ==, mc_fake_mcp_get_session_id (server));
  g_assert_cmpint (resume->time - call->time, >=, 300 * 1000);

  /* The message before the cut, then the result, once. */
  response = response_index (bridge, "1");
  g_assert_cmpstr (json_object_get_string_member (mc_test_bridge_get_line (bridge, response - 1), "method"), ==,
                   "notifications/progress");
  finish (bridge, 0);
  g_assert_cmpuint (mc_test_bridge_count_responses (bridge, "1"), ==, 1);
}

static void
test_bridge_resume_standalone (void)
{
  McFakeMcpOptions options = { .get_retry_ms = 250 };
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (&options);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  McFakeRequest *first = NULL;
  McFakeRequest *second = NULL;
  JsonObject *before = NULL;
  JsonObject *after = NULL;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  first = mc_fake_mcp_wait_request (server, "GET", NULL, 0);
  second = mc_fake_mcp_wait_request (server, "GET", NULL, 1);
  g_assert_null (mc_fake_request_header (first, "Last-Event-ID"));
  g_assert_cmpstr (mc_fake_request_header (second, "Last-Event-ID"), ==, "g2");
  g_assert_cmpint (second->time - first->time, >=, 250 * 1000);

  /* The initialize response, then the message before the drop and the
   * one after, each once. */
  before = mc_test_bridge_wait_line (bridge, 1);
  after = mc_test_bridge_wait_line (bridge, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (before, "params"), "data"), ==,
                   "before");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (after, "params"), "data"), ==,
                   "after");
  finish (bridge, 0);
  g_assert_cmpuint (mc_test_bridge_count_lines (bridge), ==, 3);
}

static void
test_bridge_no_standalone (void)
{
  McFakeMcpOptions options = { .get_status = 405 };
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (&options);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_fake_mcp_wait_request (server, "GET", NULL, 0);
  mc_test_bridge_call_tool (bridge, "1", "echo", "{\"text\":\"fine\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==, "fine");
  finish (bridge, 0);
  /* 405: the server offers no stream; it is not asked again. */
  g_assert_cmpuint (mc_fake_mcp_count (server, "GET", NULL), ==, 1);
  g_assert_cmpstr (mc_test_bridge_get_stderr (bridge), ==, "");
}

static void
test_bridge_server_errors (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), "--max-message-size",
                                                         "65536", NULL);
  JsonObject *response = NULL;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);

  /* An HTTP error: the status and the server's own words. */
  mc_test_bridge_call_tool (bridge, "1", "http-500", NULL);
  response = mc_test_bridge_wait_response (bridge, "1");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32000);
  assert_contains (mc_test_bridge_error_message (response), "500");
  assert_contains (mc_test_bridge_error_message (response), "The tool broke");
  assert_contains (mc_test_bridge_error_message (response), "try again later");

  /* Something that is no MCP answer. */
  mc_test_bridge_call_tool (bridge, "2", "html", NULL);
  response = mc_test_bridge_wait_response (bridge, "2");
  assert_contains (mc_test_bridge_error_message (response), "text/html");
  assert_contains (mc_test_bridge_error_message (response), "check that the URL is the MCP server’s endpoint");

  /* A redirect is not followed (a POST would become a GET without its
   * message), but said where it leads, without the query. */
  mc_test_bridge_call_tool (bridge, "5", "redirect", NULL);
  response = mc_test_bridge_wait_response (bridge, "5");
  assert_contains (mc_test_bridge_error_message (response), "307");
  assert_contains (mc_test_bridge_error_message (response), "/moved/mcp, and the bridge follows no redirects");
  g_assert_null (strstr (mc_test_bridge_error_message (response), "secret"));

  /* An event over the limit: refused, not buffered, and said how to
   * allow it. */
  mc_test_bridge_call_tool (bridge, "3", "huge", "{\"size\":100000}");
  response = mc_test_bridge_wait_response (bridge, "3");
  assert_contains (mc_test_bridge_error_message (response), "--max-message-size");

  mc_test_bridge_call_tool (bridge, "4", "echo", "{\"text\":\"after all that\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "4")), ==, "after all that");
  finish (bridge, 0);
  assert_contains (mc_test_bridge_get_stderr (bridge), "The tool broke");
}

static void
test_bridge_session_ended (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  JsonObject *response = NULL;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "1", "expire", NULL);
  response = mc_test_bridge_wait_response (bridge, "1");
  assert_contains (mc_test_bridge_error_message (response), "ended the MCP session");
  /* Nothing more can work: the bridge says so and exits, for the client
   * to start a new one. */
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 1);
  assert_contains (mc_test_bridge_get_stderr (bridge), "restart the MCP client’s connection");
}

/* No server to talk to {{{1 */

static void
test_bridge_not_found (void)
{
  McFakeMcpOptions options = { .initialize_status = 404, .get_status = 404 };
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (&options);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  JsonObject *response = NULL;
  const char *errors = NULL;

  mc_test_bridge_send (bridge, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}");
  mc_test_bridge_send (bridge, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
  response = mc_test_bridge_wait_response (bridge, "0");
  assert_contains (mc_test_bridge_error_message (response), "404 Not Found");
  /* Both transports were tried. */
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 1);
  g_assert_cmpuint (mc_fake_mcp_count (server, "POST", "initialize"), ==, 1);
  g_assert_cmpuint (mc_fake_mcp_count (server, "GET", NULL), ==, 1);
  /* What waited behind it is answered too. */
  response = mc_test_bridge_find_response (bridge, "1");
  g_assert_nonnull (response);
  assert_contains (mc_test_bridge_error_message (response), "404");

  /* One line, saying what to check. */
  errors = mc_test_bridge_get_stderr (bridge);
  g_assert_cmpuint (count_lines (errors), ==, 1);
  assert_contains (errors, "mcp-consent-bridge: ");
  assert_contains (errors, "check the URL’s path");
  assert_contains (errors, "HTTP+SSE");
}

static void
test_bridge_unreachable (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(McTestBridge) bridge = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *where = NULL;
  JsonObject *response = NULL;
  const char *errors = NULL;

  /* A port that is bound and not listening refuses connections, and
   * stays ours for the test. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  where = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  url = g_strdup_printf ("http://%s/mcp", where);

  bridge = mc_test_bridge_start (env, url, NULL);
  mc_test_bridge_send (bridge, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}");
  response = mc_test_bridge_wait_response (bridge, "0");
  assert_contains (mc_test_bridge_error_message (response), where);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 1);

  errors = mc_test_bridge_get_stderr (bridge);
  g_assert_cmpuint (count_lines (errors), ==, 1);
  assert_contains (errors, "Cannot connect to");
  assert_contains (errors, "refused");
  assert_contains (errors, "check the URL and that the MCP server is running");
}

static void
test_bridge_http_refused (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, "http://mcp.example.com/mcp", NULL);
  const char *errors = NULL;

  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 2);
  g_assert_cmpuint (mc_test_bridge_count_lines (bridge), ==, 0);
  errors = mc_test_bridge_get_stderr (bridge);
  g_assert_cmpuint (count_lines (errors), ==, 1);
  assert_contains (errors, "mcp.example.com");
  assert_contains (errors, "--allow-http");
}

/* Proxies {{{1 */

/* http_proxy is honoured: the fake server serves as the proxy too, so a
 * host that does not exist is reached through it. */
static void
test_bridge_proxy (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = NULL;
  g_autoptr(GUri) uri = g_uri_parse (mc_fake_mcp_get_url (server), G_URI_FLAGS_NONE, NULL);
  g_autofree char *proxy = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uri));
  GPtrArray *requests = NULL;

  mc_test_env_setenv (env, "http_proxy", proxy);
  mc_test_env_setenv (env, "no_proxy", "localhost,127.0.0.1");
  bridge = mc_test_bridge_start (env, "http://mcp.invalid:8931/mcp", "--allow-http", NULL);
  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "1", "echo", "{\"text\":\"through the proxy\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==,
                   "through the proxy");
  finish (bridge, 0);

  requests = mc_fake_mcp_get_requests (server);
  g_assert_cmpuint (requests->len, >=, 3);
  for (guint i = 0; i < requests->len; i++)
    g_assert_cmpstr (((McFakeRequest *) requests->pdata[i])->proxied_origin, ==, "http://mcp.invalid:8931");
}

/* no_proxy is honoured: the proxy named does not exist, the server is
 * reached directly. */
static void
test_bridge_no_proxy (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = NULL;
  GPtrArray *requests = NULL;

  mc_test_env_setenv (env, "http_proxy", "http://proxy.invalid:3128");
  mc_test_env_setenv (env, "no_proxy", "localhost,127.0.0.1");
  bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "1", "echo", "{\"text\":\"direct\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==, "direct");
  finish (bridge, 0);

  requests = mc_fake_mcp_get_requests (server);
  for (guint i = 0; i < requests->len; i++)
    g_assert_null (((McFakeRequest *) requests->pdata[i])->proxied_origin);
}

/* Bad input from the client {{{1 */

static void
test_bridge_malformed_input (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  JsonObject *response = NULL;

  mc_test_bridge_send (bridge, "this is not JSON");
  mc_test_bridge_send (bridge, "{\"id\":3,\"method\":\"tools/list\"}");
  mc_test_bridge_send (bridge, "[{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}]");
  mc_test_bridge_send_bytes (bridge, "{\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}\n", 31);

  /* -32700 with a null id for what is not JSON. */
  response = mc_test_bridge_wait_line (bridge, 0);
  g_assert_true (json_node_is_null (json_object_get_member (response, "id")));
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32700);
  /* -32600, to the id when there is one, for JSON that is no message. */
  response = mc_test_bridge_wait_line (bridge, 1);
  g_assert_cmpint (json_object_get_int_member (response, "id"), ==, 3);
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32600);
  response = mc_test_bridge_wait_line (bridge, 2);
  g_assert_true (json_node_is_null (json_object_get_member (response, "id")));
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32600);
  assert_contains (mc_test_bridge_error_message (response), "batches");
  response = mc_test_bridge_wait_line (bridge, 3);
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32700);

  /* The bridge goes on. */
  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "5", "echo", "{\"text\":\"ok\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "5")), ==, "ok");
  finish (bridge, 0);
  /* None of it reached the server. */
  g_assert_cmpuint (mc_fake_mcp_count (server, "POST", "tools/list"), ==, 0);
}

static void
test_bridge_oversized_line (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), "--max-message-size",
                                                         "4096", NULL);
  g_autofree char *filler = g_strnfill (100000, 'x');
  g_autofree char *arguments = g_strdup_printf ("{\"text\":\"%s\"}", filler);
  JsonObject *response = NULL;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "7", "echo", arguments);
  mc_test_bridge_call_tool (bridge, "8", "echo", "{\"text\":\"small\"}");

  /* Answered to its id (read from the line's start), and skipped. */
  response = mc_test_bridge_wait_response (bridge, "7");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32600);
  assert_contains (mc_test_bridge_error_message (response), "4096");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "8")), ==, "small");
  finish (bridge, 0);
  g_assert_cmpuint (mc_fake_mcp_count (server, "POST", "tools/call"), ==, 1);
}

/* Flow {{{1 */

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits until the server's writes on the standalone stream stall: no
 * progress for a second (within the test's deadline).
 *
 * Returns: what was written by then */
static guint64
wait_for_stall (McFakeMcp *server)
{
  gint64 deadline = g_get_monotonic_time () + MC_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  gint64 quiet_since = g_get_monotonic_time ();
  guint64 written = mc_fake_mcp_get_written_bytes (server);
  guint tick = g_timeout_add (50, on_tick, NULL);

  while (g_get_monotonic_time () - quiet_since < G_USEC_PER_SEC)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The server never stopped writing: the bridge read everything");
      g_main_context_iteration (NULL, TRUE);
      if (mc_fake_mcp_get_written_bytes (server) != written)
        {
          written = mc_fake_mcp_get_written_bytes (server);
          quiet_since = g_get_monotonic_time ();
        }
    }
  g_source_remove (tick);
  return written;
}

/* The client stops reading: the bridge stops reading the server rather
 * than holding what it sends; when the client reads again, everything
 * comes, in order. */
static void
test_bridge_backpressure (void)
{
  const guint n = 3000;
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  g_autofree char *filler = g_strnfill (10000, 'p');
  guint64 written = 0;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_fake_mcp_wait_stream_open (server);
  mc_test_bridge_set_reading (bridge, FALSE);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *message = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                                                  "\"params\":{\"level\":\"info\",\"data\":\"%u %s\"}}", i, filler);

      mc_fake_mcp_push (server, message);
    }

  written = wait_for_stall (server);
  /* What is held is the bridge's bound, the pipe's and the sockets'. */
  g_test_message ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes written while the client did not read",
                  written, mc_fake_mcp_get_pushed_bytes (server));
  g_assert_cmpuint (written, <, mc_fake_mcp_get_pushed_bytes (server) / 2);

  mc_test_bridge_set_reading (bridge, TRUE);
  mc_test_bridge_wait_line (bridge, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *line = mc_test_bridge_get_line (bridge, 1 + i);
      const char *data = json_object_get_string_member (json_object_get_object_member (line, "params"), "data");

      g_assert_cmpuint (g_ascii_strtoull (data, NULL, 10), ==, i);
    }
  finish (bridge, 0);
  g_assert_cmpuint (mc_test_bridge_count_lines (bridge), ==, n + 1);
}

/* stdin ends while a request is under way: its response still comes,
 * then the session ends. */
static void
test_bridge_eof_waits (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  McFakeRequest *call = NULL;
  McFakeRequest *delete = NULL;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "1", "slow", "{\"delay_ms\":300}");
  finish (bridge, 0);
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_find_response (bridge, "1")), ==, "slow");
  call = mc_fake_mcp_wait_request (server, "POST", "tools/call", 0);
  delete = mc_fake_mcp_wait_request (server, "DELETE", NULL, 0);
  g_assert_cmpint (delete->time - call->time, >=, 300 * 1000);
}

static void
test_bridge_sigterm (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  JsonObject *response = NULL;

  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "1", "slow", "{\"delay_ms\":600000}");
  mc_fake_mcp_wait_request (server, "POST", "tools/call", 0);

  /* The bridge is the test's child: signalled by its pid. */
  g_assert_cmpint (kill (mc_test_bridge_get_pid (bridge), SIGTERM), ==, 0);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 0);
  response = mc_test_bridge_find_response (bridge, "1");
  g_assert_nonnull (response);
  assert_contains (mc_test_bridge_error_message (response), "shutting down");
  g_assert_cmpuint (mc_fake_mcp_count (server, "DELETE", NULL), ==, 1);
}

static void
test_bridge_headers (void)
{
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = NULL;
  GPtrArray *requests = NULL;

  mc_test_env_setenv (env, "MC_TEST_API_KEY", "key-from-the-environment");
  bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), "--header", "X-Api-Key: ${MC_TEST_API_KEY}",
                                 "--header", "X-Tenant:acme", NULL);
  mc_test_bridge_initialize (bridge, CLIENT_VERSION);
  mc_test_bridge_call_tool (bridge, "1", "echo", "{\"text\":\"x\"}");
  mc_test_bridge_wait_response (bridge, "1");
  mc_fake_mcp_wait_request (server, "GET", NULL, 0);
  finish (bridge, 0);

  /* Every request: POSTs, the GET, the DELETE. */
  requests = mc_fake_mcp_get_requests (server);
  g_assert_cmpuint (requests->len, >=, 5);
  for (guint i = 0; i < requests->len; i++)
    {
      McFakeRequest *request = requests->pdata[i];

      g_assert_cmpstr (mc_fake_request_header (request, "X-Api-Key"), ==, "key-from-the-environment");
      g_assert_cmpstr (mc_fake_request_header (request, "X-Tenant"), ==, "acme");
    }
  g_assert_cmpuint (mc_fake_mcp_count (server, "DELETE", NULL), ==, 1);
}

/* The 2024-11-05 transport {{{1 */

static void
test_bridge_legacy (void)
{
  McFakeMcpOptions options = { .legacy = TRUE };
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (&options);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  JsonObject *result = NULL;
  guint response = 0;

  result = mc_test_bridge_initialize (bridge, "2024-11-05");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "serverInfo"), "name"), ==,
                   "fake-legacy");
  mc_test_bridge_call_tool (bridge, "1", "anything", NULL);
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==, "legacy");
  response = response_index (bridge, "1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (mc_test_bridge_get_line (bridge,
                                                                                                         response - 1),
                                                                                 "params"), "data"), ==, "for 1");
  finish (bridge, 0);

  /* The POST of initialize to the URL got 405; then a GET for the
   * stream, and every message to the endpoint it named. */
  g_assert_cmpstr (mc_fake_mcp_wait_request (server, NULL, NULL, 0)->method, ==, "POST");
  g_assert_cmpstr (mc_fake_mcp_wait_request (server, NULL, NULL, 1)->method, ==, "GET");
  g_assert_cmpuint (mc_fake_mcp_count (server, "POST", "initialize"), ==, 2);
  g_assert_cmpuint (mc_fake_mcp_count (server, "POST", "tools/call"), ==, 1);
  g_assert_cmpstr (mc_fake_mcp_wait_request (server, "POST", "tools/call", 0)->path, ==,
                   "/messages?session=legacy-1");
  g_assert_cmpuint (mc_fake_mcp_count (server, "DELETE", NULL), ==, 0);
  g_assert_cmpstr (mc_test_bridge_get_stderr (bridge), ==, "");
}

static void
test_bridge_http_only (void)
{
  McFakeMcpOptions options = { .legacy = TRUE };
  g_autoptr(McTestEnv) env = new_env ();
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (&options);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), "--transport",
                                                         "http-only", NULL);

  mc_test_bridge_send (bridge, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}");
  assert_contains (mc_test_bridge_error_message (mc_test_bridge_wait_response (bridge, "0")), "405");
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 1);
  /* No fallback was tried. */
  g_assert_cmpuint (mc_fake_mcp_count (server, "GET", NULL), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/bridge/session", test_bridge_session);
  g_test_add_func ("/bridge/json-responses", test_bridge_json_responses);
  g_test_add_func ("/bridge/concurrent", test_bridge_concurrent);
  g_test_add_func ("/bridge/garbage-sse", test_bridge_garbage_sse);
  g_test_add_func ("/bridge/stream-cut", test_bridge_stream_cut);
  g_test_add_func ("/bridge/resume-request", test_bridge_resume_request);
  g_test_add_func ("/bridge/resume-standalone", test_bridge_resume_standalone);
  g_test_add_func ("/bridge/no-standalone", test_bridge_no_standalone);
  g_test_add_func ("/bridge/server-errors", test_bridge_server_errors);
  g_test_add_func ("/bridge/session-ended", test_bridge_session_ended);
  g_test_add_func ("/bridge/not-found", test_bridge_not_found);
  g_test_add_func ("/bridge/unreachable", test_bridge_unreachable);
  g_test_add_func ("/bridge/http-refused", test_bridge_http_refused);
  g_test_add_func ("/bridge/proxy", test_bridge_proxy);
  g_test_add_func ("/bridge/no-proxy", test_bridge_no_proxy);
  g_test_add_func ("/bridge/malformed-input", test_bridge_malformed_input);
  g_test_add_func ("/bridge/oversized-line", test_bridge_oversized_line);
  g_test_add_func ("/bridge/backpressure", test_bridge_backpressure);
  g_test_add_func ("/bridge/eof-waits", test_bridge_eof_waits);
  g_test_add_func ("/bridge/sigterm", test_bridge_sigterm);
  g_test_add_func ("/bridge/headers", test_bridge_headers);
  g_test_add_func ("/bridge/legacy", test_bridge_legacy);
  g_test_add_func ("/bridge/http-only", test_bridge_http_only);

  return g_test_run ();
}
