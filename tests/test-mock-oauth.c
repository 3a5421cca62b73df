/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "mc-mock-oauth.h"
#include "mc-test-env.h"

/* Tests of the mock authorization server itself, driven with plain
 * libsoup from the test thread: the OAuth tests of the broker can only
 * be as right as the server they run against. */

#define REDIRECT_URI "http://127.0.0.1:4000/callback"

typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;
  char               *body;
  JsonObject         *json;  /* NULL unless the body is a JSON object */
} Response;

static void
response_free (Response *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response->body);
  g_clear_pointer (&response->json, json_object_unref);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static SoupSession *
new_session (guint timeout_seconds)
{
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

  /* libsoup allows two connections per host by default, which would
   * queue concurrent requests in the client, not at the server. */
  return soup_session_new_with_options ("proxy-resolver", direct,
                                        "timeout", timeout_seconds,
                                        "max-conns-per-host", 16,
                                        NULL);
}

static SoupMessage *
new_message (const char *method,
             const char *url,
             const char *content_type,
             const char *body,
             const char *authorization)
{
  SoupMessage *message = soup_message_new (method, url);

  g_assert_nonnull (message);
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, content_type, bytes);
    }
  return message;
}

static Response *
response_new (SoupMessage *message,
              GBytes      *body)
{
  Response *response = g_new0 (Response, 1);
  g_autoptr(JsonNode) node = NULL;

  response->status = soup_message_get_status (message);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  /* g_strndup() gives NULL for an empty body, which has no data. */
  response->body = g_bytes_get_size (body) > 0 ? g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body))
                                               : g_strdup ("");
  node = json_from_string (response->body, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    response->json = json_object_ref (json_node_get_object (node));
  return response;
}

static Response *
request (const char *method,
         const char *url,
         const char *content_type,
         const char *body,
         const char *authorization)
{
  g_autoptr(SoupSession) session = new_session (MC_TEST_TIMEOUT_SECONDS);
  g_autoptr(SoupMessage) message = new_message (method, url, content_type, body, authorization);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  return response_new (message, bytes);
}

static Response *
get (const char *url)
{
  return request ("GET", url, NULL, NULL, NULL);
}

static Response *
get_with_token (const char *url,
                const char *token)
{
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

  return request ("GET", url, NULL, NULL, authorization);
}

/* Name, value pairs, NULL-terminated; a NULL value leaves the field out. */
static char *
form_encode_valist (const char *first_name,
                    va_list     args)
{
  GString *form = g_string_new (NULL);
  const char *name = first_name;

  while (name != NULL)
    {
      const char *value = va_arg (args, const char *);

      if (value != NULL)
        {
          g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

          g_string_append_printf (form, "%s%s=%s", form->len > 0 ? "&" : "", name, escaped);
        }
      name = va_arg (args, const char *);
    }
  return g_string_free (form, FALSE);
}

static Response *
post_form (const char *url,
           const char *authorization,
           const char *first_name,
           ...) G_GNUC_NULL_TERMINATED;

static Response *
post_form (const char *url,
           const char *authorization,
           const char *first_name,
           ...)
{
  g_autofree char *form = NULL;
  va_list args;

  va_start (args, first_name);
  form = form_encode_valist (first_name, args);
  va_end (args);
  return request ("POST", url, "application/x-www-form-urlencoded", form, authorization);
}

static const char *
json_string (Response   *response,
             const char *member)
{
  g_assert_nonnull (response->json);
  if (!json_object_has_member (response->json, member))
    return NULL;
  return json_object_get_string_member (response->json, member);
}

static char *
json_strv_joined (Response   *response,
                  const char *member)
{
  JsonArray *array;
  GString *joined = g_string_new (NULL);

  g_assert_nonnull (response->json);
  g_assert_true (json_object_has_member (response->json, member));
  array = json_object_get_array_member (response->json, member);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_string_append_printf (joined, "%s%s", i > 0 ? " " : "", json_array_get_string_element (array, i));
  return g_string_free (joined, FALSE);
}

static void
assert_oauth_error (Response   *response,
                    guint       status,
                    const char *error)
{
  g_test_message ("%u %s", response->status, response->body);
  g_assert_cmpuint (response->status, ==, status);
  g_assert_cmpstr (json_string (response, "error"), ==, error);
}

/* PKCE, written here independently of the mock */

static char *
base64url (const guint8 *data,
           gsize         length)
{
  g_autofree char *standard = g_base64_encode (data, length);
  GString *encoded = g_string_new (NULL);

  for (const char *p = standard; *p != '\0' && *p != '='; p++)
    g_string_append_c (encoded, *p == '+' ? '-' : *p == '/' ? '_' : *p);
  return g_string_free (encoded, FALSE);
}

static char *
new_verifier (void)
{
  guint8 bytes[32];

  for (gsize i = 0; i < sizeof bytes; i++)
    bytes[i] = g_random_int_range (0, 256);
  return base64url (bytes, sizeof bytes);
}

static char *
s256 (const char *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize length = sizeof digest;

  g_checksum_update (checksum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &length);
  return base64url (digest, length);
}

/* The authorization code flow */

static char *
authorization_url_with_method (McMockOAuth *mock,
                               const char  *client_id,
                               const char  *redirect_uri,
                               const char  *challenge,
                               const char  *method,
                               const char  *scope,
                               const char  *state)
{
  g_autofree char *query = NULL;

  query = soup_form_encode ("response_type", "code",
                            "client_id", client_id,
                            "redirect_uri", redirect_uri,
                            "code_challenge", challenge,
                            "code_challenge_method", method,
                            "state", state,
                            "resource", mc_mock_oauth_get_resource_url (mock),
                            scope != NULL ? "scope" : NULL, scope,
                            NULL);
  return g_strconcat (mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE), "?", query, NULL);
}

static char *
authorization_url (McMockOAuth *mock,
                   const char  *client_id,
                   const char  *redirect_uri,
                   const char  *verifier,
                   const char  *scope,
                   const char  *state)
{
  g_autofree char *challenge = s256 (verifier);

  return authorization_url_with_method (mock, client_id, redirect_uri, challenge, "S256", scope, state);
}

static void
assert_authorize_error_mentions (McMockOAuth *mock,
                                 const char  *what)
{
  g_autofree char *why = mc_mock_oauth_dup_last_authorize_error (mock);

  g_test_message ("authorization refused: %s", why);
  g_assert_nonnull (why);
  g_assert_nonnull (strstr (why, what));
}

/* RFC 6749 §2.3.1: form-encoded, then joined and base64-encoded. */
static char *
basic_header (const char *client_id,
              const char *client_secret)
{
  g_autofree char *id = g_uri_escape_string (client_id, NULL, FALSE);
  g_autofree char *secret = g_uri_escape_string (client_secret, NULL, FALSE);
  g_autofree char *joined = g_strconcat (id, ":", secret, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) joined, strlen (joined));

  return g_strconcat ("Basic ", encoded, NULL);
}

/* The query of a redirect's Location, checked to go to @redirect_uri. */
static GHashTable *
redirect_params (const char *location,
                 const char *redirect_uri)
{
  g_autoptr(GUri) uri = g_uri_parse (location, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GUri) expected = g_uri_parse (redirect_uri, G_URI_FLAGS_NONE, NULL);
  GHashTable *params;

  g_assert_nonnull (uri);
  g_assert_cmpstr (g_uri_get_scheme (uri), ==, g_uri_get_scheme (expected));
  g_assert_cmpstr (g_uri_get_host (uri), ==, g_uri_get_host (expected));
  g_assert_cmpint (g_uri_get_port (uri), ==, g_uri_get_port (expected));
  g_assert_cmpstr (g_uri_get_path (uri), ==, g_uri_get_path (expected));
  params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  g_assert_nonnull (params);
  return params;
}

/* Plays the browser through an approved authorization; returns the code. */
static char *
get_code (McMockOAuth *mock,
          const char  *client_id,
          const char  *redirect_uri,
          const char  *verifier,
          const char  *scope)
{
  g_autofree char *state = g_uuid_string_random ();
  g_autofree char *url = authorization_url (mock, client_id, redirect_uri, verifier, scope, state);
  g_autofree char *location = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) error = NULL;

  location = mc_mock_oauth_authorize_in_browser (mock, url, &error);
  g_assert_no_error (error);
  params = redirect_params (location, redirect_uri);
  g_assert_cmpstr (g_hash_table_lookup (params, "state"), ==, state);
  g_assert_nonnull (g_hash_table_lookup (params, "code"));
  return g_strdup (g_hash_table_lookup (params, "code"));
}

static Response *
exchange (McMockOAuth *mock,
          const char  *client_id,
          const char  *code,
          const char  *redirect_uri,
          const char  *verifier)
{
  return post_form (mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN), NULL,
                    "grant_type", "authorization_code",
                    "code", code,
                    "redirect_uri", redirect_uri,
                    "code_verifier", verifier,
                    "client_id", client_id,
                    "resource", mc_mock_oauth_get_resource_url (mock),
                    NULL);
}

