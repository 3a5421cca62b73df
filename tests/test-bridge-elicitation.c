/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* URL-mode elicitation through mcp-consent-bridge and the broker (MCP
 * 2025-11-25 client/elicitation), as an MCP client that speaks only stdio
 * meets it.
 *
 * /bridge-elicitation/sdk/…: against the MCP SDK's elicitationUrlExample.js
 * (tests/npm) with its demo authorization server: the sign-in, the API key
 * form it asks for by elicitation/create when the standalone stream opens,
 * payment-confirm and third-party-auth, which answer -32042 and complete
 * by notifications/elicitation/complete (when the user confirms the
 * payment page; by themselves after 5 s).  The daemon built in the tree
 * runs on the test's bus with gnome-keyring and the scripted dialog;
 * follow-browser, registered in mimeapps.list with a cookie jar, is the
 * user's browser: it follows the sign-in's redirect (and keeps the demo
 * server's login cookie, which the example's pages ask for), submits the
 * API key and payment forms, and requests nothing off loopback.  The
 * example as SDK 1.32.2 has it sends its elicitation/create only when the
 * standalone stream ends, and its tools answer -32042 on every call;
 * elicitation-url-example-shim.mjs (tests/npm) makes it send the former
 * when the stream opens, as it means to, and gives the tools the memory of
 * a real server, so that a request sent again after its elicitations
 * succeeds.  One case runs the example as it is, to show what the bridge
 * does with a server that asks every time.
 *
 * /bridge-elicitation/fake/…: against the scripted server of mc-fake-mcp.c,
 * what a real server does not send: malformed and blocked URLs, form mode,
 * -32042 without ids, a server that asks for ever, no broker; and MCP
 * 2026-07-28's InputRequiredResult, which no SDK example sends yet.
 *
 * Skipped, with the reason, when Node.js or tests/npm is missing (the fake
 * server's cases need neither). */

#include "config.h"

#include <string.h>

#include "mc-fake-mcp.h"
#include "mc-test-bridge.h"
#include "mc-test-sdk.h"

#define VERSION "2025-11-25"
#define EXAMPLE "elicitationUrlExample.js"
#define EXAMPLE_NAME "url-elicitation-http-server"
#define API_KEY "mc-test-api-key-4711"
#define THIRD_PARTY_URL "https://www.example.com/oauth/authorize"
#define FAKE_NAME "fake-mcp"

/* Helpers {{{1 */

static const char *
string_member (JsonObject *object,
               const char *name)
{
  return json_object_get_string_member_with_default (object, name, NULL);
}

static void
assert_contains (const char *text,
                 const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    g_error ("“%s” does not contain “%s”", text, part);
}

static void
assert_lacks (const char *text,
              const char *part)
{
  if (strstr (text, part) != NULL)
    g_error ("The client saw “%s”:\n%s", part, text);
}

static void
assert_client_lacks (McTestBridge *bridge,
                     const char   *part)
{
  g_autofree char *seen = mc_test_bridge_dup_transcript (bridge);

  assert_lacks (seen, part);
}

static guint
count_occurrences (const char *text,
                   const char *part)
{
  guint count = 0;

  for (const char *found = strstr (text, part); found != NULL; found = strstr (found + 1, part))
    count++;
  return count;
}

/* The URL elicitation of a -32042 error, the first. */
static JsonObject *
required_elicitation (JsonObject *response)
{
  JsonObject *error = json_object_get_object_member (response, "error");
  JsonObject *data = json_object_get_object_member (error, "data");

  return json_array_get_object_element (json_object_get_array_member (data, "elicitations"), 0);
}

/* How many lines of stdout carry @method. */
static guint
count_client_method (McTestBridge *bridge,
                     const char   *method)
{
  guint count = 0;

  for (guint i = 0; i < mc_test_bridge_count_lines (bridge); i++)
    if (g_strcmp0 (string_member (mc_test_bridge_get_line (bridge, i), "method"), method) == 0)
      count++;
  return count;
}

/* The value of the elicitation= parameter of the example's URLs. */
static char *
url_elicitation_id (const char *url)
{
  const char *start = strstr (url, "elicitation=");

  if (start == NULL)
    return NULL;
  start += strlen ("elicitation=");
  return g_strndup (start, strcspn (start, "&"));
}

/* Nothing of the URL elicitations reached the client: no URL, no
 * elicitation id, no message of the kind, nor the access token. */
static void
assert_client_saw_nothing (McTestBridge *bridge,
                           GPtrArray    *urls,
                           const char   *token)
{
  g_autofree char *seen = mc_test_bridge_dup_transcript (bridge);

  for (guint i = 0; i < urls->len; i++)
    {
      const char *url = urls->pdata[i];
      g_autofree char *id = url_elicitation_id (url);

      assert_lacks (seen, url);
      if (id != NULL)
        assert_lacks (seen, id);
    }
  assert_lacks (seen, "elicitation=");
  assert_lacks (seen, "elicitationId");
  assert_lacks (seen, "api-key-form");
  assert_lacks (seen, "confirm-payment");
  assert_lacks (seen, "example.com");
  if (token != NULL)
    assert_lacks (seen, token);
  g_assert_cmpuint (count_client_method (bridge, "elicitation/create"), ==, 0);
  g_assert_cmpuint (count_client_method (bridge, "notifications/elicitation/complete"), ==, 0);
}

/* A URL prompt of the scripted dialog, as the broker showed it. */
static void
assert_url_prompt (JsonObject *prompt,
                   const char *server_name,
                   const char *server_url)
{
  g_assert_cmpstr (string_member (prompt, "event"), ==, "prompt");
  g_assert_cmpstr (string_member (prompt, "kind"), ==, "url");
  g_assert_cmpstr (string_member (prompt, "server_name"), ==, server_name);
  g_assert_cmpstr (string_member (prompt, "server_url"), ==, server_url);
  g_assert_cmpstr (string_member (prompt, "app_name"), ==, "mcp-consent-bridge");
}

/* The SDK's example {{{1 */

typedef struct
{
  McTestEnv  *env;
  const char *prompt_id;
  const char *elicitation_id;
} CompletionWait;

static gboolean
completion_at_broker (gpointer user_data)
{
  CompletionWait *wait = user_data;
  g_autofree char *log = mc_test_env_read_daemon_log (wait->env);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  g_autofree char *prompt = g_strdup_printf ("Prompt %s ", wait->prompt_id);
  g_autofree char *unknown = g_strdup_printf ("No elicitation “%s”", wait->elicitation_id);

  for (guint i = 0; lines[i] != NULL; i++)
    if ((strstr (lines[i], prompt) != NULL && strstr (lines[i], "completed by the server") != NULL) ||
        strstr (lines[i], unknown) != NULL)
      return TRUE;
  return FALSE;
}

/* The bridge passed the server's notifications/elicitation/complete for
 * @prompt's elicitation (the id in its URL) on to the broker: the broker
 * ended the prompt's "finish in your browser" notice or, when the
 * notification overtook the start of the browser (follow-browser submits
 * the form within milliseconds), had no notice waiting yet: see
 * docs/bridge.md, "What the end-to-end tests found". */
static void
wait_completion_at_broker (McTestEnv  *env,
                           JsonObject *prompt)
{
  g_autofree char *elicitation_id = url_elicitation_id (string_member (prompt, "url"));
  CompletionWait wait = { env, string_member (prompt, "id"), elicitation_id };

  g_assert_nonnull (elicitation_id);
  mc_test_wait_until (completion_at_broker, &wait, "the broker to hear of the completion");
}

/* The example, with elicitation-url-example-shim.mjs or as it is. */
static McTestSdkServer *
start_example (McTestEnv *env,
               gboolean   shimmed)
{
  g_autofree char *path = g_build_filename (mc_test_npm_dir (), "elicitation-url-example-shim.mjs", NULL);
  g_autofree char *module = g_filename_to_uri (path, NULL, NULL);
  const char * const node_args[] = { "--import", module, NULL };

  return mc_test_sdk_server_start_oauth_example (env, EXAMPLE, shimmed ? node_args : NULL, NULL);
}

/* The broker with a real keyring, and follow-browser as the user's
 * browser: a cookie jar of its own in the test's directory, forms
 * submitted with the API key typed in, nothing off loopback. */
static McTestEnv *
new_example_env (void)
{
  McTestEnv *env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER | MC_TEST_ENV_KEYRING | MC_TEST_ENV_DAEMON_LOG);
  g_autofree char *cookies = g_build_filename (env->dir, "browser-cookies.txt", NULL);
  g_autofree char *exec = g_strdup_printf ("%s --cookies %s --submit-forms --fill-text " API_KEY
                                           " --loopback-only %%u",
                                           mc_test_build_path ("MC_TEST_FOLLOW_BROWSER"), cookies);

  mc_test_env_register_browser (env, "mc-follow-browser.desktop", exec);
  mc_test_env_start_daemon (env);
  return env;
}

