/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-bridge.h"
#include "mc-broker-client.h"

G_BEGIN_DECLS

/* Times one request is sent again after -32042 before the client gets
 * the error: a server that keeps asking would keep the dialog coming. */
#define MC_BRIDGE_ELICITATION_MAX_ROUNDS 3
/* How long after the user's consent the bridge waits for the server's
 * notifications/elicitation/complete before giving the client the
 * original error (the broker's own sign-in timeout). */
#define MC_BRIDGE_ELICITATION_COMPLETION_WAIT_SECONDS 600

#define MC_TYPE_BRIDGE_ELICITATION (mc_bridge_elicitation_get_type ())

G_DECLARE_FINAL_TYPE (McBridgeElicitation, mc_bridge_elicitation, MC, BRIDGE_ELICITATION, GObject)

McBridgeElicitation *mc_bridge_elicitation_new (McBridge       *bridge,
                                                McBrokerClient *client,
                                                const GError   *bus_error);

G_END_DECLS
