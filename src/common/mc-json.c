/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <gio/gio.h>

#include "mc-json.h"

/* Reading JSON that comes from outside — state files, servers' metadata
 * and token responses — without trusting json-glib's leniency: errors are
 * G_IO_ERROR_INVALID_DATA naming the field, and what is accepted is what
 * it claims to be. */

/* json-glib 1.6 parses nested arrays and objects by recursion, with no
 * limit: some 100 kB of "[" overflow the stack, and the daemon would crash
 * at every start instead of setting the file aside, and a server's
 * metadata could crash it at once.  So the nesting is measured first.  The scan knows strict JSON: double-quoted strings with
 * backslash escapes.  json-glib also takes comments and single-quoted
 * strings, where a double quote could hide brackets from the scan, so a
 * "/" or "'" outside a string is refused rather than guessed at; no JSON we
 * read has either. */
static gboolean
check_nesting (const char  *contents,
               gsize        length,
               guint        max_nesting,
               GError     **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = contents[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;

        case '[':
        case '{':
          if (++depth > max_nesting)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "nested deeper than %u levels", max_nesting);
              return FALSE;
            }
          break;

        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;

        case '/':
        case '\'':
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "a comment or a single quote outside a string");
          return FALSE;

        default:
          break;
        }
    }

  return TRUE;
}

/**
 * mc_json_parse:
 * @data: (array length=length): the document
 * @length: its length in bytes
 * @max_nesting: the deepest nesting of arrays and objects accepted
 * @error: return location for a #GError
 *
 * Parses a JSON document of any kind, refusing one nested deeper than
 * @max_nesting before json-glib sees it.
 *
 * Returns: (transfer full): the root, or %NULL with @error set to
 *   %G_IO_ERROR_INVALID_DATA
 */
JsonNode *
mc_json_parse (const char  *data,
               gsize        length,
               guint        max_nesting,
               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_nesting (data, length, max_nesting, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data != NULL ? data : "", length, &local_error))
    {
      /* json-glib quotes the token it stopped at as it decoded it, which
       * need not be UTF-8. */
      g_autofree char *message = g_utf8_make_valid (local_error->message, -1);

      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
      return NULL;
    }

  /* An empty or all-blank document parses without error, to no root. */
  root = json_parser_steal_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the document is empty");
      return NULL;
    }

  return root;
}

/**
 * mc_json_parse_object:
 * @data: (array length=length): the document
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the top-level object, or %NULL with @error set
 */
