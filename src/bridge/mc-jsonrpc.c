/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "mc-bridge-error.h"
#include "mc-json.h"
#include "mc-jsonrpc.h"

/* One JSON-RPC 2.0 message as the bridge passes it on: parsed, so that
 * its kind and id are known, and kept as the text it came as (line breaks
 * made spaces), so that what is forwarded is byte for byte what was sent —
 * json-glib would write numbers back differently (a large integer id, for
 * one, would not survive).  A message changed in place by a hook
 * (mc_jsonrpc_message_changed()) is written anew from the tree.
 *
 * What counts as a message is strict, because the other side must be
 * able to read what is passed on: the text must be UTF-8 and one JSON
 * value (json-glib alone would take `{"a":1}{"b":2}` as the first object,
 * and a raw line break inside a string); an object with "jsonrpc": "2.0";
 * a request or notification has a string method, a request an id that is
 * a string or a number (not null); a response has exactly one of result
 * and error, and an id (null only in an error). */

struct _McJsonrpcMessage
{
  grefcount      ref_count;

  JsonNode      *root;
  McJsonrpcKind  kind;
  char          *method;
  JsonNode      *id;
  char          *id_key;
  gboolean       is_error;
  GBytes        *bytes;
  char          *description;
};

G_DEFINE_BOXED_TYPE (McJsonrpcMessage, mc_jsonrpc_message, mc_jsonrpc_message_ref, mc_jsonrpc_message_unref)

static gboolean
is_json_whitespace (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
hex_value (char c)
{
  return g_ascii_xdigit_value (c);
}

/* The code unit of a "\uXXXX" escape at @p (the backslash), or -1. */
static int
escaped_unit (const char *p,
              const char *end)
{
  int unit = 0;

  if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
    return -1;
  for (int i = 2; i < 6; i++)
    {
      if (hex_value (p[i]) < 0)
        return -1;
      unit = unit * 16 + hex_value (p[i]);
    }
  return unit;
}

static gboolean
parse_error (GError     **error,
             const char  *message)
{
  g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_PARSE, _("Parse error: %s"), message);
  return FALSE;
}

/* What json-glib lets through and JSON does not: control characters in
 * strings, escapes other than JSON's, and more after the first value;
 * also lone surrogate escapes, which are JSON but which json-glib turns
 * into bytes that are not UTF-8.  Comments and single quotes are refused
 * by mc_json_parse(). */
static gboolean
check_json_text (const char  *data,
                 gsize        length,
                 GError     **error)
{
  const char *end = data + length;
  gboolean in_string = FALSE;
  gboolean ended = FALSE;
  guint depth = 0;

  for (const char *p = data; p < end; p++)
    {
      guchar c = *p;

      if (in_string)
        {
          if (c == '\\')
            {
              int unit = -1;

              /* An escape cut off at the very end is json-glib's to report. */
              if (p + 1 >= end)
                continue;
              if (strchr ("\"\\/bfnrt", p[1]) != NULL && p[1] != '\0')
                {
                  p++;
                  continue;
                }
              unit = escaped_unit (p, end);
              if (unit < 0)
                return parse_error (error, _("an invalid escape in a string"));
              if (unit >= 0xdc00 && unit <= 0xdfff)
                return parse_error (error, _("a lone surrogate escape in a string"));
              if (unit >= 0xd800 && unit <= 0xdbff)
                {
                  int low = escaped_unit (p + 6, end);

                  if (low < 0xdc00 || low > 0xdfff)
                    return parse_error (error, _("a lone surrogate escape in a string"));
                  p += 6;
                }
              p += 5;
            }
          else if (c == '"')
            {
              in_string = FALSE;
              ended = depth == 0;
            }
          else if (c < 0x20)
            {
              return parse_error (error, _("a control character inside a string"));
            }
          continue;
        }

      if (is_json_whitespace (c))
        continue;

      if (ended)
        return parse_error (error, _("more than one JSON value in one message"));

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;

        case '{':
        case '[':
          depth++;
          break;

        case '}':
        case ']':
          if (depth > 0)
            depth--;
          ended = depth == 0;
          break;

        default:
          if (c < 0x20)
            return parse_error (error, _("a control character"));
          break;
        }
    }

  /* An unterminated string is json-glib's to report. */
  return TRUE;
}

