/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Authorize end to end against a local authorization server the test
 * controls: the daemon built in the tree, the scripted dialog, a real
 * gnome-keyring, and the test as the user's browser. */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "mc-error.h"
#include "mc-test-oauth.h"

#define TOKEN_SCHEMA "io.github.mcp_consent.Token"
#define REQUEST_IFACE "io.github.mcp_consent.Request1"

static GPtrArray *
list_token_items (McTestOAuth *fixture)
{
  return mc_test_env_list_secret_items (fixture->env, TOKEN_SCHEMA);
}

static void
assert_no_tokens_kept (McTestOAuth *fixture)
{
  g_autoptr(GPtrArray) items = list_token_items (fixture);
  g_autoptr(GVariant) grants = mc_test_oauth_list_grants (fixture);

  g_assert_cmpuint (items->len, ==, 0);
  g_assert_cmpuint (g_variant_n_children (grants), ==, 0);
}

static guint16
url_port (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  g_assert_cmpint (g_uri_get_port (uri), >, 0);
  return (guint16)g_uri_get_port (uri);
}

/* The loopback listener's port, from the redirect_uri of the
 * authorization URL the browser got. */
static guint16
listener_port (const char *authorization_url)
{
  g_autofree char *redirect_uri = mc_test_oauth_url_param (authorization_url, "redirect_uri");

  g_assert_nonnull (redirect_uri);
  return url_port (redirect_uri);
}

static char *
replace_once (const char *text,
              const char *find,
              const char *replacement)
{
  GString *result = g_string_new (text);

  g_assert_cmpuint (g_string_replace (result, find, replacement, 1), ==, 1);
  return g_string_free (result, FALSE);
}

/* Whether nothing listens on 127.0.0.1:@port any more: a closed listener
 * refuses the connection, which is what the browser then shows. */
static gboolean
port_refuses (gpointer user_data)
{
  guint16 port = GPOINTER_TO_UINT (user_data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* The flow closes its listener after it answers (or is withdrawn), in
 * its own time: wait for that. */
static void
wait_listener_closed (guint16 port)
{
  mc_test_wait_until (port_refuses, GUINT_TO_POINTER (port), "the loopback listener to close");
}

/* A POST, as a page's form could make the browser send. */
static guint
post (const char *url)
{
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", direct,
                                                                  "timeout", MC_TEST_TIMEOUT_SECONDS, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  return soup_message_get_status (message);
}

/* Runs the dialog ("open") and the user's sign-in at the server, up to
 * where the server sends the browser back: the callback URL, not yet
 * loaded. */
static char *
start_sign_in (McTestOAuth  *fixture,
               char        **out_handle,
               char        **out_authorization_url)
{
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autoptr(GError) error = NULL;
  char *callback_url = NULL;

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  authorization_url = mc_test_oauth_wait_authorization_url (fixture);
  callback_url = mc_mock_oauth_authorize_in_browser (fixture->mock, authorization_url, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (callback_url, "http://127.0.0.1:"));

  *out_handle = g_steal_pointer (&handle);
  if (out_authorization_url != NULL)
    *out_authorization_url = g_steal_pointer (&authorization_url);
  return callback_url;
}

/* Waits for a failed sign-in's Response; checks its code and reason, and
 * returns its message. */
static char *
expect_failure (McTestOAuth *fixture,
                const char  *handle,
                guint32      code,
                const char  *reason)
{
  g_autoptr(GVariant) results = NULL;

  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, &results), ==, code);
  g_assert_cmpstr (mc_test_oauth_results_string (results, "reason"), ==, reason);
  g_assert_null (mc_test_oauth_results_string (results, "grant_id"));
  g_assert_nonnull (mc_test_oauth_results_string (results, "message"));
  return g_strdup (mc_test_oauth_results_string (results, "message"));
}

/* Whether a Response to @handle came: a round trip to the daemon first,
 * so that a signal it sent before is dispatched by then. */
static gboolean
got_response_by_now (McTestOAuth *fixture,
                     const char  *handle)
{
  g_variant_unref (mc_test_oauth_list_grants (fixture));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return mc_test_client_has_response (fixture->client, handle);
}

/* The happy path: what the user and the servers see, and where the
 * tokens end up. */
