/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GTestDBus *mc_test_gtk_init             (int         *argc,
                                         char      ***argv);
void       mc_test_gtk_shutdown         (GTestDBus   *bus);
void       mc_test_gtk_save_screenshot  (GtkWidget   *widget,
                                         const char  *name);

G_END_DECLS
