/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-oauth-metadata.h"

#include <string.h>

#include "mc-error.h"
#include "mc-json.h"
#include "mc-oauth-urls.h"
#include "mc-oauth-urls-private.h"
#include "mc-pkce.h"

/* Each reader builds its result in an autoptr, so that on any error what
 * was read so far (secrets included) is wiped and freed by the one free
 * function.  Errors name the document's URL and the member, never a
 * member's value: some values are secrets, and json-glib's own parse
 * errors quote the string they stopped at, so for the documents that hold
 * secrets they are left out. */

/* What an error message says of the document: "The authorization server
 * at https://… sent metadata". */
static char *
describe (const char *sender,
          const char *source,
          const char *document)
{
  return g_strdup_printf ("The %s at %s sent %s", sender, source, document);
}

/* Turns an error of mc-json.h ("“token_endpoint” is not a string", "an
 * item of “scopes_supported” is not valid UTF-8") into MC_ERROR_REMOTE,
 * naming the document. */
static void
set_member_error (GError     **error,
                  const char  *what,
                  GError      *cause)
{
  const char *message = cause->message;

  g_set_error (error, MC_ERROR, MC_ERROR_REMOTE, "%s %s %s", what,
               g_str_has_prefix (message, "“") ? "whose" : "in which", message);
}

static void
set_parse_error (GError     **error,
                 const char  *what,
                 GError      *cause,
                 gboolean     may_hold_secrets)
{
  if (may_hold_secrets)
    g_set_error (error, MC_ERROR, MC_ERROR_REMOTE, "%s that is not a JSON object", what);
  else
    g_set_error (error, MC_ERROR, MC_ERROR_REMOTE, "%s that is not a JSON object: %s",
                 what, cause->message);
}

static gboolean
get_string (JsonObject  *object,
            const char  *name,
            gboolean     required,
            char       **out_value,
            const char  *what,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!mc_json_get_string (object, name, required, out_value, &local_error))
    {
      set_member_error (error, what, local_error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_string_array (JsonObject  *object,
                  const char  *name,
                  gboolean     required,
                  GStrv       *out_value,
                  const char  *what,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!mc_json_get_string_array (object, name, required, out_value, &local_error))
    {
      set_member_error (error, what, local_error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_int (JsonObject  *object,
         const char  *name,
         gint64       default_value,
         gint64      *out_value,
         const char  *what,
         GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!mc_json_get_int (object, name, default_value, out_value, &local_error))
    {
      set_member_error (error, what, local_error);
      return FALSE;
    }
  return TRUE;
}

/* RFC 6749 says a number; some servers (Azure AD v1, older Keycloak
 * adapters) send the digits as a string, and refusing them would refuse
 * the sign-in for nothing. Anything else but digits is still refused. */
static gboolean
get_expires_in (JsonObject  *object,
                gint64      *out_value,
                const char  *what,
                GError     **error)
{
  JsonNode *node = json_object_get_member (object, "expires_in");
  const char *text = NULL;
  guint64 value = 0;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return get_int (object, "expires_in", -1, out_value, what, error);

  text = json_node_get_string (node);
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &value, NULL))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE, "%s whose “expires_in” is not a number of seconds", what);
      return FALSE;
    }

  *out_value = (gint64)value;
  return TRUE;
}

static gboolean
get_boolean (JsonObject  *object,
             const char  *name,
             gboolean    *out_value,
             const char  *what,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!mc_json_get_boolean (object, name, FALSE, out_value, &local_error))
    {
      set_member_error (error, what, local_error);
      return FALSE;
    }
  return TRUE;
}

/* A URL member, which must be an absolute http(s) URL (whether plain http
 * may be used is for the HTTP code to say, with
 * mc_oauth_url_is_acceptable()). */