/* The example, the broker and a bridge to the example, in the test's
 * world. */
typedef struct
{
  McTestEnv       *env;
  McTestSdkServer *server;
  McTestBridge    *bridge;
} Example;

static void
example_clear (Example *example)
{
  g_clear_pointer (&example->bridge, mc_test_bridge_free);
  g_clear_pointer (&example->server, mc_test_sdk_server_stop);
  g_clear_pointer (&example->env, mc_test_env_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Example, example_clear)

/* Starts everything, the dialog answering @script; skips the test, and
 * returns %FALSE, without Node.js or the SDK. */
static gboolean
example_start (Example    *example,
               gboolean    shimmed,
               const char *script)
{
  if (!mc_test_sdk_check_or_skip ())
    return FALSE;

  example->env = new_example_env ();
  example->server = start_example (example->env, shimmed);
  mc_test_env_set_script (example->env, script);
  example->bridge = mc_test_bridge_start (example->env, example->server->resource, NULL);
  return TRUE;
}

/* @prompt shows one of the example's own pages, as the example builds
 * its URL: the session the bridge opened, a fresh elicitation id (a
 * UUID), the cart. */
static void
assert_example_url (McTestSdkServer *server,
                    JsonObject      *prompt,
                    const char      *page,
                    const char      *cart_id)
{
  const char *url = string_member (prompt, "url");
  g_autofree char *session_id = mc_test_sdk_server_wait_session_id (server);
  g_autofree char *elicitation_id = url_elicitation_id (url);
  g_autofree char *expected = NULL;

  g_assert_nonnull (elicitation_id);
  g_assert_true (g_uuid_string_is_valid (elicitation_id));
  expected = g_strdup_printf ("http://localhost:%u/%s?session=%s&elicitation=%s%s%s", server->mcp_port, page,
                              session_id, elicitation_id, cart_id != NULL ? "&cartId=" : "",
                              cart_id != NULL ? cart_id : "");
  g_assert_cmpstr (url, ==, expected);
}

/* Signs in through the broker: the first prompt.  Then the shimmed
 * example asks for an API key as soon as the standalone stream opens: the
 * second prompt, returned. */
static JsonObject *
open_example_session (Example  *ex,
                      gboolean  shimmed)
{
  g_autoptr(JsonObject) sign_in = NULL;
  JsonObject *result = NULL;
  JsonObject *prompt = NULL;

  result = mc_test_bridge_initialize (ex->bridge, VERSION);
  g_assert_cmpstr (string_member (json_object_get_object_member (result, "serverInfo"), "name"), ==, EXAMPLE_NAME);

  /* The first prompt was the sign-in; the browser followed its redirect
   * and kept the login cookie the example's pages ask for. */
  sign_in = mc_test_env_wait_event (ex->env, "prompt", NULL, 0);
  g_assert_cmpstr (string_member (sign_in, "kind"), ==, "authorize");
  g_assert_cmpstr (string_member (sign_in, "resource"), ==, ex->server->resource);
  if (!shimmed)
    return NULL;

  prompt = mc_test_env_wait_event (ex->env, "prompt", NULL, 1);
  assert_url_prompt (prompt, EXAMPLE_NAME, ex->server->resource);
  assert_example_url (ex->server, prompt, "api-key-form", NULL);
  g_assert_cmpstr (string_member (prompt, "message"), ==,
                   "Please provide your API key to authenticate with this server");
  return prompt;
}

/* The whole session the example is made for, with a server that
 * remembers completed elicitations: every tool result reaches the client,
 * and nothing of the URLs or the token does. */
static void
test_sdk_session (void)
{
  g_auto(Example) ex = { NULL, NULL, NULL };
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) api_key = NULL;
  g_autoptr(JsonObject) payment = NULL;
  g_autoptr(JsonObject) third_party = NULL;
  g_autoptr(JsonObject) submitted = NULL;
  g_autoptr(JsonObject) skipped = NULL;
  g_autofree char *token = NULL;
  g_autofree char *received_key = g_strdup_printf ("Received API key \x1b[32m%s\x1b[0m", API_KEY);
  JsonObject *response = NULL;

  if (!example_start (&ex, TRUE, "open\nopen\nopen\nopen\n"))
    return;

  /* elicitation/create on the standalone stream: the broker's dialog, then
   * the form in the browser; the server hears "accept" from the bridge,
   * the key from the form, and says it is complete, which the bridge
   * tells the broker. */
  api_key = open_example_session (&ex, TRUE);
  g_ptr_array_add (urls, g_strdup (string_member (api_key, "url")));
  submitted = mc_test_env_wait_browser_event (ex.env, "submitted", 0);
  g_assert_cmpstr (string_member (submitted, "url"), ==, string_member (api_key, "url"));
  g_assert_cmpstr (string_member (submitted, "method"), ==, "POST");
  assert_contains (string_member (submitted, "action"), "/api-key-form");
  g_assert_cmpint (json_object_get_int_member (submitted, "status"), ==, 200);
  mc_test_sdk_server_wait_log (ex.server, received_key);
  mc_test_sdk_server_wait_log (ex.server, "Client accepted the API key elicitation");
  g_clear_pointer (&submitted, json_object_unref);
  wait_completion_at_broker (ex.env, api_key);

  /* -32042 with an elicitation completed by the user's confirmation: the
   * request goes again once the server says so, and succeeds. */
  mc_test_bridge_call_tool (ex.bridge, "2", "payment-confirm", "{\"cartId\":\"cart-42\"}");
  payment = mc_test_env_wait_event (ex.env, "prompt", NULL, 2);
  assert_url_prompt (payment, EXAMPLE_NAME, ex.server->resource);
  assert_example_url (ex.server, payment, "confirm-payment", "cart-42");
  g_ptr_array_add (urls, g_strdup (string_member (payment, "url")));
  submitted = mc_test_env_wait_browser_event (ex.env, "submitted", 1);
  g_assert_cmpstr (string_member (submitted, "url"), ==, string_member (payment, "url"));
  g_assert_cmpstr (string_member (submitted, "pressed"), ==, "action=confirm");
  g_assert_cmpstr (string_member (submitted, "heading"), ==, "Payment Confirmed ✓");
  response = mc_test_bridge_wait_response (ex.bridge, "2");
  g_assert_cmpstr (mc_test_bridge_result_text (response), ==, "payment-confirm: done, after the URL elicitation");
  g_assert_true (mc_test_sdk_server_log_has (ex.server, "Payment confirmed for cart cart-42"));
  wait_completion_at_broker (ex.env, payment);

  /* -32042 for a third party's sign-in, which the server completes by
   * itself after 5 s; the browser is not sent off loopback. */
  mc_test_bridge_call_tool (ex.bridge, "3", "third-party-auth", "{\"param1\":\"x\"}");
  third_party = mc_test_env_wait_event (ex.env, "prompt", NULL, 3);
  assert_url_prompt (third_party, EXAMPLE_NAME, ex.server->resource);
  g_assert_cmpstr (string_member (third_party, "url"), ==, THIRD_PARTY_URL);
  g_ptr_array_add (urls, g_strdup (THIRD_PARTY_URL));
  skipped = mc_test_env_wait_browser_event (ex.env, "skipped", 0);
  g_assert_cmpstr (string_member (skipped, "url"), ==, THIRD_PARTY_URL);
  response = mc_test_bridge_wait_response (ex.bridge, "3");
  g_assert_cmpstr (mc_test_bridge_result_text (response), ==, "third-party-auth: done, after the URL elicitation");
  g_assert_true (mc_test_sdk_server_log_has (ex.server, "Simulating OAuth token received"));
  /* The notification came long after the browser started: the broker's
   * notice ends with it. */
  json_object_unref (mc_test_env_wait_event (ex.env, "dismissed", string_member (third_party, "id"), 0));

  /* One prompt each, one response each; nothing else reached the client. */
  g_assert_cmpuint (mc_test_env_count_events (ex.env, "prompt", NULL), ==, 4);
  g_assert_cmpuint (mc_test_bridge_count_responses (ex.bridge, "2"), ==, 1);
  g_assert_cmpuint (mc_test_bridge_count_responses (ex.bridge, "3"), ==, 1);
  token = mc_test_env_dup_access_token (ex.env);
  g_assert_nonnull (token);
  assert_client_saw_nothing (ex.bridge, urls, token);
  assert_lacks (mc_test_bridge_get_stderr (ex.bridge), API_KEY);

  mc_test_bridge_close_stdin (ex.bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (ex.bridge), ==, 0);
  mc_test_env_wait_browsers_gone (ex.env);
}

