/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "mc-audit-events.h"
#include "mc-error.h"
#include "mc-oauth-metadata.h"
#include "mc-oauth-requests.h"
#include "mc-oauth-urls.h"
#include "mc-pkce.h"
#include "mc-token-service.h"
#include "mc-token-store.h"

/* McTokenService hands out the access tokens of grants, refreshing them
 * when they are about to expire, and revokes grants.
 *
 * However many callers ask at once, a grant is refreshed once: the first
 * request starts the refresh and the others wait for it. That matters
 * beyond load: servers that rotate refresh tokens (OAuth 2.1 §4.3.1)
 * treat a second use of the old one as theft and revoke the whole grant.
 *
 * A rotated refresh token is stored before the access token it came with
 * is handed out, so a crash in between loses nothing that is needed.
 *
 * Access tokens once read or refreshed stay in memory until they are due
 * for refresh, the grant is revoked or signed in again: reading the
 * keyring costs nine D-Bus round trips, 1.7 ms, on every call otherwise
 * (docs/benchmarks.md). They are kept in libsecret's non-pageable memory,
 * as the keyring's answers are. */

/* A caller whose server keeps refusing tokens should not make the broker
 * hammer the authorization server: a forced refresh this soon after the
 * last one hands out the token that refresh got. */
#define FORCED_REFRESH_INTERVAL_US (5 * G_USEC_PER_SEC)

/* last_used is for display; saving grants.json on every GetToken would be
 * I/O for nothing. */
#define LAST_USED_RESOLUTION 60

struct _McTokenService
{
  GObject       parent_instance;

  McHttp       *http;
  McGrantStore *grants;
  GCancellable *cancellable;
  /* grant id → Refresh, while one runs */
  GHashTable   *refreshes;
  /* grant id → monotonic time of its last successful refresh */
  GHashTable   *refreshed_at;
  /* grant id → CachedToken */
  GHashTable   *cached;
  /* Bumped whenever a cached token is forgotten, so that a keyring read
   * that started before cannot put the old token back. */
  gsize         cache_epoch;
};

G_DEFINE_FINAL_TYPE (McTokenService, mc_token_service, G_TYPE_OBJECT)

typedef struct
{
  McTokenService  *service;
  McGrant         *grant;
  McOAuthClient   *client;
  char            *client_secret;
  char            *refresh_token;
  McTokenResponse *response;
  GStrv            granted;
  GPtrArray       *waiters;
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  g_clear_object (&refresh->service);
  g_clear_pointer (&refresh->grant, mc_grant_free);
  g_clear_pointer (&refresh->client, mc_oauth_client_free);
  g_clear_pointer (&refresh->client_secret, mc_token_store_secret_free);
  g_clear_pointer (&refresh->refresh_token, mc_token_store_secret_free);
  g_clear_pointer (&refresh->response, mc_token_response_free);
  g_clear_pointer (&refresh->granted, g_strfreev);
  g_clear_pointer (&refresh->waiters, g_ptr_array_unref);
  g_free (refresh);
}

typedef struct
{
  SecretValue *access_token;
  /* The grant's expiry the token came with: a grant changed by any other
   * path than this service's own does not get the old token. */
  gint64       expires_at;
} CachedToken;

static void
cached_token_free (CachedToken *cached)
{
  secret_value_unref (cached->access_token);
  g_free (cached);
}

/* What get_token returns through its GTask. */
typedef struct
{
  char    *access_token;
  McGrant *grant;
} TokenResult;

static void
token_result_free (TokenResult *result)
{
  g_clear_pointer (&result->access_token, mc_oauth_secret_free);
  g_clear_pointer (&result->grant, mc_grant_free);
  g_free (result);
}