static gboolean
get_url (JsonObject       *object,
         const char       *name,
         gboolean          required,
         McOAuthUrlParts   allowed,
         char            **out_value,
         const char       *what,
         GError          **error)
{
  g_autofree char *value = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!get_string (object, name, required, &value, what, error))
    return FALSE;

  if (value != NULL)
    {
      uri = _mc_oauth_parse_url (value, allowed, &local_error);
      if (uri == NULL)
        {
          g_set_error (error, MC_ERROR, MC_ERROR_REMOTE, "%s whose “%s” %s",
                       what, name, local_error->message);
          return FALSE;
        }
    }

  *out_value = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
get_scopes (JsonObject  *object,
            const char  *name,
            GStrv       *out_value,
            const char  *what,
            GError     **error)
{
  g_auto(GStrv) scopes = NULL;

  if (!get_string_array (object, name, FALSE, &scopes, what, error))
    return FALSE;

  for (gsize i = 0; scopes != NULL && scopes[i] != NULL; i++)
    {
      if (!mc_oauth_is_valid_scope_token (scopes[i]))
        {
          g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                       "%s in which an item of “%s” is not a valid scope", what, name);
          return FALSE;
        }
    }

  *out_value = g_steal_pointer (&scopes);
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

/* Whether the member is there, and not null (which mc-json.h reads as
 * absent). */
static gboolean
has_value (JsonObject *object,
           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

/* Whether every byte of @text is within [@low, 0x7E]: VSCHAR (RFC 6749
 * Appendix A) for @low 0x20, and without the space for 0x21. */
static gboolean
is_ascii_range (const char *text,
                guchar      low)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    if (*p < low || *p > 0x7E)
      return FALSE;
  return TRUE;
}

/**
 * mc_protected_resource_metadata_parse:
 * @json: (array length=length): the document
 * @length: its length in bytes
 * @source: the URL it was fetched from, for error messages
 * @error: return location for a #GError
 *
 * Reads OAuth 2.0 Protected Resource Metadata (RFC 9728 §2).  "resource"
 * must be an absolute http(s) URL without fragment, and
 * "authorization_servers" (required by MCP) a non-empty list of issuers:
 * absolute http(s) URLs without query or fragment (RFC 8414 §2);
 * "scopes_supported", if there, a list of valid scopes.  Whether
 * "resource" is the expected one is for the caller to check
 * (mc_oauth_same_resource()).
 *
 * Returns: (transfer full): the metadata, or %NULL with @error set to
 *   %MC_ERROR_REMOTE
 */
McProtectedResourceMetadata *
mc_protected_resource_metadata_parse (const char  *json,
                                      gsize        length,
                                      const char  *source,
                                      GError     **error)
{
  g_autoptr(McProtectedResourceMetadata) metadata = g_new0 (McProtectedResourceMetadata, 1);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (json != NULL || length == 0, NULL);
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  what = describe ("server", source, "protected resource metadata");

  object = mc_json_parse_object (json, length, &local_error);
  if (object == NULL)
    {
      set_parse_error (error, what, local_error, FALSE);
      return NULL;
    }

  if (!get_url (object, "resource", TRUE, MC_OAUTH_URL_PARTS_QUERY, &metadata->resource, what, error) ||
      !get_string_array (object, "authorization_servers", TRUE, &metadata->authorization_servers,
                         what, error) ||
      !get_scopes (object, "scopes_supported", &metadata->scopes_supported, what, error) ||
      !get_string_array (object, "bearer_methods_supported", FALSE,
                         &metadata->bearer_methods_supported, what, error) ||
      !get_string (object, "resource_name", FALSE, &metadata->resource_name, what, error))
    return NULL;

  if (metadata->authorization_servers[0] == NULL)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                   "%s whose “authorization_servers” is empty", what);
      return NULL;
    }

  for (gsize i = 0; metadata->authorization_servers[i] != NULL; i++)
    {
      g_autoptr(GUri) uri = _mc_oauth_parse_url (metadata->authorization_servers[i],
                                                 MC_OAUTH_URL_PARTS_NONE, &local_error);

      if (uri == NULL)
        {
          g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                       "%s in which an item of “authorization_servers” %s", what, local_error->message);
          return NULL;
        }
    }

  return g_steal_pointer (&metadata);
}

