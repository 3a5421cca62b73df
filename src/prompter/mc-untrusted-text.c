/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-untrusted-text.h"

/**
 * mc_untrusted_text_clean:
 * @text: (nullable): text from a peer, possibly not even UTF-8
 * @max_chars: the most characters to keep, not counting the ellipsis
 * @flags: whether line breaks are kept
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
mc_untrusted_text_clean (const char           *text,
                         gsize                 max_chars,
                         McUntrustedTextFlags  flags)
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
          if (flags == MC_UNTRUSTED_TEXT_MULTI_LINE)
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
          if (n_chars >= max_chars)
            {
              cut = TRUE;
              break;
            }
          if (pending_newlines > 0)
            g_string_append (out, pending_newlines > 1 ? "\n\n" : "\n");
          else
            g_string_append_c (out, ' ');
          n_chars += pending_newlines > 1 ? 2 : 1;
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