static void
mc_token_service_dispose (GObject *object)
{
  McTokenService *self = MC_TOKEN_SERVICE (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (mc_token_service_parent_class)->dispose (object);
}

static void
mc_token_service_finalize (GObject *object)
{
  McTokenService *self = MC_TOKEN_SERVICE (object);

  /* Every refresh holds a reference on the service. */
  g_assert (g_hash_table_size (self->refreshes) == 0);

  g_clear_object (&self->http);
  g_clear_object (&self->grants);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->refreshes, g_hash_table_unref);
  g_clear_pointer (&self->refreshed_at, g_hash_table_unref);
  g_clear_pointer (&self->cached, g_hash_table_unref);

  G_OBJECT_CLASS (mc_token_service_parent_class)->finalize (object);
}

static void
mc_token_service_class_init (McTokenServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mc_token_service_dispose;
  object_class->finalize = mc_token_service_finalize;
}

static void
mc_token_service_init (McTokenService *self)
{
  self->cancellable = g_cancellable_new ();
  self->refreshes = g_hash_table_new (g_str_hash, g_str_equal);
  self->refreshed_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cached = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)cached_token_free);
}

/**
 * mc_token_service_new:
 * @http: the HTTP client for token and revocation endpoints
 * @grants: the grants whose tokens are handed out
 *
 * Returns: (transfer full): a new token service
 */
McTokenService *
mc_token_service_new (McHttp       *http,
                      McGrantStore *grants)
{
  McTokenService *self;

  g_return_val_if_fail (MC_IS_HTTP (http), NULL);
  g_return_val_if_fail (MC_IS_GRANT_STORE (grants), NULL);

  self = g_object_new (MC_TYPE_TOKEN_SERVICE, NULL);
  self->http = g_object_ref (http);
  self->grants = g_object_ref (grants);

  return self;
}

static McTokenKey
grant_token_key (const McGrant *grant)
{
  McTokenKey key = {
    .resource = grant->resource,
    .issuer = grant->issuer,
    .client = grant->client_id,
    .app = grant->app,
  };

  return key;
}

static void
cache_token (McTokenService *self,
             const McGrant  *grant,
             const char     *access_token)
{
  CachedToken *cached = g_new0 (CachedToken, 1);

  /* secret_value_new() copies into non-pageable memory. */
  cached->access_token = secret_value_new (access_token, -1, "text/plain");
  cached->expires_at = grant->expires_at;
  g_hash_table_insert (self->cached, g_strdup (grant->id), cached);
}

static const char *
lookup_cached_token (McTokenService *self,
                     const McGrant  *grant)
{
  CachedToken *cached = g_hash_table_lookup (self->cached, grant->id);

  if (cached == NULL)
    return NULL;
  if (cached->expires_at != grant->expires_at)
    {
      g_hash_table_remove (self->cached, grant->id);
      return NULL;
    }

  return secret_value_get_text (cached->access_token);
}

static void
on_grants_saved (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mc_grant_store_save_finish (MC_GRANT_STORE (source_object), result, &error))
    g_warning ("Could not save grants: %s", error->message);
}

static void
save_grants (McTokenService *self)
{
  mc_grant_store_save_async (self->grants, NULL, on_grants_saved, NULL);
}

/* The store hands out copies; a change is a put of the changed copy. */
static void
update_grant (McTokenService *self,
              const McGrant  *grant)
{
  mc_grant_store_put (self->grants, mc_grant_copy (grant));
  save_grants (self);
}

static gboolean
grant_exists (McTokenService *self,
              const char     *grant_id)
{
  g_autoptr(McGrant) grant = mc_grant_store_lookup (self->grants, grant_id);

  return grant != NULL;
}

static void
on_tokens_cleared (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mc_token_store_clear_finish (result, &error))
    g_warning ("Could not delete the tokens of a grant: %s", error->message);
}

static void
return_token (GTask         *task,
              const char    *access_token,
              const McGrant *grant)
{
  TokenResult *token_result = g_new0 (TokenResult, 1);

  token_result->access_token = g_strdup (access_token);
  token_result->grant = mc_grant_copy (grant);
  g_task_return_pointer (task, token_result, (GDestroyNotify)token_result_free);
}

/* Refreshing {{{1 */

