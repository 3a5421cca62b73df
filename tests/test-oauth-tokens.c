/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* GetToken, refreshes, RevokeGrant and the keyring, after a sign-in to
 * the local authorization server the test controls: the daemon built in
 * the tree, a real gnome-keyring, and MCP clients on the host and in a
 * Flatpak-like sandbox. */

#include "config.h"

#include <string.h>

#include "mc-error.h"
#include "mc-test-oauth.h"

#define TOKEN_SCHEMA "io.github.mcp_consent.Token"
#define BROKER_PATH "/io/github/mcp_consent/Broker"
#define BROKER_IFACE "io.github.mcp_consent.Broker1"

/* Inside the broker's 60-second margin: every GetToken refreshes first. */
#define EXPIRING_SOON 30

/* Helpers {{{1 */

static McTestOAuth *
new_fixture_with (McMockOAuthOptions *options)
{
  return mc_test_oauth_new (options, MC_TEST_ENV_NONE);
}

static GPtrArray *
list_token_items (McTestOAuth *fixture)
{
  return mc_test_env_list_secret_items (fixture->env, TOKEN_SCHEMA);
}

/* The keyring's secret of the one item of @kind ("access", "refresh"),
 * read through the Secret Service, or NULL when there is none. */
static char *
keyring_secret (McTestOAuth *fixture,
                const char  *kind)
{
  g_autoptr(GPtrArray) items = list_token_items (fixture);
  char *secret = NULL;

  for (guint i = 0; i < items->len; i++)
    {
      McTestSecretItem *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (g_hash_table_lookup (item->attributes, "kind"), kind) != 0)
        continue;
      g_assert_null (secret);
      g_assert_false (item->locked);
      secret = mc_test_env_dup_secret (fixture->env, item->path);
    }
  return secret;
}

static guint
refresh_count (McTestOAuth *fixture)
{
  return mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH);
}

