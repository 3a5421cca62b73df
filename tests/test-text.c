/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-text.h"

static void
test_text_unsafe_chars (void)
{
  g_assert_false (mc_text_has_unsafe_chars ("Example Files 2.0 — “calendar”"));
  g_assert_true (mc_text_has_unsafe_chars ("Bank\xe2\x80\xae" "evil"));     /* U+202E */
  g_assert_true (mc_text_has_unsafe_chars ("zero\xe2\x80\x8bwidth"));       /* U+200B */
  g_assert_true (mc_text_has_unsafe_chars ("isolate\xe2\x81\xa6"));         /* U+2066 */
  g_assert_true (mc_text_has_unsafe_chars ("line\nbreak"));
  g_assert_true (mc_text_has_unsafe_chars ("tab\there"));
  g_assert_true (mc_text_has_unsafe_chars ("c1\xc2\x85"));                  /* U+0085 */
  g_assert_true (mc_text_has_unsafe_chars ("bom\xef\xbb\xbf"));             /* U+FEFF */
}

static void
test_text_clean_for_display (void)
{
  g_autofree char *single = mc_text_clean_for_display ("My\nServer\t\x01 \xe2\x80\x8f" "name", 80,
                                                       MC_TEXT_SINGLE_LINE);
  g_autofree char *multi = mc_text_clean_for_display ("one\n\n\n\ntwo\r\nthree", 80, MC_TEXT_MULTI_LINE);
  g_autofree char *cut = mc_text_clean_for_display ("abcdef", 3, MC_TEXT_SINGLE_LINE);
  g_autofree char *invalid = mc_text_clean_for_display ("a\xff" "b", 80, MC_TEXT_SINGLE_LINE);
  g_autofree char *empty = mc_text_clean_for_display (NULL, 80, MC_TEXT_SINGLE_LINE);
  g_autofree char *bidi = mc_text_clean_for_display ("pay\xe2\x80\xae" "lanigiro", 80, MC_TEXT_SINGLE_LINE);
  g_autofree char *markup = mc_text_clean_for_display ("<b>bold</b> &amp;", 80, MC_TEXT_SINGLE_LINE);
  /* A paragraph break counts two characters: it must fit with what follows. */
  g_autofree char *tight = mc_text_clean_for_display ("a\n\nb", 2, MC_TEXT_MULTI_LINE);
  g_autofree char *fits = mc_text_clean_for_display ("a\n\nb", 4, MC_TEXT_MULTI_LINE);

  g_assert_cmpstr (single, ==, "My Server name");
  g_assert_cmpstr (multi, ==, "one\n\ntwo\nthree");
  g_assert_cmpstr (cut, ==, "abc…");
  g_assert_true (g_utf8_validate (invalid, -1, NULL));
  g_assert_cmpstr (empty, ==, "");
  /* The override is gone, so the text reads as it is stored. */
  g_assert_cmpstr (bidi, ==, "paylanigiro");
  /* Plain text: nothing is interpreted, nothing is escaped. */
  g_assert_cmpstr (markup, ==, "<b>bold</b> &amp;");
  g_assert_cmpstr (tight, ==, "a…");
  g_assert_cmpstr (fits, ==, "a\n\nb");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/text/unsafe-chars", test_text_unsafe_chars);
  g_test_add_func ("/text/clean-for-display", test_text_clean_for_display);

  return g_test_run ();
}