static Response *
refresh (McMockOAuth *mock,
         const char  *client_id,
         const char  *refresh_token)
{
  return post_form (mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN), NULL,
                    "grant_type", "refresh_token",
                    "refresh_token", refresh_token,
                    "client_id", client_id,
                    "resource", mc_mock_oauth_get_resource_url (mock),
                    NULL);
}

/* A public client the way tests in this file mostly need one. */
static McMockOAuth *
new_mock_with_client (const McMockOAuthOptions *options)
{
  McMockOAuth *mock = mc_mock_oauth_new (options);

  mc_mock_oauth_add_client (mock, "public", NULL, "none", REDIRECT_URI);
  return mock;
}

/* A token response for a fresh authorization of the "public" client. */
static Response *
authorize_and_exchange (McMockOAuth *mock,
                        const char  *scope)
{
  g_autofree char *verifier = new_verifier ();
  g_autofree char *code = get_code (mock, "public", REDIRECT_URI, verifier, scope);

  return exchange (mock, "public", code, REDIRECT_URI, verifier);
}

static guint
status_of (const char *url)
{
  g_autoptr(Response) response = get (url);

  return response->status;
}

/* Tests */

static void
test_pkce_helper (void)
{
  g_autofree char *challenge = s256 ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  g_autofree char *verifier = new_verifier ();

  /* RFC 7636 Appendix B: so that a refusal below is the mock's doing. */
  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  g_assert_cmpuint (strlen (verifier), ==, 43);
}

static void
test_discovery_default (void)
{
  g_autoptr(McMockOAuth) mock = mc_mock_oauth_new (NULL);
  const char *origin = mc_mock_oauth_get_origin (mock);
  g_autofree char *expected_challenge = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *prm_url = g_strconcat (origin, "/.well-known/oauth-protected-resource/mcp", NULL);
  g_autofree char *as_url = g_strconcat (origin, "/.well-known/oauth-authorization-server", NULL);
  g_autofree char *oidc_url = g_strconcat (origin, "/.well-known/openid-configuration", NULL);
  g_autofree char *root_prm_url = g_strconcat (origin, "/.well-known/oauth-protected-resource", NULL);
  g_autofree char *custom_prm_url = g_strconcat (origin, MC_MOCK_OAUTH_PRM_CUSTOM_PATH, NULL);
  g_auto(GStrv) urls = NULL;
  g_autoptr(Response) unauthorized = NULL;
  g_autoptr(Response) prm = NULL;
  g_autoptr(Response) as = NULL;

  g_assert_true (g_str_has_prefix (origin, "http://127.0.0.1:"));
  g_assert_cmpstr (mc_mock_oauth_get_as_origin (mock), ==, origin);
  g_assert_cmpstr (mc_mock_oauth_get_issuer (mock), ==, origin);
  g_assert_true (g_str_has_suffix (mc_mock_oauth_get_resource_url (mock), "/mcp"));

  unauthorized = get (mc_mock_oauth_get_resource_url (mock));
  g_assert_cmpuint (unauthorized->status, ==, 401);
  expected_challenge = g_strdup_printf ("Bearer resource_metadata=\"%s\"", prm_url);
  g_assert_cmpstr (soup_message_headers_get_one (unauthorized->headers, "WWW-Authenticate"), ==,
                   expected_challenge);

  prm = get (prm_url);
  g_assert_cmpuint (prm->status, ==, 200);
  g_assert_cmpstr (json_string (prm, "resource"), ==, mc_mock_oauth_get_resource_url (mock));
  joined = json_strv_joined (prm, "authorization_servers");
  g_assert_cmpstr (joined, ==, mc_mock_oauth_get_issuer (mock));
  g_clear_pointer (&joined, g_free);
  joined = json_strv_joined (prm, "scopes_supported");
  g_assert_cmpstr (joined, ==, "mcp:basic");
  g_clear_pointer (&joined, g_free);
  g_assert_false (json_object_has_member (prm->json, "resource_name"));

  g_assert_cmpuint (status_of (root_prm_url), ==, 404);
  g_assert_cmpuint (status_of (custom_prm_url), ==, 404);

  as = get (as_url);
  g_assert_cmpuint (as->status, ==, 200);
  g_assert_cmpstr (json_string (as, "issuer"), ==, mc_mock_oauth_get_issuer (mock));
  g_assert_cmpstr (json_string (as, "authorization_endpoint"), ==,
                   mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE));
  g_assert_cmpstr (json_string (as, "token_endpoint"), ==,
                   mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN));
  g_assert_cmpstr (json_string (as, "registration_endpoint"), ==,
                   mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_REGISTER));
  g_assert_cmpstr (json_string (as, "revocation_endpoint"), ==,
                   mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_REVOKE));
  joined = json_strv_joined (as, "code_challenge_methods_supported");
  g_assert_cmpstr (joined, ==, "S256");
  g_clear_pointer (&joined, g_free);
  joined = json_strv_joined (as, "token_endpoint_auth_methods_supported");
  g_assert_cmpstr (joined, ==, "none client_secret_basic client_secret_post");
  g_assert_true (json_object_get_boolean_member (as->json, "authorization_response_iss_parameter_supported"));
  g_assert_false (json_object_has_member (as->json, "client_id_metadata_document_supported"));

  g_assert_cmpuint (status_of (oidc_url), ==, 404);

  /* Every discovery request, served or not, in order. */
  urls = mc_mock_oauth_dup_metadata_urls (mock);
  g_assert_cmpuint (g_strv_length (urls), ==, 5);
  g_assert_cmpstr (urls[0], ==, prm_url);
  g_assert_cmpstr (urls[1], ==, root_prm_url);
  g_assert_cmpstr (urls[2], ==, custom_prm_url);
  g_assert_cmpstr (urls[3], ==, as_url);
  g_assert_cmpstr (urls[4], ==, oidc_url);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_METADATA), ==, 5);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_RESOURCE_UNAUTHORIZED), ==, 1);
}

static void
test_discovery_issuer_path (void)
{
  static const McMockOAuthAsMetadata locations[] = {
    MC_MOCK_OAUTH_AS_METADATA_OAUTH,
    MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED,
    MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED,
  };
  static const char * const suffixes[] = {
    "/.well-known/oauth-authorization-server/tenant1",
    "/.well-known/openid-configuration/tenant1",
    "/tenant1/.well-known/openid-configuration",
  };

  /* Each location alone: exactly its URL answers. */
  for (gsize served = 0; served < G_N_ELEMENTS (locations); served++)
    {
      McMockOAuthOptions options;
      g_autoptr(McMockOAuth) mock = NULL;
      g_autofree char *issuer = NULL;
      g_auto(GStrv) urls = NULL;

      mc_mock_oauth_options_init (&options);
      options.issuer_path = "/tenant1";
      options.as_metadata = locations[served];
      mock = mc_mock_oauth_new (&options);
      issuer = g_strconcat (mc_mock_oauth_get_origin (mock), "/tenant1", NULL);
      g_assert_cmpstr (mc_mock_oauth_get_issuer (mock), ==, issuer);

      for (gsize i = 0; i < G_N_ELEMENTS (locations); i++)
        {
          const char *url = mc_mock_oauth_get_as_metadata_url (mock, locations[i]);
          g_autoptr(Response) response = get (url);

          g_assert_true (g_str_has_suffix (url, suffixes[i]));
          g_test_message ("%s -> %u", url, response->status);
          g_assert_cmpuint (response->status, ==, i == served ? 200 : 404);
          if (i == served)
            {
              g_assert_cmpstr (json_string (response, "issuer"), ==, issuer);
              /* Endpoints live under the issuer. */
              g_assert_true (g_str_has_prefix (json_string (response, "token_endpoint"), issuer));
            }
        }

      urls = mc_mock_oauth_dup_metadata_urls (mock);
      g_assert_cmpuint (g_strv_length (urls), ==, 3);
      for (gsize i = 0; i < G_N_ELEMENTS (locations); i++)
        g_assert_cmpstr (urls[i], ==, mc_mock_oauth_get_as_metadata_url (mock, locations[i]));
    }
}

static void
test_discovery_no_path_oidc (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;

  mc_mock_oauth_options_init (&options);
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED;
  mock = mc_mock_oauth_new (&options);

  /* Without an issuer path, inserting and appending are the same URL. */
  g_assert_cmpstr (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED), ==,
                   mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED));
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED)),
                    ==, 200);
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH)),
                    ==, 404);
}

