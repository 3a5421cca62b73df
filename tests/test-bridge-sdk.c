/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* mcp-consent-bridge against real peers: the official MCP TypeScript
 * SDK's example servers from tests/npm (package-lock.json pins them;
 * `npm ci` there installs them): Streamable HTTP with event streams and
 * resumability (simpleStreamableHttp.js), with JSON answers and no
 * standalone stream (jsonResponseStreamableHttp.js), a server that closes
 * a request's stream to make the client poll (ssePollingExample.js), and
 * the 2024-11-05 HTTP+SSE transport (simpleSseServer.js).  Each listens
 * on a port the system picks (tests/node-listen-any-port.cjs).
 *
 * Skipped, with the reason, when Node.js or tests/npm/node_modules is
 * missing. */

#include "config.h"

#include <string.h>

#include "mc-test-bridge.h"
#include "mc-test-sdk.h"

#define VERSION "2025-11-25"

/* An example server and the bridge to it, in the test's world. */
typedef struct
{
  McTestEnv       *env;
  McTestSdkServer *server;
  McTestBridge    *bridge;
} Peers;

static void
peers_clear (Peers *peers)
{
  g_clear_pointer (&peers->bridge, mc_test_bridge_free);
  g_clear_pointer (&peers->server, mc_test_sdk_server_stop);
  g_clear_pointer (&peers->env, mc_test_env_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Peers, peers_clear)

/* Starts @example and the bridge to it; skips the test, and returns
 * %FALSE, without Node.js or the SDK. */
static gboolean
peers_start (Peers      *peers,
             const char *example)
{
  if (!mc_test_sdk_check_or_skip ())
    return FALSE;

  peers->env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
  peers->server = mc_test_sdk_server_start (peers->env, example, NULL);
  peers->bridge = mc_test_bridge_start (peers->env, peers->server->resource, NULL);
  return TRUE;
}


/* The data of every notifications/message so far, in order. */
static GPtrArray *
log_messages (McTestBridge *bridge)
{
  GPtrArray *messages = g_ptr_array_new ();

  for (guint i = 0; i < mc_test_bridge_count_lines (bridge); i++)
    {
      JsonObject *line = mc_test_bridge_get_line (bridge, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (line, "method", NULL),
                     "notifications/message") == 0)
        g_ptr_array_add (messages, (char *) json_object_get_string_member (json_object_get_object_member (line,
                                                                                                           "params"),
                                                                           "data"));
    }
  return messages;
}

typedef struct
{
  McTestBridge *bridge;
  guint         count;
} MessagesWait;

static gboolean
has_messages (gpointer user_data)
{
  MessagesWait *wait = user_data;
  g_autoptr(GPtrArray) messages = log_messages (wait->bridge);

  return messages->len >= wait->count;
}

static GPtrArray *
wait_log_messages (McTestBridge *bridge,
                   guint         count)
{
  MessagesWait wait = { bridge, count };

  mc_test_wait_until (has_messages, &wait, "notifications from the server");
  return log_messages (bridge);
}

static void
test_bridge_sdk_streamable (void)
{
  g_auto(Peers) peers = { NULL, NULL, NULL };
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *session_id = NULL;
  g_autofree char *deleted = NULL;
  JsonObject *result = NULL;
  JsonArray *tools = NULL;
  gboolean has_greet = FALSE;
  McTestBridge *bridge = NULL;

  if (!peers_start (&peers, "simpleStreamableHttp.js"))
    return;
  bridge = peers.bridge;

  result = mc_test_bridge_initialize (bridge, VERSION);
  g_assert_cmpstr (json_object_get_string_member (result, "protocolVersion"), ==, VERSION);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "serverInfo"), "name"), ==,
                   "simple-streamable-http-server");
  session_id = mc_test_sdk_server_wait_session_id (peers.server);

  mc_test_bridge_send (bridge, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
  tools = json_object_get_array_member (json_object_get_object_member (mc_test_bridge_wait_response (bridge, "1"),
                                                                       "result"),
                                        "tools");
  for (guint i = 0; i < json_array_get_length (tools); i++)
    has_greet |= g_str_equal (json_object_get_string_member (json_array_get_object_element (tools, i), "name"),
                              "greet");
  g_assert_true (has_greet);

  mc_test_bridge_call_tool (bridge, "2", "greet", "{\"name\":\"Bob\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "2")), ==, "Hello, Bob!");

  /* The server's log messages are its own: they come on the standalone
   * stream, which the bridge opened after notifications/initialized. */
  mc_test_sdk_server_wait_log (peers.server, "Establishing new SSE stream for session");
  mc_test_bridge_call_tool (bridge, "3", "start-notification-stream", "{\"interval\":10,\"count\":5}");
  messages = wait_log_messages (bridge, 5);
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "3")), ==,
                   "Started sending periodic notifications every 10ms");
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *expected = g_strdup_printf ("Periodic notification #%u at ", i + 1);

      g_assert_true (g_str_has_prefix (messages->pdata[i], expected));
    }

  mc_test_bridge_call_tool (bridge, "\"four\"", "multi-greet", "{\"name\":\"Ann\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "\"four\"")), ==, "Good morning, Ann!");

  /* stdin ends: the session is ended with DELETE, and the bridge exits 0. */
  mc_test_bridge_close_stdin (bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 0);
  deleted = g_strdup_printf ("Received session termination request for session %s", session_id);
  mc_test_sdk_server_wait_log (peers.server, deleted);
  g_assert_cmpuint (mc_test_bridge_count_responses (bridge, "2"), ==, 1);
  g_assert_cmpuint (mc_test_bridge_count_responses (bridge, "3"), ==, 1);
}

