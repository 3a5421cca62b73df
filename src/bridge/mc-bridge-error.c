/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#include "config.h"

#include "mc-bridge-error.h"

/* Never sent over D-Bus: a plain quark. */
G_DEFINE_QUARK (mc-bridge-error-quark, mc_bridge_error)