static gboolean
is_valid_id (JsonNode *node)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  /* json-glib reads 1e999 as infinity, which JSON cannot write back. */
  type = json_node_get_value_type (node);
  return type == G_TYPE_STRING || type == G_TYPE_INT64 ||
         (type == G_TYPE_DOUBLE && isfinite (json_node_get_double (node)));
}

static gboolean
invalid (GError     **error,
         const char  *message)
{
  g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_INVALID_REQUEST, _("Invalid Request: %s"), message);
  return FALSE;
}

/* Fills in what the message is from its tree. */
static gboolean
classify (McJsonrpcMessage  *self,
          JsonNode         **out_id,
          GError           **error)
{
  JsonObject *object = NULL;
  JsonNode *jsonrpc = NULL;
  JsonNode *method = NULL;
  JsonNode *id = NULL;
  JsonNode *result = NULL;
  JsonNode *error_member = NULL;

  g_clear_pointer (&self->method, g_free);
  g_clear_pointer (&self->id, json_node_unref);
  g_clear_pointer (&self->id_key, g_free);
  g_clear_pointer (&self->description, g_free);
  self->is_error = FALSE;

  if (JSON_NODE_HOLDS_ARRAY (self->root))
    return invalid (error, _("batches of JSON-RPC messages are not supported"));
  if (!JSON_NODE_HOLDS_OBJECT (self->root))
    return invalid (error, _("a message must be a JSON object"));

  object = json_node_get_object (self->root);
  id = json_object_get_member (object, "id");
  if (out_id != NULL && is_valid_id (id))
    *out_id = json_node_copy (id);

  jsonrpc = json_object_get_member (object, "jsonrpc");
  if (jsonrpc == NULL || !JSON_NODE_HOLDS_VALUE (jsonrpc) ||
      json_node_get_value_type (jsonrpc) != G_TYPE_STRING ||
      g_strcmp0 (json_node_get_string (jsonrpc), "2.0") != 0)
    return invalid (error, _("\"jsonrpc\" must be \"2.0\""));

  if (id != NULL && !JSON_NODE_HOLDS_NULL (id) && !is_valid_id (id))
    return invalid (error, _("\"id\" must be a string or a number"));

  method = json_object_get_member (object, "method");
  result = json_object_get_member (object, "result");
  error_member = json_object_get_member (object, "error");

  if (method != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (method) || json_node_get_value_type (method) != G_TYPE_STRING)
        return invalid (error, _("\"method\" must be a string"));
      if (result != NULL || error_member != NULL)
        return invalid (error, _("a message cannot have both a method and a result or an error"));
      if (id != NULL && JSON_NODE_HOLDS_NULL (id))
        return invalid (error, _("the id of a request cannot be null"));

      self->kind = id != NULL ? MC_JSONRPC_REQUEST : MC_JSONRPC_NOTIFICATION;
      self->method = g_strdup (json_node_get_string (method));
    }
  else if (result != NULL || error_member != NULL)
    {
      if (result != NULL && error_member != NULL)
        return invalid (error, _("a response cannot have both a result and an error"));
      if (id == NULL)
        return invalid (error, _("a response must have an id"));
      if (result != NULL && JSON_NODE_HOLDS_NULL (id))
        return invalid (error, _("the id of a result cannot be null"));
      if (error_member != NULL && !JSON_NODE_HOLDS_OBJECT (error_member))
        return invalid (error, _("\"error\" must be an object"));

      self->kind = MC_JSONRPC_RESPONSE;
      self->is_error = error_member != NULL;
    }
  else
    {
      return invalid (error, _("a message needs a method, a result or an error"));
    }

  if (id != NULL)
    {
      self->id = json_node_copy (id);
      self->id_key = mc_jsonrpc_id_key (id);
    }
  return TRUE;
}