/* The user declines: the server hears "decline" for its elicitation/create;
 * for -32042 the client gets the server's own error without its link,
 * and the request is not sent again. */
static void
test_sdk_declined (void)
{
  g_auto(Example) ex = { NULL, NULL, NULL };
  g_autoptr(JsonObject) api_key = NULL;
  g_autoptr(JsonObject) payment = NULL;
  JsonObject *response = NULL;

  if (!example_start (&ex, TRUE, "open\ndecline\ndecline\n"))
    return;

  api_key = open_example_session (&ex, TRUE);
  g_assert_cmpstr (string_member (api_key, "answer"), ==, "decline");
  mc_test_sdk_server_wait_log (ex.server, "Client declined to provide an API key");

  mc_test_bridge_call_tool (ex.bridge, "2", "payment-confirm", "{\"cartId\":\"cart-7\"}");
  payment = mc_test_env_wait_event (ex.env, "prompt", NULL, 2);
  assert_url_prompt (payment, EXAMPLE_NAME, ex.server->resource);
  assert_example_url (ex.server, payment, "confirm-payment", "cart-7");
  g_assert_cmpstr (string_member (payment, "answer"), ==, "decline");

  response = mc_test_bridge_wait_response (ex.bridge, "2");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32042);
  /* The server's error, without the link the user said no to. */
  g_assert_nonnull (string_member (required_elicitation (response), "elicitationId"));
  g_assert_false (json_object_has_member (required_elicitation (response), "url"));
  assert_client_lacks (ex.bridge, "confirm-payment");
  g_assert_cmpuint (mc_test_bridge_count_responses (ex.bridge, "2"), ==, 1);

  /* The browser never ran after the sign-in, and the server got the
   * request once: the shim logs every call. */
  mc_test_bridge_close_stdin (ex.bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (ex.bridge), ==, 0);
  g_assert_cmpuint (mc_test_env_count_browser_events (ex.env, "submitted"), ==, 0);
  g_assert_cmpuint (mc_test_env_count_events (ex.env, "prompt", NULL), ==, 3);
  g_assert_cmpuint (count_occurrences (ex.server->log->str, "mc-test: payment-confirm called"), ==, 1);
  mc_test_env_wait_browsers_gone (ex.env);
}

