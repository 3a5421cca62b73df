/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* McBrokerClient, the asynchronous client mcp-consent-bridge talks to
 * the broker with, against the daemon built in the tree on a private bus:
 * sign-in and tokens (with the local authorization server and a real
 * gnome-keyring), URL elicitations answered by the scripted dialog, a
 * request cancelled while the dialog shows it, and a broker that dies
 * without answering. */

#include "config.h"

#include <signal.h>

#include "mc-broker-client.h"
#include "mc-error.h"
#include "mc-pkce.h"
#include "mc-test-oauth.h"

typedef struct
{
  gboolean          done;
  McBrokerResponse  response;
  GVariant         *results;
  char             *token;
  gboolean          matched;
  GError           *error;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->results, g_variant_unref);
  g_clear_pointer (&answer->token, mc_oauth_secret_free);
  g_clear_error (&answer->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

static gboolean
is_answered (gpointer user_data)
{
  return ((Answer *)user_data)->done;
}

static void
on_authorized (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Answer *answer = user_data;

  answer->response = mc_broker_client_authorize_finish (MC_BROKER_CLIENT (source_object), result,
                                                        &answer->results, &answer->error);
  answer->done = TRUE;
}

static void
on_token (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Answer *answer = user_data;

  answer->token = mc_broker_client_get_token_finish (MC_BROKER_CLIENT (source_object), result,
                                                     &answer->results, &answer->error);
  answer->done = TRUE;
}

static void
on_elicited (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Answer *answer = user_data;

  answer->response = mc_broker_client_elicit_url_finish (MC_BROKER_CLIENT (source_object), result,
                                                         &answer->results, &answer->error);
  answer->done = TRUE;
}

static void
on_completed (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Answer *answer = user_data;

  mc_broker_client_complete_elicitation_finish (MC_BROKER_CLIENT (source_object), result,
                                                &answer->matched, &answer->error);
  answer->done = TRUE;
}

static McBrokerClient *
new_client (McTestOAuth *fixture)
{
  g_autoptr(GDBusConnection) connection = mc_test_env_connect (fixture->env);

  return mc_broker_client_new (connection);
}

static const char *
results_string (GVariant   *results,
                const char *key)
{
  const char *value = NULL;

  g_assert_nonnull (results);
  g_assert_true (g_variant_lookup (results, key, "&s", &value));
  return value;
}

static void
elicit (McBrokerClient *client,
        const char     *url,
        const char     *elicitation_id,
        GCancellable   *cancellable,
        Answer         *answer)
{
  McBrokerServer server = { .name = "Example Files", .url = "https://mcp.example.com/mcp" };

  mc_broker_client_elicit_url_async (client, &server, url, "Confirm the payment.", elicitation_id, 0,
                                     cancellable, on_elicited, answer);
}

static gboolean
complete (McBrokerClient *client,
          const char     *elicitation_id)
{
  McBrokerServer server = { .name = "Example Files" };
  g_auto(Answer) answer = { 0 };

  mc_broker_client_complete_elicitation_async (client, &server, elicitation_id, NULL, on_completed, &answer);
  mc_test_wait_until (is_answered, &answer, "CompleteElicitation");
  g_assert_no_error (answer.error);
  return answer.matched;
}

static const char *
record_string (JsonObject *record,
               const char *member)
{
  return json_object_get_string_member_with_default (record, member, NULL);
}

/* Sign-in and tokens {{{1 */

static void
test_authorize_and_token (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McBrokerClient) client = new_client (fixture);
  const char *resource = mc_mock_oauth_get_resource_url (fixture->mock);
  g_auto(Answer) before = { 0 };
  g_auto(Answer) authorized = { 0 };
  g_auto(Answer) token = { 0 };
  g_autofree char *issued = NULL;
  g_autofree const char **scopes = NULL;

  /* No grant yet: only a sign-in helps. */
  mc_broker_client_get_token_async (client, resource, FALSE, NULL, on_token, &before);
  mc_test_wait_until (is_answered, &before, "GetToken before signing in");
  g_assert_null (before.token);
  g_assert_error (before.error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED);

  mc_test_env_set_script (fixture->env, "open\n");
  mc_broker_client_authorize_async (client, resource, NULL, NULL, 0, NULL, on_authorized, &authorized);
  g_free (mc_test_oauth_play_browser (fixture));
  mc_test_wait_until (is_answered, &authorized, "the sign-in");
  g_assert_no_error (authorized.error);
  g_assert_cmpint (authorized.response, ==, MC_BROKER_RESPONSE_SUCCESS);
  g_assert_nonnull (results_string (authorized.results, "grant_id"));

  mc_broker_client_get_token_async (client, resource, FALSE, NULL, on_token, &token);
  mc_test_wait_until (is_answered, &token, "GetToken");
  g_assert_no_error (token.error);
  issued = mc_mock_oauth_dup_last_access_token (fixture->mock);
  g_assert_cmpstr (token.token, ==, issued);
  g_assert_cmpstr (results_string (token.results, "grant_id"), ==, results_string (authorized.results, "grant_id"));
  g_assert_true (g_variant_lookup (token.results, "scopes", "^a&s", &scopes));
  g_assert_cmpuint (g_strv_length ((char **)scopes), >, 0);
}

