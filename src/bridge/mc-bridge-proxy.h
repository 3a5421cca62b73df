/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GProxyResolver *mc_bridge_proxy_resolver_new (const char * const *envp);

G_END_DECLS