/* The example as it is.  It sends no elicitation/create while the
 * session lasts (see elicitation-url-example-shim.mjs), and
 * payment-confirm asks again on every call, with a new elicitation each
 * time: the bridge sends the request again after each confirmed payment
 * page, three times, and then gives the client the server's error
 * without its link. */
static void
test_sdk_asks_every_time (void)
{
  g_auto(Example) ex = { NULL, NULL, NULL };
  g_autoptr(GHashTable) seen_urls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *response = NULL;

  if (!example_start (&ex, FALSE, "open\nopen\nopen\nopen\nopen\n"))
    return;
  open_example_session (&ex, FALSE);

  mc_test_bridge_call_tool (ex.bridge, "2", "payment-confirm", "{\"cartId\":\"cart-9\"}");
  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(JsonObject) prompt = mc_test_env_wait_event (ex.env, "prompt", NULL, 1 + round);
      g_autoptr(JsonObject) submitted = mc_test_env_wait_browser_event (ex.env, "submitted", round);

      assert_url_prompt (prompt, EXAMPLE_NAME, ex.server->resource);
      assert_example_url (ex.server, prompt, "confirm-payment", "cart-9");
      g_assert_true (g_hash_table_add (seen_urls, g_strdup (string_member (prompt, "url"))));
      g_assert_cmpstr (string_member (submitted, "url"), ==, string_member (prompt, "url"));
      g_assert_cmpstr (string_member (submitted, "pressed"), ==, "action=confirm");
    }

  response = mc_test_bridge_wait_response (ex.bridge, "2");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32042);
  g_assert_false (json_object_has_member (required_elicitation (response), "url"));
  assert_client_lacks (ex.bridge, "confirm-payment");
  g_assert_cmpuint (mc_test_env_count_events (ex.env, "prompt", NULL), ==, 4);
  g_assert_cmpuint (count_occurrences (ex.server->log->str, "Payment confirmed for cart cart-9"), ==, 3);
  assert_contains (mc_test_bridge_get_stderr (ex.bridge), "asked for URL elicitations 3 times for one request");
  mc_test_env_wait_browsers_gone (ex.env);
}

/* The fake server {{{1 */

/* The daemon with the scripted dialog; test-browser as the browser. */
static McTestEnv *
new_fake_env (void)
{
  McTestEnv *env = mc_test_env_new (MC_TEST_ENV_NONE);

  mc_test_env_start_daemon (env);
  return env;
}

/* A bridge to @server, past the handshake, with the standalone stream
 * open. */
static McTestBridge *
start_fake_session (McTestEnv *env,
                    McFakeMcp *server)
{
  McTestBridge *bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);

  mc_test_bridge_initialize (bridge, VERSION);
  mc_fake_mcp_wait_stream_open (server);
  return bridge;
}

/* The fake server's cases: the daemon with the scripted dialog
 * (test-browser as the browser), the server, and a bridge to it past the
 * handshake. */
typedef struct
{
  McTestEnv    *env;
  McFakeMcp    *server;
  McTestBridge *bridge;
} Fake;

static void
fake_setup (Fake          *f,
            gconstpointer  data)
{
  f->env = new_fake_env ();
  f->server = mc_fake_mcp_new (NULL);
  f->bridge = start_fake_session (f->env, f->server);
}

static void
fake_teardown (Fake          *f,
               gconstpointer  data)
{
  g_clear_pointer (&f->bridge, mc_test_bridge_free);
  g_clear_pointer (&f->server, mc_fake_mcp_free);
  g_clear_pointer (&f->env, mc_test_env_free);
}

/* A URL elicitation/create from the server, with id @id. */
static void
push_url_elicitation (McFakeMcp  *server,
                      const char *id,
                      const char *url,
                      const char *elicitation_id)
{
  g_autofree char *message = NULL;
  g_autofree char *id_member = NULL;
  g_autoptr(JsonNode) url_node = json_node_init_string (json_node_alloc (), url);
  g_autofree char *url_json = json_to_string (url_node, FALSE);

  if (elicitation_id != NULL)
    id_member = g_strdup_printf (",\"elicitationId\":\"%s\"", elicitation_id);
  message = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"elicitation/create\",\"params\":"
                             "{\"mode\":\"url\",\"url\":%s,\"message\":\"Connect your account\"%s}}",
                             id, url_json, id_member != NULL ? id_member : "");
  mc_fake_mcp_push (server, message);
}

static void
push_completion (McFakeMcp  *server,
                 const char *elicitation_id)
{
  g_autofree char *message = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/elicitation/complete\","
                                              "\"params\":{\"elicitationId\":\"%s\"}}", elicitation_id);

  mc_fake_mcp_push (server, message);
}

/* The action of the client's answer to the server's request @id. */
static char *
wait_action (McFakeMcp  *server,
             const char *id)
{
  g_autoptr(JsonObject) response = mc_fake_mcp_wait_client_response (server, id);
  JsonObject *result = NULL;

  if (!json_object_has_member (response, "result"))
    g_error ("The server's request %s got an error instead of an action", id);
  result = json_object_get_object_member (response, "result");
  g_assert_cmpuint (json_object_get_size (result), ==, 1);
  return g_strdup (string_member (result, "action"));
}

/* The elicitation capability the client's initialize reached the server
 * with, for the capabilities the client declared. */
static char *
declared_to_server (McTestEnv  *env,
                    const char *capabilities)
{
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, mc_fake_mcp_get_url (server), NULL);
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) sent = NULL;
  McFakeRequest *initialize = NULL;
  JsonObject *declared = NULL;
  JsonObject *received = NULL;
  GList *members = NULL;

  mc_test_bridge_send_printf (bridge, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                                      "{\"protocolVersion\":\"" VERSION "\",\"capabilities\":%s,"
                                      "\"clientInfo\":{\"name\":\"mc-test\",\"version\":\"1.0\"}}}",
                              capabilities);
  mc_test_bridge_wait_response (bridge, "0");
  initialize = mc_fake_mcp_wait_request (server, "POST", "initialize", 0);
  body = json_from_string (initialize->body, NULL);
  received = json_object_get_object_member (json_object_get_object_member (json_node_get_object (body), "params"),
                                            "capabilities");

  /* Everything else the client declared is there as it was. */
  sent = json_from_string (capabilities, NULL);
  declared = json_node_get_object (sent);
  members = json_object_get_members (declared);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "elicitation"))
      g_assert_true (json_node_equal (json_object_get_member (declared, l->data),
                                      json_object_get_member (received, l->data)));
  g_list_free (members);

  return json_to_string (json_object_get_member (received, "elicitation"), FALSE);
}

