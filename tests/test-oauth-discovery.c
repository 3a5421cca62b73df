/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* Authorize against every shape of server the MCP authorization spec
 * allows: where the metadata lives, how the broker gets a client, and
 * which scopes it asks for. The daemon built in the tree, the scripted
 * dialog, a real gnome-keyring, the mock authorization server, and the
 * test as the user's browser (see test-oauth-flow.c for the happy path
 * in detail). */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "mc-error.h"
#include "mc-test-oauth.h"

#define TOKEN_SCHEMA "io.github.mcp_consent.Token"

/* Helpers {{{1 */

static McTestOAuth *
new_fixture (const McMockOAuthOptions *options)
{
  return mc_test_oauth_new (options, MC_TEST_ENV_NONE);
}

/* Authorize's options; every argument may be NULL. */
static GVariant *
authorize_options (const char         *www_authenticate,
                   const char * const *scopes)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (www_authenticate != NULL)
    g_variant_builder_add (&builder, "{sv}", "www_authenticate", g_variant_new_string (www_authenticate));
  if (scopes != NULL)
    g_variant_builder_add (&builder, "{sv}", "scopes", g_variant_new_strv (scopes, -1));
  return g_variant_builder_end (&builder);
}

/* Sets the dialog's answer and calls Authorize for the mock's server. */
static char *
start_authorize (McTestOAuth *fixture,
                 const char  *answer,
                 GVariant    *options)
{
  g_autofree char *script = g_strconcat (answer, "\n", NULL);
  g_autoptr(GError) error = NULL;
  char *handle = NULL;

  mc_test_env_set_script (fixture->env, script);
  handle = mc_test_oauth_authorize (fixture, NULL, options, &error);
  g_assert_no_error (error);
  return handle;
}

static guint
count_lines (const char *text)
{
  guint lines = 0;

  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    lines++;
  return lines;
}

typedef struct
{
  McTestOAuth *fixture;
  const char  *handle;
} BrowserOrResponse;

static gboolean
browser_or_response (gpointer user_data)
{
  BrowserOrResponse *wait = user_data;
  g_autofree char *log = NULL;

  if (mc_test_client_has_response (wait->fixture->client, wait->handle))
    return TRUE;
  log = mc_test_env_read_browser_log (wait->fixture->env);
  return count_lines (log) > wait->fixture->browser_calls;
}

/* "CODE REASON: MESSAGE", so that a failed sign-in fails the test with
 * what the broker said rather than with a bare number. */
static char *
describe_response (guint32   code,
                   GVariant *results)
{
  const char *reason = mc_test_oauth_results_string (results, "reason");
  const char *message = mc_test_oauth_results_string (results, "message");

  return g_strdup_printf ("%u %s: %s", code, reason != NULL ? reason : "(no reason)",
                          message != NULL ? message : "(no message)");
}

/* The rest of a sign-in that should succeed: the browser gets the sign-in
 * page (a Response that comes first fails the test with what it says),
 * the test plays the browser, and the broker answers 0.
 *
 * Returns: the Response's results */
static GVariant *
finish_sign_in (McTestOAuth  *fixture,
                const char   *handle,
                char        **out_authorization_url)
{
  BrowserOrResponse wait = { fixture, handle };
  g_autofree char *authorization_url = NULL;
  g_autofree char *callback_url = NULL;
  g_autofree char *page = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *results = NULL;
  guint32 code;

  mc_test_wait_until (browser_or_response, &wait, "the browser or a Response");
  if (mc_test_client_has_response (fixture->client, handle))
    {
      g_autoptr(GVariant) failure = NULL;
      g_autofree char *description = NULL;

      code = mc_test_oauth_wait_response (fixture, handle, &failure);
      description = describe_response (code, failure);
      g_assert_cmpstr (description, ==, "a sign-in page in the browser");
    }

  /* What mc_test_oauth_play_browser() does, keeping the URL. */
  authorization_url = mc_test_oauth_wait_authorization_url (fixture);
  callback_url = mc_mock_oauth_authorize_in_browser (fixture->mock, authorization_url, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (callback_url, "http://127.0.0.1:"));
  g_assert_cmpuint (mc_mock_oauth_fetch (callback_url, NULL, &page), ==, 200);

  code = mc_test_oauth_wait_response (fixture, handle, &results);
  if (code != 0)
    {
      g_autofree char *description = describe_response (code, results);

      g_assert_cmpstr (description, ==, "signed in");
    }
  if (out_authorization_url != NULL)
    *out_authorization_url = g_steal_pointer (&authorization_url);
  return results;
}

/* A whole sign-in that should succeed; returns the grant id. */
static char *
sign_in (McTestOAuth *fixture,
         const char  *answer,
         GVariant    *options)
{
  g_autofree char *handle = start_authorize (fixture, answer, options);
  g_autoptr(GVariant) results = finish_sign_in (fixture, handle, NULL);
  const char *grant_id = mc_test_oauth_results_string (results, "grant_id");

  g_assert_nonnull (grant_id);
  return g_strdup (grant_id);
}

/* Waits for a Response that is not a success, checks its code and
 * reason, and returns its message. Every failure tested here comes before
 * the browser: a sign-in page in the browser fails the test at once,
 * rather than after the deadline of a Response that never comes. */
static char *
wait_failure (McTestOAuth *fixture,
              const char  *handle,
              guint32      expected_code,
              const char  *expected_reason)
{
  BrowserOrResponse wait = { fixture, handle };
  g_autoptr(GVariant) results = NULL;
  g_autofree char *description = NULL;
  const char *message = NULL;
  guint32 code;

  mc_test_wait_until (browser_or_response, &wait, "the browser or a Response");
  if (!mc_test_client_has_response (fixture->client, handle))
    {
      g_autofree char *authorization_url = mc_test_oauth_wait_authorization_url (fixture);
      g_autofree char *what = g_strdup_printf ("the browser opened %s", authorization_url);
      g_autofree char *expected = g_strdup_printf ("a Response %u %s first", expected_code, expected_reason);

      g_assert_cmpstr (what, ==, expected);
    }

  code = mc_test_oauth_wait_response (fixture, handle, &results);
  description = describe_response (code, results);
  message = mc_test_oauth_results_string (results, "message");

  g_test_message ("Authorize answered %s", description);
  g_assert_cmpuint (code, ==, expected_code);
  g_assert_cmpstr (mc_test_oauth_results_string (results, "reason"), ==, expected_reason);
  g_assert_nonnull (message);
  return g_strdup (message);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    {
      g_autofree char *expected = g_strdup_printf ("text containing “%s”", needle);

      g_assert_cmpstr (haystack, ==, expected);
    }
}

/* The PRM and authorization server metadata URLs the broker fetched, in
 * order, are exactly the NULL-terminated list. */
static void
assert_metadata_urls (McTestOAuth *fixture,
                      ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) expected = NULL;
  g_auto(GStrv) actual = mc_mock_oauth_dup_metadata_urls (fixture->mock);
  va_list args;

  va_start (args, fixture);
  for (const char *url = va_arg (args, const char *); url != NULL; url = va_arg (args, const char *))
    g_strv_builder_add (builder, url);
  va_end (args);
  expected = g_strv_builder_end (builder);

  g_assert_cmpstrv (actual, expected);
}

/* Neither the dialog nor the browser saw anything of this sign-in. */
static void
assert_nothing_shown (McTestOAuth *fixture)
{
  g_autofree char *browser = mc_test_env_read_browser_log (fixture->env);

  g_assert_cmpuint (mc_test_env_count_records (fixture->env), ==, 0);
  g_assert_cmpstr (browser, ==, "");
}

/* No token, no grant: a sign-in that did not happen left nothing. */
static void
assert_nothing_stored (McTestOAuth *fixture)
{
  g_autoptr(GPtrArray) items = mc_test_env_list_secret_items (fixture->env, TOKEN_SCHEMA);
  g_autoptr(GVariant) grants = mc_test_oauth_list_grants (fixture);

  g_assert_cmpuint (items->len, ==, 0);
  g_assert_cmpuint (g_variant_n_children (grants), ==, 0);
}

