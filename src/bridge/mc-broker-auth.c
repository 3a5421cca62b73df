/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "mc-bridge-error.h"
#include "mc-bridge-http.h"
#include "mc-broker-auth.h"
#include "mc-error.h"
#include "mc-pkce.h"
#include "mc-www-authenticate.h"

/* McBrokerAuth authorizes the bridge's requests through the MCP Consent
 * Broker: the token of every request comes from GetToken, so refreshing
 * is the broker's business, and a 401 or a 403 for want of scope becomes
 * the broker's Authorize — the trusted dialog, the browser, the keyring.
 * The bridge holds a token only while a request carries it, and never
 * writes one anywhere.
 *
 * Until a server has asked for authorization, requests go without asking
 * the broker: a server that needs none costs no D-Bus round trip, and
 * works without a broker at all. */

struct _McBrokerAuth
{
  GObject         parent_instance;

  /* NULL when there is no session bus: why is in @bus_error. */
  McBrokerClient *client;
  GError         *bus_error;
  char           *resource;
  /* @resource as messages show it: without its query, which may hold a
   * key. */
  char           *display;
  /* The server asked for authorization once: every request asks the
   * broker from then on. */
  gboolean        required;
};

static void mc_broker_auth_iface_init (McBridgeAuthInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (McBrokerAuth, mc_broker_auth, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MC_TYPE_BRIDGE_AUTH, mc_broker_auth_iface_init))

/* What to tell the user when the broker cannot be asked: the error, and
 * what to try. */
static GError *
broker_unreachable (McBrokerAuth *self,
                    const GError *cause)
{
  return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_AUTH_REQUIRED,
                      _("%s needs a sign-in, but the MCP Consent Broker cannot be reached (%s); "
                        "check that it is installed and that a session bus is running "
                        "(“mcp-consent status” tells)"),
                      self->display, cause->message);
}

static gboolean
is_broker_answer (const GError *error)
{
  return error->domain == MC_ERROR;
}

/* Getting a token {{{1 */

/* A GetToken that failed for another reason than "no usable grant". */
static GError *
token_failure (McBrokerAuth *self,
               const GError *error)
{
  if (!is_broker_answer (error))
    return broker_unreachable (self, error);
  return g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_AUTH_REQUIRED,
                      _("No token for %s: %s"), self->display, error->message);
}

static void
on_token (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  McBrokerAuth *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *token = NULL;
  char *authorization = NULL;

  token = mc_broker_client_get_token_finish (MC_BROKER_CLIENT (source_object), result, NULL, &error);
  if (token == NULL)
    {
      /* No grant yet, or it needs a new sign-in: the request goes without,
       * and the server's 401 starts the sign-in. */
      if (g_error_matches (error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED))
        {
          g_debug ("No token for %s: %s", self->display, error->message);
          g_task_return_pointer (task, NULL, NULL);
          return;
        }
      g_task_return_error (task, token_failure (self, error));
      return;
    }

  authorization = g_strconcat ("Bearer ", token, NULL);
  mc_oauth_secret_free (token);
  g_task_return_pointer (task, authorization, (GDestroyNotify)mc_oauth_secret_free);
}

static void
get_token (McBrokerAuth *self,
           gboolean      refresh,
           GTask        *task,
           GAsyncReadyCallback callback)
{
  mc_broker_client_get_token_async (self->client, self->resource, refresh, g_task_get_cancellable (task),
                                    callback, task);
}

static void
mc_broker_auth_get_authorization_async (McBridgeAuth        *auth,
                                        const char          *url,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  McBrokerAuth *self = MC_BROKER_AUTH (auth);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mc_broker_auth_get_authorization_async);

  if (!self->required || self->client == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  get_token (self, FALSE, g_steal_pointer (&task), on_token);
}

static char *
mc_broker_auth_get_authorization_finish (McBridgeAuth  *auth,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, auth), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Meeting a challenge {{{1 */

typedef struct
{
  char *www_authenticate;
} Challenge;

static void
challenge_free (Challenge *challenge)
{
  g_free (challenge->www_authenticate);
  g_free (challenge);
}

static void
on_authorized (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  McBrokerAuth *self = g_task_get_source_object (task);
  g_autoptr(GVariant) results = NULL;
  g_autoptr(GError) error = NULL;
  McBrokerResponse response;
  const char *message = NULL;
  const char *reason = NULL;

  response = mc_broker_client_authorize_finish (MC_BROKER_CLIENT (source_object), result, &results, &error);
  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (!is_broker_answer (error))
        g_task_return_error (task, broker_unreachable (self, error));
      else
        g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_AUTH_REQUIRED,
                                 _("The MCP Consent Broker cannot sign in to %s: %s"),
                                 self->display, error->message);
      return;
    }

  if (response == MC_BROKER_RESPONSE_SUCCESS)
    {
      g_message (_("Signed in to %s"), self->display);
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_variant_lookup (results, "message", "&s", &message);
  g_variant_lookup (results, "reason", "&s", &reason);
  if (response == MC_BROKER_RESPONSE_DECLINED)
    g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_AUTH_REQUIRED,
                             _("The sign-in to %s was declined"), self->display);
  else
    g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_AUTH_REQUIRED,
                             _("The sign-in to %s did not happen: %s"), self->display,
                             message != NULL ? message : reason != NULL ? reason : _("no reason given"));
}

