/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-bridge-auth.h"

/* The seam for authorization through the broker; see mc-bridge-auth.h
 * and docs/bridge.md ("Internals").  McBridgeHttp calls it for every
 * request it sends, and on every 401 and 403. */

G_DEFINE_INTERFACE (McBridgeAuth, mc_bridge_auth, G_TYPE_OBJECT)

static void
mc_bridge_auth_default_init (McBridgeAuthInterface *iface)
{
}

/**
 * mc_bridge_auth_get_authorization_async:
 * @self: a #McBridgeAuth
 * @url: the URL a request is about to go to
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the value is known
 * @user_data: for @callback
 *
 * Finds the Authorization header for a request.
 */
void
mc_bridge_auth_get_authorization_async (McBridgeAuth        *self,
                                        const char          *url,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (MC_IS_BRIDGE_AUTH (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  MC_BRIDGE_AUTH_GET_IFACE (self)->get_authorization_async (self, url, cancellable, callback, user_data);
}

/**
 * mc_bridge_auth_get_authorization_finish:
 * @self: a #McBridgeAuth
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the header's value, or %NULL: no
 *   header if @error is not set, a failed request if it is
 */
char *
mc_bridge_auth_get_authorization_finish (McBridgeAuth  *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (MC_IS_BRIDGE_AUTH (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return MC_BRIDGE_AUTH_GET_IFACE (self)->get_authorization_finish (self, result, error);
}

/**
 * mc_bridge_auth_handle_challenge_async:
 * @self: a #McBridgeAuth
 * @challenge: the refusal; valid until @callback runs
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the challenge was met, or not
 * @user_data: for @callback
 *
 * Meets a 401 or 403 from the server, for instance by asking the broker
 * to sign in.  The implementation decides how often a request may be
 * replayed (@challenge's attempt counts them).
 */
void
mc_bridge_auth_handle_challenge_async (McBridgeAuth            *self,
                                       const McBridgeChallenge *challenge,
                                       GCancellable            *cancellable,
                                       GAsyncReadyCallback      callback,
                                       gpointer                 user_data)
{
  g_return_if_fail (MC_IS_BRIDGE_AUTH (self));
  g_return_if_fail (challenge != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  MC_BRIDGE_AUTH_GET_IFACE (self)->handle_challenge_async (self, challenge, cancellable, callback, user_data);
}

/**
 * mc_bridge_auth_handle_challenge_finish:
 * @self: a #McBridgeAuth
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: %TRUE to replay the request
 */
gboolean
mc_bridge_auth_handle_challenge_finish (McBridgeAuth  *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (MC_IS_BRIDGE_AUTH (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return MC_BRIDGE_AUTH_GET_IFACE (self)->handle_challenge_finish (self, result, error);
}
