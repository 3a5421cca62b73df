/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "mc-bridge-error.h"
#include "mc-sse-parser.h"

/* A text/event-stream parser that follows the WHATWG HTML standard's
 * "event stream interpretation"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 *
 * - one U+FEFF at the very start of the stream is skipped;
 * - lines end in CRLF, LF or CR, and a CRLF split between two reads is
 *   still one line end;
 * - an empty line dispatches the event; a line starting with ':' is a
 *   comment; otherwise the field name runs up to the first ':' and the
 *   value after it, less one leading space (a line without ':' is a field
 *   name with an empty value);
 * - `event` sets the type, `data` appends the value and a line feed, `id`
 *   sets the last event id unless the value holds a NUL, `retry` sets the
 *   reconnection time if the value is only ASCII digits; other fields are
 *   ignored;
 * - at dispatch the last event id is recorded even when there is no data;
 *   an event with no data is not dispatched; the data's final line feed is
 *   removed; the type defaults to "message";
 * - an event cut off by the end of the stream is discarded.
 *
 * The stream is decoded as UTF-8, each invalid byte replaced by U+FFFD
 * (the standard's decoder replaces a whole invalid sequence by one; the
 * difference only shows in text that was broken anyway).  Unlike a
 * browser it keeps memory bounded: a line longer than max_line bytes, or
 * an event whose data grows beyond max_event bytes, fails the stream with
 * an error rather than being buffered. */

#define REPLACEMENT_CHARACTER "\357\277\275"
#define BOM "\357\273\277"

struct _McSseParser
{
  gsize     max_line;
  gsize     max_event;

  /* The first bytes, while they may still be a byte order mark. */
  char      bom[3];
  guint     bom_length;
  gboolean  bom_done;

  /* The line read so far (bytes, not yet decoded). */
  GString  *line;
  /* The last line ended with CR: a LF right after it belongs to it. */
  gboolean  after_cr;

  GString  *data;
  GString  *type;
  GString  *id_buffer;
  char     *last_event_id;
  gint64    retry;

  GError   *failure;
};

void
mc_sse_event_free (McSseEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->type);
  g_free (event->data);
  g_free (event->id);
  g_free (event);
}

/**
 * mc_sse_parser_new:
 * @max_line: the longest line accepted, in bytes
 * @max_event: the most data one event may carry, in bytes
 *
 * Returns: (transfer full): a parser at the start of a stream
 */
McSseParser *
mc_sse_parser_new (gsize max_line,
                   gsize max_event)
{
  McSseParser *self;

  g_return_val_if_fail (max_line > 0, NULL);
  g_return_val_if_fail (max_event > 0, NULL);

  self = g_new0 (McSseParser, 1);
  self->max_line = max_line;
  self->max_event = max_event;
  self->line = g_string_new (NULL);
  self->data = g_string_new (NULL);
  self->type = g_string_new (NULL);
  self->id_buffer = g_string_new (NULL);
  self->last_event_id = g_strdup ("");
  self->retry = -1;
  return self;
}

void
mc_sse_parser_free (McSseParser *self)
{
  if (self == NULL)
    return;

  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_string_free (self->type, TRUE);
  g_string_free (self->id_buffer, TRUE);
  g_free (self->last_event_id);
  g_clear_error (&self->failure);
  g_free (self);
}

/* Appends @length bytes of @bytes as UTF-8, each byte that does not start
 * or continue a valid sequence replaced by U+FFFD.  NUL is valid UTF-8
 * (U+0000) and is kept. */
static void
append_decoded (GString    *out,
                const char *bytes,
                gsize       length)
{
  const char *p = bytes;
  const char *end = bytes + length;

  while (p < end)
    {
      const char *valid_end = NULL;

      /* g_utf8_validate_len() stops at a NUL as if it were invalid. */
      if (g_utf8_validate_len (p, end - p, &valid_end))
        {
          g_string_append_len (out, p, end - p);
          return;
        }

      g_string_append_len (out, p, valid_end - p);
      if (*valid_end == '\0')
        g_string_append_c (out, '\0');
      else
        g_string_append (out, REPLACEMENT_CHARACTER);
      p = valid_end + 1;
    }
}