/**
 * mc_protected_resource_metadata_free:
 * @self: (nullable) (transfer full): metadata
 */
void
mc_protected_resource_metadata_free (McProtectedResourceMetadata *self)
{
  if (self == NULL)
    return;

  g_free (self->resource);
  g_strfreev (self->authorization_servers);
  g_strfreev (self->scopes_supported);
  g_strfreev (self->bearer_methods_supported);
  g_free (self->resource_name);
  g_free (self);
}

/**
 * mc_auth_server_metadata_parse:
 * @json: (array length=length): the document
 * @length: its length in bytes
 * @source: the URL it was fetched from, for error messages
 * @error: return location for a #GError
 *
 * Reads OAuth 2.0 Authorization Server Metadata (RFC 8414 §2) or an
 * OpenID Connect discovery document.  "issuer" must be an absolute http(s)
 * URL without query or fragment; "authorization_endpoint" and
 * "token_endpoint" (both required) and "registration_endpoint" and
 * "revocation_endpoint" (if there) absolute http(s) URLs without fragment;
 * "scopes_supported", if there, a list of valid scopes.  Whether "issuer"
 * is the one the metadata was looked up for (RFC 8414 §3.3) is for the
 * caller to check.
 *
 * Returns: (transfer full): the metadata, or %NULL with @error set to
 *   %MC_ERROR_REMOTE
 */
McAuthServerMetadata *
mc_auth_server_metadata_parse (const char  *json,
                               gsize        length,
                               const char  *source,
                               GError     **error)
{
  g_autoptr(McAuthServerMetadata) metadata = g_new0 (McAuthServerMetadata, 1);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (json != NULL || length == 0, NULL);
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  what = describe ("authorization server", source, "metadata");

  object = mc_json_parse_object (json, length, &local_error);
  if (object == NULL)
    {
      set_parse_error (error, what, local_error, FALSE);
      return NULL;
    }

  if (!get_url (object, "issuer", TRUE, MC_OAUTH_URL_PARTS_NONE, &metadata->issuer, what, error) ||
      !get_url (object, "authorization_endpoint", TRUE, MC_OAUTH_URL_PARTS_QUERY,
                &metadata->authorization_endpoint, what, error) ||
      !get_url (object, "token_endpoint", TRUE, MC_OAUTH_URL_PARTS_QUERY,
                &metadata->token_endpoint, what, error) ||
      !get_url (object, "registration_endpoint", FALSE, MC_OAUTH_URL_PARTS_QUERY,
                &metadata->registration_endpoint, what, error) ||
      !get_url (object, "revocation_endpoint", FALSE, MC_OAUTH_URL_PARTS_QUERY,
                &metadata->revocation_endpoint, what, error) ||
      !get_scopes (object, "scopes_supported", &metadata->scopes_supported, what, error) ||
      !get_string_array (object, "response_types_supported", FALSE,
                         &metadata->response_types_supported, what, error) ||
      !get_string_array (object, "grant_types_supported", FALSE,
                         &metadata->grant_types_supported, what, error) ||
      !get_string_array (object, "code_challenge_methods_supported", FALSE,
                         &metadata->code_challenge_methods_supported, what, error) ||
      !get_string_array (object, "token_endpoint_auth_methods_supported", FALSE,
                         &metadata->token_endpoint_auth_methods_supported, what, error) ||
      !get_boolean (object, "client_id_metadata_document_supported",
                    &metadata->client_id_metadata_document_supported, what, error) ||
      !get_boolean (object, "authorization_response_iss_parameter_supported",
                    &metadata->authorization_response_iss_parameter_supported, what, error))
    return NULL;

  return g_steal_pointer (&metadata);
}

