/* SPDX-License-Identifier: GPL-3.0-or-later
 * SPDX-FileCopyrightText: Copyright © the MCP Consent Broker contributors
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * McError:
 * @MC_ERROR_FAILED: Something went wrong that has no better code.
 * @MC_ERROR_INVALID_ARGUMENT: A D-Bus argument or option was malformed.
 * @MC_ERROR_NOT_ALLOWED: The caller may not do this.
 * @MC_ERROR_BUSY: The caller has too many requests pending.
 * @MC_ERROR_URL_BLOCKED: The URL may never be opened; nothing was shown.
 * @MC_ERROR_NOT_FOUND: No such object (e.g. a remembered decision).
 *
 * Errors of the broker; on D-Bus they are io.github.mcp_consent.Error.*.
 */
typedef enum
{
  MC_ERROR_FAILED,
  MC_ERROR_INVALID_ARGUMENT,
  MC_ERROR_NOT_ALLOWED,
  MC_ERROR_BUSY,
  MC_ERROR_URL_BLOCKED,
  MC_ERROR_NOT_FOUND,
} McError;

#define MC_ERROR (mc_error_quark ())

GQuark mc_error_quark (void);

G_END_DECLS
