/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for mc_options_filter(), the typed whitelist every a{sv}
 * from a D-Bus caller goes through.  The input is a serialized a{sv}; like
 * GDBus, which validates a message before a handler sees it, the fuzzer
 * hands the filter its normal form.  Each input goes through the broker's
 * three key tables and one with container types.  Besides crashes,
 * sanitizer reports and criticals it checks the filter against a plain
 * restatement of its contract: it passes exactly when no whitelisted entry
 * has the wrong type, an over-long string or a value its validator
 * refuses, and every required key is there; what passes holds exactly the
 * whitelisted keys given, each with the last value given for it.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-broker-options.h"
#include "mc-error.h"
#include "mc-options.h"

/* Not the broker's: types and a default length it does not use yet. */
static const McOptionKey other_keys[] = {
  { "flag", "b", 0, FALSE, NULL },
  { "names", "as", 8, FALSE, NULL },
  { "nested", "a{sv}", 0, FALSE, NULL },
  { "text", "s", 0, TRUE, NULL },
  { "path", "o", 0, FALSE, NULL },
};

typedef struct
{
  const McOptionKey *keys;
  gsize              n_keys;
} Table;

/* The broker's own tables (src/daemon/mc-broker-options.c), and one more;
 * filled in at start, since the tables' lengths are not constants here. */
static Table tables[6];

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  tables[0] = (Table) { mc_broker_server_keys, mc_broker_n_server_keys };
  tables[1] = (Table) { mc_broker_check_server_keys, mc_broker_n_check_server_keys };
  tables[2] = (Table) { mc_broker_elicit_option_keys, mc_broker_n_elicit_option_keys };
  tables[3] = (Table) { mc_broker_authorize_option_keys, mc_broker_n_authorize_option_keys };
  tables[4] = (Table) { mc_broker_get_token_option_keys, mc_broker_n_get_token_option_keys };
  tables[5] = (Table) { other_keys, G_N_ELEMENTS (other_keys) };
  fuzz_make_messages_fatal ();
  return 0;
}

static const McOptionKey *
find_spec (const Table *table,
           const char  *key)
{
  for (gsize i = 0; i < table->n_keys; i++)
    {
      if (strcmp (table->keys[i].key, key) == 0)
        return &table->keys[i];
    }
  return NULL;
}

/* Whether one entry is acceptable, without the filter's loop. */
static gboolean
entry_acceptable (const McOptionKey *spec,
                  GVariant          *value)
{
  gsize max_length = spec->max_length != 0 ? spec->max_length : MC_OPTION_DEFAULT_MAX_LENGTH;

  if (!g_variant_type_equal (g_variant_get_type (value), G_VARIANT_TYPE (spec->type)))
    return FALSE;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) &&
      strlen (g_variant_get_string (value, NULL)) > max_length)
    return FALSE;
  if (spec->validate != NULL && !spec->validate (spec->key, value, NULL))
    return FALSE;
  return TRUE;
}

/* The last value @options gives @key, which is the one a dictionary keeps. */
static GVariant *
last_value (GVariant   *options,
            const char *key)
{
  GVariant *found = NULL;
  gsize n = g_variant_n_children (options);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (options, i);
      g_autoptr(GVariant) entry_key = g_variant_get_child_value (entry, 0);

      if (strcmp (g_variant_get_string (entry_key, NULL), key) == 0)
        {
          g_clear_pointer (&found, g_variant_unref);
          found = g_variant_get_child_value (entry, 1);
        }
    }

  /* Unbox the "v". */
  if (found != NULL)
    {
      GVariant *inner = g_variant_get_variant (found);

      g_variant_unref (found);
      found = inner;
    }

  return found;
}

static void
check_table (GVariant    *options,
             const Table *table)
{
  g_auto(GVariantDict) filtered = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean expected = TRUE;
  gboolean passed;
  gsize n = g_variant_n_children (options);
  gsize n_given = 0;

  for (gsize i = 0; i < n && expected; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (options, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (entry, 1);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);
      const McOptionKey *spec = find_spec (table, g_variant_get_string (key, NULL));

      if (spec != NULL && !entry_acceptable (spec, value))
        expected = FALSE;
    }

  for (gsize i = 0; i < table->n_keys && expected; i++)
    {
      g_autoptr(GVariant) value = last_value (options, table->keys[i].key);

      if (table->keys[i].required && value == NULL)
        expected = FALSE;
    }

  passed = mc_options_filter (options, table->keys, table->n_keys, &filtered, &error);
  if (passed != expected)
    {
      g_printerr ("filter says %s, the contract says %s (%s)\n",
                  passed ? "pass" : "fail", expected ? "pass" : "fail",
                  error != NULL ? error->message : "no error");
      abort ();
    }

  if (!passed)
    {
      check (g_error_matches (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT));
      check (g_utf8_validate (error->message, -1, NULL));
      return;
    }

  check (error == NULL);

  /* Exactly the whitelisted keys given, with the last value given. */
  for (gsize i = 0; i < table->n_keys; i++)
    {
      g_autoptr(GVariant) given = last_value (options, table->keys[i].key);
      g_autoptr(GVariant) kept = g_variant_dict_lookup_value (&filtered, table->keys[i].key, NULL);

      check ((given == NULL) == (kept == NULL));
      if (given != NULL)
        {
          check (g_variant_equal (given, kept));
          n_given++;
        }
    }

  result = g_variant_ref_sink (g_variant_dict_end (&filtered));
  check (g_variant_n_children (result) == n_given);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GVariant) untrusted = NULL;
  g_autoptr(GVariant) options = NULL;

  untrusted = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  options = g_variant_get_normal_form (untrusted);
  check (g_variant_is_normal_form (options));

  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    check_table (options, &tables[i]);

  return 0;
}
