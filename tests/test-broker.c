/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* The daemon on a private bus with the scripted prompter: the D-Bus
 * contract, the queue, and bad input from every side. */

#include "config.h"

#include <signal.h>

#include "mc-error.h"
#include "mc-test-client.h"
#include "mc-test-env.h"

#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"
#define REQUEST_IFACE "io.github.mcp_consent.Request1"

static GVariant *
server_dict (const char *name,
             const char *url)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (name));
  if (url != NULL)
    g_variant_builder_add (&builder, "{sv}", "url", g_variant_new_string (url));
  return g_variant_builder_end (&builder);
}

static GVariant *
call (McTestClient *client,
      const char   *method,
      GVariant     *parameters,
      GError      **error)
{
  return mc_test_client_call (client, method, parameters, error);
}

/* Starts an elicitation; returns the request path or NULL with @error. */
static char *
elicit_full (McTestClient  *client,
             GVariant      *server,
             const char    *url,
             const char    *message,
             GVariant      *options,
             GError       **error)
{
  g_autoptr(GVariant) reply = NULL;
  char *handle = NULL;

  reply = call (client, "ElicitUrl",
                g_variant_new ("(s@a{sv}ss@a{sv})", "", server, url, message,
                               options != NULL ? options : g_variant_new ("a{sv}", NULL)),
                error);
  if (reply == NULL)
    return NULL;

  g_variant_get (reply, "(o)", &handle);
  return handle;
}

static char *
elicit (McTestClient *client,
        const char   *server_name,
        const char   *url)
{
  g_autoptr(GError) error = NULL;
  char *handle = elicit_full (client, server_dict (server_name, "https://mcp.example.com/mcp"),
                              url, "Please sign in to continue.", NULL, &error);

  g_assert_no_error (error);
  return handle;
}

/* Waits for the Response to @handle; returns its code and action. */
static guint32
wait_response (McTestClient  *client,
               const char    *handle,
               char         **action,
               char         **reason)
{
  g_autoptr(GVariant) results = NULL;
  guint32 code = mc_test_client_wait_response (client, handle, &results);

  if (action != NULL)
    g_assert_true (g_variant_lookup (results, "action", "s", action));
  if (reason != NULL && !g_variant_lookup (results, "reason", "s", reason))
    *reason = NULL;
  return code;
}

static const char *
record_string (JsonObject *record,
               const char *member)
{
  return json_object_get_string_member_with_default (record, member, NULL);
}

static void
expect_record (McTestEnv  *env,
               guint       index,
               const char *event)
{
  g_autoptr(JsonObject) record = mc_test_env_wait_record (env, index);

  g_assert_cmpstr (record_string (record, "event"), ==, event);
}

/* Tests {{{1 */

