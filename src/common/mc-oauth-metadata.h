/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Readers of the JSON documents of OAuth: every one takes untrusted bytes
 * and the URL they came from (@source, named in errors), refuses what it
 * cannot use with MC_ERROR_REMOTE naming the server and the field, and
 * never puts a secret (a token, a client secret) in an error message. */

/**
 * McProtectedResourceMetadata:
 * @resource: the resource identifier (RFC 9728 §2, required)
 * @authorization_servers: issuers, at least one (required by MCP)
 * @scopes_supported: (nullable): %NULL when the member is absent, which is
 *   not the same as an empty list (MCP: omit "scope" only when absent)
 * @bearer_methods_supported: (nullable): as given
 * @resource_name: (nullable): a human-readable name
 *
 * An OAuth 2.0 Protected Resource Metadata document (RFC 9728).
 */
typedef struct
{
  char  *resource;
  GStrv  authorization_servers;
  GStrv  scopes_supported;
  GStrv  bearer_methods_supported;
  char  *resource_name;
} McProtectedResourceMetadata;

/**
 * McAuthServerMetadata:
 * @issuer: the issuer identifier (required)
 * @authorization_endpoint: (required)
 * @token_endpoint: (required)
 * @registration_endpoint: (nullable): RFC 7591 dynamic registration
 * @revocation_endpoint: (nullable): RFC 7009 revocation
 * @scopes_supported: (nullable)
 * @response_types_supported: (nullable)
 * @grant_types_supported: (nullable)
 * @code_challenge_methods_supported: (nullable): %NULL when absent (then
 *   the server does not do PKCE, and MCP clients must refuse it)
 * @token_endpoint_auth_methods_supported: (nullable)
 * @client_id_metadata_document_supported: whether the server takes a
 *   client ID metadata document URL as client_id
 * @authorization_response_iss_parameter_supported: RFC 9207: the server
 *   sends "iss" in authorization responses, so it must be there
 *
 * OAuth 2.0 Authorization Server Metadata (RFC 8414), or an OpenID
 * Connect discovery document, which has the same members.
 */
typedef struct
{
  char     *issuer;
  char     *authorization_endpoint;
  char     *token_endpoint;
  char     *registration_endpoint;
  char     *revocation_endpoint;
  GStrv     scopes_supported;
  GStrv     response_types_supported;
  GStrv     grant_types_supported;
  GStrv     code_challenge_methods_supported;
  GStrv     token_endpoint_auth_methods_supported;
  gboolean  client_id_metadata_document_supported;
  gboolean  authorization_response_iss_parameter_supported;
} McAuthServerMetadata;

/**
 * McTokenResponse:
 * @access_token: the access token (secret)
 * @token_type: as given; parsing checks it is "Bearer", in any case
 * @refresh_token: (nullable): the refresh token (secret)
 * @scope: (nullable): the granted scope, space-separated; %NULL when the
 *   server did not say (then it granted what was asked, RFC 6749 §5.1)
 * @expires_in: lifetime in seconds, or -1 when the server did not say
 *
 * A successful token endpoint response (RFC 6749 §5.1).
 */
typedef struct
{
  char   *access_token;
  char   *token_type;
  char   *refresh_token;
  char   *scope;
  gint64  expires_in;
} McTokenResponse;

/**
 * McOAuthError:
 * @error: the error code (e.g. "invalid_grant")
 * @error_description: (nullable): human-readable, as the server wrote it
 * @error_uri: (nullable)
 *
 * An OAuth error response (RFC 6749 §5.2; RFC 7591 §3.2.2).
 */
typedef struct
{
  char *error;
  char *error_description;
  char *error_uri;
} McOAuthError;

/**
 * McClientRegistration:
 * @client_id: (required)
 * @client_secret: (nullable): secret
 * @client_secret_expires_at: Unix time, 0 for never
 * @token_endpoint_auth_method: the method registered; RFC 7591's default
 *   ("client_secret_basic") when the response does not say
 * @redirect_uris: (nullable): as registered
 *
 * A dynamic client registration response (RFC 7591 §3.2.1).
 */
typedef struct
{
  char   *client_id;
  char   *client_secret;
  gint64  client_secret_expires_at;
  char   *token_endpoint_auth_method;
  GStrv   redirect_uris;
} McClientRegistration;

McProtectedResourceMetadata *mc_protected_resource_metadata_parse (const char                        *json,
                                                                   gsize                              length,
                                                                   const char                        *source,
                                                                   GError                           **error);
void                         mc_protected_resource_metadata_free  (McProtectedResourceMetadata       *self);

McAuthServerMetadata        *mc_auth_server_metadata_parse        (const char                        *json,
                                                                   gsize                              length,
                                                                   const char                        *source,
                                                                   GError                           **error);
McAuthServerMetadata        *mc_auth_server_metadata_new_defaults (const char                        *origin);
gboolean                     mc_auth_server_metadata_supports_s256 (const McAuthServerMetadata       *self);
gboolean                     mc_auth_server_metadata_supports_auth_method (const McAuthServerMetadata *self,
                                                                   const char                        *method);
void                         mc_auth_server_metadata_free         (McAuthServerMetadata              *self);

McTokenResponse             *mc_token_response_parse              (const char                        *json,
                                                                   gsize                              length,
                                                                   const char                        *source,
                                                                   GError                           **error);
void                         mc_token_response_free               (McTokenResponse                   *self);

McOAuthError                *mc_oauth_error_parse                 (const char                        *json,
                                                                   gsize                              length);
void                         mc_oauth_error_free                  (McOAuthError                      *self);

McClientRegistration        *mc_client_registration_parse         (const char                        *json,
                                                                   gsize                              length,
                                                                   const char                        *source,
                                                                   GError                           **error);
void                         mc_client_registration_free          (McClientRegistration              *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McProtectedResourceMetadata, mc_protected_resource_metadata_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McAuthServerMetadata, mc_auth_server_metadata_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTokenResponse, mc_token_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McOAuthError, mc_oauth_error_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McClientRegistration, mc_client_registration_free)

G_END_DECLS