static void
test_discovery_prm_locations (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(Response) unauthorized = NULL;
  g_autoptr(Response) prm = NULL;

  mc_mock_oauth_options_init (&options);
  options.prm_locations = MC_MOCK_OAUTH_PRM_CUSTOM | MC_MOCK_OAUTH_PRM_ROOT;
  options.challenge_prm = MC_MOCK_OAUTH_PRM_CUSTOM;
  options.challenge_scope = "files:read";
  options.resource_name = "Test server";
  options.scopes_supported = NULL;
  mock = mc_mock_oauth_new (&options);

  unauthorized = get (mc_mock_oauth_get_resource_url (mock));
  expected = g_strdup_printf ("Bearer resource_metadata=\"%s%s\", scope=\"files:read\"",
                              mc_mock_oauth_get_origin (mock), MC_MOCK_OAUTH_PRM_CUSTOM_PATH);
  g_assert_cmpstr (soup_message_headers_get_one (unauthorized->headers, "WWW-Authenticate"), ==, expected);
  challenge = mc_mock_oauth_dup_challenge (mock, "a b", "insufficient_scope");
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("Bearer resource_metadata=\"%s\", scope=\"a b\", error=\"insufficient_scope\"",
                              mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_CUSTOM));
  g_assert_cmpstr (challenge, ==, expected);

  prm = get (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_CUSTOM));
  g_assert_cmpuint (prm->status, ==, 200);
  g_assert_cmpstr (json_string (prm, "resource_name"), ==, "Test server");
  /* Absent, not empty: MCP clients then leave scope out. */
  g_assert_false (json_object_has_member (prm->json, "scopes_supported"));
  g_assert_cmpuint (status_of (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_ROOT)), ==, 200);
  g_assert_cmpuint (status_of (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED)), ==, 404);

  /* A challenge without resource_metadata, for the well-known fallback. */
  options.challenge_prm = MC_MOCK_OAUTH_PRM_NONE;
  options.challenge_scope = NULL;
  mc_mock_oauth_reconfigure (mock, &options);
  g_clear_pointer (&challenge, g_free);
  challenge = mc_mock_oauth_dup_challenge (mock, NULL, NULL);
  g_assert_cmpstr (challenge, ==, "Bearer");
}

static void
test_discovery_separate_as (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autofree char *on_resource_origin = NULL;
  g_autofree char *authorize_on_resource_origin = NULL;
  g_autofree char *joined = NULL;
  g_autoptr(Response) prm = NULL;
  g_auto(GStrv) urls = NULL;

  mc_mock_oauth_options_init (&options);
  options.separate_as_origin = TRUE;
  options.issuer_path = "/tenant1";
  mock = mc_mock_oauth_new (&options);

  g_assert_cmpstr (mc_mock_oauth_get_as_origin (mock), !=, mc_mock_oauth_get_origin (mock));
  g_assert_true (g_str_has_prefix (mc_mock_oauth_get_issuer (mock), mc_mock_oauth_get_as_origin (mock)));

  prm = get (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED));
  g_assert_cmpuint (prm->status, ==, 200);
  joined = json_strv_joined (prm, "authorization_servers");
  g_assert_cmpstr (joined, ==, mc_mock_oauth_get_issuer (mock));

  /* The authorization server is not at the resource's origin... */
  on_resource_origin = g_strconcat (mc_mock_oauth_get_origin (mock),
                                    "/.well-known/oauth-authorization-server/tenant1", NULL);
  g_assert_cmpuint (status_of (on_resource_origin), ==, 404);
  authorize_on_resource_origin = g_strconcat (mc_mock_oauth_get_origin (mock), "/tenant1/authorize", NULL);
  g_assert_cmpuint (status_of (authorize_on_resource_origin), ==, 404);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 0);
  /* ...but at its own, and the resource not there. */
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH)), ==, 200);
  g_clear_pointer (&joined, g_free);
  joined = g_strconcat (mc_mock_oauth_get_as_origin (mock), "/mcp", NULL);
  g_assert_cmpuint (status_of (joined), ==, 404);

  urls = mc_mock_oauth_dup_metadata_urls (mock);
  g_assert_cmpuint (g_strv_length (urls), ==, 3);
  g_assert_cmpstr (urls[1], ==, on_resource_origin);
  g_assert_cmpstr (urls[2], ==, mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH));
}

/* MCP 2025-03-26's servers: no PRM, metadata at the MCP server's origin
 * whatever the issuer (the conformance suite's backcompat server has its
 * issuer and endpoints under /oauth), or none at all; and the status of
 * what is not served. */
static void
test_discovery_legacy (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(Response) as = NULL;
  g_autofree char *expected_url = NULL;
  g_autofree char *issuer = NULL;

  mc_mock_oauth_options_init (&options);
  options.issuer_path = "/oauth";
  options.prm_locations = MC_MOCK_OAUTH_PRM_NONE;
  options.challenge_prm = MC_MOCK_OAUTH_PRM_NONE;
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_LEGACY;
  mock = mc_mock_oauth_new (&options);

  expected_url = g_strconcat (mc_mock_oauth_get_origin (mock), "/.well-known/oauth-authorization-server", NULL);
  issuer = g_strconcat (mc_mock_oauth_get_origin (mock), "/oauth", NULL);
  g_assert_cmpstr (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_LEGACY), ==, expected_url);
  as = get (expected_url);
  g_assert_cmpuint (as->status, ==, 200);
  g_assert_cmpstr (json_string (as, "issuer"), ==, issuer);
  g_assert_true (g_str_has_prefix (json_string (as, "authorization_endpoint"), issuer));
  /* The RFC 8414 location for that issuer is not served. */
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH)), ==, 404);
  g_assert_cmpuint (status_of (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_ROOT)), ==, 404);

  /* A broken server: what is not served answers as told. */
  options.prm_missing_status = 500;
  options.as_metadata_missing_status = 503;
  mc_mock_oauth_reconfigure (mock, &options);
  g_assert_cmpuint (status_of (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_ROOT)), ==, 500);
  g_assert_cmpuint (status_of (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED)), ==, 500);
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH)), ==, 503);
  g_assert_cmpuint (status_of (expected_url), ==, 200);
  g_clear_pointer (&mock, mc_mock_oauth_free);

  /* With the authorization server on an origin of its own, LEGACY is
   * still on the resource's. */
  mc_mock_oauth_options_init (&options);
  options.separate_as_origin = TRUE;
  options.as_metadata = MC_MOCK_OAUTH_AS_METADATA_LEGACY;
  mock = mc_mock_oauth_new (&options);
  g_assert_true (g_str_has_prefix (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_LEGACY),
                                   mc_mock_oauth_get_origin (mock)));
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_LEGACY)), ==, 200);
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH)), ==, 404);
}

static void
test_discovery_knobs (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(Response) as = NULL;
  g_autoptr(Response) prm = NULL;
  g_autoptr(Response) reg = NULL;
  g_autofree char *joined = NULL;
  const char *as_url;

  mc_mock_oauth_options_init (&options);
  mock = mc_mock_oauth_new (&options);
  as_url = mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH);

  options.issuer_override = "https://elsewhere.example";
  options.code_challenge_methods = NULL;
  options.registration_endpoint = FALSE;
  options.revocation_endpoint = FALSE;
  options.client_id_metadata_document_supported = TRUE;
  options.iss_parameter_supported = FALSE;
  options.token_endpoint_auth_methods = (const char * const[]) { "client_secret_post", NULL };
  options.as_scopes_supported = (const char * const[]) { "mcp:basic", "offline_access", NULL };
  options.prm_resource = "http://127.0.0.1:1/other";
  options.prm_authorization_servers = (const char * const[]) { "https://a.example", "https://b.example", NULL };
  mc_mock_oauth_reconfigure (mock, &options);

  as = get (as_url);
  g_assert_cmpuint (as->status, ==, 200);
  g_assert_cmpstr (json_string (as, "issuer"), ==, "https://elsewhere.example");
  g_assert_false (json_object_has_member (as->json, "code_challenge_methods_supported"));
  g_assert_false (json_object_has_member (as->json, "registration_endpoint"));
  g_assert_false (json_object_has_member (as->json, "revocation_endpoint"));
  g_assert_false (json_object_has_member (as->json, "authorization_response_iss_parameter_supported"));
  g_assert_true (json_object_get_boolean_member (as->json, "client_id_metadata_document_supported"));
  joined = json_strv_joined (as, "token_endpoint_auth_methods_supported");
  g_assert_cmpstr (joined, ==, "client_secret_post");
  g_clear_pointer (&joined, g_free);
  joined = json_strv_joined (as, "scopes_supported");
  g_assert_cmpstr (joined, ==, "mcp:basic offline_access");
  g_clear_pointer (&joined, g_free);

  prm = get (mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED));
  g_assert_cmpstr (json_string (prm, "resource"), ==, "http://127.0.0.1:1/other");
  joined = json_strv_joined (prm, "authorization_servers");
  g_assert_cmpstr (joined, ==, "https://a.example https://b.example");

  /* Endpoints not advertised are not served either. */
  reg = request ("POST", mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_REGISTER),
                 "application/json", "{\"redirect_uris\": [\"" REDIRECT_URI "\"]}", NULL);
  g_assert_cmpuint (reg->status, ==, 404);
  g_assert_null (mc_mock_oauth_dup_last_registered_client (mock));

  options.code_challenge_methods = (const char * const[]) { "plain", NULL };
  mc_mock_oauth_reconfigure (mock, &options);
  g_clear_pointer (&as, response_free);
  as = get (as_url);
  g_clear_pointer (&joined, g_free);
  joined = json_strv_joined (as, "code_challenge_methods_supported");
  g_assert_cmpstr (joined, ==, "plain");
}