JsonObject *
mc_json_parse_object (const char  *data,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  root = mc_json_parse (data, length, MC_JSON_MAX_NESTING, error);
  if (root == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the top level is not an object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
get_present_member (JsonObject *object,
                    const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static gboolean
is_valid_string (JsonNode    *node,
                 const char  *name,
                 GError     **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a string", name);
      return FALSE;
    }

  /* json-glib decodes a lone surrogate ("\udc00") to bytes that are not
   * UTF-8, which D-Bus could not carry nor a dialog show. */
  if (!g_utf8_validate (json_node_get_string (node), -1, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not valid UTF-8", name);
      return FALSE;
    }

  return TRUE;
}

/**
 * mc_json_get_string:
 * @object: an object
 * @name: the member
 * @required: whether a missing (or null) member is an error
 * @out_value: (out) (transfer full) (nullable): the string, or %NULL if
 *   absent
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the member is required and missing, or
 *   is not a string of valid UTF-8
 */
gboolean
mc_json_get_string (JsonObject  *object,
                    const char  *name,
                    gboolean     required,
                    char       **out_value,
                    GError     **error)
{
  JsonNode *node = NULL;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (out_value != NULL, FALSE);

  *out_value = NULL;
  node = get_present_member (object, name);
  if (node == NULL)
    {
      if (required)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is missing", name);
      return !required;
    }

  if (!is_valid_string (node, name, error))
    return FALSE;

  *out_value = g_strdup (json_node_get_string (node));
  return TRUE;
}

/**
 * mc_json_get_int:
 * @object: an object
 * @name: the member
 * @default_value: the value when the member is absent
 * @out_value: (out): the value
 * @error: return location for a #GError
 *
 * Not json_object_get_int_member(): that raises a critical on an object or
 * an array, and makes a number up from a string, a double or a boolean.
 *
 * Returns: %FALSE with @error set if the member is not an integer
 */
gboolean
mc_json_get_int (JsonObject  *object,
                 const char  *name,
                 gint64       default_value,
                 gint64      *out_value,
                 GError     **error)
{
  JsonNode *node = NULL;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (out_value != NULL, FALSE);

  *out_value = default_value;
  node = get_present_member (object, name);
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not an integer", name);
      return FALSE;
    }

  *out_value = json_node_get_int (node);
  return TRUE;
}

/**
 * mc_json_get_boolean:
 * @object: an object
 * @name: the member
 * @default_value: the value when the member is absent
 * @out_value: (out): the value
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the member is not a boolean
 */
gboolean
mc_json_get_boolean (JsonObject  *object,
                     const char  *name,
                     gboolean     default_value,
                     gboolean    *out_value,
                     GError     **error)
{
  JsonNode *node = NULL;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (out_value != NULL, FALSE);

  *out_value = default_value;
  node = get_present_member (object, name);
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not true or false", name);
      return FALSE;
    }

  *out_value = json_node_get_boolean (node);
  return TRUE;
}

/**
 * mc_json_get_string_array:
 * @object: an object
 * @name: the member
 * @required: whether a missing (or null) member is an error
 * @out_value: (out) (transfer full) (nullable): the strings, or %NULL if
 *   absent (an empty array gives an empty #GStrv, not %NULL)
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set if the member is required and missing,
 *   or is not an array of strings of valid UTF-8
 */
gboolean
mc_json_get_string_array (JsonObject  *object,
                          const char  *name,
                          gboolean     required,
                          GStrv       *out_value,
                          GError     **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonNode *node = NULL;
  JsonArray *array = NULL;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (out_value != NULL, FALSE);

  *out_value = NULL;
  node = get_present_member (object, name);
  if (node == NULL)
    {
      if (required)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is missing", name);
      return !required;
    }

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a list", name);
      return FALSE;
    }

  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!is_valid_string (element, name, error))
        {
          g_prefix_error (error, "an item of ");
          return FALSE;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  *out_value = g_strv_builder_end (builder);
  return TRUE;
}

/**
 * mc_json_parse_state_list:
 * @data: (array length=length): a state file's contents
 * @length: its length in bytes
 * @format_version: the "version" this program writes and reads
 * @list_name: the member holding the file's entries
 * @out_root: (out) (transfer full): the file's root, which owns the list
 * @error: return location for a #GError
 *
 * Reads the frame the broker's state files share: an object with
 * "version" (0 when absent) and a list of entries.
 *
 * Returns: (transfer none) (nullable): the list, or %NULL with @error set
 *   to G_IO_ERROR_INVALID_DATA
 */
JsonArray *
mc_json_parse_state_list (const char  *data,
                          gsize        length,
                          gint64       format_version,
                          const char  *list_name,
                          JsonObject **out_root,
                          GError     **error)
{
  g_autoptr(JsonObject) root = NULL;
  gint64 version = 0;
  JsonArray *list = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (list_name != NULL, NULL);
  g_return_val_if_fail (out_root != NULL, NULL);

  root = mc_json_parse_object (data, length, error);
  if (root == NULL)
    return NULL;

  if (!mc_json_get_int (root, "version", 0, &version, error))
    return NULL;
  if (version != format_version)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not format version %" G_GINT64_FORMAT,
                   format_version);
      return NULL;
    }

  if (!json_object_has_member (root, list_name) ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, list_name)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” is not a list", list_name);
      return NULL;
    }
  list = json_object_get_array_member (root, list_name);

  *out_root = g_steal_pointer (&root);
  return list;
}
