/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for McSseParser, the bridge's reader of the event
 * streams MCP servers send.  Byte 0 picks the limits (bit 7 clear: lines
 * and events of at most 16 + (byte & 0x3f) × 4 bytes, to reach the
 * refusals; set: 64 KiB) and, in bits 0–3, the size of the pieces the
 * stream is fed in; the rest is the stream, as the server sends it.
 *
 * Besides crashes, sanitizer reports and criticals it checks what the
 * bridge relies on:
 *
 * - the events do not depend on how the stream is cut: fed whole, a byte
 *   at a time and in pieces, the parser gives the same events, last event
 *   id, retry time and verdict;
 * - a refusal is LINE_TOO_LONG or EVENT_TOO_LARGE with a UTF-8 message,
 *   and nothing is dispatched that breaks the limit;
 * - every event has a UTF-8 type (cut at a NUL), data of at most the
 *   limit and valid UTF-8 apart from NULs, without CR; an id without NUL,
 *   CR or LF;
 * - with the large limits, the events are those of a plain restatement
 *   of the WHATWG rules that reads the whole stream at once, decodes one
 *   character at a time and knows no limits.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-bridge-error.h"
#include "mc-sse-parser.h"

#define LARGE_LIMIT 65536

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

typedef struct
{
  GPtrArray *events;
  char      *last_event_id;
  gint64     retry;
  gboolean   ok;
  int        error_code;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->events, g_ptr_array_unref);
  g_clear_pointer (&outcome->last_event_id, g_free);
}

static void
parse (const char *data,
       gsize       length,
       gsize       piece,
       gsize       limit,
       Outcome    *outcome)
{
  g_autoptr(McSseParser) parser = mc_sse_parser_new (limit, limit);
  g_autoptr(GError) error = NULL;

  outcome->events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);
  outcome->ok = TRUE;
  for (gsize at = 0; at < length && outcome->ok; at += piece)
    outcome->ok = mc_sse_parser_feed (parser, data + at, MIN (piece, length - at), outcome->events, &error);

  if (!outcome->ok)
    {
      check (error != NULL);
      check (g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_LINE_TOO_LONG) ||
             g_error_matches (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_EVENT_TOO_LARGE));
      check (g_utf8_validate (error->message, -1, NULL));
      outcome->error_code = error->code;
    }
  else
    {
      check (error == NULL);
      mc_sse_parser_end (parser);
    }
  outcome->last_event_id = g_strdup (mc_sse_parser_get_last_event_id (parser));
  outcome->retry = mc_sse_parser_get_retry (parser);
}

/* Valid UTF-8 but for NULs. */
static gboolean
is_text (const char *data,
         gsize       length)
{
  const char *p = data;
  const char *end = data + length;

  while (p < end)
    {
      const char *valid_end = NULL;

      if (g_utf8_validate_len (p, end - p, &valid_end))
        return TRUE;
      if (*valid_end != '\0')
        return FALSE;
      p = valid_end + 1;
    }
  return TRUE;
}

static void
check_event (const McSseEvent *event,
             gsize             limit)
{
  check (event->type != NULL && g_utf8_validate (event->type, -1, NULL));
  check (event->data_length <= limit);
  check (event->data[event->data_length] == '\0');
  check (is_text (event->data, event->data_length));
  check (memchr (event->data, '\r', event->data_length) == NULL);
  check (g_utf8_validate (event->id, -1, NULL));
  check (strchr (event->id, '\r') == NULL && strchr (event->id, '\n') == NULL);
}

static gboolean
events_equal (const McSseEvent *a,
              const McSseEvent *b)
{
  return a->data_length == b->data_length && memcmp (a->data, b->data, a->data_length) == 0 &&
         strcmp (a->type, b->type) == 0 && strcmp (a->id, b->id) == 0;
}

static void
check_same (const Outcome *a,
            const Outcome *b)
{
  check (a->ok == b->ok);
  check (a->error_code == b->error_code);
  check (a->events->len == b->events->len);
  for (guint i = 0; i < a->events->len; i++)
    check (events_equal (a->events->pdata[i], b->events->pdata[i]));
  if (a->ok)
    {
      check (strcmp (a->last_event_id, b->last_event_id) == 0);
      check (a->retry == b->retry);
    }
}

/* The restatement {{{1 */

/* One character at a time, an invalid byte U+FFFD. */
static void
decode (GString    *out,
        const char *bytes,
        gsize       length)
{
  gsize i = 0;

  while (i < length)
    {
      gunichar c = 0;

      /* A NUL is U+0000; g_utf8_get_char_validated() would call it short. */
      if (bytes[i] == '\0')
        {
          g_string_append_c (out, '\0');
          i++;
          continue;
        }
      c = g_utf8_get_char_validated (bytes + i, length - i);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append (out, "\357\277\275");
          i++;
          continue;
        }
      g_string_append_unichar (out, c);
      i += g_utf8_skip[(guchar) bytes[i]];
    }
}