/* An Authorize (with @options) that must end with @reason before
 * anything reaches the dialog, the browser or the keyring.
 *
 * Returns: the Response's message */
static char *
refused_before_dialog (McTestOAuth *fixture,
                       GVariant    *options,
                       const char  *reason)
{
  g_autofree char *handle = start_authorize (fixture, "open", options);
  char *message = wait_failure (fixture, handle, 2, reason);

  assert_nothing_shown (fixture);
  assert_nothing_stored (fixture);
  return message;
}

/* A parameter of the last request to @endpoint; NULL when the request
 * did not carry it. */
static char *
last_param (McTestOAuth         *fixture,
            McMockOAuthEndpoint  endpoint,
            const char          *name)
{
  g_autoptr(GHashTable) params = mc_mock_oauth_dup_last_params (fixture->mock, endpoint);

  g_assert_nonnull (params);
  return g_strdup (g_hash_table_lookup (params, name));
}

static McMockOAuthRequest *
last_request (McTestOAuth         *fixture,
              McMockOAuthEndpoint  endpoint)
{
  g_autoptr(GPtrArray) requests = mc_mock_oauth_dup_requests (fixture->mock, endpoint);

  g_assert_cmpuint (requests->len, >, 0);
  return mc_mock_oauth_request_copy (requests->pdata[requests->len - 1]);
}

/* The scripted dialog's @n-th prompt (from 0), among its other records
 * (the notices and dismissals that follow each sign-in). */
static JsonObject *
wait_prompt (McTestOAuth *fixture,
             guint        n)
{
  for (guint i = 0;; i++)
    {
      g_autoptr(JsonObject) record = mc_test_env_wait_record (fixture->env, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (record, "event", NULL), "prompt") == 0 &&
          n-- == 0)
        return g_steal_pointer (&record);
    }
}

static GStrv
record_strv (JsonObject *record,
             const char *member)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array = json_object_get_array_member (record, member);

  g_assert_nonnull (array);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_strv_builder_add (builder, json_array_get_string_element (array, i));
  return g_strv_builder_end (builder);
}

/* The scopes of the one grant the test's app holds. */
static GStrv
only_grant_scopes (McTestOAuth  *fixture,
                   char        **out_id)
{
  g_autoptr(GVariant) grants = mc_test_oauth_list_grants (fixture);
  g_autoptr(GVariant) grant = NULL;
  GStrv scopes = NULL;

  g_assert_cmpuint (g_variant_n_children (grants), ==, 1);
  grant = g_variant_get_child_value (grants, 0);
  g_assert_true (g_variant_lookup (grant, "scopes", "^as", &scopes));
  if (out_id != NULL)
    g_assert_true (g_variant_lookup (grant, "id", "s", out_id));
  return scopes;
}

static char *
config_path (McTestOAuth *fixture,
             const char  *name)
{
  return g_build_filename (fixture->env->dir, "config", "mcp-consent", name, NULL);
}

static char *
state_path (McTestOAuth *fixture,
            const char  *name)
{
  return g_build_filename (fixture->env->dir, "state", "mcp-consent", name, NULL);
}

/* Writes clients.ini by hand, as a user would. */
static void
write_clients_ini (McTestOAuth *fixture,
                   const char  *contents)
{
  g_autofree char *path = config_path (fixture, "clients.ini");
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* GET /mcp as an MCP client does, with @token as its Bearer token. */
static guint
fetch_resource (McTestOAuth  *fixture,
                const char   *token,
                char        **out_challenge)
{
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", direct,
                                                                  "timeout", MC_TEST_TIMEOUT_SECONDS,
                                                                  NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", mc_mock_oauth_get_resource_url (fixture->mock));
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
  body = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);

  if (out_challenge != NULL)
    *out_challenge = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                             "WWW-Authenticate"));
  return soup_message_get_status (message);
}

/* Discovery {{{1 */

/* The challenge's resource_metadata names the only place the PRM is: the
 * broker goes there first and guesses no well-known URL. */
static void
test_prm_from_challenge (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *grant_id = NULL;

  mc_mock_oauth_options_init (&options);
  options.prm_locations = MC_MOCK_OAUTH_PRM_CUSTOM;
  options.challenge_prm = MC_MOCK_OAUTH_PRM_CUSTOM;
  fixture = new_fixture (&options);

  challenge = mc_mock_oauth_dup_challenge (fixture->mock, NULL, NULL);
  assert_contains (challenge, MC_MOCK_OAUTH_PRM_CUSTOM_PATH);
  grant_id = sign_in (fixture, "open", authorize_options (challenge, NULL));

  assert_metadata_urls (fixture,
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_CUSTOM),
                        mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH),
                        NULL);
}

/* No challenge: the path-inserted well-known URL answers, and nothing
 * else is asked. */
static void
test_prm_path_inserted (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;

  mc_mock_oauth_options_init (&options);
  options.prm_locations = MC_MOCK_OAUTH_PRM_PATH_INSERTED;
  fixture = new_fixture (&options);

  grant_id = sign_in (fixture, "open", NULL);

  assert_metadata_urls (fixture,
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED),
                        mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH),
                        NULL);
}

/* Only the root well-known URL answers: tried after the path-inserted one
 * is 404. */
static void
test_prm_root (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;

  mc_mock_oauth_options_init (&options);
  options.prm_locations = MC_MOCK_OAUTH_PRM_ROOT;
  options.challenge_prm = MC_MOCK_OAUTH_PRM_NONE;
  fixture = new_fixture (&options);

  grant_id = sign_in (fixture, "open", NULL);

  assert_metadata_urls (fixture,
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED),
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_ROOT),
                        mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH),
                        NULL);
}

/* The authorization server metadata variants: where it answers, and the
 * URLs the broker must have tried, in order, up to that one. */
typedef struct
{
  const char            *issuer_path;
  McMockOAuthAsMetadata  served;
  McMockOAuthAsMetadata  tried[3];
} AsMetadataCase;

static const AsMetadataCase as_rfc8414 = {
  NULL, MC_MOCK_OAUTH_AS_METADATA_OAUTH,
  { MC_MOCK_OAUTH_AS_METADATA_OAUTH },
};
/* For an issuer without a path, OpenID's inserted and appended URLs are
 * the same one. */
static const AsMetadataCase as_openid = {
  NULL, MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED,
  { MC_MOCK_OAUTH_AS_METADATA_OAUTH, MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED },
};
static const AsMetadataCase as_path_rfc8414 = {
  "/tenant1", MC_MOCK_OAUTH_AS_METADATA_OAUTH,
  { MC_MOCK_OAUTH_AS_METADATA_OAUTH },
};
static const AsMetadataCase as_path_openid_inserted = {
  "/tenant1", MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED,
  { MC_MOCK_OAUTH_AS_METADATA_OAUTH, MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED },
};
static const AsMetadataCase as_path_openid_appended = {
  "/tenant1", MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED,
  { MC_MOCK_OAUTH_AS_METADATA_OAUTH, MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED,
    MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED },
};

static void
test_as_metadata (gconstpointer data)
{
  const AsMetadataCase *as_case = data;
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(JsonObject) prompt = NULL;
  g_auto(GStrv) expected = NULL;
  g_auto(GStrv) actual = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;

  mc_mock_oauth_options_init (&options);
  options.issuer_path = as_case->issuer_path;
  options.as_metadata = as_case->served;
  fixture = new_fixture (&options);
  if (as_case->issuer_path != NULL)
    g_assert_true (g_str_has_suffix (mc_mock_oauth_get_issuer (fixture->mock), as_case->issuer_path));

  grant_id = sign_in (fixture, "open", NULL);

  g_strv_builder_add (builder, mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED));
  for (gsize i = 0; i < G_N_ELEMENTS (as_case->tried) && as_case->tried[i] != 0; i++)
    g_strv_builder_add (builder, mc_mock_oauth_get_as_metadata_url (fixture->mock, as_case->tried[i]));
  expected = g_strv_builder_end (builder);
  actual = mc_mock_oauth_dup_metadata_urls (fixture->mock);
  g_assert_cmpstrv (actual, expected);

  /* The user was shown, and signed in at, that issuer; its endpoints are
   * where its metadata says (under the tenant's path), not guessed. */
  prompt = wait_prompt (fixture, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "issuer"), ==, mc_mock_oauth_get_issuer (fixture->mock));
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 1);
  token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (mc_mock_oauth_is_access_token_valid (fixture->mock, token));
}

