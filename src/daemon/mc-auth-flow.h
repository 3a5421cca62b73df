/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-caller-info.h"
#include "mc-client-registry.h"
#include "mc-grant-store.h"
#include "mc-http.h"
#include "mc-policy.h"
#include "mc-url-verdict.h"
#include "mc-www-authenticate.h"

G_BEGIN_DECLS

/**
 * McAuthError:
 * @MC_AUTH_ERROR_DISCOVERY: no usable resource or authorization server
 *   metadata
 * @MC_AUTH_ERROR_NO_PKCE: the authorization server does not do PKCE S256
 * @MC_AUTH_ERROR_NO_CLIENT: no client registration is possible
 * @MC_AUTH_ERROR_REGISTRATION: dynamic registration failed
 * @MC_AUTH_ERROR_ACCESS_DENIED: the user (or the server) refused at the
 *   authorization server
 * @MC_AUTH_ERROR_AUTHORIZATION: the authorization server answered the
 *   sign-in with another error
 * @MC_AUTH_ERROR_TOKEN: the token endpoint refused or failed
 * @MC_AUTH_ERROR_SCOPE_ESCALATION: the token grants more than the user
 *   allowed; it was refused (and revoked where possible)
 * @MC_AUTH_ERROR_NO_BROWSER: no browser could be started
 * @MC_AUTH_ERROR_TOO_MANY_ATTEMPTS: too many step-ups for this server
 * @MC_AUTH_ERROR_REDIRECT_PORT: the registered redirect port is taken
 *
 * Why a sign-in failed; each has the "reason" string of Authorize's
 * Response (mc_auth_error_to_reason()).
 */
typedef enum
{
  MC_AUTH_ERROR_DISCOVERY,
  MC_AUTH_ERROR_NO_PKCE,
  MC_AUTH_ERROR_NO_CLIENT,
  MC_AUTH_ERROR_REGISTRATION,
  MC_AUTH_ERROR_ACCESS_DENIED,
  MC_AUTH_ERROR_AUTHORIZATION,
  MC_AUTH_ERROR_TOKEN,
  MC_AUTH_ERROR_SCOPE_ESCALATION,
  MC_AUTH_ERROR_NO_BROWSER,
  MC_AUTH_ERROR_TOO_MANY_ATTEMPTS,
  MC_AUTH_ERROR_REDIRECT_PORT,
  MC_AUTH_ERROR_POLICY,
} McAuthError;

#define MC_AUTH_ERROR (mc_auth_error_quark ())

GQuark      mc_auth_error_quark     (void);
const char *mc_auth_error_to_reason (const GError *error);

/* What the flows share: one HTTP client, the client registry, the grants. */
typedef struct
{
  McHttp           *http;
  McClientRegistry *clients;
  McGrantStore     *grants;
} McAuthServices;

#define MC_TYPE_AUTH_FLOW (mc_auth_flow_get_type ())

G_DECLARE_FINAL_TYPE (McAuthFlow, mc_auth_flow, MC, AUTH_FLOW, GObject)

McAuthFlow *mc_auth_flow_new                  (const McAuthServices  *services,
                                               McCallerInfo          *caller,
                                               const char            *resource,
                                               McBearerChallenge     *challenge,
                                               const char * const    *scopes);
void        mc_auth_flow_discover_async       (McAuthFlow            *self,
                                               GCancellable          *cancellable,
                                               GAsyncReadyCallback    callback,
                                               gpointer               user_data);
gboolean    mc_auth_flow_discover_finish      (McAuthFlow            *self,
                                               GAsyncResult          *result,
                                               GError               **error);
void        mc_auth_flow_set_policy           (McAuthFlow            *self,
                                               McPolicy              *policy);
const char *mc_auth_flow_get_blocking_rule    (McAuthFlow            *self);
GVariant   *mc_auth_flow_get_consent_details  (McAuthFlow            *self);
const char *mc_auth_flow_get_resource         (McAuthFlow            *self);
const char *mc_auth_flow_get_server_name      (McAuthFlow            *self);
const char *mc_auth_flow_get_authorization_endpoint (McAuthFlow      *self);
McUrlVerdict *mc_auth_flow_get_as_verdict     (McAuthFlow            *self);
void        mc_auth_flow_sign_in_async        (McAuthFlow            *self,
                                               const char * const    *allowed_scopes,
                                               GCancellable          *cancellable,
                                               GAsyncReadyCallback    callback,
                                               gpointer               user_data);
McGrant    *mc_auth_flow_sign_in_finish       (McAuthFlow            *self,
                                               GAsyncResult          *result,
                                               GError               **error);

G_END_DECLS
