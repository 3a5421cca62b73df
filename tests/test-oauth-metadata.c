/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-error.h"
#include "mc-oauth-metadata.h"

/* The documents below have the shapes real servers send (members, types,
 * nesting, trailing slashes), written for these tests. */

#define PRM_SOURCE "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
#define AS_SOURCE "https://auth.example.com/.well-known/oauth-authorization-server"
#define TOKEN_SOURCE "https://auth.example.com/oauth/token"
#define REGISTRATION_SOURCE "https://auth.example.com/register"

/* Secrets of the token and registration documents below: no error message
 * may hold them. */
#define SECRET_ACCESS "mcpAT.SECRET-4f1c9e7a2b"
#define SECRET_REFRESH "mcpRT.SECRET-0d8e6b3f51"
#define SECRET_CLIENT "mcpCS.SECRET-9a7c5e3b1d"

static const char *secrets[] = { SECRET_ACCESS, SECRET_REFRESH, SECRET_CLIENT, "SECRET" };

/* Metadata holds no secret, so its errors may quote what json-glib
 * quotes; the others' may not. */
static void
assert_remote_error_full (const GError *error,
                          const char   *source,
                          const char   *message_part,
                          gboolean      may_hold_secrets)
{
  g_assert_error (error, MC_ERROR, MC_ERROR_REMOTE);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (strstr (error->message, source) == NULL)
    g_error ("expected the source “%s” in “%s”", source, error->message);
  if (strstr (error->message, message_part) == NULL)
    g_error ("expected “%s” in “%s”", message_part, error->message);
  for (gsize i = 0; may_hold_secrets && i < G_N_ELEMENTS (secrets); i++)
    if (strstr (error->message, secrets[i]) != NULL)
      g_error ("a secret is in “%s”", error->message);
}

static void
assert_remote_error (const GError *error,
                     const char   *source,
                     const char   *message_part)
{
  assert_remote_error_full (error, source, message_part, TRUE);
}

/* The broken documents every reader must refuse alike. */
typedef struct
{
  const char *json;
  gssize      length;
  const char *message_part;
} Broken;

static const Broken broken_json[] = {
  { "", 0, "the document is empty" },
  { "  \n", -1, "the document is empty" },
  { "[]", -1, "the top level is not an object" },
  { "\"" SECRET_ACCESS "\"", -1, "not a JSON object" },
  { "null", -1, "not a JSON object" },
  { "{\"a\": 1", -1, "not a JSON object" },
  { "{\"a\": \"x\xff\"}", -1, "not a JSON object" },
  { "{\"a\": 1} /* comment */", -1, "not a JSON object" },
  { "{'a': 1}", -1, "not a JSON object" },
  { "{\"a\": \"\\udc00\"}", -1, "not a JSON object" },
  /* json-glib quotes the string it stopped at */
  { "{\"access_token\": \"" SECRET_ACCESS "\" \"x\"}", -1, "not a JSON object" },
  { "{\"client_secret\": \"" SECRET_CLIENT "\" x}", -1, "not a JSON object" },
  { "{\"\xff\": 1}", -1, "not a JSON object" },
  { "{\"a\": 1}\0{\"b\": 2}", 17, "not a JSON object" },
};

