/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the checks of text shown to the user:
 * mc_text_clean_for_display() and mc_text_has_unsafe_chars().  The first
 * byte of the input is max_chars (0 to 127) and, in its top bit, whether
 * line breaks are kept; the rest, up to the first NUL, is the text, in any
 * encoding.  Besides crashes, sanitizer reports and criticals it checks
 * what the dialog relies on: the output is valid UTF-8, holds no unsafe or
 * invisible formatting character (and no line break unless they are kept),
 * has at most max_chars characters plus an ellipsis, and cleaning it again
 * changes nothing; mc_text_has_unsafe_chars() agrees with
 * mc_text_is_unsafe_char() applied character by character.
 */

#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "mc-text.h"

#define ELLIPSIS "\xe2\x80\xa6"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_make_messages_fatal ();
  return 0;
}

/* Slowly, through the UCS-4 form. */
static gboolean
naive_has_unsafe (const char *text,
                  gboolean    allow_newline)
{
  glong n_chars = 0;
  g_autofree gunichar *chars = g_utf8_to_ucs4_fast (text, -1, &n_chars);

  for (glong i = 0; i < n_chars; i++)
    {
      if (allow_newline && chars[i] == '\n')
        continue;
      if (mc_text_is_unsafe_char (chars[i]))
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_format_char (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_type (g_utf8_get_char (p)) == G_UNICODE_FORMAT)
        return TRUE;
    }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *again = NULL;
  McTextLines lines;
  gsize max_chars;
  glong n_out;

  if (size < 1)
    return 0;

  max_chars = data[0] & 0x7F;
  lines = (data[0] & 0x80) ? MC_TEXT_MULTI_LINE : MC_TEXT_SINGLE_LINE;
  text = fuzz_dup_string (data + 1, size - 1);

  shown = mc_text_clean_for_display (text, max_chars, lines);
  check (shown != NULL);
  check (g_utf8_validate (shown, -1, NULL));
  check (!naive_has_unsafe (shown, lines == MC_TEXT_MULTI_LINE));
  check (!has_format_char (shown));
  check (mc_text_has_unsafe_chars (shown) == (strchr (shown, '\n') != NULL));
  if (lines == MC_TEXT_SINGLE_LINE)
    check (strchr (shown, '\n') == NULL);

  n_out = g_utf8_strlen (shown, -1);
  check (n_out <= (glong) max_chars + 1);
  if (n_out == (glong) max_chars + 1)
    check (g_str_has_suffix (shown, ELLIPSIS));

  /* What the dialog shows is already clean. */
  again = mc_text_clean_for_display (shown, max_chars, lines);
  check (g_str_equal (again, shown));

  if (g_utf8_validate (text, -1, NULL))
    check (mc_text_has_unsafe_chars (text) == naive_has_unsafe (text, FALSE));

  return 0;
}
