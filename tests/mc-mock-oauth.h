/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The PRM path that no well-known rule derives: a client only finds it
 * through the resource_metadata of a challenge. */
#define MC_MOCK_OAUTH_PRM_CUSTOM_PATH "/meta/prm"
#define MC_MOCK_OAUTH_RESOURCE_PATH   "/mcp"

/**
 * McMockOAuthPrm:
 * @MC_MOCK_OAUTH_PRM_NONE: nowhere
 * @MC_MOCK_OAUTH_PRM_CUSTOM: at %MC_MOCK_OAUTH_PRM_CUSTOM_PATH
 * @MC_MOCK_OAUTH_PRM_PATH_INSERTED: at
 *   /.well-known/oauth-protected-resource/mcp (RFC 9728 §3.1)
 * @MC_MOCK_OAUTH_PRM_ROOT: at /.well-known/oauth-protected-resource
 *
 * Where the Protected Resource Metadata answers (flags), or which of those
 * URLs a challenge names (one value).
 */
typedef enum
{
  MC_MOCK_OAUTH_PRM_NONE          = 0,
  MC_MOCK_OAUTH_PRM_CUSTOM        = 1 << 0,
  MC_MOCK_OAUTH_PRM_PATH_INSERTED = 1 << 1,
  MC_MOCK_OAUTH_PRM_ROOT          = 1 << 2,
} McMockOAuthPrm;

/**
 * McMockOAuthAsMetadata:
 * @MC_MOCK_OAUTH_AS_METADATA_NONE: nowhere
 * @MC_MOCK_OAUTH_AS_METADATA_OAUTH: RFC 8414:
 *   /.well-known/oauth-authorization-server[/issuer-path]
 * @MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED: OpenID path insertion:
 *   /.well-known/openid-configuration[/issuer-path]
 * @MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED: OpenID path appending:
 *   [/issuer-path]/.well-known/openid-configuration
 * @MC_MOCK_OAUTH_AS_METADATA_LEGACY: MCP 2025-03-26: RFC 8414 metadata at
 *   /.well-known/oauth-authorization-server on the resource's origin,
 *   whatever the issuer's path (as the conformance suite's
 *   auth/2025-03-26-oauth-metadata-backcompat serves it)
 *
 * Which authorization server metadata URLs answer (flags). For an issuer
 * without a path both OpenID flags name the same URL, and LEGACY the
 * same as OAUTH unless the authorization server has an origin of its own.
 */
typedef enum
{
  MC_MOCK_OAUTH_AS_METADATA_NONE          = 0,
  MC_MOCK_OAUTH_AS_METADATA_OAUTH         = 1 << 0,
  MC_MOCK_OAUTH_AS_METADATA_OIDC_INSERTED = 1 << 1,
  MC_MOCK_OAUTH_AS_METADATA_OIDC_APPENDED = 1 << 2,
  MC_MOCK_OAUTH_AS_METADATA_LEGACY        = 1 << 3,
} McMockOAuthAsMetadata;

/**
 * McMockOAuthRedirectMatch:
 * @MC_MOCK_OAUTH_REDIRECT_ANY_LOOPBACK_PORT: a loopback redirect URI
 *   matches a registered one that differs only in its port (RFC 8252 §7.3,
 *   what MCP clients rely on); others must be equal
 * @MC_MOCK_OAUTH_REDIRECT_EXACT: string equality with a registered URI
 */
typedef enum
{
  MC_MOCK_OAUTH_REDIRECT_ANY_LOOPBACK_PORT,
  MC_MOCK_OAUTH_REDIRECT_EXACT,
} McMockOAuthRedirectMatch;

/**
 * McMockOAuthAuthorizeMode:
 * @MC_MOCK_OAUTH_AUTHORIZE_APPROVE: a valid request gets a code
 * @MC_MOCK_OAUTH_AUTHORIZE_DENY: a valid request gets error=access_denied,
 *   as when the user declines
 * @MC_MOCK_OAUTH_AUTHORIZE_ERROR_PAGE: a valid request gets a 400 page and
 *   no redirect, as when the server dislikes something
 *
 * What the user does at /authorize. Invalid requests always get a 400 page.
 */