static void
test_happy_path (void)
{
  g_autoptr(McMockOAuth) mock = mc_mock_oauth_new (NULL);
  const char *registration =
    "{\"redirect_uris\": [\"" REDIRECT_URI "\"], \"token_endpoint_auth_method\": \"none\","
    " \"application_type\": \"native\", \"grant_types\": [\"authorization_code\", \"refresh_token\"],"
    " \"client_name\": \"MCP Consent Broker\"}";
  g_autoptr(Response) reg = NULL;
  g_autoptr(Response) tokens = NULL;
  g_autoptr(Response) again = NULL;
  g_autoptr(Response) resource = NULL;
  g_autoptr(GPtrArray) registrations = NULL;
  g_autoptr(GPtrArray) token_requests = NULL;
  g_autoptr(GHashTable) authorize_params = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *verifier = new_verifier ();
  g_autofree char *url = NULL;
  g_autofree char *location = NULL;
  g_autofree char *last_access = NULL;
  g_autofree char *last_refresh = NULL;
  g_autofree char *joined = NULL;
  g_auto(GStrv) valid = NULL;
  const char *code;
  /* The loopback redirect URI on another port than registered. */
  const char *redirect_uri = "http://127.0.0.1:5555/callback";

  reg = request ("POST", mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_REGISTER),
                 "application/json", registration, NULL);
  g_assert_cmpuint (reg->status, ==, 201);
  client_id = g_strdup (json_string (reg, "client_id"));
  g_assert_nonnull (client_id);
  g_assert_null (json_string (reg, "client_secret"));
  g_assert_cmpstr (json_string (reg, "token_endpoint_auth_method"), ==, "none");
  g_assert_cmpstr (json_string (reg, "application_type"), ==, "native");
  g_assert_cmpstr (json_string (reg, "client_name"), ==, "MCP Consent Broker");
  joined = json_strv_joined (reg, "redirect_uris");
  g_assert_cmpstr (joined, ==, REDIRECT_URI);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 1);
  registrations = mc_mock_oauth_dup_requests (mock, MC_MOCK_OAUTH_ENDPOINT_REGISTER);
  g_assert_cmpuint (registrations->len, ==, 1);
  g_assert_cmpstr (((McMockOAuthRequest *) registrations->pdata[0])->body, ==, registration);
  last_access = mc_mock_oauth_dup_last_registered_client (mock);
  g_assert_cmpstr (last_access, ==, client_id);
  g_clear_pointer (&last_access, g_free);

  url = authorization_url (mock, client_id, redirect_uri, verifier, "mcp:basic", "the-state");
  location = mc_mock_oauth_authorize_in_browser (mock, url, &error);
  g_assert_no_error (error);
  g_test_message ("Location: %s", location);
  params = redirect_params (location, redirect_uri);
  g_assert_cmpstr (g_hash_table_lookup (params, "state"), ==, "the-state");
  g_assert_cmpstr (g_hash_table_lookup (params, "iss"), ==, mc_mock_oauth_get_issuer (mock));
  code = g_hash_table_lookup (params, "code");
  g_assert_nonnull (code);
  g_assert_null (g_hash_table_lookup (params, "error"));

  authorize_params = mc_mock_oauth_dup_last_params (mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE);
  g_assert_cmpstr (g_hash_table_lookup (authorize_params, "scope"), ==, "mcp:basic");
  g_assert_cmpstr (g_hash_table_lookup (authorize_params, "client_id"), ==, client_id);
  g_assert_cmpstr (g_hash_table_lookup (authorize_params, "resource"), ==, mc_mock_oauth_get_resource_url (mock));
  g_assert_null (mc_mock_oauth_dup_last_authorize_error (mock));

  tokens = exchange (mock, client_id, code, redirect_uri, verifier);
  g_test_message ("%s", tokens->body);
  g_assert_cmpuint (tokens->status, ==, 200);
  g_assert_cmpstr (json_string (tokens, "token_type"), ==, "Bearer");
  g_assert_cmpint (json_object_get_int_member (tokens->json, "expires_in"), ==, 3600);
  g_assert_cmpstr (json_string (tokens, "scope"), ==, "mcp:basic");
  g_assert_cmpstr (soup_message_headers_get_one (tokens->headers, "Cache-Control"), ==, "no-store");
  last_access = mc_mock_oauth_dup_last_access_token (mock);
  last_refresh = mc_mock_oauth_dup_last_refresh_token (mock);
  g_assert_cmpstr (json_string (tokens, "access_token"), ==, last_access);
  g_assert_cmpstr (json_string (tokens, "refresh_token"), ==, last_refresh);
  g_assert_cmpstr (last_access, !=, last_refresh);
  valid = mc_mock_oauth_dup_valid_access_tokens (mock);
  g_assert_cmpuint (g_strv_length (valid), ==, 1);
  g_assert_cmpstr (valid[0], ==, last_access);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 1);

  token_requests = mc_mock_oauth_dup_requests (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_cmpuint (token_requests->len, ==, 1);
  g_assert_cmpstr (((McMockOAuthRequest *) token_requests->pdata[0])->client_auth, ==, "none");
  g_assert_cmpstr (g_hash_table_lookup (((McMockOAuthRequest *) token_requests->pdata[0])->params, "resource"),
                   ==, mc_mock_oauth_get_resource_url (mock));

  resource = get_with_token (mc_mock_oauth_get_resource_url (mock), last_access);
  g_assert_cmpuint (resource->status, ==, 200);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_RESOURCE_OK), ==, 1);

  /* Codes are good once. */
  again = exchange (mock, client_id, code, redirect_uri, verifier);
  assert_oauth_error (again, 400, "invalid_grant");
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 2);
}

static void
test_random_values (void)
{
  g_autoptr(McMockOAuth) first = new_mock_with_client (NULL);
  g_autoptr(McMockOAuth) second = new_mock_with_client (NULL);
  g_autoptr(Response) a = authorize_and_exchange (first, NULL);
  g_autoptr(Response) b = authorize_and_exchange (second, NULL);
  g_autoptr(Response) c = authorize_and_exchange (first, NULL);
  g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *verifier = new_verifier ();

  g_assert_cmpstr (mc_mock_oauth_get_origin (first), !=, mc_mock_oauth_get_origin (second));
  g_assert_cmpstr (json_string (a, "access_token"), !=, json_string (b, "access_token"));
  g_assert_cmpstr (json_string (a, "access_token"), !=, json_string (c, "access_token"));
  g_assert_cmpstr (json_string (a, "refresh_token"), !=, json_string (c, "refresh_token"));
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (codes, get_code (first, "public", REDIRECT_URI, verifier, NULL));
  g_assert_cmpstr (codes->pdata[0], !=, codes->pdata[1]);
}

static void
test_code_exchange_refusals (void)
{
  g_autoptr(McMockOAuth) mock = new_mock_with_client (NULL);
  g_autofree char *verifier = new_verifier ();
  g_autofree char *other_verifier = new_verifier ();
  g_autofree char *code = get_code (mock, "public", REDIRECT_URI, verifier, NULL);
  g_autofree char *plain_url = NULL;
  g_autoptr(Response) wrong = NULL;
  g_autoptr(Response) missing = NULL;
  g_autoptr(Response) other_resource = NULL;
  g_autoptr(Response) no_resource = NULL;
  g_autoptr(Response) other_redirect = NULL;
  g_autoptr(Response) other_client = NULL;
  g_autoptr(Response) right = NULL;
  const char *token_url = mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) valid = NULL;
  char *location;

  wrong = exchange (mock, "public", code, REDIRECT_URI, other_verifier);
  assert_oauth_error (wrong, 400, "invalid_grant");
  missing = exchange (mock, "public", code, REDIRECT_URI, NULL);
  assert_oauth_error (missing, 400, "invalid_grant");

  /* RFC 8707: the resource of the token request is the authorization
   * request's. */
  other_resource = post_form (token_url, NULL,
                              "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                              "code_verifier", verifier, "client_id", "public",
                              "resource", "http://127.0.0.1:1/mcp", NULL);
  assert_oauth_error (other_resource, 400, "invalid_target");
  no_resource = post_form (token_url, NULL,
                           "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                           "code_verifier", verifier, "client_id", "public", NULL);
  assert_oauth_error (no_resource, 400, "invalid_target");
  /* RFC 6749 §4.1.3: so is the redirect URI. */
  other_redirect = exchange (mock, "public", code, "http://127.0.0.1:4001/callback", verifier);
  assert_oauth_error (other_redirect, 400, "invalid_grant");
  mc_mock_oauth_add_client (mock, "other", NULL, "none", REDIRECT_URI);
  other_client = exchange (mock, "other", code, REDIRECT_URI, verifier);
  assert_oauth_error (other_client, 400, "invalid_grant");
  valid = mc_mock_oauth_dup_valid_access_tokens (mock);
  g_assert_cmpuint (g_strv_length (valid), ==, 0);
  g_assert_null (mc_mock_oauth_dup_last_access_token (mock));

  /* A failed attempt does not spend the code. */
  right = exchange (mock, "public", code, REDIRECT_URI, verifier);
  g_assert_cmpuint (right->status, ==, 200);

  /* "plain" only where the metadata lists it. */
  plain_url = authorization_url_with_method (mock, "public", REDIRECT_URI, verifier, "plain", NULL, "s");
  location = mc_mock_oauth_authorize_in_browser (mock, plain_url, &error);
  g_assert_null (location);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  assert_authorize_error_mentions (mock, "code_challenge_method");
}

