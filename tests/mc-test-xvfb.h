/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean    mc_test_xvfb_start        (GError **error);
void        mc_test_xvfb_stop         (void);
const char *mc_test_xvfb_get_display  (void);

G_END_DECLS
