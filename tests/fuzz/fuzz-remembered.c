/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the remembered-decisions state file,
 * $XDG_STATE_HOME/mcp-consent/remembered.json.  The input is the file's
 * contents, given to _mc_remembered_load_from_data() as mc_remembered_new()
 * gives it.  Besides crashes, sanitizer reports and criticals it checks what
 * the daemon relies on: a file that fails loads nothing; a loaded store can
 * be listed over D-Bus; what a save writes back loads again, identically,
 * and holds no decision at danger or above.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "fuzz-common.h"
#include "mc-remembered.h"
#include "mc-remembered-private.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

/* Reads the saved file independently of the store: every entry's risk
 * must be one the store may remember. */
static void
check_saved_risks (GBytes *saved)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *entries;

  check (json_parser_load_from_data (parser, g_bytes_get_data (saved, NULL),
                                     g_bytes_get_size (saved), &error));
  check (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));
  check (json_object_get_int_member_with_default (root, "version", 0) == 1);
  entries = json_object_get_array_member (root, "entries");
  check (entries != NULL);

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);
      const char *risk_name = json_object_get_string_member_with_default (entry, "risk", NULL);
      McUrlRisk risk;

      check (risk_name != NULL);
      check (mc_url_risk_from_string (risk_name, &risk));
      check (risk < MC_URL_RISK_DANGER);
    }
}

static void
check_loaded (McRemembered *remembered)
{
  guint n_entries = mc_remembered_get_n_entries (remembered);
  g_autoptr(GVariant) list = NULL;
  g_autoptr(McRemembered) reloaded = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(GBytes) resaved = NULL;
  g_autoptr(GError) error = NULL;

  /* ListRemembered's reply: building it would raise a critical (fatal
   * here) on a string GVariant cannot carry. */
  list = g_variant_ref_sink (mc_remembered_list (remembered, NULL));
  check (list != NULL && g_variant_is_of_type (list, G_VARIANT_TYPE ("aa{sv}")));
  check (g_variant_n_children (list) == n_entries);

  for (gsize i = 0; i < n_entries; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (list, i);
      const char *id = NULL;

      check (g_variant_lookup (entry, "id", "&s", &id));
      /* ForgetRemembered checks the owner through the id. */
      check (mc_remembered_get_identity (remembered, id) != NULL);
    }

  saved = _mc_remembered_serialize (remembered);
  check (saved != NULL);
  check_saved_risks (saved);

  /* A save must never write a file the next start sets aside. */
  reloaded = g_object_new (MC_TYPE_REMEMBERED, NULL);
  if (!_mc_remembered_load_from_data (reloaded, g_bytes_get_data (saved, NULL),
                                      g_bytes_get_size (saved), &error))
    {
      g_printerr ("saved file does not load: %s\n", error->message);
      abort ();
    }
  check (mc_remembered_get_n_entries (reloaded) == n_entries);
  resaved = _mc_remembered_serialize (reloaded);
  check (g_bytes_equal (saved, resaved));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(McRemembered) remembered = g_object_new (MC_TYPE_REMEMBERED, NULL);
  g_autoptr(GError) error = NULL;

  if (_mc_remembered_load_from_data (remembered, (const char *) data, size, &error))
    {
      check (error == NULL);
      check_loaded (remembered);
    }
  else
    {
      /* All or nothing: the daemon sets the file aside and remembers
       * nothing, and it logs the reason. */
      check (error != NULL && error->message != NULL);
      check (g_utf8_validate (error->message, -1, NULL));
      check (mc_remembered_get_n_entries (remembered) == 0);
    }

  return 0;
}
