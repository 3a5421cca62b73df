/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MC_URI_OPENER_OPTION "--open-uri"

void     mc_uri_opener_open_async   (const char           *uri,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
gboolean mc_uri_opener_open_finish  (GAsyncResult         *result,
                                     GError              **error);
int      mc_uri_opener_run_child    (void);

G_END_DECLS