static void
test_open_accepts_and_launches_browser (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *action = NULL;
  g_autofree char *browser = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(JsonObject) opened = NULL;
  const char *url = "https://auth.example.com/connect?flow=42&step=1";
  JsonObject *verdict = NULL;

  mc_test_env_set_script (env, "open\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  handle = elicit (client, "Example Files", url);
  g_assert_true (g_str_has_prefix (handle, "/io/github/mcp_consent/Broker/request/"));
  g_assert_cmpuint (wait_response (client, handle, &action, NULL), ==, 0);
  g_assert_cmpstr (action, ==, "accept");

  /* The browser got exactly the URL, as one argument. */
  browser = mc_test_env_wait_browser (env);
  g_assert_cmpstr (browser, ==, "https://auth.example.com/connect?flow=42&step=1\n");

  /* What the dialog was shown. */
  prompt = mc_test_env_wait_record (env, 0);
  g_assert_cmpstr (record_string (prompt, "event"), ==, "prompt");
  g_assert_cmpstr (record_string (prompt, "url"), ==, url);
  g_assert_cmpstr (record_string (prompt, "server_name"), ==, "Example Files");
  g_assert_cmpstr (record_string (prompt, "server_url"), ==, "https://mcp.example.com/mcp");
  g_assert_cmpstr (record_string (prompt, "message"), ==, "Please sign in to continue.");
  g_assert_cmpstr (record_string (prompt, "app_kind"), ==, "unverified");
  g_assert_nonnull (record_string (prompt, "app_path"));
  g_assert_false (json_object_get_boolean_member (prompt, "can_remember"));
  verdict = json_object_get_object_member (prompt, "verdict");
  g_assert_cmpstr (json_object_get_string_member (verdict, "risk"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (verdict, "registrable_domain"), ==, "example.com");

  /* Then the "finish in your browser" notice. */
  opened = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (record_string (opened, "event"), ==, "opened");
  g_assert_cmpstr (record_string (opened, "id"), ==, record_string (prompt, "id"));
}

static void
test_decline_and_dismiss (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *declined = NULL;
  g_autofree char *dismissed = NULL;
  g_autofree char *action = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *browser = NULL;

  mc_test_env_set_script (env, "decline\ndismiss\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  declined = elicit (client, "Example", "https://example.com/a");
  g_assert_cmpuint (wait_response (client, declined, &action, NULL), ==, 1);
  g_assert_cmpstr (action, ==, "decline");
  g_clear_pointer (&action, g_free);

  dismissed = elicit (client, "Example", "https://example.com/b");
  g_assert_cmpuint (wait_response (client, dismissed, &action, &reason), ==, 2);
  g_assert_cmpstr (action, ==, "cancel");
  g_assert_cmpstr (reason, ==, "dismissed");

  browser = mc_test_env_read_browser_log (env);
  g_assert_cmpstr (browser, ==, "");
}

static void
test_blocked_url_shows_nothing (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  const char *blocked[] = {
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "http://example.com/plain-http",
    "https://user:pass@example.com/",
    "https://exa\u202Emple.com/",
    "not a url",
  };

  mc_test_env_set_script (env, "open\nopen\nopen\nopen\nopen\nopen\nopen\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  for (gsize i = 0; i < G_N_ELEMENTS (blocked); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *handle = elicit_full (client, server_dict ("Example", NULL), blocked[i], "", NULL, &error);

      g_test_message ("%s", blocked[i]);
      g_assert_null (handle);
      g_assert_error (error, MC_ERROR, MC_ERROR_URL_BLOCKED);
    }

  /* Nothing was shown and nothing opened. */
  g_assert_cmpuint (mc_test_env_count_records (env), ==, 0);
  {
    g_autofree char *browser = mc_test_env_read_browser_log (env);
    g_assert_cmpstr (browser, ==, "");
  }
}

static void
expect_invalid (McTestClient *client,
                GVariant   *server,
                const char *url,
                const char *message,
                GVariant   *options,
                const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *handle = elicit_full (client, server, url, message, options, &error);

  g_test_message ("Bad input: %s", what);
  g_assert_null (handle);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
}

static GVariant *
options_one (const char *key,
             GVariant   *value)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", key, value);
  return g_variant_builder_end (&builder);
}

static void
test_bad_arguments (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *long_message = g_strnfill (16385, 'm');
  g_autofree char *long_name = g_strnfill (257, 'n');
  g_autofree char *long_id = g_strnfill (257, 'i');
  g_autofree char *ok_handle = NULL;
  g_autofree char *action = NULL;
  const char *url = "https://example.com/";

  mc_test_env_set_script (env, "decline\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  expect_invalid (client, options_one ("name", g_variant_new_int32 (7)), url, "", NULL, "server name of the wrong type");
  expect_invalid (client, g_variant_new ("a{sv}", NULL), url, "", NULL, "no server name");
  expect_invalid (client, server_dict ("", NULL), url, "", NULL, "empty server name");
  expect_invalid (client, server_dict (long_name, NULL), url, "", NULL, "oversized server name");
  expect_invalid (client, server_dict ("Bank\u202Eevil", NULL), url, "", NULL, "bidi override in the name");
  expect_invalid (client, server_dict ("Line\nbreak", NULL), url, "", NULL, "newline in the name");
  expect_invalid (client, server_dict ("Example", "ftp://files.example.com/"), url, "", NULL, "server url scheme");
  expect_invalid (client, server_dict ("Example", "not a url"), url, "", NULL, "server url garbage");
  expect_invalid (client, server_dict ("Example", NULL), url, long_message, NULL, "oversized message");
  expect_invalid (client, server_dict ("Example", NULL), url, "",
                  options_one ("handle_token", g_variant_new_string ("../../evil")), "bad handle_token");
  expect_invalid (client, server_dict ("Example", NULL), url, "",
                  options_one ("handle_token", g_variant_new_string ("")), "empty handle_token");
  expect_invalid (client, server_dict ("Example", NULL), url, "",
                  options_one ("handle_token", g_variant_new_uint32 (3)), "handle_token of the wrong type");
  expect_invalid (client, server_dict ("Example", NULL), url, "",
                  options_one ("timeout", g_variant_new_uint32 (0)), "zero timeout");
  expect_invalid (client, server_dict ("Example", NULL), url, "",
                  options_one ("timeout", g_variant_new_uint32 (100000)), "huge timeout");
  expect_invalid (client, server_dict ("Example", NULL), url, "",
                  options_one ("timeout", g_variant_new_string ("5")), "timeout of the wrong type");
  expect_invalid (client, server_dict ("Example", NULL), url, "",
                  options_one ("elicitation_id", g_variant_new_string (long_id)), "oversized elicitation id");

  /* None of that showed anything, and the daemon still serves. */
  g_assert_cmpuint (mc_test_env_count_records (env), ==, 0);
  ok_handle = elicit (client, "Example", url);
  g_assert_cmpuint (wait_response (client, ok_handle, &action, NULL), ==, 1);
  g_assert_cmpstr (action, ==, "decline");
}

static void
test_handle_token_gives_predictable_path (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *second = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *expected = NULL;

  mc_test_env_set_script (env, "hang\nhang\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  sender = g_strdup (g_dbus_connection_get_unique_name (client->connection) + 1);
  g_strdelimit (sender, ".", '_');
  expected = g_strdup_printf ("/io/github/mcp_consent/Broker/request/%s/my_token_1", sender);

  handle = elicit_full (client, server_dict ("Example", NULL), "https://example.com/", "",
                        options_one ("handle_token", g_variant_new_string ("my_token_1")), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (handle, ==, expected);

  /* Reusing a pending token still works, at another path. */
  second = elicit_full (client, server_dict ("Example", NULL), "https://example.com/", "",
                        options_one ("handle_token", g_variant_new_string ("my_token_1")), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, !=, expected);
  g_assert_true (g_str_has_prefix (second, expected));
}

static void
test_close_only_by_owner (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) owner = NULL;
  g_autoptr(McTestClient) intruder = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *next = NULL;
  g_autofree char *action = NULL;

  mc_test_env_set_script (env, "hang\ndecline\n");
  mc_test_env_start_daemon (env);
  owner = mc_test_client_new (env);
  intruder = mc_test_client_new (env);

  handle = elicit (owner, "Example", "https://example.com/");
  shown = mc_test_env_wait_record (env, 0);

  reply = g_dbus_connection_call_sync (intruder->connection, BUS_NAME, handle, REQUEST_IFACE, "Close",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_clear_error (&error);
  /* Still on screen. */
  g_assert_cmpuint (mc_test_env_count_records (env), ==, 1);

  reply = g_dbus_connection_call_sync (owner->connection, BUS_NAME, handle, REQUEST_IFACE, "Close",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  dismissed = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (dismissed, "id"), ==, record_string (shown, "id"));

  /* The next prompt takes the screen; the closed one never answers. */
  next = elicit (owner, "Example", "https://example.com/next");
  g_assert_cmpuint (wait_response (owner, next, &action, NULL), ==, 1);
  g_assert_false (g_hash_table_contains (owner->responses, handle));
}

static void
test_response_is_unicast (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) owner = NULL;
  g_autoptr(McTestClient) observer = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *second = NULL;

  mc_test_env_set_script (env, "decline\ndecline\n");
  mc_test_env_start_daemon (env);
  owner = mc_test_client_new (env);
  observer = mc_test_client_new (env);

  handle = elicit (owner, "Example", "https://example.com/");
  wait_response (owner, handle, NULL, NULL);
  /* The observer's own request is answered after the owner's; by then the
   * owner's Response would have reached it too, were it broadcast. */
  second = elicit (observer, "Example", "https://example.com/2");
  wait_response (observer, second, NULL, NULL);
  g_assert_false (g_hash_table_contains (observer->responses, handle));
}

/* Sends CompleteElicitation; returns its "matched". */
static gboolean
complete (McTestClient *client,
          const char   *server_name,
          const char   *elicitation_id)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean matched = FALSE;

  reply = call (client, "CompleteElicitation",
                g_variant_new ("(@a{sv}s)", server_dict (server_name, NULL), elicitation_id), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &matched);
  return matched;
}

static void
test_completion (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(McTestClient) other_process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autofree char *handle = NULL;

  mc_test_env_set_script (env, "open\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);
  other_process = mc_test_client_new (env);

  handle = elicit_full (client, server_dict ("Example", NULL), "https://example.com/connect", "",
                        options_one ("elicitation_id", g_variant_new_string ("550e8400-e29b")), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wait_response (client, handle, NULL, NULL), ==, 0);
  prompt = mc_test_env_wait_record (env, 0);
  expect_record (env, 1, "opened");

  /* Unknown ids and other servers are ignored, as MCP requires. */
  g_assert_false (complete (client, "Example", "nope"));
  g_assert_false (complete (client, "Other", "550e8400-e29b"));

  /* The same program identity may complete it from another connection. */
  g_assert_true (complete (other_process, "Example", "550e8400-e29b"));

  dismissed = mc_test_env_wait_record (env, 2);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (dismissed, "id"), ==, record_string (prompt, "id"));

  /* Already completed: ignored. */
  g_assert_false (complete (client, "Example", "550e8400-e29b"));
}

/* An elicitation whose timeout is far beyond the test's deadline: a wait
 * that ends by itself cannot pass for one that a completion ended. */
static char *
elicit_with_id (McTestClient *client,
                const char   *url,
                const char   *elicitation_id)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GError) error = NULL;
  char *handle = NULL;

  g_variant_builder_add (&options, "{sv}", "elicitation_id", g_variant_new_string (elicitation_id));
  g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (3600));
  handle = elicit_full (client, server_dict ("Example", NULL), url, "",
                        g_variant_builder_end (&options), &error);
  g_assert_no_error (error);
  return handle;
}

