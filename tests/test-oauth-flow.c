/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Authorize end to end against a local authorization server the test
 * controls: the daemon built in the tree, the scripted dialog, a real
 * gnome-keyring, and the test as the user's browser. */

#include "config.h"

#include <string.h>

#include "mc-error.h"
#include "mc-test-oauth.h"

#define TOKEN_SCHEMA "io.github.mcp_consent.Token"

static GPtrArray *
list_token_items (McTestOAuth *fixture)
{
  return mc_test_env_list_secret_items (fixture->env, TOKEN_SCHEMA);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oauth-flow/sign-in", test_sign_in);

  return g_test_run ();
}