/* GetToken that must succeed. */
static char *
get_token (McTestOAuth *fixture,
           gboolean     refresh)
{
  g_autoptr(GError) error = NULL;
  char *token = mc_test_oauth_get_token (fixture, NULL, refresh, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

/* GetToken that must fail with @code; returns the error's message. */
static char *
get_token_error (McTestOAuth *fixture,
                 gboolean     refresh,
                 McError      code)
{
  return mc_test_oauth_get_token_error (fixture, refresh, code);
}

/* The one grant ListGrants shows. */
static GVariant *
only_grant (McTestOAuth *fixture)
{
  g_autoptr(GVariant) grants = mc_test_oauth_list_grants (fixture);

  g_assert_cmpuint (g_variant_n_children (grants), ==, 1);
  return g_variant_get_child_value (grants, 0);
}

static gboolean
grant_needs_sign_in (McTestOAuth *fixture)
{
  g_autoptr(GVariant) grant = only_grant (fixture);
  gboolean needs_sign_in = FALSE;

  g_assert_true (g_variant_lookup (grant, "needs_sign_in", "b", &needs_sign_in));
  return needs_sign_in;
}

static GVariant *
revoke_grant (McTestOAuth  *fixture,
              const char   *grant_id,
              GError      **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *result = NULL;

  reply = mc_test_client_call (fixture->client, "RevokeGrant", g_variant_new ("(s)", grant_id), error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(@a{sv})", &result);
  return result;
}

static gboolean
keyring_is_empty (gpointer user_data)
{
  g_autoptr(GPtrArray) items = list_token_items (user_data);

  return items->len == 0;
}

typedef struct
{
  McTestOAuth *fixture;
  guint        count;
} RevocationWait;

static gboolean
has_revocations (gpointer user_data)
{
  RevocationWait *wait = user_data;

  return mc_mock_oauth_get_count (wait->fixture->mock, MC_MOCK_OAUTH_COUNT_REVOCATION) >= wait->count;
}

/* The tokens the mock was asked to revoke, in order. */
static GPtrArray *
revoked_tokens (McTestOAuth *fixture)
{
  g_autoptr(GPtrArray) requests = mc_mock_oauth_dup_requests (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_REVOKE);
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < requests->len; i++)
    {
      McMockOAuthRequest *request = g_ptr_array_index (requests, i);

      g_assert_cmpuint (request->status, ==, 200);
      g_ptr_array_add (tokens, g_strdup (g_hash_table_lookup (request->params, "token")));
    }
  return tokens;
}

static gboolean
contains_string (GPtrArray  *strings,
                 const char *string)
{
  return g_ptr_array_find_with_equal_func (strings, string, g_str_equal, NULL);
}

/* Expiry and refresh {{{1 */

/* A token about to expire is refreshed before it is handed out, once. */
static void
test_refresh_before_expiry (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *first = NULL;
  g_autofree char *refreshed = NULL;
  g_autofree char *again = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  gint64 expires_at = 0;
  gint64 now = 0;

  mc_mock_oauth_options_init (&options);
  options.expires_in = EXPIRING_SOON;
  fixture = new_fixture_with (&options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  first = mc_mock_oauth_dup_last_access_token (fixture->mock);
  g_assert_cmpuint (refresh_count (fixture), ==, 0);

  /* The next tokens live an hour. */
  options.expires_in = 3600;
  mc_mock_oauth_reconfigure (fixture->mock, &options);

  refreshed = mc_test_oauth_get_token (fixture, NULL, FALSE, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (refresh_count (fixture), ==, 1);
  g_assert_cmpstr (refreshed, !=, first);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, refreshed));
  now = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_true (g_variant_lookup (info, "expires_at", "x", &expires_at));
  g_assert_cmpint (expires_at, >=, now + 3600 - 60);

  again = get_token (fixture, FALSE);
  g_assert_cmpstr (again, ==, refreshed);
  g_assert_cmpuint (refresh_count (fixture), ==, 1);
}

/* With a server that rotates refresh tokens, the new one replaces the old
 * one in the keyring and is the one the next refresh sends. */
static void
test_rotation (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *first_refresh = NULL;
  g_autofree char *second_refresh = NULL;
  g_autofree char *third_refresh = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *stored_after = NULL;
  g_autofree char *stored_access = NULL;
  g_autofree char *token = NULL;
  g_autofree char *next_token = NULL;
  g_autoptr(GHashTable) params = NULL;

  mc_mock_oauth_options_init (&options);
  options.expires_in = EXPIRING_SOON;
  g_assert_true (options.rotate_refresh_tokens);
  fixture = new_fixture_with (&options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  first_refresh = mc_mock_oauth_dup_last_refresh_token (fixture->mock);
  stored = keyring_secret (fixture, "refresh");
  g_assert_cmpstr (stored, ==, first_refresh);

  token = get_token (fixture, FALSE);
  second_refresh = mc_mock_oauth_dup_last_refresh_token (fixture->mock);
  g_assert_cmpstr (second_refresh, !=, first_refresh);
  g_clear_pointer (&stored, g_free);
  stored = keyring_secret (fixture, "refresh");
  g_assert_cmpstr (stored, ==, second_refresh);
  stored_access = keyring_secret (fixture, "access");
  g_assert_cmpstr (stored_access, ==, token);

  /* Still expiring soon: the next GetToken refreshes with the new one. */
  next_token = get_token (fixture, FALSE);
  g_assert_cmpstr (next_token, !=, token);
  g_assert_cmpuint (refresh_count (fixture), ==, 2);
  params = mc_mock_oauth_dup_last_params (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_cmpstr (g_hash_table_lookup (params, "refresh_token"), ==, second_refresh);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REFRESH_REUSED), ==, 0);
  third_refresh = mc_mock_oauth_dup_last_refresh_token (fixture->mock);
  stored_after = keyring_secret (fixture, "refresh");
  g_assert_cmpstr (stored_after, ==, third_refresh);
}

/* The server no longer accepts the grant: the caller is told to sign in
 * again, at once and without the server being asked again, until it
 * does. */
static void
test_invalid_grant (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_autofree char *again_id = NULL;
  g_autofree char *message = NULL;
  g_autofree char *second_message = NULL;
  g_autofree char *token = NULL;

  g_assert_false (grant_needs_sign_in (fixture));
  mc_mock_oauth_set_token_failure (fixture->mock, MC_MOCK_OAUTH_TOKEN_INVALID_GRANT_ON_REFRESH);

  message = get_token_error (fixture, TRUE, MC_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (message, "sign in again"));
  g_assert_cmpuint (refresh_count (fixture), ==, 1);
  g_assert_true (grant_needs_sign_in (fixture));

  /* No loop: neither a plain nor a forced GetToken asks the server. */
  second_message = get_token_error (fixture, FALSE, MC_ERROR_NOT_AUTHORIZED);
  g_clear_pointer (&second_message, g_free);
  second_message = get_token_error (fixture, TRUE, MC_ERROR_NOT_AUTHORIZED);
  g_assert_cmpuint (refresh_count (fixture), ==, 1);

  /* Its dead tokens go. */
  mc_test_wait_until (keyring_is_empty, fixture, "the refused grant's tokens to leave the keyring");

  /* A new sign-in makes it usable again, under the same id. */
  mc_mock_oauth_set_token_failure (fixture->mock, MC_MOCK_OAUTH_TOKEN_OK);
  again_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_assert_cmpstr (again_id, ==, grant_id);
  g_assert_false (grant_needs_sign_in (fixture));
  token = get_token (fixture, FALSE);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, token));
}