/* The authorization server on another origin than the MCP server: its
 * metadata, sign-in page and token endpoint are all there. */
static void
test_as_separate_origin (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(McMockOAuthRequest) token_request = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *authorization_url = NULL;
  g_autoptr(GVariant) results = NULL;
  const char *as_origin;

  mc_mock_oauth_options_init (&options);
  options.separate_as_origin = TRUE;
  fixture = new_fixture (&options);
  as_origin = mc_mock_oauth_get_as_origin (fixture->mock);
  g_assert_cmpstr (as_origin, !=, mc_mock_oauth_get_origin (fixture->mock));

  handle = start_authorize (fixture, "open", NULL);
  results = finish_sign_in (fixture, handle, &authorization_url);
  g_assert_true (g_str_has_prefix (authorization_url, as_origin));
  prompt = wait_prompt (fixture, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "issuer"), ==, as_origin);
  g_assert_cmpstr (json_object_get_string_member (prompt, "resource"), ==,
                   mc_mock_oauth_get_resource_url (fixture->mock));

  assert_metadata_urls (fixture,
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED),
                        mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH),
                        NULL);
  g_assert_true (g_str_has_prefix (mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH),
                                   as_origin));
  token_request = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_true (g_str_has_prefix (token_request->url, as_origin));
  g_assert_cmpuint (token_request->status, ==, 200);
}

/* Metadata that names another issuer than the one asked for is refused,
 * before anything is shown. */
static void
test_issuer_mismatch (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *message = NULL;

  mc_mock_oauth_options_init (&options);
  options.issuer_override = "http://127.0.0.1:9/impostor";
  fixture = new_fixture (&options);

  message = refused_before_dialog (fixture, NULL, "discovery-failed");
  assert_contains (message, mc_mock_oauth_get_issuer (fixture->mock));
  assert_contains (message, "http://127.0.0.1:9/impostor");
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
}

/* MCP: without S256 the client must refuse to proceed. That holds for
 * metadata found the MCP 2025-03-26 way too: metadata that is there says
 * what the server does (RFC 8414 §2: absent, no PKCE); only a server with
 * no metadata at all is taken to do PKCE. */
static void
test_no_pkce (void)
{
  static const char * const plain_only[] = { "plain", NULL };
  const struct {
    const char * const *methods;
    gboolean            legacy;
  } variants[] = { { NULL, FALSE }, { plain_only, FALSE }, { NULL, TRUE } };

  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      McMockOAuthOptions options;
      g_autoptr(McTestOAuth) fixture = NULL;
      g_autofree char *message = NULL;

      g_test_message ("code_challenge_methods_supported: %s%s", variants[i].methods != NULL ? "[plain]" : "absent",
                      variants[i].legacy ? ", no PRM, metadata at the origin" : "");
      mc_mock_oauth_options_init (&options);
      if (variants[i].legacy)
        {
          options.prm_locations = MC_MOCK_OAUTH_PRM_NONE;
          options.challenge_prm = MC_MOCK_OAUTH_PRM_NONE;
          options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_LEGACY;
        }
      options.code_challenge_methods = variants[i].methods;
      fixture = new_fixture (&options);

      message = refused_before_dialog (fixture, NULL, "no-pkce");
      assert_contains (message, mc_mock_oauth_get_issuer (fixture->mock));
      g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
    }
}

/* A PRM about another server would send the user's sign-in elsewhere. */
static void
test_prm_other_resource (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *message = NULL;

  mc_mock_oauth_options_init (&options);
  options.prm_resource = "http://127.0.0.1:9/mcp";
  fixture = new_fixture (&options);

  message = refused_before_dialog (fixture, NULL, "discovery-failed");
  assert_contains (message, "http://127.0.0.1:9/mcp");

  /* Not even its authorization server was asked. */
  assert_metadata_urls (fixture,
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED),
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_ROOT),
                        NULL);
}

/* A PRM resource that is a path prefix on the same origin (the origin
 * itself, as the TypeScript SDK accepts) is this server's; the grant is
 * still for the server's own URI. */
static void
test_prm_resource_prefix (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GVariant) grants = NULL;
  g_autoptr(GVariant) grant = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *origin = NULL;
  g_autoptr(GVariant) results = NULL;
  const char *resource = NULL;

  mc_mock_oauth_options_init (&options);
  fixture = new_fixture (NULL);
  /* The origin is known only once the mock listens. */
  origin = g_strdup (mc_mock_oauth_get_origin (fixture->mock));
  options.prm_resource = origin;
  mc_mock_oauth_reconfigure (fixture->mock, &options);

  handle = start_authorize (fixture, "open", NULL);
  results = finish_sign_in (fixture, handle, NULL);
  prompt = wait_prompt (fixture, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "resource"), ==,
                   mc_mock_oauth_get_resource_url (fixture->mock));

  grants = mc_test_oauth_list_grants (fixture);
  g_assert_cmpuint (g_variant_n_children (grants), ==, 1);
  grant = g_variant_get_child_value (grants, 0);
  g_assert_true (g_variant_lookup (grant, "resource", "&s", &resource));
  g_assert_cmpstr (resource, ==, mc_mock_oauth_get_resource_url (fixture->mock));
}

/* A header that cannot be read is the server's fault: ignored, and
 * discovery uses the well-known URLs. */
static void
test_malformed_challenge (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autofree char *grant_id = NULL;

  grant_id = sign_in (fixture, "open", authorize_options ("garbage \x01", NULL));

  assert_metadata_urls (fixture,
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED),
                        mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH),
                        NULL);
}

/* What is not an MCP server URL the broker may talk OAuth to is the
 * caller's mistake: refused at once, nothing fetched, nothing shown. */
static void
test_invalid_resource_url (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  const char *invalid[] = {
    "ftp://mcp.example.com/mcp",
    "https://mcp.example.com/mcp#fragment",
    "https://mcp.example.com/#",
    "http://mcp.example.com/mcp",
    "http://127.1/mcp",
    "https://user@mcp.example.com/mcp",
    "mcp.example.com/mcp",
    "",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *handle = NULL;

      g_test_message ("resource_url “%s”", invalid[i]);
      handle = mc_test_oauth_authorize (fixture, invalid[i], NULL, &error);
      g_assert_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT);
      g_assert_null (handle);
      assert_contains (error->message, "resource_url");
    }

  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_METADATA), ==, 0);
  assert_nothing_shown (fixture);
}

/* MCP 2025-03-26 back-compat {{{1 */

/* A server of MCP 2025-03-26: no PRM anywhere, and challenges that name
 * none. */
static void
legacy_options (McMockOAuthOptions *options)
{
  mc_mock_oauth_options_init (options);
  options->prm_locations = MC_MOCK_OAUTH_PRM_NONE;
  options->challenge_prm = MC_MOCK_OAUTH_PRM_NONE;
}

/* A sign-in found the 2025-03-26 way: the broker asked for both PRM URLs,
 * then for the metadata at the origin, and nothing else; the dialog
 * showed the user @authorization_endpoint at @issuer, with its verdict;
 * the grant is with @issuer; and its token works at the MCP server. */