static void
finish_refresh (Refresh    *refresh,
                const char *access_token,
                GError     *error)
{
  McTokenService *self = refresh->service;
  g_autoptr(McGrant) grant = NULL;

  g_hash_table_remove (self->refreshes, refresh->grant->id);
  grant = mc_grant_store_lookup (self->grants, refresh->grant->id);

  for (guint i = 0; i < refresh->waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (refresh->waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        return_token (task, access_token, grant);
    }

  g_clear_error (&error);
  refresh_free (refresh);
}

static void
fail_refresh (Refresh    *refresh,
              McError    code,
              const char *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
fail_refresh (Refresh    *refresh,
              McError    code,
              const char *format,
              ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (MC_ERROR, code, format, args);
  va_end (args);

  g_message ("Refreshing the token of grant %s for %s failed: %s",
             refresh->grant->id, refresh->grant->resource, error->message);
  finish_refresh (refresh, NULL, error);
}

/* The tokens of a grant revoked while its refresh ran belong to nobody. */
static gboolean
grant_was_revoked (Refresh *refresh)
{
  McTokenService *self = refresh->service;
  McTokenKey key = grant_token_key (refresh->grant);

  if (grant_exists (self, refresh->grant->id))
    return FALSE;

  mc_token_store_clear_async (&key, NULL, on_tokens_cleared, NULL);
  fail_refresh (refresh, MC_ERROR_NOT_AUTHORIZED,
                "The grant for %s was revoked", refresh->grant->resource);
  return TRUE;
}

static void
on_access_token_stored (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Refresh *refresh = user_data;
  McTokenService *self = refresh->service;
  g_autoptr(GError) error = NULL;
  McTokenResponse *response = refresh->response;
  g_autoptr(McGrant) grant = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!mc_token_store_store_finish (result, &error))
    {
      finish_refresh (refresh, NULL, g_steal_pointer (&error));
      return;
    }

  if (grant_was_revoked (refresh))
    return;

  grant = mc_grant_store_lookup (self->grants, refresh->grant->id);
  grant->expires_at = response->expires_in >= 0 ? now + response->expires_in : 0;
  g_strfreev (grant->scopes);
  grant->scopes = g_strdupv (refresh->granted);
  grant->has_refresh_token = TRUE;
  grant->last_used = now;
  update_grant (self, grant);

  g_hash_table_insert (self->refreshed_at, g_strdup (grant->id),
                       g_memdup2 (&(gint64) { g_get_monotonic_time () }, sizeof (gint64)));
  g_message ("Refreshed the token of grant %s for %s", grant->id, grant->resource);
  mc_audit_token_refreshed (grant);
  cache_token (self, grant, response->access_token);

  finish_refresh (refresh, response->access_token, NULL);
}

static void
store_access_token (Refresh *refresh)
{
  McTokenKey key = grant_token_key (refresh->grant);

  mc_token_store_store_async (MC_TOKEN_KIND_ACCESS, &key, refresh->response->access_token,
                              refresh->service->cancellable, on_access_token_stored, refresh);
}

static void
on_refresh_token_stored (GObject      *source_object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;

  if (!mc_token_store_store_finish (result, &error))
    {
      finish_refresh (refresh, NULL, g_steal_pointer (&error));
      return;
    }

  store_access_token (refresh);
}

static void
revoke_response (Refresh *refresh)
{
  mc_oauth_revoke_refused (refresh->service->http, refresh->grant->revocation_endpoint, refresh->client,
                           refresh->client_secret, refresh->response);
}

static void
on_refreshed (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Refresh *refresh = user_data;
  McTokenService *self = refresh->service;
  g_autoptr(GError) error = NULL;
  g_autofree char *oauth_error = NULL;
  McTokenKey key = grant_token_key (refresh->grant);

  refresh->response = mc_oauth_token_request_finish (MC_HTTP (source_object), result, &oauth_error, &error);
  if (refresh->response == NULL)
    {
      /* RFC 6749 §5.2: the refresh token is invalid, expired or revoked.
       * It will never work again; only a new sign-in helps. */
      if (g_strcmp0 (oauth_error, "invalid_grant") == 0)
        {
          g_autoptr(McGrant) grant = mc_grant_store_lookup (self->grants, refresh->grant->id);

          if (grant != NULL)
            {
              grant->needs_sign_in = TRUE;
              grant->has_refresh_token = FALSE;
              update_grant (self, grant);
              mc_token_store_clear_async (&key, NULL, on_tokens_cleared, NULL);
            }
          fail_refresh (refresh, MC_ERROR_NOT_AUTHORIZED,
                        "%s no longer accepts the grant for %s; sign in again",
                        refresh->grant->issuer, refresh->grant->resource);
          return;
        }

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          finish_refresh (refresh, NULL, g_steal_pointer (&error));
          return;
        }

      /* Anything else may pass: the grant stays as it is. */
      fail_refresh (refresh, MC_ERROR_REMOTE, "%s", error->message);
      return;
    }

  /* RFC 6749 §6: no "scope" means the scopes are unchanged. */
  if (refresh->response->scope != NULL)
    refresh->granted = mc_oauth_scope_split (refresh->response->scope, &error);
  else
    refresh->granted = g_strdupv (refresh->grant->scopes);
  if (refresh->granted == NULL)
    {
      revoke_response (refresh);
      fail_refresh (refresh, MC_ERROR_REMOTE, "The refreshed token of %s has a malformed scope: %s",
                    refresh->grant->issuer, error->message);
      return;
    }

  /* The user allowed these scopes and no more (RFC 6749 §6 forbids more
   * too); a server that grants more is not believed. */
  if (!mc_oauth_scopes_subset ((const char * const *)refresh->granted,
                               (const char * const *)refresh->grant->scopes))
    {
      g_auto(GStrv) extra = mc_oauth_scopes_minus ((const char * const *)refresh->granted,
                                                   (const char * const *)refresh->grant->scopes);
      g_autofree char *extra_text = mc_oauth_scope_join ((const char * const *)extra);

      revoke_response (refresh);
      mc_audit_token_refused (refresh->grant->app, refresh->grant->resource, refresh->grant->issuer,
                              (const char * const *)extra, "refresh", refresh->grant->revocation_endpoint != NULL);
      fail_refresh (refresh, MC_ERROR_REMOTE,
                    "%s refreshed the grant for %s with scopes the user did not allow (%s); "
                    "the token was refused",
                    refresh->grant->issuer, refresh->grant->resource, extra_text);
      return;
    }

  if (!grant_exists (self, refresh->grant->id))
    {
      revoke_response (refresh);
      fail_refresh (refresh, MC_ERROR_NOT_AUTHORIZED, "The grant for %s was revoked",
                    refresh->grant->resource);
      return;
    }

  /* Rotation: the new refresh token replaces the old one before anything
   * else, since the old one is now spent. */
  if (refresh->response->refresh_token != NULL)
    mc_token_store_store_async (MC_TOKEN_KIND_REFRESH, &key, refresh->response->refresh_token,
                                self->cancellable, on_refresh_token_stored, refresh);
  else
    store_access_token (refresh);
}

