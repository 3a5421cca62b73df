/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-error.h"
#include "mc-options.h"

#define MC_TOKEN_MAX_LENGTH 64

static const McOptionKey *
find_key (const McOptionKey *keys,
          gsize              n_keys,
          const char        *key)
{
  for (gsize i = 0; i < n_keys; i++)
    if (g_str_equal (keys[i].key, key))
      return &keys[i];
  return NULL;
}

static gboolean
check_string_length (const McOptionKey  *spec,
                     GVariant           *value,
                     GError            **error)
{
  gsize max_length = spec->max_length ? spec->max_length : MC_OPTION_DEFAULT_MAX_LENGTH;
  gsize length = 0;

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return TRUE;

  g_variant_get_string (value, &length);
  if (length > max_length)
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” is %" G_GSIZE_FORMAT " bytes long; at most %" G_GSIZE_FORMAT " are accepted",
                   spec->key, length, max_length);
      return FALSE;
    }
  return TRUE;
}

/**
 * mc_options_filter:
 * @options: an a{sv} from an untrusted peer
 * @keys: (array length=n_keys): the whitelist
 * @n_keys: length of @keys
 * @filtered: a dictionary that receives the accepted entries
 * @error: return location for an %MC_ERROR_INVALID_ARGUMENT error
 *
 * Copies the whitelisted entries of @options into @filtered.  Unknown keys
 * are dropped (so clients may pass options of newer versions), while a
 * known key with the wrong type, an over-long string or a value its
 * validator refuses fails the whole call: a caller that gets its own
 * options wrong should hear about it rather than see them ignored.
 *
 * Returns: %TRUE if @options passed
 */
gboolean
mc_options_filter (GVariant           *options,
                   const McOptionKey  *keys,
                   gsize               n_keys,
                   GVariantDict       *filtered,
                   GError            **error)
{
  GVariantIter iter;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT), FALSE);
  g_return_val_if_fail (keys != NULL || n_keys == 0, FALSE);
  g_return_val_if_fail (filtered != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_variant_iter_init (&iter, options);
  for (;;)
    {
      g_autoptr(GVariant) value = NULL;
      const char *key = NULL;
      const McOptionKey *spec = NULL;

      if (!g_variant_iter_next (&iter, "{&sv}", &key, &value))
        break;

      spec = find_key (keys, n_keys, key);

      if (spec == NULL)
        {
          g_debug ("Ignoring unknown option “%s”", key);
          continue;
        }

      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (spec->type)))
        {
          g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                       "Option “%s” must be of type “%s”, not “%s”",
                       key, spec->type, g_variant_get_type_string (value));
          return FALSE;
        }

      if (!check_string_length (spec, value, error))
        return FALSE;

      if (spec->validate != NULL && !spec->validate (key, value, error))
        return FALSE;

      g_variant_dict_insert_value (filtered, key, value);
    }

  for (gsize i = 0; i < n_keys; i++)
    {
      if (keys[i].required && !g_variant_dict_contains (filtered, keys[i].key))
        {
          g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                       "Option “%s” is required", keys[i].key);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * mc_options_is_valid_token:
 * @token: a handle token
 *
 * Tokens become an element of an object path, so only the characters an
 * object path element allows are accepted, and not too many of them.
 *
 * Returns: %TRUE for 1 to 64 characters of [A-Za-z0-9_]
 */
gboolean
mc_options_is_valid_token (const char *token)
{
  gsize length = 0;

  g_return_val_if_fail (token != NULL, FALSE);

  for (const char *p = token; *p != '\0'; p++, length++)
    {
      if (!g_ascii_isalnum (*p) && *p != '_')
        return FALSE;
    }

  return length > 0 && length <= MC_TOKEN_MAX_LENGTH;
}

gboolean
mc_options_validate_token (const char  *key,
                           GVariant    *value,
                           GError     **error)
{
  if (!mc_options_is_valid_token (g_variant_get_string (value, NULL)))
    {
      g_set_error (error, MC_ERROR, MC_ERROR_INVALID_ARGUMENT,
                   "Option “%s” must be 1 to %d letters, digits or underscores",
                   key, MC_TOKEN_MAX_LENGTH);
      return FALSE;
    }
  return TRUE;
}