static McJsonrpcMessage *
message_new (JsonNode *root)
{
  McJsonrpcMessage *self = g_new0 (McJsonrpcMessage, 1);

  g_ref_count_init (&self->ref_count);
  self->root = root;
  return self;
}

/* Whether the tree holds a number json-glib read as infinity (1e999 is
 * JSON, and passes as it came; written back it would be "inf"). */
static gboolean
has_non_finite (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        JsonNode *member = NULL;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, NULL, &member))
          {
            if (has_non_finite (member))
              return TRUE;
          }
        return FALSE;
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            if (has_non_finite (json_array_get_element (array, i)))
              return TRUE;
          }
        return FALSE;
      }

    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) == G_TYPE_DOUBLE && !isfinite (json_node_get_double (node));

    case JSON_NODE_NULL:
    default:
      return FALSE;
    }
}

/* JSON text for a tree.  Not json-glib's generator: version 1.6 writes a
 * double it formats with an exponent as "1e+98.0", which no parser takes
 * (found by fuzz-stdio-framing, regression-large-double).  The tree holds
 * only finite numbers (has_non_finite()). */
static void
write_string (GString    *out,
              const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c < 0x20)
        {
          g_string_append_printf (out, "\\u%04x", c);
        }
      else
        {
          g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

static void
write_node (GString  *out,
            JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name = NULL;
        JsonNode *member = NULL;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            write_string (out, name);
            g_string_append_c (out, ':');
            write_node (out, member);
          }
        g_string_append_c (out, '}');
        break;
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        g_string_append_c (out, '[');
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            write_node (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
        break;
      }

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;

        case G_TYPE_DOUBLE:
          {
            char buffer[G_ASCII_DTOSTR_BUF_SIZE];

            g_string_append (out, g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
            break;
          }

        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;

        case G_TYPE_STRING:
          write_string (out, json_node_get_string (node));
          break;

        default:
          g_string_append (out, "null");
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

static GBytes *
bytes_from_tree (JsonNode *root)
{
  GString *out = g_string_new (NULL);
  gsize length = 0;

  write_node (out, root);
  length = out->len;
  return g_bytes_new_take (g_string_free (out, FALSE), length);
}

/**
 * mc_jsonrpc_message_parse:
 * @data: (array length=length): the text of one message
 * @length: its length in bytes
 * @out_id: (out) (optional) (transfer full): where to put the id found in
 *   a JSON object that is not a valid message, so that the error can be
 *   answered to it; %NULL when there is none
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the message, or %NULL with @error set to
 *   %MC_BRIDGE_ERROR_PARSE (not JSON: answer -32700) or
 *   %MC_BRIDGE_ERROR_INVALID_REQUEST (JSON, but not a JSON-RPC message:
 *   answer -32600); the message is fit to send back
 */
McJsonrpcMessage *
mc_jsonrpc_message_parse (const char  *data,
                          gsize        length,
                          JsonNode   **out_id,
                          GError     **error)
{
  g_autoptr(McJsonrpcMessage) self = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root = NULL;
  char *text = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (out_id == NULL || *out_id == NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_PARSE,
                           _("Parse error: the message is not UTF-8 text"));
      return NULL;
    }

  if (!check_json_text (data, length, error))
    return NULL;

  root = mc_json_parse (data, length, MC_JSONRPC_MAX_NESTING, &local_error);
  if (root == NULL)
    {
      g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_PARSE, _("Parse error: %s"), local_error->message);
      return NULL;
    }

  self = message_new (root);
  if (!classify (self, out_id, error))
    return NULL;
  /* The id is only for answering what is not a message. */
  if (out_id != NULL)
    g_clear_pointer (out_id, json_node_unref);

  /* Line breaks outside strings are white space, and a valid message has
   * none inside them. */
  text = g_strndup (data, length);
  for (gsize i = 0; i < length; i++)
    {
      if (text[i] == '\n' || text[i] == '\r')
        text[i] = ' ';
    }
  self->bytes = g_bytes_new_take (text, length);

  return g_steal_pointer (&self);
}

