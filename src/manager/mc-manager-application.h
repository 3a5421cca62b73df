/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MC_TYPE_MANAGER_APPLICATION (mc_manager_application_get_type ())

G_DECLARE_FINAL_TYPE (McManagerApplication, mc_manager_application, MC, MANAGER_APPLICATION, GtkApplication)

McManagerApplication *mc_manager_application_new (void);

G_END_DECLS