static void
dispatch (McSseParser *self,
          GPtrArray   *events)
{
  McSseEvent *event = NULL;

  /* The standard records the id first, whether or not an event follows. */
  g_free (self->last_event_id);
  self->last_event_id = g_strndup (self->id_buffer->str, self->id_buffer->len);

  if (self->data->len == 0)
    {
      g_string_truncate (self->type, 0);
      return;
    }

  /* Every data line added a line feed; the last one goes. */
  g_string_truncate (self->data, self->data->len - 1);

  event = g_new0 (McSseEvent, 1);
  event->type = g_strdup (self->type->len > 0 ? self->type->str : "message");
  event->data_length = self->data->len;
  event->data = g_memdup2 (self->data->str, self->data->len + 1);
  event->id = g_strdup (self->last_event_id);
  g_ptr_array_add (events, event);

  g_string_truncate (self->data, 0);
  g_string_truncate (self->type, 0);
}

static gboolean
all_ascii_digits (const char *value,
                  gsize       length)
{
  if (length == 0)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (value[i]))
        return FALSE;
    }
  return TRUE;
}

static gboolean
field_is (const char *name,
          gsize       name_length,
          const char *field)
{
  return name_length == strlen (field) && memcmp (name, field, name_length) == 0;
}

static gboolean
process_line (McSseParser  *self,
              const char   *line,
              gsize         length,
              GPtrArray    *events,
              GError      **error)
{
  const char *colon = NULL;
  const char *name = line;
  gsize name_length = length;
  const char *value = "";
  gsize value_length = 0;

  if (length == 0)
    {
      dispatch (self, events);
      return TRUE;
    }

  if (line[0] == ':')
    return TRUE;

  colon = memchr (line, ':', length);
  if (colon != NULL)
    {
      name_length = colon - line;
      value = colon + 1;
      value_length = length - name_length - 1;
      if (value_length > 0 && value[0] == ' ')
        {
          value++;
          value_length--;
        }
    }

  if (field_is (name, name_length, "event"))
    {
      g_string_truncate (self->type, 0);
      append_decoded (self->type, value, value_length);
    }
  else if (field_is (name, name_length, "data"))
    {
      append_decoded (self->data, value, value_length);
      g_string_append_c (self->data, '\n');
      /* The data is all the memory an event holds, and the line cap
       * bounds each piece of it; this bounds the sum. */
      if (self->data->len - 1 > self->max_event)
        {
          g_set_error (error, MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_EVENT_TOO_LARGE,
                       _("An event of the stream is larger than %" G_GSIZE_FORMAT " bytes"),
                       self->max_event);
          return FALSE;
        }
    }
  else if (field_is (name, name_length, "id"))
    {
      if (memchr (value, '\0', value_length) == NULL)
        {
          g_string_truncate (self->id_buffer, 0);
          append_decoded (self->id_buffer, value, value_length);
        }
    }
  else if (field_is (name, name_length, "retry"))
    {
      if (all_ascii_digits (value, value_length))
        {
          gint64 retry = 0;

          /* Saturating: what to do with an absurd delay is the caller's
           * business, and it can only do it with a number. */
          for (gsize i = 0; i < value_length; i++)
            {
              if (retry > (G_MAXINT64 - 9) / 10)
                {
                  retry = G_MAXINT64;
                  break;
                }
              retry = retry * 10 + (value[i] - '0');
            }
          self->retry = retry;
        }
    }

  return TRUE;
}

static gboolean
fail (McSseParser  *self,
      GError      **error)
{
  g_assert (self->failure != NULL);

  if (error != NULL)
    *error = g_error_copy (self->failure);
  return FALSE;
}

static gboolean
line_too_long (McSseParser  *self,
               GError      **error)
{
  self->failure = g_error_new (MC_BRIDGE_ERROR, MC_BRIDGE_ERROR_LINE_TOO_LONG,
                               _("A line of the event stream is longer than %" G_GSIZE_FORMAT " bytes"),
                               self->max_line);
  return fail (self, error);
}

