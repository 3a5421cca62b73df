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
 * @MC_ERROR_NOT_AUTHORIZED: The caller holds no usable grant for that MCP
 *   server: none was given, it was revoked, or it can no longer be
 *   refreshed; the caller should call Authorize.
 * @MC_ERROR_KEYRING_LOCKED: The keyring that holds the tokens is locked.
 * @MC_ERROR_KEYRING_UNAVAILABLE: There is no Secret Service to keep tokens
 *   in; the broker never falls back to files.
 * @MC_ERROR_REMOTE: An MCP or authorization server answered with an error or
 *   with something that could not be used; the message names the server
 *   and the field.
 * @MC_ERROR_POLICY_DENIED: The administrator's policy (or the user's own,
 *   docs/policy.md) does not allow this; nothing was shown or opened.
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
  MC_ERROR_NOT_AUTHORIZED,
  MC_ERROR_KEYRING_LOCKED,
  MC_ERROR_KEYRING_UNAVAILABLE,
  MC_ERROR_REMOTE,
  MC_ERROR_POLICY_DENIED,
} McError;

#define MC_ERROR (mc_error_quark ())

GQuark mc_error_quark (void);

G_END_DECLS
