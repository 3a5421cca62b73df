/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include "mc-audit-reader.h"

G_BEGIN_DECLS

GPtrArray *mc_test_audit_read (const char        *dir,
                               McAuditChainState *state);

G_END_DECLS