static char *
deep_nesting (guint depth)
{
  GString *json = g_string_new ("{\"a\": ");

  for (guint i = 0; i < depth; i++)
    g_string_append_c (json, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (json, ']');
  g_string_append_c (json, '}');
  return g_string_free (json, FALSE);
}

/* Parses with one reader, and says whether it accepted the document. */
typedef gboolean (*ParseFunc) (const char  *json,
                               gsize        length,
                               const char  *source,
                               GError     **error);

static gboolean
accepts_prm (const char  *json,
             gsize        length,
             const char  *source,
             GError     **error)
{
  g_autoptr(McProtectedResourceMetadata) result = mc_protected_resource_metadata_parse (json, length, source, error);

  return result != NULL;
}

static gboolean
accepts_as (const char  *json,
            gsize        length,
            const char  *source,
            GError     **error)
{
  g_autoptr(McAuthServerMetadata) result = mc_auth_server_metadata_parse (json, length, source, error);

  return result != NULL;
}

static gboolean
accepts_token (const char  *json,
               gsize        length,
               const char  *source,
               GError     **error)
{
  g_autoptr(McTokenResponse) result = mc_token_response_parse (json, length, source, error);

  return result != NULL;
}

static gboolean
accepts_registration (const char  *json,
                      gsize        length,
                      const char  *source,
                      GError     **error)
{
  g_autoptr(McClientRegistration) result = mc_client_registration_parse (json, length, source, error);

  return result != NULL;
}

static void
assert_refuses_broken_json (ParseFunc   parse,
                            const char *source,
                            gboolean    may_hold_secrets)
{
  g_autofree char *deep = deep_nesting (100000);

  for (gsize i = 0; i < G_N_ELEMENTS (broken_json); i++)
    {
      g_autoptr(GError) error = NULL;
      gsize length = broken_json[i].length >= 0 ? (gsize) broken_json[i].length : strlen (broken_json[i].json);

      g_test_message ("%s", broken_json[i].json);
      g_assert_false (parse (broken_json[i].json, length, source, &error));
      /* json-glib's details are left out where secrets could be. */
      assert_remote_error_full (error, source,
                                may_hold_secrets ? "that is not a JSON object" : broken_json[i].message_part,
                                may_hold_secrets);
      if (may_hold_secrets)
        g_assert_true (g_str_has_suffix (error->message, "that is not a JSON object"));
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_false (parse (deep, strlen (deep), source, &error));
    assert_remote_error_full (error, source, "not a JSON object", may_hold_secrets);
  }
}

/* Protected resource metadata ------------------------------------------ */

/* The shape of the MCP TypeScript SDK's example server. */
static const char prm_sdk_demo[] =
  "{\n"
  "  \"resource\": \"http://localhost:3000/mcp\",\n"
  "  \"authorization_servers\": [\"http://localhost:3001/\"],\n"
  "  \"scopes_supported\": [\"mcp:tools\"],\n"
  "  \"resource_name\": \"MCP Demo Server\",\n"
  "  \"resource_documentation\": \"https://docs.example.com/mcp\"\n"
  "}\n";

/* Every member of RFC 9728 §2, and more. */
static const char prm_full[] =
  "{\"resource\":\"https://mcp.example.com/mcp\","
  "\"authorization_servers\":[\"https://auth.example.com/tenant1\",\"https://login.example.org\"],"
  "\"jwks_uri\":\"https://mcp.example.com/jwks.json\","
  "\"scopes_supported\":[\"files:read\",\"files:write\",\"openid\"],"
  "\"bearer_methods_supported\":[\"header\"],"
  "\"resource_signing_alg_values_supported\":[\"RS256\",\"ES256\"],"
  "\"resource_name\":\"Files \\u2014 \\\"work\\\"\","
  "\"resource_documentation\":\"https://mcp.example.com/docs\","
  "\"resource_policy_uri\":\"https://mcp.example.com/policy\","
  "\"tls_client_certificate_bound_access_tokens\":false,"
  "\"authorization_details_types_supported\":[],"
  "\"dpop_bound_access_tokens_required\":false,"
  "\"x-vendor\":{\"nested\":[{\"deep\":[1,2,{\"x\":null}]}]}}";

static McProtectedResourceMetadata *
parse_prm (const char  *json,
           GError     **error)
{
  return mc_protected_resource_metadata_parse (json, strlen (json), PRM_SOURCE, error);
}

static void
test_prm_valid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McProtectedResourceMetadata) demo = parse_prm (prm_sdk_demo, &error);
  g_autoptr(McProtectedResourceMetadata) full = NULL;
  g_autoptr(McProtectedResourceMetadata) minimal = NULL;
  g_autoptr(McProtectedResourceMetadata) empty_scopes = NULL;
  g_autoptr(McProtectedResourceMetadata) null_scopes = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (demo->resource, ==, "http://localhost:3000/mcp");
  g_assert_true (g_strv_equal ((const char * const *) demo->authorization_servers,
                               (const char * const[]) { "http://localhost:3001/", NULL }));
  g_assert_true (g_strv_equal ((const char * const *) demo->scopes_supported,
                               (const char * const[]) { "mcp:tools", NULL }));
  g_assert_null (demo->bearer_methods_supported);
  g_assert_cmpstr (demo->resource_name, ==, "MCP Demo Server");

  full = parse_prm (prm_full, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (full->resource, ==, "https://mcp.example.com/mcp");
  g_assert_cmpuint (g_strv_length (full->authorization_servers), ==, 2);
  g_assert_cmpstr (full->authorization_servers[1], ==, "https://login.example.org");
  g_assert_cmpuint (g_strv_length (full->scopes_supported), ==, 3);
  g_assert_true (g_strv_equal ((const char * const *) full->bearer_methods_supported,
                               (const char * const[]) { "header", NULL }));
  g_assert_cmpstr (full->resource_name, ==, "Files \xe2\x80\x94 \"work\"");

  minimal = parse_prm ("{\"resource\":\"https://mcp.example.com\",\"authorization_servers\":[\"https://a.example\"]}",
                       &error);
  g_assert_no_error (error);
  g_assert_null (minimal->scopes_supported);
  g_assert_null (minimal->resource_name);

  /* MCP omits "scope" only when scopes_supported is absent: an empty list
   * is not the same. */
  empty_scopes = parse_prm ("{\"resource\":\"https://mcp.example.com\",\"authorization_servers\":[\"https://a.example\"],"
                            "\"scopes_supported\":[]}", &error);
  g_assert_no_error (error);
  g_assert_nonnull (empty_scopes->scopes_supported);
  g_assert_cmpuint (g_strv_length (empty_scopes->scopes_supported), ==, 0);

  null_scopes = parse_prm ("{\"resource\":\"https://mcp.example.com\",\"authorization_servers\":[\"https://a.example\"],"
                           "\"scopes_supported\":null,\"resource_name\":null}", &error);
  g_assert_no_error (error);
  g_assert_null (null_scopes->scopes_supported);
}

