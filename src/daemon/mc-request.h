/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-dbus.h"

G_BEGIN_DECLS

/**
 * McResponse:
 * @MC_RESPONSE_SUCCESS: the user accepted
 * @MC_RESPONSE_DECLINED: the user declined
 * @MC_RESPONSE_CANCELLED: dismissed, timed out or failed
 *
 * The codes of io.github.mcp_consent.Request1.Response, as in portals.
 */
typedef enum
{
  MC_RESPONSE_SUCCESS = 0,
  MC_RESPONSE_DECLINED = 1,
  MC_RESPONSE_CANCELLED = 2,
} McResponse;

#define MC_REQUEST_PATH_PREFIX "/io/github/mcp_consent/Broker/request/"

#define MC_TYPE_REQUEST (mc_request_get_type ())

G_DECLARE_FINAL_TYPE (McRequest, mc_request, MC, REQUEST, McDbusRequest1Skeleton)

McRequest  *mc_request_new             (GDBusConnection  *connection,
                                        const char       *sender,
                                        const char       *handle_token);
gboolean    mc_request_export          (McRequest        *self,
                                        GError          **error);
void        mc_request_unexport        (McRequest        *self);
const char *mc_request_get_sender      (McRequest        *self);
const char *mc_request_get_path        (McRequest        *self);
gboolean    mc_request_is_exported     (McRequest        *self);
void        mc_request_respond         (McRequest        *self,
                                        McResponse        response,
                                        GVariant         *results);

G_END_DECLS