static void
test_completion_while_showing (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(JsonObject) answered = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *action = NULL;
  g_autofree char *browser = NULL;

  /* The dialog stays up, unanswered, until the test answers for the user. */
  mc_test_env_set_script (env, "hold\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  handle = elicit_with_id (client, "https://example.com/connect", "early-1");
  prompt = mc_test_env_wait_record (env, 0);
  g_assert_cmpstr (record_string (prompt, "answer"), ==, "hold");

  /* The server is done before the user clicked: the completion is taken,
   * once; the dialog still asks. */
  g_assert_true (complete (client, "Example", "early-1"));
  g_assert_false (complete (client, "Example", "early-1"));

  mc_test_env_set_script (env, "open\n");
  g_assert_cmpuint (wait_response (client, handle, &action, NULL), ==, 0);
  g_assert_cmpstr (action, ==, "accept");
  browser = mc_test_env_wait_browser (env);
  g_assert_cmpstr (browser, ==, "https://example.com/connect\n");

  /* No "finish in your browser" notice: the dialog goes away at once. */
  answered = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (record_string (answered, "event"), ==, "answered");
  g_assert_cmpstr (record_string (answered, "answer"), ==, "open");
  dismissed = mc_test_env_wait_record (env, 2);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (dismissed, "id"), ==, record_string (prompt, "id"));
  g_assert_cmpuint (mc_test_env_count_events (env, "opened", NULL), ==, 0);
  g_assert_false (complete (client, "Example", "early-1"));
}