/**
 * mc_auth_server_metadata_new_defaults:
 * @origin: the MCP server's origin (mc_oauth_origin()), which MCP
 *   2025-03-26 calls its "authorization base URL"
 *
 * The metadata MCP 2025-03-26 has clients assume for a server that
 * publishes none ("Fallbacks for Servers without Metadata Discovery"):
 * the authorization server is @origin, with its endpoints at the default
 * paths "/authorize", "/token" and "/register".  Nothing says so, but
 * that version required PKCE of every client and OAuth 2.1 of every
 * server, so S256 is taken as supported; "code" is the only response
 * type.  There is no revocation endpoint, no RFC 9207 "iss", no client
 * ID metadata documents, and no list of scopes or token endpoint
 * methods.  Whether the endpoints exist shows only when they are used:
 * no registration endpoint ends dynamic registration with an HTTP error.
 *
 * Returns: (transfer full): the metadata
 */
McAuthServerMetadata *
mc_auth_server_metadata_new_defaults (const char *origin)
{
  McAuthServerMetadata *metadata = NULL;

  g_return_val_if_fail (origin != NULL, NULL);

  metadata = g_new0 (McAuthServerMetadata, 1);
  metadata->issuer = g_strdup (origin);
  metadata->authorization_endpoint = g_strconcat (origin, "/authorize", NULL);
  metadata->token_endpoint = g_strconcat (origin, "/token", NULL);
  metadata->registration_endpoint = g_strconcat (origin, "/register", NULL);
  metadata->response_types_supported = g_strsplit ("code", " ", -1);
  metadata->code_challenge_methods_supported = g_strsplit ("S256", " ", -1);

  return metadata;
}

/**
 * mc_auth_server_metadata_supports_s256:
 * @self: metadata
 *
 * Whether the server does PKCE with S256.  MCP (2025-11-25,
 * "Authorization Code Protection"): without
 * "code_challenge_methods_supported" the server does not support PKCE, and
 * the client must refuse to go on.
 *
 * Returns: %TRUE if "code_challenge_methods_supported" lists "S256"
 */
gboolean
mc_auth_server_metadata_supports_s256 (const McAuthServerMetadata *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->code_challenge_methods_supported != NULL &&
         g_strv_contains ((const char * const *) self->code_challenge_methods_supported, "S256");
}

/**
 * mc_auth_server_metadata_supports_auth_method:
 * @self: metadata
 * @method: a token endpoint authentication method, e.g. "none"
 *
 * Returns: %TRUE if "token_endpoint_auth_methods_supported" lists @method,
 *   or, when the member is absent, @method is "client_secret_basic", the
 *   default of RFC 8414 §2
 */
gboolean
mc_auth_server_metadata_supports_auth_method (const McAuthServerMetadata *self,
                                              const char                 *method)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (method != NULL, FALSE);

  if (self->token_endpoint_auth_methods_supported == NULL)
    return g_str_equal (method, "client_secret_basic");

  return g_strv_contains ((const char * const *) self->token_endpoint_auth_methods_supported, method);
}

/**
 * mc_auth_server_metadata_free:
 * @self: (nullable) (transfer full): metadata
 */
void
mc_auth_server_metadata_free (McAuthServerMetadata *self)
{
  if (self == NULL)
    return;

  g_free (self->issuer);
  g_free (self->authorization_endpoint);
  g_free (self->token_endpoint);
  g_free (self->registration_endpoint);
  g_free (self->revocation_endpoint);
  g_strfreev (self->scopes_supported);
  g_strfreev (self->response_types_supported);
  g_strfreev (self->grant_types_supported);
  g_strfreev (self->code_challenge_methods_supported);
  g_strfreev (self->token_endpoint_auth_methods_supported);
  g_free (self);
}

/**
 * mc_token_response_parse:
 * @json: (array length=length): the response body
 * @length: its length in bytes
 * @source: the token endpoint, for error messages
 * @error: return location for a #GError
 *
 * Reads a successful token response (RFC 6749 §5.1).  "access_token" is
 * required and must be printable ASCII without spaces (it goes into an
 * Authorization header; RFC 6750 §2.1 is stricter still); "token_type"
 * must be "Bearer", in any case; "expires_in", if there, an integer of at
 * least 0; "refresh_token", if there, printable ASCII (RFC 6749 Appendix
 * A.17); "scope", if there, a valid scope list.  No error message holds a
 * token.
 *
 * Returns: (transfer full): the response, or %NULL with @error set to
 *   %MC_ERROR_REMOTE; free it with mc_token_response_free(), which wipes
 *   the tokens
 */