static void
test_fake_capabilities (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
  g_autofree char *empty = declared_to_server (env, "{\"elicitation\":{},\"roots\":{\"listChanged\":true}}");
  g_autofree char *none = declared_to_server (env, "{\"sampling\":{}}");
  g_autofree char *form = declared_to_server (env, "{\"elicitation\":{\"form\":{\"applyDefaults\":true}}}");
  g_autofree char *both = declared_to_server (env, "{\"elicitation\":{\"url\":{},\"form\":{}}}");

  /* {} means form mode (MCP 2025-11-25): it stays, and url joins it. */
  g_assert_cmpstr (empty, ==, "{\"form\":{},\"url\":{}}");
  /* A client without elicitation gets no form-mode requests it cannot answer. */
  g_assert_cmpstr (none, ==, "{\"url\":{}}");
  g_assert_cmpstr (form, ==, "{\"form\":{\"applyDefaults\":true},\"url\":{}}");
  g_assert_cmpstr (both, ==, "{\"url\":{},\"form\":{}}");
}

/* elicitation/create in URL mode: the broker's dialog, the answer to the
 * server, the completion to the broker; the client sees none of it. */
static void
test_fake_create (Fake          *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) urls = g_ptr_array_new ();
  g_autoptr(JsonObject) prompt = NULL;
  g_autofree char *action = NULL;
  g_autofree char *browser = NULL;
  const char *url = "https://fake.example/connect?elicitation=e-7f3a";

  mc_test_env_set_script (f->env, "open\n");
  push_url_elicitation (f->server, "\"srv-1\"", url, "e-7f3a");

  prompt = mc_test_env_wait_event (f->env, "prompt", NULL, 0);
  assert_url_prompt (prompt, FAKE_NAME, mc_fake_mcp_get_url (f->server));
  g_assert_cmpstr (string_member (prompt, "server_title"), ==, "Fake MCP");
  g_assert_cmpstr (string_member (prompt, "url"), ==, url);
  g_assert_cmpstr (string_member (prompt, "message"), ==, "Connect your account");
  action = wait_action (f->server, "\"srv-1\"");
  g_assert_cmpstr (action, ==, "accept");
  browser = mc_test_env_wait_browser (f->env);
  assert_contains (browser, url);

  /* The broker's notice ends when the server says it is complete. */
  json_object_unref (mc_test_env_wait_event (f->env, "opened", string_member (prompt, "id"), 0));
  push_completion (f->server, "e-7f3a");
  json_object_unref (mc_test_env_wait_event (f->env, "dismissed", string_member (prompt, "id"), 0));

  g_ptr_array_add (urls, (char *) url);
  assert_client_saw_nothing (f->bridge, urls, NULL);
}

/* A URL elicitation without a URL: -32602 to the server, nothing shown. */
static void
test_fake_create_without_url (Fake          *f,
                             gconstpointer  data)
{
  g_autoptr(JsonObject) response = NULL;
  JsonObject *error = NULL;

  mc_test_env_set_script (f->env, "open\n");
  mc_fake_mcp_push (f->server, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"elicitation/create\",\"params\":"
                               "{\"mode\":\"url\",\"message\":\"No link\",\"elicitationId\":\"e-1\"}}");

  response = mc_fake_mcp_wait_client_response (f->server, "7");
  g_assert_false (json_object_has_member (response, "result"));
  error = json_object_get_object_member (response, "error");
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, -32602);
  assert_contains (string_member (error, "message"), "url");
  mc_test_bridge_wait_stderr (f->bridge, "sent a URL elicitation that cannot be shown");

  g_assert_cmpuint (mc_test_env_count_records (f->env), ==, 0);
  g_assert_cmpuint (count_client_method (f->bridge, "elicitation/create"), ==, 0);
}

/* URLs the broker never shows: the server hears "decline", and nobody is
 * asked. */
static void
test_fake_create_blocked (Fake          *f,
                         gconstpointer  data)
{
  g_autofree char *browser = NULL;
  const char *urls[] = {
    "javascript:alert(document.cookie)",
    "file:///etc/passwd",
    "data:text/html,<script>alert(1)</script>",
  };

  mc_test_env_set_script (f->env, "open\nopen\nopen\n");
  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", 8 + i);

      push_url_elicitation (f->server, id, urls[i], id);
    }
  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", 8 + i);
      g_autofree char *action = wait_action (f->server, id);

      g_assert_cmpstr (action, ==, "decline");
    }

  g_assert_cmpuint (mc_test_env_count_records (f->env), ==, 0);
  browser = mc_test_env_read_browser_log (f->env);
  g_assert_cmpstr (browser, ==, "");
  assert_contains (mc_test_bridge_get_stderr (f->bridge), "refused the link");
  g_assert_cmpuint (count_client_method (f->bridge, "elicitation/create"), ==, 0);
}

/* Form mode is the client's: the request reaches it as the server sent
 * it, and its answer reaches the server. */
static void
test_fake_form_passes_through (Fake          *f,
                              gconstpointer  data)
{
  const char *requests[] = {
    ("{\"jsonrpc\":\"2.0\",\"id\":\"f-1\",\"method\":\"elicitation/create\",\"params\":{\"mode\":\"form\","
     "\"message\":\"Your name?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":"
     "{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}}}"),
    /* Without a mode it is form mode too. */
    ("{\"jsonrpc\":\"2.0\",\"id\":\"f-2\",\"method\":\"elicitation/create\",\"params\":{"
     "\"message\":\"Your age?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":"
     "{\"age\":{\"type\":\"number\"}}},\"_meta\":{\"x\":[1,2]}}}"),
  };
  const char *answers[] = {
    "{\"jsonrpc\":\"2.0\",\"id\":\"f-1\",\"result\":{\"action\":\"accept\",\"content\":{\"name\":\"Ann\"}}}",
    "{\"jsonrpc\":\"2.0\",\"id\":\"f-2\",\"result\":{\"action\":\"decline\"}}",
  };
  const char *ids[] = { "\"f-1\"", "\"f-2\"" };
  guint lines = mc_test_bridge_count_lines (f->bridge);

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(JsonNode) pushed = json_from_string (requests[i], NULL);
      g_autoptr(JsonNode) seen = json_node_new (JSON_NODE_OBJECT);
      g_autoptr(JsonNode) answer = json_from_string (answers[i], NULL);
      g_autoptr(JsonNode) received = json_node_new (JSON_NODE_OBJECT);

      mc_fake_mcp_push (f->server, requests[i]);
      json_node_set_object (seen, mc_test_bridge_wait_line (f->bridge, lines + i));
      g_assert_true (json_node_equal (pushed, seen));

      mc_test_bridge_send (f->bridge, answers[i]);
      json_node_take_object (received, mc_fake_mcp_wait_client_response (f->server, ids[i]));
      g_assert_true (json_node_equal (answer, received));
    }
  g_assert_cmpuint (mc_test_env_count_records (f->env), ==, 0);
}