static void
request_refresh (Refresh *refresh)
{
  const char *names[] = { "grant_type", "refresh_token", "resource" };
  const char *values[] = { "refresh_token", refresh->refresh_token, refresh->grant->resource };

  g_debug ("Refreshing the token of grant %s at %s", refresh->grant->id, refresh->grant->token_endpoint);
  mc_oauth_token_request_async (refresh->service->http, refresh->grant->token_endpoint, refresh->client,
                                refresh->client_secret, names, values, G_N_ELEMENTS (names),
                                refresh->service->cancellable, on_refreshed, refresh);
}

static void
on_refresh_token (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Refresh *refresh = user_data;
  McTokenService *self = refresh->service;
  g_autoptr(GError) error = NULL;

  refresh->refresh_token = mc_token_store_lookup_finish (result, &error);
  if (error != NULL)
    {
      finish_refresh (refresh, NULL, g_steal_pointer (&error));
      return;
    }
  if (refresh->refresh_token == NULL)
    {
      g_autoptr(McGrant) grant = mc_grant_store_lookup (self->grants, refresh->grant->id);

      /* Deleted from the keyring by hand, say: nothing to refresh with. */
      if (grant != NULL)
        {
          grant->has_refresh_token = FALSE;
          grant->needs_sign_in = TRUE;
          update_grant (self, grant);
        }
      fail_refresh (refresh, MC_ERROR_NOT_AUTHORIZED,
                    "The refresh token for %s is no longer in the keyring; sign in again",
                    refresh->grant->resource);
      return;
    }

  request_refresh (refresh);
}