McTokenResponse *
mc_token_response_parse (const char  *json,
                         gsize        length,
                         const char  *source,
                         GError     **error)
{
  g_autoptr(McTokenResponse) response = g_new0 (McTokenResponse, 1);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) scopes = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (json != NULL || length == 0, NULL);
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  what = describe ("authorization server", source, "a token response");

  object = mc_json_parse_object (json, length, &local_error);
  if (object == NULL)
    {
      set_parse_error (error, what, local_error, TRUE);
      return NULL;
    }

  if (!get_string (object, "access_token", TRUE, &response->access_token, what, error) ||
      !get_string (object, "token_type", TRUE, &response->token_type, what, error) ||
      !get_string (object, "refresh_token", FALSE, &response->refresh_token, what, error) ||
      !get_string (object, "scope", FALSE, &response->scope, what, error) ||
      !get_expires_in (object, &response->expires_in, what, error))
    return NULL;

  if (*response->access_token == '\0' || !is_ascii_range (response->access_token, 0x21))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                   "%s whose “access_token” is empty or has characters other than printable ASCII",
                   what);
      return NULL;
    }

  /* The type is not quoted: a server could have put a token there. */
  if (g_ascii_strcasecmp (response->token_type, "Bearer") != 0)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                   "%s whose “token_type” is not Bearer, the only type the broker can use", what);
      return NULL;
    }

  if (response->refresh_token != NULL &&
      (*response->refresh_token == '\0' || !is_ascii_range (response->refresh_token, 0x20)))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                   "%s whose “refresh_token” is empty or has characters other than printable ASCII",
                   what);
      return NULL;
    }

  /* -1 stands for "absent", so the server may not send it. */
  if (response->expires_in < 0 && has_value (object, "expires_in"))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE, "%s whose “expires_in” is negative", what);
      return NULL;
    }

  if (response->scope != NULL)
    {
      scopes = mc_oauth_scope_split (response->scope, &local_error);
      if (scopes == NULL)
        {
          g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                       "%s whose “scope” is not a valid scope list", what);
          return NULL;
        }
    }

  return g_steal_pointer (&response);
}

/**
 * mc_token_response_free:
 * @self: (nullable) (transfer full): a token response
 *
 * Wipes the tokens, then frees @self.
 */
void
mc_token_response_free (McTokenResponse *self)
{
  if (self == NULL)
    return;

  mc_oauth_secret_free (self->access_token);
  mc_oauth_secret_free (self->refresh_token);
  g_free (self->token_type);
  g_free (self->scope);
  g_free (self);
}

/**
 * mc_oauth_error_parse:
 * @json: (array length=length): a response body
 * @length: its length in bytes
 *
 * Reads an OAuth error response (RFC 6749 §5.2, RFC 7591 §3.2.2) when
 * that is what @json is: a JSON object with a non-empty string "error".
 * "error_description" and "error_uri" are kept when they are strings, as
 * the server wrote them (show them cleaned, mc_text_clean_for_display()).
 * Meant for the body of a failed request, which may be anything: this
 * never sets an error.
 *
 * Returns: (transfer full) (nullable): the error, or %NULL if @json is not
 *   an OAuth error response
 */
McOAuthError *
mc_oauth_error_parse (const char *json,
                      gsize       length)
{
  g_autoptr(McOAuthError) oauth_error = g_new0 (McOAuthError, 1);
  g_autoptr(JsonObject) object = NULL;

  g_return_val_if_fail (json != NULL || length == 0, NULL);

  object = mc_json_parse_object (json, length, NULL);
  if (object == NULL)
    return NULL;

  if (!mc_json_get_string (object, "error", TRUE, &oauth_error->error, NULL) ||
      *oauth_error->error == '\0')
    return NULL;

  /* Optional, and an error about an error would hide the first one. */
  if (!mc_json_get_string (object, "error_description", FALSE, &oauth_error->error_description, NULL))
    g_clear_pointer (&oauth_error->error_description, g_free);
  if (!mc_json_get_string (object, "error_uri", FALSE, &oauth_error->error_uri, NULL))
    g_clear_pointer (&oauth_error->error_uri, g_free);

  return g_steal_pointer (&oauth_error);
}

