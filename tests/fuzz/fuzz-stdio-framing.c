/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for what mcp-consent-bridge makes of its stdin: the
 * line framing (McLineFramer) and, for each line, the JSON-RPC verdict
 * (mc_jsonrpc_message_parse(), and mc_jsonrpc_scan_id() for lines over the
 * limit).  Byte 0 picks the line limit (bit 7 clear: 1 + (byte & 0x7f)
 * bytes, to reach the over-long lines; set: 64 KiB) and, in bits 0–3, the
 * size of the pieces the input is fed in; the rest is what the client
 * writes.
 *
 * Besides crashes, sanitizer reports and criticals it checks:
 *
 * - the lines do not depend on how the input is cut (whole, a byte at a
 *   time, in pieces), and are those of a plain restatement: split at
 *   "\n", one "\r" dropped from the end, blank lines skipped, a line over
 *   the limit reported with its length and the start of it;
 * - a line is either a message or a -32700 / -32600 verdict with a UTF-8
 *   message; the error response the bridge writes for it is itself a
 *   valid response, to the id found (if any) or to null;
 * - a message's text is one line of UTF-8 and reads back as the same
 *   kind, method and id; written anew from its tree
 *   (mc_jsonrpc_message_changed()) it still does, unless it holds a
 *   number too large for a double, which is refused;
 * - an id found at the start of an over-long line is a string or a
 *   number.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-bridge-error.h"
#include "mc-jsonrpc.h"
#include "mc-line-framer.h"

#define LARGE_LIMIT 65536

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

/* Lines, as "C<length>:<bytes>" and "O<total>:<prefix>" records. */
static void
collect (McLineKind  kind,
         const char *line,
         gsize       length,
         guint64     total_length,
         gpointer    user_data)
{
  GByteArray *out = user_data;
  g_autofree char *head = g_strdup_printf ("%c%" G_GUINT64_FORMAT ":", kind == MC_LINE_COMPLETE ? 'C' : 'O',
                                           total_length);

  g_byte_array_append (out, (const guint8 *) head, strlen (head));
  g_byte_array_append (out, (const guint8 *) line, length);
  g_byte_array_append (out, (const guint8 *) "\n", 1);
}

static GByteArray *
frame (const char *data,
       gsize       length,
       gsize       piece,
       gsize       limit)
{
  g_autoptr(McLineFramer) framer = mc_line_framer_new (limit);
  GByteArray *out = g_byte_array_new ();

  for (gsize at = 0; at < length; at += piece)
    mc_line_framer_feed (framer, data + at, MIN (piece, length - at), collect, out);
  mc_line_framer_end (framer, collect, out);
  return out;
}

static GByteArray *
restate (const char *data,
         gsize       length,
         gsize       limit)
{
  GByteArray *out = g_byte_array_new ();
  gsize keep = MIN (limit, MC_LINE_FRAMER_PREFIX);
  gsize start = 0;

  while (start < length)
    {
      const char *newline = memchr (data + start, '\n', length - start);
      gsize end = newline != NULL ? (gsize) (newline - data) : length;
      gsize line_length = end - start;
      gboolean blank = TRUE;

      if (line_length > limit)
        {
          collect (MC_LINE_OVERSIZED, data + start, keep, line_length, out);
        }
      else
        {
          if (line_length > 0 && data[start + line_length - 1] == '\r')
            line_length--;
          for (gsize i = 0; i < line_length; i++)
            blank = blank && (data[start + i] == ' ' || data[start + i] == '\t' || data[start + i] == '\r');
          if (!blank)
            collect (MC_LINE_COMPLETE, data + start, line_length, line_length, out);
        }
      start = end + 1;
    }
  return out;
}

static gboolean
same_bytes (GByteArray *a,
            GByteArray *b)
{
  return a->len == b->len && (a->len == 0 || memcmp (a->data, b->data, a->len) == 0);
}

static void
check_error_response (JsonNode   *id,
                      int         code,
                      const char *message)
{
  g_autoptr(McJsonrpcMessage) response = mc_jsonrpc_message_new_error (id, code, message, NULL);
  g_autoptr(McJsonrpcMessage) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = id != NULL ? mc_jsonrpc_id_key (id) : NULL;
  GBytes *bytes = NULL;

  check (response != NULL);
  bytes = mc_jsonrpc_message_get_bytes (response);
  check (memchr (g_bytes_get_data (bytes, NULL), '\n', g_bytes_get_size (bytes)) == NULL);
  again = mc_jsonrpc_message_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL, &error);
  check (again != NULL);
  check (mc_jsonrpc_message_get_kind (again) == MC_JSONRPC_RESPONSE);
  check (mc_jsonrpc_message_is_error (again));
  check (g_strcmp0 (mc_jsonrpc_message_get_id_key (again), key) == 0);
}

