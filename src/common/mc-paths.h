/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *mc_paths_state_file  (const char *name);
char *mc_paths_config_file (const char *name);

G_END_DECLS