static void
test_prm_invalid (void)
{
  const struct {
    const char *json;
    const char *message_part;
  } cases[] = {
    { "{}", "whose “resource” is missing" },
    { "{\"authorization_servers\":[\"https://a.example\"]}", "whose “resource” is missing" },
    { "{\"resource\":null,\"authorization_servers\":[\"https://a.example\"]}", "whose “resource” is missing" },
    { "{\"resource\":42,\"authorization_servers\":[\"https://a.example\"]}", "whose “resource” is not a string" },
    { "{\"resource\":[\"https://m.example\"],\"authorization_servers\":[\"https://a.example\"]}",
      "whose “resource” is not a string" },
    { "{\"resource\":\"/mcp\",\"authorization_servers\":[\"https://a.example\"]}",
      "whose “resource” is not an absolute URL" },
    { "{\"resource\":\"https://m.example/mcp#x\",\"authorization_servers\":[\"https://a.example\"]}",
      "whose “resource” has a fragment" },
    { "{\"resource\":\"wss://m.example/mcp\",\"authorization_servers\":[\"https://a.example\"]}",
      "whose “resource” is not an http or https URL" },
    { "{\"resource\":\"https://m.example\"}", "whose “authorization_servers” is missing" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[]}", "whose “authorization_servers” is empty" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":\"https://a.example\"}",
      "whose “authorization_servers” is not a list" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":{\"a\":\"https://a.example\"}}",
      "whose “authorization_servers” is not a list" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example\",7]}",
      "in which an item of “authorization_servers” is not a string" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[[\"https://a.example\"]]}",
      "in which an item of “authorization_servers” is not a string" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example/?tenant=1\"]}",
      "in which an item of “authorization_servers” has a query" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"auth.example.com\"]}",
      "in which an item of “authorization_servers” is not an absolute URL" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://u:p@a.example\"]}",
      "in which an item of “authorization_servers” has user information" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example\"],"
      "\"scopes_supported\":\"a b\"}", "whose “scopes_supported” is not a list" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example\"],"
      "\"scopes_supported\":[\"a b\"]}", "in which an item of “scopes_supported” is not a valid scope" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example\"],"
      "\"scopes_supported\":[\"\"]}", "in which an item of “scopes_supported” is not a valid scope" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example\"],"
      "\"bearer_methods_supported\":[true]}", "in which an item of “bearer_methods_supported” is not a string" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example\"],"
      "\"resource_name\":{}}", "whose “resource_name” is not a string" },
    { "{\"resource\":\"https://m.example\",\"authorization_servers\":[\"https://a.example\"],"
      "\"resource_name\":\"\\udc00x\"}", "whose “resource_name” is not valid UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McProtectedResourceMetadata) metadata = parse_prm (cases[i].json, &error);

      g_test_message ("%s", cases[i].json);
      g_assert_null (metadata);
      assert_remote_error (error, PRM_SOURCE, cases[i].message_part);
      g_assert_true (g_str_has_prefix (error->message,
                                       "The server at " PRM_SOURCE " sent protected resource metadata "));
    }

  assert_refuses_broken_json (accepts_prm, PRM_SOURCE, FALSE);
}

/* Authorization server metadata ---------------------------------------- */

/* The shape of Google's OpenID configuration. */
static const char as_google[] =
  "{\n"
  " \"issuer\": \"https://accounts.google.com\",\n"
  " \"authorization_endpoint\": \"https://accounts.google.com/o/oauth2/v2/auth\",\n"
  " \"device_authorization_endpoint\": \"https://oauth2.googleapis.com/device/code\",\n"
  " \"token_endpoint\": \"https://oauth2.googleapis.com/token\",\n"
  " \"userinfo_endpoint\": \"https://openidconnect.googleapis.com/v1/userinfo\",\n"
  " \"revocation_endpoint\": \"https://oauth2.googleapis.com/revoke\",\n"
  " \"jwks_uri\": \"https://www.googleapis.com/oauth2/v3/certs\",\n"
  " \"response_types_supported\": [\"code\", \"token\", \"id_token\", \"code token\", \"code id_token\",\n"
  "  \"token id_token\", \"code token id_token\", \"none\"],\n"
  " \"subject_types_supported\": [\"public\"],\n"
  " \"id_token_signing_alg_values_supported\": [\"RS256\"],\n"
  " \"scopes_supported\": [\"openid\", \"email\", \"profile\"],\n"
  " \"token_endpoint_auth_methods_supported\": [\"client_secret_post\", \"client_secret_basic\"],\n"
  " \"claims_supported\": [\"aud\", \"email\", \"email_verified\", \"exp\", \"family_name\", \"given_name\",\n"
  "  \"iat\", \"iss\", \"name\", \"picture\", \"sub\"],\n"
  " \"code_challenge_methods_supported\": [\"plain\", \"S256\"],\n"
  " \"grant_types_supported\": [\"authorization_code\", \"refresh_token\",\n"
  "  \"urn:ietf:params:oauth:grant-type:device_code\", \"urn:ietf:params:oauth:grant-type:jwt-bearer\"]\n"
  "}\n";

/* The shape of a Keycloak realm's OpenID configuration: a path in the
 * issuer, nested objects, booleans, RFC 9207. */
static const char as_keycloak[] =
  "{\"issuer\":\"https://sso.example.org/realms/mcp\","
  "\"authorization_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/auth\","
  "\"token_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/token\","
  "\"introspection_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/token/introspect\","
  "\"userinfo_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/userinfo\","
  "\"end_session_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/logout\","
  "\"frontchannel_logout_session_supported\":true,\"frontchannel_logout_supported\":true,"
  "\"jwks_uri\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/certs\","
  "\"grant_types_supported\":[\"authorization_code\",\"implicit\",\"refresh_token\",\"password\","
  "\"client_credentials\",\"urn:openid:params:grant-type:ciba\","
  "\"urn:ietf:params:oauth:grant-type:device_code\"],"
  "\"acr_values_supported\":[\"0\",\"1\"],"
  "\"response_types_supported\":[\"code\",\"none\",\"id_token\",\"token\",\"id_token token\",\"code id_token\","
  "\"code token\",\"code id_token token\"],"
  "\"registration_endpoint\":\"https://sso.example.org/realms/mcp/clients-registrations/openid-connect\","
  "\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\",\"client_secret_basic\","
  "\"client_secret_post\",\"tls_client_auth\",\"client_secret_jwt\"],"
  "\"scopes_supported\":[\"openid\",\"offline_access\",\"profile\",\"email\",\"roles\",\"web-origins\","
  "\"acr\",\"basic\",\"mcp:tools\"],"
  "\"claims_parameter_supported\":true,\"request_parameter_supported\":true,"
  "\"code_challenge_methods_supported\":[\"plain\",\"S256\"],"
  "\"tls_client_certificate_bound_access_tokens\":true,"
  "\"revocation_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/revoke\","
  "\"backchannel_logout_supported\":true,"
  "\"authorization_response_iss_parameter_supported\":true,"
  "\"mtls_endpoint_aliases\":{\"token_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/token\","
  "\"revocation_endpoint\":\"https://sso.example.org/realms/mcp/protocol/openid-connect/revoke\"}}";

/* The shape of an Auth0 tenant's OpenID configuration: a trailing slash
 * in the issuer, "S256" first. */
static const char as_auth0[] =
  "{\"issuer\":\"https://example-tenant.us.auth0.com/\","
  "\"authorization_endpoint\":\"https://example-tenant.us.auth0.com/authorize\","
  "\"token_endpoint\":\"https://example-tenant.us.auth0.com/oauth/token\","
  "\"device_authorization_endpoint\":\"https://example-tenant.us.auth0.com/oauth/device/code\","
  "\"userinfo_endpoint\":\"https://example-tenant.us.auth0.com/userinfo\","
  "\"mfa_challenge_endpoint\":\"https://example-tenant.us.auth0.com/mfa/challenge\","
  "\"jwks_uri\":\"https://example-tenant.us.auth0.com/.well-known/jwks.json\","
  "\"registration_endpoint\":\"https://example-tenant.us.auth0.com/oidc/register\","
  "\"revocation_endpoint\":\"https://example-tenant.us.auth0.com/oauth/revoke\","
  "\"scopes_supported\":[\"openid\",\"profile\",\"offline_access\",\"name\",\"given_name\",\"email\"],"
  "\"response_types_supported\":[\"code\",\"token\",\"id_token\",\"code token\",\"code id_token\","
  "\"token id_token\",\"code token id_token\"],"
  "\"code_challenge_methods_supported\":[\"S256\",\"plain\"],"
  "\"response_modes_supported\":[\"query\",\"fragment\",\"form_post\"],"
  "\"subject_types_supported\":[\"public\"],"
  "\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\",\"client_secret_post\",\"private_key_jwt\"],"
  "\"claims_supported\":[\"aud\",\"auth_time\",\"created_at\",\"email\",\"email_verified\",\"exp\"],"
  "\"request_uri_parameter_supported\":false,\"request_parameter_supported\":false,"
  "\"id_token_signing_alg_values_supported\":[\"HS256\",\"RS256\",\"PS256\"],"
  "\"end_session_endpoint\":\"https://example-tenant.us.auth0.com/oidc/logout\"}";

/* The shape of the MCP TypeScript SDK's example authorization server,
 * plus a client ID metadata document flag. */
static const char as_sdk_demo[] =
  "{\"issuer\":\"http://localhost:3001/\","
  "\"authorization_endpoint\":\"http://localhost:3001/authorize\","
  "\"response_types_supported\":[\"code\"],"
  "\"code_challenge_methods_supported\":[\"S256\"],"
  "\"token_endpoint\":\"http://localhost:3001/token\","
  "\"token_endpoint_auth_methods_supported\":[\"client_secret_post\",\"none\"],"
  "\"grant_types_supported\":[\"authorization_code\",\"refresh_token\"],"
  "\"revocation_endpoint\":\"http://localhost:3001/revoke\","
  "\"revocation_endpoint_auth_methods_supported\":[\"client_secret_post\"],"
  "\"registration_endpoint\":\"http://localhost:3001/register\","
  "\"client_id_metadata_document_supported\":true}";

static McAuthServerMetadata *
parse_as (const char  *json,
          GError     **error)
{
  return mc_auth_server_metadata_parse (json, strlen (json), AS_SOURCE, error);
}

static void
test_as_valid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(McAuthServerMetadata) google = parse_as (as_google, &error);
  g_autoptr(McAuthServerMetadata) keycloak = NULL;
  g_autoptr(McAuthServerMetadata) auth0 = NULL;
  g_autoptr(McAuthServerMetadata) demo = NULL;
  g_autoptr(McAuthServerMetadata) minimal = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (google->issuer, ==, "https://accounts.google.com");
  g_assert_cmpstr (google->authorization_endpoint, ==, "https://accounts.google.com/o/oauth2/v2/auth");
  g_assert_cmpstr (google->token_endpoint, ==, "https://oauth2.googleapis.com/token");
  g_assert_null (google->registration_endpoint);
  g_assert_cmpstr (google->revocation_endpoint, ==, "https://oauth2.googleapis.com/revoke");
  g_assert_cmpuint (g_strv_length (google->scopes_supported), ==, 3);
  g_assert_cmpuint (g_strv_length (google->response_types_supported), ==, 8);
  g_assert_cmpuint (g_strv_length (google->grant_types_supported), ==, 4);
  g_assert_true (mc_auth_server_metadata_supports_s256 (google));
  g_assert_true (mc_auth_server_metadata_supports_auth_method (google, "client_secret_post"));
  g_assert_false (mc_auth_server_metadata_supports_auth_method (google, "none"));
  g_assert_false (google->client_id_metadata_document_supported);
  g_assert_false (google->authorization_response_iss_parameter_supported);

  keycloak = parse_as (as_keycloak, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (keycloak->issuer, ==, "https://sso.example.org/realms/mcp");
  g_assert_cmpstr (keycloak->registration_endpoint, ==,
                   "https://sso.example.org/realms/mcp/clients-registrations/openid-connect");
  g_assert_true (keycloak->authorization_response_iss_parameter_supported);
  g_assert_true (mc_auth_server_metadata_supports_s256 (keycloak));
  g_assert_true (mc_auth_server_metadata_supports_auth_method (keycloak, "private_key_jwt"));

  auth0 = parse_as (as_auth0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (auth0->issuer, ==, "https://example-tenant.us.auth0.com/");
  g_assert_true (mc_auth_server_metadata_supports_s256 (auth0));

  /* Plain http is the HTTP code's business, not the parser's. */
  demo = parse_as (as_sdk_demo, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (demo->issuer, ==, "http://localhost:3001/");
  g_assert_cmpstr (demo->registration_endpoint, ==, "http://localhost:3001/register");
  g_assert_true (demo->client_id_metadata_document_supported);
  g_assert_true (mc_auth_server_metadata_supports_auth_method (demo, "none"));
  g_assert_false (mc_auth_server_metadata_supports_auth_method (demo, "client_secret_basic"));

  /* RFC 8414's defaults when members are absent. */
  minimal = parse_as ("{\"issuer\":\"https://a.example\",\"authorization_endpoint\":\"https://a.example/auth?x=1\","
                      "\"token_endpoint\":\"https://a.example/token\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (minimal->authorization_endpoint, ==, "https://a.example/auth?x=1");
  g_assert_null (minimal->code_challenge_methods_supported);
  g_assert_null (minimal->token_endpoint_auth_methods_supported);
  g_assert_false (mc_auth_server_metadata_supports_s256 (minimal));
  g_assert_true (mc_auth_server_metadata_supports_auth_method (minimal, "client_secret_basic"));
  g_assert_false (mc_auth_server_metadata_supports_auth_method (minimal, "client_secret_post"));
  g_assert_false (mc_auth_server_metadata_supports_auth_method (minimal, "none"));
}

static void
test_as_pkce_methods (void)
{
  const struct {
    const char *methods;
    gboolean    s256;
  } cases[] = {
    { "", FALSE },
    { ",\"code_challenge_methods_supported\":null", FALSE },
    { ",\"code_challenge_methods_supported\":[]", FALSE },
    { ",\"code_challenge_methods_supported\":[\"plain\"]", FALSE },
    { ",\"code_challenge_methods_supported\":[\"s256\"]", FALSE },
    { ",\"code_challenge_methods_supported\":[\"S256 \"]", FALSE },
    { ",\"code_challenge_methods_supported\":[\"S256\"]", TRUE },
    { ",\"code_challenge_methods_supported\":[\"plain\",\"S256\"]", TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *json = g_strdup_printf ("{\"issuer\":\"https://a.example\","
                                               "\"authorization_endpoint\":\"https://a.example/auth\","
                                               "\"token_endpoint\":\"https://a.example/token\"%s}",
                                               cases[i].methods);
      g_autoptr(McAuthServerMetadata) metadata = parse_as (json, &error);

      g_assert_no_error (error);
      g_assert_cmpint (mc_auth_server_metadata_supports_s256 (metadata), ==, cases[i].s256);
    }
}

static void
test_as_invalid (void)
{
#define AS_REQUIRED "\"issuer\":\"https://a.example\",\"authorization_endpoint\":\"https://a.example/auth\"," \
                    "\"token_endpoint\":\"https://a.example/token\""
  const struct {
    const char *json;
    const char *message_part;
  } cases[] = {
    { "{}", "whose “issuer” is missing" },
    { "{\"authorization_endpoint\":\"https://a.example/auth\",\"token_endpoint\":\"https://a.example/token\"}",
      "whose “issuer” is missing" },
    { "{\"issuer\":\"https://a.example\",\"token_endpoint\":\"https://a.example/token\"}",
      "whose “authorization_endpoint” is missing" },
    { "{\"issuer\":\"https://a.example\",\"authorization_endpoint\":\"https://a.example/auth\"}",
      "whose “token_endpoint” is missing" },
    { "{\"issuer\":\"https://a.example\",\"authorization_endpoint\":\"https://a.example/auth\","
      "\"token_endpoint\":{\"url\":\"https://a.example/token\"}}", "whose “token_endpoint” is not a string" },
    { "{\"issuer\":\"https://a.example\",\"authorization_endpoint\":\"https://a.example/auth\","
      "\"token_endpoint\":\"/token\"}", "whose “token_endpoint” is not an absolute URL" },
    { "{\"issuer\":\"https://a.example\",\"authorization_endpoint\":\"https://a.example/auth#x\","
      "\"token_endpoint\":\"https://a.example/token\"}", "whose “authorization_endpoint” has a fragment" },
    { "{\"issuer\":\"https://a.example?x\",\"authorization_endpoint\":\"https://a.example/auth\","
      "\"token_endpoint\":\"https://a.example/token\"}", "whose “issuer” has a query" },
    { "{\"issuer\":\"https://a.example#x\",\"authorization_endpoint\":\"https://a.example/auth\","
      "\"token_endpoint\":\"https://a.example/token\"}", "whose “issuer” has a fragment" },
    { "{\"issuer\":\"https://login.example.com/{tenantid}/v2.0\",\"authorization_endpoint\":\"https://a.example/auth\","
      "\"token_endpoint\":\"https://a.example/token\"}", "whose “issuer” has a character that must be %-encoded" },
    { "{\"issuer\":\"https://a.example\",\"authorization_endpoint\":\"javascript:alert(1)\","
      "\"token_endpoint\":\"https://a.example/token\"}", "whose “authorization_endpoint” is not an http or https URL" },
    { "{" AS_REQUIRED ",\"registration_endpoint\":\"https://u@a.example/register\"}",
      "whose “registration_endpoint” has user information" },
    { "{" AS_REQUIRED ",\"registration_endpoint\":17}", "whose “registration_endpoint” is not a string" },
    { "{" AS_REQUIRED ",\"revocation_endpoint\":\"https://a.example:0/revoke\"}",
      "whose “revocation_endpoint” has port 0" },
    { "{" AS_REQUIRED ",\"scopes_supported\":[\"ok\",\"not ok\"]}",
      "in which an item of “scopes_supported” is not a valid scope" },
    { "{" AS_REQUIRED ",\"response_types_supported\":\"code\"}", "whose “response_types_supported” is not a list" },
    { "{" AS_REQUIRED ",\"grant_types_supported\":[null]}", "in which an item of “grant_types_supported” is not a string" },
    { "{" AS_REQUIRED ",\"code_challenge_methods_supported\":\"S256\"}",
      "whose “code_challenge_methods_supported” is not a list" },
    { "{" AS_REQUIRED ",\"code_challenge_methods_supported\":[\"S256\",{\"S256\":1}]}",
      "in which an item of “code_challenge_methods_supported” is not a string" },
    { "{" AS_REQUIRED ",\"token_endpoint_auth_methods_supported\":[\"none\",\"\\udc00x\"]}",
      "in which an item of “token_endpoint_auth_methods_supported” is not valid UTF-8" },
    { "{" AS_REQUIRED ",\"client_id_metadata_document_supported\":\"true\"}",
      "whose “client_id_metadata_document_supported” is not true or false" },
    { "{" AS_REQUIRED ",\"authorization_response_iss_parameter_supported\":1}",
      "whose “authorization_response_iss_parameter_supported” is not true or false" },
  };
#undef AS_REQUIRED

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McAuthServerMetadata) metadata = parse_as (cases[i].json, &error);

      g_test_message ("%s", cases[i].json);
      g_assert_null (metadata);
      assert_remote_error (error, AS_SOURCE, cases[i].message_part);
      g_assert_true (g_str_has_prefix (error->message, "The authorization server at " AS_SOURCE " sent metadata "));
    }

  assert_refuses_broken_json (accepts_as, AS_SOURCE, FALSE);
}

/* Token responses ------------------------------------------------------ */

static McTokenResponse *
parse_token (const char  *json,
             GError     **error)
{
  return mc_token_response_parse (json, strlen (json), TOKEN_SOURCE, error);
}

static void
test_token_valid (void)
{
  g_autoptr(GError) error = NULL;
  /* What the conformance suite's mock sends. */
  g_autoptr(McTokenResponse) mock = parse_token ("{\"access_token\":\"" SECRET_ACCESS "\","
                                                 "\"token_type\":\"Bearer\",\"expires_in\":3600}", &error);
  g_autoptr(McTokenResponse) github = NULL;
  g_autoptr(McTokenResponse) full = NULL;
  g_autoptr(McTokenResponse) nulls = NULL;
  g_autoptr(McTokenResponse) zero = NULL;
  g_autoptr(McTokenResponse) quoted = NULL;
  g_autoptr(McTokenResponse) jwt = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (mock->access_token, ==, SECRET_ACCESS);
  g_assert_cmpstr (mock->token_type, ==, "Bearer");
  g_assert_cmpint (mock->expires_in, ==, 3600);
  g_assert_null (mock->refresh_token);
  g_assert_null (mock->scope);

  /* GitHub's shape: lower-case type, commas inside one scope token, no
   * expiry. */
  github = parse_token ("{\"access_token\":\"gho_" SECRET_ACCESS "\",\"token_type\":\"bearer\","
                        "\"scope\":\"repo,gist\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (github->token_type, ==, "bearer");
  g_assert_cmpstr (github->scope, ==, "repo,gist");
  g_assert_cmpint (github->expires_in, ==, -1);

  /* Every member, plus an OpenID id_token and extras. */
  full = parse_token ("{\n  \"access_token\": \"" SECRET_ACCESS "\",\n  \"token_type\": \"BEARER\",\n"
                      "  \"expires_in\": 299,\n  \"refresh_token\": \"" SECRET_REFRESH " with spaces\",\n"
                      "  \"scope\": \"openid  mcp:tools \",\n  \"id_token\": \"eyJhbGciOiJSUzI1NiJ9.e30.c2ln\",\n"
                      "  \"refresh_expires_in\": 1800,\n  \"not-before-policy\": 0,\n"
                      "  \"session_state\": \"0b1e\",\n  \"x\": {\"y\": [true, null]}\n}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (full->refresh_token, ==, SECRET_REFRESH " with spaces");
  g_assert_cmpstr (full->scope, ==, "openid  mcp:tools ");
  g_assert_cmpint (full->expires_in, ==, 299);

  nulls = parse_token ("{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":null,"
                       "\"refresh_token\":null,\"scope\":null}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (nulls->expires_in, ==, -1);
  g_assert_null (nulls->refresh_token);
  g_assert_null (nulls->scope);

  zero = parse_token ("{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":0,\"scope\":\"\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (zero->expires_in, ==, 0);
  g_assert_cmpstr (zero->scope, ==, "");

  /* Digits in a string, as some servers send them. */
  quoted = parse_token ("{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"3600\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (quoted->expires_in, ==, 3600);

  jwt = parse_token ("{\"token_type\":\"Bearer\",\"access_token\":"
                     "\"eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl+/=\"}", &error);
  g_assert_no_error (error);
}

static void
test_token_invalid (void)
{
  const struct {
    const char *json;
    const char *message_part;
  } cases[] = {
    { "{}", "whose “access_token” is missing" },
    { "{\"token_type\":\"Bearer\"}", "whose “access_token” is missing" },
    { "{\"access_token\":null,\"token_type\":\"Bearer\"}", "whose “access_token” is missing" },
    { "{\"access_token\":12345,\"token_type\":\"Bearer\"}", "whose “access_token” is not a string" },
    { "{\"access_token\":[\"" SECRET_ACCESS "\"],\"token_type\":\"Bearer\"}", "whose “access_token” is not a string" },
    { "{\"access_token\":\"\",\"token_type\":\"Bearer\"}", "whose “access_token” is empty or has characters" },
    { "{\"access_token\":\"" SECRET_ACCESS " x\",\"token_type\":\"Bearer\"}", "whose “access_token” is empty or has" },
    { "{\"access_token\":\"" SECRET_ACCESS "\\r\\nX-Injected: 1\",\"token_type\":\"Bearer\"}",
      "whose “access_token” is empty or has" },
    { "{\"access_token\":\"" SECRET_ACCESS "\\u00e9\",\"token_type\":\"Bearer\"}", "whose “access_token” is empty or has" },
    { "{\"access_token\":\"" SECRET_ACCESS "\\udc00x\",\"token_type\":\"Bearer\"}",
      "whose “access_token” is not valid UTF-8" },
    { "{\"access_token\":\"" SECRET_ACCESS "\"}", "whose “token_type” is missing" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"DPoP\"}", "whose “token_type” is not Bearer" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"" SECRET_ACCESS "\"}",
      "whose “token_type” is not Bearer" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer \"}", "whose “token_type” is not Bearer" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":true}", "whose “token_type” is not a string" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":-1}",
      "whose “expires_in” is negative" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":-3600}",
      "whose “expires_in” is negative" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":\"36x0\"}",
      "whose “expires_in” is not a number of seconds" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":\"-5\"}",
      "whose “expires_in” is not a number of seconds" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":\"\"}",
      "whose “expires_in” is not a number of seconds" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":3600.5}",
      "whose “expires_in” is not an integer" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"refresh_token\":7}",
      "whose “refresh_token” is not a string" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"refresh_token\":\"\"}",
      "whose “refresh_token” is empty or has" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"refresh_token\":\"" SECRET_REFRESH "\\n\"}",
      "whose “refresh_token” is empty or has" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"scope\":[\"a\"]}",
      "whose “scope” is not a string" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"scope\":\"a \\\"b\\\"\"}",
      "whose “scope” is not a valid scope list" },
    { "{\"access_token\":\"" SECRET_ACCESS "\",\"token_type\":\"Bearer\",\"scope\":\"a\\tb\"}",
      "whose “scope” is not a valid scope list" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McTokenResponse) response = parse_token (cases[i].json, &error);

      g_test_message ("%s", cases[i].json);
      g_assert_null (response);
      assert_remote_error (error, TOKEN_SOURCE, cases[i].message_part);
      g_assert_true (g_str_has_prefix (error->message,
                                       "The authorization server at " TOKEN_SOURCE " sent a token response "));
    }

  assert_refuses_broken_json (accepts_token, TOKEN_SOURCE, TRUE);
}

/* OAuth errors ---------------------------------------------------------- */

static McOAuthError *
parse_oauth_error (const char *json)
{
  return mc_oauth_error_parse (json, strlen (json));
}

static void
test_oauth_error (void)
{
  g_autoptr(McOAuthError) full = NULL;
  g_autoptr(McOAuthError) bare = NULL;
  g_autoptr(McOAuthError) wrong_types = NULL;
  g_autoptr(McOAuthError) registration = NULL;
  const char *not_errors[] = {
    "", "[]", "null", "\"invalid_grant\"", "{}", "{\"error\":null}", "{\"error\":\"\"}", "{\"error\":42}",
    "{\"error\":[\"invalid_grant\"]}", "{\"error\":{\"code\":\"invalid_grant\"}}", "{\"error\":\"\\udc00x\"}",
    "{\"error\":\"invalid_grant\"", "<html><body>Bad Gateway</body></html>", "{\"error\":\"x\"} // c",
    "{\"message\":\"Unauthorized\",\"documentation_url\":\"https://docs.example.com\"}",
  };

  full = parse_oauth_error ("{\"error\":\"invalid_grant\",\"error_description\":\"The code has expired\","
                               "\"error_uri\":\"https://auth.example.com/errors#invalid_grant\"}");
  g_assert_nonnull (full);
  g_assert_cmpstr (full->error, ==, "invalid_grant");
  g_assert_cmpstr (full->error_description, ==, "The code has expired");
  g_assert_cmpstr (full->error_uri, ==, "https://auth.example.com/errors#invalid_grant");

  bare = parse_oauth_error ("{\"error\":\"access_denied\"}");
  g_assert_nonnull (bare);
  g_assert_cmpstr (bare->error, ==, "access_denied");
  g_assert_null (bare->error_description);
  g_assert_null (bare->error_uri);

  /* Optional members of the wrong type are left out, not fatal. */
  wrong_types = parse_oauth_error ("{\"error\":\"server_error\",\"error_description\":[\"x\"],"
                                      "\"error_uri\":\"\\udc00x\"}");
  g_assert_nonnull (wrong_types);
  g_assert_cmpstr (wrong_types->error, ==, "server_error");
  g_assert_null (wrong_types->error_description);
  g_assert_null (wrong_types->error_uri);

  /* RFC 7591 §3.2.2 */
  registration = parse_oauth_error ("{\n \"error\": \"invalid_redirect_uri\",\n"
                                    " \"error_description\": \"The redirection URI \\u00ab http://x \\u00bb is not allowed\"\n}");
  g_assert_nonnull (registration);
  g_assert_cmpstr (registration->error, ==, "invalid_redirect_uri");
  g_assert_cmpstr (registration->error_description, ==, "The redirection URI « http://x » is not allowed");

  for (gsize i = 0; i < G_N_ELEMENTS (not_errors); i++)
    {
      g_autoptr(McOAuthError) oauth_error = mc_oauth_error_parse (not_errors[i], strlen (not_errors[i]));

      g_test_message ("%s", not_errors[i]);
      g_assert_null (oauth_error);
    }

  g_assert_null (mc_oauth_error_parse (NULL, 0));
}

/* Client registrations -------------------------------------------------- */

static McClientRegistration *
parse_registration (const char  *json,
                    GError     **error)
{
  return mc_client_registration_parse (json, strlen (json), REGISTRATION_SOURCE, error);
}

static void
test_registration_valid (void)
{
  g_autoptr(GError) error = NULL;
  /* RFC 7591 §3.2.1's example, in shape. */
  g_autoptr(McClientRegistration) full =
    parse_registration ("{\n \"client_id\": \"s6BhdRkqt3\",\n \"client_secret\": \"" SECRET_CLIENT "\",\n"
                        " \"client_id_issued_at\": 2893256800,\n \"client_secret_expires_at\": 2893276800,\n"
                        " \"redirect_uris\": [\"http://127.0.0.1:8400/callback\", \"http://localhost:8400/callback\"],\n"
                        " \"grant_types\": [\"authorization_code\", \"refresh_token\"],\n"
                        " \"client_name\": \"MCP Consent Broker\",\n"
                        " \"token_endpoint_auth_method\": \"client_secret_post\",\n"
                        " \"logo_uri\": \"https://client.example.org/logo.png\",\n"
                        " \"jwks_uri\": \"https://client.example.org/my_public_keys.jwks\",\n"
                        " \"example_extension_parameter\": {\"nested\": [1, 2]}\n}", &error);
  g_autoptr(McClientRegistration) public_client = NULL;
  g_autoptr(McClientRegistration) defaults = NULL;
  g_autoptr(McClientRegistration) empty_secret = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (full->client_id, ==, "s6BhdRkqt3");
  g_assert_cmpstr (full->client_secret, ==, SECRET_CLIENT);
  g_assert_cmpint (full->client_secret_expires_at, ==, 2893276800);
  g_assert_cmpstr (full->token_endpoint_auth_method, ==, "client_secret_post");
  g_assert_cmpuint (g_strv_length (full->redirect_uris), ==, 2);

  /* The shape of the MCP TypeScript SDK's example server's answer. */
  public_client = parse_registration ("{\"redirect_uris\":[\"http://localhost:8090/callback\"],"
                                      "\"token_endpoint_auth_method\":\"none\","
                                      "\"grant_types\":[\"authorization_code\",\"refresh_token\"],"
                                      "\"response_types\":[\"code\"],\"client_name\":\"MCP Consent Broker\","
                                      "\"client_id\":\"0c7b8e5a-1f4d-4b6e-9a2c-3d5e7f9a1b2c\","
                                      "\"client_id_issued_at\":1764150000}", &error);
  g_assert_no_error (error);
  g_assert_null (public_client->client_secret);
  g_assert_cmpint (public_client->client_secret_expires_at, ==, 0);
  g_assert_cmpstr (public_client->token_endpoint_auth_method, ==, "none");

  /* RFC 7591 §2: the default method is client_secret_basic. */
  defaults = parse_registration ("{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (defaults->token_endpoint_auth_method, ==, "client_secret_basic");
  g_assert_cmpint (defaults->client_secret_expires_at, ==, 0);
  g_assert_null (defaults->redirect_uris);

  empty_secret = parse_registration ("{\"client_id\":\"c\",\"client_secret\":\"\",\"client_secret_expires_at\":0,"
                                     "\"token_endpoint_auth_method\":\"none\",\"redirect_uris\":null}", &error);
  g_assert_no_error (error);
  g_assert_null (empty_secret->client_secret);
}

static void
test_registration_invalid (void)
{
  const struct {
    const char *json;
    const char *message_part;
  } cases[] = {
    { "{}", "whose “client_id” is missing" },
    { "{\"client_secret\":\"" SECRET_CLIENT "\"}", "whose “client_id” is missing" },
    { "{\"client_id\":12,\"client_secret\":\"" SECRET_CLIENT "\"}", "whose “client_id” is not a string" },
    { "{\"client_id\":\"\",\"client_secret\":\"" SECRET_CLIENT "\"}", "whose “client_id” is empty" },
    { "{\"client_id\":\"a\\u0007b\",\"client_secret\":\"" SECRET_CLIENT "\"}", "whose “client_id” is empty or has a control" },
    { "{\"client_id\":\"c\",\"client_secret\":{\"value\":\"" SECRET_CLIENT "\"}}", "whose “client_secret” is not a string" },
    { "{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\\udc00x\"}", "whose “client_secret” is not valid UTF-8" },
    { "{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\",\"client_secret_expires_at\":-5}",
      "whose “client_secret_expires_at” is negative" },
    { "{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\",\"client_secret_expires_at\":\"never\"}",
      "whose “client_secret_expires_at” is not an integer" },
    { "{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\",\"token_endpoint_auth_method\":[\"none\"]}",
      "whose “token_endpoint_auth_method” is not a string" },
    { "{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\",\"token_endpoint_auth_method\":\"\"}",
      "whose “token_endpoint_auth_method” is empty" },
    { "{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\",\"redirect_uris\":\"http://localhost/cb\"}",
      "whose “redirect_uris” is not a list" },
    { "{\"client_id\":\"c\",\"client_secret\":\"" SECRET_CLIENT "\",\"redirect_uris\":[1]}",
      "in which an item of “redirect_uris” is not a string" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(McClientRegistration) registration = parse_registration (cases[i].json, &error);

      g_test_message ("%s", cases[i].json);
      g_assert_null (registration);
      assert_remote_error (error, REGISTRATION_SOURCE, cases[i].message_part);
      g_assert_true (g_str_has_prefix (error->message,
                                       "The authorization server at " REGISTRATION_SOURCE " sent a client registration "));
    }

  assert_refuses_broken_json (accepts_registration, REGISTRATION_SOURCE, TRUE);
}

/* MCP 2025-03-26: a server without metadata has its endpoints at the
 * default paths of its origin. */
static void
test_as_defaults (void)
{
  g_autoptr(McAuthServerMetadata) metadata = mc_auth_server_metadata_new_defaults ("http://127.0.0.1:3000");

  g_assert_cmpstr (metadata->issuer, ==, "http://127.0.0.1:3000");
  g_assert_cmpstr (metadata->authorization_endpoint, ==, "http://127.0.0.1:3000/authorize");
  g_assert_cmpstr (metadata->token_endpoint, ==, "http://127.0.0.1:3000/token");
  g_assert_cmpstr (metadata->registration_endpoint, ==, "http://127.0.0.1:3000/register");
  g_assert_null (metadata->revocation_endpoint);
  g_assert_null (metadata->scopes_supported);
  g_assert_null (metadata->token_endpoint_auth_methods_supported);
  g_assert_false (metadata->client_id_metadata_document_supported);
  g_assert_false (metadata->authorization_response_iss_parameter_supported);
  /* 2025-03-26 required PKCE of every client. */
  g_assert_true (mc_auth_server_metadata_supports_s256 (metadata));
}

static void
test_free_null (void)
{
  mc_protected_resource_metadata_free (NULL);
  mc_auth_server_metadata_free (NULL);
  mc_token_response_free (NULL);
  mc_oauth_error_free (NULL);
  mc_client_registration_free (NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/oauth-metadata/prm/valid", test_prm_valid);
  g_test_add_func ("/oauth-metadata/prm/invalid", test_prm_invalid);
  g_test_add_func ("/oauth-metadata/as/valid", test_as_valid);
  g_test_add_func ("/oauth-metadata/as/pkce-methods", test_as_pkce_methods);
  g_test_add_func ("/oauth-metadata/as/invalid", test_as_invalid);
  g_test_add_func ("/oauth-metadata/as/defaults", test_as_defaults);
  g_test_add_func ("/oauth-metadata/token/valid", test_token_valid);
  g_test_add_func ("/oauth-metadata/token/invalid", test_token_invalid);
  g_test_add_func ("/oauth-metadata/oauth-error", test_oauth_error);
  g_test_add_func ("/oauth-metadata/registration/valid", test_registration_valid);
  g_test_add_func ("/oauth-metadata/registration/invalid", test_registration_invalid);
  g_test_add_func ("/oauth-metadata/free-null", test_free_null);

  return g_test_run ();
}
