/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-manager-window.h"

G_BEGIN_DECLS

/* For tests: what the window shows, as a user would read it off the
 * screen. */
guint        mc_manager_window_get_n_entries     (McManagerWindow *self,
                                                  const char      *page);
const char  *mc_manager_window_get_visible_state (McManagerWindow *self);
const char  *mc_manager_window_get_status        (McManagerWindow *self);
const char  *mc_manager_window_get_chain_text    (McManagerWindow *self);

G_END_DECLS