static void
test_completion_then_decline (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) opened = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autofree char *declined = NULL;
  g_autofree char *again = NULL;
  g_autofree char *action = NULL;
  g_autofree char *browser = NULL;

  mc_test_env_set_script (env, "hold\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  declined = elicit_with_id (client, "https://example.com/first", "early-2");
  expect_record (env, 0, "prompt");
  g_assert_true (complete (client, "Example", "early-2"));

  /* The completion does not answer for the user: a decline is a decline,
   * and nothing is opened. */
  mc_test_env_set_script (env, "decline\nopen\n");
  g_assert_cmpuint (wait_response (client, declined, &action, NULL), ==, 1);
  g_assert_cmpstr (action, ==, "decline");
  expect_record (env, 1, "answered");

  /* It went with its prompt: the next elicitation with the same id waits
   * for a completion of its own. */
  again = elicit_with_id (client, "https://example.com/second", "early-2");
  g_assert_cmpuint (wait_response (client, again, NULL, NULL), ==, 0);
  second = mc_test_env_wait_record (env, 2);
  g_assert_cmpstr (record_string (second, "event"), ==, "prompt");
  opened = mc_test_env_wait_record (env, 3);
  g_assert_cmpstr (record_string (opened, "event"), ==, "opened");
  g_assert_cmpstr (record_string (opened, "id"), ==, record_string (second, "id"));
  browser = mc_test_env_wait_browser (env);
  g_assert_cmpstr (browser, ==, "https://example.com/second\n");

  g_assert_true (complete (client, "Example", "early-2"));
  dismissed = mc_test_env_wait_record (env, 4);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (dismissed, "id"), ==, record_string (second, "id"));
}

/* The desktop's OpenURI portal, as GIO calls it when GTK_USE_PORTAL=1 and
 * no browser is registered: its reply is what ends the launch, so holding
 * it holds the prompt in OPENING for as long as the test needs. */
typedef struct
{
  GDBusConnection       *connection;
  guint                  registration;
  GDBusMethodInvocation *invocation;
  char                  *uri;
} FakePortal;

static const char fake_portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.OpenURI'>"
  "    <method name='OpenURI'>"
  "      <arg type='s' name='parent_window' direction='in'/>"
  "      <arg type='s' name='uri' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static void
fake_portal_method_call (GDBusConnection       *connection,
                         const char            *sender,
                         const char            *object_path,
                         const char            *interface_name,
                         const char            *method_name,
                         GVariant              *parameters,
                         GDBusMethodInvocation *invocation,
                         gpointer               user_data)
{
  FakePortal *portal = user_data;

  g_assert_null (portal->invocation);
  g_variant_get (parameters, "(&ss@a{sv})", NULL, &portal->uri, NULL);
  portal->invocation = invocation;
}

static const GDBusInterfaceVTable fake_portal_vtable = { fake_portal_method_call, NULL, NULL, { 0 } };

