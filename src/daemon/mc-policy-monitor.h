/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-policy.h"

G_BEGIN_DECLS

#define MC_TYPE_POLICY_MONITOR (mc_policy_monitor_get_type ())

G_DECLARE_FINAL_TYPE (McPolicyMonitor, mc_policy_monitor, MC, POLICY_MONITOR, GObject)

McPolicyMonitor *mc_policy_monitor_new        (void);
McPolicy        *mc_policy_monitor_get_policy (McPolicyMonitor *self);

G_END_DECLS
