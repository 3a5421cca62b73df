/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-line-framer.h"

/* The framing of MCP's stdio transport: one JSON-RPC message per line,
 * lines ended by "\n".  A "\r" before the "\n" is dropped too, for
 * clients that write CRLF; blank lines are skipped (they hold no message,
 * and answering each with a parse error helps nobody).
 *
 * Memory stays bounded whatever the client writes: a line longer than
 * max_line bytes is not kept.  Its first bytes are, so that the JSON-RPC
 * id can still be found and the error answered to the right request; the
 * rest is skipped up to the line break, and reading goes on with the next
 * line. */

struct _McLineFramer
{
  gsize     max_line;
  GString  *line;
  /* The line is over the limit: only its prefix is in @line. */
  gboolean  oversized;
  guint64   total;
};

/**
 * mc_line_framer_new:
 * @max_line: the longest line accepted, in bytes
 *
 * Returns: (transfer full): a framer at the start of a stream
 */
McLineFramer *
mc_line_framer_new (gsize max_line)
{
  McLineFramer *self;

  g_return_val_if_fail (max_line > 0, NULL);

  self = g_new0 (McLineFramer, 1);
  self->max_line = max_line;
  self->line = g_string_new (NULL);
  return self;
}

void
mc_line_framer_free (McLineFramer *self)
{
  if (self == NULL)
    return;

  g_string_free (self->line, TRUE);
  g_free (self);
}

static gboolean
is_blank (const char *line,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
        return FALSE;
    }
  return TRUE;
}

static void
deliver (McLineFramer *self,
         const char   *line,
         gsize         length,
         McLineFunc    func,
         gpointer      user_data)
{
  if (self->oversized)
    {
      func (MC_LINE_OVERSIZED, self->line->str, self->line->len, self->total, user_data);
    }
  else
    {
      if (length > 0 && line[length - 1] == '\r')
        length--;
      if (!is_blank (line, length))
        func (MC_LINE_COMPLETE, line, length, length, user_data);
    }

  g_string_truncate (self->line, 0);
  self->oversized = FALSE;
  self->total = 0;
}

/* Adds a piece of the current line, keeping only the prefix once the
 * line is over the limit. */
static void
append (McLineFramer *self,
        const char   *data,
        gsize         length)
{
  gsize keep = MIN (self->max_line, MC_LINE_FRAMER_PREFIX);

  self->total += length;
  if (!self->oversized && self->total > self->max_line)
    {
      self->oversized = TRUE;
      if (self->line->len > keep)
        g_string_truncate (self->line, keep);
    }

  if (self->oversized)
    {
      if (self->line->len < keep)
        g_string_append_len (self->line, data, MIN (length, keep - self->line->len));
      return;
    }

  g_string_append_len (self->line, data, length);
}

/**
 * mc_line_framer_feed:
 * @self: a #McLineFramer
 * @data: (array length=length): the next bytes
 * @length: how many
 * @func: (scope call): called for each line that ends in them
 * @user_data: for @func
 *
 * Splits the next bytes of the stream into lines.
 */
void
mc_line_framer_feed (McLineFramer *self,
                     const char   *data,
                     gsize         length,
                     McLineFunc    func,
                     gpointer      user_data)
{
  const char *p = data;
  const char *end = data + length;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || length == 0);
  g_return_if_fail (func != NULL);

  while (p < end)
    {
      const char *newline = memchr (p, '\n', end - p);

      if (newline == NULL)
        {
          append (self, p, end - p);
          return;
        }

      /* A whole line in this chunk is passed without a copy. */
      if (self->line->len == 0 && !self->oversized && (gsize) (newline - p) <= self->max_line)
        {
          self->total = newline - p;
          deliver (self, p, newline - p, func, user_data);
        }
      else
        {
          append (self, p, newline - p);
          deliver (self, self->line->str, self->line->len, func, user_data);
        }
      p = newline + 1;
    }
}

/**
 * mc_line_framer_end:
 * @self: a #McLineFramer
 * @func: (scope call): called for a last line without a line break
 * @user_data: for @func
 *
 * The stream has ended.  A last line without its line break is still a
 * line: a client that closes its end right after a message has sent it.
 */
void
mc_line_framer_end (McLineFramer *self,
                    McLineFunc    func,
                    gpointer      user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  if (self->total > 0)
    deliver (self, self->line->str, self->line->len, func, user_data);
}

/**
 * mc_line_framer_get_buffered:
 * @self: a #McLineFramer
 *
 * Returns: how many bytes of an unfinished line are held
 */
gsize
mc_line_framer_get_buffered (McLineFramer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->line->len;
}