static void
lookup_refresh_token (Refresh *refresh)
{
  McTokenKey key = grant_token_key (refresh->grant);

  mc_token_store_lookup_async (MC_TOKEN_KIND_REFRESH, &key, refresh->service->cancellable,
                               on_refresh_token, refresh);
}

static void
on_client_secret (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GError) error = NULL;

  refresh->client_secret = mc_token_store_lookup_finish (result, &error);
  if (error != NULL)
    {
      finish_refresh (refresh, NULL, g_steal_pointer (&error));
      return;
    }
  if (refresh->client_secret == NULL)
    {
      fail_refresh (refresh, MC_ERROR_NOT_AUTHORIZED,
                    "The client secret of %s for %s is not in the keyring; set it with "
                    "“mcp-consent client set … --client-secret-stdin”",
                    refresh->client->client_id, refresh->grant->issuer);
      return;
    }

  lookup_refresh_token (refresh);
}

static McOAuthClient *
grant_client (const McGrant *grant)
{
  McOAuthClient *client = g_new0 (McOAuthClient, 1);

  client->issuer = g_strdup (grant->issuer);
  client->client_id = g_strdup (grant->client_id);
  client->auth_method = g_strdup (grant->auth_method != NULL ? grant->auth_method : "none");
  client->has_secret = g_strcmp0 (client->auth_method, "none") != 0;

  return client;
}

static void
start_refresh (McTokenService *self,
               const McGrant  *grant,
               GTask          *task)
{
  Refresh *refresh;

  /* Expiring, or refused by the server: not to be handed out again. */
  mc_token_service_forget_cached (self, grant->id);

  refresh = g_hash_table_lookup (self->refreshes, grant->id);
  if (refresh != NULL)
    {
      g_ptr_array_add (refresh->waiters, task);
      return;
    }

  if (!grant->has_refresh_token)
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_NOT_AUTHORIZED,
                               "The token for %s has expired and %s gave no refresh token; sign in again",
                               grant->resource, grant->issuer);
      g_object_unref (task);
      return;
    }

  refresh = g_new0 (Refresh, 1);
  refresh->service = g_object_ref (self);
  refresh->grant = mc_grant_copy (grant);
  refresh->client = grant_client (grant);
  refresh->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (refresh->waiters, task);
  g_hash_table_insert (self->refreshes, refresh->grant->id, refresh);

  if (refresh->client->has_secret)
    {
      McTokenKey key = {
        .resource = "",
        .issuer = grant->issuer,
        .client = grant->client_id,
        .app = "",
      };

      mc_token_store_lookup_async (MC_TOKEN_KIND_CLIENT_SECRET, &key, self->cancellable,
                                   on_client_secret, refresh);
    }
  else
    {
      lookup_refresh_token (refresh);
    }
}

/* Getting a token {{{1 */

static void
note_use (McTokenService *self,
          McGrant        *grant)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (now - grant->last_used >= LAST_USED_RESOLUTION)
    {
      grant->last_used = now;
      update_grant (self, grant);
    }
}

static void
on_access_token (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  McTokenService *self = g_task_get_source_object (task);
  const char *grant_id = g_task_get_task_data (task);
  gsize epoch = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (task), "mc-cache-epoch"));
  g_autoptr(GError) error = NULL;
  g_autoptr(McTokenSecret) access_token = NULL;
  g_autoptr(McGrant) grant = NULL;

  access_token = mc_token_store_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  grant = mc_grant_store_lookup (self->grants, grant_id);
  if (grant == NULL)
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_NOT_AUTHORIZED, "The grant was revoked");
      return;
    }

  /* Gone from the keyring (deleted by hand, or lost): a refresh token
   * still gets a new one. */
  if (access_token == NULL)
    {
      start_refresh (self, grant, g_steal_pointer (&task));
      return;
    }

  if (epoch == self->cache_epoch)
    cache_token (self, grant, access_token);
  note_use (self, grant);
  return_token (task, access_token, grant);
}

