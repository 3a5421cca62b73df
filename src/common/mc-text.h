/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  mc_text_is_unsafe_char          (gunichar     c);
gboolean  mc_text_has_unsafe_chars        (const char  *text);
char     *mc_text_sanitize_for_display    (const char  *text,
                                           gsize        max_chars);

G_END_DECLS
