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
#include "mc-error.h"
#include "mc-options.h"
#include "mc-text.h"

/* The broker's tables and validators (src/daemon/mc-broker.c), restated
 * here because they are static there; keep them in step. */

#define MAX_ELICITATION_ID_LENGTH 256
#define MAX_SERVER_URL_LENGTH 8192
#define MC_BROKER_MAX_TIMEOUT 3600

static gboolean
validate_label (const char  *key,
                GVariant    *value,
                GError     **error)
{
  if (mc_text_has_unsafe_chars (g_variant_get_string (value, NULL)))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Server “%s” contains control, zero-width or bidirectional formatting characters", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_server_name (const char  *key,
                      GVariant    *value,
                      GError     **error)
{
  if (g_variant_get_string (value, NULL)[0] == '\0')
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "Server “%s” must not be empty", key);
      return FALSE;
    }
  return validate_label (key, value, error);
}

static gboolean
validate_server_url (const char  *key,
                     GVariant    *value,
                     GError     **error)
{
  const char *url = g_variant_get_string (value, NULL);
  g_autoptr(GUri) uri = NULL;

  if (url[0] == '\0')
    return TRUE;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL ||
      g_uri_get_host (uri) == NULL ||
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Server “%s” must be an absolute http or https URL", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_timeout (const char  *key,
                  GVariant    *value,
                  GError     **error)
{
  guint32 timeout = g_variant_get_uint32 (value);

  if (timeout < 1 || timeout > MC_BROKER_MAX_TIMEOUT)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” must be between 1 and %d seconds", key, MC_BROKER_MAX_TIMEOUT);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_elicitation_id (const char  *key,
                         GVariant    *value,
                         GError     **error)
{
  if (g_variant_get_string (value, NULL)[0] == '\0')
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT, "Option “%s” must not be empty", key);
      return FALSE;
    }
  return TRUE;
}

static const McOptionKey server_keys[] = {
  { "name", "s", 256, TRUE, validate_server_name },
  { "title", "s", 256, FALSE, validate_label },
  { "version", "s", 64, FALSE, validate_label },
  { "url", "s", MAX_SERVER_URL_LENGTH, FALSE, validate_server_url },
};

static const McOptionKey check_server_keys[] = {
  { "name", "s", 256, FALSE, validate_label },
  { "title", "s", 256, FALSE, validate_label },
  { "version", "s", 64, FALSE, validate_label },
  { "url", "s", MAX_SERVER_URL_LENGTH, FALSE, validate_server_url },
};

static const McOptionKey elicit_option_keys[] = {
  { "handle_token", "s", 64, FALSE, mc_options_validate_token },
  { "elicitation_id", "s", MAX_ELICITATION_ID_LENGTH, FALSE, validate_elicitation_id },
  { "timeout", "u", 0, FALSE, validate_timeout },
};

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

static const Table tables[] = {
  { server_keys, G_N_ELEMENTS (server_keys) },
  { check_server_keys, G_N_ELEMENTS (check_server_keys) },
  { elicit_option_keys, G_N_ELEMENTS (elicit_option_keys) },
  { other_keys, G_N_ELEMENTS (other_keys) },
};

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
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