static void
test_sign_in (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autofree char *callback_url = NULL;
  g_autofree char *page = NULL;
  g_autofree char *token = NULL;
  g_autofree char *issued = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GVariant) grants = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree const char **scopes = NULL;
  const char *grant_id = NULL;
  const char *info_grant = NULL;
  gint64 expires_at = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);

  /* The dialog is asked about this server, this authorization server,
   * and the scopes the resource lists. */
  prompt = mc_test_env_wait_record (fixture->env, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "kind"), ==, "authorize");
  g_assert_cmpstr (json_object_get_string_member (prompt, "resource"), ==,
                   mc_mock_oauth_get_resource_url (fixture->mock));
  g_assert_cmpstr (json_object_get_string_member (prompt, "issuer"), ==, mc_mock_oauth_get_issuer (fixture->mock));
  g_assert_cmpstr (json_object_get_string_member (prompt, "authorization_endpoint"), ==,
                   mc_mock_oauth_get_endpoint_url (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE));

  /* The browser gets a PKCE S256 authorization request for the resource. */
  authorization_url = mc_test_oauth_wait_authorization_url (fixture);
  g_assert_true (g_str_has_prefix (authorization_url,
                                   mc_mock_oauth_get_endpoint_url (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE)));
  callback_url = mc_mock_oauth_authorize_in_browser (fixture->mock, authorization_url, &error);
  g_assert_no_error (error);
  params = mc_mock_oauth_dup_last_params (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE);
  g_assert_cmpstr (g_hash_table_lookup (params, "code_challenge_method"), ==, "S256");
  g_assert_cmpstr (g_hash_table_lookup (params, "resource"), ==, mc_mock_oauth_get_resource_url (fixture->mock));
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (params, "redirect_uri"), "http://127.0.0.1:"));

  /* The listener's page, then the answer. */
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, &page), ==, 200);
  g_assert_nonnull (strstr (page, "You can close this tab"));
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, &results), ==, 0);
  g_assert_true (g_variant_lookup (results, "grant_id", "&s", &grant_id));
  g_assert_true (g_variant_lookup (results, "expires_at", "x", &expires_at));
  g_assert_cmpint (expires_at, >=, now + 3600 - 60);
  g_assert_cmpint (expires_at, <=, now + 3600 + 60);

  /* GetToken hands out the token the server issued, and it works there. */
  token = mc_test_oauth_get_token (fixture, NULL, FALSE, &info, &error);
  g_assert_no_error (error);
  issued = mc_mock_oauth_dup_last_access_token (fixture->mock);
  g_assert_cmpstr (token, ==, issued);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, token));
  g_assert_true (g_variant_lookup (info, "grant_id", "&s", &info_grant));
  g_assert_cmpstr (info_grant, ==, grant_id);

  /* One code exchange, one grant listed; the tokens are in the keyring
   * and in no file. */
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 1);
  grants = mc_test_oauth_list_grants (fixture);
  g_assert_cmpuint (g_variant_n_children (grants), ==, 1);
  items = list_token_items (fixture);
  g_assert_cmpuint (items->len, >=, 1);
  files = mc_test_env_find_in_files (fixture->env, token);
  g_assert_cmpuint (files->len, ==, 0);
  g_assert_true (g_variant_lookup (results, "scopes", "^a&s", &scopes));
}

/* The listener takes only the answer with the flow's state; anything else
 * is refused with a page and the flow keeps waiting for the real one. */
static void
test_state_mismatch (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *handle = NULL;
  g_autofree char *callback_url = start_sign_in (fixture, &handle, NULL);
  g_autofree char *state = mc_test_oauth_url_param (callback_url, "state");
  g_autofree char *forged_url = replace_once (callback_url, state, "not-the-state-of-this-sign-in");
  g_autofree char *page = NULL;
  g_autofree char *real_page = NULL;

  g_assert_cmpuint (mc_mock_oauth_fetch (forged_url, NULL, &page), ==, 400);
  g_assert_nonnull (strstr (page, "This link does not belong to a sign-in in progress"));
  g_assert_false (got_response_by_now (fixture, handle));
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, &real_page), ==, 200);
  g_assert_nonnull (strstr (real_page, "You can close this tab"));
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, NULL), ==, 0);
}