static void
test_authorize_declined (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McBrokerClient) client = new_client (fixture);
  g_auto(Answer) answer = { 0 };

  mc_test_env_set_script (fixture->env, "decline\n");
  mc_broker_client_authorize_async (client, mc_mock_oauth_get_resource_url (fixture->mock), NULL, NULL, 0,
                                    NULL, on_authorized, &answer);
  mc_test_wait_until (is_answered, &answer, "the declined sign-in");
  g_assert_no_error (answer.error);
  g_assert_cmpint (answer.response, ==, MC_BROKER_RESPONSE_DECLINED);
  g_assert_cmpstr (results_string (answer.results, "reason"), ==, "declined");
}

/* A call the broker refuses is an error, not a response. */
static void
test_authorize_refused (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McBrokerClient) client = new_client (fixture);
  g_auto(Answer) answer = { 0 };

  mc_broker_client_authorize_async (client, "ftp://mcp.example.com/", NULL, NULL, 0, NULL, on_authorized, &answer);
  mc_test_wait_until (is_answered, &answer, "the refused Authorize");
  g_assert_error (answer.error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
  g_assert_null (answer.results);
  g_assert_cmpuint (mc_test_env_count_records (fixture->env), ==, 0);
}

/* URL elicitations {{{1 */

static void
test_elicit_url (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McBrokerClient) client = new_client (fixture);
  g_auto(Answer) accepted = { 0 };
  g_auto(Answer) declined = { 0 };
  g_autoptr(JsonObject) prompt = NULL;

  mc_test_env_set_script (fixture->env, "open\ndecline\n");
  elicit (client, "https://pay.example.com/confirm?cart=42", "el-1", NULL, &accepted);
  mc_test_wait_until (is_answered, &accepted, "the accepted elicitation");
  g_assert_no_error (accepted.error);
  g_assert_cmpint (accepted.response, ==, MC_BROKER_RESPONSE_SUCCESS);
  g_assert_cmpstr (results_string (accepted.results, "action"), ==, "accept");

  /* The dialog showed what the client asked, from whom. */
  prompt = mc_test_env_wait_record (fixture->env, 0);
  g_assert_cmpstr (record_string (prompt, "event"), ==, "prompt");
  g_assert_cmpstr (record_string (prompt, "url"), ==, "https://pay.example.com/confirm?cart=42");
  g_assert_cmpstr (record_string (prompt, "server_name"), ==, "Example Files");

  /* The server's completion ends the notice; an unknown id is ignored. */
  g_assert_true (complete (client, "el-1"));
  g_assert_false (complete (client, "el-1"));
  g_assert_false (complete (client, "never-sent"));

  elicit (client, "https://pay.example.com/confirm?cart=43", NULL, NULL, &declined);
  mc_test_wait_until (is_answered, &declined, "the declined elicitation");
  g_assert_no_error (declined.error);
  g_assert_cmpint (declined.response, ==, MC_BROKER_RESPONSE_DECLINED);
  g_assert_cmpstr (results_string (declined.results, "action"), ==, "decline");
}

