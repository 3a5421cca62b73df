/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-caller-info.h"

G_BEGIN_DECLS

#define MC_TYPE_PEER_TRACKER (mc_peer_tracker_get_type ())

G_DECLARE_FINAL_TYPE (McPeerTracker, mc_peer_tracker, MC, PEER_TRACKER, GObject)

McPeerTracker *mc_peer_tracker_new           (GDBusConnection      *connection,
                                              gboolean              can_see_callers);
void           mc_peer_tracker_lookup_async  (McPeerTracker        *self,
                                              const char           *unique_name,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
McCallerInfo  *mc_peer_tracker_lookup_finish (McPeerTracker        *self,
                                              GAsyncResult         *result,
                                              GError              **error);
guint          mc_peer_tracker_get_n_peers   (McPeerTracker        *self);

G_END_DECLS
