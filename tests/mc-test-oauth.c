/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-error.h"
#include "mc-test-oauth.h"

/**
 * mc_test_oauth_new:
 * @options: (nullable): the mock's options; %NULL for the happy path
 * @flags: more #McTestEnvFlags; the keyring is always there
 *
 * Returns: (transfer full): a running daemon and mock
 */
McTestOAuth *
mc_test_oauth_new (const McMockOAuthOptions *options,
                   McTestEnvFlags            flags)
{
  McTestOAuth *self = g_new0 (McTestOAuth, 1);
  g_autofree char *timeout = g_strdup_printf ("%d", MC_TEST_OAUTH_HTTP_TIMEOUT);

  /* Registers the D-Bus names of McError, so that the daemon's errors come
   * back to the test as McError codes. */
  (void) MC_ERROR;

  self->mock = mc_mock_oauth_new (options);
  self->env = mc_test_env_new (flags | MC_TEST_ENV_KEYRING);
  mc_test_env_setenv (self->env, "MCP_CONSENT_HTTP_TIMEOUT", timeout);
  mc_test_env_start_daemon (self->env);
  self->client = mc_test_client_new (self->env);

  return self;
}

void
mc_test_oauth_free (McTestOAuth *self)
{
  g_clear_pointer (&self->client, mc_test_client_free);
  g_clear_pointer (&self->env, mc_test_env_free);
  g_clear_pointer (&self->mock, mc_mock_oauth_free);
  g_free (self);
}

/**
 * mc_test_oauth_authorize:
 * @self: the fixture
 * @resource_url: (nullable): the MCP server; the mock's when %NULL
 * @options: (transfer floating) (nullable): Authorize's options
 * @error: return location for the D-Bus error
 *
 * Returns: (transfer full) (nullable): the request's path
 */
char *
mc_test_oauth_authorize (McTestOAuth  *self,
                         const char   *resource_url,
                         GVariant     *options,
                         GError      **error)
{
  g_autoptr(GVariant) reply = NULL;
  char *handle = NULL;

  if (resource_url == NULL)
    resource_url = mc_mock_oauth_get_resource_url (self->mock);
  if (options == NULL)
    options = g_variant_new ("a{sv}", NULL);

  reply = mc_test_client_call (self->client, "Authorize",
                               g_variant_new ("(ss@a{sv})", "", resource_url, options), error);
  if (reply == NULL)
    return NULL;

  g_variant_get (reply, "(o)", &handle);
  return handle;
}

guint32
mc_test_oauth_wait_response (McTestOAuth  *self,
                             const char   *handle,
                             GVariant    **out_results)
{
  return mc_test_client_wait_response (self->client, handle, out_results);
}

typedef struct
{
  McTestOAuth *self;
  guint        lines;
} BrowserWait;

static guint
count_lines (const char *text)
{
  guint lines = 0;

  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    lines++;
  return lines;
}

static gboolean
browser_has_lines (gpointer user_data)
{
  BrowserWait *wait = user_data;
  g_autofree char *log = mc_test_env_read_browser_log (wait->self->env);

  return count_lines (log) >= wait->lines;
}

/**
 * mc_test_oauth_wait_authorization_url:
 * @self: the fixture
 *
 * Waits for the next URL the daemon hands the browser.
 *
 * Returns: (transfer full): the authorization URL
 */
char *
mc_test_oauth_wait_authorization_url (McTestOAuth *self)
{
  BrowserWait wait = { self, self->browser_calls + 1 };
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;

  mc_test_wait_until (browser_has_lines, &wait, "the browser to be given the sign-in page");
  log = mc_test_env_read_browser_log (self->env);
  lines = g_strsplit (log, "\n", -1);
  return g_strdup (lines[self->browser_calls++]);
}

/**
 * mc_test_oauth_play_browser:
 * @self: the fixture
 *
 * Does what the user's browser does: opens the next authorization URL at
 * the mock (which signs the user in and redirects) and follows the
 * redirect to the daemon's loopback listener, whose page must load.
 *
 * Returns: (transfer full): the callback URL, for tests that replay it
 */
