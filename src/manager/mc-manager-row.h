/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MC_TYPE_MANAGER_ROW (mc_manager_row_get_type ())

G_DECLARE_FINAL_TYPE (McManagerRow, mc_manager_row, MC, MANAGER_ROW, GtkListBoxRow)

McManagerRow *mc_manager_row_new          (const char   *item_id,
                                           const char   *title);
const char   *mc_manager_row_get_item_id  (McManagerRow *self);
const char   *mc_manager_row_get_title    (McManagerRow *self);
void          mc_manager_row_add_detail   (McManagerRow *self,
                                           const char   *detail);
void          mc_manager_row_set_action   (McManagerRow *self,
                                           const char   *label,
                                           const char   *accessible_label);
gboolean      mc_manager_row_has_action   (McManagerRow *self);

G_END_DECLS