static gboolean
feed_lines (McSseParser  *self,
            const char   *data,
            gsize         length,
            GPtrArray    *events,
            GError      **error)
{
  const char *p = data;
  const char *end = data + length;

  while (p < end)
    {
      const char *eol = p;
      gboolean complete = FALSE;

      if (self->after_cr)
        {
          self->after_cr = FALSE;
          if (*p == '\n')
            {
              p++;
              continue;
            }
        }

      while (eol < end && *eol != '\n' && *eol != '\r')
        eol++;

      if (self->line->len + (gsize) (eol - p) > self->max_line)
        return line_too_long (self, error);

      complete = eol < end;
      if (!complete)
        {
          g_string_append_len (self->line, p, end - p);
          return TRUE;
        }

      self->after_cr = *eol == '\r';
      if (self->line->len == 0)
        {
          if (!process_line (self, p, eol - p, events, &self->failure))
            return fail (self, error);
        }
      else
        {
          g_string_append_len (self->line, p, eol - p);
          if (!process_line (self, self->line->str, self->line->len, events, &self->failure))
            return fail (self, error);
          g_string_truncate (self->line, 0);
        }
      p = eol + 1;
    }

  return TRUE;
}

/**
 * mc_sse_parser_feed:
 * @self: a #McSseParser
 * @data: (array length=length): the next bytes of the stream
 * @length: how many
 * @events: (element-type McSseEvent): where complete events are appended
 *   (as #McSseEvent, for the array to free)
 * @error: return location for a #GError
 *
 * Parses the next bytes of the stream.  Lines and events may be split
 * anywhere between calls.
 *
 * Returns: %TRUE, or %FALSE with @error set to
 *   %MC_BRIDGE_ERROR_LINE_TOO_LONG or %MC_BRIDGE_ERROR_EVENT_TOO_LARGE;
 *   the stream cannot be read further (each later call fails the same
 *   way), and the events before the failure are in @events
 */
gboolean
mc_sse_parser_feed (McSseParser  *self,
                    const char   *data,
                    gsize         length,
                    GPtrArray    *events,
                    GError      **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (events != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->failure != NULL)
    return fail (self, error);

  if (!self->bom_done)
    {
      gsize taken = 0;

      while (taken < length && self->bom_length < 3)
        {
          self->bom[self->bom_length] = data[taken];
          if (self->bom[self->bom_length] != BOM[self->bom_length])
            break;
          self->bom_length++;
          taken++;
        }

      if (self->bom_length == 3)
        {
          /* A byte order mark: dropped. */
          self->bom_done = TRUE;
        }
      else if (taken < length)
        {
          /* Not one: what looked like its start is data after all. */
          self->bom_done = TRUE;
          if (!feed_lines (self, self->bom, self->bom_length, events, error))
            return FALSE;
        }
      else
        {
          /* Still undecided, and nothing left. */
          return TRUE;
        }

      data += taken;
      length -= taken;
    }

  return feed_lines (self, data, length, events, error);
}

/**
 * mc_sse_parser_end:
 * @self: a #McSseParser
 *
 * The stream has ended: an event not ended by an empty line, and a line
 * not ended by a line break, are discarded, as the standard says.  The
 * last event id and the retry time stay, for a reconnection.
 */
void
mc_sse_parser_end (McSseParser *self)
{
  g_return_if_fail (self != NULL);

  g_string_truncate (self->line, 0);
  g_string_truncate (self->data, 0);
  g_string_truncate (self->type, 0);
  self->after_cr = FALSE;
}

/**
 * mc_sse_parser_get_last_event_id:
 * @self: a #McSseParser
 *
 * Returns: the last event id, as of the last empty line; empty when the
 *   server set none (then no `Last-Event-ID` is sent on reconnection)
 */
const char *
mc_sse_parser_get_last_event_id (McSseParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->last_event_id;
}

/**
 * mc_sse_parser_get_retry:
 * @self: a #McSseParser
 *
 * Returns: the reconnection time the server asked for, in milliseconds,
 *   or -1 if it did not
 */
gint64
mc_sse_parser_get_retry (McSseParser *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->retry;
}