/**
 * mc_jsonrpc_message_new:
 * @root: a JSON-RPC message as a tree; it is copied
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the message, or %NULL with @error set to
 *   %MC_BRIDGE_ERROR_INVALID_REQUEST
 */
McJsonrpcMessage *
mc_jsonrpc_message_new (JsonNode  *root,
                        GError   **error)
{
  g_autoptr(McJsonrpcMessage) self = NULL;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = message_new (json_node_copy (root));
  if (!classify (self, NULL, error))
    return NULL;
  if (has_non_finite (self->root))
    {
      g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_INVALID_REQUEST,
                           _("Invalid Request: the message holds a number too large to be written"));
      return NULL;
    }
  self->bytes = bytes_from_tree (self->root);
  return g_steal_pointer (&self);
}

/**
 * mc_jsonrpc_message_new_error:
 * @id: (nullable): the id of the request answered, or %NULL for null
 * @code: the JSON-RPC error code
 * @message: the error message
 * @data: (nullable): the error's data, copied
 *
 * Returns: (transfer full): an error response
 */
McJsonrpcMessage *
mc_jsonrpc_message_new_error (JsonNode   *id,
                              int         code,
                              const char *message,
                              JsonNode   *data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *valid_message = NULL;

  g_return_val_if_fail (message != NULL, NULL);

  valid_message = g_utf8_make_valid (message, -1);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "jsonrpc");
  json_builder_add_string_value (builder, "2.0");
  json_builder_set_member_name (builder, "id");
  if (id != NULL)
    json_builder_add_value (builder, json_node_copy (id));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, valid_message);
  if (data != NULL)
    {
      json_builder_set_member_name (builder, "data");
      json_builder_add_value (builder, json_node_copy (data));
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return mc_jsonrpc_message_new (root, NULL);
}

McJsonrpcMessage *
mc_jsonrpc_message_ref (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_ref_count_inc (&self->ref_count);
  return self;
}

void
mc_jsonrpc_message_unref (McJsonrpcMessage *self)
{
  g_return_if_fail (self != NULL);

  if (!g_ref_count_dec (&self->ref_count))
    return;

  g_clear_pointer (&self->root, json_node_unref);
  g_clear_pointer (&self->id, json_node_unref);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->method);
  g_free (self->id_key);
  g_free (self->description);
  g_free (self);
}

McJsonrpcKind
mc_jsonrpc_message_get_kind (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, MC_JSONRPC_NOTIFICATION);

  return self->kind;
}

/**
 * mc_jsonrpc_message_get_method:
 * @self: a #McJsonrpcMessage
 *
 * Returns: (nullable): the method of a request or notification
 */
const char *
mc_jsonrpc_message_get_method (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->method;
}

/**
 * mc_jsonrpc_message_get_id:
 * @self: a #McJsonrpcMessage
 *
 * Returns: (nullable) (transfer none): the id, %NULL for a notification
 */
JsonNode *
mc_jsonrpc_message_get_id (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->id;
}

/**
 * mc_jsonrpc_message_get_id_key:
 * @self: a #McJsonrpcMessage
 *
 * Returns: (nullable): the id as a key (mc_jsonrpc_id_key()), %NULL for a
 *   notification or a null id
 */
const char *
mc_jsonrpc_message_get_id_key (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->id_key;
}

gboolean
mc_jsonrpc_message_is_error (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->is_error;
}

/**
 * mc_jsonrpc_message_get_object:
 * @self: a #McJsonrpcMessage
 *
 * The message's tree.  A hook may change it in place, and must then call
 * mc_jsonrpc_message_changed().
 *
 * Returns: (transfer none): the top-level object
 */
JsonObject *
mc_jsonrpc_message_get_object (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return json_node_get_object (self->root);
}