static void
reference (const char *data,
           gsize       length,
           Outcome    *outcome)
{
  g_autoptr(GString) event_data = g_string_new (NULL);
  g_autoptr(GString) type = g_string_new (NULL);
  g_autoptr(GString) id = g_string_new (NULL);
  gsize i = 0;

  outcome->events = g_ptr_array_new_with_free_func ((GDestroyNotify) mc_sse_event_free);
  outcome->ok = TRUE;
  outcome->retry = -1;
  outcome->last_event_id = g_strdup ("");

  if (length >= 3 && memcmp (data, "\357\273\277", 3) == 0)
    i = 3;

  while (i < length)
    {
      gsize start = i;
      gsize end = i;
      const char *line = NULL;
      gsize line_length = 0;
      gsize name_length = 0;
      const char *value = NULL;
      gsize value_length = 0;

      while (end < length && data[end] != '\r' && data[end] != '\n')
        end++;
      if (end == length)
        break;   /* not ended: discarded */
      i = end + 1;
      if (data[end] == '\r' && i < length && data[i] == '\n')
        i++;

      line = data + start;
      line_length = end - start;

      if (line_length == 0)
        {
          g_free (outcome->last_event_id);
          outcome->last_event_id = g_strndup (id->str, id->len);
          if (event_data->len > 0)
            {
              McSseEvent *event = g_new0 (McSseEvent, 1);

              event->type = g_strdup (type->len > 0 ? type->str : "message");
              event->data_length = event_data->len - 1;
              event->data = g_memdup2 (event_data->str, event_data->len);
              event->data[event->data_length] = '\0';
              event->id = g_strdup (outcome->last_event_id);
              g_ptr_array_add (outcome->events, event);
            }
          g_string_truncate (event_data, 0);
          g_string_truncate (type, 0);
          continue;
        }
      if (line[0] == ':')
        continue;

      name_length = line_length;
      value = line + line_length;
      for (gsize k = 0; k < line_length; k++)
        {
          if (line[k] == ':')
            {
              name_length = k;
              value = line + k + 1;
              value_length = line_length - k - 1;
              if (value_length > 0 && value[0] == ' ')
                {
                  value++;
                  value_length--;
                }
              break;
            }
        }

      if (name_length == 5 && memcmp (line, "event", 5) == 0)
        {
          g_string_truncate (type, 0);
          decode (type, value, value_length);
        }
      else if (name_length == 4 && memcmp (line, "data", 4) == 0)
        {
          decode (event_data, value, value_length);
          g_string_append_c (event_data, '\n');
        }
      else if (name_length == 2 && memcmp (line, "id", 2) == 0)
        {
          if (memchr (value, '\0', value_length) == NULL)
            {
              g_string_truncate (id, 0);
              decode (id, value, value_length);
            }
        }
      else if (name_length == 5 && memcmp (line, "retry", 5) == 0 && value_length > 0)
        {
          gboolean digits = TRUE;
          guint64 retry = 0;
          gboolean overflow = FALSE;

          for (gsize k = 0; k < value_length; k++)
            {
              if (!g_ascii_isdigit (value[k]))
                digits = FALSE;
              else if (!overflow && retry > (G_MAXINT64 - 9) / 10)
                overflow = TRUE;
              else if (!overflow)
                retry = retry * 10 + (value[k] - '0');
            }
          if (digits)
            outcome->retry = overflow ? G_MAXINT64 : (gint64) retry;
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Outcome whole = { 0 };
  Outcome bytes = { 0 };
  Outcome pieces = { 0 };
  const char *stream = NULL;
  gsize length = 0;
  gsize limit = 0;
  gsize piece = 0;

  if (size < 1)
    return 0;

  limit = (data[0] & 0x80) ? LARGE_LIMIT : 16 + (data[0] & 0x3f) * 4u;
  piece = (data[0] & 0x0f) + 2;
  stream = (const char *) data + 1;
  length = size - 1;

  parse (stream, length, MAX (length, 1), limit, &whole);
  parse (stream, length, 1, limit, &bytes);
  parse (stream, length, piece, limit, &pieces);
  check_same (&whole, &bytes);
  check_same (&whole, &pieces);

  for (guint i = 0; i < whole.events->len; i++)
    check_event (whole.events->pdata[i], limit);

  if (whole.ok && limit == LARGE_LIMIT)
    {
      Outcome restated = { 0 };

      reference (stream, length, &restated);
      check_same (&whole, &restated);
      outcome_clear (&restated);
    }

  outcome_clear (&whole);
  outcome_clear (&bytes);
  outcome_clear (&pieces);
  return 0;
}