/* -32042 as a 2026-07-28 server would send it, without elicitationId: no
 * completion can come, so the request goes again as soon as the user
 * accepts. */
static void
test_fake_required_without_ids (Fake          *f,
                               gconstpointer  data)
{
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GPtrArray) urls = g_ptr_array_new ();
  JsonObject *response = NULL;

  mc_test_env_set_script (f->env, "open\n");
  mc_test_bridge_call_tool (f->bridge, "5", "url-required", "{\"ids\":false}");

  prompt = mc_test_env_wait_event (f->env, "prompt", NULL, 0);
  assert_url_prompt (prompt, FAKE_NAME, mc_fake_mcp_get_url (f->server));
  g_assert_cmpstr (string_member (prompt, "url"), ==, "https://fake.example/confirm?elicitation=fake-elicitation-1");
  g_assert_cmpstr (string_member (prompt, "message"), ==, "Confirm call 1");

  response = mc_test_bridge_wait_response (f->bridge, "5");
  g_assert_cmpstr (mc_test_bridge_result_text (response), ==, "url-required done after 2 calls");
  g_assert_cmpuint (mc_fake_mcp_count (f->server, "POST", "tools/call"), ==, 2);
  g_assert_cmpuint (mc_test_bridge_count_responses (f->bridge, "5"), ==, 1);
  g_ptr_array_add (urls, (char *) string_member (prompt, "url"));
  assert_client_saw_nothing (f->bridge, urls, NULL);
}

/* A server that answers -32042 every time: three rounds of dialogs, each
 * completed, then the client gets the server's error. */
static void
test_fake_required_bounded (Fake          *f,
                           gconstpointer  data)
{
  JsonObject *response = NULL;

  mc_test_env_set_script (f->env, "open\nopen\nopen\nopen\n");
  mc_test_bridge_call_tool (f->bridge, "6", "url-required", "{\"times\":99}");

  for (guint round = 1; round <= 3; round++)
    {
      g_autoptr(JsonObject) prompt = mc_test_env_wait_event (f->env, "prompt", NULL, round - 1);
      g_autofree char *elicitation_id = g_strdup_printf ("fake-elicitation-%u", round);
      g_autofree char *url = g_strdup_printf ("https://fake.example/confirm?elicitation=%s", elicitation_id);
      const char *prompt_id = string_member (prompt, "id");

      g_assert_cmpstr (string_member (prompt, "url"), ==, url);
      /* The request goes again only when the server says it is complete. */
      json_object_unref (mc_test_env_wait_event (f->env, "opened", prompt_id, 0));
      g_assert_cmpuint (mc_fake_mcp_count (f->server, "POST", "tools/call"), ==, round);
      push_completion (f->server, elicitation_id);
      json_object_unref (mc_test_env_wait_event (f->env, "dismissed", prompt_id, 0));
    }

  response = mc_test_bridge_wait_response (f->bridge, "6");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32042);
  g_assert_cmpstr (string_member (required_elicitation (response), "elicitationId"), ==, "fake-elicitation-4");
  g_assert_false (json_object_has_member (required_elicitation (response), "url"));
  g_assert_cmpuint (mc_fake_mcp_count (f->server, "POST", "tools/call"), ==, 4);
  g_assert_cmpuint (mc_test_env_count_events (f->env, "prompt", NULL), ==, 3);
  g_assert_cmpuint (mc_test_bridge_count_responses (f->bridge, "6"), ==, 1);
  assert_contains (mc_test_bridge_get_stderr (f->bridge), "asked for URL elicitations 3 times for one request");
}

/* No broker on the bus: the server's elicitation is dismissed, a -32042
 * reaches the client without its URLs, and stderr says what to check — with the
 * server's URL shown without its query, where the user may have put a
 * key. */
static void
test_fake_no_broker (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
  g_autoptr(McFakeMcp) server = mc_fake_mcp_new (NULL);
  g_autofree char *url = g_strconcat (mc_fake_mcp_get_url (server), "?key=mc-test-secret-key", NULL);
  g_autoptr(McTestBridge) bridge = mc_test_bridge_start (env, url, NULL);
  g_autofree char *action = NULL;
  JsonObject *response = NULL;

  mc_test_bridge_initialize (bridge, VERSION);
  mc_fake_mcp_wait_stream_open (server);
  g_assert_cmpstr (mc_fake_mcp_wait_request (server, "POST", "initialize", 0)->path, ==, "/mcp?key=mc-test-secret-key");

  push_url_elicitation (server, "11", "https://fake.example/connect", "e-11");
  action = wait_action (server, "11");
  g_assert_cmpstr (action, ==, "cancel");
  mc_test_bridge_wait_stderr (bridge, "MCP Consent Broker cannot be reached");
  assert_contains (mc_test_bridge_get_stderr (bridge), "check that it is installed");

  mc_test_bridge_call_tool (bridge, "12", "url-required", "{}");
  response = mc_test_bridge_wait_response (bridge, "12");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32042);
  /* The error as the server sent it, but for the links. */
  g_assert_cmpstr (string_member (required_elicitation (response), "elicitationId"), ==, "fake-elicitation-1");
  g_assert_false (json_object_has_member (required_elicitation (response), "url"));
  g_assert_cmpuint (mc_fake_mcp_count (server, "POST", "tools/call"), ==, 1);
  g_assert_cmpuint (count_client_method (bridge, "elicitation/create"), ==, 0);

  mc_test_bridge_close_stdin (bridge);
  g_assert_cmpint (mc_test_bridge_wait_exit (bridge), ==, 0);
  assert_contains (mc_test_bridge_get_stderr (bridge), mc_fake_mcp_get_url (server));
  g_assert_null (strstr (mc_test_bridge_get_stderr (bridge), "mc-test-secret-key"));
}

typedef struct
{
  McFakeMcp *server;
  guint      first;
  guint      count;
} AnswersWait;

static guint
count_answers (AnswersWait *wait)
{
  guint answered = 0;

  for (guint i = 0; i < wait->count; i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", wait->first + i);
      g_autoptr(JsonObject) response = mc_fake_mcp_find_client_response (wait->server, id);

      if (response != NULL)
        answered++;
    }
  return answered;
}