static gboolean
refreshed_recently (McTokenService *self,
                    const char     *grant_id)
{
  gint64 *refreshed_at = g_hash_table_lookup (self->refreshed_at, grant_id);

  return refreshed_at != NULL && g_get_monotonic_time () - *refreshed_at < FORCED_REFRESH_INTERVAL_US;
}

/**
 * mc_token_service_get_token_async:
 * @self: a token service
 * @grant_id: the grant whose access token is wanted
 * @force_refresh: refresh even if the token has not expired (the server
 *   refused it)
 * @cancellable: (nullable): a #GCancellable; cancelling stops the wait,
 *   not a refresh others wait for
 * @callback: called when the token is there
 * @user_data: data for @callback
 *
 * Gets a usable access token of the grant, refreshing it first when it
 * expires within %MC_TOKEN_SERVICE_REFRESH_MARGIN seconds.
 */
void
mc_token_service_get_token_async (McTokenService      *self,
                                  const char          *grant_id,
                                  gboolean             force_refresh,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(McGrant) grant = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *cached_token;

  g_return_if_fail (MC_IS_TOKEN_SERVICE (self));
  g_return_if_fail (grant_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_token_service_get_token_async);
  g_task_set_task_data (task, g_strdup (grant_id), g_free);

  grant = mc_grant_store_lookup (self->grants, grant_id);
  if (grant == NULL)
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_NOT_AUTHORIZED, "There is no such grant");
      return;
    }
  if (grant->needs_sign_in)
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_NOT_AUTHORIZED,
                               "%s no longer accepts the grant for %s; sign in again",
                               grant->issuer, grant->resource);
      return;
    }

  if (force_refresh && refreshed_recently (self, grant_id))
    force_refresh = FALSE;

  if (force_refresh || g_hash_table_contains (self->refreshes, grant_id) ||
      (grant->expires_at != 0 && grant->expires_at - now <= MC_TOKEN_SERVICE_REFRESH_MARGIN))
    {
      start_refresh (self, grant, g_steal_pointer (&task));
    }
  else if ((cached_token = lookup_cached_token (self, grant)) != NULL)
    {
      note_use (self, grant);
      return_token (task, cached_token, grant);
    }
  else
    {
      McTokenKey key = grant_token_key (grant);

      g_object_set_data (G_OBJECT (task), "mc-cache-epoch", GSIZE_TO_POINTER (self->cache_epoch));
      mc_token_store_lookup_async (MC_TOKEN_KIND_ACCESS, &key, cancellable,
                                   on_access_token, g_steal_pointer (&task));
    }
}

/**
 * mc_token_service_forget_cached:
 * @self: a token service
 * @grant_id: a grant
 *
 * Drops the access token of @grant_id kept in memory, if any, so that the
 * next request reads the keyring: for a grant that was just signed in to
 * again, whose new tokens are in the keyring.
 */
void
mc_token_service_forget_cached (McTokenService *self,
                                const char     *grant_id)
{
  g_return_if_fail (MC_IS_TOKEN_SERVICE (self));
  g_return_if_fail (grant_id != NULL);

  g_hash_table_remove (self->cached, grant_id);
  self->cache_epoch++;
}

/**
 * mc_token_service_get_token_finish:
 * @self: a token service
 * @result: the result passed to the callback
 * @out_grant: (out) (optional) (transfer full): the grant as it is now
 * @error: return location for an error: %MC_ERROR_NOT_AUTHORIZED when
 *   only a new sign-in helps, %MC_ERROR_REMOTE when the server failed,
 *   or a keyring error
 *
 * Returns: (transfer full): the access token; free it with
 *   mc_oauth_secret_free()
 */
