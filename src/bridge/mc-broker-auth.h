/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-bridge-auth.h"
#include "mc-broker-client.h"

G_BEGIN_DECLS

/* Sign-ins one request may go through (a 401, then step-ups) before the
 * bridge gives up on it: a server that keeps refusing would otherwise
 * keep the user signing in. */
#define MC_BROKER_AUTH_MAX_ATTEMPTS 3

#define MC_TYPE_BROKER_AUTH (mc_broker_auth_get_type ())

G_DECLARE_FINAL_TYPE (McBrokerAuth, mc_broker_auth, MC, BROKER_AUTH, GObject)

McBrokerAuth *mc_broker_auth_new (McBrokerClient *client,
                                  const char     *resource_url,
                                  const GError   *bus_error);

G_END_DECLS
