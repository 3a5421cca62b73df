/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * McTextLines:
 * @MC_TEXT_SINGLE_LINE: line breaks become spaces
 * @MC_TEXT_MULTI_LINE: line breaks are kept, but never more than one empty
 *   line in a row
 *
 * How text from a peer (an MCP server's message, a server name) is shown.
 */
typedef enum
{
  MC_TEXT_SINGLE_LINE,
  MC_TEXT_MULTI_LINE,
} McTextLines;

gboolean  mc_text_is_unsafe_char          (gunichar      c);
gboolean  mc_text_has_unsafe_chars        (const char   *text);
char     *mc_text_clean_for_display       (const char   *text,
                                           gsize         max_chars,
                                           McTextLines   lines);

G_END_DECLS
