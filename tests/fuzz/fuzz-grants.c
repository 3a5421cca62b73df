/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the grant metadata state file,
 * $XDG_STATE_HOME/mcp-consent/grants.json.  The input is the file's
 * contents, given to _mc_grant_store_load_from_data() as
 * mc_grant_store_new() gives it.  Besides crashes, sanitizer reports and
 * criticals it checks what the daemon relies on: a file that fails loads
 * nothing; every loaded grant passes mc_grant_is_valid() (so its endpoints
 * are https or loopback), can be listed over D-Bus, and is found by its id
 * and by its app and resource, which are unique; what a save writes back
 * loads again, identically.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-grant-store.h"
#include "mc-grant-store-private.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

static void
check_loaded (McGrantStore *store)
{
  guint n_grants = mc_grant_store_get_n_grants (store);
  g_autoptr(GPtrArray) grants = mc_grant_store_list (store, NULL);
  g_autoptr(McGrantStore) reloaded = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(GBytes) resaved = NULL;
  g_autoptr(GError) error = NULL;

  check (grants->len == n_grants);
  for (guint i = 0; i < grants->len; i++)
    {
      McGrant *grant = g_ptr_array_index (grants, i);
      g_autoptr(McGrant) by_id = NULL;
      g_autoptr(McGrant) by_key = NULL;
      g_autoptr(GPtrArray) of_app = NULL;
      g_autoptr(GVariant) variant = NULL;
      g_autoptr(GError) invalid = NULL;
      const char *id = NULL;

      check (mc_grant_is_valid (grant, &invalid));
      check (grant->id != NULL && grant->scopes != NULL);

      /* RevokeGrant finds it by id, GetToken by app and resource: each
       * must name this grant and no other. */
      by_id = mc_grant_store_lookup (store, grant->id);
      check (by_id != NULL && g_str_equal (by_id->app, grant->app) &&
             g_str_equal (by_id->resource, grant->resource));
      by_key = mc_grant_store_find (store, grant->app, grant->resource);
      check (by_key != NULL && g_str_equal (by_key->id, grant->id));
      of_app = mc_grant_store_list (store, grant->app);
      check (of_app->len >= 1);

      /* ListGrants' reply: building it would raise a critical (fatal
       * here) on a string GVariant cannot carry. */
      variant = g_variant_ref_sink (mc_grant_to_variant (grant));
      check (g_variant_is_of_type (variant, G_VARIANT_TYPE_VARDICT));
      check (g_variant_lookup (variant, "id", "&s", &id) && g_str_equal (id, grant->id));
    }

  saved = _mc_grant_store_serialize (store);
  check (saved != NULL);

  /* A save must never write a file the next start sets aside. */
  reloaded = _mc_grant_store_new_empty (NULL);
  if (!_mc_grant_store_load_from_data (reloaded, g_bytes_get_data (saved, NULL),
                                       g_bytes_get_size (saved), &error))
    {
      g_printerr ("saved file does not load: %s\n", error->message);
      abort ();
    }
  check (mc_grant_store_get_n_grants (reloaded) == n_grants);
  resaved = _mc_grant_store_serialize (reloaded);
  check (g_bytes_equal (saved, resaved));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(McGrantStore) store = _mc_grant_store_new_empty (NULL);
  g_autoptr(GError) error = NULL;

  if (_mc_grant_store_load_from_data (store, (const char *) data, size, &error))
    {
      check (error == NULL);
      check_loaded (store);
    }
  else
    {
      /* All or nothing: the daemon sets the file aside and keeps no
       * grant, and it logs the reason. */
      check (error != NULL && error->message != NULL);
      check (g_utf8_validate (error->message, -1, NULL));
      check (mc_grant_store_get_n_grants (store) == 0);
    }

  return 0;
}
