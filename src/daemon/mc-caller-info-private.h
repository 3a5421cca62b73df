/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-caller-info.h"

G_BEGIN_DECLS

/* Friend API of McCallerInfo: the pieces of the resolution that tests
 * exercise on their own. Not for the broker; it calls
 * mc_caller_info_resolve_async(). */

gboolean      _mc_caller_info_is_valid_app_id        (const char    *app_id);
gboolean      _mc_caller_info_parse_app_unit         (const char    *unit,
                                                      char         **out_launcher,
                                                      char         **out_app_id);
char         *_mc_caller_info_user_unit_from_cgroup  (const char    *cgroup);
gboolean      _mc_caller_info_lookup_desktop_app     (const char    *app_id,
                                                      char         **out_name,
                                                      char         **out_icon);
gboolean      _mc_caller_info_host_app_from_cgroup   (const char    *cgroup,
                                                      char         **out_app_id,
                                                      char         **out_name,
                                                      char         **out_icon);
gboolean      _mc_caller_info_parse_flatpak_info     (const char    *contents,
                                                      gsize          length,
                                                      char         **out_app_id,
                                                      char         **out_instance_id,
                                                      GError       **error);
McCallerInfo *_mc_caller_info_inspect_process        (const char    *unique_name,
                                                      guint32        pid,
                                                      int            pidfd,
                                                      GCancellable  *cancellable,
                                                      GError       **error);

G_END_DECLS