/* A reload of the callback page after the sign-in, or someone replaying
 * its URL, changes nothing: the listener is gone (or refuses), and the
 * code is not exchanged twice. */
static void
test_replayed_callback (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *handle = NULL;
  g_autofree char *callback_url = start_sign_in (fixture, &handle, NULL);
  g_autofree char *token_before = NULL;
  g_autofree char *token_after = NULL;
  g_autoptr(GVariant) grants_before = NULL;
  g_autoptr(GVariant) grants_after = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 200);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, NULL), ==, 0);
  /* After a GetToken, which sets last_used. */
  token_before = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  grants_before = mc_test_oauth_list_grants (fixture);

  status = mc_mock_oauth_fetch (callback_url, NULL, NULL);
  g_test_message ("The replayed callback got %u", status);
  g_assert_true (status == 0 || (status >= 400 && status < 500));

  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 1);
  grants_after = mc_test_oauth_list_grants (fixture);
  g_assert_true (g_variant_equal (grants_before, grants_after));
  token_after = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token_after, ==, token_before);
}

/* What a web page or another local program can send the listener while
 * the user signs in: the wrong Host (DNS rebinding, or localhost, which
 * was never registered), another path, another method. Each is refused
 * and the sign-in goes on. */
static void
test_listener_refusals (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *handle = NULL;
  g_autofree char *callback_url = start_sign_in (fixture, &handle, NULL);
  g_autofree char *localhost = g_strdup_printf ("localhost:%u", url_port (callback_url));
  g_autofree char *other_path = replace_once (callback_url, "/callback?", "/other?");
  g_autofree char *page = NULL;

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, localhost, NULL), ==, 400);
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, "evil.example", NULL), ==, 400);
  g_assert_cmpuint (mc_mock_oauth_fetch (other_path, NULL, NULL), ==, 404);
  g_assert_cmpuint (post (callback_url), ==, 405);
  g_assert_false (got_response_by_now (fixture, handle));
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, &page), ==, 200);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, NULL), ==, 0);
}

/* The user declines at the authorization server. */
static void
test_access_denied (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *callback_url = NULL;
  g_autofree char *page = NULL;
  g_autofree char *message = NULL;

  mc_mock_oauth_options_init (&options);
  options.authorize_mode = MC_MOCK_OAUTH_AUTHORIZE_DENY;
  fixture = mc_test_oauth_new (&options, MC_TEST_ENV_NONE);
  callback_url = start_sign_in (fixture, &handle, NULL);

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, &page), ==, 200);
  g_assert_nonnull (strstr (page, "You declined the sign-in"));
  g_assert_nonnull (strstr (page, "no access was given"));
  message = expect_failure (fixture, handle, 1, "access-denied");
  g_assert_nonnull (strstr (message, "access_denied"));

  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);
  assert_no_tokens_kept (fixture);
}

static gboolean
has_revocations (gpointer user_data)
{
  McTestOAuth *fixture = user_data;

  return mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REVOCATION) >= 2;
}

/* A server that grants more than the user allowed is not believed: the
 * tokens are refused, and revoked where the server allows it. */