typedef enum
{
  MC_MOCK_OAUTH_AUTHORIZE_APPROVE,
  MC_MOCK_OAUTH_AUTHORIZE_DENY,
  MC_MOCK_OAUTH_AUTHORIZE_ERROR_PAGE,
} McMockOAuthAuthorizeMode;

/**
 * McMockOAuthIss:
 * @MC_MOCK_OAUTH_ISS_AUTO: send the issuer exactly when the metadata says
 *   authorization_response_iss_parameter_supported
 * @MC_MOCK_OAUTH_ISS_ALWAYS: send the issuer, advertised or not
 * @MC_MOCK_OAUTH_ISS_OMIT: never send iss, advertised or not
 * @MC_MOCK_OAUTH_ISS_WRONG: send an iss that is not the issuer
 *
 * The RFC 9207 "iss" of authorization responses, codes and errors alike.
 */
typedef enum
{
  MC_MOCK_OAUTH_ISS_AUTO,
  MC_MOCK_OAUTH_ISS_ALWAYS,
  MC_MOCK_OAUTH_ISS_OMIT,
  MC_MOCK_OAUTH_ISS_WRONG,
} McMockOAuthIss;

/**
 * McMockOAuthTokenFailure:
 * @MC_MOCK_OAUTH_TOKEN_OK: answer token requests on their merits
 * @MC_MOCK_OAUTH_TOKEN_HTTP_500: 500 with a server_error JSON body
 * @MC_MOCK_OAUTH_TOKEN_MALFORMED_JSON: 200 with a truncated JSON body
 * @MC_MOCK_OAUTH_TOKEN_BAD_REQUEST: 400 invalid_request
 * @MC_MOCK_OAUTH_TOKEN_INVALID_GRANT_ON_REFRESH: refresh requests get
 *   400 invalid_grant, as when the user revoked access at the server;
 *   authorization code requests are answered on their merits
 *
 * A failure /token answers with instead of doing its work. Requests are
 * still recorded and counted, but change no state (codes stay unused,
 * refresh tokens stay valid).
 */
typedef enum
{
  MC_MOCK_OAUTH_TOKEN_OK,
  MC_MOCK_OAUTH_TOKEN_HTTP_500,
  MC_MOCK_OAUTH_TOKEN_MALFORMED_JSON,
  MC_MOCK_OAUTH_TOKEN_BAD_REQUEST,
  MC_MOCK_OAUTH_TOKEN_INVALID_GRANT_ON_REFRESH,
} McMockOAuthTokenFailure;

/**
 * McMockOAuthEndpoint:
 * @MC_MOCK_OAUTH_ENDPOINT_OTHER: anything else (answered 404)
 * @MC_MOCK_OAUTH_ENDPOINT_PRM: any Protected Resource Metadata URL, served
 *   or not
 * @MC_MOCK_OAUTH_ENDPOINT_AS_METADATA: any authorization server metadata
 *   URL (RFC 8414 or OpenID, inserted or appended), served or not
 * @MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE: the authorization endpoint
 * @MC_MOCK_OAUTH_ENDPOINT_TOKEN: the token endpoint
 * @MC_MOCK_OAUTH_ENDPOINT_REGISTER: the RFC 7591 registration endpoint
 * @MC_MOCK_OAUTH_ENDPOINT_REVOKE: the RFC 7009 revocation endpoint
 * @MC_MOCK_OAUTH_ENDPOINT_RESOURCE: the protected MCP resource
 *
 * What a request was for, by its path and the origin it reached.
 */