char *
mc_token_service_get_token_finish (McTokenService  *self,
                                   GAsyncResult    *result,
                                   McGrant        **out_grant,
                                   GError         **error)
{
  TokenResult *token_result;
  char *access_token;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  token_result = g_task_propagate_pointer (G_TASK (result), error);
  if (token_result == NULL)
    return NULL;

  access_token = g_steal_pointer (&token_result->access_token);
  if (out_grant != NULL)
    *out_grant = g_steal_pointer (&token_result->grant);
  token_result_free (token_result);

  return access_token;
}

/**
 * mc_token_service_shutdown:
 * @self: a token service
 *
 * Stops the refreshes under way; their callers get
 * %G_IO_ERROR_CANCELLED.
 */
void
mc_token_service_shutdown (McTokenService *self)
{
  g_return_if_fail (MC_IS_TOKEN_SERVICE (self));

  g_cancellable_cancel (self->cancellable);
}

/* Revoking {{{1 */

typedef struct
{
  McGrant       *grant;
  McOAuthClient *client;
  char          *client_secret;
  char          *refresh_token;
  char          *access_token;
  guint          pending;
  gboolean       revoked_at_server;
  guint          items_deleted;
} Revocation;

static void
revocation_free (Revocation *revocation)
{
  g_clear_pointer (&revocation->grant, mc_grant_free);
  g_clear_pointer (&revocation->client, mc_oauth_client_free);
  g_clear_pointer (&revocation->client_secret, mc_token_store_secret_free);
  g_clear_pointer (&revocation->refresh_token, mc_token_store_secret_free);
  g_clear_pointer (&revocation->access_token, mc_token_store_secret_free);
  g_free (revocation);
}

static void
on_revocation_tokens_cleared (GObject      *source_object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Revocation *revocation = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  revocation->items_deleted = mc_token_store_clear_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_message ("Revoked grant %s for %s (%s at the server, %u keyring items deleted)",
             revocation->grant->id, revocation->grant->resource,
             revocation->revoked_at_server ? "also" : "not", revocation->items_deleted);
  g_task_return_boolean (task, TRUE);
}

static void
clear_revoked_tokens (GTask *task)
{
  Revocation *revocation = g_task_get_task_data (task);
  McTokenKey key = grant_token_key (revocation->grant);

  mc_token_store_clear_async (&key, NULL, on_revocation_tokens_cleared, task);
}

static void
on_revoked_at_server (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  Revocation *revocation = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (mc_oauth_revoke_finish (MC_HTTP (source_object), result, &error))
    revocation->revoked_at_server = TRUE;
  else
    g_message ("%s did not revoke a token of grant %s: %s",
               revocation->grant->issuer, revocation->grant->id, error->message);

  if (--revocation->pending == 0)
    clear_revoked_tokens (task);
}

static void
revoke_at_server (GTask *task)
{
  McTokenService *self = g_task_get_source_object (task);
  Revocation *revocation = g_task_get_task_data (task);
  const char *endpoint = revocation->grant->revocation_endpoint;

  /* Only now that its secrets are read: a locked keyring must not leave
   * tokens behind that no grant points to any more. From here on, no token
   * of the grant is handed out. */
  if (mc_grant_store_remove (self->grants, revocation->grant->id))
    save_grants (self);
  g_hash_table_remove (self->refreshed_at, revocation->grant->id);
  mc_token_service_forget_cached (self, revocation->grant->id);

  if (endpoint == NULL || (revocation->refresh_token == NULL && revocation->access_token == NULL))
    {
      clear_revoked_tokens (task);
      return;
    }

  /* RFC 7009 §2.1: revoking the refresh token should end its access
   * tokens too, but nothing obliges the server to; send both. */
  revocation->pending = 1;
  if (revocation->refresh_token != NULL)
    {
      revocation->pending++;
      mc_oauth_revoke_async (self->http, endpoint, revocation->client, revocation->client_secret,
                             revocation->refresh_token, "refresh_token", NULL, on_revoked_at_server, task);
    }
  if (revocation->access_token != NULL)
    {
      revocation->pending++;
      mc_oauth_revoke_async (self->http, endpoint, revocation->client, revocation->client_secret,
                             revocation->access_token, "access_token", NULL, on_revoked_at_server, task);
    }
  if (--revocation->pending == 0)
    clear_revoked_tokens (task);
}

