/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McClientSource:
 * @MC_CLIENT_SOURCE_PRE_REGISTERED: from clients.ini, set by the user
 * @MC_CLIENT_SOURCE_METADATA_DOCUMENT: the client ID is the URL of a client
 *   ID metadata document the user configured
 * @MC_CLIENT_SOURCE_DYNAMIC: registered by the broker (RFC 7591)
 *
 * Where an OAuth client came from, in MCP's order of preference.
 */
typedef enum
{
  MC_CLIENT_SOURCE_PRE_REGISTERED,
  MC_CLIENT_SOURCE_METADATA_DOCUMENT,
  MC_CLIENT_SOURCE_DYNAMIC,
} McClientSource;

/**
 * McOAuthClient:
 * @source: where it came from
 * @issuer: the authorization server it is registered with ("" for a
 *   metadata document client, which serves every server)
 * @client_id: the client id
 * @auth_method: "none", "client_secret_basic" or "client_secret_post"
 * @redirect_uri: (nullable): the redirect URI registered for it, when the
 *   server matches redirect URIs exactly; %NULL for any loopback port
 * @has_secret: whether a client secret is in the keyring (kind
 *   client-secret, keyed by issuer and client id)
 * @secret_expires_at: Unix seconds, 0 for never
 *
 * An OAuth client the broker can use with an authorization server. No
 * secret is held here.
 */
typedef struct
{
  McClientSource  source;
  char           *issuer;
  char           *client_id;
  char           *auth_method;
  char           *redirect_uri;
  gboolean        has_secret;
  gint64          secret_expires_at;
} McOAuthClient;

McOAuthClient *mc_oauth_client_copy                   (const McOAuthClient  *self);
void           mc_oauth_client_free                   (McOAuthClient        *self);
gboolean       mc_oauth_client_is_valid_registration  (const McOAuthClient  *self,
                                                       GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McOAuthClient, mc_oauth_client_free)

#define MC_TYPE_CLIENT_REGISTRY (mc_client_registry_get_type ())

G_DECLARE_FINAL_TYPE (McClientRegistry, mc_client_registry, MC, CLIENT_REGISTRY, GObject)

McClientRegistry *mc_client_registry_new                 (const char          *config_path,
                                                          const char          *state_path);
void              mc_client_registry_load_config_async   (McClientRegistry    *self,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean          mc_client_registry_load_config_finish  (McClientRegistry    *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
McOAuthClient    *mc_client_registry_find_pre_registered (McClientRegistry    *self,
                                                          const char          *issuer,
                                                          const char          *resource);
const char       *mc_client_registry_get_metadata_url    (McClientRegistry    *self);
McOAuthClient    *mc_client_registry_find_dynamic        (McClientRegistry    *self,
                                                          const char          *issuer);
void              mc_client_registry_remember_dynamic    (McClientRegistry    *self,
                                                          const McOAuthClient *client);
void              mc_client_registry_forget_dynamic      (McClientRegistry    *self,
                                                          const char          *issuer);
void              mc_client_registry_save_async          (McClientRegistry    *self,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean          mc_client_registry_save_finish         (McClientRegistry    *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* clients.ini, written by `mcp-consent client …` (no secrets in it). */
gboolean          mc_clients_config_set_client           (const char          *config_path,
                                                          const char          *match,
                                                          const char          *url,
                                                          const char          *client_id,
                                                          const char          *auth_method,
                                                          const char          *redirect_uri,
                                                          GError             **error);
gboolean          mc_clients_config_set_metadata_url     (const char          *config_path,
                                                          const char          *url,
                                                          GError             **error);

G_END_DECLS