typedef enum
{
  MC_MOCK_OAUTH_ENDPOINT_OTHER,
  MC_MOCK_OAUTH_ENDPOINT_PRM,
  MC_MOCK_OAUTH_ENDPOINT_AS_METADATA,
  MC_MOCK_OAUTH_ENDPOINT_AUTHORIZE,
  MC_MOCK_OAUTH_ENDPOINT_TOKEN,
  MC_MOCK_OAUTH_ENDPOINT_REGISTER,
  MC_MOCK_OAUTH_ENDPOINT_REVOKE,
  MC_MOCK_OAUTH_ENDPOINT_RESOURCE,
} McMockOAuthEndpoint;

/**
 * McMockOAuthCounter:
 *
 * Requests counted when they arrive, whatever the answer (a delayed
 * response is counted before the delay). %MC_MOCK_OAUTH_COUNT_REFRESH_REUSED
 * counts refresh requests with a refresh token that rotation replaced;
 * the RESOURCE counters count /mcp answers by status.
 */
typedef enum
{
  MC_MOCK_OAUTH_COUNT_METADATA,
  MC_MOCK_OAUTH_COUNT_AUTHORIZE,
  MC_MOCK_OAUTH_COUNT_TOKEN_AUTHORIZATION_CODE,
  MC_MOCK_OAUTH_COUNT_TOKEN_REFRESH,
  MC_MOCK_OAUTH_COUNT_TOKEN_OTHER,
  MC_MOCK_OAUTH_COUNT_REFRESH_REUSED,
  MC_MOCK_OAUTH_COUNT_REGISTRATION,
  MC_MOCK_OAUTH_COUNT_REVOCATION,
  MC_MOCK_OAUTH_COUNT_RESOURCE_OK,
  MC_MOCK_OAUTH_COUNT_RESOURCE_UNAUTHORIZED,
  MC_MOCK_OAUTH_COUNT_RESOURCE_FORBIDDEN,
  MC_MOCK_OAUTH_N_COUNTERS,
} McMockOAuthCounter;

/**
 * McMockOAuthOptions:
 * @issuer_path: (nullable): the path of the issuer ("/tenant1"), or %NULL
 *   for an issuer that is an origin. Fixed at construction
 * @separate_as_origin: serve the authorization server from a second port
 *   (another origin) rather than the resource's. Fixed at construction
 * @prm_locations: where the PRM answers; elsewhere is
 *   @prm_missing_status
 * @prm_missing_status: what PRM URLs that do not answer answer instead:
 *   0 (the default) for 404, else this status (500 for a broken server)
 * @challenge_prm: which PRM URL challenges name in resource_metadata, or
 *   %MC_MOCK_OAUTH_PRM_NONE to leave resource_metadata out
 * @prm_resource: (nullable): the PRM's "resource" if not the real one
 * @prm_authorization_servers: (nullable): the PRM's
 *   "authorization_servers" if not [the issuer]
 * @scopes_supported: (nullable): the PRM's "scopes_supported"; %NULL
 *   leaves the member out
 * @resource_name: (nullable): the PRM's "resource_name"
 * @as_metadata: which authorization server metadata URLs answer
 * @as_metadata_missing_status: what authorization server metadata URLs
 *   that do not answer answer instead: 0 for 404, else this status
 * @authorization_endpoint_override: (nullable): the metadata's
 *   "authorization_endpoint" if not the mock's own (a sign-in that gets
 *   as far as the browser then fails there)
 * @issuer_override: (nullable): the metadata's "issuer" if not the real
 *   one; the "iss" of authorization responses follows it
 * @code_challenge_methods: (nullable): "code_challenge_methods_supported";
 *   %NULL leaves it out. /authorize accepts S256, and plain when listed
 * @registration_endpoint: advertise and serve /register
 * @revocation_endpoint: advertise and serve /revoke
 * @client_id_metadata_document_supported: advertise it, and take https
 *   URLs with a path as client ids without registration
 * @iss_parameter_supported: advertise
 *   authorization_response_iss_parameter_supported
 * @token_endpoint_auth_methods: (nullable): the methods advertised, and
 *   those registration grants (the first one when the client asks for
 *   another); %NULL leaves the member out and grants any
 * @as_scopes_supported: (nullable): the metadata's "scopes_supported"
 * @redirect_match: how /authorize matches redirect URIs
 * @authorize_mode: what the "user" does
 * @iss: the "iss" of authorization responses
 * @token_failure: how /token fails, if it does
 * @token_delay_ms: how long /token holds its answers (the server thread
 *   keeps serving meanwhile)
 * @expires_in: access token lifetime in seconds (0: expired at once); a
 *   negative value leaves "expires_in" out and the token never expires
 * @refresh_tokens: issue refresh tokens
 * @rotate_refresh_tokens: each refresh issues a new refresh token and
 *   invalidates the one used; otherwise the response has none and the old
 *   one stays valid
 * @extra_scope: (nullable): a scope granted beyond what was asked, by code
 *   exchanges and refreshes alike
 * @omit_scope: leave "scope" out of token responses
 * @challenge_scope: (nullable): the scope of 401 challenges from /mcp
 * @required_scope: (nullable): scopes /mcp requires (space-separated):
 *   a valid token without them gets 403 insufficient_scope
 *
 * What the mock does. Initialise with mc_mock_oauth_options_init(); the
 * defaults are a spec-conformant server: PRM at the path-inserted
 * well-known URL and named by challenges, RFC 8414 metadata, S256, dynamic
 * registration, revocation, iss, one-hour access tokens, rotated refresh
 * tokens. Strings are copied.
 */
