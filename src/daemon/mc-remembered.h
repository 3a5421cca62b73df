/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

#include "mc-url-verdict.h"

G_BEGIN_DECLS

#define MC_TYPE_REMEMBERED (mc_remembered_get_type ())

G_DECLARE_FINAL_TYPE (McRemembered, mc_remembered, MC, REMEMBERED, GObject)

McRemembered *mc_remembered_new            (const char           *path);
const char   *mc_remembered_lookup         (McRemembered         *self,
                                            const char           *identity_key,
                                            const char           *server_name,
                                            const char           *server_url,
                                            const char           *domain,
                                            McUrlRisk             risk);
const char   *mc_remembered_add            (McRemembered         *self,
                                            const char           *identity_key,
                                            const char           *app_id,
                                            const char           *server_name,
                                            const char           *server_url,
                                            const char           *domain,
                                            McUrlRisk             risk);
gboolean      mc_remembered_forget         (McRemembered         *self,
                                            const char           *id);
const char   *mc_remembered_get_identity   (McRemembered         *self,
                                            const char           *id);
GVariant     *mc_remembered_list           (McRemembered         *self,
                                            const char           *identity_key);
guint         mc_remembered_get_n_entries  (McRemembered         *self);
void          mc_remembered_save_async     (McRemembered         *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean      mc_remembered_save_finish    (McRemembered         *self,
                                            GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