static void
assert_legacy_sign_in (McTestOAuth *fixture,
                       const char  *issuer,
                       const char  *authorization_endpoint)
{
  g_autoptr(JsonObject) prompt = wait_prompt (fixture, 0);
  JsonObject *verdict = json_object_get_object_member (prompt, "as_verdict");
  g_autoptr(GVariant) grants = mc_test_oauth_list_grants (fixture);
  g_autoptr(GVariant) grant = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  const char *grant_issuer = NULL;

  assert_metadata_urls (fixture,
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED),
                        mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_ROOT),
                        mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_LEGACY),
                        NULL);

  g_assert_cmpstr (json_object_get_string_member (prompt, "resource"), ==,
                   mc_mock_oauth_get_resource_url (fixture->mock));
  g_assert_cmpstr (json_object_get_string_member (prompt, "issuer"), ==, issuer);
  g_assert_cmpstr (json_object_get_string_member (prompt, "authorization_endpoint"), ==, authorization_endpoint);
  g_assert_nonnull (verdict);
  g_assert_cmpstr (json_object_get_string_member (verdict, "host"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (verdict, "risk"), !=, "blocked");

  g_assert_cmpuint (g_variant_n_children (grants), ==, 1);
  grant = g_variant_get_child_value (grants, 0);
  g_assert_true (g_variant_lookup (grant, "issuer", "&s", &grant_issuer));
  g_assert_cmpstr (grant_issuer, ==, issuer);

  token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fetch_resource (fixture, token, NULL), ==, 200);
}

typedef enum
{
  LEGACY_ISSUER_PATH,
  LEGACY_ISSUER_ORIGIN,
  LEGACY_ISSUER_TRAILING_SLASH,
} LegacyIssuer;

/* No PRM, RFC 8414 metadata at the MCP server's origin. The conformance
 * suite's auth/2025-03-26-oauth-metadata-backcompat server says its
 * issuer is the origin with "/oauth", its endpoints under it; others say
 * the origin, with or without a slash. All are on the origin the token
 * is for, so all are taken, and the grant and "iss" are the document's
 * issuer. Nothing names a scope, so none is asked for. */
static void
test_legacy_metadata_at_origin (gconstpointer data)
{
  LegacyIssuer kind = GPOINTER_TO_INT (data);
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *legacy_url = NULL;

  legacy_options (&options);
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_LEGACY;
  options.scopes_supported = NULL;
  if (kind == LEGACY_ISSUER_PATH)
    options.issuer_path = "/oauth";
  fixture = new_fixture (&options);
  if (kind == LEGACY_ISSUER_TRAILING_SLASH)
    {
      /* The origin is known only once the mock listens. */
      issuer = g_strconcat (mc_mock_oauth_get_origin (fixture->mock), "/", NULL);
      options.issuer_override = issuer;
      mc_mock_oauth_reconfigure (fixture->mock, &options);
    }
  else
    {
      issuer = g_strdup (mc_mock_oauth_get_issuer (fixture->mock));
    }
  legacy_url = g_strconcat (mc_mock_oauth_get_origin (fixture->mock), "/.well-known/oauth-authorization-server", NULL);
  g_assert_cmpstr (mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_LEGACY), ==,
                   legacy_url);

  grant_id = sign_in (fixture, "open", NULL);
  assert_legacy_sign_in (fixture, issuer,
                         mc_mock_oauth_get_endpoint_url (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE));

  params = mc_mock_oauth_dup_last_params (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE);
  g_assert_false (g_hash_table_contains (params, "scope"));
  g_assert_cmpstr (g_hash_table_lookup (params, "code_challenge_method"), ==, "S256");
  g_assert_cmpstr (g_hash_table_lookup (params, "resource"), ==, mc_mock_oauth_get_resource_url (fixture->mock));
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 1);
}

/* No PRM and no metadata at all (auth/2025-03-26-oauth-endpoint-fallback):
 * the default endpoints at the origin, which the user is shown; the
 * challenge's scope is asked for. */
static void
test_legacy_default_endpoints (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(McMockOAuthRequest) authorize_request = NULL;
  g_autoptr(McMockOAuthRequest) token_request = NULL;
  g_autoptr(McMockOAuthRequest) register_request = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *authorize_url = NULL;
  g_autofree char *token_url = NULL;
  g_autofree char *register_url = NULL;
  g_autofree char *scope = NULL;
  const char *origin;

  legacy_options (&options);
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_NONE;
  fixture = new_fixture (&options);
  origin = mc_mock_oauth_get_origin (fixture->mock);
  authorize_url = g_strconcat (origin, "/authorize", NULL);
  token_url = g_strconcat (origin, "/token", NULL);
  register_url = g_strconcat (origin, "/register", NULL);

  challenge = mc_mock_oauth_dup_challenge (fixture->mock, "files:read", NULL);
  g_assert_null (strstr (challenge, "resource_metadata"));
  grant_id = sign_in (fixture, "open", authorize_options (challenge, NULL));
  assert_legacy_sign_in (fixture, origin, authorize_url);

  /* The mock saw each default endpoint, at the root of the origin. */
  register_request = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_REGISTER);
  g_assert_cmpstr (register_request->url, ==, register_url);
  g_assert_cmpuint (register_request->status, ==, 201);
  authorize_request = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE);
  g_assert_true (g_str_has_prefix (authorize_request->url, authorize_url));
  g_assert_cmpint (authorize_request->url[strlen (authorize_url)], ==, '?');
  g_assert_cmpuint (authorize_request->status, ==, 302);
  token_request = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_cmpstr (token_request->url, ==, token_url);
  g_assert_cmpuint (token_request->status, ==, 200);

  scope = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "scope");
  g_assert_cmpstr (scope, ==, "files:read");
}

/* No metadata and no /register: after the dialog, registration-failed,
 * naming the endpoint guessed and what to do. */
static void
test_legacy_no_registration (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;
  g_autofree char *register_url = NULL;

  legacy_options (&options);
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_NONE;
  options.registration_endpoint = FALSE;
  fixture = new_fixture (&options);
  register_url = g_strconcat (mc_mock_oauth_get_origin (fixture->mock), "/register", NULL);

  handle = start_authorize (fixture, "open", NULL);
  message = wait_failure (fixture, handle, 2, "registration-failed");
  assert_contains (message, register_url);
  assert_contains (message, "HTTP 404");
  assert_contains (message, "mcp-consent client set");
  assert_nothing_stored (fixture);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
}

/* A resource_metadata URL that fails is an error, as before: a 2025-03-26
 * server names none, so this is a broken newer one. No guessing. */
static void
test_legacy_not_for_named_prm (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *message = NULL;
  const char *prm_url;

  legacy_options (&options);
  options.challenge_prm = MC_MOCK_OAUTH_PRM_CUSTOM;
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_LEGACY;
  fixture = new_fixture (&options);
  prm_url = mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_CUSTOM);

  challenge = mc_mock_oauth_dup_challenge (fixture->mock, NULL, NULL);
  assert_contains (challenge, prm_url);
  message = refused_before_dialog (fixture, authorize_options (challenge, NULL), "discovery-failed");
  assert_contains (message, prm_url);
  assert_contains (message, "HTTP 404");

  assert_metadata_urls (fixture, prm_url, NULL);
}

/* Only "there is no such document" (404, 410) makes a 2025-03-26 server:
 * a failing server (5xx), one that limits (429), refuses (401) or answers
 * with something else there (405) is not guessed around. */
static void
test_legacy_prm_status (void)
{
  const guint refused[] = { 500, 429, 401, 405 };
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant_id = NULL;
  g_autofree char *legacy_url = NULL;
  g_auto(GStrv) last_urls = NULL;

  legacy_options (&options);
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_LEGACY;
  fixture = new_fixture (&options);
  legacy_url = g_strdup (mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_LEGACY));

  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *message = NULL;
      g_autofree char *status = g_strdup_printf ("HTTP %u", refused[i]);
      g_auto(GStrv) urls = NULL;

      g_test_message ("PRM URLs answer %u", refused[i]);
      options.prm_missing_status = refused[i];
      mc_mock_oauth_reconfigure (fixture->mock, &options);

      message = refused_before_dialog (fixture, NULL, "discovery-failed");
      assert_contains (message, mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED));
      assert_contains (message, mc_mock_oauth_get_prm_url (fixture->mock, MC_MOCK_OAUTH_PRM_ROOT));
      assert_contains (message, status);

      urls = mc_mock_oauth_dup_metadata_urls (fixture->mock);
      g_assert_false (g_strv_contains ((const char * const *) urls, legacy_url));
    }

  /* 410 Gone says what 404 says. (A sixth Authorize within the attempt
   * window would be one too many.) */
  options.prm_missing_status = 410;
  mc_mock_oauth_reconfigure (fixture->mock, &options);
  grant_id = sign_in (fixture, "open", NULL);
  last_urls = mc_mock_oauth_dup_metadata_urls (fixture->mock);
  g_assert_true (g_strv_contains ((const char * const *) last_urls, legacy_url));
}