typedef struct
{
  const char                *issuer_path;
  gboolean                   separate_as_origin;

  McMockOAuthPrm             prm_locations;
  guint                      prm_missing_status;
  McMockOAuthPrm             challenge_prm;
  const char                *prm_resource;
  const char * const        *prm_authorization_servers;
  const char * const        *scopes_supported;
  const char                *resource_name;

  McMockOAuthAsMetadata      as_metadata;
  guint                      as_metadata_missing_status;
  const char                *issuer_override;
  const char                *authorization_endpoint_override;
  const char * const        *code_challenge_methods;
  gboolean                   registration_endpoint;
  gboolean                   revocation_endpoint;
  gboolean                   client_id_metadata_document_supported;
  gboolean                   iss_parameter_supported;
  const char * const        *token_endpoint_auth_methods;
  const char * const        *as_scopes_supported;

  McMockOAuthRedirectMatch   redirect_match;
  McMockOAuthAuthorizeMode   authorize_mode;
  McMockOAuthIss             iss;

  McMockOAuthTokenFailure    token_failure;
  guint                      token_delay_ms;
  gint64                     expires_in;
  gboolean                   refresh_tokens;
  gboolean                   rotate_refresh_tokens;
  const char                *extra_scope;
  gboolean                   omit_scope;

  const char                *challenge_scope;
  const char                *required_scope;
} McMockOAuthOptions;

/**
 * McMockOAuthRequest:
 * @endpoint: what it was for
 * @method: the HTTP method
 * @url: the URL it reached: origin, path and query
 * @host: (nullable): its Host header
 * @authorization: (nullable): its Authorization header
 * @params: the query (GET) or form fields (POST), name to value; never
 *   %NULL
 * @body: (nullable): the request body as sent, when there was one
 * @client_auth: (nullable): at /token and /revoke, how the client
 *   identified itself: "client_secret_basic" (an Authorization: Basic
 *   header), "client_secret_post" (a client_secret field) or "none"
 * @status: the status of the answer
 *
 * One request the mock received.
 */
typedef struct
{
  McMockOAuthEndpoint  endpoint;
  char                *method;
  char                *url;
  char                *host;
  char                *authorization;
  GHashTable          *params;
  char                *body;
  char                *client_auth;
  guint                status;
} McMockOAuthRequest;

typedef struct _McMockOAuth McMockOAuth;

void                mc_mock_oauth_options_init               (McMockOAuthOptions       *options);

