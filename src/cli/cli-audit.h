/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

int      cli_cmd_audit        (int          argc,
                               char       **argv);
gboolean cli_audit_parse_time (const char  *text,
                               gint64       now,
                               gint64      *out_time);

G_END_DECLS
