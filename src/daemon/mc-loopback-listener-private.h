/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-loopback-listener.h"

G_BEGIN_DECLS

/* Limits of one request; see docs/loopback-listener.md. */
#define MC_LOOPBACK_MAX_REQUEST_TARGET     8192
#define MC_LOOPBACK_MAX_HEADER_BYTES       (32 * 1024)
#define MC_LOOPBACK_MAX_CONNECTIONS        16
#define MC_LOOPBACK_REQUEST_TIMEOUT_MS     10000
#define MC_LOOPBACK_MAX_DESCRIPTION_CHARS  300

/* For the tests and the fuzzer. */
McLoopbackListener *_mc_loopback_listener_new_unbound        (guint16              port);
void                _mc_loopback_listener_set_request_timeout (McLoopbackListener  *self,
                                                              guint                timeout_ms);
void                _mc_loopback_listener_accept_stream      (McLoopbackListener  *self,
                                                              GIOStream           *stream);
guint               _mc_loopback_listener_get_n_connections  (McLoopbackListener  *self);

G_END_DECLS