/* One refresh for many callers {{{1 */

#define CONCURRENT_CALLS 100

typedef struct
{
  guint      replies;
  GPtrArray *tokens;
  GPtrArray *errors;
} Concurrent;

static void
on_concurrent_token (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Concurrent *concurrent = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  char *token = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source_object), result, &error);
  concurrent->replies++;
  if (reply == NULL)
    {
      g_ptr_array_add (concurrent->errors, g_strdup (error->message));
      return;
    }
  g_variant_get (reply, "(s@a{sv})", &token, NULL);
  g_ptr_array_add (concurrent->tokens, token);
}

static gboolean
all_replied (gpointer user_data)
{
  return ((Concurrent *)user_data)->replies == CONCURRENT_CALLS;
}

/* A hundred calls while the token is being refreshed: the authorization
 * server sees one refresh (with a rotating server, a second use of the
 * old refresh token would look like theft and end the grant), and every
 * caller gets the token it brought. */
static void
test_concurrent_refresh (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *first = NULL;
  g_autofree char *issued = NULL;
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  Concurrent concurrent = { 0, tokens, errors };
  gint64 start;

  mc_mock_oauth_options_init (&options);
  options.expires_in = EXPIRING_SOON;
  fixture = new_fixture_with (&options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  first = mc_mock_oauth_dup_last_access_token (fixture->mock);

  /* The refresh takes a second; what it brings lasts, so that a caller
   * served after it has no reason to refresh again. */
  options.expires_in = 3600;
  options.token_delay_ms = 1000;
  mc_mock_oauth_reconfigure (fixture->mock, &options);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < CONCURRENT_CALLS; i++)
    g_dbus_connection_call (fixture->client->connection, BUS_NAME, BROKER_PATH, BROKER_IFACE, "GetToken",
                            g_variant_new ("(sa{sv})", mc_mock_oauth_get_resource_url (fixture->mock), NULL),
                            G_VARIANT_TYPE ("(sa{sv})"), G_DBUS_CALL_FLAGS_NONE, MC_TEST_TIMEOUT_SECONDS * 1000,
                            NULL, on_concurrent_token, &concurrent);
  mc_test_wait_until (all_replied, &concurrent, "every GetToken to be answered");
  g_test_message ("%u GetToken calls answered in %.2f s", CONCURRENT_CALLS,
                  (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC);

  for (guint i = 0; i < errors->len; i++)
    g_test_message ("GetToken failed: %s", (const char *)g_ptr_array_index (errors, i));
  g_assert_cmpuint (errors->len, ==, 0);
  g_assert_cmpuint (refresh_count (fixture), ==, 1);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REFRESH_REUSED), ==, 0);

  issued = mc_mock_oauth_dup_last_access_token (fixture->mock);
  g_assert_cmpstr (issued, !=, first);
  g_assert_cmpuint (tokens->len, ==, CONCURRENT_CALLS);
  for (guint i = 0; i < tokens->len; i++)
    g_assert_cmpstr (g_ptr_array_index (tokens, i), ==, issued);
}

