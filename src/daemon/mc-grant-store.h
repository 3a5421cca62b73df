/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McGrant:
 * @id: the grant's id (random; what RevokeGrant takes)
 * @app: the caller identity key the grant is bound to ("flatpak:…",
 *   "host-app:…", "host")
 * @app_id: (nullable): the app id, for display
 * @resource: the MCP server's canonical URI
 * @issuer: the authorization server's issuer
 * @client_id: the OAuth client the tokens were issued to
 * @auth_method: the client's token endpoint auth method ("none",
 *   "client_secret_basic", "client_secret_post")
 * @token_endpoint: where to refresh
 * @revocation_endpoint: (nullable): RFC 7009, where to revoke
 * @scopes: the scopes granted (possibly empty)
 * @created: Unix seconds
 * @signed_in: Unix seconds of the last sign-in (the grant's creation, or a
 *   later Authorize that renewed it); what the policy's max-grant-lifetime
 *   counts from
 * @last_used: Unix seconds, 0 if never
 * @expires_at: Unix seconds when the access token expires, 0 if unknown
 * @has_refresh_token: whether a refresh token is in the keyring
 * @needs_sign_in: the refresh token was refused (invalid_grant): only a new
 *   Authorize helps
 *
 * What the broker knows about a grant, without its secrets (those are in
 * the keyring, keyed by resource, issuer, client and app).
 */
typedef struct
{
  char     *id;
  char     *app;
  char     *app_id;
  char     *resource;
  char     *issuer;
  char     *client_id;
  char     *auth_method;
  char     *token_endpoint;
  char     *revocation_endpoint;
  GStrv     scopes;
  gint64    created;
  gint64    signed_in;
  gint64    last_used;
  gint64    expires_at;
  gboolean  has_refresh_token;
  gboolean  needs_sign_in;
} McGrant;

McGrant  *mc_grant_new         (void);
McGrant  *mc_grant_copy        (const McGrant *self);
void      mc_grant_free        (McGrant       *self);
GVariant *mc_grant_to_variant  (const McGrant *self);
gboolean  mc_grant_is_valid    (const McGrant *self,
                                GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McGrant, mc_grant_free)

#define MC_TYPE_GRANT_STORE (mc_grant_store_get_type ())

G_DECLARE_FINAL_TYPE (McGrantStore, mc_grant_store, MC, GRANT_STORE, GObject)

McGrantStore *mc_grant_store_new          (const char           *path);
McGrant      *mc_grant_store_find         (McGrantStore         *self,
                                           const char           *app,
                                           const char           *resource);
McGrant      *mc_grant_store_lookup       (McGrantStore         *self,
                                           const char           *id);
McGrant      *mc_grant_store_put          (McGrantStore         *self,
                                           McGrant              *grant);
gboolean      mc_grant_store_remove       (McGrantStore         *self,
                                           const char           *id);
GPtrArray    *mc_grant_store_list         (McGrantStore         *self,
                                           const char           *app);
guint         mc_grant_store_get_n_grants (McGrantStore         *self);
void          mc_grant_store_save_async   (McGrantStore         *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      mc_grant_store_save_finish  (McGrantStore         *self,
                                           GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