static gboolean
has_answer (gpointer user_data)
{
  return count_answers (user_data) > 0;
}

/* A broker that answers with an error (here: this caller already has
 * MC_BROKER_MAX_PENDING_PER_CALLER = 8 prompts waiting, which nobody
 * answers): the server's elicitation is dismissed, and stderr says what
 * the broker said, not that it cannot be reached. */
static void
test_fake_broker_busy (Fake          *f,
                      gconstpointer  data)
{
  AnswersWait wait = { f->server, 20, 9 };

  /* An empty script: the dialog never answers. */
  mc_test_env_set_script (f->env, "");
  for (guint i = 0; i < wait.count; i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", wait.first + i);
      g_autofree char *url = g_strdup_printf ("https://fake.example/connect?n=%u", i);

      push_url_elicitation (f->server, id, url, id);
    }

  mc_test_wait_until (has_answer, &wait, "the broker to refuse one elicitation");
  g_assert_cmpuint (count_answers (&wait), ==, 1);
  for (guint i = 0; i < wait.count; i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", wait.first + i);
      g_autoptr(JsonObject) response = mc_fake_mcp_find_client_response (f->server, id);

      if (response != NULL)
        g_assert_cmpstr (string_member (json_object_get_object_member (response, "result"), "action"), ==,
                         "cancel");
    }
  mc_test_bridge_wait_stderr (f->bridge, "The MCP Consent Broker did not show the link");
  assert_contains (mc_test_bridge_get_stderr (f->bridge), "already waiting");
  g_assert_null (strstr (mc_test_bridge_get_stderr (f->bridge), "cannot be reached"));
}

/* MCP 2026-07-28 InputRequiredResult {{{1 */

/* The inputResponses and requestState the server got with its @n th
 * tools/call, as JSON text. */
static char *
sent_input (McFakeMcp  *server,
            guint       n,
            char      **out_state)
{
  McFakeRequest *call = mc_fake_mcp_wait_request (server, "POST", "tools/call", n);
  g_autoptr(JsonNode) body = json_from_string (call->body, NULL);
  JsonObject *params = json_object_get_object_member (json_node_get_object (body), "params");

  *out_state = g_strdup (string_member (params, "requestState"));
  if (!json_object_has_member (params, "inputResponses"))
    return NULL;
  return json_to_string (json_object_get_member (params, "inputResponses"), FALSE);
}

/* A URL-mode input request: the broker's dialog, and the request sent
 * again with the user's answer and the server's requestState; one that
 * cannot be shown is declined unseen. The client sees the final result
 * only, and the capability the bridge declared travels with its request. */
static void
test_fake_input_required (Fake          *f,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GPtrArray) urls = g_ptr_array_new ();
  g_autoptr(JsonNode) first_body = NULL;
  g_autofree char *first = NULL;
  g_autofree char *first_state = NULL;
  g_autofree char *answers = NULL;
  g_autofree char *state = NULL;
  JsonObject *capabilities = NULL;
  JsonObject *response = NULL;

  mc_test_env_set_script (f->env, "open\n");
  mc_test_bridge_send (f->bridge, "{\"jsonrpc\":\"2.0\",\"id\":30,\"method\":\"tools/call\",\"params\":{"
                                  "\"name\":\"input-required\",\"arguments\":{\"broken\":true},\"_meta\":{"
                                  "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}}}");

  prompt = mc_test_env_wait_event (f->env, "prompt", NULL, 0);
  assert_url_prompt (prompt, FAKE_NAME, mc_fake_mcp_get_url (f->server));
  g_assert_cmpstr (string_member (prompt, "url"), ==, "https://fake.example/connect?round=0");
  g_assert_cmpstr (string_member (prompt, "message"), ==, "Connect round 0");

  response = mc_test_bridge_wait_response (f->bridge, "30");
  g_assert_cmpstr (mc_test_bridge_result_text (response), ==,
                   "input-required done after 1 rounds: "
                   "{\"link-0\":{\"action\":\"accept\"},\"broken\":{\"action\":\"decline\"}}");

  first = sent_input (f->server, 0, &first_state);
  g_assert_null (first);
  g_assert_null (first_state);
  answers = sent_input (f->server, 1, &state);
  g_assert_cmpstr (state, ==, "round-1");
  g_assert_cmpuint (mc_fake_mcp_count (f->server, "POST", "tools/call"), ==, 2);

  /* {} is form mode; the bridge added URL mode beside it. */
  first_body = json_from_string (mc_fake_mcp_wait_request (f->server, "POST", "tools/call", 0)->body, NULL);
  capabilities = json_object_get_object_member (
    json_object_get_object_member (json_object_get_object_member (json_node_get_object (first_body), "params"),
                                   "_meta"),
    "io.modelcontextprotocol/clientCapabilities");
  g_assert_true (json_object_has_member (json_object_get_object_member (capabilities, "elicitation"), "url"));
  g_assert_true (json_object_has_member (json_object_get_object_member (capabilities, "elicitation"), "form"));

  g_assert_cmpuint (mc_test_env_count_events (f->env, "prompt", NULL), ==, 1);
  g_assert_cmpuint (mc_test_bridge_count_responses (f->bridge, "30"), ==, 1);
  mc_test_bridge_wait_stderr (f->bridge, "sent a URL elicitation that cannot be shown");
  g_ptr_array_add (urls, (char *) string_member (prompt, "url"));
  assert_client_saw_nothing (f->bridge, urls, NULL);
  assert_client_lacks (f->bridge, "input_required");
}

/* The user's "no" is the server's to act on: it reaches it as the
 * answer, and the server's result reaches the client. */
static void
test_fake_input_declined (Fake          *f,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) prompt = NULL;
  g_autofree char *browser = NULL;
  JsonObject *response = NULL;

  mc_test_env_set_script (f->env, "decline\n");
  mc_test_bridge_call_tool (f->bridge, "31", "input-required", NULL);

  prompt = mc_test_env_wait_event (f->env, "prompt", NULL, 0);
  response = mc_test_bridge_wait_response (f->bridge, "31");
  g_assert_cmpstr (mc_test_bridge_result_text (response), ==,
                   "input-required done after 1 rounds: {\"link-0\":{\"action\":\"decline\"}}");
  browser = mc_test_env_read_browser_log (f->env);
  g_assert_cmpstr (browser, ==, "");
}

/* A server that keeps asking for new pages: three rounds of dialogs,
 * then the client gets the bridge's error — not the URLs. */
