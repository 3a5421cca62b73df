/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How much of an over-long line is kept, for its JSON-RPC id. */
#define MC_LINE_FRAMER_PREFIX 16384

/**
 * McLineKind:
 * @MC_LINE_COMPLETE: a whole line, without its line break
 * @MC_LINE_OVERSIZED: a line longer than the limit, discarded: what is
 *   passed is its first %MC_LINE_FRAMER_PREFIX bytes (or fewer if the
 *   limit is smaller)
 */
typedef enum
{
  MC_LINE_COMPLETE,
  MC_LINE_OVERSIZED,
} McLineKind;

/**
 * McLineFunc:
 * @kind: what ended
 * @line: (array length=length): the line, or the kept start of it; it may
 *   hold NUL bytes
 * @length: its length in bytes
 * @total_length: the line's whole length, however much was kept
 * @user_data: the data given with the function
 *
 * Receives each line, in order.
 */
typedef void (*McLineFunc) (McLineKind  kind,
                            const char *line,
                            gsize       length,
                            guint64     total_length,
                            gpointer    user_data);

typedef struct _McLineFramer McLineFramer;

McLineFramer *mc_line_framer_new          (gsize          max_line);
void          mc_line_framer_free         (McLineFramer  *self);
void          mc_line_framer_feed         (McLineFramer  *self,
                                           const char    *data,
                                           gsize          length,
                                           McLineFunc     func,
                                           gpointer       user_data);
void          mc_line_framer_end          (McLineFramer  *self,
                                           McLineFunc     func,
                                           gpointer       user_data);
gsize         mc_line_framer_get_buffered (McLineFramer  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McLineFramer, mc_line_framer_free)

G_END_DECLS