/* Failures that pass {{{1 */

/* The server fails or does not answer: the caller may try again later,
 * and the grant stays as it was until the server is back. */
static void
test_refresh_failure_keeps_grant (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *message = NULL;
  g_autofree char *timeout_message = NULL;
  g_autofree char *recovered = NULL;
  g_autofree char *recovered_again = NULL;
  g_autofree char *kept_refresh = NULL;
  gint64 start;

  mc_mock_oauth_options_init (&options);
  options.expires_in = EXPIRING_SOON;
  /* A server that rotates and whose answer is lost on the way has spent
   * the old refresh token, and no client can do anything about that; the
   * timeout here is one of a server that did nothing. */
  options.rotate_refresh_tokens = FALSE;
  fixture = new_fixture_with (&options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);

  mc_mock_oauth_set_token_failure (fixture->mock, MC_MOCK_OAUTH_TOKEN_HTTP_500);
  message = get_token_error (fixture, FALSE, MC_ERROR_REMOTE);
  g_assert_nonnull (strstr (message, mc_mock_oauth_get_endpoint_url (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN)));
  g_assert_cmpuint (refresh_count (fixture), ==, 1);
  g_assert_false (grant_needs_sign_in (fixture));
  kept_refresh = keyring_secret (fixture, "refresh");
  g_assert_nonnull (kept_refresh);

  mc_mock_oauth_set_token_failure (fixture->mock, MC_MOCK_OAUTH_TOKEN_OK);
  recovered = get_token (fixture, FALSE);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, recovered));
  g_assert_cmpuint (refresh_count (fixture), ==, 2);

  mc_mock_oauth_set_token_delay (fixture->mock, MC_TEST_OAUTH_HTTP_TIMEOUT * 2500);
  start = g_get_monotonic_time ();
  timeout_message = get_token_error (fixture, FALSE, MC_ERROR_REMOTE);
  g_test_message ("Refresh timed out after %.1f s: %s",
                  (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC, timeout_message);
  g_assert_false (grant_needs_sign_in (fixture));

  mc_mock_oauth_set_token_delay (fixture->mock, 0);
  recovered_again = get_token (fixture, FALSE);
  g_assert_cmpstr (recovered_again, !=, recovered);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, recovered_again));
}

/* A caller whose server refused the token gets a new one, but no more
 * than one every few seconds however often it asks. */
static void
test_forced_refresh (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *first = NULL;
  g_autofree char *forced = NULL;
  g_autofree char *forced_again = NULL;

  g_free (mc_test_oauth_sign_in (fixture, "open", NULL));
  first = get_token (fixture, FALSE);
  g_assert_cmpuint (refresh_count (fixture), ==, 0);
  forced = get_token (fixture, TRUE);
  g_assert_cmpuint (refresh_count (fixture), ==, 1);
  g_assert_cmpstr (forced, !=, first);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, forced));

  forced_again = get_token (fixture, TRUE);
  g_assert_cmpuint (refresh_count (fixture), ==, 1);
  g_assert_cmpstr (forced_again, ==, forced);
}

/* The daemon keeps a token it has read in memory; signing in to the same
 * server again must not leave the caller with the old one. */
static void
test_signed_in_again (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *grant_id = NULL;
  g_autofree char *again_id = NULL;
  g_autofree char *first = NULL;
  g_autofree char *first_again = NULL;
  g_autofree char *issued = NULL;
  g_autofree char *second = NULL;
  g_autofree char *stored = NULL;

  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  first = get_token (fixture, FALSE);
  first_again = get_token (fixture, FALSE);
  g_assert_cmpstr (first_again, ==, first);

  again_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_assert_cmpstr (again_id, ==, grant_id);
  issued = mc_mock_oauth_dup_last_access_token (fixture->mock);
  g_assert_cmpstr (issued, !=, first);

  second = get_token (fixture, FALSE);
  g_assert_cmpstr (second, ==, issued);
  stored = keyring_secret (fixture, "access");
  g_assert_cmpstr (stored, ==, issued);
  g_assert_cmpuint (refresh_count (fixture), ==, 0);
}

/* A refresh that brings scopes the user never allowed is refused, and
 * what it brought is revoked; the grant stays as the user made it. */
