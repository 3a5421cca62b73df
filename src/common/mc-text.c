/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

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
 * mc_text_sanitize_for_display:
 * @text: untrusted text, possibly not UTF-8
 * @max_chars: most characters to keep; longer text ends in "…"
 *
 * Makes untrusted multi-line text (an MCP server's message) safe to show as
 * plain text: invalid UTF-8 and unsafe characters become U+FFFD, except
 * that newlines survive so paragraphs stay paragraphs.
 *
 * Returns: (transfer full): the text to show
 */
char *
mc_text_sanitize_for_display (const char *text,
                              gsize       max_chars)
{
  g_autofree char *valid = NULL;
  GString *out = NULL;
  gsize n_chars = 0;

  g_return_val_if_fail (text != NULL, NULL);

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (n_chars == max_chars)
        {
          g_string_append (out, "…");
          break;
        }

      if (c != '\n' && mc_text_is_unsafe_char (c))
        c = 0xFFFD;
      g_string_append_unichar (out, c);
      n_chars++;
    }

  return g_string_free (out, FALSE);
}