/* A server nobody answers at is not a 2025-03-26 server either. */
static void
test_legacy_unreachable (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *resource = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;

  resource = g_strdup_printf ("http://127.0.0.1:%u/mcp", mc_test_reserve_port (&socket));

  mc_test_env_set_script (fixture->env, "open\n");
  handle = mc_test_oauth_authorize (fixture, resource, NULL, &error);
  g_assert_no_error (error);
  message = wait_failure (fixture, handle, 2, "discovery-failed");
  assert_contains (message, resource);
  assert_nothing_shown (fixture);
  assert_nothing_stored (fixture);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_METADATA), ==, 0);
}

/* PRM 404, but the origin's metadata URL fails: no default endpoints
 * either. */
static void
test_legacy_metadata_fails (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *message = NULL;

  legacy_options (&options);
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_NONE;
  options.as_metadata_missing_status = 500;
  fixture = new_fixture (&options);

  message = refused_before_dialog (fixture, NULL, "discovery-failed");
  assert_contains (message, mc_mock_oauth_get_as_metadata_url (fixture->mock, MC_MOCK_OAUTH_AS_METADATA_LEGACY));
  assert_contains (message, "HTTP 500");
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
}

/* Metadata at the origin that names an issuer on another origin would
 * send the sign-in where the server cannot: refused. */
static void
test_legacy_issuer_elsewhere (void)
{
  const char *issuers[] = { "http://127.0.0.1:9/oauth", "https://auth.example.com" };

  for (gsize i = 0; i < G_N_ELEMENTS (issuers); i++)
    {
      McMockOAuthOptions options;
      g_autoptr(McTestOAuth) fixture = NULL;
      g_autofree char *message = NULL;

      g_test_message ("issuer %s", issuers[i]);
      legacy_options (&options);
      options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_LEGACY;
      options.issuer_override = issuers[i];
      fixture = new_fixture (&options);

      message = refused_before_dialog (fixture, NULL, "discovery-failed");
      assert_contains (message, issuers[i]);
      assert_contains (message, mc_mock_oauth_get_origin (fixture->mock));
      g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
    }
}

/* Registration {{{1 */

typedef struct
{
  McTestOAuth *fixture;
  const char  *client_id;
  const char  *replaced;
} RegistrationSaved;

/* registrations.json is written after the registration, in the
 * background: wait until it names @client_id (and no longer @replaced). */
static gboolean
registration_saved (gpointer user_data)
{
  RegistrationSaved *wait = user_data;
  g_autofree char *path = state_path (wait->fixture, "registrations.json");
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) &&
         strstr (contents, wait->client_id) != NULL &&
         (wait->replaced == NULL || strstr (contents, wait->replaced) == NULL);
}

/* The first sign-in registers a native public client for the listener's
 * redirect URI and remembers it without a secret; the next one reuses it. */
/* A server that registers a confidential client where a public one was
 * asked for (RFC 7591 §2 lets it): the secret goes into the keyring under
 * the client it belongs to, and the token request authenticates with it.
 * The secret's keyring item is stored while the registration it came
 * from is already freed, which once left libsecret reading freed memory. */
static void
test_registration_with_secret (void)
{
  const char * const methods[] = { "client_secret_basic", NULL };
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant = NULL;
  g_autofree char *client_id = NULL;
  g_autoptr(McMockOAuthRequest) token_request = NULL;
  g_autoptr(GPtrArray) items = NULL;
  guint secrets = 0;

  mc_mock_oauth_options_init (&options);
  options.token_endpoint_auth_methods = methods;
  fixture = new_fixture (&options);
  grant = sign_in (fixture, "open", NULL);
  client_id = mc_mock_oauth_dup_last_registered_client (fixture->mock);

  token_request = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_cmpstr (token_request->client_auth, ==, "client_secret_basic");
  g_assert_cmpuint (token_request->status, ==, 200);

  items = mc_test_env_list_secret_items (fixture->env, TOKEN_SCHEMA);
  for (guint i = 0; i < items->len; i++)
    {
      McTestSecretItem *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (g_hash_table_lookup (item->attributes, "kind"), "client-secret") != 0)
        continue;
      secrets++;
      g_assert_cmpstr (g_hash_table_lookup (item->attributes, "client"), ==, client_id);
      g_assert_cmpstr (g_hash_table_lookup (item->attributes, "issuer"), ==,
                       mc_mock_oauth_get_issuer (fixture->mock));
    }
  g_assert_cmpuint (secrets, ==, 1);
}

static void
test_dynamic_registration (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autoptr(McMockOAuthRequest) registration = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *first_grant = NULL;
  g_autofree char *second_grant = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *redirect_uri = NULL;
  g_autofree char *first_client = NULL;
  g_autofree char *second_client = NULL;
  g_autofree char *registrations_path = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) redirect_uris = NULL;
  JsonObject *body = NULL;
  JsonObject *root = NULL;
  JsonArray *entries = NULL;
  JsonObject *entry = NULL;
  g_autoptr(McMockOAuthRequest) token_request = NULL;
  RegistrationSaved saved = { NULL, NULL, NULL };

  first_grant = sign_in (fixture, "open", NULL);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 1);
  client_id = mc_mock_oauth_dup_last_registered_client (fixture->mock);
  first_client = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "client_id");
  g_assert_cmpstr (first_client, ==, client_id);
  redirect_uri = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "redirect_uri");
  g_assert_true (g_str_has_prefix (redirect_uri, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (redirect_uri, "/callback"));

  /* RFC 7591 as a native public client, for the listener's redirect URI. */
  registration = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_REGISTER);
  json_parser_load_from_data (parser, registration->body, -1, &error);
  g_assert_no_error (error);
  body = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (body, "application_type"), ==, "native");
  g_assert_cmpstr (json_object_get_string_member (body, "token_endpoint_auth_method"), ==, "none");
  redirect_uris = record_strv (body, "redirect_uris");
  g_assert_cmpstrv (redirect_uris, ((const char * const[]) { redirect_uri, NULL }));

  /* A public client: no secret at the token endpoint. */
  token_request = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_cmpstr (token_request->client_auth, ==, "none");

  /* Signing in again (the same app, the same server) uses the client
   * the broker registered, and keeps the grant. */
  second_grant = sign_in (fixture, "open", NULL);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 1);
  second_client = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "client_id");
  g_assert_cmpstr (second_client, ==, client_id);
  g_assert_cmpstr (second_grant, ==, first_grant);

  /* Remembered per issuer, without a secret. */
  saved.fixture = fixture;
  saved.client_id = client_id;
  mc_test_wait_until (registration_saved, &saved, "registrations.json to name the client");
  registrations_path = state_path (fixture, "registrations.json");
  g_file_get_contents (registrations_path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&parser);
  parser = json_parser_new ();
  json_parser_load_from_data (parser, contents, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  entries = json_object_get_array_member (root, "registrations");
  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  entry = json_array_get_object_element (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "issuer"), ==, mc_mock_oauth_get_issuer (fixture->mock));
  g_assert_cmpstr (json_object_get_string_member (entry, "client_id"), ==, client_id);
  g_assert_cmpstr (json_object_get_string_member (entry, "auth_method"), ==, "none");
  g_assert_false (json_object_get_boolean_member_with_default (entry, "has_secret", FALSE));
  g_assert_false (json_object_has_member (entry, "client_secret"));
  g_assert_null (strstr (contents, "secret-"));
}

