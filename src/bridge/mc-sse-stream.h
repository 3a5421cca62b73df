/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-sse-parser.h"

G_BEGIN_DECLS

#define MC_TYPE_SSE_STREAM (mc_sse_stream_get_type ())

G_DECLARE_FINAL_TYPE (McSseStream, mc_sse_stream, MC, SSE_STREAM, GObject)

McSseStream *mc_sse_stream_new               (GInputStream  *body,
                                              gsize          max_event);
void         mc_sse_stream_start             (McSseStream   *self);
void         mc_sse_stream_set_paused        (McSseStream   *self,
                                              gboolean       paused);
void         mc_sse_stream_stop              (McSseStream   *self);
const char  *mc_sse_stream_get_last_event_id (McSseStream   *self);
gint64       mc_sse_stream_get_retry         (McSseStream   *self);
guint        mc_sse_stream_get_n_events      (McSseStream   *self);

G_END_DECLS
