/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* While the window has focus it asks the daemon again this often, so the
 * "Waiting" page follows the queue (the daemon sends no change signal,
 * see docs/dbus-api.md). */
#define MC_MANAGER_POLL_INTERVAL_S 2

#define MC_TYPE_MANAGER_WINDOW (mc_manager_window_get_type ())

G_DECLARE_FINAL_TYPE (McManagerWindow, mc_manager_window, MC, MANAGER_WINDOW, GtkApplicationWindow)

McManagerWindow *mc_manager_window_new        (GtkApplication  *application,
                                               GDBusConnection *connection);
void             mc_manager_window_refresh    (McManagerWindow *self);
void             mc_manager_window_show_page  (McManagerWindow *self,
                                               const char      *name);

G_END_DECLS
