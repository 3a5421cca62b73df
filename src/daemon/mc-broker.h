/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-auth-flow.h"
#include "mc-policy-monitor.h"
#include "mc-dbus.h"
#include "mc-prompter-client.h"
#include "mc-remembered.h"

G_BEGIN_DECLS

#define MC_BROKER_OBJECT_PATH "/io/github/mcp_consent/Broker"
/* 2: Authorize, GetToken, ListGrants, RevokeGrant; 3: PolicyReloaded;
 * 4: ListAuditEvents; 5: ListPending */
#define MC_BROKER_INTERFACE_VERSION 5
#define MC_BROKER_MAX_PENDING_PER_CALLER 8

#define MC_TYPE_BROKER (mc_broker_get_type ())

G_DECLARE_FINAL_TYPE (McBroker, mc_broker, MC, BROKER, McDbusBroker1Skeleton)

McBroker *mc_broker_new             (GDBusConnection   *connection,
                                     McPrompterClient  *prompter,
                                     McRemembered      *remembered,
                                     const McAuthServices *auth,
                                     gboolean           can_see_callers);
gboolean  mc_broker_export          (McBroker          *self,
                                     GError           **error);
void      mc_broker_set_policy      (McBroker          *self,
                                     McPolicyMonitor   *policy);
void      mc_broker_shutdown        (McBroker          *self);
guint     mc_broker_get_n_pending   (McBroker          *self);

G_END_DECLS