static void
fake_portal_start (FakePortal *portal,
                   McTestEnv  *env)
{
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (fake_portal_xml, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 result = 0;

  portal->connection = mc_test_env_connect (env);
  portal->registration = g_dbus_connection_register_object (portal->connection, "/org/freedesktop/portal/desktop",
                                                            info->interfaces[0], &fake_portal_vtable,
                                                            portal, NULL, &error);
  g_assert_no_error (error);

  reply = g_dbus_connection_call_sync (portal->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.portal.Desktop", 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1);
}

static void
fake_portal_stop (FakePortal *portal)
{
  if (portal->invocation != NULL)
    g_dbus_method_invocation_return_error_literal (g_steal_pointer (&portal->invocation),
                                                   G_DBUS_ERROR, G_DBUS_ERROR_FAILED, "The test ended");
  g_dbus_connection_unregister_object (portal->connection, portal->registration);
  g_dbus_connection_close_sync (portal->connection, NULL, NULL);
  g_clear_object (&portal->connection);
  g_clear_pointer (&portal->uri, g_free);
}

static gboolean
fake_portal_called (gpointer user_data)
{
  FakePortal *portal = user_data;

  return portal->invocation != NULL;
}

static void
test_completion_while_opening (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NO_BROWSER);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *action = NULL;
  FakePortal portal = { NULL, };

  fake_portal_start (&portal, env);
  mc_test_env_setenv (env, "GTK_USE_PORTAL", "1");
  mc_test_env_set_script (env, "open\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  /* The user chose Open; the browser is being started. */
  handle = elicit_with_id (client, "https://example.com/connect", "early-3");
  prompt = mc_test_env_wait_record (env, 0);
  mc_test_wait_until (fake_portal_called, &portal, "the browser to be asked to open the URL");
  g_assert_cmpstr (portal.uri, ==, "https://example.com/connect");
  g_assert_false (mc_test_client_has_response (client, handle));

  g_assert_true (complete (client, "Example", "early-3"));

  /* The browser is started: the user chose Open, so the caller gets
   * accept; the wait ends at once. */
  g_dbus_method_invocation_return_value (g_steal_pointer (&portal.invocation),
                                         g_variant_new ("(o)", "/org/freedesktop/portal/desktop/request/1_1/t"));
  g_assert_cmpuint (wait_response (client, handle, &action, NULL), ==, 0);
  g_assert_cmpstr (action, ==, "accept");
  dismissed = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (dismissed, "id"), ==, record_string (prompt, "id"));
  g_assert_cmpuint (mc_test_env_count_events (env, "opened", NULL), ==, 0);

  fake_portal_stop (&portal);
}

static void
test_caller_vanishes_mid_prompt (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) leaving = NULL;
  g_autoptr(McTestClient) staying = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autoptr(JsonObject) next = NULL;
  g_autofree char *first = NULL;
  g_autofree char *queued = NULL;
  g_autofree char *other = NULL;
  g_autofree char *action = NULL;

  mc_test_env_set_script (env, "hang\ndecline\n");
  mc_test_env_start_daemon (env);
  leaving = mc_test_client_new (env);
  staying = mc_test_client_new (env);

  first = elicit (leaving, "Example", "https://example.com/first");
  shown = mc_test_env_wait_record (env, 0);
  queued = elicit (leaving, "Example", "https://example.com/queued");
  other = elicit (staying, "Example", "https://example.com/other");

  g_dbus_connection_close_sync (leaving->connection, NULL, NULL);

  /* Its prompt goes away, its queued one is never shown, the other
   * caller's prompt is next. */
  dismissed = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (dismissed, "id"), ==, record_string (shown, "id"));
  next = mc_test_env_wait_record (env, 2);
  g_assert_cmpstr (record_string (next, "url"), ==, "https://example.com/other");
  g_assert_cmpuint (wait_response (staying, other, &action, NULL), ==, 1);
}