static void
test_scope_escalation (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *second_handle = NULL;
  g_autofree char *callback_url = NULL;
  g_autofree char *message = NULL;
  g_autofree char *second_message = NULL;
  g_autofree char *issued_access = NULL;
  g_autofree char *issued_refresh = NULL;
  g_autofree char *grant_id = NULL;
  g_autoptr(GPtrArray) revocations = NULL;
  g_autoptr(GPtrArray) all_revocations = NULL;
  g_autoptr(GPtrArray) revoked = g_ptr_array_new ();

  mc_mock_oauth_options_init (&options);
  options.extra_scope = "admin";
  fixture = mc_test_oauth_new (&options, MC_TEST_ENV_NONE);

  callback_url = start_sign_in (fixture, &handle, NULL);
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 200);
  message = expect_failure (fixture, handle, 2, "scope-escalation");
  g_assert_nonnull (strstr (message, "admin"));
  assert_no_tokens_kept (fixture);

  /* Both tokens it issued are revoked at the server. */
  issued_access = mc_mock_oauth_dup_last_access_token (fixture->mock);
  issued_refresh = mc_mock_oauth_dup_last_refresh_token (fixture->mock);
  mc_test_wait_until (has_revocations, fixture, "the escalated tokens to be revoked");
  revocations = mc_mock_oauth_dup_requests (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_REVOKE);
  g_assert_cmpuint (revocations->len, ==, 2);
  for (guint i = 0; i < revocations->len; i++)
    {
      McMockOAuthRequest *request = g_ptr_array_index (revocations, i);

      g_assert_cmpuint (request->status, ==, 200);
      g_ptr_array_add (revoked, g_hash_table_lookup (request->params, "token"));
    }
  g_assert_true (g_ptr_array_find_with_equal_func (revoked, issued_access, g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (revoked, issued_refresh, g_str_equal, NULL));
  g_assert_false (mc_mock_oauth_is_access_token_valid (fixture->mock, issued_access));

  /* Without a revocation endpoint, refused all the same and nothing sent
   * anywhere. */
  options.revocation_endpoint = FALSE;
  mc_mock_oauth_reconfigure (fixture->mock, &options);
  g_clear_pointer (&callback_url, g_free);
  callback_url = start_sign_in (fixture, &second_handle, NULL);
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 200);
  second_message = expect_failure (fixture, second_handle, 2, "scope-escalation");
  g_assert_null (strstr (second_message, "revoked"));
  assert_no_tokens_kept (fixture);

  /* An honest server then gets a grant; by the time its sign-in is done,
   * the refused one's revocations would have reached the mock. */
  options.extra_scope = NULL;
  mc_mock_oauth_reconfigure (fixture->mock, &options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  all_revocations = mc_mock_oauth_dup_requests (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_REVOKE);
  g_assert_cmpuint (all_revocations->len, ==, 2);
}

/* RFC 9207: an answer carrying this flow's state but the wrong issuer, or
 * none where the server promised one, ends the sign-in at once. */
static void
test_iss (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *wrong_handle = NULL;
  g_autofree char *omitted_handle = NULL;
  g_autofree char *wrong_url = NULL;
  g_autofree char *omitted_url = NULL;
  g_autofree char *page = NULL;
  g_autofree char *message = NULL;
  g_autofree char *omitted_message = NULL;
  g_autofree char *grant_id = NULL;

  mc_mock_oauth_options_init (&options);
  options.iss = MC_MOCK_OAUTH_ISS_WRONG;
  fixture = mc_test_oauth_new (&options, MC_TEST_ENV_NONE);

  wrong_url = start_sign_in (fixture, &wrong_handle, NULL);
  g_assert_cmpuint (mc_mock_oauth_fetch (wrong_url, NULL, &page), ==, 400);
  g_assert_nonnull (strstr (page, "The sign-in was stopped"));
  message = expect_failure (fixture, wrong_handle, 2, "authorization-failed");
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);

  /* The metadata says iss is sent (the mock's default), and it is not. */
  mc_mock_oauth_set_iss (fixture->mock, MC_MOCK_OAUTH_ISS_OMIT);
  omitted_url = start_sign_in (fixture, &omitted_handle, NULL);
  g_assert_null (strstr (omitted_url, "iss="));
  g_assert_cmpuint (mc_mock_oauth_fetch (omitted_url, NULL, NULL), ==, 400);
  omitted_message = expect_failure (fixture, omitted_handle, 2, "authorization-failed");
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);
  assert_no_tokens_kept (fixture);

  /* A server that never said it sends iss may leave it out. */
  options.iss = MC_MOCK_OAUTH_ISS_AUTO;
  options.iss_parameter_supported = FALSE;
  mc_mock_oauth_reconfigure (fixture->mock, &options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_assert_nonnull (grant_id);
}

/* The code exchange fails; nothing is kept. */
static void
check_token_failure (McTestOAuth *fixture,
                     const char  *what)
{
  g_autofree char *handle = NULL;
  g_autofree char *callback_url = NULL;
  g_autofree char *message = NULL;
  const char *token_endpoint = mc_mock_oauth_get_endpoint_url (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  gint64 start;

  g_test_message ("Token endpoint: %s", what);
  callback_url = start_sign_in (fixture, &handle, NULL);
  start = g_get_monotonic_time ();
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 200);
  message = expect_failure (fixture, handle, 2, "token-failed");
  g_test_message ("%s after %.1f s: %s", what, (g_get_monotonic_time () - start) / 1e6, message);
  g_assert_nonnull (strstr (message, token_endpoint));
  assert_no_tokens_kept (fixture);
}

