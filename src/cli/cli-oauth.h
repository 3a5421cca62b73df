/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

int cli_cmd_authorize (int argc, char **argv);
int cli_cmd_token     (int argc, char **argv);
int cli_cmd_grants    (int argc, char **argv);
int cli_cmd_revoke    (int argc, char **argv);
int cli_cmd_client    (int argc, char **argv);

G_END_DECLS