static void
test_refresh_scope_escalation (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *escalated_access = NULL;
  g_autofree char *escalated_refresh = NULL;
  g_autofree char *message = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GVariant) grant = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autofree const char **scopes = NULL;
  RevocationWait wait;

  mc_mock_oauth_options_init (&options);
  fixture = new_fixture_with (&options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  token = get_token (fixture, FALSE);

  options.extra_scope = "admin";
  mc_mock_oauth_reconfigure (fixture->mock, &options);
  message = get_token_error (fixture, TRUE, MC_ERROR_REMOTE);
  g_assert_nonnull (strstr (message, "admin"));
  g_assert_cmpuint (refresh_count (fixture), ==, 1);

  escalated_access = mc_mock_oauth_dup_last_access_token (fixture->mock);
  escalated_refresh = mc_mock_oauth_dup_last_refresh_token (fixture->mock);
  wait = (RevocationWait) { fixture, 2 };
  mc_test_wait_until (has_revocations, &wait, "the escalated tokens to be revoked");
  revoked = revoked_tokens (fixture);
  g_assert_cmpuint (revoked->len, ==, 2);
  g_assert_true (contains_string (revoked, escalated_access));
  g_assert_true (contains_string (revoked, escalated_refresh));
  g_assert_false (contains_string (revoked, token));

  grant = only_grant (fixture);
  g_assert_true (g_variant_lookup (grant, "scopes", "^a&s", &scopes));
  g_assert_cmpstrv (scopes, ((const char * const[]) { "mcp:basic", NULL }));
  g_assert_false (grant_needs_sign_in (fixture));

  /* The old token is still the grant's, and still works. */
  kept = get_token (fixture, FALSE);
  g_assert_cmpstr (kept, ==, token);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, kept));
}

/* Revoking {{{1 */

static void
test_revoke (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) second_result = NULL;
  g_autoptr(GVariant) missing = NULL;
  g_autoptr(GVariant) grants = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GError) error = NULL;
  gboolean at_server = FALSE;
  guint32 deleted = 0;
  RevocationWait wait;

  mc_mock_oauth_options_init (&options);
  fixture = new_fixture_with (&options);
  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  access_token = get_token (fixture, FALSE);
  refresh_token = mc_mock_oauth_dup_last_refresh_token (fixture->mock);

  result = revoke_grant (fixture, grant_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (result, "revoked_at_server", "b", &at_server));
  g_assert_true (g_variant_lookup (result, "keyring_items_deleted", "u", &deleted));
  g_assert_true (at_server);
  g_assert_cmpuint (deleted, ==, 2);

  /* The server was told about both, and the access token no longer works
   * there. The reply came after both answers. */
  wait = (RevocationWait) { fixture, 2 };
  g_assert_true (has_revocations (&wait));
  revoked = revoked_tokens (fixture);
  g_assert_cmpuint (revoked->len, ==, 2);
  g_assert_true (contains_string (revoked, access_token));
  g_assert_true (contains_string (revoked, refresh_token));
  g_assert_false (mc_mock_oauth_is_access_token_valid (fixture->mock, access_token));

  /* Gone for the caller too. */
  message = get_token_error (fixture, FALSE, MC_ERROR_NOT_AUTHORIZED);
  grants = mc_test_oauth_list_grants (fixture);
  g_assert_cmpuint (g_variant_n_children (grants), ==, 0);
  g_assert_true (keyring_is_empty (fixture));

  /* Unknown ids, and the one just revoked. */
  missing = revoke_grant (fixture, grant_id, &error);
  g_assert_null (missing);
  g_assert_error (error, MC_ERROR, MC_ERROR_NOT_FOUND);
  g_clear_error (&error);
  missing = revoke_grant (fixture, "00000000-0000-4000-8000-000000000000", &error);
  g_assert_null (missing);
  g_assert_error (error, MC_ERROR, MC_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A server without revocation: the keyring is cleaned all the same, and
   * the result says the server was not told. */
  options.revocation_endpoint = FALSE;
  mc_mock_oauth_reconfigure (fixture->mock, &options);
  second_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  second_result = revoke_grant (fixture, second_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (second_result, "revoked_at_server", "b", &at_server));
  g_assert_true (g_variant_lookup (second_result, "keyring_items_deleted", "u", &deleted));
  g_assert_false (at_server);
  g_assert_cmpuint (deleted, ==, 2);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REVOCATION), ==, 2);
  g_assert_true (keyring_is_empty (fixture));
}

