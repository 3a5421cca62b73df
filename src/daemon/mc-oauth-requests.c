/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-error.h"
#include "mc-oauth-requests.h"

#define MAX_FIELDS 16
#define FORM_TYPE "application/x-www-form-urlencoded"

typedef struct
{
  char *endpoint;
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_free (data->endpoint);
  g_free (data);
}

/* Adds the client's authentication to a form, or returns the header. */
static char *
authenticate (const McOAuthClient  *client,
              const char           *client_secret,
              const char          **names,
              const char          **values,
              gsize                *n_fields)
{
  if (g_strcmp0 (client->auth_method, "client_secret_basic") == 0 && client_secret != NULL)
    return mc_http_basic_auth (client->client_id, client_secret);

  names[*n_fields] = "client_id";
  values[(*n_fields)++] = client->client_id;

  if (g_strcmp0 (client->auth_method, "client_secret_post") == 0 && client_secret != NULL)
    {
      names[*n_fields] = "client_secret";
      values[(*n_fields)++] = client_secret;
    }
  return NULL;
}

static void
post_form (McHttp              *http,
           const char          *endpoint,
           const McOAuthClient *client,
           const char          *client_secret,
           const char * const  *names,
           const char * const  *values,
           gsize                n_fields,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  const char *all_names[MAX_FIELDS + 2];
  const char *all_values[MAX_FIELDS + 2];
  g_autofree char *authorization = NULL;
  g_autoptr(GBytes) body = NULL;
  gsize n = 0;

  g_assert (n_fields <= MAX_FIELDS);

  for (; n < n_fields; n++)
    {
      all_names[n] = names[n];
      all_values[n] = values[n];
    }
  authorization = authenticate (client, client_secret, all_names, all_values, &n);
  body = mc_http_form_encodev (all_names, all_values, n);

  mc_http_post_async (http, endpoint, FORM_TYPE, body, authorization, cancellable, callback, user_data);

  if (authorization != NULL)
    memset (authorization, 0, strlen (authorization));
}

static void
on_token_answered (GObject      *source_object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(McHttpResponse) response = NULL;
  g_autoptr(McTokenResponse) token = NULL;
  g_autoptr(McOAuthError) oauth_error = NULL;
  g_autoptr(GError) error = NULL;
  const char *body = NULL;
  gsize length = 0;

  response = mc_http_finish (MC_HTTP (source_object), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  body = g_bytes_get_data (response->body, &length);

  if (response->status == 200)
    {
      token = mc_token_response_parse (body, length, data->endpoint, &error);
      if (token == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, g_steal_pointer (&token), (GDestroyNotify)mc_token_response_free);
      return;
    }

  /* RFC 6749 §5.2: errors are 400 (or 401) with an "error" member. */
  oauth_error = mc_oauth_error_parse (body, length);
  if (oauth_error != NULL)
    {
      g_autofree char *description = oauth_error->error_description != NULL
        ? g_strdup_printf (": %s", oauth_error->error_description) : g_strdup ("");

      g_object_set_data_full (G_OBJECT (task), "mc-oauth-error", g_strdup (oauth_error->error), g_free);
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE,
                               "The token endpoint %s refused: %s%s",
                               data->endpoint, oauth_error->error, description);
      return;
    }

  g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE,
                           "The token endpoint %s answered HTTP %u", data->endpoint, response->status);
}

/**
 * mc_oauth_token_request_async:
 * @http: the HTTP client
 * @token_endpoint: where
 * @client: the client
 * @client_secret: (nullable): its secret
 * @names: (array length=n_fields): the grant's fields
 * @values: (array length=n_fields): their values (%NULL leaves one out)
 * @n_fields: how many
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the #McTokenResponse
 * @user_data: data for @callback
 *
 * POSTs a token request (RFC 6749 §4.1.3, §6) with the client's
 * authentication added.
 */
void
mc_oauth_token_request_async (McHttp              *http,
                              const char          *token_endpoint,
                              const McOAuthClient *client,
                              const char          *client_secret,
                              const char * const  *names,
                              const char * const  *values,
                              gsize                n_fields,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RequestData *data = NULL;

  g_return_if_fail (MC_IS_HTTP (http));
  g_return_if_fail (token_endpoint != NULL);
  g_return_if_fail (client != NULL);

  task = g_task_new (http, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_oauth_token_request_async);
  data = g_new0 (RequestData, 1);
  data->endpoint = g_strdup (token_endpoint);
  g_task_set_task_data (task, data, (GDestroyNotify)request_data_free);

  post_form (http, token_endpoint, client, client_secret, names, values, n_fields,
             cancellable, on_token_answered, g_steal_pointer (&task));
}

