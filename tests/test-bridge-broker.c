/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* mcp-consent-bridge signing in through the broker, as an MCP client
 * that speaks only stdio would use it: the SDK's example server with its
 * demo authorization server (from tests/npm), the daemon built in the
 * tree on the test's bus with a real gnome-keyring and the scripted
 * dialog, and follow-browser, registered in mimeapps.list, as the
 * browser that follows the demo server's redirect to the broker's
 * loopback listener. */

#include "config.h"

#include <string.h>

#include "mc-test-bridge.h"
#include "mc-test-sdk.h"

#define VERSION "2025-11-25"

static McTestEnv *
new_env (void)
{
  McTestEnv *env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER | MC_TEST_ENV_KEYRING);
  g_autofree char *exec = g_strdup_printf ("%s %%u", mc_test_build_path ("MC_TEST_FOLLOW_BROWSER"));

  mc_test_env_register_browser (env, "mc-follow-browser.desktop", exec);
  mc_test_env_start_daemon (env);
  return env;
}

static JsonObject *
call_tool (McTestBridge *bridge,
           const char   *id,
           const char   *name)
{
  mc_test_bridge_send_printf (bridge,
                              "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"tools/call\","
                              "\"params\":{\"name\":\"%s\",\"arguments\":{\"name\":\"Ann\"}}}",
                              id, name);
  return mc_test_bridge_wait_response (bridge, id);
}

static void
test_sign_in (void)
{
  g_autoptr(McTestEnv) env = NULL;
  g_autoptr(McTestSdkServer) server = NULL;
  g_autoptr(McTestBridge) first = NULL;
  g_autoptr(McTestBridge) second = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autofree char *token = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *seen_again = NULL;
  JsonObject *result = NULL;
  JsonObject *response = NULL;
  guint records;

  if (!mc_test_sdk_check_or_skip ())
    return;

  env = new_env ();
  server = mc_test_sdk_server_start_oauth (env);
  mc_test_env_set_script (env, "open\n");

  /* The first request meets the server's 401: the broker shows its
   * dialog, the browser signs in, and the request goes again. */
  first = mc_test_bridge_start (env, server->resource, NULL);
  result = mc_test_bridge_initialize (first, VERSION);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "serverInfo"), "name"), ==,
                   "simple-streamable-http-server");

  prompt = mc_test_env_wait_record (env, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "kind"), ==, "authorize");
  g_assert_cmpstr (json_object_get_string_member (prompt, "resource"), ==, server->resource);
  g_assert_cmpstr (json_object_get_string_member (prompt, "app_name"), ==, "mcp-consent-bridge");

  response = call_tool (first, "2", "greet");
  g_assert_false (json_object_has_member (response, "error"));
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_array_get_object_element (
                                json_object_get_array_member (json_object_get_object_member (response, "result"),
                                                              "content"), 0), "text"), "Ann"));

  /* The token is in the keyring, and nowhere the client can read. */
  token = mc_test_env_dup_access_token (env);
  g_assert_nonnull (token);
  seen = mc_test_bridge_dup_transcript (first);
  g_assert_null (strstr (seen, token));
  mc_test_bridge_close_stdin (first);
  g_assert_cmpint (mc_test_bridge_wait_exit (first), ==, 0);

  /* A second session needs no sign-in: the broker has the grant. */
  records = mc_test_env_count_records (env);
  second = mc_test_bridge_start (env, server->resource, NULL);
  mc_test_bridge_initialize (second, VERSION);
  response = call_tool (second, "2", "greet");
  g_assert_false (json_object_has_member (response, "error"));
  g_assert_cmpuint (mc_test_env_count_records (env), ==, records);
  seen_again = mc_test_bridge_dup_transcript (second);
  g_assert_null (strstr (seen_again, token));
}

/* The user says no: the client gets an error that says so; a session
 * that could not even start ends, as it does for a server that cannot be
 * reached. */
static void
test_declined (void)
{
  g_autoptr(McTestEnv) env = NULL;
  g_autoptr(McTestSdkServer) server = NULL;
  g_autoptr(McTestBridge) bridge = NULL;
  JsonObject *response = NULL;

  if (!mc_test_sdk_check_or_skip ())
    return;

  env = new_env ();
  server = mc_test_sdk_server_start_oauth (env);
  mc_test_env_set_script (env, "decline\n");

  bridge = mc_test_bridge_start (env, server->resource, NULL);
  mc_test_bridge_send (bridge, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                       "{\"protocolVersion\":\"" VERSION "\",\"capabilities\":{},"
                       "\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}");
  response = mc_test_bridge_wait_response (bridge, "1");
  g_assert_true (json_object_has_member (response, "error"));
  g_test_message ("%s", mc_test_bridge_error_message (response));
  g_assert_nonnull (strstr (mc_test_bridge_error_message (response), "declined"));
  g_assert_null (mc_test_env_dup_access_token (env));

  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), !=, 0);
  g_assert_nonnull (strstr (mc_test_bridge_get_stderr (bridge), "declined"));
}

/* No broker on the bus: a server that needs a sign-in gets an error that
 * says what to check. */
static void
test_no_broker (void)
{
  g_autoptr(McTestEnv) env = NULL;
  g_autoptr(McTestSdkServer) server = NULL;
  g_autoptr(McTestBridge) bridge = NULL;
  g_autofree char *url = NULL;
  JsonObject *response = NULL;
  const char *message = NULL;

  if (!mc_test_sdk_check_or_skip ())
    return;

  env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
  server = mc_test_sdk_server_start_oauth (env);
  /* A key in the URL's query is shown nowhere. */
  url = g_strconcat (server->resource, "?key=s3cr3t-key", NULL);
  bridge = mc_test_bridge_start (env, url, NULL);
  mc_test_bridge_send (bridge, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                       "{\"protocolVersion\":\"" VERSION "\",\"capabilities\":{},"
                       "\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}");
  response = mc_test_bridge_wait_response (bridge, "1");
  message = mc_test_bridge_error_message (response);
  g_assert_null (strstr (message, "s3cr3t-key"));
  g_assert_null (strstr (mc_test_bridge_get_stderr (bridge), "s3cr3t-key"));
  g_test_message ("%s", message);
  g_assert_nonnull (strstr (message, "MCP Consent Broker cannot be reached"));
  g_assert_nonnull (strstr (mc_test_bridge_get_stderr (bridge), "MCP Consent Broker cannot be reached"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/bridge-broker/sign-in", test_sign_in);
  g_test_add_func ("/bridge-broker/declined", test_declined);
  g_test_add_func ("/bridge-broker/no-broker", test_no_broker);

  return g_test_run ();
}