/* Many calls at once: each answered once, with its own result. */
static void
test_bridge_sdk_concurrent (void)
{
  const guint n = 100;
  g_auto(Peers) peers = { NULL, NULL, NULL };
  McTestBridge *bridge = NULL;

  if (!peers_start (&peers, "simpleStreamableHttp.js"))
    return;
  bridge = peers.bridge;
  mc_test_bridge_initialize (bridge, VERSION);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = i % 2 == 0 ? g_strdup_printf ("%u", 100 + i) : g_strdup_printf ("\"c%u\"", i);
      g_autofree char *arguments = g_strdup_printf ("{\"name\":\"n%u\"}", i);

      mc_test_bridge_call_tool (bridge, id, "greet", arguments);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = i % 2 == 0 ? g_strdup_printf ("%u", 100 + i) : g_strdup_printf ("\"c%u\"", i);
      g_autofree char *expected = g_strdup_printf ("Hello, n%u!", i);

      g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, id)), ==, expected);
    }

  mc_test_bridge_close_stdin (bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 0);
  g_assert_cmpuint (mc_test_bridge_count_lines (bridge), ==, n + 1);
}

static void
test_bridge_sdk_json_response (void)
{
  g_auto(Peers) peers = { NULL, NULL, NULL };
  McTestBridge *bridge = NULL;

  if (!peers_start (&peers, "jsonResponseStreamableHttp.js"))
    return;
  bridge = peers.bridge;
  mc_test_bridge_initialize (bridge, VERSION);
  mc_test_bridge_call_tool (bridge, "1", "greet", "{\"name\":\"Eve\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==, "Hello, Eve!");
  mc_test_bridge_call_tool (bridge, "2", "multi-greet", "{\"name\":\"Eve\"}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "2")), ==, "Good morning, Eve!");
  mc_test_bridge_close_stdin (bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 0);
  /* The server offers no standalone stream (405): nothing to complain of. */
  g_assert_cmpstr (mc_test_bridge_get_stderr (bridge), ==, "");
}

/* The server closes a request's stream half-way (SEP-1699 polling); the
 * bridge comes back after its retry with Last-Event-ID and gets the rest,
 * each message once. */
static void
test_bridge_sdk_resume (void)
{
  g_auto(Peers) peers = { NULL, NULL, NULL };
  g_autoptr(GPtrArray) messages = NULL;
  const char *expected[] = {
    "Progress: 25% - Starting work...",
    "Progress: 50% - Halfway there...",
    "Progress: 75% - Almost done (sent while client disconnected)...",
    "Progress: 100% - Complete!",
  };
  McTestBridge *bridge = NULL;

  if (!peers_start (&peers, "ssePollingExample.js"))
    return;
  bridge = peers.bridge;
  mc_test_bridge_initialize (bridge, VERSION);

  mc_test_bridge_call_tool (bridge, "1", "long-task", NULL);
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==,
                   "Long task completed successfully!");
  g_assert_true (mc_test_sdk_server_log_has (peers.server, "Closing SSE stream to trigger client polling"));

  mc_test_bridge_close_stdin (bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 0);
  messages = log_messages (bridge);
  g_assert_cmpuint (messages->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (messages->pdata[i], ==, expected[i]);
  g_assert_cmpuint (mc_test_bridge_count_responses (bridge, "1"), ==, 1);
}

/* A server of the 2024-11-05 HTTP+SSE transport only: the POST of
 * initialize to its URL fails, and the bridge falls back. */
static void
test_bridge_sdk_legacy (void)
{
  g_auto(Peers) peers = { NULL, NULL, NULL };
  g_autoptr(GPtrArray) messages = NULL;
  JsonObject *result = NULL;
  McTestBridge *bridge = NULL;

  if (!peers_start (&peers, "simpleSseServer.js"))
    return;
  bridge = peers.bridge;

  result = mc_test_bridge_initialize (bridge, "2024-11-05");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "serverInfo"), "name"), ==,
                   "simple-sse-server");
  mc_test_bridge_call_tool (bridge, "1", "start-notification-stream", "{\"interval\":10,\"count\":3}");
  g_assert_cmpstr (mc_test_bridge_result_text (mc_test_bridge_wait_response (bridge, "1")), ==,
                   "Completed sending 3 notifications every 10ms");
  messages = log_messages (bridge);
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_true (g_str_has_prefix (messages->pdata[0], "Starting notification stream with 3 messages"));
  g_assert_true (g_str_has_prefix (messages->pdata[3], "Notification #3 at "));

  mc_test_bridge_close_stdin (bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 0);
  mc_test_sdk_server_wait_log (peers.server, "SSE transport closed for session");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/bridge-sdk/streamable", test_bridge_sdk_streamable);
  g_test_add_func ("/bridge-sdk/concurrent", test_bridge_sdk_concurrent);
  g_test_add_func ("/bridge-sdk/json-response", test_bridge_sdk_json_response);
  g_test_add_func ("/bridge-sdk/resume", test_bridge_sdk_resume);
  g_test_add_func ("/bridge-sdk/legacy", test_bridge_sdk_legacy);

  return g_test_run ();
}
