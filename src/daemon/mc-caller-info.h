/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * McCallerKind:
 * @MC_CALLER_KIND_FLATPAK: a Flatpak app; the app id comes from its
 *   `.flatpak-info`, which the app cannot change
 * @MC_CALLER_KIND_HOST_APP: a host program launched as a desktop app in its
 *   own systemd scope (`app-[LAUNCHER-]APPID-RANDOM.scope`) whose
 *   `APPID.desktop` exists
 * @MC_CALLER_KIND_UNVERIFIED: any other program; only its executable path
 *   is known, and that proves nothing
 * @MC_CALLER_KIND_UNKNOWN: the broker cannot see the caller's process at
 *   all, because it runs in another PID namespace than the bus (inside a
 *   Flatpak, say); only the bus connection tells callers apart
 *
 * How much the broker knows about who called it.
 */
typedef enum
{
  MC_CALLER_KIND_FLATPAK,
  MC_CALLER_KIND_HOST_APP,
  MC_CALLER_KIND_UNVERIFIED,
  MC_CALLER_KIND_UNKNOWN,
} McCallerKind;

#define MC_TYPE_CALLER_INFO (mc_caller_info_get_type ())

G_DECLARE_FINAL_TYPE (McCallerInfo, mc_caller_info, MC, CALLER_INFO, GObject)

void          mc_caller_info_resolve_async     (GDBusConnection      *connection,
                                                const char           *unique_name,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
McCallerInfo *mc_caller_info_resolve_finish    (GAsyncResult         *result,
                                                GError              **error);
McCallerInfo *mc_caller_info_new_unknown       (const char           *unique_name);
McCallerInfo *mc_caller_info_new_for_testing   (McCallerKind          kind,
                                                const char           *unique_name,
                                                const char           *app_id,
                                                const char           *executable);

McCallerKind  mc_caller_info_get_kind          (McCallerInfo         *self);
gboolean      mc_caller_info_is_verified       (McCallerInfo         *self);
const char   *mc_caller_info_get_unique_name   (McCallerInfo         *self);
const char   *mc_caller_info_get_app_id        (McCallerInfo         *self);
const char   *mc_caller_info_get_display_name  (McCallerInfo         *self);
const char   *mc_caller_info_get_icon          (McCallerInfo         *self);
const char   *mc_caller_info_get_executable    (McCallerInfo         *self);
guint32       mc_caller_info_get_pid           (McCallerInfo         *self);
const char   *mc_caller_info_get_identity_key  (McCallerInfo         *self);
const char   *mc_caller_info_get_instance_id   (McCallerInfo         *self);
const char   *mc_caller_kind_to_string         (McCallerKind          kind);

G_END_DECLS
