/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-bridge-http.h"
#include "mc-transport.h"

G_BEGIN_DECLS

#define MC_TYPE_LEGACY_SSE (mc_legacy_sse_get_type ())

G_DECLARE_FINAL_TYPE (McLegacySse, mc_legacy_sse, MC, LEGACY_SSE, GObject)

McLegacySse *mc_legacy_sse_new              (McBridgeHttp *http,
                                             const char   *url,
                                             gsize         max_message);
const char  *mc_legacy_sse_get_endpoint     (McLegacySse  *self);

G_END_DECLS