/**
 * mc_oauth_token_request_finish:
 * @http: the HTTP client
 * @result: the result
 * @out_oauth_error: (out) (optional) (transfer full): the OAuth error code
 *   (e.g. "invalid_grant") when the server refused with one
 * @error: return location for an %MC_ERROR_REMOTE error
 *
 * Returns: (transfer full): the tokens, or %NULL
 */
McTokenResponse *
mc_oauth_token_request_finish (McHttp        *http,
                               GAsyncResult  *result,
                               char         **out_oauth_error,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, http), NULL);

  if (out_oauth_error != NULL)
    *out_oauth_error = g_strdup (g_object_get_data (G_OBJECT (result), "mc-oauth-error"));
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_revoke_answered (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(McHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = mc_http_finish (MC_HTTP (source_object), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* RFC 7009 §2.2: 200 whether or not the token was valid. */
  if (response->status != 200)
    {
      g_task_return_new_error (task, MC_ERROR, MC_ERROR_REMOTE,
                               "The revocation endpoint %s answered HTTP %u", data->endpoint, response->status);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * mc_oauth_revoke_async:
 * @http: the HTTP client
 * @revocation_endpoint: RFC 7009 endpoint
 * @client: the client the token was issued to
 * @client_secret: (nullable): its secret
 * @token: the token (secret)
 * @token_type_hint: "access_token" or "refresh_token"
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 */
void
mc_oauth_revoke_async (McHttp              *http,
                       const char          *revocation_endpoint,
                       const McOAuthClient *client,
                       const char          *client_secret,
                       const char          *token,
                       const char          *token_type_hint,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  const char *names[] = { "token", "token_type_hint" };
  const char *values[] = { token, token_type_hint };
  g_autoptr(GTask) task = NULL;
  RequestData *data = NULL;

  g_return_if_fail (MC_IS_HTTP (http));
  g_return_if_fail (revocation_endpoint != NULL);
  g_return_if_fail (client != NULL);
  g_return_if_fail (token != NULL);

  task = g_task_new (http, cancellable, callback, user_data);
  g_task_set_source_tag (task, mc_oauth_revoke_async);
  data = g_new0 (RequestData, 1);
  data->endpoint = g_strdup (revocation_endpoint);
  g_task_set_task_data (task, data, (GDestroyNotify)request_data_free);

  post_form (http, revocation_endpoint, client, client_secret, names, values, G_N_ELEMENTS (names),
             cancellable, on_revoke_answered, g_steal_pointer (&task));
}

gboolean
mc_oauth_revoke_finish (McHttp        *http,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, http), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_refused_token_revoked (GObject      *source_object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mc_oauth_revoke_finish (MC_HTTP (source_object), result, &error))
    g_warning ("Could not revoke a token that was refused: %s", error->message);
}

/**
 * mc_oauth_revoke_refused:
 * @http: the HTTP client
 * @revocation_endpoint: (nullable): the authorization server's RFC 7009
 *   endpoint; nothing happens without one
 * @client: the client the tokens were issued to
 * @client_secret: (nullable): its secret, for the secret methods
 * @response: a token response the broker will not use (it granted more
 *   than the user allowed)
 *
 * Revokes the access token and the refresh token of @response, without
 * waiting: nobody holds them, and a failure changes nothing but a warning.
 */
void
mc_oauth_revoke_refused (McHttp                *http,
                         const char            *revocation_endpoint,
                         const McOAuthClient   *client,
                         const char            *client_secret,
                         const McTokenResponse *response)
{
  g_return_if_fail (MC_IS_HTTP (http));
  g_return_if_fail (client != NULL);
  g_return_if_fail (response != NULL);

  if (revocation_endpoint == NULL)
    return;

  mc_oauth_revoke_async (http, revocation_endpoint, client, client_secret, response->access_token,
                         "access_token", NULL, on_refused_token_revoked, NULL);
  if (response->refresh_token != NULL)
    mc_oauth_revoke_async (http, revocation_endpoint, client, client_secret, response->refresh_token,
                           "refresh_token", NULL, on_refused_token_revoked, NULL);
}
