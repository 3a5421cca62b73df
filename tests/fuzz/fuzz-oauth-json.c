/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the readers of mc-oauth-metadata.h.  The first
 * byte of the input picks the reader: 'r' protected resource metadata,
 * 'a' authorization server metadata, 't' a token response, 'e' an OAuth
 * error, 'c' a client registration, any other byte the reader of its
 * value modulo 5 in that order.  The rest is the document, NULs and all,
 * as the HTTP code hands over a response body.
 *
 * Besides crashes, sanitizer reports and criticals it checks:
 * - a refusal is MC_ERROR_REMOTE, in UTF-8, naming the source URL;
 *   mc_oauth_error_parse() never refuses, it returns NULL;
 * - what is accepted has its required members, URLs that are absolute
 *   http(s) URLs of the kind required, valid scopes, and the numbers
 *   and token characters the readers promise;
 * - no message holds a secret: for the token and registration readers,
 *   a document that is not JSON gets a message without json-glib's
 *   details (which quote strings), and a document that is gets the same
 *   message, or the same result, when its "access_token",
 *   "refresh_token" and "client_secret" are replaced by other strings of
 *   the same shape.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-error.h"
#include "mc-json.h"
#include "mc-oauth-metadata.h"
#include "mc-oauth-urls.h"
#include "mc-oauth-urls-private.h"

#define SOURCE "https://fuzz.example/.well-known/document"

typedef enum
{
  READER_PRM,
  READER_AS,
  READER_TOKEN,
  READER_ERROR,
  READER_REGISTRATION,
  N_READERS,
} Reader;

static const char *secret_members[] = { "access_token", "refresh_token", "client_secret" };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

static Reader
pick_reader (uint8_t byte)
{
  switch (byte)
    {
    case 'r':
      return READER_PRM;
    case 'a':
      return READER_AS;
    case 't':
      return READER_TOKEN;
    case 'e':
      return READER_ERROR;
    case 'c':
      return READER_REGISTRATION;
    default:
      return byte % N_READERS;
    }
}

static void
check_url (const char      *url,
           McOAuthUrlParts  allowed)
{
  g_autoptr(GUri) uri = NULL;

  if (url == NULL)
    return;

  uri = _mc_oauth_parse_url (url, allowed, NULL);
  check (uri != NULL);
  check (g_str_equal (g_uri_get_scheme (uri), "https") || g_str_equal (g_uri_get_scheme (uri), "http"));
  check (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0');
  check (g_uri_get_userinfo (uri) == NULL);
  check ((allowed & MC_OAUTH_URL_PARTS_FRAGMENT) || g_uri_get_fragment (uri) == NULL);
  check ((allowed & MC_OAUTH_URL_PARTS_QUERY) || g_uri_get_query (uri) == NULL);
}

static void
check_utf8_strv (GStrv strv)
{
  for (gsize i = 0; strv != NULL && strv[i] != NULL; i++)
    check (g_utf8_validate (strv[i], -1, NULL));
}

static void
check_scopes (GStrv scopes)
{
  for (gsize i = 0; scopes != NULL && scopes[i] != NULL; i++)
    check (mc_oauth_is_valid_scope_token (scopes[i]));
}

static gboolean
is_ascii_range (const char *text,
                guchar      low)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    if (*p < low || *p > 0x7E)
      return FALSE;
  return TRUE;
}

