/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gtk/gtk.h>

#include "mc-dbus.h"

G_BEGIN_DECLS

#define MC_PROMPTER_OBJECT_PATH "/io/github/mcp_consent/Prompter"

#define MC_TYPE_PROMPTER_SERVICE (mc_prompter_service_get_type ())

G_DECLARE_FINAL_TYPE (McPrompterService, mc_prompter_service, MC, PROMPTER_SERVICE, McDbusPrompter1Skeleton)

McPrompterService *mc_prompter_service_new          (GtkApplication    *application);
guint              mc_prompter_service_get_n_shown  (McPrompterService *self);

G_END_DECLS
