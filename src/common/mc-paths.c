/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-paths.h"

/* Where the broker keeps its files, for the daemon and the CLI alike (see
 * docs/storage.md). None of them holds a secret. */

/**
 * mc_paths_state_file:
 * @name: a file name
 *
 * Returns: (transfer full): @name in the broker's directory under
 *   $XDG_STATE_HOME: what the broker learnt (decisions, grants, clients)
 */
char *
mc_paths_state_file (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_build_filename (g_get_user_state_dir (), "mcp-consent", name, NULL);
}

/**
 * mc_paths_config_file:
 * @name: a file name
 *
 * Returns: (transfer full): @name in the broker's directory under
 *   $XDG_CONFIG_HOME: what the user set
 */
char *
mc_paths_config_file (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_build_filename (g_get_user_config_dir (), "mcp-consent", name, NULL);
}
