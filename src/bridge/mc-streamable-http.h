/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-bridge-http.h"
#include "mc-transport.h"

G_BEGIN_DECLS

#define MC_TYPE_STREAMABLE_HTTP (mc_streamable_http_get_type ())

G_DECLARE_FINAL_TYPE (McStreamableHttp, mc_streamable_http, MC, STREAMABLE_HTTP, GObject)

McStreamableHttp *mc_streamable_http_new                  (McBridgeHttp     *http,
                                                           const char       *url,
                                                           gsize             max_message);
const char       *mc_streamable_http_get_session_id       (McStreamableHttp *self);
const char       *mc_streamable_http_get_protocol_version (McStreamableHttp *self);

G_END_DECLS
