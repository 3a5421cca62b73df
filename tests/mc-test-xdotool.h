/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *mc_test_xdotool_find_window    (const char *title);
gboolean  mc_test_xdotool_window_exists  (const char *title);
void      mc_test_xdotool_press_keys     (const char *window,
                                          const char *keys);

G_END_DECLS