char *
mc_test_oauth_play_browser (McTestOAuth *self)
{
  g_autofree char *authorization_url = mc_test_oauth_wait_authorization_url (self);
  g_autoptr(GError) error = NULL;
  g_autofree char *callback_url = NULL;
  g_autofree char *page = NULL;

  callback_url = mc_mock_oauth_authorize_in_browser (self->mock, authorization_url, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (callback_url, "http://127.0.0.1:"));
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, &page), ==, 200);

  return g_steal_pointer (&callback_url);
}

/**
 * mc_test_oauth_sign_in:
 * @self: the fixture
 * @answer: the dialog's answer ("open", "open-scopes a b")
 * @options: (transfer floating) (nullable): Authorize's options
 *
 * A whole successful sign-in to the mock's MCP server.
 *
 * Returns: (transfer full): the grant id
 */
char *
mc_test_oauth_sign_in (McTestOAuth *self,
                       const char  *answer,
                       GVariant    *options)
{
  g_autofree char *script = g_strconcat (answer, "\n", NULL);
  g_autofree char *handle = NULL;
  g_autofree char *callback_url = NULL;
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GError) error = NULL;
  const char *grant_id = NULL;

  mc_test_env_set_script (self->env, script);
  handle = mc_test_oauth_authorize (self, NULL, options, &error);
  g_assert_no_error (error);
  callback_url = mc_test_oauth_play_browser (self);

  g_assert_cmpuint (mc_test_oauth_wait_response (self, handle, &results), ==, 0);
  g_assert_true (g_variant_lookup (results, "grant_id", "&s", &grant_id));
  return g_strdup (grant_id);
}

/**
 * mc_test_oauth_get_token:
 * @self: the fixture
 * @resource_url: (nullable): the MCP server; the mock's when %NULL
 * @refresh: the "refresh" option
 * @out_info: (out) (optional) (transfer full): GetToken's info
 * @error: return location for the D-Bus error
 *
 * Returns: (transfer full) (nullable): the access token
 */
char *
mc_test_oauth_get_token (McTestOAuth  *self,
                         const char   *resource_url,
                         gboolean      refresh,
                         GVariant    **out_info,
                         GError      **error)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) reply = NULL;
  char *token = NULL;

  if (resource_url == NULL)
    resource_url = mc_mock_oauth_get_resource_url (self->mock);
  if (refresh)
    g_variant_builder_add (&options, "{sv}", "refresh", g_variant_new_boolean (TRUE));

  reply = mc_test_client_call (self->client, "GetToken",
                               g_variant_new ("(sa{sv})", resource_url, &options), error);
  if (reply == NULL)
    return NULL;

  g_variant_get (reply, "(s@a{sv})", &token, out_info);
  return token;
}

/**
 * mc_test_oauth_list_grants:
 * @self: the fixture
 *
 * Returns: (transfer full): ListGrants' aa{sv}
 */
GVariant *
mc_test_oauth_list_grants (McTestOAuth *self)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *grants = NULL;

  reply = mc_test_client_call (self->client, "ListGrants", NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@aa{sv})", &grants);
  return grants;
}

/* A string member of a results dictionary, or NULL. */
const char *
mc_test_oauth_results_string (GVariant   *results,
                              const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (results, key, "&s", &value))
    return NULL;
  return value;
}

/**
 * mc_test_oauth_url_param:
 * @url: a URL with a query
 * @name: a parameter's name
 *
 * Returns: (transfer full) (nullable): the parameter of @url's query,
 *   decoded
 */
char *
mc_test_oauth_url_param (const char *url,
                         const char *name)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GHashTable) params = NULL;

  g_assert_nonnull (uri);
  g_assert_nonnull (g_uri_get_query (uri));
  params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  g_assert_nonnull (params);
  return g_strdup (g_hash_table_lookup (params, name));
}