static void
test_refresh_rotation (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(Response) tokens = NULL;
  g_autoptr(Response) first = NULL;
  g_autoptr(Response) reused = NULL;
  g_autoptr(Response) second = NULL;
  g_autoptr(Response) no_resource = NULL;
  g_autoptr(Response) wider = NULL;
  g_autoptr(Response) kept = NULL;
  g_autoptr(Response) kept_again = NULL;
  const char *old_refresh;
  const char *new_refresh;

  mc_mock_oauth_options_init (&options);
  mock = new_mock_with_client (&options);
  tokens = authorize_and_exchange (mock, "mcp:basic");
  old_refresh = json_string (tokens, "refresh_token");

  first = refresh (mock, "public", old_refresh);
  g_assert_cmpuint (first->status, ==, 200);
  new_refresh = json_string (first, "refresh_token");
  g_assert_nonnull (new_refresh);
  g_assert_cmpstr (new_refresh, !=, old_refresh);
  g_assert_cmpstr (json_string (first, "access_token"), !=, json_string (tokens, "access_token"));
  g_assert_cmpstr (json_string (first, "scope"), ==, "mcp:basic");
  /* A new access token does not end the old one; expiry does. */
  g_assert_true (mc_mock_oauth_is_access_token_valid (mock, json_string (first, "access_token")));

  reused = refresh (mock, "public", old_refresh);
  assert_oauth_error (reused, 400, "invalid_grant");
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_REFRESH_REUSED), ==, 1);

  no_resource = post_form (mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN), NULL,
                           "grant_type", "refresh_token",
                           "refresh_token", new_refresh,
                           "client_id", "public",
                           NULL);
  assert_oauth_error (no_resource, 400, "invalid_target");
  wider = post_form (mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN), NULL,
                     "grant_type", "refresh_token",
                     "refresh_token", new_refresh,
                     "client_id", "public",
                     "resource", mc_mock_oauth_get_resource_url (mock),
                     "scope", "mcp:basic mcp:admin",
                     NULL);
  assert_oauth_error (wider, 400, "invalid_scope");

  second = refresh (mock, "public", new_refresh);
  g_assert_cmpuint (second->status, ==, 200);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH), ==, 5);

  /* Without rotation the response has no refresh token, and the one the
   * client has goes on working. */
  options.rotate_refresh_tokens = FALSE;
  mc_mock_oauth_reconfigure (mock, &options);
  kept = refresh (mock, "public", json_string (second, "refresh_token"));
  g_assert_cmpuint (kept->status, ==, 200);
  g_assert_false (json_object_has_member (kept->json, "refresh_token"));
  kept_again = refresh (mock, "public", json_string (second, "refresh_token"));
  g_assert_cmpuint (kept_again->status, ==, 200);
}

static void
test_revocation (void)
{
  g_autoptr(McMockOAuth) mock = new_mock_with_client (NULL);
  g_autoptr(Response) tokens = authorize_and_exchange (mock, NULL);
  const char *revoke_url = mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_REVOKE);
  const char *access_token = json_string (tokens, "access_token");
  const char *refresh_token = json_string (tokens, "refresh_token");
  g_autoptr(Response) revoke_access = NULL;
  g_autoptr(Response) revoke_refresh = NULL;
  g_autoptr(Response) revoke_unknown = NULL;
  g_autoptr(Response) resource = NULL;
  g_autoptr(Response) refreshed = NULL;
  g_autoptr(GPtrArray) revocations = NULL;
  McMockOAuthRequest *first;

  g_assert_true (mc_mock_oauth_is_access_token_valid (mock, access_token));
  revoke_access = post_form (revoke_url, NULL,
                             "token", access_token,
                             "token_type_hint", "access_token",
                             "client_id", "public",
                             NULL);
  g_assert_cmpuint (revoke_access->status, ==, 200);
  g_assert_false (mc_mock_oauth_is_access_token_valid (mock, access_token));
  resource = get_with_token (mc_mock_oauth_get_resource_url (mock), access_token);
  g_assert_cmpuint (resource->status, ==, 401);
  g_assert_nonnull (strstr (soup_message_headers_get_one (resource->headers, "WWW-Authenticate"),
                            "error=\"invalid_token\""));

  revoke_refresh = post_form (revoke_url, NULL,
                              "token", refresh_token,
                              "token_type_hint", "refresh_token",
                              "client_id", "public",
                              NULL);
  g_assert_cmpuint (revoke_refresh->status, ==, 200);
  refreshed = refresh (mock, "public", refresh_token);
  assert_oauth_error (refreshed, 400, "invalid_grant");
  /* Revoked, not rotated. */
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_REFRESH_REUSED), ==, 0);

  /* RFC 7009 §2.2: unknown tokens are no error. */
  revoke_unknown = post_form (revoke_url, NULL, "token", "nonsense", "client_id", "public", NULL);
  g_assert_cmpuint (revoke_unknown->status, ==, 200);

  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_REVOCATION), ==, 3);
  revocations = mc_mock_oauth_dup_requests (mock, MC_MOCK_OAUTH_ENDPOINT_REVOKE);
  g_assert_cmpuint (revocations->len, ==, 3);
  first = revocations->pdata[0];
  g_assert_cmpstr (g_hash_table_lookup (first->params, "token"), ==, access_token);
  g_assert_cmpstr (g_hash_table_lookup (first->params, "token_type_hint"), ==, "access_token");
  g_assert_cmpstr (g_hash_table_lookup (((McMockOAuthRequest *) revocations->pdata[1])->params, "token"), ==,
                   refresh_token);
}

static void
test_resource (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(Response) tokens = NULL;
  g_autoptr(Response) garbage = NULL;
  g_autoptr(Response) forbidden = NULL;
  g_autoptr(Response) allowed = NULL;
  g_autoptr(Response) expired = NULL;
  g_autoptr(Response) wider = NULL;
  g_autofree char *expected = NULL;
  const char *resource_url;

  mc_mock_oauth_options_init (&options);
  mock = new_mock_with_client (&options);
  resource_url = mc_mock_oauth_get_resource_url (mock);
  tokens = authorize_and_exchange (mock, "mcp:basic");

  garbage = get_with_token (resource_url, "not-a-token");
  g_assert_cmpuint (garbage->status, ==, 401);
  g_assert_nonnull (strstr (soup_message_headers_get_one (garbage->headers, "WWW-Authenticate"),
                            "error=\"invalid_token\""));

  /* Step-up: a valid token without the scope gets 403 naming it. */
  mc_mock_oauth_set_required_scope (mock, "mcp:write");
  forbidden = get_with_token (resource_url, json_string (tokens, "access_token"));
  g_assert_cmpuint (forbidden->status, ==, 403);
  expected = g_strdup_printf ("Bearer resource_metadata=\"%s\", scope=\"mcp:write\", error=\"insufficient_scope\"",
                              mc_mock_oauth_get_prm_url (mock, MC_MOCK_OAUTH_PRM_PATH_INSERTED));
  g_assert_cmpstr (soup_message_headers_get_one (forbidden->headers, "WWW-Authenticate"), ==, expected);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_RESOURCE_FORBIDDEN), ==, 1);

  wider = authorize_and_exchange (mock, "mcp:basic mcp:write");
  allowed = get_with_token (resource_url, json_string (wider, "access_token"));
  g_assert_cmpuint (allowed->status, ==, 200);
  g_assert_cmpstr (json_string (allowed, "scope"), ==, "mcp:basic mcp:write");

  mc_mock_oauth_expire_access_tokens (mock);
  expired = get_with_token (resource_url, json_string (wider, "access_token"));
  g_assert_cmpuint (expired->status, ==, 401);
  g_assert_false (mc_mock_oauth_is_access_token_valid (mock, json_string (wider, "access_token")));

  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_RESOURCE_OK), ==, 1);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_RESOURCE_UNAUTHORIZED), ==, 2);
}

