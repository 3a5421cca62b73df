/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McTokenKind:
 * @MC_TOKEN_KIND_ACCESS: an OAuth access token
 * @MC_TOKEN_KIND_REFRESH: an OAuth refresh token
 * @MC_TOKEN_KIND_CLIENT_SECRET: the secret of a registered OAuth client
 *
 * What a keyring item holds; its "kind" attribute.
 */
typedef enum
{
  MC_TOKEN_KIND_ACCESS,
  MC_TOKEN_KIND_REFRESH,
  MC_TOKEN_KIND_CLIENT_SECRET,
} McTokenKind;

/**
 * McTokenKey:
 * @resource: the MCP server's canonical URI ("" for client secrets kept
 *   per issuer)
 * @issuer: the authorization server
 * @client: the OAuth client id
 * @app: the caller identity the grant is bound to ("" for client secrets)
 *
 * The attributes that find one secret in the keyring, besides its kind.
 */
typedef struct
{
  const char *resource;
  const char *issuer;
  const char *client;
  const char *app;
} McTokenKey;

void     mc_token_store_store_async    (McTokenKind          kind,
                                        const McTokenKey    *key,
                                        const char          *secret,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean mc_token_store_store_finish   (GAsyncResult        *result,
                                        GError             **error);
void     mc_token_store_lookup_async   (McTokenKind          kind,
                                        const McTokenKey    *key,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
char    *mc_token_store_lookup_finish  (GAsyncResult        *result,
                                        GError             **error);
void     mc_token_store_clear_async    (const McTokenKey    *key,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
guint    mc_token_store_clear_finish   (GAsyncResult        *result,
                                        GError             **error);
void     mc_token_store_secret_free    (char                *secret);

const char *mc_token_kind_to_string          (McTokenKind kind);
const char *mc_token_store_get_schema_name   (void);
const char *mc_token_store_get_generation    (void);

/* A secret from mc_token_store_lookup_finish(), for g_autoptr(): it is
 * wiped when freed. */
typedef char McTokenSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McTokenSecret, mc_token_store_secret_free)

G_END_DECLS
