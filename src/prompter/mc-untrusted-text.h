/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * McUntrustedTextFlags:
 * @MC_UNTRUSTED_TEXT_SINGLE_LINE: line breaks become spaces
 * @MC_UNTRUSTED_TEXT_MULTI_LINE: line breaks are kept, but never more than
 *   one empty line in a row
 *
 * How text from a peer (an MCP server's message, a server name) is shown.
 */
typedef enum
{
  MC_UNTRUSTED_TEXT_SINGLE_LINE,
  MC_UNTRUSTED_TEXT_MULTI_LINE,
} McUntrustedTextFlags;

char *mc_untrusted_text_clean (const char           *text,
                               gsize                 max_chars,
                               McUntrustedTextFlags  flags);

G_END_DECLS
