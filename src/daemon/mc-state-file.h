/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One JSON state file of the daemon, in $XDG_STATE_HOME/mcp-consent/, kept
 * by its owner object: read once at start-up, set aside when damaged, and
 * saved atomically, one save at a time, after changes.  The owner parses
 * and serializes; this does the file's side. */

typedef GBytes *(*McStateSerializeFunc) (GObject *owner);

typedef struct _McStateFile McStateFile;

McStateFile *mc_state_file_new          (const char            *path,
                                         GObject               *owner,
                                         McStateSerializeFunc   serialize,
                                         const char            *empty_state);
void         mc_state_file_free         (McStateFile           *self);
const char  *mc_state_file_get_path     (McStateFile           *self);
GBytes      *mc_state_file_read         (McStateFile           *self);
void         mc_state_file_set_aside    (McStateFile           *self,
                                         const GError          *reason);
void         mc_state_file_changed      (McStateFile           *self);
void         mc_state_file_save_async   (McStateFile           *self,
                                         GCancellable          *cancellable,
                                         GAsyncReadyCallback    callback,
                                         gpointer               user_data);
gboolean     mc_state_file_save_finish  (McStateFile           *self,
                                         GAsyncResult          *result,
                                         GError               **error);

gboolean     mc_state_check_web_url     (const char            *url,
                                         const char            *name,
                                         GError               **error);
gboolean     mc_state_host_is_loopback  (const char            *host);

G_END_DECLS
