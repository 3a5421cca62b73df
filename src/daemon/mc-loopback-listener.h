/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McCallbackResult:
 * @code: (nullable): the authorization code (secret), when the server
 *   granted access
 * @error: (nullable): the OAuth error (e.g. "access_denied") otherwise
 * @error_description: (nullable): as the server sent it
 * @iss: (nullable): RFC 9207 "iss", when the server sent it
 *
 * What the browser brought back to the redirect URI, once its state
 * matched (and, where required, its iss).
 */
typedef struct
{
  char *code;
  char *error;
  char *error_description;
  char *iss;
} McCallbackResult;

void mc_callback_result_free (McCallbackResult *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McCallbackResult, mc_callback_result_free)

#define MC_TYPE_LOOPBACK_LISTENER (mc_loopback_listener_get_type ())

G_DECLARE_FINAL_TYPE (McLoopbackListener, mc_loopback_listener, MC, LOOPBACK_LISTENER, GObject)

McLoopbackListener *mc_loopback_listener_new                (guint16              port,
                                                             GError             **error);
guint16             mc_loopback_listener_get_port           (McLoopbackListener  *self);
const char         *mc_loopback_listener_get_redirect_uri   (McLoopbackListener  *self);
void                mc_loopback_listener_expect             (McLoopbackListener  *self,
                                                             const char          *state,
                                                             const char          *issuer,
                                                             gboolean             iss_required);
void                mc_loopback_listener_wait_async         (McLoopbackListener  *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
McCallbackResult   *mc_loopback_listener_wait_finish        (McLoopbackListener  *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void                mc_loopback_listener_close              (McLoopbackListener  *self);

G_END_DECLS
