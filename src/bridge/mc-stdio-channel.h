/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-jsonrpc.h"

G_BEGIN_DECLS

#define MC_TYPE_STDIO_CHANNEL (mc_stdio_channel_get_type ())

G_DECLARE_FINAL_TYPE (McStdioChannel, mc_stdio_channel, MC, STDIO_CHANNEL, GObject)

McStdioChannel *mc_stdio_channel_new         (int                  in_fd,
                                              int                  out_fd,
                                              gsize                max_message);
void            mc_stdio_channel_start       (McStdioChannel      *self);
void            mc_stdio_channel_set_paused  (McStdioChannel      *self,
                                              gboolean             paused);
void            mc_stdio_channel_stop_reading (McStdioChannel     *self);
void            mc_stdio_channel_write       (McStdioChannel      *self,
                                              McJsonrpcMessage    *message);
gsize           mc_stdio_channel_get_queued  (McStdioChannel      *self);
void            mc_stdio_channel_flush_async (McStdioChannel      *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean        mc_stdio_channel_flush_finish (McStdioChannel     *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