static void
test_elicit_blocked (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McBrokerClient) client = new_client (fixture);
  g_auto(Answer) answer = { 0 };

  elicit (client, "javascript:alert(1)", NULL, NULL, &answer);
  mc_test_wait_until (is_answered, &answer, "the blocked elicitation");
  g_assert_error (answer.error, MC_ERROR, MC_ERROR_URL_BLOCKED);
  g_assert_cmpuint (mc_test_env_count_records (fixture->env), ==, 0);
}

/* Cancelling takes the dialog away: no prompt stays up for nobody. */
static void
test_cancel_closes (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McBrokerClient) client = new_client (fixture);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) early = g_cancellable_new ();
  g_auto(Answer) answer = { 0 };
  g_auto(Answer) early_answer = { 0 };
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) dismissed = NULL;
  g_autoptr(JsonObject) early_shown = NULL;
  g_autoptr(JsonObject) early_dismissed = NULL;

  mc_test_env_set_script (fixture->env, "hang\nhang\n");
  elicit (client, "https://pay.example.com/confirm", NULL, cancellable, &answer);
  shown = mc_test_env_wait_record (fixture->env, 0);
  g_assert_cmpstr (record_string (shown, "event"), ==, "prompt");

  g_cancellable_cancel (cancellable);
  mc_test_wait_until (is_answered, &answer, "the cancelled elicitation");
  g_assert_error (answer.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  dismissed = mc_test_env_wait_record (fixture->env, 1);
  g_assert_cmpstr (record_string (dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (dismissed, "id"), ==, record_string (shown, "id"));

  /* Cancelled before the broker even replied: closed when it does. */
  elicit (client, "https://pay.example.com/again", NULL, early, &early_answer);
  g_cancellable_cancel (early);
  mc_test_wait_until (is_answered, &early_answer, "the elicitation cancelled at once");
  g_assert_error (early_answer.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  early_shown = mc_test_env_wait_record (fixture->env, 2);
  g_assert_cmpstr (record_string (early_shown, "event"), ==, "prompt");
  early_dismissed = mc_test_env_wait_record (fixture->env, 3);
  g_assert_cmpstr (record_string (early_dismissed, "event"), ==, "dismissed");
  g_assert_cmpstr (record_string (early_dismissed, "id"), ==, record_string (early_shown, "id"));
}

/* A broker that dies without answering ends the wait with an error. */
static void
test_broker_dies (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McBrokerClient) client = new_client (fixture);
  g_auto(Answer) answer = { 0 };
  g_autoptr(JsonObject) shown = NULL;

  mc_test_env_set_script (fixture->env, "hang\n");
  elicit (client, "https://pay.example.com/confirm", NULL, NULL, &answer);
  shown = mc_test_env_wait_record (fixture->env, 0);
  g_assert_cmpstr (record_string (shown, "event"), ==, "prompt");

  g_assert_cmpint (kill ((pid_t)mc_test_env_get_daemon_pid (fixture->env), SIGKILL), ==, 0);
  mc_test_wait_until (is_answered, &answer, "the request of a dead broker to end");
  g_assert_error (answer.error, MC_ERROR, MC_ERROR_FAILED);
  g_test_message ("%s", answer.error->message);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/broker-client/authorize-and-token", test_authorize_and_token);
  g_test_add_func ("/broker-client/authorize-declined", test_authorize_declined);
  g_test_add_func ("/broker-client/authorize-refused", test_authorize_refused);
  g_test_add_func ("/broker-client/elicit-url", test_elicit_url);
  g_test_add_func ("/broker-client/elicit-blocked", test_elicit_blocked);
  g_test_add_func ("/broker-client/cancel-closes", test_cancel_closes);
  g_test_add_func ("/broker-client/broker-dies", test_broker_dies);

  return g_test_run ();
}