/**
 * mc_jsonrpc_message_changed:
 * @self: a #McJsonrpcMessage
 * @error: return location for a #GError
 *
 * Takes in a change made to the tree: the kind, id and method are read
 * again and the text is written anew.  (json-glib writes numbers its own
 * way; a number too large for a double cannot be written back at all.)
 *
 * Returns: %TRUE, or %FALSE with @error set if the tree is no longer a
 *   valid message (then the message must not be sent)
 */
gboolean
mc_jsonrpc_message_changed (McJsonrpcMessage  *self,
                            GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!classify (self, NULL, error))
    return FALSE;
  if (has_non_finite (self->root))
    {
      g_set_error_literal (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_INVALID_REQUEST,
                           _("Invalid Request: the message holds a number too large to be written back"));
      return FALSE;
    }

  g_clear_pointer (&self->bytes, g_bytes_unref);
  self->bytes = bytes_from_tree (self->root);
  return TRUE;
}

/**
 * mc_jsonrpc_message_get_bytes:
 * @self: a #McJsonrpcMessage
 *
 * Returns: (transfer none): the message as one line of text, without the
 *   line break
 */
GBytes *
mc_jsonrpc_message_get_bytes (McJsonrpcMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->bytes;
}

static char *
describe_id (JsonNode *id)
{
  g_autofree char *text = NULL;
  g_autofree char *valid = NULL;

  if (id == NULL)
    return g_strdup ("null");

  text = json_to_string (id, FALSE);
  valid = g_utf8_make_valid (text, -1);
  if (g_utf8_strlen (valid, -1) > 40)
    {
      g_autofree char *start = g_utf8_substring (valid, 0, 40);

      return g_strconcat (start, "…", NULL);
    }
  return g_steal_pointer (&valid);
}

/**
 * mc_jsonrpc_message_describe:
 * @self: a #McJsonrpcMessage
 *
 * Returns: a short description for the log, such as `request 5
 *   (tools/call)`; never the parameters or the result
 */
const char *
mc_jsonrpc_message_describe (McJsonrpcMessage *self)
{
  g_autofree char *id = NULL;
  g_autofree char *method = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->description != NULL)
    return self->description;

  id = describe_id (self->id);
  if (self->method != NULL)
    method = g_utf8_make_valid (self->method, MIN (strlen (self->method), 80));

  switch (self->kind)
    {
    case MC_JSONRPC_REQUEST:
      self->description = g_strdup_printf ("request %s (%s)", id, method);
      break;

    case MC_JSONRPC_NOTIFICATION:
      self->description = g_strdup_printf ("notification %s", method);
      break;

    case MC_JSONRPC_RESPONSE:
    default:
      self->description = g_strdup_printf ("%s to %s", self->is_error ? "error" : "response", id);
      break;
    }

  return self->description;
}

/**
 * mc_jsonrpc_id_key:
 * @id: a JSON-RPC id
 *
 * Ids match when their keys are equal: a string and a number never do,
 * and 5 and 5.0 always do.
 *
 * Returns: (transfer full) (nullable): the key, %NULL for null or a node
 *   that is not an id
 */
char *
mc_jsonrpc_id_key (JsonNode *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  if (!is_valid_id (id))
    return NULL;

  switch (json_node_get_value_type (id))
    {
    case G_TYPE_STRING:
      return g_strconcat ("s", json_node_get_string (id), NULL);

    case G_TYPE_INT64:
      return g_strdup_printf ("i%" G_GINT64_FORMAT, json_node_get_int (id));

    default:
      {
        double value = json_node_get_double (id);
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];

        if (value >= -9.2e18 && value <= 9.2e18 && value == (double) (gint64) value)
          return g_strdup_printf ("i%" G_GINT64_FORMAT, (gint64) value);
        return g_strconcat ("d", g_ascii_dtostr (buffer, sizeof buffer, value), NULL);
      }
    }
}

/* The id scan {{{1 */