McMockOAuth        *mc_mock_oauth_new                        (const McMockOAuthOptions *options);
void                mc_mock_oauth_free                       (McMockOAuth              *self);

void                mc_mock_oauth_reconfigure                (McMockOAuth              *self,
                                                              const McMockOAuthOptions *options);
void                mc_mock_oauth_set_authorize_mode         (McMockOAuth              *self,
                                                              McMockOAuthAuthorizeMode  mode);
void                mc_mock_oauth_set_iss                    (McMockOAuth              *self,
                                                              McMockOAuthIss            iss);
void                mc_mock_oauth_set_token_failure          (McMockOAuth              *self,
                                                              McMockOAuthTokenFailure   failure);
void                mc_mock_oauth_set_token_delay            (McMockOAuth              *self,
                                                              guint                     milliseconds);
void                mc_mock_oauth_set_required_scope         (McMockOAuth              *self,
                                                              const char               *scope);
void                mc_mock_oauth_add_client                 (McMockOAuth              *self,
                                                              const char               *client_id,
                                                              const char               *client_secret,
                                                              const char               *auth_method,
                                                              const char               *redirect_uri);
void                mc_mock_oauth_expire_access_tokens       (McMockOAuth              *self);

const char         *mc_mock_oauth_get_origin                 (McMockOAuth              *self);
const char         *mc_mock_oauth_get_as_origin              (McMockOAuth              *self);
const char         *mc_mock_oauth_get_resource_url           (McMockOAuth              *self);
const char         *mc_mock_oauth_get_issuer                 (McMockOAuth              *self);
const char         *mc_mock_oauth_get_endpoint_url           (McMockOAuth              *self,
                                                              McMockOAuthEndpoint       endpoint);
const char         *mc_mock_oauth_get_prm_url                (McMockOAuth              *self,
                                                              McMockOAuthPrm            location);
const char         *mc_mock_oauth_get_as_metadata_url        (McMockOAuth              *self,
                                                              McMockOAuthAsMetadata     location);
char               *mc_mock_oauth_dup_challenge              (McMockOAuth              *self,
                                                              const char               *scope,
                                                              const char               *error);

guint               mc_mock_oauth_get_count                  (McMockOAuth              *self,
                                                              McMockOAuthCounter        counter);
GPtrArray          *mc_mock_oauth_dup_requests               (McMockOAuth              *self,
                                                              McMockOAuthEndpoint       endpoint);
GHashTable         *mc_mock_oauth_dup_last_params            (McMockOAuth              *self,
                                                              McMockOAuthEndpoint       endpoint);
GStrv               mc_mock_oauth_dup_metadata_urls          (McMockOAuth              *self);
char               *mc_mock_oauth_dup_last_authorize_error   (McMockOAuth              *self);
GStrv               mc_mock_oauth_dup_valid_access_tokens    (McMockOAuth              *self);
gboolean            mc_mock_oauth_is_access_token_valid      (McMockOAuth              *self,
                                                              const char               *token);
char               *mc_mock_oauth_dup_last_access_token      (McMockOAuth              *self);
char               *mc_mock_oauth_dup_last_refresh_token     (McMockOAuth              *self);
char               *mc_mock_oauth_dup_last_registered_client (McMockOAuth              *self);
GStrv               mc_mock_oauth_dup_metadata_document_clients (McMockOAuth           *self);

char               *mc_mock_oauth_authorize_in_browser       (McMockOAuth              *self,
                                                              const char               *authorization_url,
                                                              GError                  **error);
guint               mc_mock_oauth_fetch                      (const char               *url,
                                                              const char               *host_header_override,
                                                              char                    **out_body);

McMockOAuthRequest *mc_mock_oauth_request_copy               (const McMockOAuthRequest *request);
void                mc_mock_oauth_request_free               (McMockOAuthRequest       *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McMockOAuth, mc_mock_oauth_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McMockOAuthRequest, mc_mock_oauth_request_free)

G_END_DECLS