/* The keyring {{{1 */

static void
test_locked_keyring (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_autofree char *message = NULL;
  g_autofree char *unavailable = NULL;
  g_autofree char *handle = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) grant = NULL;
  g_autoptr(GError) error = NULL;
  const char *listed_id = NULL;

  /* As after a login that did not unlock the keyring. The daemon starts
   * again without leak detection: libsecret leaks on every unlock it
   * tries (see mc_test_env_tolerate_libsecret_unlock_leaks()); the
   * sign-in above ran with it. The client connects again too: the new
   * daemon numbers its requests from the start, and the old connection
   * holds the Responses of the old one under the same paths. */
  g_clear_pointer (&fixture->client, mc_test_client_free);
  mc_test_env_stop_daemon (fixture->env);
  mc_test_env_tolerate_libsecret_unlock_leaks (fixture->env);
  mc_test_env_start_daemon (fixture->env);
  fixture->client = mc_test_client_new (fixture->env);
  mc_test_env_lock_keyring (fixture->env);

  message = get_token_error (fixture, FALSE, MC_ERROR_KEYRING_LOCKED);
  g_test_message ("GetToken: %s", message);
  g_assert_nonnull (strstr (message, "locked"));

  /* A sign-in gets as far as the tokens, which it cannot keep. */
  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, NULL, NULL, &error);
  g_assert_no_error (error);
  g_free (mc_test_oauth_play_browser (fixture));
  g_assert_cmpuint (mc_test_oauth_wait_response (fixture, handle, &results), ==, 2);
  g_assert_cmpstr (mc_test_oauth_results_string (results, "reason"), ==, "keyring-locked");

  /* Revoking needs the tokens first: nothing changes. */
  result = revoke_grant (fixture, grant_id, &error);
  g_assert_null (result);
  g_assert_error (error, MC_ERROR, MC_ERROR_KEYRING_LOCKED);
  g_clear_error (&error);
  grant = only_grant (fixture);
  g_assert_true (g_variant_lookup (grant, "id", "&s", &listed_id));
  g_assert_cmpstr (listed_id, ==, grant_id);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REVOCATION), ==, 0);

  /* No Secret Service at all. */
  mc_test_env_stop_keyring (fixture->env);
  unavailable = get_token_error (fixture, FALSE, MC_ERROR_KEYRING_UNAVAILABLE);
  g_test_message ("GetToken without a keyring: %s", unavailable);
}

/* Whose grant is whose {{{1 */

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
} Communicated;

static void
on_communicated (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicated *communicated = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source_object), result,
                                        &communicated->out, &communicated->err, &error);
  g_assert_no_error (error);
  communicated->done = TRUE;
}

static gboolean
is_communicated (gpointer user_data)
{
  return ((Communicated *)user_data)->done;
}

/* Runs caller-probe inside a Flatpak-like sandbox as @app_id; returns the
 * line it printed. */