static void
test_fake_input_bounded (Fake          *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  JsonObject *response = NULL;

  mc_test_env_set_script (f->env, "open\nopen\nopen\nopen\n");
  mc_test_bridge_call_tool (f->bridge, "32", "input-required", "{\"times\":99}");

  response = mc_test_bridge_wait_response (f->bridge, "32");
  g_assert_cmpint (mc_test_bridge_error_code (response), ==, -32000);
  assert_contains (mc_test_bridge_error_message (response), "kept asking the user to open links");
  g_assert_cmpuint (mc_test_env_count_events (f->env, "prompt", NULL), ==, 3);
  g_assert_cmpuint (mc_fake_mcp_count (f->server, "POST", "tools/call"), ==, 4);
  g_assert_cmpuint (mc_test_bridge_count_responses (f->bridge, "32"), ==, 1);
  assert_contains (mc_test_bridge_get_stderr (f->bridge), "asked for URL elicitations 3 times for one request");
  for (guint round = 0; round < 4; round++)
    g_ptr_array_add (urls, g_strdup_printf ("https://fake.example/connect?round=%u", round));
  assert_client_saw_nothing (f->bridge, urls, NULL);
}

/* Asked again for the page the user just opened (the user is still on
 * it; 2026-07-28 has no completion notice): no second dialog, the
 * request goes again a little later. */
static void
test_fake_input_same_page (Fake          *f,
                           gconstpointer  data)
{
  g_autofree char *answers = NULL;
  g_autofree char *state = NULL;
  JsonObject *response = NULL;

  mc_test_env_set_script (f->env, "open\n");
  mc_test_bridge_call_tool (f->bridge, "33", "input-required", "{\"times\":2,\"same_url\":true}");

  response = mc_test_bridge_wait_response (f->bridge, "33");
  g_assert_cmpstr (mc_test_bridge_result_text (response), ==,
                   "input-required done after 2 rounds: {\"link-1\":{\"action\":\"accept\"}}");
  answers = sent_input (f->server, 1, &state);
  g_assert_cmpstr (answers, ==, "{\"link-0\":{\"action\":\"accept\"}}");
  g_assert_cmpstr (state, ==, "round-1");
  g_assert_cmpuint (mc_test_env_count_events (f->env, "prompt", NULL), ==, 1);
  g_assert_cmpuint (mc_fake_mcp_count (f->server, "POST", "tools/call"), ==, 3);
}

/* A form the client must fill in beside a page to open: the client gets
 * the form alone, and its retry reaches the server with the user's answer
 * to the page added. */
static void
test_fake_input_mixed (Fake          *f,
                       gconstpointer  data)
{
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GPtrArray) urls = g_ptr_array_new ();
  g_autoptr(JsonNode) expected = NULL;
  g_autoptr(JsonNode) answers_node = NULL;
  g_autofree char *answers = NULL;
  g_autofree char *state = NULL;
  JsonObject *response = NULL;
  JsonObject *result = NULL;
  JsonObject *requests = NULL;

  mc_test_env_set_script (f->env, "open\n");
  mc_test_bridge_call_tool (f->bridge, "34", "input-required", "{\"mixed\":true}");

  prompt = mc_test_env_wait_event (f->env, "prompt", NULL, 0);
  response = mc_test_bridge_wait_response (f->bridge, "34");
  result = json_object_get_object_member (response, "result");
  g_assert_cmpstr (string_member (result, "resultType"), ==, "input_required");
  g_assert_cmpstr (string_member (result, "requestState"), ==, "round-1");
  requests = json_object_get_object_member (result, "inputRequests");
  g_assert_cmpuint (json_object_get_size (requests), ==, 1);
  g_assert_true (json_object_has_member (requests, "form"));

  mc_test_bridge_send (f->bridge, "{\"jsonrpc\":\"2.0\",\"id\":35,\"method\":\"tools/call\",\"params\":{"
                                  "\"name\":\"input-required\",\"arguments\":{\"mixed\":true},"
                                  "\"inputResponses\":{\"form\":{\"action\":\"accept\",\"content\":{\"name\":\"Ann\"}}},"
                                  "\"requestState\":\"round-1\"}}");
  response = mc_test_bridge_wait_response (f->bridge, "35");
  answers = sent_input (f->server, 1, &state);
  expected = json_from_string ("{\"form\":{\"action\":\"accept\",\"content\":{\"name\":\"Ann\"}},"
                               "\"link-0\":{\"action\":\"accept\"}}", NULL);
  answers_node = json_from_string (answers, NULL);
  g_assert_true (json_node_equal (expected, answers_node));
  assert_contains (mc_test_bridge_result_text (response), "input-required done after 1 rounds");

  g_assert_cmpuint (mc_test_env_count_events (f->env, "prompt", NULL), ==, 1);
  g_ptr_array_add (urls, (char *) string_member (prompt, "url"));
  assert_client_saw_nothing (f->bridge, urls, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/bridge-elicitation/sdk/session", test_sdk_session);
  g_test_add_func ("/bridge-elicitation/sdk/declined", test_sdk_declined);
  g_test_add_func ("/bridge-elicitation/sdk/asks-every-time", test_sdk_asks_every_time);
  g_test_add_func ("/bridge-elicitation/fake/capabilities", test_fake_capabilities);
  g_test_add ("/bridge-elicitation/fake/create", Fake, NULL, fake_setup, test_fake_create, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/create-without-url", Fake, NULL, fake_setup, test_fake_create_without_url, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/create-blocked", Fake, NULL, fake_setup, test_fake_create_blocked, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/form-passes-through", Fake, NULL, fake_setup, test_fake_form_passes_through, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/required-without-ids", Fake, NULL, fake_setup, test_fake_required_without_ids, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/required-bounded", Fake, NULL, fake_setup, test_fake_required_bounded, fake_teardown);
  g_test_add_func ("/bridge-elicitation/fake/no-broker", test_fake_no_broker);
  g_test_add ("/bridge-elicitation/fake/broker-busy", Fake, NULL, fake_setup, test_fake_broker_busy, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/input-required", Fake, NULL, fake_setup, test_fake_input_required, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/input-declined", Fake, NULL, fake_setup, test_fake_input_declined, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/input-bounded", Fake, NULL, fake_setup, test_fake_input_bounded, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/input-same-page", Fake, NULL, fake_setup, test_fake_input_same_page, fake_teardown);
  g_test_add ("/bridge-elicitation/fake/input-mixed", Fake, NULL, fake_setup, test_fake_input_mixed, fake_teardown);

  return g_test_run ();
}