static void
check_same_message (McJsonrpcMessage *a,
                    McJsonrpcMessage *b)
{
  check (mc_jsonrpc_message_get_kind (a) == mc_jsonrpc_message_get_kind (b));
  check (g_strcmp0 (mc_jsonrpc_message_get_method (a), mc_jsonrpc_message_get_method (b)) == 0);
  check (g_strcmp0 (mc_jsonrpc_message_get_id_key (a), mc_jsonrpc_message_get_id_key (b)) == 0);
  check (mc_jsonrpc_message_is_error (a) == mc_jsonrpc_message_is_error (b));
}

static McJsonrpcMessage *
reparse (McJsonrpcMessage *message)
{
  GBytes *bytes = mc_jsonrpc_message_get_bytes (message);
  const char *text = g_bytes_get_data (bytes, NULL);
  gsize length = g_bytes_get_size (bytes);
  g_autoptr(GError) error = NULL;
  McJsonrpcMessage *again = NULL;

  check (memchr (text, '\n', length) == NULL && memchr (text, '\r', length) == NULL);
  check (g_utf8_validate_len (text, length, NULL));
  again = mc_jsonrpc_message_parse (text, length, NULL, &error);
  check (again != NULL);
  return again;
}

static void
check_line (const char *line,
            gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(McJsonrpcMessage) message = mc_jsonrpc_message_parse (line, length, &id, &error);

  if (message == NULL)
    {
      gboolean parse_error = g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_PARSE);
      g_autofree char *key = id != NULL ? mc_jsonrpc_id_key (id) : NULL;

      check (parse_error || g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_INVALID_REQUEST));
      check (g_utf8_validate (error->message, -1, NULL));
      check (!parse_error || id == NULL);
      check (id == NULL || key != NULL);
      check_error_response (parse_error ? NULL : id,
                            parse_error ? MC_JSONRPC_PARSE_ERROR : MC_JSONRPC_INVALID_REQUEST,
                            error->message);
      return;
    }

  check (id == NULL);
  {
    g_autoptr(McJsonrpcMessage) again = reparse (message);
    g_autoptr(McJsonrpcMessage) rewritten = NULL;
    g_autoptr(GError) change_error = NULL;

    check_same_message (message, again);
    /* Written anew from the tree, as after a hook changed it; refused
     * only for a number too large to write. */
    if (mc_jsonrpc_message_changed (message, &change_error))
      {
        rewritten = reparse (message);
        check_same_message (again, rewritten);
      }
    else
      {
        check (g_error_matches (change_error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_INVALID_REQUEST));
        check (strstr (change_error->message, "too large") != NULL);
      }
  }
  if (mc_jsonrpc_message_get_kind (message) == MC_JSONRPC_REQUEST)
    check_error_response (mc_jsonrpc_message_get_id (message), MC_JSONRPC_BRIDGE_ERROR, "x");
}

typedef struct
{
  gsize limit;
} CheckState;

/* What the bridge does with each line. */
static void
check_framed (McLineKind  kind,
              const char *line,
              gsize       length,
              guint64     total_length,
              gpointer    user_data)
{
  CheckState *state = user_data;
  g_autoptr(JsonNode) id = NULL;
  g_autofree char *key = NULL;

  if (kind == MC_LINE_COMPLETE)
    {
      check (length == total_length && length <= state->limit);
      check (memchr (line, '\n', length) == NULL);
      check_line (line, length);
      return;
    }

  check (total_length > state->limit);
  check (length == MIN (state->limit, MC_LINE_FRAMER_PREFIX));
  id = mc_jsonrpc_scan_id (line, length);
  if (id == NULL)
    return;
  key = mc_jsonrpc_id_key (id);
  check (key != NULL);
  check_error_response (id, MC_JSONRPC_INVALID_REQUEST, "too long");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GByteArray) whole = NULL;
  g_autoptr(GByteArray) bytes = NULL;
  g_autoptr(GByteArray) pieces = NULL;
  g_autoptr(GByteArray) restated = NULL;
  const char *input = NULL;
  gsize length = 0;
  gsize limit = 0;

  if (size < 1)
    return 0;

  limit = (data[0] & 0x80) ? LARGE_LIMIT : 1 + (data[0] & 0x7f);
  input = (const char *) data + 1;
  length = size - 1;

  whole = frame (input, length, MAX (length, 1), limit);
  bytes = frame (input, length, 1, limit);
  pieces = frame (input, length, (data[0] & 0x0f) + 2, limit);
  restated = restate (input, length, limit);
  check (same_bytes (whole, bytes));
  check (same_bytes (whole, pieces));
  check (same_bytes (whole, restated));

  {
    g_autoptr(McLineFramer) framer = mc_line_framer_new (limit);
    CheckState state = { limit };

    mc_line_framer_feed (framer, input, length, check_framed, &state);
    mc_line_framer_end (framer, check_framed, &state);
  }
  return 0;
}