static void
test_token_endpoint_failures (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  guint exchanges = 0;

  mc_mock_oauth_set_token_failure (fixture->mock, MC_MOCK_OAUTH_TOKEN_HTTP_500);
  check_token_failure (fixture, "HTTP 500");

  mc_mock_oauth_set_token_failure (fixture->mock, MC_MOCK_OAUTH_TOKEN_MALFORMED_JSON);
  check_token_failure (fixture, "malformed JSON");

  /* Answers after the daemon stopped waiting. */
  mc_mock_oauth_set_token_failure (fixture->mock, MC_MOCK_OAUTH_TOKEN_OK);
  mc_mock_oauth_set_token_delay (fixture->mock, MC_TEST_OAUTH_HTTP_TIMEOUT * 2500);
  check_token_failure (fixture, "timeout");

  /* Each sign-in did ask, once. */
  exchanges = mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE);
  g_assert_cmpuint (exchanges, ==, 3);
}

static void
close_request (McTestClient *client,
               const char   *handle)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (client->connection, BUS_NAME, handle, REQUEST_IFACE, "Close",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, MC_TEST_TIMEOUT_SECONDS * 1000,
                                       NULL, &error);
  g_assert_no_error (error);
}

/* The caller gives up while the user is in the browser: the listener
 * closes, so the server's redirect finds nobody, and nothing is kept. */
static void
test_close_while_in_browser (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autofree char *callback_url = start_sign_in (fixture, &handle, &authorization_url);

  close_request (fixture->client, handle);
  wait_listener_closed (listener_port (authorization_url));

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 0);
  g_assert_false (got_response_by_now (fixture, handle));
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);
  assert_no_tokens_kept (fixture);
}

/* Leaving the bus withdraws the sign-in the same way. */
static void
test_caller_leaves_while_in_browser (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autoptr(McTestClient) leaving = mc_test_client_new (fixture->env);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *authorization_url = NULL;
  g_autofree char *callback_url = NULL;

  mc_test_env_set_script (fixture->env, "open\n");
  reply = mc_test_client_call (leaving, "Authorize",
                               g_variant_new ("(ssa{sv})", "", mc_mock_oauth_get_resource_url (fixture->mock), NULL),
                               &error);
  g_assert_no_error (error);
  authorization_url = mc_test_oauth_wait_authorization_url (fixture);
  callback_url = mc_mock_oauth_authorize_in_browser (fixture->mock, authorization_url, &error);
  g_assert_no_error (error);

  g_clear_pointer (&leaving, mc_test_client_free);
  wait_listener_closed (listener_port (authorization_url));

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 0);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);
  assert_no_tokens_kept (fixture);
}

/* The sign-in's own timeout covers the browser part: a user who never
 * comes back gets the caller an answer, and the port is closed. */
static void
test_sign_in_timeout (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  mc_test_env_set_script (fixture->env, "open\n");
  g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (2));
  handle = mc_test_oauth_authorize (fixture, NULL, g_variant_builder_end (&options), &error);
  g_assert_no_error (error);
  authorization_url = mc_test_oauth_wait_authorization_url (fixture);

  message = expect_failure (fixture, handle, 2, "timeout");
  elapsed = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
  g_test_message ("Timed out after %.1f s", elapsed);
  /* g_timeout_add_seconds() may round the first second. */
  g_assert_cmpfloat (elapsed, >=, 1.0);
  g_assert_cmpfloat (elapsed, <, 2 + 8);

  wait_listener_closed (listener_port (authorization_url));
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 0);
  assert_no_tokens_kept (fixture);
}

/* No browser to sign in with: the caller hears so, and the dialog says
 * so (its open-failed notice). */
