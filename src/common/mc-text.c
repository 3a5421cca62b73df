/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include <string.h>

#include "mc-text.h"

/**
 * mc_text_is_unsafe_char:
 * @c: a character
 *
 * Characters that can make text look like something else when it is shown
 * as a label: C0/C1 controls, zero-width characters and bidirectional
 * formatting (the "Trojan Source" class, CVE-2021-42574).  Tab and newline
 * count as unsafe too, because a label is one line.
 *
 * Returns: %TRUE if @c must not appear in a name shown to the user
 */
gboolean
mc_text_is_unsafe_char (gunichar c)
{
  return c < 0x20 ||
         (c >= 0x7F && c <= 0x9F) ||
         (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2064) ||
         (c >= 0x2066 && c <= 0x2069) ||
         c == 0xFEFF;
}

/**
 * mc_text_has_unsafe_chars:
 * @text: valid UTF-8
 *
 * Returns: %TRUE if @text contains a character mc_text_is_unsafe_char()
 *   refuses
 */
gboolean
mc_text_has_unsafe_chars (const char *text)
{
  g_return_val_if_fail (text != NULL, FALSE);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (mc_text_is_unsafe_char (g_utf8_get_char (p)))
        return TRUE;
    }
  return FALSE;
}

/**
 * mc_text_clean_for_display:
 * @text: (nullable): text from a peer, possibly not even UTF-8
 * @max_chars: the most characters to keep, not counting the ellipsis
 * @lines: whether line breaks are kept
 *
 * Makes peer-supplied text safe to put in a label as plain text (never as
 * markup): invalid UTF-8 is replaced, control characters become spaces and
 * invisible formatting characters (bidi overrides and isolates, zero-width
 * joiners, soft hyphens…) are dropped, because they can make the text read
 * differently from what it says, e.g. reorder a domain name.  Runs of
 * white-space and empty lines are collapsed so the text cannot push the
 * rest of the dialog off screen, and it is cut after @max_chars characters
 * with an ellipsis.
 *
 * Returns: (transfer full): the cleaned text, possibly empty
 */
char *
mc_text_clean_for_display (const char  *text,
                           gsize        max_chars,
                           McTextLines  lines)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) out = NULL;
  gsize n_chars = 0;
  guint pending_newlines = 0;
  gboolean pending_space = FALSE;
  gboolean cut = FALSE;

  if (text == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (c == '\n' || c == 0x2028 || c == 0x2029)
        {
          if (lines == MC_TEXT_MULTI_LINE)
            pending_newlines++;
          else
            pending_space = TRUE;
          continue;
        }

      if (type == G_UNICODE_FORMAT)
        continue;

      if (type == G_UNICODE_CONTROL || g_unichar_isspace (c))
        {
          pending_space = TRUE;
          continue;
        }

      if (out->len > 0 && (pending_newlines > 0 || pending_space))
        {
          const char *separator = pending_newlines > 1 ? "\n\n" : pending_newlines > 0 ? "\n" : " ";
          gsize separator_chars = strlen (separator);

          /* The separator and the character after it, or nothing. */
          if (n_chars + separator_chars >= max_chars)
            {
              cut = TRUE;
              break;
            }
          g_string_append (out, separator);
          n_chars += separator_chars;
        }
      pending_newlines = 0;
      pending_space = FALSE;

      if (n_chars >= max_chars)
        {
          cut = TRUE;
          break;
        }

      g_string_append_unichar (out, c);
      n_chars++;
    }

  /* Cut short: say so, rather than let the text end as if complete. */
  if (cut)
    g_string_append (out, "…");

  return g_string_free (g_steal_pointer (&out), FALSE);
}