/**
 * mc_oauth_error_free:
 * @self: (nullable) (transfer full): an OAuth error
 */
void
mc_oauth_error_free (McOAuthError *self)
{
  if (self == NULL)
    return;

  g_free (self->error);
  g_free (self->error_description);
  g_free (self->error_uri);
  g_free (self);
}

/**
 * mc_client_registration_parse:
 * @json: (array length=length): the response body
 * @length: its length in bytes
 * @source: the registration endpoint, for error messages
 * @error: return location for a #GError
 *
 * Reads a client information response of dynamic client registration (RFC
 * 7591 §3.2.1).  "client_id" is required, non-empty and without control
 * characters; "client_secret", if there and not empty, is kept (an empty
 * one counts as none); "client_secret_expires_at" is an integer of at
 * least 0, 0 (never) when absent; "token_endpoint_auth_method" is RFC
 * 7591 §2's default, "client_secret_basic", when absent.  No error message
 * holds the secret.
 *
 * Returns: (transfer full): the registration, or %NULL with @error set to
 *   %MC_ERROR_REMOTE; free it with mc_client_registration_free(), which
 *   wipes the secret
 */
McClientRegistration *
mc_client_registration_parse (const char  *json,
                              gsize        length,
                              const char  *source,
                              GError     **error)
{
  g_autoptr(McClientRegistration) registration = g_new0 (McClientRegistration, 1);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (json != NULL || length == 0, NULL);
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  what = describe ("authorization server", source, "a client registration");

  object = mc_json_parse_object (json, length, &local_error);
  if (object == NULL)
    {
      set_parse_error (error, what, local_error, TRUE);
      return NULL;
    }

  if (!get_string (object, "client_id", TRUE, &registration->client_id, what, error) ||
      !get_string (object, "client_secret", FALSE, &registration->client_secret, what, error) ||
      !get_int (object, "client_secret_expires_at", 0, &registration->client_secret_expires_at,
                what, error) ||
      !get_string (object, "token_endpoint_auth_method", FALSE,
                   &registration->token_endpoint_auth_method, what, error) ||
      !get_string_array (object, "redirect_uris", FALSE, &registration->redirect_uris, what, error))
    return NULL;

  if (*registration->client_id == '\0' || has_control_char (registration->client_id))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                   "%s whose “client_id” is empty or has a control character", what);
      return NULL;
    }

  if (registration->client_secret != NULL && *registration->client_secret == '\0')
    g_clear_pointer (&registration->client_secret, mc_oauth_secret_free);

  if (registration->client_secret_expires_at < 0)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                   "%s whose “client_secret_expires_at” is negative", what);
      return NULL;
    }

  if (registration->token_endpoint_auth_method == NULL)
    {
      registration->token_endpoint_auth_method = g_strdup ("client_secret_basic");
    }
  else if (*registration->token_endpoint_auth_method == '\0' ||
           has_control_char (registration->token_endpoint_auth_method))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_REMOTE,
                   "%s whose “token_endpoint_auth_method” is empty or has a control character", what);
      return NULL;
    }

  return g_steal_pointer (&registration);
}

/**
 * mc_client_registration_free:
 * @self: (nullable) (transfer full): a registration
 *
 * Wipes the client secret, then frees @self.
 */
void
mc_client_registration_free (McClientRegistration *self)
{
  if (self == NULL)
    return;

  g_free (self->client_id);
  mc_oauth_secret_free (self->client_secret);
  g_free (self->token_endpoint_auth_method);
  g_strfreev (self->redirect_uris);
  g_free (self);
}