static void
test_client_auth (void)
{
  g_autoptr(McMockOAuth) mock = mc_mock_oauth_new (NULL);
  /* Characters that RFC 6749 §2.3.1's form-encoding must carry. */
  const char *basic_id = "basic client:1";
  const char *basic_secret = "s3cr:t+/ %&=";
  g_autofree char *verifier = new_verifier ();
  g_autofree char *code = NULL;
  g_autofree char *header = basic_header (basic_id, basic_secret);
  g_autofree char *wrong_header = basic_header (basic_id, "wrong");
  g_autofree char *post_header = basic_header ("post", "post-secret");
  g_autoptr(Response) ok = NULL;
  g_autoptr(Response) wrong = NULL;
  g_autoptr(Response) in_body = NULL;
  g_autoptr(Response) post_ok = NULL;
  g_autoptr(Response) post_as_basic = NULL;
  g_autoptr(Response) post_missing = NULL;
  g_autoptr(GPtrArray) token_requests = NULL;
  const char *token_url;

  mc_mock_oauth_add_client (mock, basic_id, basic_secret, "client_secret_basic", REDIRECT_URI);
  mc_mock_oauth_add_client (mock, "post", "post-secret", "client_secret_post", REDIRECT_URI);
  token_url = mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);

  code = get_code (mock, basic_id, REDIRECT_URI, verifier, NULL);
  wrong = post_form (token_url, wrong_header,
                     "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                     "code_verifier", verifier, "resource", mc_mock_oauth_get_resource_url (mock), NULL);
  assert_oauth_error (wrong, 401, "invalid_client");
  g_assert_nonnull (soup_message_headers_get_one (wrong->headers, "WWW-Authenticate"));
  /* The secret in the body is not how this client authenticates. */
  in_body = post_form (token_url, NULL,
                       "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                       "code_verifier", verifier, "resource", mc_mock_oauth_get_resource_url (mock),
                       "client_id", basic_id, "client_secret", basic_secret, NULL);
  assert_oauth_error (in_body, 401, "invalid_client");
  ok = post_form (token_url, header,
                  "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                  "code_verifier", verifier, "resource", mc_mock_oauth_get_resource_url (mock), NULL);
  g_assert_cmpuint (ok->status, ==, 200);

  g_clear_pointer (&code, g_free);
  code = get_code (mock, "post", REDIRECT_URI, verifier, NULL);
  post_missing = post_form (token_url, NULL,
                            "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                            "code_verifier", verifier, "resource", mc_mock_oauth_get_resource_url (mock),
                            "client_id", "post", NULL);
  assert_oauth_error (post_missing, 401, "invalid_client");
  post_as_basic = post_form (token_url, post_header,
                             "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                             "code_verifier", verifier, "resource", mc_mock_oauth_get_resource_url (mock),
                             NULL);
  assert_oauth_error (post_as_basic, 401, "invalid_client");
  post_ok = post_form (token_url, NULL,
                       "grant_type", "authorization_code", "code", code, "redirect_uri", REDIRECT_URI,
                       "code_verifier", verifier, "resource", mc_mock_oauth_get_resource_url (mock),
                       "client_id", "post", "client_secret", "post-secret", NULL);
  g_assert_cmpuint (post_ok->status, ==, 200);

  token_requests = mc_mock_oauth_dup_requests (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN);
  g_assert_cmpuint (token_requests->len, ==, 6);
  g_assert_cmpstr (((McMockOAuthRequest *) token_requests->pdata[0])->client_auth, ==, "client_secret_basic");
  g_assert_cmpstr (((McMockOAuthRequest *) token_requests->pdata[1])->client_auth, ==, "client_secret_post");
  g_assert_cmpstr (((McMockOAuthRequest *) token_requests->pdata[2])->client_auth, ==, "client_secret_basic");
  g_assert_cmpstr (((McMockOAuthRequest *) token_requests->pdata[3])->client_auth, ==, "none");
  g_assert_cmpstr (((McMockOAuthRequest *) token_requests->pdata[5])->client_auth, ==, "client_secret_post");
}

static void
test_dynamic_registration (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(Response) confidential = NULL;
  g_autoptr(Response) substituted = NULL;
  g_autoptr(Response) no_uris = NULL;
  g_autoptr(Response) bad_uri = NULL;
  g_autoptr(Response) not_json = NULL;
  g_autoptr(Response) wrong_type = NULL;
  const char *register_url;

  mc_mock_oauth_options_init (&options);
  options.token_endpoint_auth_methods = (const char * const[]) { "client_secret_post", "client_secret_basic", NULL };
  mock = mc_mock_oauth_new (&options);
  register_url = mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_REGISTER);

  confidential = request ("POST", register_url, "application/json",
                          "{\"redirect_uris\": [\"" REDIRECT_URI "\"],"
                          " \"token_endpoint_auth_method\": \"client_secret_basic\"}", NULL);
  g_assert_cmpuint (confidential->status, ==, 201);
  g_assert_cmpstr (json_string (confidential, "token_endpoint_auth_method"), ==, "client_secret_basic");
  g_assert_nonnull (json_string (confidential, "client_secret"));

  /* RFC 7591 §2: a method the server does not do gets one it does. */
  substituted = request ("POST", register_url, "application/json",
                         "{\"redirect_uris\": [\"" REDIRECT_URI "\"], \"token_endpoint_auth_method\": \"none\"}",
                         NULL);
  g_assert_cmpuint (substituted->status, ==, 201);
  g_assert_cmpstr (json_string (substituted, "token_endpoint_auth_method"), ==, "client_secret_post");
  g_assert_nonnull (json_string (substituted, "client_secret"));
  g_assert_cmpstr (json_string (confidential, "client_id"), !=, json_string (substituted, "client_id"));

  no_uris = request ("POST", register_url, "application/json", "{\"client_name\": \"x\"}", NULL);
  assert_oauth_error (no_uris, 400, "invalid_redirect_uri");
  bad_uri = request ("POST", register_url, "application/json",
                     "{\"redirect_uris\": [\"http://evil.example/callback\"]}", NULL);
  assert_oauth_error (bad_uri, 400, "invalid_redirect_uri");
  not_json = request ("POST", register_url, "application/json", "{\"redirect_uris\": [", NULL);
  assert_oauth_error (not_json, 400, "invalid_client_metadata");
  wrong_type = request ("POST", register_url, "application/json",
                        "{\"redirect_uris\": [\"" REDIRECT_URI "\"], \"token_endpoint_auth_method\": 5}", NULL);
  assert_oauth_error (wrong_type, 400, "invalid_client_metadata");

  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 6);
}

static guint
authorize_status (McMockOAuth *mock,
                  const char  *client_id,
                  const char  *redirect_uri)
{
  g_autofree char *verifier = new_verifier ();
  g_autofree char *url = authorization_url (mock, client_id, redirect_uri, verifier, NULL, "s");
  g_autoptr(Response) response = get (url);

  return response->status;
}

static void
test_redirect_match (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  const char *registered = "http://127.0.0.1:1234/callback";

  mc_mock_oauth_options_init (&options);
  mock = mc_mock_oauth_new (&options);
  mc_mock_oauth_add_client (mock, "fixed", NULL, "none", registered);

  g_assert_cmpuint (authorize_status (mock, "fixed", registered), ==, 302);
  g_assert_cmpuint (authorize_status (mock, "fixed", "http://127.0.0.1:5555/callback"), ==, 302);
  g_assert_cmpuint (authorize_status (mock, "fixed", "http://127.0.0.1:5555/other"), ==, 400);
  g_assert_cmpuint (authorize_status (mock, "fixed", "http://localhost:5555/callback"), ==, 400);
  g_assert_cmpuint (authorize_status (mock, "fixed", "https://127.0.0.1:5555/callback"), ==, 400);
  g_assert_cmpuint (authorize_status (mock, "fixed", "http://127.0.0.1:5555/callback?x=1"), ==, 400);
  g_assert_cmpuint (authorize_status (mock, "unknown", registered), ==, 400);

  options.redirect_match = MC_MOCK_OAUTH_REDIRECT_EXACT;
  mc_mock_oauth_reconfigure (mock, &options);
  g_assert_cmpuint (authorize_status (mock, "fixed", registered), ==, 302);
  g_assert_cmpuint (authorize_status (mock, "fixed", "http://127.0.0.1:5555/callback"), ==, 400);
  assert_authorize_error_mentions (mock, "redirect_uri");
}

static GHashTable *
authorize_redirect (McMockOAuth *mock)
{
  g_autofree char *verifier = new_verifier ();
  g_autofree char *url = authorization_url (mock, "public", REDIRECT_URI, verifier, NULL, "st");
  g_autofree char *location = NULL;
  g_autoptr(GError) error = NULL;

  location = mc_mock_oauth_authorize_in_browser (mock, url, &error);
  g_assert_no_error (error);
  return redirect_params (location, REDIRECT_URI);
}

