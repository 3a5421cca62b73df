/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McBridgeChallenge:
 * @method: the request's method: POST, GET or DELETE
 * @url: the URL it went to
 * @status: 401 or 403
 * @www_authenticate: (nullable): the response's WWW-Authenticate header,
 *   every value of it joined by ", ", as received
 * @attempt: 1 for the first challenge to this request, 2 after one replay…
 *
 * A server's refusal of a request for want of authorization.
 */
typedef struct
{
  const char *method;
  const char *url;
  guint       status;
  const char *www_authenticate;
  guint       attempt;
} McBridgeChallenge;

#define MC_TYPE_BRIDGE_AUTH (mc_bridge_auth_get_type ())

G_DECLARE_INTERFACE (McBridgeAuth, mc_bridge_auth, MC, BRIDGE_AUTH, GObject)

/**
 * McBridgeAuthInterface:
 * @get_authorization_async: find the value of the Authorization header for
 *   a request to a URL (every request asks, so a refreshed token is used
 *   at once)
 * @get_authorization_finish: the value, or %NULL and no error for no
 *   header; an error fails the request with its message
 * @handle_challenge_async: meet a 401 or 403: sign in, step up the scopes…
 * @handle_challenge_finish: whether to replay the request (it then asks
 *   for its Authorization again); %FALSE fails the request with the error
 *   set, or with the server's refusal when none is
 *
 * How the bridge authorizes its requests: the seam where the broker's
 * Authorize and GetToken come in (docs/bridge.md, "Internals").  Without
 * an implementation, requests carry only the user's --header values and a
 * 401 or 403 fails the request.
 */
struct _McBridgeAuthInterface
{
  GTypeInterface parent_iface;

  void      (*get_authorization_async)  (McBridgeAuth             *self,
                                         const char               *url,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data);
  char     *(*get_authorization_finish) (McBridgeAuth             *self,
                                         GAsyncResult             *result,
                                         GError                  **error);
  void      (*handle_challenge_async)   (McBridgeAuth             *self,
                                         const McBridgeChallenge  *challenge,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data);
  gboolean  (*handle_challenge_finish)  (McBridgeAuth             *self,
                                         GAsyncResult             *result,
                                         GError                  **error);
};

void      mc_bridge_auth_get_authorization_async  (McBridgeAuth             *self,
                                                   const char               *url,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
char     *mc_bridge_auth_get_authorization_finish (McBridgeAuth             *self,
                                                   GAsyncResult             *result,
                                                   GError                  **error);
void      mc_bridge_auth_handle_challenge_async   (McBridgeAuth             *self,
                                                   const McBridgeChallenge  *challenge,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
gboolean  mc_bridge_auth_handle_challenge_finish  (McBridgeAuth             *self,
                                                   GAsyncResult             *result,
                                                   GError                  **error);

G_END_DECLS