static void
test_prompter_crash_cancels_and_recovers (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *crashed = NULL;
  g_autofree char *after = NULL;
  g_autofree char *action = NULL;
  g_autofree char *reason = NULL;

  mc_test_env_set_script (env, "crash\nopen\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  crashed = elicit (client, "Example", "https://example.com/crash");
  g_assert_cmpuint (wait_response (client, crashed, &action, &reason), ==, 2);
  g_assert_cmpstr (action, ==, "cancel");
  g_assert_cmpstr (reason, ==, "prompter-failed");
  g_clear_pointer (&action, g_free);

  /* A new dialog process serves the next prompt. */
  after = elicit (client, "Example", "https://example.com/after");
  g_assert_cmpuint (wait_response (client, after, &action, NULL), ==, 0);
  g_assert_cmpstr (action, ==, "accept");
}

static void
test_missing_prompter_cancels (void)
{
  g_autoptr(McTestEnv) env = NULL;
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *reason = NULL;

  env = mc_test_env_new (MC_TEST_ENV_NONE);
  mc_test_env_setenv (env, "MCP_CONSENT_PROMPTER", "/nonexistent/mcp-consent-prompter");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  handle = elicit (client, "Example", "https://example.com/");
  g_assert_cmpuint (wait_response (client, handle, NULL, &reason), ==, 2);
  g_assert_cmpstr (reason, ==, "prompter-failed");
}

static void
test_timeout_cancels (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *action = NULL;
  g_autofree char *reason = NULL;

  mc_test_env_set_script (env, "hang\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  handle = elicit_full (client, server_dict ("Example", NULL), "https://example.com/", "",
                        options_one ("timeout", g_variant_new_uint32 (1)), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wait_response (client, handle, &action, &reason), ==, 2);
  g_assert_cmpstr (action, ==, "cancel");
  g_assert_cmpstr (reason, ==, "timeout");
  dismissed = mc_test_env_wait_record (env, 1);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
}

static void
test_busy_after_eight (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) greedy = NULL;
  g_autoptr(McTestClient) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ninth = NULL;
  g_autofree char *others = NULL;

  mc_test_env_set_script (env, "hang\n");
  mc_test_env_start_daemon (env);
  greedy = mc_test_client_new (env);
  other = mc_test_client_new (env);

  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *handle = elicit (greedy, "Example", "https://example.com/");
      g_assert_nonnull (handle);
    }

  ninth = elicit_full (greedy, server_dict ("Example", NULL), "https://example.com/", "", NULL, &error);
  g_assert_null (ninth);
  g_assert_error (error, MC_ERROR, MC_ERROR_BUSY);

  /* The cap is per caller. */
  others = elicit (other, "Example", "https://example.com/");
  g_assert_nonnull (others);
}

static void
test_queue_is_fair (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) a = NULL;
  g_autoptr(McTestClient) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *holder = NULL;
  const char *expected[] = { "a2", "b1", "a3", "b2", "a4" };
  GPtrArray *handles = NULL;

  /* The first prompt holds the screen until its timeout while the rest
   * queue up; then each is declined in the order shown. */
  mc_test_env_set_script (env, "hang\ndecline\ndecline\ndecline\ndecline\ndecline\n");
  mc_test_env_start_daemon (env);
  a = mc_test_client_new (env);
  b = mc_test_client_new (env);
  handles = g_ptr_array_new_with_free_func (g_free);

  holder = elicit_full (a, server_dict ("Example", NULL), "https://example.com/a1", "",
                        options_one ("timeout", g_variant_new_uint32 (2)), &error);
  g_assert_no_error (error);
  expect_record (env, 0, "prompt");

  g_ptr_array_add (handles, elicit (a, "Example", "https://example.com/a2"));
  g_ptr_array_add (handles, elicit (a, "Example", "https://example.com/a3"));
  g_ptr_array_add (handles, elicit (a, "Example", "https://example.com/a4"));
  g_ptr_array_add (handles, elicit (b, "Example", "https://example.com/b1"));
  g_ptr_array_add (handles, elicit (b, "Example", "https://example.com/b2"));

  /* Record 1 is the timed-out a1 going away; then one prompt each. */
  expect_record (env, 1, "dismissed");
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(JsonObject) record = mc_test_env_wait_record (env, 2 + i);
      g_autofree char *url = g_strconcat ("https://example.com/", expected[i], NULL);

      g_assert_cmpstr (record_string (record, "event"), ==, "prompt");
      g_assert_cmpstr (record_string (record, "url"), ==, url);
    }
  g_ptr_array_unref (handles);
}

static void
test_check_url_and_status (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) verdict = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GError) error = NULL;
  const char *risk = NULL;
  const char *version = NULL;
  guint32 pending = 99;

  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  reply = call (client, "CheckUrl", g_variant_new ("(s@a{sv})", "https://xn--pple-43d.com/login",
                                                   server_dict ("Example", "https://mcp.example.com/")), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@a{sv})", &verdict);
  g_assert_true (g_variant_lookup (verdict, "risk", "&s", &risk));
  g_assert_cmpstr (risk, ==, "danger");
  g_clear_pointer (&reply, g_variant_unref);

  reply = call (client, "CheckUrl", g_variant_new ("(s@a{sv})", "https://example.com/",
                                                   options_one ("url", g_variant_new_int32 (1))), &error);
  g_assert_null (reply);
  g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  reply = call (client, "GetStatus", NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@a{sv})", &status);
  g_assert_true (g_variant_lookup (status, "daemon_version", "&s", &version));
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  g_assert_true (g_variant_lookup (status, "pending_prompts", "u", &pending));
  g_assert_cmpuint (pending, ==, 0);
}

