/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the dynamic client registrations state file,
 * $XDG_STATE_HOME/mcp-consent/registrations.json.  The input is the file's
 * contents, given to _mc_client_registry_load_registrations_from_data() as
 * mc_client_registry_new() gives it.  Besides crashes, sanitizer reports
 * and criticals it checks what the daemon relies on: a file that fails
 * loads nothing; every loaded registration passes
 * mc_oauth_client_is_valid_registration() (an https or loopback issuer, a
 * loopback redirect URI) and is the one found for its issuer; what a save
 * writes back loads again, identically.
 */

#include "config.h"

#include <json-glib/json-glib.h>

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

/* The issuers in the saved file, read independently of the registry. */
static GPtrArray *
saved_issuers (GBytes *saved)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  GPtrArray *issuers = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array = NULL;

  check (json_parser_load_from_data (parser, g_bytes_get_data (saved, NULL), g_bytes_get_size (saved), NULL));
  array = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "registrations");
  check (array != NULL);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      check (object != NULL);
      /* Nothing secret is ever written. */
      check (!json_object_has_member (object, "client_secret"));
      g_ptr_array_add (issuers, g_strdup (json_object_get_string_member (object, "issuer")));
    }
  return issuers;
}

static void
check_loaded (McClientRegistry *registry)
{
  guint n = _mc_client_registry_get_n_registrations (registry);
  g_autoptr(GBytes) saved = _mc_client_registry_serialize_registrations (registry);
  g_autoptr(GPtrArray) issuers = saved_issuers (saved);
  g_autoptr(McClientRegistry) reloaded = NULL;
  g_autoptr(GBytes) resaved = NULL;
  g_autoptr(GError) error = NULL;

  check (issuers->len == n);
  for (guint i = 0; i < issuers->len; i++)
    {
      const char *issuer = g_ptr_array_index (issuers, i);
      g_autoptr(McOAuthClient) client = mc_client_registry_find_dynamic (registry, issuer);
      g_autoptr(GError) invalid = NULL;

      check (client != NULL);
      check (client->source == MC_CLIENT_SOURCE_DYNAMIC);
      check (g_str_equal (client->issuer, issuer));
      check (mc_oauth_client_is_valid_registration (client, &invalid));

      /* One per issuer. */
      for (guint j = i + 1; j < issuers->len; j++)
        check (!g_str_equal (issuer, g_ptr_array_index (issuers, j)));
    }

  /* A save must never write a file the next start sets aside. */
  reloaded = _mc_client_registry_new_empty (NULL, NULL);
  if (!_mc_client_registry_load_registrations_from_data (reloaded, g_bytes_get_data (saved, NULL),
                                                         g_bytes_get_size (saved), &error))
    {
      g_printerr ("saved file does not load: %s\n", error->message);
      abort ();
    }
  check (_mc_client_registry_get_n_registrations (reloaded) == n);
  resaved = _mc_client_registry_serialize_registrations (reloaded);
  check (g_bytes_equal (saved, resaved));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(McClientRegistry) registry = _mc_client_registry_new_empty (NULL, NULL);
  g_autoptr(GError) error = NULL;

  if (_mc_client_registry_load_registrations_from_data (registry, (const char *) data, size, &error))
    {
      check (error == NULL);
      check_loaded (registry);
    }
  else
    {
      check (error != NULL && error->message != NULL);
      check (g_utf8_validate (error->message, -1, NULL));
      check (_mc_client_registry_get_n_registrations (registry) == 0);
    }

  return 0;
}
