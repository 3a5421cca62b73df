/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-client-registry.h"
#include "mc-http.h"
#include "mc-oauth-metadata.h"

G_BEGIN_DECLS

/* The three requests a client makes to an authorization server's back
 * end — code exchange, refresh, revocation — with the client
 * authentication its registration says ("none", "client_secret_basic",
 * "client_secret_post"). */

void             mc_oauth_token_request_async  (McHttp               *http,
                                                const char           *token_endpoint,
                                                const McOAuthClient  *client,
                                                const char           *client_secret,
                                                const char * const   *names,
                                                const char * const   *values,
                                                gsize                 n_fields,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
McTokenResponse *mc_oauth_token_request_finish (McHttp               *http,
                                                GAsyncResult         *result,
                                                char                **out_oauth_error,
                                                GError              **error);
void             mc_oauth_revoke_async         (McHttp               *http,
                                                const char           *revocation_endpoint,
                                                const McOAuthClient  *client,
                                                const char           *client_secret,
                                                const char           *token,
                                                const char           *token_type_hint,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean         mc_oauth_revoke_finish        (McHttp               *http,
                                                GAsyncResult         *result,
                                                GError              **error);

void             mc_oauth_revoke_refused       (McHttp                *http,
                                                const char            *revocation_endpoint,
                                                const McOAuthClient   *client,
                                                const char            *client_secret,
                                                const McTokenResponse *response);

G_END_DECLS