static gboolean
has_control_char (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

static void
check_prm (const McProtectedResourceMetadata *metadata)
{
  check (metadata->resource != NULL);
  check_url (metadata->resource, MC_OAUTH_URL_PARTS_QUERY);
  check (metadata->authorization_servers != NULL && metadata->authorization_servers[0] != NULL);
  for (gsize i = 0; metadata->authorization_servers[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) urls = mc_oauth_as_metadata_urls (metadata->authorization_servers[i]);

      check_url (metadata->authorization_servers[i], MC_OAUTH_URL_PARTS_NONE);
      /* The flow looks each issuer's metadata up. */
      check (urls != NULL);
    }
  check_scopes (metadata->scopes_supported);
  check_utf8_strv (metadata->bearer_methods_supported);
  check (metadata->resource_name == NULL || g_utf8_validate (metadata->resource_name, -1, NULL));
}

static void
check_as (const McAuthServerMetadata *metadata)
{
  g_autoptr(GPtrArray) urls = NULL;

  check (metadata->issuer != NULL);
  check (metadata->authorization_endpoint != NULL);
  check (metadata->token_endpoint != NULL);
  check_url (metadata->issuer, MC_OAUTH_URL_PARTS_NONE);
  check_url (metadata->authorization_endpoint, MC_OAUTH_URL_PARTS_QUERY);
  check_url (metadata->token_endpoint, MC_OAUTH_URL_PARTS_QUERY);
  check_url (metadata->registration_endpoint, MC_OAUTH_URL_PARTS_QUERY);
  check_url (metadata->revocation_endpoint, MC_OAUTH_URL_PARTS_QUERY);
  urls = mc_oauth_as_metadata_urls (metadata->issuer);
  check (urls != NULL);

  check_scopes (metadata->scopes_supported);
  check_utf8_strv (metadata->response_types_supported);
  check_utf8_strv (metadata->grant_types_supported);
  check_utf8_strv (metadata->code_challenge_methods_supported);
  check_utf8_strv (metadata->token_endpoint_auth_methods_supported);
  check (metadata->client_id_metadata_document_supported == TRUE ||
         metadata->client_id_metadata_document_supported == FALSE);
  check (metadata->authorization_response_iss_parameter_supported == TRUE ||
         metadata->authorization_response_iss_parameter_supported == FALSE);

  check (mc_auth_server_metadata_supports_s256 (metadata) ==
         (metadata->code_challenge_methods_supported != NULL &&
          g_strv_contains ((const char * const *) metadata->code_challenge_methods_supported, "S256")));
  if (metadata->token_endpoint_auth_methods_supported == NULL)
    check (mc_auth_server_metadata_supports_auth_method (metadata, "client_secret_basic") &&
           !mc_auth_server_metadata_supports_auth_method (metadata, "none"));
}

static void
check_token (const McTokenResponse *response)
{
  g_auto(GStrv) scopes = NULL;

  check (response->access_token != NULL && *response->access_token != '\0');
  check (is_ascii_range (response->access_token, 0x21));
  check (response->token_type != NULL && g_ascii_strcasecmp (response->token_type, "Bearer") == 0);
  check (response->expires_in >= -1);
  check (response->refresh_token == NULL ||
         (*response->refresh_token != '\0' && is_ascii_range (response->refresh_token, 0x20)));
  if (response->scope != NULL)
    {
      scopes = mc_oauth_scope_split (response->scope, NULL);
      check (scopes != NULL);
    }
}

static void
check_oauth_error (const McOAuthError *oauth_error)
{
  check (oauth_error->error != NULL && *oauth_error->error != '\0');
  check (g_utf8_validate (oauth_error->error, -1, NULL));
  check (oauth_error->error_description == NULL || g_utf8_validate (oauth_error->error_description, -1, NULL));
  check (oauth_error->error_uri == NULL || g_utf8_validate (oauth_error->error_uri, -1, NULL));
}

static void
check_registration (const McClientRegistration *registration)
{
  check (registration->client_id != NULL && *registration->client_id != '\0');
  check (!has_control_char (registration->client_id));
  check (registration->client_secret == NULL || *registration->client_secret != '\0');
  check (registration->client_secret == NULL || g_utf8_validate (registration->client_secret, -1, NULL));
  check (registration->client_secret_expires_at >= 0);
  check (registration->token_endpoint_auth_method != NULL && *registration->token_endpoint_auth_method != '\0');
  check (!has_control_char (registration->token_endpoint_auth_method));
  check_utf8_strv (registration->redirect_uris);
}

/* Runs @reader over @json; checks what it returns.  Returns the error
 * message (NULL on success) and, in @secrets, the secrets accepted. */
static char *
run_reader (Reader        reader,
            const char   *json,
            gsize         length,
            GStrv        *secrets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  switch (reader)
    {
    case READER_PRM:
      {
        g_autoptr(McProtectedResourceMetadata) metadata =
          mc_protected_resource_metadata_parse (json, length, SOURCE, &error);

        if (metadata != NULL)
          check_prm (metadata);
        check ((metadata == NULL) == (error != NULL));
      }
      break;

    case READER_AS:
      {
        g_autoptr(McAuthServerMetadata) metadata = mc_auth_server_metadata_parse (json, length, SOURCE, &error);

        if (metadata != NULL)
          check_as (metadata);
        check ((metadata == NULL) == (error != NULL));
      }
      break;

    case READER_TOKEN:
      {
        g_autoptr(McTokenResponse) response = mc_token_response_parse (json, length, SOURCE, &error);

        if (response != NULL)
          {
            check_token (response);
            g_strv_builder_add (builder, response->access_token);
            g_strv_builder_add (builder, response->refresh_token != NULL ? response->refresh_token : "");
          }
        check ((response == NULL) == (error != NULL));
      }
      break;

    case READER_ERROR:
      {
        g_autoptr(McOAuthError) oauth_error = mc_oauth_error_parse (json, length);

        if (oauth_error != NULL)
          check_oauth_error (oauth_error);
      }
      break;

    case READER_REGISTRATION:
      {
        g_autoptr(McClientRegistration) registration =
          mc_client_registration_parse (json, length, SOURCE, &error);

        if (registration != NULL)
          {
            check_registration (registration);
            g_strv_builder_add (builder, registration->client_secret != NULL ? registration->client_secret : "");
          }
        check ((registration == NULL) == (error != NULL));
      }
      break;

    case N_READERS:
    default:
      g_assert_not_reached ();
    }

  *secrets = g_strv_builder_end (builder);

  if (error == NULL)
    return NULL;

  check (g_error_matches (error, MC_ERROR, MC_ERROR_REMOTE));
  check (g_utf8_validate (error->message, -1, NULL));
  check (g_str_has_prefix (error->message, "The "));
  check (strstr (error->message, " at " SOURCE " sent ") != NULL);
  return g_strdup (error->message);
}

/* Another character of the same kind, so that the new secret is refused
 * or accepted exactly as the old one. */
static char
rotate (char c)
{
  if (c >= 'a' && c <= 'z')
    return 'a' + (c - 'a' + 7) % 26;
  if (c >= 'A' && c <= 'Z')
    return 'A' + (c - 'A' + 7) % 26;
  if (c >= '0' && c <= '9')
    return '0' + (c - '0' + 3) % 10;
  return c;
}

static char *
rotate_string (const char *text)
{
  char *rotated = g_strdup (text);

  for (char *p = rotated; *p != '\0'; p++)
    *p = rotate (*p);
  return rotated;
}

/* The document written out by json-glib, with its secrets as they are
 * or rotated. */
static char *
rewrite (JsonObject *object,
         gboolean    rotated)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) copy = json_object_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (object, name);
      gboolean is_secret = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (secret_members); i++)
        is_secret |= g_str_equal (name, secret_members[i]);

      if (rotated && is_secret && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *value = rotate_string (json_node_get_string (node));

          json_object_set_string_member (copy, name, value);
        }
      else
        {
          json_object_set_member (copy, name, json_node_copy (node));
        }
    }

  json_node_set_object (root, copy);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* json-glib writes a string that is not UTF-8 (from a lone surrogate
 * escape) out byte for byte, and then refuses the whole document it wrote,
 * so rewriting it would compare nothing. */
