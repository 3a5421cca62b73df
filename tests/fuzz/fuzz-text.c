/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

/* libFuzzer target for the checks of text shown to the user:
 * mc_text_sanitize_for_display() and mc_text_has_unsafe_chars().  The
 * first byte of the input is max_chars (0 to 255); the rest, up to the
 * first NUL, is the text, in any encoding.  Besides crashes, sanitizer
 * reports and criticals it checks what the dialog relies on: the output
 * is valid UTF-8, holds no unsafe character but "\n", has at most
 * max_chars characters plus an ellipsis, and is the input unchanged when
 * the input was safe and short enough; mc_text_has_unsafe_chars() agrees
 * with mc_text_is_unsafe_char() applied character by character.
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

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  gsize max_chars;
  glong n_in, n_out;

  if (size < 1)
    return 0;

  max_chars = data[0];
  text = fuzz_dup_string (data + 1, size - 1);

  shown = mc_text_sanitize_for_display (text, max_chars);
  check (shown != NULL);
  check (g_utf8_validate (shown, -1, NULL));
  check (!naive_has_unsafe (shown, TRUE));
  check (mc_text_has_unsafe_chars (shown) == (strchr (shown, '\n') != NULL));

  n_out = g_utf8_strlen (shown, -1);
  check (n_out <= (glong) max_chars + 1);
  if (n_out == (glong) max_chars + 1)
    check (g_str_has_suffix (shown, ELLIPSIS));

  if (g_utf8_validate (text, -1, NULL))
    {
      check (mc_text_has_unsafe_chars (text) == naive_has_unsafe (text, FALSE));

      /* Nothing to change: nothing changed. */
      n_in = g_utf8_strlen (text, -1);
      if (n_in <= (glong) max_chars && !naive_has_unsafe (text, TRUE))
        check (g_str_equal (shown, text));
      /* Too long: cut to max_chars, plus the ellipsis. */
      if (n_in > (glong) max_chars)
        check (n_out == (glong) max_chars + 1);
      else
        check (n_out == n_in);
    }

  return 0;
}