static void
test_no_browser (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NO_BROWSER);
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(JsonObject) failed = NULL;

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  message = expect_failure (fixture, handle, 2, "no-browser");

  prompt = mc_test_env_wait_record (fixture->env, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "event"), ==, "prompt");
  failed = mc_test_env_wait_record (fixture->env, 1);
  g_assert_cmpstr (json_object_get_string_member (failed, "event"), ==, "open-failed");
  g_assert_cmpstr (json_object_get_string_member (failed, "id"), ==, json_object_get_string_member (prompt, "id"));
  g_assert_nonnull (json_object_get_string_member (failed, "reason"));

  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
  assert_no_tokens_kept (fixture);
}

static void
assert_not_in_log (const char *log,
                   const char *what,
                   const char *secret)
{
  g_assert_nonnull (secret);
  g_assert_cmpuint (strlen (secret), >=, 16);
  if (strstr (log, secret) != NULL)
    g_error ("The daemon's log contains the %s", what);
}

/* Secrets never reach the log, even a verbose one: not the tokens, the
 * code, the PKCE verifier or the state of a sign-in and a refresh. */
static void
test_no_secrets_in_log (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_DAEMON_LOG);
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autofree char *callback_url = start_sign_in (fixture, &handle, &authorization_url);
  g_autofree char *state = mc_test_oauth_url_param (authorization_url, "state");
  g_autofree char *code = mc_test_oauth_url_param (callback_url, "code");
  g_autofree char *verifier = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *refreshed_access = NULL;
  g_autofree char *refreshed_refresh = NULL;
  g_autofree char *log = NULL;
  g_autoptr(GHashTable) exchange = NULL;
  g_autoptr(GError) error = NULL;
  const char *tokens[4];

  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, NULL), ==, 200);
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, NULL), ==, 0);
  exchange = mc_mock_oauth_dup_last_params (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  verifier = g_strdup (g_hash_table_lookup (exchange, "code_verifier"));
  access_token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  refresh_token = mc_mock_oauth_dup_last_refresh_token (fixture->mock);

  refreshed_access = mc_test_oauth_get_token (fixture, NULL, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refreshed_access, !=, access_token);
  refreshed_refresh = mc_mock_oauth_dup_last_refresh_token (fixture->mock);
  g_assert_cmpstr (refreshed_refresh, !=, refresh_token);

  /* The log is there, and verbose: a check of an empty file proves
   * nothing. */
  log = mc_test_env_read_daemon_log (fixture->env);
  g_assert_nonnull (strstr (log, "Exchanging the authorization code"));
  g_assert_nonnull (strstr (log, "Refreshed the token of grant"));

  assert_not_in_log (log, "state", state);
  assert_not_in_log (log, "authorization code", code);
  assert_not_in_log (log, "PKCE verifier", verifier);

  /* The tokens are in no file at all: the log, the state files, the
   * records; the keyring holds them encrypted. */
  tokens[0] = access_token;
  tokens[1] = refresh_token;
  tokens[2] = refreshed_access;
  tokens[3] = refreshed_refresh;
  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(GPtrArray) files = mc_test_env_find_in_files (fixture->env, tokens[i]);

      assert_not_in_log (log, "token", tokens[i]);
      g_assert_cmpuint (files->len, ==, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oauth-flow/sign-in", test_sign_in);
  g_test_add_func ("/oauth-flow/state-mismatch", test_state_mismatch);
  g_test_add_func ("/oauth-flow/replayed-callback", test_replayed_callback);
  g_test_add_func ("/oauth-flow/listener-refusals", test_listener_refusals);
  g_test_add_func ("/oauth-flow/access-denied", test_access_denied);
  g_test_add_func ("/oauth-flow/scope-escalation", test_scope_escalation);
  g_test_add_func ("/oauth-flow/iss", test_iss);
  g_test_add_func ("/oauth-flow/token-endpoint-failures", test_token_endpoint_failures);
  g_test_add_func ("/oauth-flow/close-while-in-browser", test_close_while_in_browser);
  g_test_add_func ("/oauth-flow/caller-leaves-while-in-browser", test_caller_leaves_while_in_browser);
  g_test_add_func ("/oauth-flow/sign-in-timeout", test_sign_in_timeout);
  g_test_add_func ("/oauth-flow/no-browser", test_no_browser);
  g_test_add_func ("/oauth-flow/no-secrets-in-log", test_no_secrets_in_log);

  return g_test_run ();
}
