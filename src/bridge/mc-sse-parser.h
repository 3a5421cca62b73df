/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * McSseEvent:
 * @type: the event type: "message" unless an `event` field said otherwise
 *   (up to a NUL it may hold)
 * @data: the `data` lines joined by line feeds, valid UTF-8 but for any
 *   NUL characters it holds (a NUL terminates it too)
 * @data_length: the length of @data in bytes
 * @id: the stream's last event id when the event was dispatched; empty
 *   when the server never set one
 *
 * One event of a text/event-stream.
 */
typedef struct
{
  char  *type;
  char  *data;
  gsize  data_length;
  char  *id;
} McSseEvent;

void mc_sse_event_free (McSseEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McSseEvent, mc_sse_event_free)

typedef struct _McSseParser McSseParser;

McSseParser *mc_sse_parser_new               (gsize          max_line,
                                              gsize          max_event);
void         mc_sse_parser_free              (McSseParser   *self);
gboolean     mc_sse_parser_feed              (McSseParser   *self,
                                              const char    *data,
                                              gsize          length,
                                              GPtrArray     *events,
                                              GError       **error);
void         mc_sse_parser_end               (McSseParser   *self);
const char  *mc_sse_parser_get_last_event_id (McSseParser   *self);
gint64       mc_sse_parser_get_retry         (McSseParser   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McSseParser, mc_sse_parser_free)

G_END_DECLS