static void
test_authorize_modes (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(GHashTable) denied = NULL;
  g_autoptr(GHashTable) wrong = NULL;
  g_autoptr(GHashTable) omitted = NULL;
  g_autoptr(GHashTable) unadvertised = NULL;
  g_autoptr(GHashTable) always = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *verifier = new_verifier ();
  g_autofree char *url = NULL;
  g_autofree char *location = NULL;
  g_autofree char *bad_resource = NULL;

  mc_mock_oauth_options_init (&options);
  mock = new_mock_with_client (&options);

  mc_mock_oauth_set_authorize_mode (mock, MC_MOCK_OAUTH_AUTHORIZE_DENY);
  denied = authorize_redirect (mock);
  g_assert_cmpstr (g_hash_table_lookup (denied, "error"), ==, "access_denied");
  g_assert_nonnull (g_hash_table_lookup (denied, "error_description"));
  g_assert_cmpstr (g_hash_table_lookup (denied, "state"), ==, "st");
  g_assert_cmpstr (g_hash_table_lookup (denied, "iss"), ==, mc_mock_oauth_get_issuer (mock));
  g_assert_null (g_hash_table_lookup (denied, "code"));

  mc_mock_oauth_set_authorize_mode (mock, MC_MOCK_OAUTH_AUTHORIZE_APPROVE);
  mc_mock_oauth_set_iss (mock, MC_MOCK_OAUTH_ISS_WRONG);
  wrong = authorize_redirect (mock);
  g_assert_nonnull (g_hash_table_lookup (wrong, "code"));
  g_assert_nonnull (g_hash_table_lookup (wrong, "iss"));
  g_assert_cmpstr (g_hash_table_lookup (wrong, "iss"), !=, mc_mock_oauth_get_issuer (mock));

  mc_mock_oauth_set_iss (mock, MC_MOCK_OAUTH_ISS_OMIT);
  omitted = authorize_redirect (mock);
  g_assert_false (g_hash_table_contains (omitted, "iss"));

  options.iss_parameter_supported = FALSE;
  mc_mock_oauth_reconfigure (mock, &options);
  unadvertised = authorize_redirect (mock);
  g_assert_false (g_hash_table_contains (unadvertised, "iss"));
  mc_mock_oauth_set_iss (mock, MC_MOCK_OAUTH_ISS_ALWAYS);
  always = authorize_redirect (mock);
  g_assert_cmpstr (g_hash_table_lookup (always, "iss"), ==, mc_mock_oauth_get_issuer (mock));

  mc_mock_oauth_set_authorize_mode (mock, MC_MOCK_OAUTH_AUTHORIZE_ERROR_PAGE);
  url = authorization_url (mock, "public", REDIRECT_URI, verifier, NULL, "st");
  location = mc_mock_oauth_authorize_in_browser (mock, url, &error);
  g_assert_null (location);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "400"));
  mc_mock_oauth_set_authorize_mode (mock, MC_MOCK_OAUTH_AUTHORIZE_APPROVE);

  /* Invalid requests get a page, never a redirect. */
  g_clear_pointer (&url, g_free);
  url = g_strconcat (mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE),
                     "?response_type=code&client_id=public&redirect_uri=", REDIRECT_URI,
                     "&code_challenge=abc&code_challenge_method=S256&state=s", NULL);
  g_assert_cmpuint (status_of (url), ==, 400);
  assert_authorize_error_mentions (mock, "resource");
  bad_resource = g_strconcat (url, "&resource=http%3A%2F%2F127.0.0.1%3A1%2Fmcp", NULL);
  g_assert_cmpuint (status_of (bad_resource), ==, 400);
  g_clear_pointer (&url, g_free);
  url = g_strconcat (mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE),
                     "?response_type=code&client_id=public&redirect_uri=", REDIRECT_URI,
                     "&code_challenge=abc&code_challenge_method=S256&resource=",
                     mc_mock_oauth_get_resource_url (mock), NULL);
  g_assert_cmpuint (status_of (url), ==, 400);
  assert_authorize_error_mentions (mock, "state");

  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_AUTHORIZE), ==, 9);
}

static void
test_token_failures (void)
{
  g_autoptr(McMockOAuth) mock = new_mock_with_client (NULL);
  g_autofree char *verifier = new_verifier ();
  g_autofree char *code = get_code (mock, "public", REDIRECT_URI, verifier, NULL);
  g_autoptr(Response) server_error = NULL;
  g_autoptr(Response) malformed = NULL;
  g_autoptr(Response) bad_request = NULL;
  g_autoptr(Response) tokens = NULL;
  g_autoptr(Response) refused = NULL;
  g_autoptr(Response) after = NULL;

  mc_mock_oauth_set_token_failure (mock, MC_MOCK_OAUTH_TOKEN_HTTP_500);
  server_error = exchange (mock, "public", code, REDIRECT_URI, verifier);
  assert_oauth_error (server_error, 500, "server_error");

  mc_mock_oauth_set_token_failure (mock, MC_MOCK_OAUTH_TOKEN_MALFORMED_JSON);
  malformed = exchange (mock, "public", code, REDIRECT_URI, verifier);
  g_assert_cmpuint (malformed->status, ==, 200);
  g_assert_null (malformed->json);

  mc_mock_oauth_set_token_failure (mock, MC_MOCK_OAUTH_TOKEN_BAD_REQUEST);
  bad_request = exchange (mock, "public", code, REDIRECT_URI, verifier);
  assert_oauth_error (bad_request, 400, "invalid_request");

  /* Failures change nothing: the code is still good. */
  mc_mock_oauth_set_token_failure (mock, MC_MOCK_OAUTH_TOKEN_INVALID_GRANT_ON_REFRESH);
  tokens = exchange (mock, "public", code, REDIRECT_URI, verifier);
  g_assert_cmpuint (tokens->status, ==, 200);
  refused = refresh (mock, "public", json_string (tokens, "refresh_token"));
  assert_oauth_error (refused, 400, "invalid_grant");

  mc_mock_oauth_set_token_failure (mock, MC_MOCK_OAUTH_TOKEN_OK);
  after = refresh (mock, "public", json_string (tokens, "refresh_token"));
  g_assert_cmpuint (after->status, ==, 200);

  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE), ==, 4);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH), ==, 2);
}

static void
test_token_response_knobs (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(Response) short_lived = NULL;
  g_autoptr(Response) expired = NULL;
  g_autoptr(Response) forever = NULL;
  g_autoptr(Response) escalated = NULL;
  g_autoptr(Response) silent = NULL;
  g_autoptr(Response) refreshed = NULL;
  g_autoptr(Response) honest = NULL;
  g_autoptr(Response) late = NULL;
  g_autoptr(Response) resource = NULL;

  mc_mock_oauth_options_init (&options);
  options.expires_in = 30;
  mock = new_mock_with_client (&options);
  short_lived = authorize_and_exchange (mock, "mcp:basic");
  g_assert_cmpint (json_object_get_int_member (short_lived->json, "expires_in"), ==, 30);
  g_assert_true (mc_mock_oauth_is_access_token_valid (mock, json_string (short_lived, "access_token")));

  options.expires_in = 0;
  mc_mock_oauth_reconfigure (mock, &options);
  expired = authorize_and_exchange (mock, "mcp:basic");
  g_assert_cmpint (json_object_get_int_member (expired->json, "expires_in"), ==, 0);
  resource = get_with_token (mc_mock_oauth_get_resource_url (mock), json_string (expired, "access_token"));
  g_assert_cmpuint (resource->status, ==, 401);

  options.expires_in = -1;
  options.refresh_tokens = FALSE;
  mc_mock_oauth_reconfigure (mock, &options);
  forever = authorize_and_exchange (mock, "mcp:basic");
  g_assert_false (json_object_has_member (forever->json, "expires_in"));
  g_assert_false (json_object_has_member (forever->json, "refresh_token"));
  g_assert_true (mc_mock_oauth_is_access_token_valid (mock, json_string (forever, "access_token")));

  /* Scope escalation: granted beyond what was asked, and it sticks. */
  options.refresh_tokens = TRUE;
  options.extra_scope = "admin";
  mc_mock_oauth_reconfigure (mock, &options);
  escalated = authorize_and_exchange (mock, "mcp:basic");
  g_assert_cmpstr (json_string (escalated, "scope"), ==, "mcp:basic admin");
  refreshed = refresh (mock, "public", json_string (escalated, "refresh_token"));
  g_assert_cmpstr (json_string (refreshed, "scope"), ==, "mcp:basic admin");

  /* A grant made before the server escalated gets the extra scope when
   * it is refreshed. */
  options.extra_scope = NULL;
  mc_mock_oauth_reconfigure (mock, &options);
  honest = authorize_and_exchange (mock, "mcp:basic");
  g_assert_cmpstr (json_string (honest, "scope"), ==, "mcp:basic");
  options.extra_scope = "admin";
  mc_mock_oauth_reconfigure (mock, &options);
  late = refresh (mock, "public", json_string (honest, "refresh_token"));
  g_assert_cmpstr (json_string (late, "scope"), ==, "mcp:basic admin");

  options.extra_scope = NULL;
  options.omit_scope = TRUE;
  mc_mock_oauth_reconfigure (mock, &options);
  silent = authorize_and_exchange (mock, "mcp:basic");
  g_assert_cmpuint (silent->status, ==, 200);
  g_assert_false (json_object_has_member (silent->json, "scope"));
}