typedef struct
{
  const char *p;
  const char *end;
} Scanner;

static void
skip_whitespace (Scanner *s)
{
  while (s->p < s->end && is_json_whitespace (*s->p))
    s->p++;
}

/* At a '"': moves past the string, giving where its content starts and
 * ends. */
static gboolean
scan_string (Scanner     *s,
             const char **start,
             const char **stop)
{
  if (s->p >= s->end || *s->p != '"')
    return FALSE;

  *start = ++s->p;
  while (s->p < s->end)
    {
      if (*s->p == '\\')
        {
          if (s->end - s->p < 2)
            return FALSE;
          s->p += 2;
          continue;
        }
      if (*s->p == '"')
        {
          *stop = s->p++;
          return TRUE;
        }
      s->p++;
    }
  return FALSE;
}

static gboolean
is_scalar_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '+' || c == '.';
}

static gboolean
skip_value (Scanner *s)
{
  const char *start = NULL;
  const char *stop = NULL;
  guint depth = 0;

  if (s->p >= s->end)
    return FALSE;

  if (*s->p == '"')
    return scan_string (s, &start, &stop);

  if (*s->p != '{' && *s->p != '[')
    {
      start = s->p;
      while (s->p < s->end && is_scalar_char (*s->p))
        s->p++;
      return s->p > start && s->p < s->end;
    }

  while (s->p < s->end)
    {
      switch (*s->p)
        {
        case '"':
          if (!scan_string (s, &start, &stop))
            return FALSE;
          continue;

        case '{':
        case '[':
          depth++;
          break;

        case '}':
        case ']':
          if (--depth == 0)
            {
              s->p++;
              return TRUE;
            }
          break;

        default:
          break;
        }
      s->p++;
    }
  return FALSE;
}

/**
 * mc_jsonrpc_scan_id:
 * @data: (array length=length): the start of a message too long to parse
 * @length: how much of it there is
 *
 * Looks for the id among the members of the top-level object, in the
 * order they come, without parsing the whole message: an over-long line
 * still gets its error answered to the request it was.  The id is found
 * when it comes before the bulk of the message (as MCP SDKs write it:
 * jsonrpc, id, method, params).
 *
 * Returns: (transfer full) (nullable): the id, a string or number node,
 *   or %NULL if none was found in @data
 */
JsonNode *
mc_jsonrpc_scan_id (const char *data,
                    gsize       length)
{
  Scanner s = { data, data + length };

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  skip_whitespace (&s);
  if (s.p >= s.end || *s.p != '{')
    return NULL;
  s.p++;

  while (TRUE)
    {
      const char *key = NULL;
      const char *key_end = NULL;

      skip_whitespace (&s);
      if (!scan_string (&s, &key, &key_end))
        return NULL;
      skip_whitespace (&s);
      if (s.p >= s.end || *s.p != ':')
        return NULL;
      s.p++;
      skip_whitespace (&s);

      if (key_end - key == 2 && memcmp (key, "id", 2) == 0)
        {
          const char *value = s.p;
          g_autofree char *token = NULL;
          g_autoptr(JsonNode) node = NULL;

          /* A value cut off at the end of @data is not the id. */
          if (!skip_value (&s))
            return NULL;
          skip_whitespace (&s);
          if (s.p >= s.end || (*s.p != ',' && *s.p != '}'))
            return NULL;

          token = g_strndup (value, s.p - value);
          /* The id is written back in the answer: it must be one that
           * parses again, so no lone surrogate either. */
          if (!g_utf8_validate (token, -1, NULL) || !check_json_text (token, strlen (token), NULL))
            return NULL;
          node = json_from_string (token, NULL);
          if (node == NULL || !is_valid_id (node))
            return NULL;
          return g_steal_pointer (&node);
        }

      if (!skip_value (&s))
        return NULL;
      skip_whitespace (&s);
      if (s.p >= s.end || *s.p != ',')
        return NULL;
      s.p++;
    }
}