/* A server that matches redirect URIs exactly gets the registered port
 * again; when another program holds that port, the broker registers
 * anew on a free one rather than failing. */
static void
test_exact_redirect (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(GSocket) squatter = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *grant = NULL;
  g_autofree char *first_redirect = NULL;
  g_autofree char *second_redirect = NULL;
  g_autofree char *third_redirect = NULL;
  g_autofree char *first_client = NULL;
  g_autofree char *third_client = NULL;
  RegistrationSaved saved = { NULL, NULL, NULL };

  mc_mock_oauth_options_init (&options);
  options.redirect_match = MC_MOCK_OAUTH_REDIRECT_EXACT;
  fixture = new_fixture (&options);

  grant = sign_in (fixture, "open", NULL);
  first_redirect = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "redirect_uri");
  first_client = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "client_id");

  g_clear_pointer (&grant, g_free);
  grant = sign_in (fixture, "open", NULL);
  second_redirect = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "redirect_uri");
  g_assert_cmpstr (second_redirect, ==, first_redirect);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 1);

  /* Another program listens on the registered port now. */
  uri = g_uri_parse (first_redirect, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  squatter = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, g_uri_get_port (uri));
  /* SO_REUSEADDR, as the broker's listener sets it: the port may still
   * have connections of the last sign-in in TIME_WAIT. Listening makes
   * the broker's bind fail all the same. */
  g_socket_bind (squatter, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (squatter, &error);
  g_assert_no_error (error);

  g_clear_pointer (&grant, g_free);
  grant = sign_in (fixture, "open", NULL);
  third_redirect = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "redirect_uri");
  third_client = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "client_id");
  g_assert_cmpstr (third_redirect, !=, first_redirect);
  g_assert_cmpstr (third_client, !=, first_client);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 2);

  /* The new registration replaced the old one. */
  saved.fixture = fixture;
  saved.client_id = third_client;
  saved.replaced = first_client;
  mc_test_wait_until (registration_saved, &saved, "the new registration to replace the old one");
}

/* `mcp-consent client set --issuer … --client-secret-stdin`, as a user
 * gives the broker a confidential client: the secret on stdin, never in
 * argv. @auth_method NULL leaves the CLI's default (basic, with a secret). */
static void
client_set_with_secret (McTestOAuth *fixture,
                        const char  *client_id,
                        const char  *auth_method,
                        const char  *secret)
{
  g_autofree char *input = g_strconcat (secret, "\n", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  if (auth_method != NULL)
    status = mc_test_env_run_cli_with_input (fixture->env, input, &out, &err,
                                             "client", "set", "--issuer", mc_mock_oauth_get_issuer (fixture->mock),
                                             "--client-id", client_id, "--auth-method", auth_method,
                                             "--client-secret-stdin", NULL);
  else
    status = mc_test_env_run_cli_with_input (fixture->env, input, &out, &err,
                                             "client", "set", "--issuer", mc_mock_oauth_get_issuer (fixture->mock),
                                             "--client-id", client_id, "--client-secret-stdin", NULL);
  g_test_message ("mcp-consent client set: %s%s", out, err);
  g_assert_cmpint (status, ==, 0);
}

/* Pre-registered clients from clients.ini, and how they authenticate at
 * the token endpoint. */
typedef struct
{
  const char *client_id;
  const char *method;           /* as the mock and the token request name it */
  gboolean    by_cli;           /* else clients.ini is written by hand */
  const char *cli_auth_method;  /* NULL: the CLI's default */
  const char *secret;
} PreRegisteredCase;

static const PreRegisteredCase pre_none = { "pre-public", "none", FALSE, NULL, NULL };
static const PreRegisteredCase pre_basic = {
  "pre-basic", "client_secret_basic", TRUE, NULL, "pre-registered-secret-0f9c2e"
};
static const PreRegisteredCase pre_post = {
  "pre-post", "client_secret_post", TRUE, "post", "pre-registered-secret-7d41ab"
};

static void
test_pre_registered (gconstpointer data)
{
  const PreRegisteredCase *pre = data;
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autoptr(McMockOAuthRequest) token_request = NULL;
  g_autofree char *grant = NULL;
  g_autofree char *client_id = NULL;

  mc_mock_oauth_add_client (fixture->mock, pre->client_id, pre->secret, pre->method, "http://127.0.0.1/callback");
  if (pre->by_cli)
    {
      client_set_with_secret (fixture, pre->client_id, pre->cli_auth_method, pre->secret);
    }
  else
    {
      g_autofree char *ini = g_strdup_printf ("[issuer %s]\nclient-id=%s\n",
                                              mc_mock_oauth_get_issuer (fixture->mock), pre->client_id);

      write_clients_ini (fixture, ini);
    }

  grant = sign_in (fixture, "open", NULL);

  /* That client, authenticating as configured, and no registration. */
  client_id = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "client_id");
  g_assert_cmpstr (client_id, ==, pre->client_id);
  token_request = last_request (fixture, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_cmpstr (token_request->client_auth, ==, pre->method);
  g_assert_cmpuint (token_request->status, ==, 200);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);

  /* The secret went to the keyring, not into clients.ini or any file. */
  if (pre->secret != NULL)
    {
      g_autoptr(GPtrArray) files = mc_test_env_find_in_files (fixture->env, pre->secret);

      g_assert_cmpuint (files->len, ==, 0);
    }
}

/* A [resource …] group is more specific than an [issuer …] group. */
static void
test_pre_registered_resource_wins (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autofree char *ini = NULL;
  g_autofree char *grant = NULL;
  g_autofree char *client_id = NULL;

  mc_mock_oauth_add_client (fixture->mock, "issuer-client", NULL, "none", "http://127.0.0.1/callback");
  mc_mock_oauth_add_client (fixture->mock, "resource-client", NULL, "none", "http://127.0.0.1/callback");
  /* The issuer group first, so that file order cannot be what decides. */
  ini = g_strdup_printf ("[issuer %s]\nclient-id=issuer-client\n\n[resource %s]\nclient-id=resource-client\n",
                         mc_mock_oauth_get_issuer (fixture->mock), mc_mock_oauth_get_resource_url (fixture->mock));
  write_clients_ini (fixture, ini);

  grant = sign_in (fixture, "open", NULL);
  client_id = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "client_id");
  g_assert_cmpstr (client_id, ==, "resource-client");
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
}

#define METADATA_DOCUMENT_URL "https://broker.example.org/mcp-consent/client.json"

/* The broker's client ID metadata document is its client id where the
 * server takes such documents, and only there. */
static void
test_metadata_document (gconstpointer data)
{
  gboolean supported = GPOINTER_TO_INT (data);
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *grant = NULL;
  g_autofree char *client_id = NULL;
  g_auto(GStrv) document_clients = NULL;

  mc_mock_oauth_options_init (&options);
  options.client_id_metadata_document_supported = supported;
  fixture = new_fixture (&options);
  write_clients_ini (fixture, "[broker]\nclient-metadata-url=" METADATA_DOCUMENT_URL "\n");

  grant = sign_in (fixture, "open", NULL);
  client_id = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "client_id");
  document_clients = mc_mock_oauth_dup_metadata_document_clients (fixture->mock);
  if (supported)
    {
      g_assert_cmpstr (client_id, ==, METADATA_DOCUMENT_URL);
      g_assert_cmpstrv (document_clients, ((const char * const[]) { METADATA_DOCUMENT_URL, NULL }));
      g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
    }
  else
    {
      g_autofree char *registered = mc_mock_oauth_dup_last_registered_client (fixture->mock);

      g_assert_cmpstr (client_id, ==, registered);
      g_assert_cmpuint (g_strv_length (document_clients), ==, 0);
      g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 1);
    }
}

/* No registration endpoint and nothing configured: the user is told how
 * to give the broker a client. */