static char *
run_flatpak_probe (McTestOAuth *fixture,
                   const char  *app_id,
                   const char  *command,
                   const char  *argument)
{
  g_autofree char *probe = g_test_build_filename (G_TEST_BUILT, "caller-probe", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  Communicated communicated = { FALSE, NULL, NULL };

  process = mc_test_env_spawn_in_flatpak (fixture->env, app_id,
                                          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                          probe, fixture->env->bus_address, command, argument, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &communicated);
  mc_test_wait_until (is_communicated, &communicated, "caller-probe to finish");
  mc_test_wait_subprocess (process);

  err = g_steal_pointer (&communicated.err);
  if (err != NULL && err[0] != '\0')
    g_test_message ("caller-probe in the sandbox said: %s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  return g_strstrip (communicated.out);
}

/* A grant is the signed-in app's: another app cannot use it, see it, or
 * revoke it, whatever it knows about it. */
static void
test_grant_bound_to_caller (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  g_autofree char *grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  g_autofree char *token = get_token (fixture, FALSE);
  g_autofree char *got = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *revoked = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GVariant) grant = NULL;
  const char *app_id = "org.example.Other";

  got = run_flatpak_probe (fixture, app_id, "get-token", mc_mock_oauth_get_resource_url (fixture->mock));
  g_assert_cmpstr (got, ==, "error io.github.mcp_consent.Error.NotAuthorized");
  listed = run_flatpak_probe (fixture, app_id, "list-grants", NULL);
  g_assert_cmpstr (listed, ==, "grants 0");
  revoked = run_flatpak_probe (fixture, app_id, "revoke-grant", grant_id);
  g_assert_cmpstr (revoked, ==, "error io.github.mcp_consent.Error.NotFound");

  /* The host's grant is untouched. */
  grant = only_grant (fixture);
  after = get_token (fixture, FALSE);
  g_assert_cmpstr (after, ==, token);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REVOCATION), ==, 0);
}

/* The command line {{{1 */

static void
test_cli (void)
{
  g_autoptr(McTestOAuth) fixture = mc_test_oauth_new (NULL, MC_TEST_ENV_NONE);
  const char *url = mc_mock_oauth_get_resource_url (fixture->mock);
  g_autofree char *grant_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *grants = NULL;

  /* Nothing yet: "not authorized", and said so. */
  g_assert_cmpint (mc_test_env_run_cli (fixture->env, &out, &err, "token", url, NULL), ==, 3);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (err, "mcp-consent: "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  grant_id = mc_test_oauth_sign_in (fixture, "open", NULL);
  token = get_token (fixture, FALSE);

  /* The CLI on the host is the same unverified caller as the test. */
  g_assert_cmpint (mc_test_env_run_cli (fixture->env, &out, NULL, "token", url, NULL), ==, 0);
  g_assert_cmpstr (g_strchomp (out), ==, token);
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (mc_test_env_run_cli (fixture->env, &out, NULL, "grants", "--json", NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  grants = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (grants), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (grants, 0), "id"), ==, grant_id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (grants, 0), "resource"), ==, url);
  g_assert_null (strstr (out, token));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (mc_test_env_run_cli (fixture->env, &out, NULL, "revoke", url, NULL), ==, 0);
  g_assert_nonnull (strstr (out, grant_id));
  g_assert_nonnull (strstr (out, "The authorization server revoked it too."));
  g_assert_nonnull (strstr (out, "2 tokens deleted from the keyring."));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (mc_test_env_run_cli (fixture->env, &out, &err, "token", url, NULL), ==, 3);
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (mc_test_env_run_cli (fixture->env, &out, NULL, "grants", "--json", NULL), ==, 0);
  g_assert_cmpstr (g_strstrip (out), ==, "[]");
  g_clear_pointer (&out, g_free);

  /* Nothing left to revoke: refused (2), not "not authorized". */
  g_assert_cmpint (mc_test_env_run_cli (fixture->env, NULL, NULL, "revoke", url, NULL), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oauth-tokens/refresh-before-expiry", test_refresh_before_expiry);
  g_test_add_func ("/oauth-tokens/rotation", test_rotation);
  g_test_add_func ("/oauth-tokens/invalid-grant", test_invalid_grant);
  g_test_add_func ("/oauth-tokens/concurrent-refresh", test_concurrent_refresh);
  g_test_add_func ("/oauth-tokens/refresh-failure-keeps-grant", test_refresh_failure_keeps_grant);
  g_test_add_func ("/oauth-tokens/forced-refresh", test_forced_refresh);
  g_test_add_func ("/oauth-tokens/signed-in-again", test_signed_in_again);
  g_test_add_func ("/oauth-tokens/refresh-scope-escalation", test_refresh_scope_escalation);
  g_test_add_func ("/oauth-tokens/revoke", test_revoke);
  g_test_add_func ("/oauth-tokens/locked-keyring", test_locked_keyring);
  g_test_add_func ("/oauth-tokens/grant-bound-to-caller", test_grant_bound_to_caller);
  g_test_add_func ("/oauth-tokens/cli", test_cli);

  return g_test_run ();
}
