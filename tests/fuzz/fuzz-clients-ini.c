/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for clients.ini ($XDG_CONFIG_HOME/mcp-consent/), which
 * the daemon reads before every authorization.  The input is the file's
 * contents, given to _mc_clients_config_parse() as the daemon's loader
 * gives it.  Besides crashes, sanitizer reports and criticals it checks:
 * a refused file yields an INVALID_DATA error in UTF-8 that says where
 * ("line N…") unless GKeyFile itself refused it; an accepted file's every
 * [issuer …] and [resource …] group, read independently with GKeyFile, is
 * found with its own client id, an auth method the broker uses and a
 * loopback redirect URI; its metadata URL is https with a path; and what
 * `mcp-consent client set` would write back (GKeyFile keeping comments)
 * parses again to the same clients.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-client-registry.h"
#include "mc-client-registry-private.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

static void
check_group (McClientsConfig *config,
             GKeyFile        *key_file,
             const char      *group)
{
  g_autoptr(McOAuthClient) client = NULL;
  g_autofree char *client_id = g_key_file_get_string (key_file, group, "client-id", NULL);
  g_autofree char *pinned_issuer = g_key_file_get_string (key_file, group, "issuer", NULL);

  check (client_id != NULL);

  /* "not a URL" normalizes to nothing: only the group's own kind can
   * match, whatever else the file holds. */
  if (g_str_has_prefix (group, "issuer "))
    client = _mc_clients_config_find (config, group + strlen ("issuer "), "not a URL");
  else if (pinned_issuer != NULL)
    client = _mc_clients_config_find (config, pinned_issuer, group + strlen ("resource "));
  else
    client = _mc_clients_config_find (config, "not a URL", group + strlen ("resource "));

  check (client != NULL);
  check (client->source == MC_CLIENT_SOURCE_PRE_REGISTERED);
  check (g_str_equal (client->client_id, client_id));
  check (g_str_equal (client->auth_method, "none") ||
         g_str_equal (client->auth_method, "client_secret_basic") ||
         g_str_equal (client->auth_method, "client_secret_post"));
  check (client->redirect_uri == NULL || _mc_check_redirect_uri (client->redirect_uri, NULL));
}

static void
check_accepted (McClientsConfig *config,
                const char      *data,
                size_t           size)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(McClientsConfig) rewritten = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;
  g_autofree char *written = NULL;
  const char *metadata_url = _mc_clients_config_get_metadata_url (config);
  guint n_clients = 0;
  gsize written_length = 0;

  check (metadata_url == NULL || _mc_check_metadata_url (metadata_url, NULL));

  check (g_key_file_load_from_data (key_file, data, size, G_KEY_FILE_KEEP_COMMENTS, NULL));
  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      if (g_str_equal (groups[i], "broker"))
        continue;
      check (g_str_has_prefix (groups[i], "issuer ") || g_str_has_prefix (groups[i], "resource "));
      check_group (config, key_file, groups[i]);
      n_clients++;
    }
  check (n_clients == _mc_clients_config_get_n_clients (config));

  /* The command line edits through GKeyFile: writing back a file the
   * daemon accepted must give one it accepts, to the same effect. */
  written = g_key_file_to_data (key_file, &written_length, NULL);
  rewritten = _mc_clients_config_parse (written, written_length, &error);
  if (rewritten == NULL)
    {
      g_printerr ("rewritten file does not parse: %s\n", error->message);
      abort ();
    }
  check (_mc_clients_config_get_n_clients (rewritten) == n_clients);
  check (g_strcmp0 (_mc_clients_config_get_metadata_url (rewritten), metadata_url) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(McClientsConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = _mc_clients_config_parse ((const char *) data, size, &error);
  if (config != NULL)
    {
      check (error == NULL);
      check_accepted (config, (const char *) data, size);
    }
  else
    {
      check (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
      check (g_utf8_validate (error->message, -1, NULL));
    }

  return 0;
}