static void
test_no_client (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;
  g_autofree char *browser = NULL;

  mc_mock_oauth_options_init (&options);
  options.registration_endpoint = FALSE;
  fixture = new_fixture (&options);

  handle = start_authorize (fixture, "open", NULL);
  message = wait_failure (fixture, handle, 2, "no-client");
  assert_contains (message, "mcp-consent client set");
  assert_contains (message, mc_mock_oauth_get_issuer (fixture->mock));

  browser = mc_test_env_read_browser_log (fixture->env);
  g_assert_cmpstr (browser, ==, "");
  assert_nothing_stored (fixture);
}

/* A confidential client whose secret the user never gave: no-client, and
 * the message says how to give it. */
static void
test_secret_missing (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autofree char *ini = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;
  g_autofree char *browser = NULL;

  mc_mock_oauth_add_client (fixture->mock, "pre-basic", "a-secret", "client_secret_basic",
                            "http://127.0.0.1/callback");
  ini = g_strdup_printf ("[issuer %s]\nclient-id=pre-basic\nauth-method=basic\n",
                         mc_mock_oauth_get_issuer (fixture->mock));
  write_clients_ini (fixture, ini);

  handle = start_authorize (fixture, "open", NULL);
  message = wait_failure (fixture, handle, 2, "no-client");
  assert_contains (message, "pre-basic");
  assert_contains (message, "keyring");
  assert_contains (message, "--client-secret-stdin");

  browser = mc_test_env_read_browser_log (fixture->env);
  g_assert_cmpstr (browser, ==, "");
  assert_nothing_stored (fixture);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
}

/* Scopes and the dialog {{{1 */

/* Checks what the dialog offered, what the authorization request asked
 * for ("" for no scope parameter at all) and what the grant holds. */
static void
assert_scopes (McTestOAuth        *fixture,
               const char * const *offered,
               const char         *asked,
               const char * const *granted)
{
  g_autoptr(JsonObject) prompt = wait_prompt (fixture, 0);
  g_auto(GStrv) prompt_scopes = record_strv (prompt, "scopes");
  g_auto(GStrv) grant_scopes = only_grant_scopes (fixture, NULL);
  g_autofree char *scope = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "scope");

  g_assert_cmpstrv (prompt_scopes, offered);
  g_assert_cmpstr (scope != NULL ? scope : "", ==, asked);
  g_assert_cmpstrv (grant_scopes, granted);
}

static void
test_scopes_from_challenge (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *grant = NULL;
  const char * const expected[] = { "files:read", "files:write", NULL };

  mc_mock_oauth_options_init (&options);
  options.scopes_supported = (const char * const[]) { "mcp:basic", "files:admin", NULL };
  fixture = new_fixture (&options);

  challenge = mc_mock_oauth_dup_challenge (fixture->mock, "files:read files:write", NULL);
  grant = sign_in (fixture, "open", authorize_options (challenge, NULL));
  assert_scopes (fixture, expected, "files:read files:write", expected);
}

/* A challenge without scope: the resource's scopes_supported. */
static void
test_scopes_from_resource_metadata (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *grant = NULL;
  const char * const expected[] = { "mcp:basic", "files:read", NULL };

  mc_mock_oauth_options_init (&options);
  options.scopes_supported = expected;
  /* The authorization server's list is not the resource's. */
  options.as_scopes_supported = (const char * const[]) { "openid", "email", NULL };
  fixture = new_fixture (&options);

  challenge = mc_mock_oauth_dup_challenge (fixture->mock, NULL, NULL);
  grant = sign_in (fixture, "open", authorize_options (challenge, NULL));
  assert_scopes (fixture, expected, "mcp:basic files:read", expected);
}

/* Nobody names a scope: none is asked for, and none is invented. */
static void
test_scopes_none (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *grant = NULL;
  const char * const none[] = { NULL };

  mc_mock_oauth_options_init (&options);
  options.scopes_supported = NULL;
  options.as_scopes_supported = (const char * const[]) { "openid", "email", NULL };
  fixture = new_fixture (&options);

  grant = sign_in (fixture, "open", NULL);
  assert_scopes (fixture, none, "", none);
  params = mc_mock_oauth_dup_last_params (fixture->mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE);
  g_assert_false (g_hash_table_contains (params, "scope"));
}

/* The caller's own scopes win over the challenge's. */
static void
test_scopes_caller_overrides (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autofree char *challenge = NULL;
  g_autofree char *grant = NULL;
  const char * const wanted[] = { "files:admin", NULL };

  challenge = mc_mock_oauth_dup_challenge (fixture->mock, "files:read files:write", NULL);
  grant = sign_in (fixture, "open", authorize_options (challenge, wanted));
  assert_scopes (fixture, wanted, "files:admin", wanted);
}

/* The user unticks some: the request asks for exactly the rest, and the
 * grant holds what the server granted. */
static void
test_scopes_subset (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *grant = NULL;
  g_autofree char *token = NULL;
  g_autofree const char **token_scopes = NULL;
  const char * const offered[] = { "files:read", "files:write", "files:delete", NULL };
  const char * const kept[] = { "files:read", "files:delete", NULL };

  mc_mock_oauth_options_init (&options);
  options.scopes_supported = offered;
  fixture = new_fixture (&options);

  grant = sign_in (fixture, "open-scopes files:read files:delete", NULL);
  assert_scopes (fixture, offered, "files:read files:delete", kept);

  token = mc_test_oauth_get_token (fixture, NULL, FALSE, &info, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (info, "scopes", "^a&s", &token_scopes));
  g_assert_cmpstrv (token_scopes, kept);
}

/* A dialog that answers with a scope it never offered, or allows nothing
 * of what it offered, is not believed: the sign-in fails and nothing is
 * kept. */
static void
test_scopes_not_offered (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autofree char *registrations = NULL;
  g_autofree char *browser = NULL;
  /* The last: nothing allowed at all, which would get the server's
   * default scopes. */
  const char *answers[] = { "open-scopes files:read files:admin", "open-scopes files:admin", "open-scopes" };

  mc_mock_oauth_options_init (&options);
  options.scopes_supported = (const char * const[]) { "files:read", "files:write", NULL };
  fixture = new_fixture (&options);

  for (gsize i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autofree char *handle = start_authorize (fixture, answers[i], NULL);
      g_autofree char *message = NULL;

      g_test_message ("Dialog answers “%s”", answers[i]);
      message = wait_failure (fixture, handle, 2, "authorization-failed");
    }

  browser = mc_test_env_read_browser_log (fixture->env);
  g_assert_cmpstr (browser, ==, "");
  assert_nothing_stored (fixture);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
  registrations = state_path (fixture, "registrations.json");
  g_assert_false (g_file_test (registrations, G_FILE_TEST_EXISTS));
}

/* A server that needs more (403 insufficient_scope): the user is asked
 * only for what is new, and the grant grows, keeping its id. */
static void
test_step_up (void)
{
  McMockOAuthOptions options;
  g_autoptr(McTestOAuth) fixture = NULL;
  g_autoptr(JsonObject) prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_grant = NULL;
  g_autofree char *second_grant = NULL;
  g_autofree char *listed_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *new_token = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *scope = NULL;
  g_auto(GStrv) offered = NULL;
  g_auto(GStrv) granted = NULL;
  g_auto(GStrv) grant_scopes = NULL;
  const char * const read_only[] = { "files:read", NULL };
  const char * const both[] = { "files:read", "files:write", NULL };

  mc_mock_oauth_options_init (&options);
  options.scopes_supported = read_only;
  fixture = new_fixture (&options);

  first_grant = sign_in (fixture, "open", NULL);
  token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fetch_resource (fixture, token, NULL), ==, 200);

  /* The server now wants files:write too, and says so. */
  mc_mock_oauth_set_required_scope (fixture->mock, "files:read files:write");
  g_assert_cmpuint (fetch_resource (fixture, token, &challenge), ==, 403);
  assert_contains (challenge, "insufficient_scope");

  second_grant = sign_in (fixture, "open", authorize_options (challenge, NULL));

  prompt = wait_prompt (fixture, 1);
  offered = record_strv (prompt, "scopes");
  granted = record_strv (prompt, "granted_scopes");
  g_assert_cmpstrv (offered, ((const char * const[]) { "files:write", NULL }));
  g_assert_cmpstrv (granted, read_only);

  scope = last_param (fixture, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE, "scope");
  g_assert_cmpstr (scope, ==, "files:read files:write");
  g_assert_cmpstr (second_grant, ==, first_grant);
  grant_scopes = only_grant_scopes (fixture, &listed_id);
  g_assert_cmpstrv (grant_scopes, both);
  g_assert_cmpstr (listed_id, ==, first_grant);

  /* And the server takes the new token. */
  new_token = mc_test_oauth_get_token (fixture, NULL, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fetch_resource (fixture, new_token, NULL), ==, 200);
}