static void
authorize (GTask *task)
{
  McBrokerAuth *self = g_task_get_source_object (task);
  Challenge *challenge = g_task_get_task_data (task);

  g_message (_("%s asks to sign in; the MCP Consent Broker shows the sign-in"), self->display);
  mc_broker_client_authorize_async (self->client, self->resource, challenge->www_authenticate, NULL, 0,
                                    g_task_get_cancellable (task), on_authorized, task);
}

/* After a 401: a grant the broker already holds (from an earlier
 * session, or refreshed) may do without a sign-in. */
static void
on_token_for_challenge (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  GTask *task = user_data;
  McBrokerAuth *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *token = NULL;

  token = mc_broker_client_get_token_finish (MC_BROKER_CLIENT (source_object), result, NULL, &error);
  if (token != NULL)
    {
      mc_oauth_secret_free (token);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  if (g_error_matches (error, MC_ERROR, MC_ERROR_NOT_AUTHORIZED))
    {
      authorize (task);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_error (task, token_failure (self, error));
  g_object_unref (task);
}

static void
mc_broker_auth_handle_challenge_async (McBridgeAuth             *auth,
                                       const McBridgeChallenge  *challenge,
                                       GCancellable             *cancellable,
                                       GAsyncReadyCallback       callback,
                                       gpointer                  user_data)
{
  McBrokerAuth *self = MC_BROKER_AUTH (auth);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(McBearerChallenge) bearer = NULL;
  Challenge *data;
  gboolean insufficient_scope;
  gboolean carried_token;

  g_task_set_source_tag (task, mc_broker_auth_handle_challenge_async);

  if (challenge->www_authenticate != NULL)
    bearer = mc_bearer_challenge_parse (challenge->www_authenticate, NULL);
  insufficient_scope = bearer != NULL && g_strcmp0 (bearer->error, "insufficient_scope") == 0;

  /* A 403 for any other reason is the server's no, not a question. */
  if (challenge->status == 403 && !insufficient_scope)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }

  if (challenge->attempt > MC_BROKER_AUTH_MAX_ATTEMPTS)
    {
      g_task_return_new_error (task, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_AUTH_REQUIRED,
                               _("%s still refuses the request after %u sign-ins"),
                               self->display, MC_BROKER_AUTH_MAX_ATTEMPTS);
      return;
    }

  if (self->client == NULL)
    {
      g_task_return_error (task, broker_unreachable (self, self->bus_error));
      return;
    }

  /* Whether the refused request carried a token the server may have
   * refused: then the broker refreshes it. */
  carried_token = self->required;
  self->required = TRUE;
  data = g_new0 (Challenge, 1);
  /* The broker reads at most this much; a longer header is no use. */
  if (challenge->www_authenticate != NULL && strlen (challenge->www_authenticate) <= MC_WWW_AUTHENTICATE_MAX_LENGTH)
    data->www_authenticate = g_strdup (challenge->www_authenticate);
  g_task_set_task_data (task, data, (GDestroyNotify)challenge_free);

  /* A step-up always needs the user. A first 401 may be met by a grant
   * the broker holds, refreshed if the server refused its token; a
   * second one needs a sign-in. */
  if (insufficient_scope || challenge->attempt > 1)
    authorize (g_steal_pointer (&task));
  else
    get_token (self, carried_token, g_steal_pointer (&task), on_token_for_challenge);
}

static gboolean
mc_broker_auth_handle_challenge_finish (McBridgeAuth  *auth,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, auth), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Object {{{1 */

static void
mc_broker_auth_iface_init (McBridgeAuthInterface *iface)
{
  iface->get_authorization_async = mc_broker_auth_get_authorization_async;
  iface->get_authorization_finish = mc_broker_auth_get_authorization_finish;
  iface->handle_challenge_async = mc_broker_auth_handle_challenge_async;
  iface->handle_challenge_finish = mc_broker_auth_handle_challenge_finish;
}

static void
mc_broker_auth_finalize (GObject *object)
{
  McBrokerAuth *self = MC_BROKER_AUTH (object);

  g_clear_object (&self->client);
  g_clear_error (&self->bus_error);
  g_free (self->resource);
  g_free (self->display);

  G_OBJECT_CLASS (mc_broker_auth_parent_class)->finalize (object);
}

static void
mc_broker_auth_class_init (McBrokerAuthClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mc_broker_auth_finalize;
}

static void
mc_broker_auth_init (McBrokerAuth *self)
{
}

/**
 * mc_broker_auth_new:
 * @client: (nullable): the broker's client; %NULL when there is no
 *   session bus
 * @resource_url: the MCP server's URL, the resource of every token
 * @bus_error: (nullable): with no @client, why there is none
 *
 * Returns: (transfer full): the authorization of the bridge's requests
 */
McBrokerAuth *
mc_broker_auth_new (McBrokerClient *client,
                    const char     *resource_url,
                    const GError   *bus_error)
{
  McBrokerAuth *self;

  g_return_val_if_fail (client == NULL || MC_IS_BROKER_CLIENT (client), NULL);
  g_return_val_if_fail (client != NULL || bus_error != NULL, NULL);
  g_return_val_if_fail (resource_url != NULL, NULL);

  self = g_object_new (MC_TYPE_BROKER_AUTH, NULL);
  self->client = client != NULL ? g_object_ref (client) : NULL;
  self->bus_error = bus_error != NULL ? g_error_copy (bus_error) : NULL;
  self->resource = g_strdup (resource_url);
  self->display = mc_bridge_http_display_url (resource_url);

  return self;
}
