/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-grant-store.h"
#include "mc-http.h"

G_BEGIN_DECLS

/* Refresh an access token this long before it expires, so that a token
 * handed out is still good when the caller's request reaches the server. */
#define MC_TOKEN_SERVICE_REFRESH_MARGIN 60

#define MC_TYPE_TOKEN_SERVICE (mc_token_service_get_type ())

G_DECLARE_FINAL_TYPE (McTokenService, mc_token_service, MC, TOKEN_SERVICE, GObject)

McTokenService *mc_token_service_new               (McHttp          *http,
                                                    McGrantStore    *grants);
void            mc_token_service_get_token_async   (McTokenService  *self,
                                                    const char      *grant_id,
                                                    gboolean         force_refresh,
                                                    GCancellable    *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer         user_data);
char           *mc_token_service_get_token_finish  (McTokenService  *self,
                                                    GAsyncResult    *result,
                                                    McGrant        **out_grant,
                                                    GError         **error);
void            mc_token_service_revoke_async      (McTokenService  *self,
                                                    const char      *grant_id,
                                                    GCancellable    *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer         user_data);
gboolean        mc_token_service_revoke_finish     (McTokenService  *self,
                                                    GAsyncResult    *result,
                                                    gboolean        *out_revoked_at_server,
                                                    guint           *out_items_deleted,
                                                    GError         **error);

void            mc_token_service_forget_cached     (McTokenService  *self,
                                                    const char      *grant_id);
void            mc_token_service_shutdown          (McTokenService  *self);

G_END_DECLS
