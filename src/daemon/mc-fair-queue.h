/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MC_TYPE_FAIR_QUEUE (mc_fair_queue_get_type ())

G_DECLARE_FINAL_TYPE (McFairQueue, mc_fair_queue, MC, FAIR_QUEUE, GObject)

McFairQueue *mc_fair_queue_new            (void);
void         mc_fair_queue_push           (McFairQueue  *self,
                                           const char   *key,
                                           GObject      *item);
GObject     *mc_fair_queue_pop            (McFairQueue  *self);
gboolean     mc_fair_queue_remove         (McFairQueue  *self,
                                           GObject      *item);
guint        mc_fair_queue_count_for_key  (McFairQueue  *self,
                                           const char   *key);
guint        mc_fair_queue_get_length     (McFairQueue  *self);

G_END_DECLS