static GVariant *
list_pending (McTestClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (client, "ListPending", NULL, &error);
  GVariant *prompts = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(@aa{sv})", &prompts);
  return prompts;
}

/* What the manager window's "Waiting" page lists: who asks, for which
 * server, in which state — and never the URL's path or query. */
static void
test_list_pending (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(GVariant) prompts = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *showing = NULL;
  g_autofree char *queued = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) closed = NULL;
  const char *value = NULL;
  gint64 created = 0;

  mc_test_env_set_script (env, "hang\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  prompts = list_pending (client);
  g_assert_cmpuint (g_variant_n_children (prompts), ==, 0);
  g_clear_pointer (&prompts, g_variant_unref);

  showing = elicit (client, "Example Files", "https://accounts.example.com/connect?code=SECRET1");
  expect_record (env, 0, "prompt");
  queued = elicit (client, "Other", "https://other.example.org/pay?token=SECRET2");

  prompts = list_pending (client);
  g_assert_cmpuint (g_variant_n_children (prompts), ==, 2);
  printed = g_variant_print (prompts, FALSE);
  g_assert_null (strstr (printed, "SECRET"));
  g_assert_null (strstr (printed, "/connect"));

  first = g_variant_get_child_value (prompts, 0);
  g_assert_true (g_variant_lookup (first, "kind", "&s", &value));
  g_assert_cmpstr (value, ==, "url");
  g_assert_true (g_variant_lookup (first, "state", "&s", &value));
  g_assert_cmpstr (value, ==, "showing");
  g_assert_true (g_variant_lookup (first, "server_name", "&s", &value));
  g_assert_cmpstr (value, ==, "Example Files");
  g_assert_true (g_variant_lookup (first, "host", "&s", &value));
  g_assert_cmpstr (value, ==, "accounts.example.com");
  g_assert_true (g_variant_lookup (first, "app_name", "&s", &value));
  g_assert_true (g_variant_lookup (first, "created", "x", &created));
  g_assert_cmpint (ABS (created - g_get_real_time () / G_USEC_PER_SEC), <, 60);

  second = g_variant_get_child_value (prompts, 1);
  g_assert_true (g_variant_lookup (second, "state", "&s", &value));
  g_assert_cmpstr (value, ==, "queued");
  g_assert_true (g_variant_lookup (second, "server_name", "&s", &value));
  g_assert_cmpstr (value, ==, "Other");
  g_clear_pointer (&prompts, g_variant_unref);

  /* A withdrawn request leaves the list at once. */
  closed = g_dbus_connection_call_sync (client->connection, BUS_NAME, queued, REQUEST_IFACE, "Close",
                                        NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  prompts = list_pending (client);
  g_assert_cmpuint (g_variant_n_children (prompts), ==, 1);
}

static void
test_sigterm_answers_waiting_callers (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *reason = NULL;

  mc_test_env_set_script (env, "hang\n");
  mc_test_env_start_daemon (env);
  client = mc_test_client_new (env);

  handle = elicit (client, "Example", "https://example.com/");
  expect_record (env, 0, "prompt");

  g_subprocess_send_signal (env->daemon, SIGTERM);
  g_assert_cmpuint (wait_response (client, handle, NULL, &reason), ==, 2);
  g_assert_cmpstr (reason, ==, "broker-exit");
  mc_test_wait_subprocess (env->daemon);
  g_assert_true (g_subprocess_get_if_exited (env->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (env->daemon), ==, 0);
}

static void
test_replace (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(GSubprocessLauncher) launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) replacement = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *first = NULL;

  mc_test_env_start_daemon (env);
  first = env->daemon;

  replacement = g_subprocess_launcher_spawn (launcher, &error,
                                             mc_test_build_path ("MC_TEST_DAEMON"), "--replace", NULL);
  g_assert_no_error (error);

  /* The old one leaves cleanly when its name is taken. */
  mc_test_wait_subprocess (first);
  g_assert_true (g_subprocess_get_if_exited (first));
  g_assert_cmpint (g_subprocess_get_exit_status (first), ==, 0);
  g_clear_object (&env->daemon);

  env->daemon = g_steal_pointer (&replacement);
  g_assert_cmpuint (mc_test_env_get_daemon_pid (env), ==,
                    (guint32)g_ascii_strtoull (g_subprocess_get_identifier (env->daemon), NULL, 10));
}

static void
test_sandboxed_daemon_sees_unknown_callers (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *again = NULL;
  g_autofree char *action = NULL;

  /* The daemon in its own PID namespace, as inside a Flatpak: the process
   * ids the bus reports name nothing it can look at. */
  mc_test_env_set_script (env, "open-always\ndecline\n");
  env->daemon = mc_test_env_spawn_in_flatpak (env, "io.github.mcp_consent.Broker", G_SUBPROCESS_FLAGS_NONE,
                                              &error, mc_test_build_path ("MC_TEST_DAEMON"), NULL);
  g_assert_no_error (error);
  mc_test_env_wait_for_daemon (env);
  client = mc_test_client_new (env);

  /* It still serves, but it knows and says it cannot tell who asks. */
  handle = elicit (client, "Example", "https://example.com/");
  g_assert_cmpuint (wait_response (client, handle, &action, NULL), ==, 0);
  first = mc_test_env_wait_record (env, 0);
  g_assert_cmpstr (record_string (first, "app_kind"), ==, "unknown");
  g_assert_null (record_string (first, "app_path"));
  g_assert_null (record_string (first, "app_id"));
  g_assert_false (json_object_get_boolean_member (first, "can_remember"));

  /* So nothing is remembered, even if a dialog said "always". */
  again = elicit (client, "Example", "https://example.com/");
  g_assert_cmpuint (wait_response (client, again, NULL, NULL), ==, 1);
  second = mc_test_env_wait_record (env, 2);
  g_assert_cmpstr (record_string (second, "event"), ==, "prompt");

  reply = call (client, "ListRemembered", NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@aa{sv})", &entries);
  g_assert_cmpuint (g_variant_n_children (entries), ==, 0);
}

static void
test_open_uri_child_checks_its_input (void)
{
  g_autoptr(McTestEnv) env = mc_test_env_new (MC_TEST_ENV_NONE);
  const char *inputs[] = { "javascript:alert(1)\n", "", "file:///etc/passwd" };

  /* The helper the daemon runs to open a URL is a program anyone can
   * start: it refuses what the daemon would never ask for. */
  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = mc_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *err = NULL;

      child = g_subprocess_launcher_spawn (launcher, &error, mc_test_build_path ("MC_TEST_DAEMON"), "--open-uri", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (child, inputs[i], NULL, NULL, &err, &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_subprocess_get_exit_status (child), ==, 1);
      g_assert_cmpstr (err, !=, "");
    }

  {
    g_autofree char *browser = mc_test_env_read_browser_log (env);
    g_assert_cmpstr (browser, ==, "");
  }
}

static void
test_version_option (void)
{
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expected = g_strdup_printf ("mcp-consentd %s\n", PACKAGE_VERSION);

  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                             mc_test_build_path ("MC_TEST_DAEMON"), "--version", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (daemon, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, expected);
  g_assert_cmpint (g_subprocess_get_exit_status (daemon), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Registers the error names, so replies map to McError codes. */
  (void) MC_ERROR;

  g_test_add_func ("/broker/open-accepts-and-launches-browser", test_open_accepts_and_launches_browser);
  g_test_add_func ("/broker/decline-and-dismiss", test_decline_and_dismiss);
  g_test_add_func ("/broker/blocked-url-shows-nothing", test_blocked_url_shows_nothing);
  g_test_add_func ("/broker/bad-arguments", test_bad_arguments);
  g_test_add_func ("/broker/handle-token", test_handle_token_gives_predictable_path);
  g_test_add_func ("/broker/close-only-by-owner", test_close_only_by_owner);
  g_test_add_func ("/broker/response-is-unicast", test_response_is_unicast);
  g_test_add_func ("/broker/completion", test_completion);
  g_test_add_func ("/broker/completion-while-showing", test_completion_while_showing);
  g_test_add_func ("/broker/completion-then-decline", test_completion_then_decline);
  g_test_add_func ("/broker/completion-while-opening", test_completion_while_opening);
  g_test_add_func ("/broker/caller-vanishes", test_caller_vanishes_mid_prompt);
  g_test_add_func ("/broker/prompter-crash", test_prompter_crash_cancels_and_recovers);
  g_test_add_func ("/broker/missing-prompter", test_missing_prompter_cancels);
  g_test_add_func ("/broker/timeout", test_timeout_cancels);
  g_test_add_func ("/broker/busy-after-eight", test_busy_after_eight);
  g_test_add_func ("/broker/queue-is-fair", test_queue_is_fair);
  g_test_add_func ("/broker/check-url-and-status", test_check_url_and_status);
  g_test_add_func ("/broker/list-pending", test_list_pending);
  g_test_add_func ("/broker/sigterm", test_sigterm_answers_waiting_callers);
  g_test_add_func ("/broker/replace", test_replace);
  g_test_add_func ("/broker/sandboxed-daemon", test_sandboxed_daemon_sees_unknown_callers);
  g_test_add_func ("/broker/open-uri-child", test_open_uri_child_checks_its_input);
  g_test_add_func ("/broker/version", test_version_option);

  return g_test_run ();
}