/* A client that keeps asking is stopped after 5 attempts in the window,
 * without another dialog and without asking the server again. */
static void
test_too_many_attempts (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;
  guint metadata_requests;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *declined = start_authorize (fixture, "decline", NULL);
      g_autoptr(GVariant) results = NULL;

      g_assert_cmpuint (mc_test_oauth_wait_response (fixture, declined, &results), ==, 1);
    }
  g_assert_cmpuint (mc_test_env_count_records (fixture->env), ==, 5);
  metadata_requests = mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_METADATA);

  handle = start_authorize (fixture, "open", NULL);
  message = wait_failure (fixture, handle, 2, "too-many-attempts");
  g_assert_cmpuint (mc_test_env_count_records (fixture->env), ==, 5);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_METADATA), ==, metadata_requests);
}

/* Declining happens before anything reaches the server or the browser. */
static void
test_decline (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;
  g_autofree char *browser = NULL;
  g_autoptr(JsonObject) prompt = NULL;

  handle = start_authorize (fixture, "decline", NULL);
  message = wait_failure (fixture, handle, 1, "declined");

  prompt = wait_prompt (fixture, 0);
  g_assert_cmpstr (json_object_get_string_member (prompt, "answer"), ==, "decline");
  browser = mc_test_env_read_browser_log (fixture->env);
  g_assert_cmpstr (browser, ==, "");
  assert_nothing_stored (fixture);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
}

static void
test_dismiss (void)
{
  g_autoptr(McTestOAuth) fixture = new_fixture (NULL);
  g_autofree char *handle = NULL;
  g_autofree char *message = NULL;
  g_autofree char *browser = NULL;

  handle = start_authorize (fixture, "dismiss", NULL);
  message = wait_failure (fixture, handle, 2, "dismissed");

  browser = mc_test_env_read_browser_log (fixture->env);
  g_assert_cmpstr (browser, ==, "");
  assert_nothing_stored (fixture);
  g_assert_cmpuint (mc_mock_oauth_get_count (fixture->mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
}

/* }}}1 */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* Registers the error names, so replies map to McError codes. */
  (void) MC_ERROR;

  g_test_add_func ("/oauth-discovery/prm/from-challenge", test_prm_from_challenge);
  g_test_add_func ("/oauth-discovery/prm/path-inserted", test_prm_path_inserted);
  g_test_add_func ("/oauth-discovery/prm/root", test_prm_root);
  g_test_add_func ("/oauth-discovery/prm/other-resource", test_prm_other_resource);
  g_test_add_func ("/oauth-discovery/prm/resource-prefix", test_prm_resource_prefix);
  g_test_add_data_func ("/oauth-discovery/as-metadata/rfc8414", &as_rfc8414, test_as_metadata);
  g_test_add_data_func ("/oauth-discovery/as-metadata/openid", &as_openid, test_as_metadata);
  g_test_add_data_func ("/oauth-discovery/as-metadata/issuer-path/rfc8414", &as_path_rfc8414, test_as_metadata);
  g_test_add_data_func ("/oauth-discovery/as-metadata/issuer-path/openid-inserted", &as_path_openid_inserted,
                        test_as_metadata);
  g_test_add_data_func ("/oauth-discovery/as-metadata/issuer-path/openid-appended", &as_path_openid_appended,
                        test_as_metadata);
  g_test_add_func ("/oauth-discovery/as-metadata/separate-origin", test_as_separate_origin);
  g_test_add_func ("/oauth-discovery/as-metadata/issuer-mismatch", test_issuer_mismatch);
  g_test_add_func ("/oauth-discovery/as-metadata/no-pkce", test_no_pkce);
  g_test_add_func ("/oauth-discovery/malformed-challenge", test_malformed_challenge);

  g_test_add_data_func ("/oauth-discovery/legacy/metadata-at-origin/issuer-path",
                        GINT_TO_POINTER (LEGACY_ISSUER_PATH), test_legacy_metadata_at_origin);
  g_test_add_data_func ("/oauth-discovery/legacy/metadata-at-origin/issuer-origin",
                        GINT_TO_POINTER (LEGACY_ISSUER_ORIGIN), test_legacy_metadata_at_origin);
  g_test_add_data_func ("/oauth-discovery/legacy/metadata-at-origin/issuer-trailing-slash",
                        GINT_TO_POINTER (LEGACY_ISSUER_TRAILING_SLASH), test_legacy_metadata_at_origin);
  g_test_add_func ("/oauth-discovery/legacy/default-endpoints", test_legacy_default_endpoints);
  g_test_add_func ("/oauth-discovery/legacy/no-registration", test_legacy_no_registration);
  g_test_add_func ("/oauth-discovery/legacy/not-for-named-prm", test_legacy_not_for_named_prm);
  g_test_add_func ("/oauth-discovery/legacy/prm-status", test_legacy_prm_status);
  g_test_add_func ("/oauth-discovery/legacy/unreachable", test_legacy_unreachable);
  g_test_add_func ("/oauth-discovery/legacy/metadata-fails", test_legacy_metadata_fails);
  g_test_add_func ("/oauth-discovery/legacy/issuer-elsewhere", test_legacy_issuer_elsewhere);
  g_test_add_func ("/oauth-discovery/invalid-resource-url", test_invalid_resource_url);

  g_test_add_func ("/oauth-discovery/registration/dynamic", test_dynamic_registration);
  g_test_add_func ("/oauth-discovery/registration/with-secret", test_registration_with_secret);
  g_test_add_func ("/oauth-discovery/registration/exact-redirect", test_exact_redirect);
  g_test_add_data_func ("/oauth-discovery/registration/pre-registered/none", &pre_none, test_pre_registered);
  g_test_add_data_func ("/oauth-discovery/registration/pre-registered/basic", &pre_basic, test_pre_registered);
  g_test_add_data_func ("/oauth-discovery/registration/pre-registered/post", &pre_post, test_pre_registered);
  g_test_add_func ("/oauth-discovery/registration/pre-registered/resource-wins", test_pre_registered_resource_wins);
  g_test_add_data_func ("/oauth-discovery/registration/metadata-document/supported", GINT_TO_POINTER (TRUE),
                        test_metadata_document);
  g_test_add_data_func ("/oauth-discovery/registration/metadata-document/unsupported", GINT_TO_POINTER (FALSE),
                        test_metadata_document);
  g_test_add_func ("/oauth-discovery/registration/no-client", test_no_client);
  g_test_add_func ("/oauth-discovery/registration/secret-missing", test_secret_missing);

  g_test_add_func ("/oauth-discovery/scopes/from-challenge", test_scopes_from_challenge);
  g_test_add_func ("/oauth-discovery/scopes/from-resource-metadata", test_scopes_from_resource_metadata);
  g_test_add_func ("/oauth-discovery/scopes/none", test_scopes_none);
  g_test_add_func ("/oauth-discovery/scopes/caller-overrides", test_scopes_caller_overrides);
  g_test_add_func ("/oauth-discovery/scopes/subset", test_scopes_subset);
  g_test_add_func ("/oauth-discovery/scopes/not-offered", test_scopes_not_offered);
  g_test_add_func ("/oauth-discovery/scopes/step-up", test_step_up);
  g_test_add_func ("/oauth-discovery/too-many-attempts", test_too_many_attempts);
  g_test_add_func ("/oauth-discovery/decline", test_decline);
  g_test_add_func ("/oauth-discovery/dismiss", test_dismiss);

  return g_test_run ();
}