static gboolean
all_strings_utf8 (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        g_autoptr(GList) members = json_object_get_members (json_node_get_object (node));

        for (GList *l = members; l != NULL; l = l->next)
          if (!g_utf8_validate (l->data, -1, NULL) ||
              !all_strings_utf8 (json_object_get_member (json_node_get_object (node), l->data)))
            return FALSE;
        return TRUE;
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!all_strings_utf8 (json_array_get_element (array, i)))
            return FALSE;
        return TRUE;
      }

    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) != G_TYPE_STRING ||
             g_utf8_validate (json_node_get_string (node), -1, NULL);

    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

/* The same document with other secrets must get the same answer: no
 * message may depend on a secret's value. */
static void
check_secrets_do_not_show (Reader      reader,
                           JsonObject *object)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *plain = NULL;
  g_autofree char *rotated = NULL;
  g_autofree char *plain_message = NULL;
  g_autofree char *rotated_message = NULL;
  g_auto(GStrv) plain_secrets = NULL;
  g_auto(GStrv) rotated_secrets = NULL;

  json_node_set_object (root, object);
  if (!all_strings_utf8 (root))
    return;

  plain = rewrite (object, FALSE);
  rotated = rewrite (object, TRUE);
  plain_message = run_reader (reader, plain, strlen (plain), &plain_secrets);
  rotated_message = run_reader (reader, rotated, strlen (rotated), &rotated_secrets);

  if (g_strcmp0 (plain_message, rotated_message) != 0)
    {
      g_printerr ("messages differ with other secrets:\n  %s\n  %s\n",
                  plain_message != NULL ? plain_message : "(accepted)",
                  rotated_message != NULL ? rotated_message : "(accepted)");
      abort ();
    }

  check (g_strv_length (plain_secrets) == g_strv_length (rotated_secrets));
  for (gsize i = 0; plain_secrets[i] != NULL; i++)
    {
      g_autofree char *expected = rotate_string (plain_secrets[i]);

      check (g_str_equal (expected, rotated_secrets[i]));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *message = NULL;
  g_auto(GStrv) secrets = NULL;
  const char *json;
  gsize length;
  Reader reader;

  if (size < 1)
    return 0;

  reader = pick_reader (data[0]);
  json = (const char *) data + 1;
  length = size - 1;

  message = run_reader (reader, json, length, &secrets);

  /* What the readers see, through the same guards. */
  object = mc_json_parse_object (json, length, NULL);
  if (object == NULL)
    {
      check (reader == READER_ERROR || message != NULL);
      if (reader == READER_TOKEN || reader == READER_REGISTRATION)
        check (g_str_has_suffix (message, " that is not a JSON object"));
      return 0;
    }

  if (reader == READER_TOKEN || reader == READER_REGISTRATION)
    check_secrets_do_not_show (reader, object);

  return 0;
}