static void lookup_revocation_secret (GTask *task, guint step);

static void
on_revocation_secret (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  Revocation *revocation = g_task_get_task_data (task);
  guint step = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mc-revocation-step"));
  g_autoptr(GError) error = NULL;
  char *secret;

  secret = mc_token_store_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  switch (step)
    {
    case 0:
      revocation->client_secret = secret;
      break;
    case 1:
      revocation->refresh_token = secret;
      break;
    default:
      revocation->access_token = secret;
      break;
    }

  lookup_revocation_secret (task, step + 1);
}

/* The client secret, the refresh token, the access token: what the
 * revocation requests need, one after another. */
static void
lookup_revocation_secret (GTask *task,
                          guint  step)
{
  Revocation *revocation = g_task_get_task_data (task);
  McTokenKey key = grant_token_key (revocation->grant);
  McTokenKey client_key = {
    .resource = "",
    .issuer = revocation->grant->issuer,
    .client = revocation->grant->client_id,
    .app = "",
  };

  if (step == 0 && !revocation->client->has_secret)
    step = 1;

  g_object_set_data (G_OBJECT (task), "mc-revocation-step", GUINT_TO_POINTER (step));
  switch (step)
    {
    case 0:
      mc_token_store_lookup_async (MC_TOKEN_KIND_CLIENT_SECRET, &client_key, NULL, on_revocation_secret, task);
      break;
    case 1:
      mc_token_store_lookup_async (MC_TOKEN_KIND_REFRESH, &key, NULL, on_revocation_secret, task);
      break;
    case 2:
      mc_token_store_lookup_async (MC_TOKEN_KIND_ACCESS, &key, NULL, on_revocation_secret, task);
      break;
    default:
      revoke_at_server (task);
      break;
    }
}

/**
 * mc_token_service_revoke_async:
 * @self: a token service
 * @grant_id: the grant to revoke
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the grant is gone
 * @user_data: data for @callback
 *
 * Forgets the grant (no token of it is handed out from then on), revokes its tokens at the authorization server where it has a
 * revocation endpoint, and deletes them from the keyring. A server that
 * cannot be reached does not stop the rest.
 */
void
mc_token_service_revoke_async (McTokenService      *self,
                               const char          *grant_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Revocation *revocation;
  g_autoptr(McGrant) grant = NULL;

  g_return_if_fail (MC_IS_TOKEN_SERVICE (self));
  g_return_if_fail (grant_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_token_service_revoke_async);

  grant = mc_grant_store_lookup (self->grants, grant_id);
  if (grant == NULL)
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_NOT_FOUND, "There is no grant “%s”", grant_id);
      return;
    }

  revocation = g_new0 (Revocation, 1);
  revocation->client = grant_client (grant);
  revocation->grant = g_steal_pointer (&grant);
  g_task_set_task_data (task, revocation, (GDestroyNotify)revocation_free);

  lookup_revocation_secret (g_steal_pointer (&task), 0);
}

/**
 * mc_token_service_revoke_finish:
 * @self: a token service
 * @result: the result passed to the callback
 * @out_revoked_at_server: (out) (optional): whether the server confirmed
 *   a revocation
 * @out_items_deleted: (out) (optional): how many keyring items went
 * @error: return location for an error
 *
 * Returns: whether the grant was revoked; it is forgotten either way
 *   once it existed, but a keyring error may have left its tokens
 */
gboolean
mc_token_service_revoke_finish (McTokenService  *self,
                                GAsyncResult    *result,
                                gboolean        *out_revoked_at_server,
                                guint           *out_items_deleted,
                                GError         **error)
{
  Revocation *revocation;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  revocation = g_task_get_task_data (G_TASK (result));
  if (out_revoked_at_server != NULL)
    *out_revoked_at_server = revocation->revoked_at_server;
  if (out_items_deleted != NULL)
    *out_items_deleted = revocation->items_deleted;

  return TRUE;
}