static void
test_metadata_document_client (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  const char *client_id = "https://app.example/oauth/client.json";
  g_autofree char *verifier = new_verifier ();
  g_autofree char *code = NULL;
  g_autoptr(Response) tokens = NULL;
  g_auto(GStrv) clients = NULL;

  mc_mock_oauth_options_init (&options);
  mock = mc_mock_oauth_new (&options);
  g_assert_cmpuint (authorize_status (mock, client_id, REDIRECT_URI), ==, 400);

  options.client_id_metadata_document_supported = TRUE;
  mc_mock_oauth_reconfigure (mock, &options);
  /* Not a document URL: https with a path is required. */
  g_assert_cmpuint (authorize_status (mock, "http://app.example/client.json", REDIRECT_URI), ==, 400);
  g_assert_cmpuint (authorize_status (mock, "https://app.example", REDIRECT_URI), ==, 400);

  code = get_code (mock, client_id, REDIRECT_URI, verifier, NULL);
  tokens = exchange (mock, client_id, code, REDIRECT_URI, verifier);
  g_assert_cmpuint (tokens->status, ==, 200);
  clients = mc_mock_oauth_dup_metadata_document_clients (mock);
  g_assert_cmpuint (g_strv_length (clients), ==, 1);
  g_assert_cmpstr (clients[0], ==, client_id);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_REGISTRATION), ==, 0);
}

static void
test_fetch_host_header (void)
{
  g_autoptr(McMockOAuth) mock = mc_mock_oauth_new (NULL);
  g_autoptr(GPtrArray) requests = NULL;
  g_autofree char *body = NULL;
  g_autofree char *expected_host = NULL;
  guint status;

  status = mc_mock_oauth_fetch (mc_mock_oauth_get_resource_url (mock), "evil.example:8080", &body);
  g_assert_cmpuint (status, ==, 401);
  g_assert_nonnull (strstr (body, "error"));
  status = mc_mock_oauth_fetch (mc_mock_oauth_get_resource_url (mock), NULL, NULL);
  g_assert_cmpuint (status, ==, 401);

  requests = mc_mock_oauth_dup_requests (mock, MC_MOCK_OAUTH_ENDPOINT_RESOURCE);
  g_assert_cmpuint (requests->len, ==, 2);
  g_assert_cmpstr (((McMockOAuthRequest *) requests->pdata[0])->host, ==, "evil.example:8080");
  expected_host = g_strdup (mc_mock_oauth_get_origin (mock) + strlen ("http://"));
  g_assert_cmpstr (((McMockOAuthRequest *) requests->pdata[1])->host, ==, expected_host);

  /* Nobody listens on port 1: no HTTP answer at all. */
  g_assert_cmpuint (mc_mock_oauth_fetch ("http://127.0.0.1:1/", NULL, NULL), ==, 0);
}

typedef struct
{
  guint done;
  guint ok;
} Pending;

static void
on_refresh_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source_object), result);

  body = soup_session_send_and_read_finish (SOUP_SESSION (source_object), result, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (message) == 200)
    pending->ok++;
  pending->done++;
}

typedef struct
{
  McMockOAuth *mock;
  guint        count;
} CountWait;

static gboolean
refreshes_arrived (gpointer user_data)
{
  CountWait *wait = user_data;

  return mc_mock_oauth_get_count (wait->mock, MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH) >= wait->count;
}

static gboolean
all_done (gpointer user_data)
{
  return ((Pending *) user_data)->done == 5;
}

static void
test_delay (void)
{
  McMockOAuthOptions options;
  g_autoptr(McMockOAuth) mock = NULL;
  g_autoptr(Response) tokens = NULL;
  g_autoptr(SoupSession) session = new_session (MC_TEST_TIMEOUT_SECONDS);
  g_autoptr(SoupSession) impatient = new_session (1);
  g_autoptr(SoupMessage) given_up = NULL;
  g_autoptr(GBytes) nothing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *form = NULL;
  Pending pending = { 0, 0 };
  CountWait wait;
  gint64 start;
  gint64 served_in;

  /* Without rotation every one of the piled-up refreshes succeeds. */
  mc_mock_oauth_options_init (&options);
  options.rotate_refresh_tokens = FALSE;
  mock = new_mock_with_client (&options);
  tokens = authorize_and_exchange (mock, NULL);
  form = soup_form_encode ("grant_type", "refresh_token",
                           "refresh_token", json_string (tokens, "refresh_token"),
                           "client_id", "public",
                           "resource", mc_mock_oauth_get_resource_url (mock),
                           NULL);

  mc_mock_oauth_set_token_delay (mock, 2000);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(SoupMessage) message = NULL;

      message = new_message ("POST", mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN),
                             "application/x-www-form-urlencoded", form, NULL);

      soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, on_refresh_done, &pending);
    }

  /* Counted on arrival, answered later. */
  wait.mock = mock;
  wait.count = 5;
  mc_test_wait_until (refreshes_arrived, &wait, "five refresh requests to arrive");
  g_assert_cmpuint (pending.done, ==, 0);

  /* The server thread keeps answering while it holds those. */
  served_in = g_get_monotonic_time ();
  g_assert_cmpuint (status_of (mc_mock_oauth_get_as_metadata_url (mock, MC_MOCK_OAUTH_AS_METADATA_OAUTH)), ==, 200);
  served_in = g_get_monotonic_time () - served_in;
  g_test_message ("metadata served in %" G_GINT64_FORMAT " µs while five answers were held", served_in);
  g_assert_cmpint (served_in, <, G_USEC_PER_SEC);
  g_assert_cmpuint (pending.done, ==, 0);

  mc_test_wait_until (all_done, &pending, "the held refresh answers");
  g_assert_cmpuint (pending.ok, ==, 5);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH), ==, 5);

  /* A client that does not wait that long times out; the mock is freed
   * with that answer still held. */
  mc_mock_oauth_set_token_delay (mock, 3000);
  given_up = new_message ("POST", mc_mock_oauth_get_endpoint_url (mock, MC_MOCK_OAUTH_ENDPOINT_TOKEN),
                          "application/x-www-form-urlencoded", form, NULL);
  start = g_get_monotonic_time ();
  nothing = soup_session_send_and_read (impatient, given_up, NULL, &error);
  g_assert_null (nothing);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_assert_cmpuint (mc_mock_oauth_get_count (mock, MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH), ==, 6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mock-oauth/pkce-helper", test_pkce_helper);
  g_test_add_func ("/mock-oauth/discovery/default", test_discovery_default);
  g_test_add_func ("/mock-oauth/discovery/issuer-path", test_discovery_issuer_path);
  g_test_add_func ("/mock-oauth/discovery/no-path-oidc", test_discovery_no_path_oidc);
  g_test_add_func ("/mock-oauth/discovery/prm-locations", test_discovery_prm_locations);
  g_test_add_func ("/mock-oauth/discovery/separate-as", test_discovery_separate_as);
  g_test_add_func ("/mock-oauth/discovery/knobs", test_discovery_knobs);
  g_test_add_func ("/mock-oauth/discovery/legacy", test_discovery_legacy);
  g_test_add_func ("/mock-oauth/happy-path", test_happy_path);
  g_test_add_func ("/mock-oauth/random-values", test_random_values);
  g_test_add_func ("/mock-oauth/code-exchange-refusals", test_code_exchange_refusals);
  g_test_add_func ("/mock-oauth/refresh-rotation", test_refresh_rotation);
  g_test_add_func ("/mock-oauth/revocation", test_revocation);
  g_test_add_func ("/mock-oauth/resource", test_resource);
  g_test_add_func ("/mock-oauth/client-auth", test_client_auth);
  g_test_add_func ("/mock-oauth/dynamic-registration", test_dynamic_registration);
  g_test_add_func ("/mock-oauth/redirect-match", test_redirect_match);
  g_test_add_func ("/mock-oauth/authorize-modes", test_authorize_modes);
  g_test_add_func ("/mock-oauth/token-failures", test_token_failures);
  g_test_add_func ("/mock-oauth/token-response-knobs", test_token_response_knobs);
  g_test_add_func ("/mock-oauth/metadata-document-client", test_metadata_document_client);
  g_test_add_func ("/mock-oauth/fetch-host-header", test_fetch_host_header);
  g_test_add_func ("/mock-oauth/delay", test_delay);

  return g_test_run ();
}
